-- +goose Up
-- One known value sealed with the installation's data key, written on the
-- first start: Open refuses a key that cannot open it, so that a database
-- never holds data sealed with two keys.
CREATE TABLE key_check (
    id     INTEGER PRIMARY KEY CHECK (id = 1),
    sealed BLOB NOT NULL
);

-- +goose Down
DROP TABLE key_check;
