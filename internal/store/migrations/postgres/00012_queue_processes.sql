-- The processes working the job queue, each with the time of its last
-- heartbeat (the database's clock), so that the jobs a dead process left
-- running are taken over within seconds instead of after River's rescue
-- time. id is the process's River client id.

-- +goose Up
CREATE TABLE queue_processes (
    id      TEXT COLLATE "C" PRIMARY KEY,
    seen_at TIMESTAMPTZ NOT NULL
);

-- +goose Down
DROP TABLE queue_processes;
