package storetest

// Checks of a whole database through package store, the same on every
// dialect: opening and reopening, migrations, error kinds, sealing at rest,
// web sessions and concurrent writers. Each takes the DSN of a new, empty
// database (Dialect.NewDSN) and opens it itself, as often as it needs.

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/antrag/antrag/internal/apperr"
	"github.com/antrag/antrag/internal/payment"
	"github.com/antrag/antrag/internal/sealed"
	"github.com/antrag/antrag/internal/store"
	"github.com/antrag/antrag/internal/submission"
	"github.com/antrag/antrag/internal/tenant"
)

// AtRest returns everything a database holds at rest, as bytes: the files
// of a SQLite database, or the rows of antrag's tables as text on
// PostgreSQL. It is called while a store has the database open and after
// the store closed it.
type AtRest func(t *testing.T) []byte

// mustNot fails the test now if err is not nil.
func mustNot(t testing.TB, what string, err error) {
	t.Helper()
	if err != nil {
		t.Fatalf("%s: %v", what, err)
	}
}

// openStore opens the database at dsn with box and closes it at the end of
// the test (closing it earlier is allowed).
func openStore(t testing.TB, dsn string, box *sealed.Box) *store.DB {
	t.Helper()
	db, err := store.Open(context.Background(), dsn, box)
	mustNot(t, "Open", err)
	t.Cleanup(func() { db.Close() })
	return db
}

// mustTenantService creates a tenant and a service of it.
func mustTenantService(t *testing.T, db *store.DB, slug string) (*tenant.Tenant, *tenant.Service) {
	t.Helper()
	ctx := context.Background()
	tn := &tenant.Tenant{Slug: slug, Name: "Stadt " + slug, Kind: tenant.Gemeinde}
	mustNot(t, "CreateTenant", db.CreateTenant(ctx, tn))
	svc := &tenant.Service{TenantID: tn.ID, Slug: "anwohnerparken", Name: "Anwohnerparken"}
	mustNot(t, "CreateService", db.CreateService(ctx, svc))
	return tn, svc
}

// notHeld fails the test for every secret that rest holds in plain text or
// as hex digits (as PostgreSQL writes a bytea as text). rest must hold
// control, a value stored in plain text, or the check would pass because
// rest is not what the database holds.
func notHeld(t *testing.T, when string, rest []byte, control string, secrets ...string) {
	t.Helper()
	if !bytes.Contains(rest, []byte(control)) {
		t.Fatalf("%s: %q, stored in plain text, is not among the %d bytes at rest: the check would pass vacuously", when, control, len(rest))
	}
	lower := bytes.ToLower(rest)
	for _, s := range secrets {
		if bytes.Contains(rest, []byte(s)) || bytes.Contains(lower, []byte(hex.EncodeToString([]byte(s)))) {
			t.Errorf("%s: the database holds %q in plain text", when, s)
		}
	}
}

// GooseVersions returns the versions of antrag's migrations that goose
// recorded as applied in db, in the order applied (without goose's own 0).
func GooseVersions(t testing.TB, db *store.DB) []int64 {
	t.Helper()
	rows, err := db.SQL().Query(`SELECT version_id FROM goose_db_version WHERE is_applied AND version_id > 0 ORDER BY id`)
	mustNot(t, "goose_db_version", err)
	defer rows.Close()
	var out []int64
	for rows.Next() {
		var v int64
		mustNot(t, "goose_db_version", rows.Scan(&v))
		out = append(out, v)
	}
	mustNot(t, "goose_db_version", rows.Err())
	return out
}

