-- config_version counts the changes of tenants, authorities and services.
-- Each process caches what it read of them (store/cache.go) and drops its
-- cache when the count differs from the one it read them at, so that a
-- change made by any process is seen by all at their next lookup. The
-- triggers count every change, whichever statement makes it.

-- +goose Up
CREATE TABLE config_version (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    version INTEGER NOT NULL
);
INSERT INTO config_version (id, version) VALUES (1, 0);

-- +goose StatementBegin
CREATE TRIGGER tenants_insert_version AFTER INSERT ON tenants BEGIN UPDATE config_version SET version = version + 1 WHERE id = 1; END;
-- +goose StatementEnd
-- +goose StatementBegin
CREATE TRIGGER tenants_update_version AFTER UPDATE ON tenants BEGIN UPDATE config_version SET version = version + 1 WHERE id = 1; END;
-- +goose StatementEnd
-- +goose StatementBegin
CREATE TRIGGER tenants_delete_version AFTER DELETE ON tenants BEGIN UPDATE config_version SET version = version + 1 WHERE id = 1; END;
-- +goose StatementEnd
-- +goose StatementBegin
CREATE TRIGGER authorities_insert_version AFTER INSERT ON authorities BEGIN UPDATE config_version SET version = version + 1 WHERE id = 1; END;
-- +goose StatementEnd
-- +goose StatementBegin
CREATE TRIGGER authorities_update_version AFTER UPDATE ON authorities BEGIN UPDATE config_version SET version = version + 1 WHERE id = 1; END;
-- +goose StatementEnd
-- +goose StatementBegin
CREATE TRIGGER authorities_delete_version AFTER DELETE ON authorities BEGIN UPDATE config_version SET version = version + 1 WHERE id = 1; END;
-- +goose StatementEnd
-- +goose StatementBegin
CREATE TRIGGER services_insert_version AFTER INSERT ON services BEGIN UPDATE config_version SET version = version + 1 WHERE id = 1; END;
-- +goose StatementEnd
-- +goose StatementBegin
CREATE TRIGGER services_update_version AFTER UPDATE ON services BEGIN UPDATE config_version SET version = version + 1 WHERE id = 1; END;
-- +goose StatementEnd
-- +goose StatementBegin
CREATE TRIGGER services_delete_version AFTER DELETE ON services BEGIN UPDATE config_version SET version = version + 1 WHERE id = 1; END;
-- +goose StatementEnd

-- +goose Down
DROP TRIGGER services_delete_version;
DROP TRIGGER services_update_version;
DROP TRIGGER services_insert_version;
DROP TRIGGER authorities_delete_version;
DROP TRIGGER authorities_update_version;
DROP TRIGGER authorities_insert_version;
DROP TRIGGER tenants_delete_version;
DROP TRIGGER tenants_update_version;
DROP TRIGGER tenants_insert_version;
DROP TABLE config_version;
