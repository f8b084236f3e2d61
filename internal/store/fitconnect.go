package store

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/antrag/antrag/internal/delivery"
)

// accountSecrets is the sealed part of a FIT-Connect account.
type accountSecrets struct {
	ClientSecret   string `json:"clientSecret"`
	CallbackSecret []byte `json:"callbackSecret,omitempty"`
	PrivateKeys    []byte `json:"privateKeys,omitempty"`
}

// SetFITConnectAccount creates or replaces a FIT-Connect account; see
// delivery.AccountStore.
func (db *DB) SetFITConnectAccount(ctx context.Context, a *delivery.FITConnectAccount) (err error) {
	defer db.wrap(&err, "SetFITConnectAccount(%q, %q)", a.TenantID, a.Role)
	if err := a.Validate(); err != nil {
		return err
	}
	secrets, err := json.Marshal(accountSecrets{a.ClientSecret, a.CallbackSecret, a.PrivateKeys})
	if err != nil {
		return err
	}
	a.CreatedAt = db.nowUTC()
	_, err = db.exec(ctx, `INSERT INTO fitconnect_accounts
		(tenant_id, role, destination_id, client_id, secrets, created_at) VALUES ($1, $2, $3, $4, $5, $6)
		ON CONFLICT (tenant_id, role, destination_id) DO UPDATE SET client_id = excluded.client_id,
		secrets = excluded.secrets, created_at = excluded.created_at`,
		a.TenantID, a.Role, a.DestinationID, a.ClientID, db.box.Seal(secrets), db.ts(a.CreatedAt))
	return err
}

const accountColumns = `tenant_id, role, destination_id, client_id, secrets, created_at`

func (db *DB) scanAccount(row scanner) (*delivery.FITConnectAccount, error) {
	a := &delivery.FITConnectAccount{}
	var sealedSecrets []byte
	if err := row.Scan(&a.TenantID, &a.Role, &a.DestinationID, &a.ClientID, &sealedSecrets, timeCol{&a.CreatedAt}); err != nil {
		return nil, err
	}
	plain, err := db.box.Open(sealedSecrets)
	if err != nil {
		return nil, fmt.Errorf("FIT-Connect account: %w", err)
	}
	var s accountSecrets
	if err := json.Unmarshal(plain, &s); err != nil {
		return nil, fmt.Errorf("FIT-Connect account: %w", err)
	}
	a.ClientSecret, a.CallbackSecret, a.PrivateKeys = s.ClientSecret, s.CallbackSecret, s.PrivateKeys
	return a, nil
}

// FITConnectSender returns the tenant's sender account.
func (db *DB) FITConnectSender(ctx context.Context, tenantID string) (_ *delivery.FITConnectAccount, err error) {
	defer db.wrap(&err, "FITConnectSender(%q)", tenantID)
	return db.scanAccount(db.queryRow(ctx, `SELECT `+accountColumns+` FROM fitconnect_accounts
		WHERE tenant_id = $1 AND role = $2 AND destination_id = ''`, tenantID, delivery.RoleSender))
}

// FITConnectDestination returns the subscriber account of a destination.
func (db *DB) FITConnectDestination(ctx context.Context, destinationID string) (_ *delivery.FITConnectAccount, err error) {
	defer db.wrap(&err, "FITConnectDestination(%q)", destinationID)
	return db.scanAccount(db.queryRow(ctx, `SELECT `+accountColumns+` FROM fitconnect_accounts
		WHERE role = $1 AND destination_id = $2`, delivery.RoleSubscriber, destinationID))
}

// FITConnectDestinations lists all subscriber accounts.
func (db *DB) FITConnectDestinations(ctx context.Context) (_ []*delivery.FITConnectAccount, err error) {
	defer db.wrap(&err, "FITConnectDestinations")
	rows, err := db.query(ctx, `SELECT `+accountColumns+` FROM fitconnect_accounts
		WHERE role = $1 ORDER BY tenant_id, destination_id`, delivery.RoleSubscriber)
	if err != nil {
		return nil, err
	}
	return collect(rows, db.scanAccount)
}
