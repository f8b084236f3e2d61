package sqlite_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/alexedwards/scs/sqlite3store"

	"github.com/antrag/antrag/internal/apperr"
	"github.com/antrag/antrag/internal/sealed"
	"github.com/antrag/antrag/internal/store/sqlite"
	"github.com/antrag/antrag/internal/store/storetest"
	"github.com/antrag/antrag/internal/submission"
	"github.com/antrag/antrag/internal/tenant"
)

func mustBox(tb testing.TB) *sealed.Box {
	tb.Helper()
	box, err := sealed.New(bytes.Repeat([]byte{7}, 32))
	if err != nil {
		tb.Fatal(err)
	}
	return box
}

// mustOpen opens a database in path and closes it at the end of the test.
func mustOpen(tb testing.TB, path string) *sqlite.DB {
	tb.Helper()
	db, err := sqlite.Open(context.Background(), path, mustBox(tb))
	if err != nil {
		tb.Fatalf("Open: %v", err)
	}
	tb.Cleanup(func() { db.Close() })
	return db
}

func TestStore(t *testing.T) {
	storetest.Run(t, func(t *testing.T) storetest.Stores {
		return mustOpen(t, filepath.Join(t.TempDir(), "antrag.db"))
	})
}

func TestPragmas(t *testing.T) {
	db := mustOpen(t, filepath.Join(t.TempDir(), "antrag.db"))
	for pragma, want := range map[string]string{
		"journal_mode": "wal",
		"foreign_keys": "1",
		"busy_timeout": "5000",
		"synchronous":  "1", // NORMAL
	} {
		var got string
		if err := db.SQL().QueryRow("PRAGMA " + pragma).Scan(&got); err != nil {
			t.Fatalf("PRAGMA %s: %v", pragma, err)
		}
		if got != want {
			t.Errorf("PRAGMA %s = %q, want %q", pragma, got, want)
		}
	}
	if n := db.SQL().Stats().MaxOpenConnections; n != 1 {
		t.Errorf("MaxOpenConnections = %d, want 1", n)
	}
}

func TestFileMode(t *testing.T) {
	path := filepath.Join(t.TempDir(), "antrag.db")
	mustOpen(t, path)
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if mode := fi.Mode().Perm(); mode != 0o600 {
		t.Errorf("database file mode %v, want 0600", mode)
	}
}

// TestEncryptedAtRest writes draft and submission data with a marker and
// checks that no file of the database contains it.
func TestEncryptedAtRest(t *testing.T) {
	const (
		draftSecret      = "Geheimnisvolle-Musterstraße-4711"
		submissionSecret = "Kontonummer-DE02120300000000202051"
	)
	ctx := context.Background()
	dir := t.TempDir()
	path := filepath.Join(dir, "antrag.db")
	db, err := sqlite.Open(ctx, path, mustBox(t))
	if err != nil {
		t.Fatal(err)
	}
	tn := &tenant.Tenant{Slug: "musterstadt", Name: "Stadt Musterstadt", Kind: tenant.Gemeinde}
	must(t, db.CreateTenant(ctx, tn))
	svc := &tenant.Service{TenantID: tn.ID, Slug: "ss", Name: "S"}
	must(t, db.CreateService(ctx, svc))
	hash := sha256.Sum256([]byte("token"))
	d := &submission.Draft{TenantID: tn.ID, ServiceID: svc.ID, TokenHash: hash[:], ExpiresAt: time.Now().Add(time.Hour),
		Data: map[string]any{"strasse": draftSecret}}
	must(t, db.CreateDraft(ctx, d))
	// a second draft that stays a draft, saved twice
	hash2 := sha256.Sum256([]byte("token2"))
	d2 := &submission.Draft{TenantID: tn.ID, ServiceID: svc.ID, TokenHash: hash2[:], ExpiresAt: time.Now().Add(time.Hour),
		Data: map[string]any{"strasse": draftSecret + "-2"}}
	must(t, db.CreateDraft(ctx, d2))
	d2.Data["weiter"] = draftSecret + "-3"
	must(t, db.SaveDraft(ctx, d2))
	s := &submission.Submission{TenantID: tn.ID, ServiceID: svc.ID, Reference: "R-1", DraftID: d.ID,
		Data: []byte(`{"konto":"` + submissionSecret + `"}`)}
	_, _, _, err = db.Submit(ctx, s, &submission.Event{Actor: "Antragsteller", Action: "eingereicht"}, nil)
	must(t, err)

	// Check the files while open (WAL not yet checkpointed) and after Close.
	check := func(when string) {
		t.Helper()
		entries, err := os.ReadDir(dir)
		must(t, err)
		for _, e := range entries {
			b, err := os.ReadFile(filepath.Join(dir, e.Name()))
			must(t, err)
			for _, secret := range []string{draftSecret, submissionSecret, "strasse", "konto"} {
				if bytes.Contains(b, []byte(secret)) {
					t.Errorf("%s: %s contains %q in plain text", when, e.Name(), secret)
				}
			}
		}
	}
	check("open")
	must(t, db.Close())
	check("closed")

	// And the data comes back with the key, but not with another.
	db = mustOpen(t, path)
	got, err := db.Submission(ctx, tn.ID, s.ID)
	must(t, err)
	if !strings.Contains(string(got.Data), submissionSecret) {
		t.Errorf("Data = %q", got.Data)
	}
	other, err := sealed.New(bytes.Repeat([]byte{8}, 32))
	must(t, err)
	db.Close()
	// The database refuses another key outright, so that it never holds
	// data sealed with two keys.
	if wrongKey, err := sqlite.Open(ctx, path, other); !errors.Is(err, sqlite.ErrWrongKey) {
		if err == nil {
			wrongKey.Close()
		}
		t.Errorf("Open with the wrong key: err = %v, want ErrWrongKey", err)
	}
	// The right key still opens it.
	db = mustOpen(t, path)
	db.Close()
}

