package postgres_test

import (
	"context"
	"errors"
	"testing"

	"github.com/antrag/antrag/internal/store/postgres"
	"github.com/antrag/antrag/internal/store/postgres/pgtest"
)

// TestMigrate: a new database has every migration pending; Migrate
// applies them all (without a data key) and then none; OpenWith with
// NoMigrate refuses a database with pending migrations and opens a
// migrated one.
func TestMigrate(t *testing.T) {
	ctx := context.Background()
	url := pgtest.NewDatabase(t)

	if _, err := postgres.OpenWith(ctx, url, mustBox(t), postgres.Options{NoMigrate: true}); !errors.Is(err, postgres.ErrPendingMigrations) {
		t.Fatalf("OpenWith(NoMigrate) on a new database: err = %v, want ErrPendingMigrations", err)
	}
	status, err := postgres.MigrationStatus(ctx, url)
	must(t, err)
	sources := map[string]int{}
	for _, m := range status {
		if m.Applied {
			t.Errorf("new database: %+v applied", m)
		}
		sources[m.Source]++
	}
	if sources["antrag"] == 0 || sources["river"] == 0 {
		t.Fatalf("MigrationStatus = %+v, want antrag's and River's", status)
	}

	applied, err := postgres.Migrate(ctx, url)
	must(t, err)
	if len(applied) != len(status) {
		t.Errorf("Migrate applied %d, want %d", len(applied), len(status))
	}
	status, err = postgres.MigrationStatus(ctx, url)
	must(t, err)
	for _, m := range status {
		if !m.Applied || (m.Source == "antrag" && m.AppliedAt.IsZero()) {
			t.Errorf("after Migrate: %+v", m)
		}
	}
	if again, err := postgres.Migrate(ctx, url); err != nil || len(again) != 0 {
		t.Errorf("second Migrate = %+v, %v; want nothing applied", again, err)
	}
	db, err := postgres.OpenWith(ctx, url, mustBox(t), postgres.Options{NoMigrate: true})
	if err != nil {
		t.Fatalf("OpenWith(NoMigrate) on a migrated database: %v", err)
	}
	db.Close()
}
