-- The stored receipt PDF of a submission. See the SQLite migration of the
-- same number for the meaning of each column.

-- +goose Up
ALTER TABLE submissions ADD COLUMN receipt_key TEXT COLLATE "C" NOT NULL DEFAULT '';
ALTER TABLE submissions ADD COLUMN receipt_fingerprint TEXT COLLATE "C" NOT NULL DEFAULT '';

-- +goose Down
ALTER TABLE submissions DROP COLUMN receipt_fingerprint;
ALTER TABLE submissions DROP COLUMN receipt_key;