// CheckEncryptedAtRest writes personal data with markers through the store
// (draft data, a draft saved twice, an attachment's file name, submission
// data) and checks that atRest holds none of it in plain text, while the
// database is open and after it is closed; that the data reads back with
// the key; that another key is refused with store.ErrWrongKey, so that
// the database never holds data sealed with two keys; and that the right
// key still opens it.
func CheckEncryptedAtRest(t *testing.T, dsn string, atRest AtRest) {
	const (
		draftSecret      = "Geheimnisvolle-Musterstraße-4711"
		submissionSecret = "Kontonummer-DE02120300000000202051"
		fileSecret       = "Mutterpass Erika Mustergeheim.pdf"
	)
	secrets := []string{draftSecret, submissionSecret, "strasse", "konto", "Mustergeheim", testAccountSecret}
	ctx := context.Background()
	db := openStore(t, dsn, Box(t))
	tn, svc := mustTenantService(t, db, "musterstadt")
	hash := sha256.Sum256([]byte("token"))
	d := &submission.Draft{TenantID: tn.ID, ServiceID: svc.ID, TokenHash: hash[:], ExpiresAt: time.Now().Add(time.Hour),
		Data: map[string]any{"strasse": draftSecret}}
	mustNot(t, "CreateDraft", db.CreateDraft(ctx, d))
	// A second draft that stays a draft, saved twice.
	hash2 := sha256.Sum256([]byte("token2"))
	d2 := &submission.Draft{TenantID: tn.ID, ServiceID: svc.ID, TokenHash: hash2[:], ExpiresAt: time.Now().Add(time.Hour),
		Data: map[string]any{"strasse": draftSecret + "-2"}}
	mustNot(t, "CreateDraft", db.CreateDraft(ctx, d2))
	d2.Data["weiter"] = draftSecret + "-3"
	mustNot(t, "SaveDraft", db.SaveDraft(ctx, d2))
	att := &submission.Attachment{TenantID: tn.ID, DraftID: d2.ID, Filename: fileSecret, StorageKey: "k1"}
	mustNot(t, "CreateAttachment", db.CreateAttachment(ctx, att))
	s := &submission.Submission{TenantID: tn.ID, ServiceID: svc.ID, Reference: "R-1", DraftID: d.ID,
		Data: []byte(`{"konto":"` + submissionSecret + `"}`)}
	_, _, _, err := db.Submit(ctx, s, &submission.Event{Actor: "Antragsteller", Action: "eingereicht"}, nil)
	mustNot(t, "Submit", err)
	// An authority's ePayment provider account (sealed as a whole).
	auth := &tenant.Authority{TenantID: tn.ID, Name: "Kasse"}
	mustNot(t, "CreateAuthority", db.CreateAuthority(ctx, auth))
	mustNot(t, "SetPaymentAccount", db.SetPaymentAccount(ctx, tn.ID, auth.ID, &payment.Account{Kind: payment.EPay21,
		BaseURL: "https://epay.example/", OriginatorID: "o", EndpointID: "e", Username: "kasse", Password: testAccountSecret}))

	notHeld(t, "open", atRest(t), tn.Name, secrets...)
	mustNot(t, "Close", db.Close())
	notHeld(t, "closed", atRest(t), tn.Name, secrets...)

	// The data comes back with the key.
	db = openStore(t, dsn, Box(t))
	got, err := db.Submission(ctx, tn.ID, s.ID)
	mustNot(t, "Submission", err)
	if !strings.Contains(string(got.Data), submissionSecret) {
		t.Errorf("Data = %q", got.Data)
	}
	if a, err := db.PaymentAccount(ctx, tn.ID, auth.ID); err != nil || a.Password != testAccountSecret {
		t.Errorf("PaymentAccount = %v; want the password back", err)
	}
	if a, err := db.Attachment(ctx, tn.ID, att.ID); err != nil || a.Filename != fileSecret {
		t.Errorf("Attachment = %+v, %v; want the name %q", a, err, fileSecret)
	}
	mustNot(t, "Close", db.Close())

	// Another key is refused outright.
	other, err := sealed.New(bytes.Repeat([]byte{8}, 32))
	mustNot(t, "sealed.New", err)
	if wrongKey, err := store.Open(ctx, dsn, other); !errors.Is(err, store.ErrWrongKey) {
		if err == nil {
			wrongKey.Close()
		}
		t.Errorf("Open with the wrong key: err = %v, want ErrWrongKey", err)
	}
	// The right key still opens it.
	mustNot(t, "Close", openStore(t, dsn, Box(t)).Close())
}

