package postgres_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"errors"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/alexedwards/scs/pgxstore"

	"github.com/antrag/antrag/internal/apperr"
	"github.com/antrag/antrag/internal/sealed"
	"github.com/antrag/antrag/internal/store/postgres"
	"github.com/antrag/antrag/internal/store/postgres/pgtest"
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

// mustOpen opens the database at url and closes it at the end of the test.
func mustOpen(tb testing.TB, url string) *postgres.DB {
	tb.Helper()
	db, err := postgres.Open(context.Background(), url, mustBox(tb))
	if err != nil {
		tb.Fatalf("Open: %v", err)
	}
	tb.Cleanup(func() { db.Close() })
	return db
}

// mustOpenNew opens a new, empty database.
func mustOpenNew(tb testing.TB) *postgres.DB {
	tb.Helper()
	return mustOpen(tb, pgtest.NewDatabase(tb))
}

func must(tb testing.TB, err error) {
	tb.Helper()
	if err != nil {
		tb.Fatal(err)
	}
}

func TestStore(t *testing.T) {
	pgtest.URL(t) // skip the whole suite without a server
	storetest.Run(t, func(t *testing.T) storetest.Stores {
		return mustOpenNew(t)
	})
}

// TestEncryptedAtRest checks that the sealed columns do not hold the
// personal data in plain text, and that the database refuses another key.
func TestEncryptedAtRest(t *testing.T) {
	const (
		draftSecret      = "Geheimnisvolle-Musterstraße-4711"
		submissionSecret = "Kontonummer-DE02120300000000202051"
		fileSecret       = "Mutterpass Erika Mustergeheim.pdf"
	)
	ctx := context.Background()
	url := pgtest.NewDatabase(t)
	db := mustOpen(t, url)
	tn := &tenant.Tenant{Slug: "musterstadt", Name: "Stadt Musterstadt", Kind: tenant.Gemeinde}
	must(t, db.CreateTenant(ctx, tn))
	svc := &tenant.Service{TenantID: tn.ID, Slug: "ss", Name: "S"}
	must(t, db.CreateService(ctx, svc))
	hash := sha256.Sum256([]byte("token"))
	d := &submission.Draft{TenantID: tn.ID, ServiceID: svc.ID, TokenHash: hash[:], ExpiresAt: time.Now().Add(time.Hour),
		Data: map[string]any{"strasse": draftSecret}}
	must(t, db.CreateDraft(ctx, d))
	hash2 := sha256.Sum256([]byte("token2"))
	d2 := &submission.Draft{TenantID: tn.ID, ServiceID: svc.ID, TokenHash: hash2[:], ExpiresAt: time.Now().Add(time.Hour),
		Data: map[string]any{"strasse": draftSecret + "-2"}}
	must(t, db.CreateDraft(ctx, d2))
	d2.Data["weiter"] = draftSecret + "-3"
	must(t, db.SaveDraft(ctx, d2))
	must(t, db.CreateAttachment(ctx, &submission.Attachment{TenantID: tn.ID, DraftID: d2.ID, Filename: fileSecret, StorageKey: "k1"}))
	s := &submission.Submission{TenantID: tn.ID, ServiceID: svc.ID, Reference: "R-1", DraftID: d.ID,
		Data: []byte(`{"konto":"` + submissionSecret + `"}`)}
	_, _, _, err := db.Submit(ctx, s, &submission.Event{Actor: "Antragsteller", Action: "eingereicht"}, nil)
	must(t, err)

	// Every row of antrag's tables as text.
	var dump string
	must(t, db.Pool().QueryRow(ctx, `SELECT string_agg(t, E'\n') FROM (
		SELECT d::text AS t FROM drafts d UNION ALL SELECT s::text FROM submissions s
		UNION ALL SELECT a::text FROM attachments a UNION ALL SELECT e::text FROM events e) x`).Scan(&dump))
	hexDump := strings.ToLower(dump)
	for _, secret := range []string{draftSecret, submissionSecret, "strasse", "konto", "Mustergeheim"} {
		if strings.Contains(dump, secret) || strings.Contains(hexDump, strings.ToLower(hexOf(secret))) {
			t.Errorf("the database holds %q in plain text", secret)
		}
	}
	db.Close()

	got, err := mustOpen(t, url).Submission(ctx, tn.ID, s.ID)
	must(t, err)
	if !strings.Contains(string(got.Data), submissionSecret) {
		t.Errorf("Data = %q", got.Data)
	}
	other, err := sealed.New(bytes.Repeat([]byte{8}, 32))
	must(t, err)
	if wrongKey, err := postgres.Open(ctx, url, other); !errors.Is(err, postgres.ErrWrongKey) {
		if err == nil {
			wrongKey.Close()
		}
		t.Errorf("Open with the wrong key: err = %v, want ErrWrongKey", err)
	}
	mustOpen(t, url).Close()
}

