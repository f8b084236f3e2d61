// Command antrag is the online application platform: it serves FIM
// schemas as online services, with a caseworker inbox, and imports and
// inspects FIM schemas.
//
// Usage:
//
//	antrag [serve] [--demo] [--addr :8080] [--data DIR] [--db sqlite:PATH] [--base-url URL]
//	antrag user add --tenant SLUG --username NAME [--name NAME]  (password on stdin)
//	antrag tenant pages --tenant SLUG [--ersetzen] [FILE]
//	antrag catalog apply [--dry-run] [--operator NAME] FILE
//	antrag catalog export --dir DIR | -o FILE [--secrets-file FILE]
//	antrag fim inspect [--json] [--codelists DIR] [--translated-rules PATH] [--corrections FILE] FILE...
//	antrag fim schema [--uri URI] [--codelists DIR] [--translated-rules PATH] [--corrections FILE] FILE
//	antrag fim example [--land LAND] [--codelists DIR] [--translated-rules PATH] [--corrections FILE] FILE
//	antrag fim rules [--json] [--summary] [--codelists DIR] [--translated-rules PATH] [--corrections FILE] FILE...
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strings"
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
  antrag [serve] [--demo] [--addr :8080] [--data DIR] [--db sqlite:PFAD|postgres://…] [--base-url URL]
                                                           Server starten (Standard ohne Befehl)
  antrag tenant add --slug KURZNAME --name NAME --kind gemeinde|landkreis|land --ars ARS --authority BEHÖRDE
                                                           Mandanten mit zuständiger Behörde anlegen
  antrag tenant list                                       Mandanten auflisten
  antrag tenant pages --tenant MANDANT [--ersetzen] [DATEI]
                                                           Impressum, Datenschutzerklärung und Erklärung zur Barrierefreiheit
                                                           des Mandanten und seiner Behörden aus DATEI (JSON) festlegen bzw. zeigen
  antrag areas import DATEI                                Gebiete (ARS) aus Destatis-Codeliste (genericode) importieren
  antrag areas import-postcodes DATEI                      Postleitzahlen (CSV: antrag, OpenPLZ) importieren
  antrag areas lookup --postcode PLZ [--street STRASSE]    Gemeinde(n) einer Postleitzahl (und Straße) zeigen
  antrag areas list [--prefix ARS] [--level EBENE]         gespeicherte Gebiete auflisten
  antrag migrate up|status [--data DIR] [--db sqlite:PFAD|postgres://…]
                                                           Datenbank migrieren bzw. Stand der Migrationen zeigen
  antrag payment check --tenant MANDANT [--authority BEHÖRDE]
                                                           ePayment-Konten der Behörden beim Bezahldienst prüfen (XBezahldienste
                                                           GET status/{originatorId}/{endPointId})
  antrag service publish --tenant MANDANT --slug KURZNAME [--shared] [--fee TEXT] [--translated-rules DATEI] [--corrections DATEI] [--acknowledge-unsupported[=REGEL,…]] [--operator NAME] DATEI
                                                           FIM-Schema als Online-Dienst (neue Formularversion) veröffentlichen;
                                                           nicht unterstützte Regeln nur mit --acknowledge-unsupported
  antrag service list [--tenant MANDANT]                   Dienste mit aktueller Formularversion auflisten
  antrag service targets --tenant MANDANT --slug KURZNAME [--inbox] [--fitconnect ZUSTELLPUNKT] [--webhook URL] [--email ADRESSE] [--new-secrets]
                                                           Zustellung eines Dienstes zeigen oder festlegen
  antrag service identity --tenant MANDANT --slug KURZNAME [--niveau keins|niedrig|substantiell|hoch] [--schriftformersatz[=false]]
                                                           verlangtes Vertrauensniveau und Schriftformersatz eines Dienstes zeigen oder festlegen
  antrag service rules list --tenant MANDANT --slug KURZNAME
                                                           Regeln der aktuellen Formularversion mit Status, Herkunft und Grund zeigen
  antrag service rules set --tenant MANDANT --slug KURZNAME [--acknowledge-unsupported[=REGEL,…]] [--operator NAME] DATEI
                                                           Korrektur(en) einer Regel (JSON) setzen: neue Formularversion
  antrag service rules remove --tenant MANDANT --slug KURZNAME --rule REGEL[@VERSION] [--note TEXT] [--operator NAME]
                                                           Korrektur entfernen: neue Formularversion
  antrag service rules log --tenant MANDANT --slug KURZNAME
                                                           Änderungsprotokoll des Formulars (wer, welche Regel, welche Versionen)
  antrag catalog apply [--dry-run] [--operator NAME] [--codelists DIR] DATEI
                                                           Katalog als Code: Mandanten, Behörden, Dienste, Formulare, Zustellziele und
                                                           Zuständigkeiten wie in DATEI (YAML/JSON) herstellen; zeigt den Plan
  antrag catalog export --dir DIR | -o DATEI [--secrets-file DATEI]
                                                           Katalog der Installation als Katalogdatei mit Formulardateien schreiben
  antrag catalog schema                                    JSON Schema (2020-12) der Katalogdatei ausgeben
  antrag fitconnect keys [--out DIR] [--name CN] [--ca-cert PEM --ca-key PEM]
                                                           Schlüsselpaare (Verschlüsselung, Signatur) eines Zustellpunkts erzeugen
  antrag fitconnect sender --tenant MANDANT --client-id ID [--client-secret-file DATEI]
                                                           FIT-Connect-Senderkonto eines Mandanten speichern
  antrag fitconnect subscriber --tenant MANDANT --destination UUID --client-id ID [--client-secret-file DATEI] --keys JWKS
                                                           Zustellpunkt eines Mandanten (Empfang) speichern
  antrag fitconnect list                                   FIT-Connect-Konten auflisten
  antrag user add --tenant MANDANT --username NAME [--name NAME]
                                                           Zugang für Mitarbeitende anlegen (Passwort über stdin)
  antrag user list --tenant MANDANT                        Zugänge eines Mandanten auflisten
  antrag user passwd --tenant MANDANT --username NAME      Passwort ändern (über stdin); beendet die Sitzungen
  antrag user disable --tenant MANDANT --username NAME     Zugang sperren; beendet die Sitzungen
  antrag user enable --tenant MANDANT --username NAME      gesperrten Zugang entsperren
  antrag user remove --tenant MANDANT --username NAME      Zugang entfernen
  antrag user totp --tenant MANDANT --username NAME [--entfernen]
                                                           zweiten Faktor (TOTP) einrichten und otpauth-Adresse ausgeben, oder entfernen
  antrag user role --tenant MANDANT --username NAME [--role admin|sachbearbeitung] [--dienst KURZNAME]… [--behoerde NAME]… [--alle]
                                                           Rolle und Beschränkungen anzeigen oder setzen
  antrag fim inspect [--json] [--codelists DIR] DATEI...   FIM-Schemata prüfen und zusammenfassen
  antrag fim schema [--uri URI] [--codelists DIR] DATEI    JSON Schema (2020-12) der Antragsdaten ausgeben
  antrag fim example [--land LAND] [--codelists DIR] DATEI gültiges Beispiel-Datendokument ausgeben
  antrag fim rules [--json] [--summary] [--codelists DIR] DATEI...
                                                           Regeln übersetzen und ihren Status zeigen
    (alle fim-Befehle auch mit [--translated-rules PFAD] [--corrections DATEI]:
     maschinenlesbare Regeln der FITKO und eigene Korrekturen)
  antrag load [--url URL] [--mode api|html|mixed] …        laufende Installation mit simulierten Anträgen belasten

Umgebung (wie die gleichnamigen Optionen):
  ANTRAG_ADDR, ANTRAG_DATA, ANTRAG_DB, ANTRAG_BASE_URL, ANTRAG_DEMO (1),
  ANTRAG_DRAFT_TTL, ANTRAG_RETENTION, ANTRAG_CODELISTS, ANTRAG_TRANSLATED_RULES, ANTRAG_LOG_LEVEL, ANTRAG_TRUSTED_PROXIES,
  ANTRAG_DATE_YEARS, ANTRAG_NO_MIGRATE (1), ANTRAG_CONFIG_RECHECK, ANTRAG_OTLP_ENDPOINT, ANTRAG_TRACE_RATIO,
  ANTRAG_LOGIN_HASHES, ANTRAG_METRICS_ADDR, ANTRAG_PAYMENT_MAX_AGE, ANTRAG_PAYMENT_RECONCILE, ANTRAG_PAYMENT_TIMEOUT,
  ANTRAG_DELIVERY_MAX_AGE, ANTRAG_FITCONNECT_TOKEN_URL, ANTRAG_FITCONNECT_SUBMISSION_API,
  ANTRAG_FITCONNECT_DESTINATION_API, ANTRAG_FITCONNECT_VERSION, ANTRAG_FITCONNECT_TRUST_ANCHORS,
  ANTRAG_SMTP_ADDR, ANTRAG_SMTP_FROM, ANTRAG_SMTP_USER, ANTRAG_SMTP_TLS
  ANTRAG_SMTP_PASSWORD Passwort des SMTP-Benutzers
  ANTRAG_FITCONNECT_CLIENT_SECRET  Client-Secret für antrag fitconnect sender|subscriber
  ANTRAG_DATA_KEY    Datenschlüssel (32 Bytes Base64) statt der Schlüsseldatei im Datenverzeichnis
`

// groupHelp prints the overview's lines of a command group (e.g. "fim":
// its subcommands with their flags) to stdout if args ask for help (-h,
// --help or help), and reports whether they did.
func groupHelp(group string, args []string, stdout io.Writer) bool {
	if len(args) == 0 || args[0] != "-h" && args[0] != "--help" && args[0] != "help" {
		return false
	}
	in := false
	for line := range strings.Lines(usage) {
		switch {
		case strings.HasPrefix(line, "  antrag "+group+" "):
			in = true
		case in && strings.HasPrefix(line, "   "): // the description below a long command line
		default:
			in = false
		}
		if in {
			fmt.Fprint(stdout, line)
		}
	}
	return true
}

// run is the whole program; main only supplies the process environment.
func run(ctx context.Context, args []string, getenv func(string) string, stdin io.Reader, stdout, stderr io.Writer) error {
	if len(args) == 0 || strings.HasPrefix(args[0], "-") && args[0] != "-h" && args[0] != "--help" {
		return runServe(ctx, args, getenv, stdout, stderr)
	}
	switch args[0] {
	case "serve":
		return runServe(ctx, args[1:], getenv, stdout, stderr)
	case "user":
		return runUser(ctx, args[1:], getenv, stdin, stdout, stderr)
	case "tenant":
		return runTenant(ctx, args[1:], getenv, stdout, stderr)
	case "service":
		return runService(ctx, args[1:], getenv, stdout, stderr)
	case "catalog":
		return runCatalog(ctx, args[1:], getenv, stdout, stderr)
	case "fim":
		return runFim(ctx, args[1:], getenv, stdout, stderr)
	case "fitconnect":
		return runFitconnect(ctx, args[1:], getenv, stdout, stderr)
	case "load":
		return runLoad(ctx, args[1:], stdout, stderr)
	case "areas":
		return runAreas(ctx, args[1:], getenv, stdout, stderr)
	case "migrate":
		return runMigrate(ctx, args[1:], getenv, stdout, stderr)
	case "payment":
		return runPayment(ctx, args[1:], getenv, stdout, stderr)
	case "help", "-h", "--help":
		fmt.Fprint(stdout, usage)
		return nil
	}
	fmt.Fprint(stderr, usage)
	return usageError{fmt.Sprintf("unbekannter Befehl %q", args[0])}
}