// CheckFileNamesSealed checks that attachment file names are sealed: one
// stored through the store, and one in plain text as versions before
// migration 00005 (or a tool without the key) wrote it, which the next
// Open seals. Both read back; afterwards no row has a plain name, and
// atRest holds neither name after the database is closed.
func CheckFileNamesSealed(t *testing.T, dsn string, atRest AtRest) {
	ctx := context.Background()
	db := openStore(t, dsn, Box(t))
	tn, svc := mustTenantService(t, db, "erfurt")
	d := &submission.Draft{TenantID: tn.ID, ServiceID: svc.ID, TokenHash: []byte("0123456789abcdef0123456789abcdef"), ExpiresAt: time.Now().Add(time.Hour)}
	mustNot(t, "CreateDraft", db.CreateDraft(ctx, d))
	a := &submission.Attachment{TenantID: tn.ID, DraftID: d.ID, Filename: "Mutterpass Erika Mustergeheim.pdf", StorageKey: "key-0000001"}
	mustNot(t, "CreateAttachment", db.CreateAttachment(ctx, a))
	// A row as an older version wrote it (the time literal is valid TEXT
	// on SQLite and TIMESTAMPTZ on PostgreSQL).
	_, err := db.SQL().ExecContext(ctx, `INSERT INTO attachments (id, tenant_id, draft_id, filename, storage_key, created_at)
		VALUES ('legacy', $1, $2, 'Zeugnis Max Altbestand.pdf', 'key-0000002', '2026-01-01T00:00:00.000000Z')`, tn.ID, d.ID)
	mustNot(t, "insert a legacy attachment", err)
	mustNot(t, "Close", db.Close())

	db = openStore(t, dsn, Box(t))
	for id, want := range map[string]string{a.ID: a.Filename, "legacy": "Zeugnis Max Altbestand.pdf"} {
		got, err := db.Attachment(ctx, tn.ID, id)
		if err != nil || got.Filename != want {
			t.Errorf("Attachment(%s) = %+v, %v; want name %q", id, got, err, want)
		}
	}
	var plainNames int
	mustNot(t, "count plain names", db.SQL().QueryRowContext(ctx,
		`SELECT count(*) FROM attachments WHERE filename <> '' OR filename_sealed IS NULL`).Scan(&plainNames))
	if plainNames != 0 {
		t.Errorf("%d attachments with a plain file name", plainNames)
	}
	mustNot(t, "Close", db.Close())
	notHeld(t, "closed", atRest(t), tn.Name, "Mustergeheim", "Altbestand")
}

// CheckReopen opens an existing database again: the migrations are not
// applied twice and the data stays.
func CheckReopen(t *testing.T, dsn string) {
	ctx := context.Background()
	db := openStore(t, dsn, Box(t))
	tn, _ := mustTenantService(t, db, "musterstadt")
	versions := GooseVersions(t, db)
	mustNot(t, "Close", db.Close())
	for range 2 {
		db = openStore(t, dsn, Box(t))
		if _, err := db.Tenant(ctx, tn.ID); err != nil {
			t.Errorf("Tenant after reopen: %v", err)
		}
		if got := GooseVersions(t, db); !slices.Equal(got, versions) {
			t.Errorf("goose versions after reopen = %v, want %v", got, versions)
		}
		mustNot(t, "Close", db.Close())
	}
}

// CheckMigrationsRecorded opens a new database and checks that goose
// recorded every migration file of the dialect (files, e.g. the paths
// matching migrations/sqlite/*.sql), each as the version its name begins
// with, in order, and that MigrationStatus lists them by name as applied,
// and River's too.
func CheckMigrationsRecorded(t *testing.T, dsn string, files []string) {
	if len(files) == 0 {
		t.Fatal("no migration files")
	}
	db := openStore(t, dsn, Box(t))
	got := GooseVersions(t, db)
	// Each file is recorded as the version its name begins with
	// ("00010_….sql" is 10); numbers another change has taken may be
	// missing.
	var versions []int64
	for _, f := range files {
		digits, _, _ := strings.Cut(filepath.Base(f), "_")
		v, err := strconv.ParseInt(digits, 10, 64)
		if err != nil {
			t.Fatalf("migration %s: name does not begin with its number: %v", f, err)
		}
		versions = append(versions, v)
	}
	slices.Sort(versions)
	if !slices.Equal(got, versions) {
		t.Errorf("goose recorded versions %v, the files are versions %v", got, versions)
	}
	status, err := store.MigrationStatus(context.Background(), dsn)
	mustNot(t, "MigrationStatus", err)
	var names []string
	river := 0
	for _, m := range status {
		if !m.Applied {
			t.Errorf("%s migration %s (%d) not applied", m.Source, m.Name, m.Version)
		}
		switch m.Source {
		case "antrag":
			names = append(names, m.Name)
			if m.AppliedAt.IsZero() {
				t.Errorf("migration %s: no AppliedAt", m.Name)
			}
		case "river":
			river++
		}
	}
	var want []string
	for _, f := range files {
		want = append(want, filepath.Base(f))
	}
	slices.Sort(want)
	if !slices.Equal(names, want) {
		t.Errorf("MigrationStatus lists antrag's migrations %v, the files are %v", names, want)
	}
	if river == 0 {
		t.Errorf("MigrationStatus lists no migration of River")
	}
}

