-- ePayment (package payment; XBezahldienste 1.0.0).
-- services.fee is the service's fee as JSON (payment.Fee; '' for none);
-- authority_fees is an authority's own fee for a service, which wins over
-- the service's; authorities.payment_account is the authority's access to
-- its ePayment provider (payment.Account as JSON, sealed: it holds
-- secrets), NULL for none.
-- submissions.payment is the application's payment state ('' nothing to
-- pay, 'open' held until paid, 'paid', 'deferred' invoiced later,
-- 'waived' an optional fee not paid online) and submissions.bill the fee
-- computed for it (payment.Bill as JSON, '' for none). An application
-- whose payment is 'open' has no deliveries: they are made in the
-- transaction that records its payment.
-- payments are the attempts to pay an application, one payment
-- transaction at the provider each (request_id is the attempt's
-- XBezahldienste requestId); next_check_at is when reconciliation asks
-- the provider next (NULL once the attempt is closed).

-- +goose Up
ALTER TABLE services ADD COLUMN fee TEXT NOT NULL DEFAULT '';
ALTER TABLE authorities ADD COLUMN payment_account BLOB;
CREATE TABLE authority_fees (
    tenant_id    TEXT NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    authority_id TEXT NOT NULL,
    service_id   TEXT NOT NULL REFERENCES services (id) ON DELETE CASCADE,
    fee          TEXT NOT NULL,
    PRIMARY KEY (tenant_id, authority_id, service_id),
    FOREIGN KEY (tenant_id, authority_id) REFERENCES authorities (tenant_id, id) ON DELETE CASCADE
);
ALTER TABLE submissions ADD COLUMN payment TEXT NOT NULL DEFAULT '';
ALTER TABLE submissions ADD COLUMN bill TEXT NOT NULL DEFAULT '';
CREATE TABLE payments (
    id                    TEXT PRIMARY KEY,
    tenant_id             TEXT NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    submission_id         TEXT NOT NULL REFERENCES submissions (id) ON DELETE CASCADE,
    authority_id          TEXT NOT NULL DEFAULT '',
    attempt               INTEGER NOT NULL,
    request_id            TEXT NOT NULL UNIQUE,
    amount                INTEGER NOT NULL,
    status                TEXT NOT NULL,
    transaction_id        TEXT NOT NULL DEFAULT '',
    transaction_reference TEXT NOT NULL DEFAULT '',
    transaction_url       TEXT NOT NULL DEFAULT '',
    redirect_url          TEXT NOT NULL DEFAULT '',
    method                TEXT NOT NULL DEFAULT '',
    method_detail         TEXT NOT NULL DEFAULT '',
    status_detail         TEXT NOT NULL DEFAULT '',
    problem               TEXT NOT NULL DEFAULT '',
    paid_at               TEXT,
    created_at            TEXT NOT NULL,
    updated_at            TEXT NOT NULL,
    checked_at            TEXT,
    next_check_at         TEXT,
    closed_at             TEXT,
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
