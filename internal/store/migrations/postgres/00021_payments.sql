-- ePayment: service and authority fees, the authorities' provider
-- accounts, the applications' payment state and the payment attempts.
-- See the SQLite migration of the same number for the meaning of each
-- column.

-- +goose Up
ALTER TABLE services ADD COLUMN fee TEXT COLLATE "C" NOT NULL DEFAULT '';
ALTER TABLE authorities ADD COLUMN payment_account BYTEA;
CREATE TABLE authority_fees (
    tenant_id    TEXT COLLATE "C" NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    authority_id TEXT COLLATE "C" NOT NULL,
    service_id   TEXT COLLATE "C" NOT NULL REFERENCES services (id) ON DELETE CASCADE,
    fee          TEXT COLLATE "C" NOT NULL,
    PRIMARY KEY (tenant_id, authority_id, service_id),
    FOREIGN KEY (tenant_id, authority_id) REFERENCES authorities (tenant_id, id) ON DELETE CASCADE
);
ALTER TABLE submissions ADD COLUMN payment TEXT COLLATE "C" NOT NULL DEFAULT '';
ALTER TABLE submissions ADD COLUMN bill TEXT COLLATE "C" NOT NULL DEFAULT '';
CREATE TABLE payments (
    id                    TEXT COLLATE "C" PRIMARY KEY,
    tenant_id             TEXT COLLATE "C" NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    submission_id         TEXT COLLATE "C" NOT NULL REFERENCES submissions (id) ON DELETE CASCADE,
    authority_id          TEXT COLLATE "C" NOT NULL DEFAULT '',
    attempt               INTEGER NOT NULL,
    request_id            TEXT COLLATE "C" NOT NULL UNIQUE,
    amount                BIGINT NOT NULL,
    status                TEXT COLLATE "C" NOT NULL,
    transaction_id        TEXT COLLATE "C" NOT NULL DEFAULT '',
    transaction_reference TEXT COLLATE "C" NOT NULL DEFAULT '',
    transaction_url       TEXT COLLATE "C" NOT NULL DEFAULT '',
    redirect_url          TEXT COLLATE "C" NOT NULL DEFAULT '',
    method                TEXT COLLATE "C" NOT NULL DEFAULT '',
    method_detail         TEXT COLLATE "C" NOT NULL DEFAULT '',
    status_detail         TEXT COLLATE "C" NOT NULL DEFAULT '',
    problem               TEXT COLLATE "C" NOT NULL DEFAULT '',
    paid_at               TIMESTAMPTZ,
    created_at            TIMESTAMPTZ NOT NULL,
    updated_at            TIMESTAMPTZ NOT NULL,
    checked_at            TIMESTAMPTZ,
    next_check_at         TIMESTAMPTZ,
    closed_at             TIMESTAMPTZ,
    UNIQUE (tenant_id, submission_id, attempt)
);
CREATE INDEX payments_due ON payments (next_check_at) WHERE next_check_at IS NOT NULL;
CREATE INDEX payments_submission ON payments (tenant_id, submission_id);

-- +goose Down
DROP TABLE payments;
ALTER TABLE submissions DROP COLUMN bill;
ALTER TABLE submissions DROP COLUMN payment;
DROP TABLE authority_fees;
ALTER TABLE authorities DROP COLUMN payment_account;
ALTER TABLE services DROP COLUMN fee;