// CheckMigrate: a new database has every migration pending; Migrate
// applies them all (without a data key) and then none; OpenWith with
// NoMigrate refuses a database with pending migrations and opens a
// migrated one.
func CheckMigrate(t *testing.T, dsn string) {
	ctx := context.Background()
	if db, err := store.OpenWith(ctx, dsn, Box(t), store.Options{NoMigrate: true}); !errors.Is(err, store.ErrPendingMigrations) {
		if err == nil {
			db.Close()
		}
		t.Fatalf("OpenWith(NoMigrate) on a new database: err = %v, want ErrPendingMigrations", err)
	}
	status, err := store.MigrationStatus(ctx, dsn)
	mustNot(t, "MigrationStatus", err)
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

	applied, err := store.Migrate(ctx, dsn)
	mustNot(t, "Migrate", err)
	if len(applied) != len(status) {
		t.Errorf("Migrate applied %d, want %d", len(applied), len(status))
	}
	status, err = store.MigrationStatus(ctx, dsn)
	mustNot(t, "MigrationStatus", err)
	for _, m := range status {
		if !m.Applied || (m.Source == "antrag" && m.AppliedAt.IsZero()) {
			t.Errorf("after Migrate: %+v", m)
		}
	}
	if again, err := store.Migrate(ctx, dsn); err != nil || len(again) != 0 {
		t.Errorf("second Migrate = %+v, %v; want nothing applied", again, err)
	}
	db, err := store.OpenWith(ctx, dsn, Box(t), store.Options{NoMigrate: true})
	if err != nil {
		t.Fatalf("OpenWith(NoMigrate) on a migrated database: %v", err)
	}
	mustNot(t, "Close", db.Close())
}

// CheckErrors checks the translation of driver errors to the kinds of
// package apperr and the prefix of errors (the dialect's name and the
// operation), and that Open refuses a missing box and a DSN of no known
// database.
func CheckErrors(t *testing.T, dsn string) {
	ctx := context.Background()
	db := openStore(t, dsn, Box(t))
	prefix := db.Dialect() + ": "
	_, err := db.Tenant(ctx, "nope")
	if !errors.Is(err, apperr.NotFound) || !strings.HasPrefix(fmt.Sprint(err), prefix+`Tenant("nope"): `) {
		t.Errorf("Tenant(unknown) = %v, want apperr.NotFound with prefix %q", err, prefix+`Tenant("nope"): `)
	}
	tn := &tenant.Tenant{Slug: "aa", Name: "A", Kind: tenant.Gemeinde}
	mustNot(t, "CreateTenant", db.CreateTenant(ctx, tn))
	err = db.CreateTenant(ctx, &tenant.Tenant{Slug: "aa", Name: "B", Kind: tenant.Gemeinde})
	if !errors.Is(err, apperr.Conflict) || !strings.HasPrefix(fmt.Sprint(err), prefix+`CreateTenant("aa"): `) {
		t.Errorf("CreateTenant(taken) = %v, want apperr.Conflict with prefix %q", err, prefix+`CreateTenant("aa"): `)
	}
	// A service of a tenant that does not exist: a foreign key.
	err = db.CreateService(ctx, &tenant.Service{TenantID: "nope", Slug: "ss", Name: "S"})
	if !errors.Is(err, apperr.Invalid) {
		t.Errorf("CreateService(unknown tenant) = %v, want apperr.Invalid", err)
	}
	// A check constraint.
	if _, err := db.SQL().ExecContext(ctx, `INSERT INTO key_check (id, sealed) VALUES (2, $1)`, []byte{0}); err == nil {
		t.Error("key_check accepted a second row")
	}
	if db, err := store.Open(ctx, dsn, nil); err == nil {
		db.Close()
		t.Error("Open without a box: no error")
	}
	for _, bad := range []string{"", "antrag.db", "mysql://user:geheim@host/db"} {
		db, err := store.Open(ctx, bad, Box(t))
		if err == nil {
			db.Close()
		}
		if !errors.Is(err, apperr.Invalid) || strings.Contains(fmt.Sprint(err), "geheim") {
			t.Errorf("Open(%q) = %v, want apperr.Invalid without the password", bad, err)
		}
	}
}

