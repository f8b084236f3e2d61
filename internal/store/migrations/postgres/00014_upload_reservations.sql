-- Upload reservations: the share of a draft's upload quota that an upload
-- in progress holds (package submission, type UploadReservation), so that
-- uploads in parallel cannot together pass the quota. A reservation ends
-- when its attachment is stored or the upload fails; one left behind by a
-- crash stops counting at expires_at.

-- +goose Up
CREATE TABLE upload_reservations (
    id         TEXT COLLATE "C" PRIMARY KEY,
    tenant_id  TEXT COLLATE "C" NOT NULL,
    draft_id   TEXT COLLATE "C" NOT NULL,
    bytes      BIGINT NOT NULL CHECK (bytes >= 0),
    expires_at TIMESTAMPTZ NOT NULL,
    FOREIGN KEY (tenant_id, draft_id) REFERENCES drafts (tenant_id, id) ON DELETE CASCADE
);
CREATE INDEX upload_reservations_draft ON upload_reservations (draft_id);

-- +goose Down
DROP TABLE upload_reservations;
