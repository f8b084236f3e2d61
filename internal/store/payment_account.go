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

// AuthorityFee returns an authority's own fee for a service (apperr.NotFound if none).
func (db *DB) AuthorityFee(ctx context.Context, tenantID, authorityID, serviceID string) (_ *payment.Fee, err error) {
	defer db.wrap(&err, "AuthorityFee(%q, %q, %q)", tenantID, authorityID, serviceID)
	var s string
	if err := db.sql.QueryRowContext(ctx, `SELECT fee FROM authority_fees WHERE tenant_id = $1 AND authority_id = $2 AND service_id = $3`,
		tenantID, authorityID, serviceID).Scan(&s); err != nil {
		return nil, err
	}
	f := &payment.Fee{}
	if err := json.Unmarshal([]byte(s), f); err != nil {
		return nil, err
	}
	return f, nil
}
