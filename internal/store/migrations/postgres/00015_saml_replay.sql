-- The SAML replay cache: the ids of assertions (and logout requests) that
-- a service provider has accepted, until they expire, in the database so
-- that every process sharing it refuses a message another process has
-- already taken. key is a SHA-256 of the identity provider's entity id and
-- the message id (hex); no personal data.

-- +goose Up
CREATE TABLE saml_replay (
    key        TEXT COLLATE "C" PRIMARY KEY,
    expires_at TIMESTAMPTZ NOT NULL
);
CREATE INDEX saml_replay_expires ON saml_replay (expires_at);

-- +goose Down
DROP TABLE saml_replay;
