-- Login hardening. The login throttle's keys become keyed hashes
-- (HMAC-SHA256 under a key derived from the data key, hex) of user names,
-- client addresses and devices: a user name typed at the login is often a
-- password typed into the wrong field. The buckets written before held
-- them in plain text; they are only minutes of login history, so they
-- are deleted rather than rewritten.
--
-- Caseworker accounts can be disabled, and a session ends when the
-- account's session_version differs from the one it was opened with: a
-- new password or disabling the account raises it.

-- +goose Up
DELETE FROM login_throttle;
ALTER TABLE users ADD COLUMN disabled BOOLEAN NOT NULL DEFAULT FALSE;
ALTER TABLE users ADD COLUMN session_version BIGINT NOT NULL DEFAULT 0 CHECK (session_version >= 0);

-- +goose Down
ALTER TABLE users DROP COLUMN session_version;
ALTER TABLE users DROP COLUMN disabled;
