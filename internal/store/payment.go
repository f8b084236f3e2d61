package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"slices"

	"github.com/antrag/antrag/internal/payment"
	"github.com/antrag/antrag/internal/tenant"
)

// encodeFee validates f and returns it as stored: its JSON, "" for none.
func encodeFee(f *payment.Fee) (string, error) {
	if f == nil {
		return "", nil
	}
	if err := f.Validate(); err != nil {
		return "", err
	}
	b, err := json.Marshal(f)
	return string(b), err
}

// decodeFee reads a stored fee ("" for none).
func decodeFee(s string) (*payment.Fee, error) {
	if s == "" {
		return nil, nil
	}
	f := &payment.Fee{}
	if err := json.Unmarshal([]byte(s), f); err != nil {
		return nil, fmt.Errorf("fee: %w", err)
	}
	return f, nil
}

// AuthorityFee returns the authority's own fee for a service; none is
// apperr.NotFound (the service's fee then applies, see payment.Effective).
func (db *DB) AuthorityFee(ctx context.Context, tenantID, authorityID, serviceID string) (_ *payment.Fee, err error) {
	defer db.wrap(&err, "AuthorityFee(%q, %q, %q)", tenantID, authorityID, serviceID)
	return cachedLoad(ctx, db, "fee\x00"+tenantID+"\x00"+authorityID+"\x00"+serviceID, func() (*payment.Fee, error) {
		var s string
		if err := db.queryRow(ctx, `SELECT fee FROM authority_fees
			WHERE tenant_id = $1 AND authority_id = $2 AND service_id = $3`, tenantID, authorityID, serviceID).Scan(&s); err != nil {
			return nil, err
		}
		return decodeFee(s)
	}, cloneFee)
}

// cloneFee copies a fee and its list of items.
func cloneFee(f *payment.Fee) *payment.Fee {
	if f == nil {
		return nil
	}
	c := *f
	c.Items = slices.Clone(f.Items)
	return &c
}

// AuthorityFees returns the authority's own fees by service id (an empty
// map for none).
func (db *DB) AuthorityFees(ctx context.Context, tenantID, authorityID string) (_ map[string]*payment.Fee, err error) {
	defer db.wrap(&err, "AuthorityFees(%q, %q)", tenantID, authorityID)
	rows, err := db.query(ctx, `SELECT service_id, fee FROM authority_fees
		WHERE tenant_id = $1 AND authority_id = $2 ORDER BY service_id`, tenantID, authorityID)
	if err != nil {
		return nil, err
	}
	type row struct {
		service string
		fee     *payment.Fee
	}
	list, err := collect(rows, func(r scanner) (row, error) {
		var out row
		var s string
		if err := r.Scan(&out.service, &s); err != nil {
			return out, err
		}
		out.fee, err = decodeFee(s)
		return out, err
	})
	if err != nil {
		return nil, err
	}
	fees := make(map[string]*payment.Fee, len(list))
	for _, r := range list {
		fees[r.service] = r.fee
	}
	return fees, nil
}

// SetAuthorityFee sets the authority's own fee for a service (its own or
// a shared one), validated by payment.Fee.Validate (apperr.Invalid), and
// records the events in the same transaction; a nil f removes it. An
// authority or service the tenant does not have is apperr.NotFound.
func (db *DB) SetAuthorityFee(ctx context.Context, tenantID, authorityID, serviceID string, f *payment.Fee, evs ...*tenant.AuditEvent) (err error) {
	defer db.wrap(&err, "SetAuthorityFee(%q, %q, %q)", tenantID, authorityID, serviceID)
	fee, err := encodeFee(f)
	if err != nil {
		return err
	}
	return db.withTx(ctx, func(tx *sql.Tx) error {
		if err := authorityAndService(ctx, tx, tenantID, authorityID, serviceID); err != nil {
			return err
		}
		if f == nil {
			if _, err := db.txExec(ctx, tx, `DELETE FROM authority_fees
				WHERE tenant_id = $1 AND authority_id = $2 AND service_id = $3`, tenantID, authorityID, serviceID); err != nil {
				return err
			}
		} else if _, err := db.txExec(ctx, tx, `INSERT INTO authority_fees (tenant_id, authority_id, service_id, fee)
			VALUES ($1, $2, $3, $4)
			ON CONFLICT (tenant_id, authority_id, service_id) DO UPDATE SET fee = excluded.fee`,
			tenantID, authorityID, serviceID, fee); err != nil {
			return err
		}
		return db.insertAudits(ctx, tx, tenantID, authorityID, evs)
	})
}

// authorityAndService checks that the tenant has the authority and the
// service (its own or a shared one).
func authorityAndService(ctx context.Context, tx *sql.Tx, tenantID, authorityID, serviceID string) error {
	var one int
	if err := tx.QueryRowContext(ctx, `SELECT 1 FROM authorities WHERE tenant_id = $1 AND id = $2`,
		tenantID, authorityID).Scan(&one); err != nil {
		if errors.Is(err, sql.ErrNoRows) {
			return notFound("authority")
		}
		return err
	}
	if err := tx.QueryRowContext(ctx, `SELECT 1 FROM services WHERE id = $1 AND (tenant_id = $2 OR shared)`,
		serviceID, tenantID).Scan(&one); err != nil {
		if errors.Is(err, sql.ErrNoRows) {
			return notFound("service")
		}
		return err
	}
	return nil
}

// PaymentAccount returns the authority's access to its ePayment provider,
// with its secrets (the column is sealed). An authority without one, or
// unknown, is apperr.NotFound.
func (db *DB) PaymentAccount(ctx context.Context, tenantID, authorityID string) (_ *payment.Account, err error) {
	defer db.wrap(&err, "PaymentAccount(%q, %q)", tenantID, authorityID)
	var sealedAccount []byte
	if err := db.queryRow(ctx, `SELECT payment_account FROM authorities WHERE tenant_id = $1 AND id = $2`,
		tenantID, authorityID).Scan(&sealedAccount); err != nil {
		return nil, err
	}
	if sealedAccount == nil {
		return nil, notFound("payment account")
	}
	plain, err := db.box.Open(sealedAccount)
	if err != nil {
		return nil, fmt.Errorf("payment account: %w", err)
	}
	a := &payment.Account{}
	if err := json.Unmarshal(plain, a); err != nil {
		return nil, fmt.Errorf("payment account: %w", err)
	}
	return a, nil
}

// SetPaymentAccount stores the authority's access to its ePayment
// provider, sealed, and records the events in the same transaction
// (their details must hold no secret); a nil a removes it. An unknown
// authority is apperr.NotFound, an account payment.ValidateAccount
// refuses apperr.Invalid.
func (db *DB) SetPaymentAccount(ctx context.Context, tenantID, authorityID string, a *payment.Account, evs ...*tenant.AuditEvent) (err error) {
	defer db.wrap(&err, "SetPaymentAccount(%q, %q)", tenantID, authorityID)
	var sealedAccount []byte
	if a != nil {
		if err := payment.ValidateAccount(a); err != nil {
			return err
		}
		b, err := json.Marshal(a)
		if err != nil {
			return err
		}
		sealedAccount = db.box.Seal(b)
	}
	return db.withTx(ctx, func(tx *sql.Tx) error {
		res, err := db.txExec(ctx, tx, `UPDATE authorities SET payment_account = $1 WHERE tenant_id = $2 AND id = $3`,
			sealedAccount, tenantID, authorityID)
		if err != nil {
			return err
		}
		if err := mustAffect(res, "authority"); err != nil {
			return err
		}
		return db.insertAudits(ctx, tx, tenantID, authorityID, evs)
	})
}
