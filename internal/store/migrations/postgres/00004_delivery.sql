-- Delivery: targets per service, one delivery row per submission and
-- target (the outbox; the queued jobs live in River's tables, created by
-- rivermigrate after these migrations), FIT-Connect accounts, and the
-- origin of received submissions.
--
-- Unlike SQLite's TEXT columns (where '' stands for "none"),
-- next_attempt_at and done_at are nullable TIMESTAMPTZ.

-- +goose Up
CREATE TABLE delivery_targets (
    id             TEXT PRIMARY KEY,
    tenant_id      TEXT NOT NULL,
    service_id     TEXT NOT NULL,
    position       INTEGER NOT NULL,
    kind           TEXT NOT NULL CHECK (kind IN ('inbox', 'fitconnect', 'webhook', 'email')),
    destination_id TEXT NOT NULL DEFAULT '',
    url            TEXT NOT NULL DEFAULT '',
    secret         BYTEA, -- sealed webhook secret
    address        TEXT NOT NULL DEFAULT '',
    UNIQUE (service_id, position),
    FOREIGN KEY (tenant_id, service_id) REFERENCES services (tenant_id, id) ON DELETE CASCADE
);

CREATE TABLE deliveries (
    -- ids are UUIDv7, so that ordering by id is creation order (SQLite
    -- orders by rowid).
    id              TEXT PRIMARY KEY,
    tenant_id       TEXT NOT NULL,
    submission_id   TEXT NOT NULL,
    kind            TEXT NOT NULL CHECK (kind IN ('inbox', 'fitconnect', 'webhook', 'email')),
    target          BYTEA NOT NULL, -- sealed JSON copy of the target (holds the webhook secret)
    state           TEXT NOT NULL CHECK (state IN ('ausstehend', 'zugestellt', 'angenommen', 'abgelehnt', 'fehlgeschlagen')),
    attempts        INTEGER NOT NULL DEFAULT 0 CHECK (attempts >= 0),
    last_error      TEXT NOT NULL DEFAULT '',
    reason          TEXT NOT NULL DEFAULT '',
    remote_id       TEXT NOT NULL DEFAULT '',
    case_id         TEXT NOT NULL DEFAULT '',
    created_at      TIMESTAMPTZ NOT NULL,
    updated_at      TIMESTAMPTZ NOT NULL,
    next_attempt_at TIMESTAMPTZ,
    done_at         TIMESTAMPTZ,
    FOREIGN KEY (tenant_id, submission_id) REFERENCES submissions (tenant_id, id) ON DELETE CASCADE
);
CREATE INDEX deliveries_submission ON deliveries (tenant_id, submission_id);
CREATE INDEX deliveries_open ON deliveries (kind, state, updated_at) WHERE state IN ('ausstehend', 'zugestellt');

-- Submissions that arrived from elsewhere (FIT-Connect) carry their origin
-- and a reference unique per tenant, so that a submission delivered twice
-- is stored once.
ALTER TABLE submissions ADD COLUMN source TEXT NOT NULL DEFAULT 'antrag';
ALTER TABLE submissions ADD COLUMN external_ref TEXT NOT NULL DEFAULT '';
CREATE UNIQUE INDEX submissions_external_ref ON submissions (tenant_id, external_ref) WHERE external_ref <> '';

-- FIT-Connect API clients of a tenant: one sender account, and one
-- subscriber account per destination (Zustellpunkt) it receives for.
CREATE TABLE fitconnect_accounts (
    tenant_id      TEXT NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    role           TEXT NOT NULL CHECK (role IN ('sender', 'subscriber')),
    destination_id TEXT NOT NULL DEFAULT '', -- '' for the sender
    client_id      TEXT NOT NULL,
    secrets        BYTEA NOT NULL, -- sealed JSON: client secret, callback secret, private keys
    created_at     TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (tenant_id, role, destination_id)
);
CREATE UNIQUE INDEX fitconnect_accounts_destination ON fitconnect_accounts (destination_id) WHERE role = 'subscriber';

-- +goose Down
DROP TABLE fitconnect_accounts;
DROP INDEX submissions_external_ref;
ALTER TABLE submissions DROP COLUMN external_ref;
ALTER TABLE submissions DROP COLUMN source;
DROP TABLE deliveries;
DROP TABLE delivery_targets;
