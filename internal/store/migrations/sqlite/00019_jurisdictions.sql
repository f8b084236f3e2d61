-- Einer für Alle: jurisdictions, authority-specific delivery targets,
-- routing results, tenant branding, authority details and the admin audit
-- trail.
-- tenants.logo_url, tenants.colour: the portal's logo (an https or /static/
-- address, '' for none) and its primary colour (#rrggbb, '' for KERN's).
-- authorities.phone, authorities.efa_parameters: a contact number and the
-- EfA parameters a service reads per authority (JSON object, '{}').
-- jurisdictions: the tenant's authority is responsible for a service in an
-- area: an ARS prefix, refined by a postcode and a street ('' for none);
-- street_key is the street as compared (area.NormalizeStreet). No two
-- entries of a service name the same area, across tenants.
-- delivery_targets.authority_id: targets used for the submissions routed
-- to that authority (NULL: the tenant's targets for the service); a tenant
-- may keep targets for a shared service of another tenant, so the table
-- references services by id alone. Kind fitconnect_routing: the FIT-Connect
-- destination the Routing API names for the applicant's place.
-- drafts.routing, submissions.routing: the sealed JSON of the routing
-- result (place, authority, rule and source); NULL when not routed.
-- audit_events: every change an admin or the catalogue makes.

-- +goose Up
ALTER TABLE tenants ADD COLUMN logo_url TEXT NOT NULL DEFAULT '';
ALTER TABLE tenants ADD COLUMN colour TEXT NOT NULL DEFAULT '';
ALTER TABLE authorities ADD COLUMN phone TEXT NOT NULL DEFAULT '';
ALTER TABLE authorities ADD COLUMN efa_parameters TEXT NOT NULL DEFAULT '{}';

CREATE TABLE jurisdictions (
    id           TEXT PRIMARY KEY,
    tenant_id    TEXT NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    service_id   TEXT NOT NULL REFERENCES services (id) ON DELETE CASCADE,
    authority_id TEXT NOT NULL,
    ars          TEXT NOT NULL,
    postcode     TEXT NOT NULL DEFAULT '',
    street       TEXT NOT NULL DEFAULT '',
    street_key   TEXT NOT NULL DEFAULT '',
    source       TEXT NOT NULL DEFAULT '',
    created_at   TEXT NOT NULL,
    UNIQUE (tenant_id, id),
    FOREIGN KEY (tenant_id, authority_id) REFERENCES authorities (tenant_id, id) ON DELETE CASCADE
);
CREATE UNIQUE INDEX jurisdictions_area ON jurisdictions (service_id, ars, postcode, street_key);
CREATE INDEX jurisdictions_tenant ON jurisdictions (tenant_id, service_id);

CREATE TABLE delivery_targets_new (
    id             TEXT PRIMARY KEY,
    tenant_id      TEXT NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    service_id     TEXT NOT NULL REFERENCES services (id) ON DELETE CASCADE,
    authority_id   TEXT,
    position       INTEGER NOT NULL,
    kind           TEXT NOT NULL CHECK (kind IN ('inbox', 'fitconnect', 'webhook', 'email', 'fitconnect_routing')),
    destination_id TEXT NOT NULL DEFAULT '',
    url            TEXT NOT NULL DEFAULT '',
    secret         BLOB,
    address        TEXT NOT NULL DEFAULT '',
    FOREIGN KEY (tenant_id, authority_id) REFERENCES authorities (tenant_id, id) ON DELETE CASCADE
);
INSERT INTO delivery_targets_new (id, tenant_id, service_id, authority_id, position, kind, destination_id, url, secret, address)
    SELECT id, tenant_id, service_id, NULL, position, kind, destination_id, url, secret, address FROM delivery_targets;
DROP TABLE delivery_targets;
ALTER TABLE delivery_targets_new RENAME TO delivery_targets;
CREATE UNIQUE INDEX delivery_targets_position ON delivery_targets (tenant_id, service_id, coalesce(authority_id, ''), position);

ALTER TABLE drafts ADD COLUMN routing BLOB;
ALTER TABLE submissions ADD COLUMN routing BLOB;

CREATE TABLE audit_events (
    id        INTEGER PRIMARY KEY AUTOINCREMENT,
    tenant_id TEXT NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    at        TEXT NOT NULL,
    actor     TEXT NOT NULL,
    object    TEXT NOT NULL,
    object_id TEXT NOT NULL DEFAULT '',
    action    TEXT NOT NULL,
    detail    TEXT NOT NULL DEFAULT ''
);
CREATE INDEX audit_events_tenant ON audit_events (tenant_id, at);

-- +goose Down
DROP TABLE audit_events;
ALTER TABLE submissions DROP COLUMN routing;
ALTER TABLE drafts DROP COLUMN routing;
CREATE TABLE delivery_targets_old (
    id             TEXT PRIMARY KEY,
    tenant_id      TEXT NOT NULL,
    service_id     TEXT NOT NULL,
    position       INTEGER NOT NULL,
    kind           TEXT NOT NULL CHECK (kind IN ('inbox', 'fitconnect', 'webhook', 'email')),
    destination_id TEXT NOT NULL DEFAULT '',
    url            TEXT NOT NULL DEFAULT '',
    secret         BLOB,
    address        TEXT NOT NULL DEFAULT '',
    UNIQUE (service_id, position),
    FOREIGN KEY (tenant_id, service_id) REFERENCES services (tenant_id, id) ON DELETE CASCADE
);
INSERT INTO delivery_targets_old (id, tenant_id, service_id, position, kind, destination_id, url, secret, address)
    SELECT t.id, t.tenant_id, t.service_id, t.position, t.kind, t.destination_id, t.url, t.secret, t.address
    FROM delivery_targets t JOIN services s ON s.id = t.service_id AND s.tenant_id = t.tenant_id
    WHERE t.authority_id IS NULL AND t.kind <> 'fitconnect_routing';
DROP TABLE delivery_targets;
ALTER TABLE delivery_targets_old RENAME TO delivery_targets;
DROP TABLE jurisdictions;
ALTER TABLE authorities DROP COLUMN efa_parameters;
ALTER TABLE authorities DROP COLUMN phone;
ALTER TABLE tenants DROP COLUMN colour;
ALTER TABLE tenants DROP COLUMN logo_url;
