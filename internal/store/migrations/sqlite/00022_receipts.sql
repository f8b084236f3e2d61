-- The stored receipt PDF of a submission (rendered on its first download).
-- submissions.receipt_key is the key of its content in the blob store
-- (sealed there like attachments), '' for none; receipt_fingerprint is
-- receipt.Fingerprint of what it shows, so that a receipt whose content
-- has changed since (the payment, the authority's address) is rendered
-- again. Both are cleared, and the content deleted, when the data are
-- purged.

-- +goose Up
ALTER TABLE submissions ADD COLUMN receipt_key TEXT NOT NULL DEFAULT '';
ALTER TABLE submissions ADD COLUMN receipt_fingerprint TEXT NOT NULL DEFAULT '';

-- +goose Down
ALTER TABLE submissions DROP COLUMN receipt_fingerprint;
ALTER TABLE submissions DROP COLUMN receipt_key;
