package store

import (
	"context"
	"database/sql"
	"errors"
	"slices"
	"strings"

	"github.com/antrag/antrag/internal/tenant"
)

// Municipalities returns the Gemeinden a postcode covers (the postcodes
// table), narrowed to the street where the table has entries for it
// (compared as by tenant.StreetKey), sorted by name; none for an unknown
// postcode. Names come from the areas table where it knows the key.
func (db *DB) Municipalities(ctx context.Context, postcode, street string) (_ []tenant.Municipality, err error) {
	defer db.wrap(&err, "Municipalities(%q)", postcode)
	rows, err := db.sql.QueryContext(ctx, `SELECT p.street, p.ars, coalesce(a.name, p.name)
		FROM postcodes p LEFT JOIN areas a ON a.ars = p.ars WHERE p.postcode = $1`, postcode)
	if err != nil {
		return nil, err
	}
	type entry struct{ street, ars, name string }
	all, err := collect(rows, func(row scanner) (entry, error) {
		var e entry
		return e, row.Scan(&e.street, &e.ars, &e.name)
	})
	if err != nil {
		return nil, err
	}
	pick := func(match func(entry) bool) []tenant.Municipality {
		seen := map[string]bool{}
		var out []tenant.Municipality
		for _, e := range all {
			if match(e) && !seen[e.ars] {
				seen[e.ars] = true
				out = append(out, tenant.Municipality{ARS: e.ars, Name: e.name})
			}
		}
		return out
	}
	var out []tenant.Municipality
	if key := tenant.StreetKey(street); key != "" {
		out = pick(func(e entry) bool { return e.street != "" && tenant.StreetKey(e.street) == key })
	}
	if len(out) == 0 {
		out = pick(func(entry) bool { return true })
	}
	sortMunicipalities(out)
	return out, nil
}

// AreaName returns the name of an area from the areas table, "" when it
// is not there.
func (db *DB) AreaName(ctx context.Context, ars string) (_ string, err error) {
	defer db.wrap(&err, "AreaName(%q)", ars)
	var name string
	err = db.sql.QueryRowContext(ctx, `SELECT name FROM areas WHERE ars = $1`, ars).Scan(&name)
	if errors.Is(err, sql.ErrNoRows) {
		return "", nil
	}
	return name, err
}

func sortMunicipalities(ms []tenant.Municipality) {
	slices.SortFunc(ms, func(a, b tenant.Municipality) int {
		if c := strings.Compare(a.Name, b.Name); c != 0 {
			return c
		}
		return strings.Compare(a.ARS, b.ARS)
	})
}
