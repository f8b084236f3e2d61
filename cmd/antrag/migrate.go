package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"text/tabwriter"

	"github.com/antrag/antrag/internal/store"
)

// runMigrate is `antrag migrate up|status`: the schema migrations of the
// database, for operators who migrate before rolling out a new version
// (then `serve --no-migrate`). `serve` migrates on start otherwise.
func runMigrate(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	if groupHelp("migrate", args, stdout) {
		return nil
	}
	if len(args) == 0 || (args[0] != "up" && args[0] != "status") {
		return usageError{"antrag migrate: Unterbefehl fehlt (up, status)"}
	}
	fs := flag.NewFlagSet("antrag migrate "+args[0], flag.ContinueOnError)
	fs.SetOutput(stderr)
	sf := addStoreFlags(fs, getenv)
	if err := parseFlags(fs, args[1:], stdout); err != nil {
		return err
	}
	dsn := sf.dbOrDefault()
	path, err := checkDB(dsn)
	if err != nil {
		return err
	}
	if args[0] == "up" {
		if path != "" {
			if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
				return err
			}
		}
		applied, err := store.Migrate(ctx, dsn)
		if err != nil {
			return err
		}
		if len(applied) == 0 {
			fmt.Fprintln(stdout, "Die Datenbank ist auf dem neuesten Stand.")
			return nil
		}
		for _, m := range applied {
			fmt.Fprintf(stdout, "angewandt: %s %s\n", m.Source, m.Name)
		}
		return nil
	}
	if path != "" {
		if _, err := os.Stat(path); err != nil {
			return fmt.Errorf("keine Datenbank in %s: %w", path, err)
		}
	}
	ms, err := store.MigrationStatus(ctx, dsn)
	if err != nil {
		return err
	}
	tw := tabwriter.NewWriter(stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "QUELLE\tVERSION\tNAME\tSTAND")
	pending := 0
	for _, m := range ms {
		state := "ausstehend"
		if m.Applied {
			state = "angewandt"
			if !m.AppliedAt.IsZero() {
				state += " " + m.AppliedAt.Format("2006-01-02 15:04:05Z")
			}
		} else {
			pending++
		}
		fmt.Fprintf(tw, "%s\t%d\t%s\t%s\n", m.Source, m.Version, m.Name, state)
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	fmt.Fprintf(stdout, "%d ausstehend\n", pending)
	return nil
}
