-- Operator pages: the Impressum, Datenschutzerklärung and Erklärung zur
-- Barrierefreiheit a tenant or authority sets, as a JSON object (package
-- tenant, type Pages); '{}' sets none.

-- +goose Up
ALTER TABLE tenants ADD COLUMN pages TEXT NOT NULL DEFAULT '{}';
ALTER TABLE authorities ADD COLUMN pages TEXT NOT NULL DEFAULT '{}';

-- +goose Down
ALTER TABLE authorities DROP COLUMN pages;
ALTER TABLE tenants DROP COLUMN pages;
