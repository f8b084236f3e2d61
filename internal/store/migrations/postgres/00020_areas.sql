-- Reference data for routing by place (package area): areas are the areas
-- of the Amtlicher Regionalschlüssel (Destatis) by key, with their level
-- (land, regierungsbezirk, kreis, gemeindeverband, gemeinde) and the key
-- of the enclosing area derived from the key ('' for a Land); postcodes
-- says which Gemeinde (12-digit ARS) a postcode, or a street in it
-- (street '' for the whole postcode), lies in, name being the source's
-- place name.
-- Both are global reference data shared by every tenant, imported by the
-- operator (antrag areas import, import-postcodes); no tenant owns a row,
-- so neither table has a tenant_id. They hold no personal data.

-- +goose Up
CREATE TABLE areas (
    ars    TEXT COLLATE "C" PRIMARY KEY,
    name   TEXT COLLATE "C" NOT NULL,
    level  TEXT COLLATE "C" NOT NULL,
    parent TEXT COLLATE "C" NOT NULL DEFAULT ''
);
CREATE INDEX areas_level ON areas (level, ars);
CREATE INDEX areas_parent ON areas (parent);
CREATE TABLE postcodes (
    postcode TEXT COLLATE "C" NOT NULL,
    street   TEXT COLLATE "C" NOT NULL DEFAULT '',
    ars      TEXT COLLATE "C" NOT NULL,
    name     TEXT COLLATE "C" NOT NULL
);
CREATE INDEX postcodes_postcode ON postcodes (postcode);
CREATE INDEX postcodes_ars ON postcodes (ars);

-- +goose Down
DROP TABLE postcodes;
DROP TABLE areas;
