-- Staff roles, limits, second factors and IdP links (package account).
-- staff_roles: a user's role in their tenant, "admin" or
-- "sachbearbeitung"; a user without a row is Sachbearbeitung without
-- limits, as every account was before roles existed.
-- staff_limits: the authorities (kind "behoerde") and services (kind
-- "dienst") a caseworker is limited to; a caseworker with none sees all.
-- staff_totp: the TOTP secret of a local account, sealed; last_step is the
-- last 30-second step a code was accepted for (against replay).
-- staff_oidc: which account a person of the tenant's staff IdP logs in to
-- (by the IdP's issuer and subject).

-- +goose Up
CREATE TABLE staff_roles (
    user_id   TEXT PRIMARY KEY REFERENCES users (id) ON DELETE CASCADE,
    tenant_id TEXT NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    role      TEXT NOT NULL CHECK (role IN ('admin', 'sachbearbeitung'))
);
CREATE TABLE staff_limits (
    user_id   TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    tenant_id TEXT NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    kind      TEXT NOT NULL CHECK (kind IN ('behoerde', 'dienst')),
    ref_id    TEXT NOT NULL,
    PRIMARY KEY (user_id, kind, ref_id)
);
CREATE TABLE staff_totp (
    user_id    TEXT PRIMARY KEY REFERENCES users (id) ON DELETE CASCADE,
    tenant_id  TEXT NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    secret     BLOB NOT NULL,
    last_step  INTEGER NOT NULL DEFAULT 0,
    created_at TEXT NOT NULL
);
CREATE TABLE staff_oidc (
    tenant_id TEXT NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    issuer    TEXT NOT NULL,
    subject   TEXT NOT NULL,
    user_id   TEXT NOT NULL UNIQUE REFERENCES users (id) ON DELETE CASCADE,
    PRIMARY KEY (tenant_id, issuer, subject)
);

-- +goose Down
DROP TABLE staff_oidc;
DROP TABLE staff_totp;
DROP TABLE staff_limits;
DROP TABLE staff_roles;
