package store

import (
	"context"

	"github.com/antrag/antrag/internal/account"
)

// CreateUser stores u, setting ID (if empty) and CreatedAt (if zero). A
// taken username (of any tenant) is apperr.Conflict.
func (db *DB) CreateUser(ctx context.Context, u *account.User) (err error) {
	defer db.wrap(&err, "CreateUser(%q)", u.Username)
	id, created := newID(u.ID), db.orNow(u.CreatedAt)
	_, err = db.exec(ctx, `INSERT INTO users (id, tenant_id, username, name, password_hash, created_at, disabled, session_version)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`, id, u.TenantID, u.Username, u.Name, u.PasswordHash, db.ts(created), u.Disabled, u.SessionVersion)
	if err != nil {
		return err
	}
	u.ID, u.CreatedAt = id, created
	return nil
}

const userColumns = `id, tenant_id, username, name, password_hash, created_at, disabled, session_version`

func scanUser(row scanner) (*account.User, error) {
	u := &account.User{}
	if err := row.Scan(&u.ID, &u.TenantID, &u.Username, &u.Name, &u.PasswordHash, timeCol{&u.CreatedAt}, &u.Disabled, &u.SessionVersion); err != nil {
		return nil, err
	}
	return u, nil
}

// UserByUsername returns the user with the username, of any tenant (for
// the login form, which comes before the tenant is known to be the
// user's; the caller checks the tenant).
func (db *DB) UserByUsername(ctx context.Context, username string) (_ *account.User, err error) {
	defer db.wrap(&err, "UserByUsername(%q)", username)
	return scanUser(db.queryRow(ctx, `SELECT `+userColumns+` FROM users WHERE username = $1`, username))
}

// User returns a user of the tenant.
func (db *DB) User(ctx context.Context, tenantID, id string) (_ *account.User, err error) {
	defer db.wrap(&err, "User(%q, %q)", tenantID, id)
	return scanUser(db.queryRow(ctx, `SELECT `+userColumns+` FROM users WHERE tenant_id = $1 AND id = $2`, tenantID, id))
}

// ListUsers lists the tenant's users by username.
func (db *DB) ListUsers(ctx context.Context, tenantID string) (_ []*account.User, err error) {
	defer db.wrap(&err, "ListUsers(%q)", tenantID)
	rows, err := db.query(ctx, `SELECT `+userColumns+` FROM users WHERE tenant_id = $1 ORDER BY username`, tenantID)
	if err != nil {
		return nil, err
	}
	return collect(rows, scanUser)
}

// SetPasswordHash replaces the password hash of a user of the tenant and
// raises their session version.
func (db *DB) SetPasswordHash(ctx context.Context, tenantID, id, hash string) (err error) {
	defer db.wrap(&err, "SetPasswordHash(%q, %q)", tenantID, id)
	res, err := db.exec(ctx, `UPDATE users SET password_hash = $1, session_version = session_version + 1
		WHERE tenant_id = $2 AND id = $3`, hash, tenantID, id)
	if err != nil {
		return err
	}
	return mustAffect(res, "user")
}

// SetDisabled disables or enables a user of the tenant; disabling raises
// their session version.
func (db *DB) SetDisabled(ctx context.Context, tenantID, id string, disabled bool) (err error) {
	defer db.wrap(&err, "SetDisabled(%q, %q, %v)", tenantID, id, disabled)
	raise := 0
	if disabled {
		raise = 1
	}
	res, err := db.exec(ctx, `UPDATE users SET disabled = $1, session_version = session_version + $2
		WHERE tenant_id = $3 AND id = $4`, disabled, raise, tenantID, id)
	if err != nil {
		return err
	}
	return mustAffect(res, "user")
}

// DeleteUser deletes a user of the tenant.
func (db *DB) DeleteUser(ctx context.Context, tenantID, id string) (err error) {
	defer db.wrap(&err, "DeleteUser(%q, %q)", tenantID, id)
	res, err := db.exec(ctx, `DELETE FROM users WHERE tenant_id = $1 AND id = $2`, tenantID, id)
	if err != nil {
		return err
	}
	return mustAffect(res, "user")
}