func hexOf(s string) string {
	const digits = "0123456789abcdef"
	var b strings.Builder
	for _, c := range []byte(s) {
		b.WriteByte(digits[c>>4])
		b.WriteByte(digits[c&15])
	}
	return b.String()
}

// TestReopen opens an existing database again: the migrations are not
// applied twice and the data stays.
func TestReopen(t *testing.T) {
	ctx := context.Background()
	url := pgtest.NewDatabase(t)
	db := mustOpen(t, url)
	tn := &tenant.Tenant{Slug: "musterstadt", Name: "Stadt Musterstadt", Kind: tenant.Gemeinde}
	must(t, db.CreateTenant(ctx, tn))
	versions := gooseVersions(t, db)
	must(t, db.Close())
	for range 2 {
		db = mustOpen(t, url)
		if _, err := db.Tenant(ctx, tn.ID); err != nil {
			t.Errorf("Tenant after reopen: %v", err)
		}
		if got := gooseVersions(t, db); !slices.Equal(got, versions) {
			t.Errorf("goose versions after reopen = %v, want %v", got, versions)
		}
		must(t, db.Close())
	}
}

// TestOpenConcurrently opens a new database from several "processes" at
// once: the migration lock lets one migrate, and all open it.
func TestOpenConcurrently(t *testing.T) {
	url := pgtest.NewDatabase(t)
	const n = 4
	dbs := make([]*postgres.DB, n)
	errs := make([]error, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() { dbs[i], errs[i] = postgres.Open(context.Background(), url, mustBox(t)) })
	}
	wg.Wait()
	for i := range n {
		if errs[i] != nil {
			t.Errorf("Open #%d: %v", i, errs[i])
			continue
		}
		defer dbs[i].Close()
	}
	if errs[0] == nil {
		files, err := filepath.Glob("migrations/*.sql")
		must(t, err)
		if got := gooseVersions(t, dbs[0]); len(got) != len(files) {
			t.Errorf("goose recorded versions %v for %d files", got, len(files))
		}
	}
}

// TestMigrationsRecorded checks that goose recorded every embedded
// migration.
func TestMigrationsRecorded(t *testing.T) {
	db := mustOpenNew(t)
	files, err := filepath.Glob("migrations/*.sql")
	must(t, err)
	if len(files) == 0 {
		t.Fatal("no migrations")
	}
	got := gooseVersions(t, db)
	if len(got) != len(files) {
		t.Errorf("goose recorded versions %v for %d files", got, len(files))
	}
	for i, v := range got {
		if v != int64(i+1) {
			t.Errorf("version #%d = %d", i, v)
		}
	}
}

