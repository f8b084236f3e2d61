-- Rule sources of a form version and the audit trail of a service's form.
-- form_versions.rule_sources: JSON of rules.Sources, the translated rules
-- and operator corrections the version's rules compile with ('{}' for
-- none); it holds no personal data. form_versions.acknowledged: JSON array
-- of the unsupported Regeln ("id@version") the publisher accepted.
-- Both are written once, with the version: a change publishes a new one.
-- service_events: who published which form version of a service and
-- which Regel a change concerned (from_version_id: the version it was
-- made on, NULL for a first publication).

-- +goose Up
ALTER TABLE form_versions ADD COLUMN rule_sources TEXT NOT NULL DEFAULT '{}';
ALTER TABLE form_versions ADD COLUMN acknowledged TEXT NOT NULL DEFAULT '[]';
CREATE TABLE service_events (
    id              INTEGER PRIMARY KEY AUTOINCREMENT,
    tenant_id       TEXT NOT NULL,
    service_id      TEXT NOT NULL,
    at              TEXT NOT NULL,
    actor           TEXT NOT NULL,
    action          TEXT NOT NULL,
    regel           TEXT NOT NULL DEFAULT '',
    from_version_id TEXT REFERENCES form_versions (id) ON DELETE SET NULL,
    to_version_id   TEXT REFERENCES form_versions (id) ON DELETE SET NULL,
    note            TEXT NOT NULL DEFAULT '',
    FOREIGN KEY (tenant_id, service_id) REFERENCES services (tenant_id, id) ON DELETE CASCADE
);
CREATE INDEX service_events_service ON service_events (tenant_id, service_id, at);

-- +goose Down
DROP TABLE service_events;
ALTER TABLE form_versions DROP COLUMN acknowledged;
ALTER TABLE form_versions DROP COLUMN rule_sources;
