-- Upload reservations: the share of a draft's upload quota that an upload
-- in progress holds (package submission, type UploadReservation), so that
-- uploads in parallel cannot together pass the quota. A reservation ends
-- when its attachment is stored or the upload fails; one left behind by a
-- crash stops counting at expires_at.

-- +goose Up
CREATE TABLE upload_reservations (
    id         TEXT PRIMARY KEY,
    tenant_id  TEXT NOT NULL,
    draft_id   TEXT NOT NULL,
    bytes      INTEGER NOT NULL CHECK (bytes >= 0),
    expires_at TEXT NOT NULL,
    FOREIGN KEY (tenant_id, draft_id) REFERENCES drafts (tenant_id, id) ON DELETE CASCADE
);
CREATE INDEX upload_reservations_draft ON upload_reservations (draft_id);

-- +goose Down
DROP TABLE upload_reservations;
