package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/mail"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"text/tabwriter"

	"github.com/antrag/antrag/internal/apperr"
	"github.com/antrag/antrag/internal/catalog"
	"github.com/antrag/antrag/internal/store"
	"github.com/antrag/antrag/internal/tenant"
)

// The catalogue commands: `antrag tenant add|list|pages` and `antrag
// service publish|list`. They work on the database of an existing installation,
// also while `antrag serve` runs on it.

// storeFlags are the flags that select the installation.
type storeFlags struct {
	dataDir, db string
}

func addStoreFlags(fs *flag.FlagSet, getenv func(string) string) *storeFlags {
	f := &storeFlags{}
	fs.StringVar(&f.dataDir, "data", envOr(getenv, "ANTRAG_DATA", "./antrag-data"), "Datenverzeichnis")
	fs.StringVar(&f.db, "db", getenv("ANTRAG_DB"), "Datenbank: sqlite:PFAD oder postgres://… (Standard: sqlite:<data>/antrag.db)")
	return f
}

// dbOrDefault is --db, or the database in the data directory.
func (f *storeFlags) dbOrDefault() string {
	if f.db == "" {
		return "sqlite:" + filepath.Join(f.dataDir, "antrag.db")
	}
	return f.db
}

func (f *storeFlags) open(ctx context.Context, getenv func(string) string) (*store.DB, func(), error) {
	return openStore(ctx, &serveConfig{dataDir: f.dataDir, db: f.dbOrDefault(), dataKey: getenv("ANTRAG_DATA_KEY")})
}

// openTenant opens the installation and finds the tenant by its slug; an
// unknown slug is an error naming it.
func (f *storeFlags) openTenant(ctx context.Context, getenv func(string) string, slug string) (*store.DB, *tenant.Tenant, func(), error) {
	st, closeFn, err := f.open(ctx, getenv)
	if err != nil {
		return nil, nil, nil, err
	}
	t, err := st.TenantBySlug(ctx, slug)
	if errors.Is(err, apperr.NotFound) {
		closeFn()
		return nil, nil, nil, fmt.Errorf("Mandant %q gibt es nicht (antrag tenant list)", slug)
	}
	if err != nil {
		closeFn()
		return nil, nil, nil, fmt.Errorf("Mandant %q: %w", slug, err)
	}
	return st, t, closeFn, nil
}

// parseFlags parses args. -h or --help lists all flags of fs on stdout
// and is exit status 0; a mistake lists them on fs's output (stderr) and
// is a usage error with a German message (flagError).
func parseFlags(fs *flag.FlagSet, args []string, stdout io.Writer) error {
	errOut := fs.Output()
	fs.Usage = func() {}     // printed below, to the stream that fits
	fs.SetOutput(io.Discard) // the flag package's own English message
	err := fs.Parse(args)
	fs.SetOutput(errOut)
	if err == nil {
		return nil
	}
	if errors.Is(err, flag.ErrHelp) {
		printFlags(fs, stdout)
		return exitError{0}
	}
	printFlags(fs, errOut)
	return usageError{flagError(fs.Name(), err)}
}

// flagMessages match the errors of FlagSet.Parse (Go 1.26, flag.go).
var flagMessages = []struct {
	re     *regexp.Regexp
	german func(cmd string, m []string) string
}{
	{regexp.MustCompile(`^flag provided but not defined: (-.*)$`), func(cmd string, m []string) string {
		return fmt.Sprintf("unbekannte Option %s; %s --help zeigt die Optionen", m[1], cmd)
	}},
	{regexp.MustCompile(`^bad flag syntax: (.*)$`), func(cmd string, m []string) string {
		return fmt.Sprintf("%q ist keine Option (Optionen beginnen mit - oder --); %s --help zeigt die Optionen", m[1], cmd)
	}},
	{regexp.MustCompile(`^flag needs an argument: (-.*)$`), func(cmd string, m []string) string {
		return fmt.Sprintf("Option %s ohne Wert; %s --help zeigt die Optionen", m[1], cmd)
	}},
	{regexp.MustCompile(`^invalid boolean value (".*") for (-\S+): `), func(cmd string, m []string) string {
		return fmt.Sprintf("Option %s: %s ist kein Wahrheitswert (true oder false)", m[2], m[1])
	}},
	{regexp.MustCompile(`^invalid boolean flag (\S+): `), func(cmd string, m []string) string {
		return fmt.Sprintf("Option -%s lässt sich nicht setzen", m[1])
	}},
	{regexp.MustCompile(`^invalid value (".*") for flag (-\S+): (.*)$`), func(cmd string, m []string) string {
		switch m[3] {
		case "parse error":
			return fmt.Sprintf("Option %s: %s ist kein gültiger Wert (Zahl oder Dauer wie 30s?); %s --help zeigt die Optionen", m[2], m[1], cmd)
		case "value out of range":
			return fmt.Sprintf("Option %s: %s ist zu groß oder zu klein", m[2], m[1])
		}
		return fmt.Sprintf("Option %s: %s ist kein gültiger Wert: %s", m[2], m[1], m[3]) // the Value's own message
	}},
}

