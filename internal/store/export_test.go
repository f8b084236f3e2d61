package store

// What the tests of package store_test need from the package's inside.

import (
	"database/sql"

	"github.com/pressly/goose/v3"
	"github.com/riverqueue/river/riverdriver"
)

// Query parts of the lookups that must use the partial indexes.
const (
	SubmissionColumns   = submissionColumns
	WhereIdempotencyKey = whereIdempotencyKey
	WhereExternalRef    = whereExternalRef
)

// GooseProvider returns goose's provider of antrag's migrations on db.
func GooseProvider(db *DB) (*goose.Provider, error) { return gooseProvider(db.d) }

// RiverDriver returns River's driver on db.
func RiverDriver(db *DB) riverdriver.Driver[*sql.Tx] { return db.d.riverDriver() }
