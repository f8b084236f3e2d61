-- The caseworker inbox at scale: the sender's own reference of a received
-- submission (FIT-Connect additionalReferenceInfo.senderReference; so far
-- only in the text of its audit trail, which fills the column for the
-- submissions received before), and indexes for the inbox order
-- (submitted_at, then id, both descending), its filters and its search.

-- +goose Up
ALTER TABLE submissions ADD COLUMN sender_ref TEXT NOT NULL DEFAULT '';
UPDATE submissions SET sender_ref = COALESCE((
    SELECT substr(e.detail, instr(e.detail, ', Zeichen des Absenders ') + 24)
    FROM events e
    WHERE e.tenant_id = submissions.tenant_id AND e.submission_id = submissions.id
      AND e.action = 'eingegangen über FIT-Connect' AND instr(e.detail, ', Zeichen des Absenders ') > 0
    ORDER BY e.id LIMIT 1), '')
WHERE source = 'fitconnect';
CREATE INDEX submissions_sender_ref ON submissions (tenant_id, sender_ref) WHERE sender_ref <> '';
DROP INDEX submissions_inbox;
CREATE INDEX submissions_inbox ON submissions (tenant_id, submitted_at, id);
CREATE INDEX submissions_inbox_status ON submissions (tenant_id, status, submitted_at, id);
CREATE INDEX submissions_inbox_service ON submissions (tenant_id, service_id, submitted_at, id);
CREATE INDEX deliveries_state ON deliveries (tenant_id, state, submission_id);

-- +goose Down
DROP INDEX deliveries_state;
DROP INDEX submissions_inbox_service;
DROP INDEX submissions_inbox_status;
DROP INDEX submissions_inbox;
CREATE INDEX submissions_inbox ON submissions (tenant_id, submitted_at);
DROP INDEX submissions_sender_ref;
ALTER TABLE submissions DROP COLUMN sender_ref;