// flagError translates an error of FlagSet.Parse for the command cmd
// (e.g. "antrag tenant pages") into German, e.g. "unbekannte Option -foo;
// antrag tenant pages --help zeigt die Optionen".
func flagError(cmd string, err error) string {
	for _, f := range flagMessages {
		if m := f.re.FindStringSubmatch(err.Error()); m != nil {
			return f.german(cmd, m)
		}
	}
	return fmt.Sprintf("%s: ungültige Optionen (%v); %s --help zeigt die Optionen", cmd, err, cmd)
}

// printFlags writes every flag of fs with its default and meaning to w.
func printFlags(fs *flag.FlagSet, w io.Writer) {
	prev := fs.Output()
	fs.SetOutput(w)
	fmt.Fprintf(w, "Optionen von %s:\n", fs.Name())
	fs.PrintDefaults()
	fs.SetOutput(prev)
}

func runTenant(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	if groupHelp("tenant", args, stdout) {
		return nil
	}
	if len(args) == 0 {
		return usageError{"antrag tenant: Unterbefehl fehlt (add, list, pages)"}
	}
	switch args[0] {
	case "add":
		return tenantAdd(ctx, args[1:], getenv, stdout, stderr)
	case "pages":
		return tenantPages(ctx, args[1:], getenv, stdout, stderr)
	case "list":
		fs := flag.NewFlagSet("antrag tenant list", flag.ContinueOnError)
		fs.SetOutput(stderr)
		sf := addStoreFlags(fs, getenv)
		if err := parseFlags(fs, args[1:], stdout); err != nil {
			return err
		}
		st, closeFn, err := sf.open(ctx, getenv)
		if err != nil {
			return err
		}
		defer closeFn()
		ts, err := st.ListTenants(ctx)
		if err != nil {
			return err
		}
		tw := tabwriter.NewWriter(stdout, 0, 4, 2, ' ', 0)
		fmt.Fprintln(tw, "KURZNAME\tNAME\tART\tARS\tBEHÖRDEN")
		for _, t := range ts {
			as, err := st.ListAuthorities(ctx, t.ID)
			if err != nil {
				return err
			}
			var names []string
			for _, a := range as {
				names = append(names, a.Name)
			}
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\n", t.Slug, t.Name, t.Kind, t.ARS, strings.Join(names, "; "))
		}
		return tw.Flush()
	}
	return usageError{fmt.Sprintf("antrag tenant: unbekannter Unterbefehl %q (add, list, pages)", args[0])}
}

// tenantAdd creates a tenant with its first authority, in that order; if
// the authority fails, the tenant exists without one and the error says so.
func tenantAdd(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("antrag tenant add", flag.ContinueOnError)
	fs.SetOutput(stderr)
	sf := addStoreFlags(fs, getenv)
	t := &tenant.Tenant{}
	a := &tenant.Authority{}
	fs.StringVar(&t.Slug, "slug", "", "Kurzname in der Adresse, z. B. musterstadt")
	fs.StringVar(&t.Name, "name", "", "Name, z. B. \"Stadt Musterstadt\"")
	kind := fs.String("kind", "gemeinde", "gemeinde, landkreis oder land")
	fs.StringVar(&t.ARS, "ars", "", "Amtlicher Regionalschlüssel (2 bis 12 Ziffern)")
	fs.StringVar(&a.Name, "authority", "", "Name der zuständigen Behörde, z. B. \"Bürgeramt Musterstadt\"")
	address := fs.String("authority-address", "", "Anschrift der Behörde, Zeilen durch ; getrennt")
	fs.StringVar(&a.Email, "authority-email", "", "Kontaktadresse der Behörde für Bürgerinnen und Bürger")
	if err := parseFlags(fs, args, stdout); err != nil {
		return err
	}
	t.Kind = tenant.Kind(*kind)
	if fs.NArg() > 0 {
		return usageError{fmt.Sprintf("antrag tenant add: unerwartetes Argument %q", fs.Arg(0))}
	}
	if err := t.Validate(); err != nil {
		return usageError{"antrag tenant add: " + err.Error()}
	}
	if strings.TrimSpace(a.Name) == "" {
		return usageError{"antrag tenant add: --authority (Name der Behörde) angeben"}
	}
	if a.Email != "" {
		if addr, err := mail.ParseAddress(a.Email); err != nil || addr.Address != a.Email {
			return usageError{fmt.Sprintf("antrag tenant add: --authority-email %q ist keine E-Mail-Adresse", a.Email)}
		}
	}
	for _, line := range strings.Split(*address, ";") {
		if line = strings.TrimSpace(line); line != "" {
			a.Address = append(a.Address, line)
		}
	}
	st, closeFn, err := sf.open(ctx, getenv)
	if err != nil {
		return err
	}
	defer closeFn()
	if err := st.CreateTenant(ctx, t); err != nil {
		if errors.Is(err, apperr.Conflict) {
			return fmt.Errorf("Mandant %q gibt es schon", t.Slug)
		}
		return err
	}
	a.TenantID = t.ID
	if err := st.CreateAuthority(ctx, a); err != nil {
		return fmt.Errorf("Mandant %s angelegt, Behörde nicht: %w", t.Slug, err)
	}
	fmt.Fprintf(stdout, "Mandant %s (%s) mit Behörde %q angelegt: /%s/\n", t.Slug, t.Name, a.Name, t.Slug)
	return nil
}

