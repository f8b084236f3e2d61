// Command antrag is the online application platform: it imports FIM
// schemas and (in later subcommands) serves them as online services.
//
// Usage:
//
//	antrag fim inspect [--json] [--codelists DIR] FILE...
//	antrag fim schema [--uri URI] [--codelists DIR] FILE
//	antrag fim example [--codelists DIR] FILE
//	antrag fim rules [--json] [--summary] [--codelists DIR] FILE...
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	err := run(ctx, os.Args[1:], os.Getenv, os.Stdin, os.Stdout, os.Stderr)
	stop()
	os.Exit(exitCode(err, os.Stderr))
}

// exitError carries an exit status; its message, if any, is already printed.
type exitError struct{ code int }

func (e exitError) Error() string { return fmt.Sprintf("exit status %d", e.code) }

// usageError is a command-line mistake; it exits with status 2.
type usageError struct{ msg string }

func (e usageError) Error() string { return e.msg }

func exitCode(err error, stderr io.Writer) int {
	if err == nil {
		return 0
	}
	var ee exitError
	if errors.As(err, &ee) {
		return ee.code
	}
	fmt.Fprintln(stderr, "antrag:", err)
	var ue usageError
	if errors.As(err, &ue) {
		return 2
	}
	return 1
}

const usage = `antrag – Antragsplattform für FIM-basierte Online-Dienste

Befehle:
  antrag fim inspect [--json] [--codelists DIR] DATEI...   FIM-Schemata prüfen und zusammenfassen
  antrag fim schema [--uri URI] [--codelists DIR] DATEI    JSON Schema (2020-12) der Antragsdaten ausgeben
  antrag fim example [--codelists DIR] DATEI               gültiges Beispiel-Datendokument ausgeben
  antrag fim rules [--json] [--summary] DATEI...           Regeln übersetzen und ihren Status zeigen

Umgebung:
  ANTRAG_CODELISTS   Verzeichnis mit zusätzlichen genericode-Codelisten (wie --codelists)
`

// run is the whole program; main only supplies the process environment.
func run(ctx context.Context, args []string, getenv func(string) string, stdin io.Reader, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		fmt.Fprint(stderr, usage)
		return usageError{"kein Befehl angegeben"}
	}
	switch args[0] {
	case "fim":
		return runFim(ctx, args[1:], getenv, stdout, stderr)
	case "help", "-h", "--help":
		fmt.Fprint(stdout, usage)
		return nil
	}
	fmt.Fprint(stderr, usage)
	return usageError{fmt.Sprintf("unbekannter Befehl %q", args[0])}
}
