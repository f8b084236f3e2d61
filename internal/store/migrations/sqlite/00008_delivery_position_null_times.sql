-- Deliveries: their position among the deliveries of one submission (the
-- order of the service's targets; so far this was the row order, which
-- PostgreSQL does not have), and NULL instead of '' for an absent next
-- attempt or end, as on PostgreSQL. SQLite cannot change a column's NOT
-- NULL in place: the table is built anew and its rows copied.

-- +goose Up
CREATE TABLE deliveries_new (
    id              TEXT PRIMARY KEY,
    tenant_id       TEXT NOT NULL,
    submission_id   TEXT NOT NULL,
    position        INTEGER NOT NULL DEFAULT 0 CHECK (position >= 0),
    kind            TEXT NOT NULL CHECK (kind IN ('inbox', 'fitconnect', 'webhook', 'email')),
    target          BLOB NOT NULL, -- sealed JSON copy of the target (holds the webhook secret)
    state           TEXT NOT NULL CHECK (state IN ('ausstehend', 'zugestellt', 'angenommen', 'abgelehnt', 'fehlgeschlagen')),
    attempts        INTEGER NOT NULL DEFAULT 0 CHECK (attempts >= 0),
    round           INTEGER NOT NULL DEFAULT 0 CHECK (round >= 0),
    last_error      TEXT NOT NULL DEFAULT '',
    reason          TEXT NOT NULL DEFAULT '',
    remote_id       TEXT NOT NULL DEFAULT '',
    case_id         TEXT NOT NULL DEFAULT '',
    created_at      TEXT NOT NULL,
    updated_at      TEXT NOT NULL,
    next_attempt_at TEXT,
    done_at         TEXT,
    FOREIGN KEY (tenant_id, submission_id) REFERENCES submissions (tenant_id, id) ON DELETE CASCADE
);
INSERT INTO deliveries_new (id, tenant_id, submission_id, position, kind, target, state, attempts, round,
    last_error, reason, remote_id, case_id, created_at, updated_at, next_attempt_at, done_at)
SELECT id, tenant_id, submission_id,
    ROW_NUMBER() OVER (PARTITION BY tenant_id, submission_id ORDER BY rowid) - 1,
    kind, target, state, attempts, round, last_error, reason, remote_id, case_id, created_at, updated_at,
    NULLIF(next_attempt_at, ''), NULLIF(done_at, '')
FROM deliveries;
DROP TABLE deliveries;
ALTER TABLE deliveries_new RENAME TO deliveries;
CREATE INDEX deliveries_submission ON deliveries (tenant_id, submission_id, position);
CREATE INDEX deliveries_open ON deliveries (kind, state, updated_at) WHERE state IN ('ausstehend', 'zugestellt');

-- +goose Down
CREATE TABLE deliveries_old (
    id              TEXT PRIMARY KEY,
    tenant_id       TEXT NOT NULL,
    submission_id   TEXT NOT NULL,
    kind            TEXT NOT NULL CHECK (kind IN ('inbox', 'fitconnect', 'webhook', 'email')),
    target          BLOB NOT NULL,
    state           TEXT NOT NULL CHECK (state IN ('ausstehend', 'zugestellt', 'angenommen', 'abgelehnt', 'fehlgeschlagen')),
    attempts        INTEGER NOT NULL DEFAULT 0 CHECK (attempts >= 0),
    last_error      TEXT NOT NULL DEFAULT '',
    reason          TEXT NOT NULL DEFAULT '',
    remote_id       TEXT NOT NULL DEFAULT '',
    case_id         TEXT NOT NULL DEFAULT '',
    created_at      TEXT NOT NULL,
    updated_at      TEXT NOT NULL,
    next_attempt_at TEXT NOT NULL DEFAULT '',
    done_at         TEXT NOT NULL DEFAULT '',
    round           INTEGER NOT NULL DEFAULT 0 CHECK (round >= 0),
    FOREIGN KEY (tenant_id, submission_id) REFERENCES submissions (tenant_id, id) ON DELETE CASCADE
);
INSERT INTO deliveries_old (id, tenant_id, submission_id, kind, target, state, attempts, last_error, reason,
    remote_id, case_id, created_at, updated_at, next_attempt_at, done_at, round)
SELECT id, tenant_id, submission_id, kind, target, state, attempts, last_error, reason, remote_id, case_id,
    created_at, updated_at, coalesce(next_attempt_at, ''), coalesce(done_at, ''), round
FROM deliveries ORDER BY tenant_id, submission_id, position;
DROP TABLE deliveries;
ALTER TABLE deliveries_old RENAME TO deliveries;
CREATE INDEX deliveries_submission ON deliveries (tenant_id, submission_id);
CREATE INDEX deliveries_open ON deliveries (kind, state, updated_at) WHERE state IN ('ausstehend', 'zugestellt');
