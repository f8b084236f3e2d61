package store

import (
	"context"
	"database/sql"
	"errors"
)

// AreaName returns the name of an area from the areas table, "" when it
// is not there.
func (db *DB) AreaName(ctx context.Context, ars string) (_ string, err error) {
	defer db.wrap(&err, "AreaName(%q)", ars)
	var name string
	err = db.queryRow(ctx, `SELECT name FROM areas WHERE ars = $1`, ars).Scan(&name)
	if errors.Is(err, sql.ErrNoRows) {
		return "", nil
	}
	return name, err
}
