package main

import (
	"bufio"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"strings"

	"github.com/antrag/antrag/internal/account"
)

// runUser handles `antrag user add`: it creates a caseworker account. The
// password is read from the first line of standard input, so that it never
// appears in the process list or shell history.
func runUser(ctx context.Context, args []string, getenv func(string) string, stdin io.Reader, stdout, stderr io.Writer) error {
	if len(args) == 0 || args[0] != "add" {
		return usageError{"antrag user: Unterbefehl fehlt (add)"}
	}
	fs := flag.NewFlagSet("antrag user add", flag.ContinueOnError)
	fs.SetOutput(stderr)
	tenantSlug := fs.String("tenant", "", "Mandant (Kurzname, z. B. musterstadt)")
	username := fs.String("username", "", "Benutzername (3 bis 64 Zeichen)")
	name := fs.String("name", "", "angezeigter Name")
	dataDir := fs.String("data", envOr(getenv, "ANTRAG_DATA", "./antrag-data"), "Datenverzeichnis")
	db := fs.String("db", getenv("ANTRAG_DB"), "Datenbank: sqlite:PFAD (Standard: sqlite:<data>/antrag.db)")
	if err := fs.Parse(args[1:]); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return exitError{0}
		}
		return usageError{err.Error()}
	}
	u := strings.TrimSpace(*username)
	if *tenantSlug == "" || len(u) < 3 || len(u) > 64 {
		return usageError{"antrag user add: --tenant und --username (3 bis 64 Zeichen) angeben; das Passwort kommt über die Standardeingabe"}
	}
	c := &serveConfig{dataDir: *dataDir, db: *db, dataKey: getenv("ANTRAG_DATA_KEY")}
	if c.db == "" {
		c.db = "sqlite:" + *dataDir + "/antrag.db"
	}
	if _, err := sqlitePath(c.db); err != nil {
		return err
	}
	fmt.Fprint(stderr, "Passwort (eine Zeile): ")
	line, err := bufio.NewReader(stdin).ReadString('\n')
	if err != nil && !(errors.Is(err, io.EOF) && line != "") {
		return fmt.Errorf("Passwort lesen: %w", err)
	}
	pw := strings.TrimRight(line, "\r\n")
	hash, err := account.HashPassword(pw)
	if err != nil {
		return err
	}
	st, closeFn, err := openStore(ctx, c)
	if err != nil {
		return err
	}
	defer closeFn()
	t, err := st.TenantBySlug(ctx, *tenantSlug)
	if err != nil {
		return fmt.Errorf("Mandant %q: %w", *tenantSlug, err)
	}
	display := *name
	if display == "" {
		display = u
	}
	if err := st.CreateUser(ctx, &account.User{TenantID: t.ID, Username: u, Name: display, PasswordHash: hash}); err != nil {
		return fmt.Errorf("Benutzer %q: %w", u, err)
	}
	fmt.Fprintf(stdout, "\nBenutzer %s für %s angelegt.\n", u, t.Name)
	return nil
}

func envOr(getenv func(string) string, k, def string) string {
	if v := getenv(k); v != "" {
		return v
	}
	return def
}
