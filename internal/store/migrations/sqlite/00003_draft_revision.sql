-- +goose Up
-- Every save of a draft increments its revision; a save based on an older
-- revision is refused (two tabs posting at once must not lose a step).
ALTER TABLE drafts ADD COLUMN revision INTEGER NOT NULL DEFAULT 0;

-- +goose Down
ALTER TABLE drafts DROP COLUMN revision;
