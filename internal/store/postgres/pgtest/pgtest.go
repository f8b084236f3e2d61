// Package pgtest gives tests a fresh, empty PostgreSQL database.
//
// The server is named by the environment variable ANTRAG_TEST_POSTGRES, a
// URL such as postgres://postgres@127.0.0.1:5432/test?sslmode=disable
// whose user may create databases. Without it, tests that need PostgreSQL
// are skipped, unless ANTRAG_REQUIRE_POSTGRES=1 (CI), where they fail.
package pgtest

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"net/url"
	"os"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
)

// URL returns the server URL of ANTRAG_TEST_POSTGRES. It skips the test
// when the variable is empty, or fails it when ANTRAG_REQUIRE_POSTGRES=1.
func URL(tb testing.TB) string {
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

// NewDatabase creates a database named antrag_test_<random> on the server
// of ANTRAG_TEST_POSTGRES (see URL for when it skips) and returns its URL.
// The database is dropped, with any connections still open to it, when the
// test and its subtests have finished (so close the stores that use it in
// a cleanup registered after this call, or earlier).
func NewDatabase(tb testing.TB) string {
	tb.Helper()
	server := URL(tb)
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
