-- The first schema of antrag on PostgreSQL, the same tables and columns as
-- the SQLite schema (internal/store/sqlite/migrations/00001_init.sql;
-- schema_test.go compares the two).
--
-- Every table but sessions carries tenant_id (tenants: its id), and every
-- tenant-scoped query filters by it. Composite foreign keys on
-- (tenant_id, …) keep a child in its parent's tenant. Times are
-- TIMESTAMPTZ (microseconds). drafts.data and submissions.data hold data
-- sealed with package sealed.

-- +goose Up
CREATE TABLE tenants (
    id         TEXT PRIMARY KEY,
    slug       TEXT NOT NULL UNIQUE,
    name       TEXT NOT NULL,
    kind       TEXT NOT NULL,
    ars        TEXT NOT NULL DEFAULT '',
    host       TEXT NOT NULL DEFAULT '',
    created_at TIMESTAMPTZ NOT NULL
);
CREATE UNIQUE INDEX tenants_host ON tenants (host) WHERE host <> '';

CREATE TABLE authorities (
    id        TEXT PRIMARY KEY,
    tenant_id TEXT NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    name      TEXT NOT NULL,
    address   TEXT NOT NULL DEFAULT '[]', -- JSON array of lines
    email     TEXT NOT NULL DEFAULT '',
    UNIQUE (tenant_id, id)
);

CREATE TABLE services (
    id                  TEXT PRIMARY KEY,
    tenant_id           TEXT NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    slug                TEXT NOT NULL,
    name                TEXT NOT NULL,
    description         TEXT NOT NULL DEFAULT '',
    leistungsschluessel TEXT NOT NULL DEFAULT '',
    authority_id        TEXT,
    shared              BOOLEAN NOT NULL DEFAULT FALSE,
    fee_text            TEXT NOT NULL DEFAULT '',
    duration_text       TEXT NOT NULL DEFAULT '',
    form_version_id     TEXT, -- references form_versions, added below
    created_at          TIMESTAMPTZ NOT NULL,
    UNIQUE (tenant_id, slug),
    UNIQUE (tenant_id, id),
    FOREIGN KEY (tenant_id, authority_id) REFERENCES authorities (tenant_id, id)
);
CREATE INDEX services_shared ON services (shared) WHERE shared;

CREATE TABLE form_versions (
    id           TEXT PRIMARY KEY,
    tenant_id    TEXT NOT NULL,
    service_id   TEXT NOT NULL,
    version      INTEGER NOT NULL CHECK (version > 0),
    fim_id       TEXT NOT NULL DEFAULT '',
    fim_version  TEXT NOT NULL DEFAULT '',
    name         TEXT NOT NULL DEFAULT '',
    xdf          BYTEA NOT NULL,
    published_at TIMESTAMPTZ NOT NULL,
    UNIQUE (service_id, version),
    FOREIGN KEY (tenant_id, service_id) REFERENCES services (tenant_id, id) ON DELETE CASCADE
);
ALTER TABLE services ADD CONSTRAINT services_form_version_id_fkey
    FOREIGN KEY (form_version_id) REFERENCES form_versions (id);

CREATE TABLE submissions (
    id              TEXT PRIMARY KEY,
    tenant_id       TEXT NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    service_id      TEXT NOT NULL REFERENCES services (id),
    form_version_id TEXT REFERENCES form_versions (id),
    authority_id    TEXT REFERENCES authorities (id),
    reference       TEXT NOT NULL UNIQUE,
    status          TEXT NOT NULL CHECK (status IN ('eingegangen', 'in_bearbeitung', 'abgeschlossen')),
    data            BYTEA, -- sealed canonical JSON; NULL once purged
    data_sha256     TEXT NOT NULL DEFAULT '',
    idempotency_key TEXT NOT NULL DEFAULT '',
    -- draft_id has no foreign key: expired draft rows are deleted, the
    -- submission keeps the id.
    draft_id        TEXT UNIQUE,
    submitted_at    TIMESTAMPTZ NOT NULL,
    updated_at      TIMESTAMPTZ NOT NULL,
    UNIQUE (tenant_id, id)
);
CREATE UNIQUE INDEX submissions_idempotency_key ON submissions (tenant_id, idempotency_key) WHERE idempotency_key <> '';
CREATE INDEX submissions_inbox ON submissions (tenant_id, submitted_at);
CREATE INDEX submissions_purge ON submissions (status, updated_at) WHERE data IS NOT NULL;