// TestReopen opens an existing database again: the migrations are not
// applied twice and the data stays.
func TestReopen(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "antrag.db")
	db, err := sqlite.Open(ctx, path, mustBox(t))
	must(t, err)
	tn := &tenant.Tenant{Slug: "musterstadt", Name: "Stadt Musterstadt", Kind: tenant.Gemeinde}
	must(t, db.CreateTenant(ctx, tn))
	versions := goose(t, db)
	must(t, db.Close())

	for range 2 {
		db = mustOpen(t, path)
		if _, err := db.Tenant(ctx, tn.ID); err != nil {
			t.Errorf("Tenant after reopen: %v", err)
		}
		if got := goose(t, db); !slices.Equal(got, versions) {
			t.Errorf("goose versions after reopen = %v, want %v", got, versions)
		}
		must(t, db.Close())
	}
}

// TestMigrationsRecorded checks that goose recorded every embedded
// migration.
func TestMigrationsRecorded(t *testing.T) {
	db := mustOpen(t, filepath.Join(t.TempDir(), "antrag.db"))
	files, err := filepath.Glob("migrations/*.sql")
	must(t, err)
	if len(files) == 0 {
		t.Fatal("no migrations")
	}
	got := goose(t, db)
	if len(got) != len(files) {
		t.Errorf("goose recorded versions %v for %d files", got, len(files))
	}
	for i, v := range got {
		if v != int64(i+1) {
			t.Errorf("version #%d = %d", i, v)
		}
	}
}

// goose returns the applied migration versions (without goose's own 0).
func goose(t *testing.T, db *sqlite.DB) []int64 {
	t.Helper()
	rows, err := db.SQL().Query(`SELECT version_id FROM goose_db_version WHERE is_applied AND version_id > 0 ORDER BY id`)
	must(t, err)
	defer rows.Close()
	var out []int64
	for rows.Next() {
		var v int64
		must(t, rows.Scan(&v))
		out = append(out, v)
	}
	must(t, rows.Err())
	return out
}

// TestSessions checks that the sessions table is what scs's sqlite3store
// expects.
func TestSessions(t *testing.T) {
	db := mustOpen(t, filepath.Join(t.TempDir(), "antrag.db"))
	st := sqlite3store.NewWithCleanupInterval(db.SQL(), 0)
	must(t, st.Commit("token-1", []byte("session data"), time.Now().Add(time.Hour)))
	b, found, err := st.Find("token-1")
	must(t, err)
	if !found || string(b) != "session data" {
		t.Errorf("Find = %q, %v", b, found)
	}
	must(t, st.Commit("token-2", []byte("old"), time.Now().Add(-time.Hour)))
	_, found, err = st.Find("token-2")
	must(t, err)
	if found {
		t.Error("expired session found")
	}
	must(t, st.Delete("token-1"))
	_, found, err = st.Find("token-1")
	must(t, err)
	if found {
		t.Error("deleted session found")
	}
}

