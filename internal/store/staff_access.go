package store

import (
	"context"
	"database/sql"
	"errors"

	"github.com/antrag/antrag/internal/account"
	"github.com/antrag/antrag/internal/apperr"
)

var _ account.AccessStore = (*DB)(nil)

// Access returns a user's role and limits; account.DefaultAccess when
// none is stored. A user not of the tenant is apperr.NotFound.
func (db *DB) Access(ctx context.Context, tenantID, userID string) (_ *account.Access, err error) {
	defer db.wrap(&err, "Access(%q, %q)", tenantID, userID)
	var role sql.NullString
	if err := db.queryRow(ctx, `SELECT r.role FROM users u LEFT JOIN staff_roles r ON r.tenant_id = u.tenant_id AND r.user_id = u.id
		WHERE u.tenant_id = $1 AND u.id = $2`, tenantID, userID).Scan(&role); err != nil {
		return nil, err
	}
	a := account.DefaultAccess()
	if role.Valid {
		a.Role = account.Role(role.String)
	}
	rows, err := db.query(ctx, `SELECT kind, ref_id FROM staff_limits WHERE tenant_id = $1 AND user_id = $2
		ORDER BY kind, ref_id`, tenantID, userID)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	for rows.Next() {
		var kind, ref string
		if err := rows.Scan(&kind, &ref); err != nil {
			return nil, err
		}
		if kind == "behoerde" {
			a.Authorities = append(a.Authorities, ref)
		} else {
			a.Services = append(a.Services, ref)
		}
	}
	return a, rows.Err()
}

// SetAccess replaces a user's role and limits in one transaction. An
// unknown role is apperr.Invalid; a user not of the tenant
// apperr.NotFound.
func (db *DB) SetAccess(ctx context.Context, tenantID, userID string, a *account.Access) (err error) {
	defer db.wrap(&err, "SetAccess(%q, %q)", tenantID, userID)
	if _, err := account.ParseRole(string(a.Role)); err != nil {
		return err
	}
	return db.withTx(ctx, func(tx *sql.Tx) error {
		if err := userOfTenant(ctx, tx, tenantID, userID); err != nil {
			return err
		}
		if _, err := db.txExec(ctx, tx, `INSERT INTO staff_roles (user_id, tenant_id, role) VALUES ($1, $2, $3)
			ON CONFLICT (user_id) DO UPDATE SET role = excluded.role`, userID, tenantID, string(a.Role)); err != nil {
			return err
		}
		if _, err := db.txExec(ctx, tx, `DELETE FROM staff_limits WHERE tenant_id = $1 AND user_id = $2`, tenantID, userID); err != nil {
			return err
		}
		for kind, refs := range map[string][]string{"behoerde": a.Authorities, "dienst": a.Services} {
			for _, ref := range refs {
				if _, err := db.txExec(ctx, tx, `INSERT INTO staff_limits (user_id, tenant_id, kind, ref_id) VALUES ($1, $2, $3, $4)
					ON CONFLICT DO NOTHING`, userID, tenantID, kind, ref); err != nil {
					return err
				}
			}
		}
		return nil
	})
}

// userOfTenant is apperr.NotFound unless the user belongs to the tenant.
func userOfTenant(ctx context.Context, q queryer, tenantID, userID string) error {
	var one int
	err := q.QueryRowContext(ctx, `SELECT 1 FROM users WHERE tenant_id = $1 AND id = $2`, tenantID, userID).Scan(&one)
	if errors.Is(err, sql.ErrNoRows) {
		return notFound("user")
	}
	return err
}

// TOTPSecret returns a user's TOTP secret, opened, and the last step used.
func (db *DB) TOTPSecret(ctx context.Context, tenantID, userID string) (_ string, _ int64, err error) {
	defer db.wrap(&err, "TOTPSecret(%q, %q)", tenantID, userID)
	var sealedSecret []byte
	var step int64
	if err := db.queryRow(ctx, `SELECT secret, last_step FROM staff_totp WHERE tenant_id = $1 AND user_id = $2`,
		tenantID, userID).Scan(&sealedSecret, &step); err != nil {
		return "", 0, err
	}
	secret, err := db.box.Open(sealedSecret)
	if err != nil {
		return "", 0, err
	}
	return string(secret), step, nil
}

// SetTOTPSecret stores a user's TOTP secret sealed, replacing any before.
func (db *DB) SetTOTPSecret(ctx context.Context, tenantID, userID, secret string) (err error) {
	defer db.wrap(&err, "SetTOTPSecret(%q, %q)", tenantID, userID)
	if secret == "" {
		return apperr.Invalid
	}
	return db.withTx(ctx, func(tx *sql.Tx) error {
		if err := userOfTenant(ctx, tx, tenantID, userID); err != nil {
			return err
		}
		_, err := db.txExec(ctx, tx, `INSERT INTO staff_totp (user_id, tenant_id, secret, last_step, created_at) VALUES ($1, $2, $3, 0, $4)
			ON CONFLICT (user_id) DO UPDATE SET secret = excluded.secret, last_step = 0, created_at = excluded.created_at`,
			userID, tenantID, db.box.Seal([]byte(secret)), db.ts(db.nowUTC()))
		return err
	})
}

// DeleteTOTP removes a user's TOTP secret.
func (db *DB) DeleteTOTP(ctx context.Context, tenantID, userID string) (err error) {
	defer db.wrap(&err, "DeleteTOTP(%q, %q)", tenantID, userID)
	res, err := db.exec(ctx, `DELETE FROM staff_totp WHERE tenant_id = $1 AND user_id = $2`, tenantID, userID)
	if err != nil {
		return err
	}
	return mustAffect(res, "TOTP")
}

// UseTOTPStep raises the last used step to step if it is lower, in one
// statement, so that two processes cannot both accept the same code.
func (db *DB) UseTOTPStep(ctx context.Context, tenantID, userID string, step int64) (_ bool, err error) {
	defer db.wrap(&err, "UseTOTPStep(%q, %q)", tenantID, userID)
	res, err := db.exec(ctx, `UPDATE staff_totp SET last_step = $1 WHERE tenant_id = $2 AND user_id = $3 AND last_step < $1`,
		step, tenantID, userID)
	if err != nil {
		return false, err
	}
	n, err := res.RowsAffected()
	return n == 1, err
}

// UserByOIDC returns the user linked to the person.
func (db *DB) UserByOIDC(ctx context.Context, tenantID, issuer, subject string) (_ *account.User, err error) {
	defer db.wrap(&err, "UserByOIDC(%q)", tenantID)
	return scanUser(db.queryRow(ctx, `SELECT `+userColumns+` FROM users WHERE tenant_id = $1 AND id =
		(SELECT user_id FROM staff_oidc WHERE tenant_id = $1 AND issuer = $2 AND subject = $3)`, tenantID, issuer, subject))
}

// LinkOIDC links a user to a person of the tenant's staff IdP.
func (db *DB) LinkOIDC(ctx context.Context, tenantID, issuer, subject, userID string) (err error) {
	defer db.wrap(&err, "LinkOIDC(%q, %q)", tenantID, userID)
	return db.withTx(ctx, func(tx *sql.Tx) error {
		if err := userOfTenant(ctx, tx, tenantID, userID); err != nil {
			return err
		}
		_, err := db.txExec(ctx, tx, `INSERT INTO staff_oidc (tenant_id, issuer, subject, user_id) VALUES ($1, $2, $3, $4)`,
			tenantID, issuer, subject, userID)
		return err
	})
}
