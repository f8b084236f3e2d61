-- Attachment file names often name a person ("Mutterpass Erika
-- Mustermann.pdf"): they are sealed like the application data. New rows
-- keep filename empty and the sealed name in filename_sealed; Open seals
-- the names of older rows (it needs the data key, which SQL has not).

-- +goose Up
ALTER TABLE attachments ADD COLUMN filename_sealed BLOB;

-- +goose Down
ALTER TABLE attachments DROP COLUMN filename_sealed;