// gooseVersions returns the applied migration versions (without goose's
// own 0).
func gooseVersions(t *testing.T, db *postgres.DB) []int64 {
	t.Helper()
	rows, err := db.Pool().Query(context.Background(),
		`SELECT version_id FROM goose_db_version WHERE is_applied AND version_id > 0 ORDER BY id`)
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

// TestSessions checks that the sessions table is what scs's pgxstore
// expects.
func TestSessions(t *testing.T) {
	db := mustOpenNew(t)
	st := pgxstore.NewWithCleanupInterval(db.Pool(), 0)
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
	db := mustOpenNew(t)
	_, err := db.Tenant(ctx, "nope")
	if !errors.Is(err, apperr.NotFound) || !strings.HasPrefix(err.Error(), `postgres: Tenant("nope"): `) {
		t.Errorf("Tenant(unknown) = %v", err)
	}
	tn := &tenant.Tenant{Slug: "aa", Name: "A", Kind: tenant.Gemeinde}
	must(t, db.CreateTenant(ctx, tn))
	err = db.CreateTenant(ctx, &tenant.Tenant{Slug: "aa", Name: "B", Kind: tenant.Gemeinde})
	if !errors.Is(err, apperr.Conflict) || !strings.HasPrefix(err.Error(), `postgres: CreateTenant("aa"): `) {
		t.Errorf("CreateTenant(taken) = %v", err)
	}
	// A service of a tenant that does not exist: a foreign key.
	err = db.CreateService(ctx, &tenant.Service{TenantID: "nope", Slug: "ss", Name: "S"})
	if !errors.Is(err, apperr.Invalid) {
		t.Errorf("CreateService(unknown tenant) = %v, want apperr.Invalid", err)
	}
	// A check constraint.
	_, err = db.Pool().Exec(ctx, `INSERT INTO key_check (id, sealed) VALUES (2, '\x00')`)
	if err == nil {
		t.Error("key_check accepted a second row")
	}
	if _, err := postgres.Open(ctx, pgtest.URL(t), nil); err == nil {
		t.Error("Open without a box: no error")
	}
	if _, err := postgres.Open(ctx, "postgres://%zz", mustBox(t)); err == nil || strings.Contains(err.Error(), "%zz") {
		t.Errorf("Open with a bad URL = %v", err)
	}
}

// TestFileNamesSealed: a file name stored in plain text (as a tool without
// the key might write it) is sealed on the next Open.
func TestFileNamesSealed(t *testing.T) {
	ctx := context.Background()
	url := pgtest.NewDatabase(t)
	db := mustOpen(t, url)
	tn := &tenant.Tenant{Slug: "erfurt", Name: "Stadt Erfurt", Kind: tenant.Gemeinde}
	must(t, db.CreateTenant(ctx, tn))
	svc := &tenant.Service{TenantID: tn.ID, Slug: "dienst", Name: "Dienst"}
	must(t, db.CreateService(ctx, svc))
	d := &submission.Draft{TenantID: tn.ID, ServiceID: svc.ID, TokenHash: []byte("0123456789abcdef0123456789abcdef"), ExpiresAt: time.Now().Add(time.Hour)}
	must(t, db.CreateDraft(ctx, d))
	a := &submission.Attachment{TenantID: tn.ID, DraftID: d.ID, Filename: "Mutterpass Erika Mustergeheim.pdf", StorageKey: "key-0000001"}
	must(t, db.CreateAttachment(ctx, a))
	_, err := db.Pool().Exec(ctx, `INSERT INTO attachments (id, tenant_id, draft_id, filename, storage_key, created_at)
		VALUES ('legacy', $1, $2, 'Zeugnis Max Altbestand.pdf', 'key-0000002', now())`, tn.ID, d.ID)
	must(t, err)
	db.Close()
	db = mustOpen(t, url)
	for id, want := range map[string]string{a.ID: a.Filename, "legacy": "Zeugnis Max Altbestand.pdf"} {
		got, err := db.Attachment(ctx, tn.ID, id)
		if err != nil || got.Filename != want {
			t.Errorf("Attachment(%s) = %+v, %v; want name %q", id, got, err, want)
		}
	}
	var plain int
	must(t, db.Pool().QueryRow(ctx, `SELECT count(*) FROM attachments WHERE filename <> '' OR filename_sealed IS NULL`).Scan(&plain))
	if plain != 0 {
		t.Errorf("%d attachments with a plain file name", plain)
	}
}
