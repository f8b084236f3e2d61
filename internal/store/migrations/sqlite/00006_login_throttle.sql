-- The login throttle's token buckets, in the database so that every
-- process sharing it counts the same failed attempts. key is a user name
-- (and client address); no password or other personal data.

-- +goose Up
CREATE TABLE login_throttle (
    key        TEXT PRIMARY KEY,
    tokens     REAL NOT NULL,
    updated_at TEXT NOT NULL
);
CREATE INDEX login_throttle_updated ON login_throttle (updated_at);

-- +goose Down
DROP TABLE login_throttle;