CREATE TABLE drafts (
    id              TEXT PRIMARY KEY,
    tenant_id       TEXT NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    service_id      TEXT NOT NULL REFERENCES services (id),
    form_version_id TEXT REFERENCES form_versions (id),
    token_hash      BYTEA NOT NULL UNIQUE,
    data            BYTEA, -- sealed JSON object; NULL once submitted
    step            INTEGER NOT NULL DEFAULT 0,
    submission_id   TEXT UNIQUE REFERENCES submissions (id),
    created_at      TIMESTAMPTZ NOT NULL,
    updated_at      TIMESTAMPTZ NOT NULL,
    expires_at      TIMESTAMPTZ NOT NULL,
    UNIQUE (tenant_id, id)
);
CREATE INDEX drafts_expires_at ON drafts (expires_at);

CREATE TABLE attachments (
    id            TEXT PRIMARY KEY,
    tenant_id     TEXT NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    draft_id      TEXT,
    submission_id TEXT,
    filename      TEXT NOT NULL DEFAULT '',
    media_type    TEXT NOT NULL DEFAULT '',
    size          BIGINT NOT NULL DEFAULT 0 CHECK (size >= 0),
    sha512        TEXT NOT NULL DEFAULT '',
    storage_key   TEXT NOT NULL UNIQUE,
    created_at    TIMESTAMPTZ NOT NULL,
    -- an attachment belongs to exactly one draft or one submission
    CHECK ((draft_id IS NULL) <> (submission_id IS NULL)),
    FOREIGN KEY (tenant_id, draft_id) REFERENCES drafts (tenant_id, id) ON DELETE CASCADE,
    FOREIGN KEY (tenant_id, submission_id) REFERENCES submissions (tenant_id, id) ON DELETE CASCADE
);
CREATE INDEX attachments_draft ON attachments (draft_id) WHERE draft_id IS NOT NULL;
CREATE INDEX attachments_submission ON attachments (submission_id) WHERE submission_id IS NOT NULL;

CREATE TABLE events (
    id            BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,
    tenant_id     TEXT NOT NULL,
    submission_id TEXT NOT NULL,
    at            TIMESTAMPTZ NOT NULL,
    actor         TEXT NOT NULL,
    action        TEXT NOT NULL,
    detail        TEXT NOT NULL DEFAULT '',
    FOREIGN KEY (tenant_id, submission_id) REFERENCES submissions (tenant_id, id) ON DELETE CASCADE
);
CREATE INDEX events_submission ON events (submission_id, at);

CREATE TABLE users (
    id            TEXT PRIMARY KEY,
    tenant_id     TEXT NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    username      TEXT NOT NULL UNIQUE,
    name          TEXT NOT NULL DEFAULT '',
    password_hash TEXT NOT NULL,
    created_at    TIMESTAMPTZ NOT NULL
);

-- sessions is the table of github.com/alexedwards/scs/pgxstore; it is not
-- tenant-scoped (the session data says who is logged in where).
CREATE TABLE sessions (
    token  TEXT PRIMARY KEY,
    data   BYTEA NOT NULL,
    expiry TIMESTAMPTZ NOT NULL
);
CREATE INDEX sessions_expiry_idx ON sessions (expiry);

-- +goose Down
DROP TABLE sessions;
DROP TABLE users;
DROP TABLE events;
DROP TABLE attachments;
DROP TABLE drafts;
DROP TABLE submissions;
ALTER TABLE services DROP CONSTRAINT services_form_version_id_fkey;
DROP TABLE form_versions;
DROP TABLE services;
DROP TABLE authorities;
DROP TABLE tenants;
