package store

// The reference data of package area: the ARS areas and the postcode
// table. Both are global, not owned by a tenant (migration 00020): these
// methods take no tenant.

import (
	"context"
	"database/sql"
	"fmt"
	"slices"
	"strings"

	"github.com/antrag/antrag/internal/apperr"
	"github.com/antrag/antrag/internal/area"
)

// insertBatch is how many rows one INSERT writes: 4 parameters a row stay
// far below SQLite's (32766) and PostgreSQL's (65535) limit of parameters.
const insertBatch = 500

// ReplaceAreas stores areas in one transaction, replacing the levels they
// cover: every stored area of a level that occurs in areas is deleted
// first, areas of other levels stay. So importing the Regionalschlüssel
// list (Gemeinden) replaces all Gemeinden, including ones merged away
// since the last import, and importing the Kreis list afterwards replaces
// the Kreise and keeps the Gemeinden. An invalid area (area.Validate) or a
// key given twice is apperr.Invalid, and nothing is stored; an empty list
// changes nothing.
func (db *DB) ReplaceAreas(ctx context.Context, areas []area.Area) (err error) {
	defer db.wrap(&err, "ReplaceAreas(%d)", len(areas))
	var levels []area.Level
	seen := make(map[string]bool, len(areas))
	for _, a := range areas {
		if err := a.Validate(); err != nil {
			return err
		}
		if seen[a.ARS] {
			return fmt.Errorf("Gebiet %s kommt mehrfach vor: %w", a.ARS, apperr.Invalid)
		}
		seen[a.ARS] = true
		if !slices.Contains(levels, a.Level) {
			levels = append(levels, a.Level)
		}
	}
	if len(areas) == 0 {
		return nil
	}
	return db.withTx(ctx, func(tx *sql.Tx) error {
		for _, l := range levels {
			if _, err := db.txExec(ctx, tx, `DELETE FROM areas WHERE level = $1`, string(l)); err != nil {
				return err
			}
		}
		return insertRows(ctx, tx, "areas (ars, name, level, parent)", len(areas), func(i int) []any {
			a := areas[i]
			return []any{a.ARS, a.Name, string(a.Level), a.Parent}
		})
	})
}

// ReplacePostcodes replaces the whole postcode table with entries, in one
// transaction. Every entry needs a postcode of 5 digits, a Gemeinde's ARS
// (resolve AGS first: area.ResolveAGS) and a name, else the call is
// apperr.Invalid and nothing changes. Entries are stored as given (the
// AGS is not kept); a repeated entry is harmless, as area.Lookup counts
// each Gemeinde once.
func (db *DB) ReplacePostcodes(ctx context.Context, entries []area.PostcodeEntry) (err error) {
	defer db.wrap(&err, "ReplacePostcodes(%d)", len(entries))
	for _, e := range entries {
		if err := checkPostcode(e.Postcode); err != nil {
			return err
		}
		if l, err := area.LevelOf(e.ARS); err != nil || l != area.Gemeinde {
			return fmt.Errorf("Postleitzahl %s: %q ist kein Regionalschlüssel einer Gemeinde: %w", e.Postcode, e.ARS, apperr.Invalid)
		}
		if strings.TrimSpace(e.Name) == "" {
			return fmt.Errorf("Postleitzahl %s ohne Ortsnamen: %w", e.Postcode, apperr.Invalid)
		}
	}
	return db.withTx(ctx, func(tx *sql.Tx) error {
		if _, err := db.txExec(ctx, tx, `DELETE FROM postcodes`); err != nil {
			return err
		}
		return insertRows(ctx, tx, "postcodes (postcode, street, ars, name)", len(entries), func(i int) []any {
			e := entries[i]
			return []any{e.Postcode, e.Street, e.ARS, e.Name}
		})
	})
}

