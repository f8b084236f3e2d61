-- A delivery's round: how often staff delivered it again. Its jobs carry
-- the round, so that a re-delivery queues a new job while the last
-- round's job is still finishing, and that job then does nothing.

-- +goose Up
ALTER TABLE deliveries ADD COLUMN round INTEGER NOT NULL DEFAULT 0 CHECK (round >= 0);

-- +goose Down
ALTER TABLE deliveries DROP COLUMN round;
