-- Deliveries: their position among the deliveries of one submission (the
-- order of the service's targets; so far the order of their UUIDv7 ids,
-- which SQLite's rows do not have). Text columns collate "C" (bytewise),
-- so that every ORDER BY sorts as on SQLite without a COLLATE clause of
-- its own.

-- +goose Up
ALTER TABLE deliveries ADD COLUMN position INTEGER NOT NULL DEFAULT 0 CHECK (position >= 0);
UPDATE deliveries SET position = n.p
FROM (SELECT id, ROW_NUMBER() OVER (PARTITION BY tenant_id, submission_id ORDER BY id COLLATE "C") - 1 AS p
      FROM deliveries) n
WHERE deliveries.id = n.id;
DROP INDEX deliveries_submission;
CREATE INDEX deliveries_submission ON deliveries (tenant_id, submission_id, position);

-- +goose StatementBegin
DO $$
DECLARE c record;
BEGIN
    FOR c IN SELECT table_name, column_name FROM information_schema.columns
        WHERE table_schema = current_schema() AND data_type = 'text'
        AND table_name IN ('tenants', 'authorities', 'services', 'form_versions', 'submissions', 'drafts',
            'attachments', 'events', 'users', 'sessions', 'key_check', 'delivery_targets', 'deliveries',
            'fitconnect_accounts', 'login_throttle')
        ORDER BY table_name, column_name
    LOOP
        EXECUTE format('ALTER TABLE %I ALTER COLUMN %I TYPE TEXT COLLATE "C"', c.table_name, c.column_name);
    END LOOP;
END $$;
-- +goose StatementEnd

-- +goose Down
-- +goose StatementBegin
DO $$
DECLARE c record;
BEGIN
    FOR c IN SELECT table_name, column_name FROM information_schema.columns
        WHERE table_schema = current_schema() AND data_type = 'text' AND collation_name = 'C'
        AND table_name IN ('tenants', 'authorities', 'services', 'form_versions', 'submissions', 'drafts',
            'attachments', 'events', 'users', 'sessions', 'key_check', 'delivery_targets', 'deliveries',
            'fitconnect_accounts', 'login_throttle')
    LOOP
        EXECUTE format('ALTER TABLE %I ALTER COLUMN %I TYPE TEXT COLLATE "default"', c.table_name, c.column_name);
    END LOOP;
END $$;
-- +goose StatementEnd
DROP INDEX deliveries_submission;
CREATE INDEX deliveries_submission ON deliveries (tenant_id, submission_id);
ALTER TABLE deliveries DROP COLUMN position;