func runService(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	if groupHelp("service", args, stdout) {
		return nil
	}
	if len(args) == 0 {
		return usageError{"antrag service: Unterbefehl fehlt (publish, list, targets, identity, rules)"}
	}
	switch args[0] {
	case "publish":
		return servicePublish(ctx, args[1:], getenv, stdout, stderr)
	case "list":
		return serviceList(ctx, args[1:], getenv, stdout, stderr)
	case "targets":
		return serviceTargets(ctx, args[1:], getenv, stdout, stderr)
	case "identity":
		return serviceIdentity(ctx, args[1:], getenv, stdout, stderr)
	case "rules":
		return serviceRules(ctx, args[1:], getenv, stdout, stderr) // service_rules.go
	}
	return usageError{fmt.Sprintf("antrag service: unbekannter Unterbefehl %q (publish, list, targets, identity, rules)", args[0])}
}

// servicePublish imports an XDatenfelder file and publishes it as the next
// form version of a tenant's service, creating the service on its first
// publication. A file that does not import, rule sources that do not fit
// it and unsupported Regeln without --acknowledge-unsupported publish
// nothing (package catalog).
func servicePublish(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("antrag service publish", flag.ContinueOnError)
	fs.SetOutput(stderr)
	sf := addStoreFlags(fs, getenv)
	tenantSlug := fs.String("tenant", "", "Mandant (Kurzname)")
	svc := &tenant.Service{}
	fs.StringVar(&svc.Slug, "slug", "", "Kurzname des Dienstes in der Adresse, z. B. gewerbeanmeldung")
	fs.StringVar(&svc.Name, "name", "", "Name des Dienstes (Standard: Bezeichnung des Schemas; nur beim ersten Veröffentlichen)")
	fs.StringVar(&svc.Leistungsschluessel, "leika", "", "Leistungsschlüssel (14 Ziffern; Standard: aus dem Schema)")
	fs.BoolVar(&svc.Shared, "shared", false, "für alle Mandanten anbieten (Einer für Alle)")
	fs.StringVar(&svc.FeeText, "fee", "", "Hinweis zur Gebühr, z. B. \"Die Gebühr beträgt 26,00 Euro.\"")
	fs.StringVar(&svc.DurationText, "duration", "", "erwartete Dauer, z. B. \"etwa 15 Minuten\"")
	fs.StringVar(&svc.Description, "description", "", "kurze Beschreibung für die Startseite")
	codelists := fs.String("codelists", getenv("ANTRAG_CODELISTS"), "Verzeichnis mit zusätzlichen genericode-Codelisten")
	translated := fs.String("translated-rules", getenv("ANTRAG_TRANSLATED_RULES"),
		"Datei oder Verzeichnis mit FITKOs übersetzten Regeln für diese Formularversion (aus einem Verzeichnis oder ANTRAG_TRANSLATED_RULES nur die der Elemente des Schemas)")
	corrections := fs.String("corrections", "", "Korrekturen von Regeln (JSON: eine Korrektur oder eine Liste) für diese Formularversion")
	var ack ackFlag
	fs.Var(&ack, "acknowledge-unsupported", ackUsage)
	operator := addOperatorFlag(fs, getenv)
	if err := parseFlags(fs, args, stdout); err != nil {
		return err
	}
	if *tenantSlug == "" || svc.Slug == "" || fs.NArg() != 1 {
		return usageError{"antrag service publish: --tenant, --slug und genau eine XDatenfelder-Datei angeben"}
	}
	actor, err := operatorName("antrag service publish", *operator)
	if err != nil {
		return err
	}
	file := fs.Arg(0)
	xdf, err := os.ReadFile(file)
	if err != nil {
		return err
	}
	cat, err := codelistCatalog(*codelists)
	if err != nil {
		return err
	}
	library := *translated != "" && *translated == getenv("ANTRAG_TRANSLATED_RULES")
	cand, acknowledged, err := preparePublication(xdf, file, cat, *translated, library, *corrections, ack.a) // service_rules.go
	if err != nil {
		return fmt.Errorf("nicht veröffentlicht: %w", err)
	}
	schema, rep := cand.Schema, cand.Report

	st, t, closeFn, err := sf.openTenant(ctx, getenv, *tenantSlug)
	if err != nil {
		return err
	}
	defer closeFn()
	existing, err := st.ServiceBySlug(ctx, t.ID, svc.Slug)
	switch {
	case err == nil && existing.TenantID == t.ID:
		svc = existing
	case err == nil || errors.Is(err, apperr.NotFound):
		// New (a shared service of another tenant with the slug does not
		// stop this tenant from having its own).
		as, err := st.ListAuthorities(ctx, t.ID)
		if err != nil {
			return err
		}
		if len(as) == 0 {
			return fmt.Errorf("Mandant %s hat keine Behörde", t.Slug)
		}
		svc.TenantID, svc.AuthorityID = t.ID, as[0].ID
		if svc.Name == "" {
			svc.Name = schema.Title()
		}
		if svc.Leistungsschluessel == "" {
			for _, k := range schema.Leistungsschluessel {
				if probe := (tenant.Service{Slug: svc.Slug, Name: svc.Name, Leistungsschluessel: k}); probe.Validate() == nil {
					svc.Leistungsschluessel = k
					break
				}
			}
		}
		if err := svc.Validate(); err != nil {
			return usageError{"antrag service publish: " + err.Error()}
		}
		if err := st.CreateService(ctx, svc); err != nil {
			return err
		}
	default:
		return err
	}
	ev := &tenant.ServiceEvent{Actor: actor, Action: tenant.ActionPublished, FromVersionID: svc.FormVersionID, Note: cand.Note("", acknowledged)}
	fv, err := catalog.Publish(ctx, st, t.ID, svc.ID, cand, acknowledged, ev)
	if err != nil {
		return err
	}
	writeReport(stdout, rep)
	if len(acknowledged) > 0 {
		fmt.Fprintf(stdout, "  nicht unterstützt, bestätigt: %s\n", strings.Join(acknowledged, ", "))
	}
	fmt.Fprintf(stdout, "\nVeröffentlicht: /%s/dienste/%s, Formularversion %d (%s %s)\n", t.Slug, svc.Slug, fv.Version, fv.FIMID, fv.FIMVersion)
	droppedSourcesHint(ctx, st, t.ID, ev.FromVersionID, cand, stdout) // service_rules.go
	return nil
}

