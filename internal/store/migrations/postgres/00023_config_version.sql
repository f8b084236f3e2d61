-- config_version counts the changes of tenants, authorities and services.
-- Each process caches what it read of them (store/cache.go) and drops its
-- cache when the count differs from the one it read them at, so that a
-- change made by any process is seen by all at their next lookup. The
-- triggers count every change, whichever statement makes it.

-- +goose Up
CREATE TABLE config_version (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    version BIGINT NOT NULL
);
INSERT INTO config_version (id, version) VALUES (1, 0);

-- +goose StatementBegin
CREATE FUNCTION bump_config_version() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE config_version SET version = version + 1 WHERE id = 1;
    RETURN NULL;
END;
$$;
-- +goose StatementEnd

CREATE TRIGGER tenants_version AFTER INSERT OR UPDATE OR DELETE ON tenants
    FOR EACH STATEMENT EXECUTE FUNCTION bump_config_version();
CREATE TRIGGER authorities_version AFTER INSERT OR UPDATE OR DELETE ON authorities
    FOR EACH STATEMENT EXECUTE FUNCTION bump_config_version();
CREATE TRIGGER services_version AFTER INSERT OR UPDATE OR DELETE ON services
    FOR EACH STATEMENT EXECUTE FUNCTION bump_config_version();

-- +goose Down
DROP TRIGGER services_version ON services;
DROP TRIGGER authorities_version ON authorities;
DROP TRIGGER tenants_version ON tenants;
DROP FUNCTION bump_config_version();
DROP TABLE config_version;