// CheckSessions checks that the store's web session store (SessionStore)
// works on its table: a committed session is found until it expires or is
// deleted.
func CheckSessions(t *testing.T, dsn string) {
	db := openStore(t, dsn, Box(t))
	st, stop := db.SessionStore()
	defer stop()
	mustNot(t, "Commit", st.Commit("token-1", []byte("session data"), time.Now().Add(time.Hour)))
	b, found, err := st.Find("token-1")
	mustNot(t, "Find", err)
	if !found || string(b) != "session data" {
		t.Errorf("Find = %q, %v", b, found)
	}
	// Commit again replaces the data.
	mustNot(t, "Commit", st.Commit("token-1", []byte("new data"), time.Now().Add(time.Hour)))
	if b, found, err := st.Find("token-1"); err != nil || !found || string(b) != "new data" {
		t.Errorf("Find after a second Commit = %q, %v, %v", b, found, err)
	}
	mustNot(t, "Commit", st.Commit("token-2", []byte("old"), time.Now().Add(-time.Hour)))
	_, found, err = st.Find("token-2")
	mustNot(t, "Find", err)
	if found {
		t.Error("expired session found")
	}
	mustNot(t, "Delete", st.Delete("token-1"))
	_, found, err = st.Find("token-1")
	mustNot(t, "Find", err)
	if found {
		t.Error("deleted session found")
	}
}

// CheckConcurrentWrites: concurrent writers behave as if they ran one
// after the other (SQLite's one writer does that; PostgreSQL's
// serializable transactions are retried), not as unique violations:
// Submits with one idempotency key create one submission and all return
// it, and concurrent PublishFormVersion calls number the versions 1…n.
func CheckConcurrentWrites(t *testing.T, dsn string) {
	ctx := context.Background()
	db := openStore(t, dsn, Box(t))
	tn, svc := mustTenantService(t, db, "musterstadt")
	const n = 8

	t.Run("IdempotencyKey", func(t *testing.T) {
		type result struct {
			got     *submission.Submission
			created bool
			err     error
		}
		results := make([]result, n)
		var wg sync.WaitGroup
		start := make(chan struct{})
		for i := range n {
			wg.Go(func() {
				<-start
				s := &submission.Submission{TenantID: tn.ID, ServiceID: svc.ID, Reference: fmt.Sprintf("R-%d", i),
					IdempotencyKey: "key-1", RequestSHA256: fmt.Sprintf("request-%d", i), Data: []byte(`{}`)}
				got, created, _, err := db.Submit(ctx, s, &submission.Event{Actor: "API", Action: "eingereicht"}, nil)
				results[i] = result{got, created, err}
			})
		}
		close(start)
		wg.Wait()
		var ids []string
		created := 0
		for i, r := range results {
			if r.err != nil {
				t.Errorf("Submit #%d: %v", i, r.err)
				continue
			}
			if r.created {
				created++
			}
			ids = append(ids, r.got.ID)
		}
		slices.Sort(ids)
		if created != 1 || len(slices.Compact(ids)) != 1 {
			t.Errorf("%d created, ids %v; want 1 created and one id", created, ids)
		}
		// Every answer carries the stored request's hash, which decides
		// whether it answers a retry (submission.SameRequest).
		stored, err := db.SubmissionByIdempotencyKey(ctx, tn.ID, "key-1")
		if err != nil || !strings.HasPrefix(stored.RequestSHA256, "request-") {
			t.Fatalf("SubmissionByIdempotencyKey: %+v, %v", stored, err)
		}
		for i, r := range results {
			if r.err == nil && r.got.RequestSHA256 != stored.RequestSHA256 {
				t.Errorf("Submit #%d answered with request hash %q, stored %q", i, r.got.RequestSHA256, stored.RequestSHA256)
			}
		}
	})

	t.Run("PublishFormVersion", func(t *testing.T) {
		versions := make([]int, n)
		var wg sync.WaitGroup
		start := make(chan struct{})
		for i := range n {
			wg.Go(func() {
				<-start
				fv := &tenant.FormVersion{ServiceID: svc.ID, Name: "Antrag"}
				if err := db.PublishFormVersion(ctx, tn.ID, fv); err != nil {
					t.Errorf("PublishFormVersion #%d: %v", i, err)
				}
				versions[i] = fv.Version
			})
		}
		close(start)
		wg.Wait()
		slices.Sort(versions)
		for i, v := range versions {
			if v != i+1 {
				t.Fatalf("versions %v, want 1…%d", versions, n)
			}
		}
	})
}
