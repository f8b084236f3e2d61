-- config_version (migration 00023) counts also the changes of jurisdictions,
-- delivery targets and authorities' own fees, which the processes cache
-- with tenants, authorities and services (store/cache.go).

-- +goose Up
-- +goose StatementBegin
CREATE TRIGGER jurisdictions_insert_version AFTER INSERT ON jurisdictions BEGIN UPDATE config_version SET version = version + 1 WHERE id = 1; END;
-- +goose StatementEnd
-- +goose StatementBegin
CREATE TRIGGER jurisdictions_update_version AFTER UPDATE ON jurisdictions BEGIN UPDATE config_version SET version = version + 1 WHERE id = 1; END;
-- +goose StatementEnd
-- +goose StatementBegin
CREATE TRIGGER jurisdictions_delete_version AFTER DELETE ON jurisdictions BEGIN UPDATE config_version SET version = version + 1 WHERE id = 1; END;
-- +goose StatementEnd
-- +goose StatementBegin
CREATE TRIGGER delivery_targets_insert_version AFTER INSERT ON delivery_targets BEGIN UPDATE config_version SET version = version + 1 WHERE id = 1; END;
-- +goose StatementEnd
-- +goose StatementBegin
CREATE TRIGGER delivery_targets_update_version AFTER UPDATE ON delivery_targets BEGIN UPDATE config_version SET version = version + 1 WHERE id = 1; END;
-- +goose StatementEnd
-- +goose StatementBegin
CREATE TRIGGER delivery_targets_delete_version AFTER DELETE ON delivery_targets BEGIN UPDATE config_version SET version = version + 1 WHERE id = 1; END;
-- +goose StatementEnd
-- +goose StatementBegin
CREATE TRIGGER authority_fees_insert_version AFTER INSERT ON authority_fees BEGIN UPDATE config_version SET version = version + 1 WHERE id = 1; END;
-- +goose StatementEnd
-- +goose StatementBegin
CREATE TRIGGER authority_fees_update_version AFTER UPDATE ON authority_fees BEGIN UPDATE config_version SET version = version + 1 WHERE id = 1; END;
-- +goose StatementEnd
-- +goose StatementBegin
CREATE TRIGGER authority_fees_delete_version AFTER DELETE ON authority_fees BEGIN UPDATE config_version SET version = version + 1 WHERE id = 1; END;
-- +goose StatementEnd

-- +goose Down
DROP TRIGGER authority_fees_delete_version;
DROP TRIGGER authority_fees_update_version;
DROP TRIGGER authority_fees_insert_version;
DROP TRIGGER delivery_targets_delete_version;
DROP TRIGGER delivery_targets_update_version;
DROP TRIGGER delivery_targets_insert_version;
DROP TRIGGER jurisdictions_delete_version;
DROP TRIGGER jurisdictions_update_version;
DROP TRIGGER jurisdictions_insert_version;