func serviceList(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("antrag service list", flag.ContinueOnError)
	fs.SetOutput(stderr)
	sf := addStoreFlags(fs, getenv)
	tenantSlug := fs.String("tenant", "", "nur die Dienste dieses Mandanten (mit den geteilten)")
	if err := parseFlags(fs, args, stdout); err != nil {
		return err
	}
	st, closeFn, err := sf.open(ctx, getenv)
	if err != nil {
		return err
	}
	defer closeFn()
	var svcs []*tenant.Service
	if *tenantSlug != "" {
		t, err := st.TenantBySlug(ctx, *tenantSlug)
		if err != nil {
			return fmt.Errorf("Mandant %q: %w", *tenantSlug, err)
		}
		svcs, err = st.ListServices(ctx, t.ID)
		if err != nil {
			return err
		}
	} else if svcs, err = st.ListAllServices(ctx); err != nil {
		return err
	}
	owners := map[string]string{}
	tw := tabwriter.NewWriter(stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "MANDANT\tKURZNAME\tVERSION\tSCHEMA\tLEIKA\tEFA\tNAME")
	for _, s := range svcs {
		owner, ok := owners[s.TenantID]
		if !ok {
			t, err := st.Tenant(ctx, s.TenantID)
			if err != nil {
				return err
			}
			owner, owners[s.TenantID] = t.Slug, t.Slug
		}
		version, schema := "-", "-"
		if s.FormVersionID != "" {
			fv, err := st.FormVersion(ctx, s.TenantID, s.FormVersionID)
			if err != nil {
				return err
			}
			version, schema = fmt.Sprint(fv.Version), fv.FIMID+" "+fv.FIMVersion
		}
		efa := ""
		if s.Shared {
			efa = "ja"
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\n", owner, s.Slug, version, schema, s.Leistungsschluessel, efa, s.Name)
	}
	return tw.Flush()
}