// insertRows inserts n rows of 4 columns into table ("name (columns)"),
// insertBatch rows a statement, with one prepared statement for the full
// batches.
func insertRows(ctx context.Context, tx *sql.Tx, table string, n int, row func(i int) []any) error {
	const cols = 4
	stmtFor := func(rows int) string {
		var b strings.Builder
		b.WriteString("INSERT INTO " + table + " VALUES ")
		for r := range rows {
			if r > 0 {
				b.WriteByte(',')
			}
			p := r * cols
			fmt.Fprintf(&b, "($%d, $%d, $%d, $%d)", p+1, p+2, p+3, p+4)
		}
		return b.String()
	}
	var full *sql.Stmt
	if n >= insertBatch {
		var err error
		if full, err = tx.PrepareContext(ctx, stmtFor(insertBatch)); err != nil {
			return err
		}
		defer full.Close()
	}
	args := make([]any, 0, insertBatch*cols)
	for start := 0; start < n; start += insertBatch {
		end := min(start+insertBatch, n)
		args = args[:0]
		for i := start; i < end; i++ {
			args = append(args, row(i)...)
		}
		var err error
		if end-start == insertBatch {
			_, err = full.ExecContext(ctx, args...)
		} else {
			_, err = tx.ExecContext(ctx, stmtFor(end-start), args...)
		}
		if err != nil {
			return err
		}
	}
	return nil
}

const areaColumns = `ars, name, level, parent`

func scanArea(row scanner) (area.Area, error) {
	var a area.Area
	var level string
	err := row.Scan(&a.ARS, &a.Name, &level, &a.Parent)
	a.Level = area.Level(level)
	return a, err
}

// Area returns the area with the key ars; an unknown key is
// apperr.NotFound.
func (db *DB) Area(ctx context.Context, ars string) (_ area.Area, err error) {
	defer db.wrap(&err, "Area(%q)", ars)
	return scanArea(db.queryRow(ctx, `SELECT `+areaColumns+` FROM areas WHERE ars = $1`, ars))
}

// Areas returns the stored areas whose key starts with prefix (digits;
// "" for all) and, unless level is "", are of that level, sorted by key.
// A prefix that is not digits is apperr.Invalid.
func (db *DB) Areas(ctx context.Context, prefix string, level area.Level) (_ []area.Area, err error) {
	defer db.wrap(&err, "Areas(%q, %q)", prefix, level)
	for _, c := range prefix {
		if c < '0' || c > '9' {
			return nil, fmt.Errorf("Schlüsselanfang %q: nur Ziffern: %w", prefix, apperr.Invalid)
		}
	}
	// ':' follows '9': the keys starting with prefix are [prefix, prefix:),
	// a range the primary key's index serves on both databases.
	rows, err := db.query(ctx, `SELECT `+areaColumns+` FROM areas
		WHERE ars >= $1 AND ars < $2 AND ($3 = '' OR level = $3) ORDER BY ars`, prefix, prefix+":", string(level))
	if err != nil {
		return nil, err
	}
	return collect(rows, scanArea)
}

// Municipalities returns the Gemeinden that postcode (and street, if not
// empty) lie in, by area.Lookup on the postcode's entries: those of the
// street if it matches any, else all of the postcode. Each carries its
// name from the areas where known, else the postcode table's place name.
// A postcode that is not 5 digits is apperr.Invalid, one the table lacks
// apperr.NotFound.
func (db *DB) Municipalities(ctx context.Context, postcode, street string) (_ []area.Area, err error) {
	defer db.wrap(&err, "Municipalities(%q)", postcode)
	if err := checkPostcode(postcode); err != nil {
		return nil, err
	}
	rows, err := db.query(ctx, `SELECT p.street, p.ars, coalesce(a.name, p.name)
		FROM postcodes p LEFT JOIN areas a ON a.ars = p.ars WHERE p.postcode = $1`, postcode)
	if err != nil {
		return nil, err
	}
	entries, err := collect(rows, func(row scanner) (area.PostcodeEntry, error) {
		e := area.PostcodeEntry{Postcode: postcode}
		err := row.Scan(&e.Street, &e.ARS, &e.Name)
		return e, err
	})
	if err != nil {
		return nil, err
	}
	found := area.Lookup(entries, postcode, street)
	if len(found) == 0 {
		return nil, notFound("Postleitzahl " + postcode)
	}
	return found, nil
}

// PostcodeCount returns how many entries the postcode table has.
func (db *DB) PostcodeCount(ctx context.Context) (n int, err error) {
	defer db.wrap(&err, "PostcodeCount")
	err = db.queryRow(ctx, `SELECT count(*) FROM postcodes`).Scan(&n)
	return n, err
}

func checkPostcode(p string) error {
	if len(p) != 5 || strings.Trim(p, "0123456789") != "" {
		return fmt.Errorf("Postleitzahl %q: 5 Ziffern: %w", p, apperr.Invalid)
	}
	return nil
}
