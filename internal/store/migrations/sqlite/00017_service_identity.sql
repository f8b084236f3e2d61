-- Identity per service and per application.
-- services.min_level: the Vertrauensniveau a citizen needs to apply (0
-- none, 1 niedrig, 2 substantiell, 3 hoch); services.schriftformersatz:
-- the final declaration replaces the written form and needs an eID login
-- at "hoch".
-- drafts.owner and submissions.owner: the logged-in citizen's keyed hash
-- (identity.OwnerKey), '' when anonymous. drafts.proved: JSON array of the
-- data paths filled from the identity. drafts.token_sealed: the resume
-- token of a draft with an owner, sealed with the data key, so that the
-- citizen's area can link it (NULL for anonymous drafts).
-- submissions.evidence: JSON of identity.Evidence ('' when none); it holds
-- no personal data.

-- +goose Up
ALTER TABLE services ADD COLUMN min_level INTEGER NOT NULL DEFAULT 0 CHECK (min_level BETWEEN 0 AND 3);
ALTER TABLE services ADD COLUMN schriftformersatz INTEGER NOT NULL DEFAULT 0 CHECK (schriftformersatz IN (0, 1));
ALTER TABLE drafts ADD COLUMN owner TEXT NOT NULL DEFAULT '';
ALTER TABLE drafts ADD COLUMN token_sealed BLOB;
ALTER TABLE drafts ADD COLUMN proved TEXT NOT NULL DEFAULT '[]';
ALTER TABLE submissions ADD COLUMN owner TEXT NOT NULL DEFAULT '';
ALTER TABLE submissions ADD COLUMN evidence TEXT NOT NULL DEFAULT '';
CREATE INDEX drafts_owner ON drafts (tenant_id, owner) WHERE owner <> '';
CREATE INDEX submissions_owner ON submissions (tenant_id, owner) WHERE owner <> '';

-- +goose Down
DROP INDEX submissions_owner;
DROP INDEX drafts_owner;
ALTER TABLE submissions DROP COLUMN evidence;
ALTER TABLE submissions DROP COLUMN owner;
ALTER TABLE drafts DROP COLUMN proved;
ALTER TABLE drafts DROP COLUMN token_sealed;
ALTER TABLE drafts DROP COLUMN owner;
ALTER TABLE services DROP COLUMN schriftformersatz;
ALTER TABLE services DROP COLUMN min_level;
