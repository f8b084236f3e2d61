package store

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/antrag/antrag/internal/payment"
)

// PaymentAccount returns an authority's ePayment provider account
// (apperr.NotFound if it has none).
func (db *DB) PaymentAccount(ctx context.Context, tenantID, authorityID string) (_ *payment.Account, err error) {
	defer db.wrap(&err, "PaymentAccount(%q, %q)", tenantID, authorityID)
	var sealed []byte
	if err := db.sql.QueryRowContext(ctx, `SELECT payment_account FROM authorities WHERE tenant_id = $1 AND id = $2`,
		tenantID, authorityID).Scan(&sealed); err != nil {
		return nil, err
	}
	if sealed == nil {
		return nil, notFound("payment account of authority " + authorityID)
	}
	b, err := db.box.Open(sealed)
	if err != nil {
		return nil, err
	}
	acc := &payment.Account{}
	if err := json.Unmarshal(b, acc); err != nil {
		return nil, fmt.Errorf("payment account: %w", err)
	}
	return acc, nil
}

// SetPaymentAccount stores (nil: removes) an authority's provider account, sealed.
func (db *DB) SetPaymentAccount(ctx context.Context, tenantID, authorityID string, acc *payment.Account) (err error) {
	defer db.wrap(&err, "SetPaymentAccount(%q, %q)", tenantID, authorityID)
	var sealed []byte
	if acc != nil {
		b, err := json.Marshal(acc)
		if err != nil {
			return err
		}
		sealed = db.box.Seal(b)
	}
	res, err := db.sql.ExecContext(ctx, `UPDATE authorities SET payment_account = $1 WHERE tenant_id = $2 AND id = $3`,
		sealed, tenantID, authorityID)
	if err != nil {
		return err
	}
	return mustAffect(res, "authority "+authorityID)
}
