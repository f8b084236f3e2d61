-- The request that made a JSON API submission: the hex SHA-256 of its
-- method, form and canonical data (package submission, RequestSHA256).
-- A retry with the submission's Idempotency-Key or upload session answers
-- with it only if the request is the same; '' for submissions made before,
-- through the HTML journey or received from elsewhere.

-- +goose Up
ALTER TABLE submissions ADD COLUMN request_sha256 TEXT NOT NULL DEFAULT '';

-- +goose Down
ALTER TABLE submissions DROP COLUMN request_sha256;