// TestErrors checks the translation of driver errors.
func TestErrors(t *testing.T) {
	ctx := context.Background()
	db := mustOpen(t, filepath.Join(t.TempDir(), "antrag.db"))
	_, err := db.Tenant(ctx, "nope")
	if !errors.Is(err, apperr.NotFound) || !strings.HasPrefix(err.Error(), `sqlite: Tenant("nope"): `) {
		t.Errorf("Tenant(unknown) = %v", err)
	}
	tn := &tenant.Tenant{Slug: "aa", Name: "A", Kind: tenant.Gemeinde}
	must(t, db.CreateTenant(ctx, tn))
	err = db.CreateTenant(ctx, &tenant.Tenant{Slug: "aa", Name: "B", Kind: tenant.Gemeinde})
	if !errors.Is(err, apperr.Conflict) || !strings.HasPrefix(err.Error(), `sqlite: CreateTenant("aa"): `) {
		t.Errorf("CreateTenant(taken) = %v", err)
	}
	// A service of a tenant that does not exist: a foreign key.
	err = db.CreateService(ctx, &tenant.Service{TenantID: "nope", Slug: "ss", Name: "S"})
	if !errors.Is(err, apperr.Invalid) {
		t.Errorf("CreateService(unknown tenant) = %v, want apperr.Invalid", err)
	}
	if _, err := sqlite.Open(ctx, filepath.Join(t.TempDir(), "x.db"), nil); err == nil {
		t.Error("Open without a box: no error")
	}
	if _, err := sqlite.Open(ctx, filepath.Join(t.TempDir(), "no", "such", "dir", "x.db"), mustBox(t)); err == nil {
		t.Error("Open in a missing directory: no error")
	}
}

func must(tb testing.TB, err error) {
	tb.Helper()
	if err != nil {
		tb.Fatal(err)
	}
}

// TestFileNamesSealed: attachment file names are not readable in the
// database file, and names stored in plain text by older versions are
// sealed on the next Open.
func TestFileNamesSealed(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "a.db")
	db, err := sqlite.Open(ctx, path, mustBox(t))
	if err != nil {
		t.Fatal(err)
	}
	tn := &tenant.Tenant{Slug: "erfurt", Name: "Stadt Erfurt", Kind: tenant.Gemeinde}
	if err := db.CreateTenant(ctx, tn); err != nil {
		t.Fatal(err)
	}
	svc := &tenant.Service{TenantID: tn.ID, Slug: "dienst", Name: "Dienst"}
	if err := db.CreateService(ctx, svc); err != nil {
		t.Fatal(err)
	}
	d := &submission.Draft{TenantID: tn.ID, ServiceID: svc.ID, TokenHash: []byte("0123456789abcdef0123456789abcdef"), ExpiresAt: time.Now().Add(time.Hour)}
	if err := db.CreateDraft(ctx, d); err != nil {
		t.Fatal(err)
	}
	a := &submission.Attachment{TenantID: tn.ID, DraftID: d.ID, Filename: "Mutterpass Erika Mustergeheim.pdf", StorageKey: "key-0000001"}
	if err := db.CreateAttachment(ctx, a); err != nil {
		t.Fatal(err)
	}
	// A row as an older version wrote it.
	if _, err := db.SQL().ExecContext(ctx, `INSERT INTO attachments (id, tenant_id, draft_id, filename, storage_key, created_at)
		VALUES ('legacy', ?, ?, 'Zeugnis Max Altbestand.pdf', 'key-0000002', '2026-01-01T00:00:00.000000Z')`, tn.ID, d.ID); err != nil {
		t.Fatal(err)
	}
	db.Close()
	db, err = sqlite.Open(ctx, path, mustBox(t))
	if err != nil {
		t.Fatal(err)
	}
	for id, want := range map[string]string{a.ID: a.Filename, "legacy": "Zeugnis Max Altbestand.pdf"} {
		got, err := db.Attachment(ctx, tn.ID, id)
		if err != nil || got.Filename != want {
			t.Errorf("Attachment(%s) = %+v, %v; want name %q", id, got, err, want)
		}
	}
	db.Close()
	raw, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	wal, _ := os.ReadFile(path + "-wal")
	for _, name := range []string{"Mustergeheim", "Altbestand"} {
		if bytes.Contains(raw, []byte(name)) || bytes.Contains(wal, []byte(name)) {
			t.Errorf("%q is readable in the database file", name)
		}
	}
}
