-- config_version (migration 00023) counts also the changes of jurisdictions,
-- delivery targets and authorities' own fees, which the processes cache
-- with tenants, authorities and services (store/cache.go).

-- +goose Up
CREATE TRIGGER jurisdictions_version AFTER INSERT OR UPDATE OR DELETE ON jurisdictions
    FOR EACH STATEMENT EXECUTE FUNCTION bump_config_version();
CREATE TRIGGER delivery_targets_version AFTER INSERT OR UPDATE OR DELETE ON delivery_targets
    FOR EACH STATEMENT EXECUTE FUNCTION bump_config_version();
CREATE TRIGGER authority_fees_version AFTER INSERT OR UPDATE OR DELETE ON authority_fees
    FOR EACH STATEMENT EXECUTE FUNCTION bump_config_version();

-- +goose Down
DROP TRIGGER authority_fees_version ON authority_fees;
DROP TRIGGER delivery_targets_version ON delivery_targets;
DROP TRIGGER jurisdictions_version ON jurisdictions;
