package storetest

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"net/url"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/antrag/antrag/internal/sealed"
	"github.com/antrag/antrag/internal/store"
)

// Dialect is a kind of database the suites run on.
type Dialect struct {
	Name string // "sqlite" or "postgres"
	// NewDSN returns the DSN (for store.Open) of a new, empty database
	// that is removed after the test. For PostgreSQL it skips the test, or
	// fails it, as PostgresURL does.
	NewDSN func(tb testing.TB) string
}

// Dialects are SQLite, always, and PostgreSQL on the server that
// ANTRAG_TEST_POSTGRES names.
func Dialects() []Dialect {
	return []Dialect{
		{Name: "sqlite", NewDSN: func(tb testing.TB) string {
			return "sqlite:" + filepath.Join(tb.TempDir(), "antrag.db")
		}},
		{Name: "postgres", NewDSN: NewPostgresDatabase},
	}
}

// Box returns a sealed.Box with a fixed test key.
func Box(tb testing.TB) *sealed.Box {
	tb.Helper()
	box, err := sealed.New(bytes.Repeat([]byte{7}, 32))
	if err != nil {
		tb.Fatal(err)
	}
	return box
}

// Open opens (migrating it) the database dsn names with Box and closes it
// at the end of the test.
func Open(tb testing.TB, dsn string) *store.DB {
	tb.Helper()
	db, err := store.Open(context.Background(), dsn, Box(tb))
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { db.Close() })
	return db
}

// PostgresURL returns the server URL of ANTRAG_TEST_POSTGRES, e.g.
// postgres://postgres@127.0.0.1:5432/test?sslmode=disable, whose user may
// create databases. Without it, it skips the test, or fails it when
// ANTRAG_REQUIRE_POSTGRES=1 (CI).
func PostgresURL(tb testing.TB) string {
	tb.Helper()
	u := os.Getenv("ANTRAG_TEST_POSTGRES")
	if u == "" {
		if os.Getenv("ANTRAG_REQUIRE_POSTGRES") == "1" {
			tb.Fatal("ANTRAG_REQUIRE_POSTGRES=1, but ANTRAG_TEST_POSTGRES names no PostgreSQL server")
		}
		tb.Skip("ANTRAG_TEST_POSTGRES not set: no PostgreSQL server to test with")
	}
	return u
}

// NewPostgresDatabase creates a database named antrag_test_<random> on the
// server of PostgresURL and returns its URL. The database is dropped, with
// any connections still open to it, when the test and its subtests have
// finished (so close the stores that use it in a cleanup registered after
// this call, or earlier).
func NewPostgresDatabase(tb testing.TB) string {
	tb.Helper()
	server := PostgresURL(tb)
	u, err := url.Parse(server)
	if err != nil {
		tb.Fatalf("ANTRAG_TEST_POSTGRES is not a URL: %v", err)
	}
	var b [8]byte
	rand.Read(b[:])
	name := "antrag_test_" + hex.EncodeToString(b[:])

	// CREATE DATABASE takes well under a second on an idle server; the
	// deadline only ends a server that does not answer.
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	conn, err := pgx.Connect(ctx, server)
	if err != nil {
		tb.Fatalf("connect to ANTRAG_TEST_POSTGRES: %v", err)
	}
	defer conn.Close(context.Background())
	if _, err := conn.Exec(ctx, `CREATE DATABASE `+name); err != nil {
		tb.Fatalf("create test database: %v", err)
	}
	tb.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		conn, err := pgx.Connect(ctx, server)
		if err != nil {
			tb.Errorf("drop test database %s: %v", name, err)
			return
		}
		defer conn.Close(context.Background())
		if _, err := conn.Exec(ctx, `DROP DATABASE IF EXISTS `+name+` WITH (FORCE)`); err != nil {
			tb.Errorf("drop test database %s: %v", name, err)
		}
	})
	u.Path = "/" + name
	return u.String()
}
