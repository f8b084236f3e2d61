package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"slices"
	"strings"
	"time"

	"github.com/antrag/antrag/internal/fim"
	"github.com/antrag/antrag/internal/form"
	"github.com/antrag/antrag/internal/journey"
	"github.com/antrag/antrag/internal/rules"
)

func runFim(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	if groupHelp("fim", args, stdout) {
		return nil
	}
	if len(args) == 0 {
		return usageError{"antrag fim: Unterbefehl fehlt (inspect, schema, example, rules)"}
	}
	switch args[0] {
	case "inspect":
		return fimInspect(args[1:], getenv, stdout, stderr)
	case "schema":
		return fimSchema(args[1:], getenv, stdout, stderr)
	case "example":
		return fimExample(args[1:], getenv, stdout, stderr)
	case "rules":
		return fimRules(args[1:], getenv, stdout, stderr)
	}
	return usageError{fmt.Sprintf("antrag fim: unbekannter Unterbefehl %q", args[0])}
}

// fimFlags holds the flags every fim subcommand takes.
type fimFlags struct {
	fs          *flag.FlagSet
	stdout      io.Writer // for --help
	codelists   string
	translated  string
	corrections string
}

func newFimFlags(name string, getenv func(string) string, stdout, stderr io.Writer) *fimFlags {
	f := &fimFlags{fs: flag.NewFlagSet("antrag fim "+name, flag.ContinueOnError), stdout: stdout}
	f.fs.SetOutput(stderr)
	f.fs.StringVar(&f.codelists, "codelists", getenv("ANTRAG_CODELISTS"), "Verzeichnis mit zusätzlichen genericode-Codelisten")
	f.fs.StringVar(&f.translated, "translated-rules", getenv("ANTRAG_TRANSLATED_RULES"),
		"Datei oder Verzeichnis mit FITKOs maschinenlesbar übersetzten Regeln (Antworten von /api/v1/translated-rules/{id}/{version} als <id>_<version>.json oder <id>/<version>.json)")
	f.fs.StringVar(&f.corrections, "corrections", "", "JSON-Datei mit Korrekturen einzelner Regeln (Liste), zum Ausprobieren vor der Veröffentlichung")
	return f
}

// sources loads --translated-rules and --corrections; nil when neither is
// given.
func (f *fimFlags) sources() (*fimSources, error) {
	if f.translated == "" && f.corrections == "" {
		return nil, nil
	}
	src := &rules.Sources{}
	if f.translated != "" {
		tr, err := rules.LoadTranslations(f.translated)
		if err != nil {
			return nil, err
		}
		src.Translations = tr
	}
	if f.corrections != "" {
		cs, err := rules.LoadCorrections(f.corrections)
		if err != nil {
			return nil, err
		}
		src.Corrections = cs
	}
	return &fimSources{src: src, used: map[string]bool{}}, nil
}

// fimSources are the rule sources of a fim subcommand, shared by its files.
type fimSources struct {
	src  *rules.Sources
	used map[string]bool // regel ids of corrections some file carries
}

// compile compiles the rules of s with the sources that concern it (see
// rules.Sources.ForSchema) and writes their problems to stderr, one line
// each, prefixed with the file. The problems are not fatal: a translation
// that cannot be used falls back to the free text, an invalid correction
// makes its regel unsupported, and both show in the output. A nil fs
// compiles the free text only.
func (fs *fimSources) compile(s *form.Schema, file string, stderr io.Writer) *rules.Program {
	if fs == nil {
		return rules.Compile(s)
	}
	mine := fs.src.ForSchema(s)
	for _, c := range mine.Corrections {
		fs.used[c.Rule] = true
	}
	if err := mine.Check(s); err != nil {
		for line := range strings.Lines(err.Error()) {
			fmt.Fprintf(stderr, "%s: %s\n", file, strings.TrimSuffix(line, "\n"))
		}
	}
	return rules.CompileWith(s, mine)
}

// reportUnused writes the corrections that concern none of the files to
// stderr.
func (fs *fimSources) reportUnused(stderr io.Writer) {
	if fs == nil {
		return
	}
	for _, c := range fs.src.Corrections {
		if !fs.used[c.Rule] {
			fmt.Fprintf(stderr, "Korrektur %s@%s: keine der Dateien enthält die Regel %s\n", c.Rule, c.Version, c.Rule)
		}
	}
}

func (f *fimFlags) parse(args []string) error { return parseFlags(f.fs, args, f.stdout) }

func (f *fimFlags) options() (fim.Options, error) {
	cat, err := fim.DefaultCatalog()
	if err != nil {
		return fim.Options{}, err
	}
	if f.codelists != "" {
		cat = cat.Clone()
		if err := cat.AddDir(f.codelists); err != nil {
			return fim.Options{}, err
		}
	}
	return fim.Options{Catalog: cat}, nil
}

func fimInspect(args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	f := newFimFlags("inspect", getenv, stdout, stderr)
	asJSON := f.fs.Bool("json", false, "Ergebnis als JSON ausgeben")
	lenient := f.fs.Bool("lenient", false, "Verstöße gegen das XSD von XDatenfelder 2 und 3 als Warnungen melden, statt die Datei abzulehnen")
	if err := f.parse(args); err != nil {
		return err
	}
	if f.fs.NArg() == 0 {
		return usageError{"antrag fim inspect: keine Datei angegeben"}
	}
	opts, err := f.options()
	if err != nil {
		return err
	}
	opts.Lenient = *lenient
	src, err := f.sources()
	if err != nil {
		return err
	}
	var reports []*fim.Report
	failed := 0
	for _, file := range f.fs.Args() {
		s, rep, err := fim.ImportFile(file, opts)
		if err != nil {
			fmt.Fprintln(stderr, err)
			failed++
			continue
		}
		prog := src.compile(s, file, stderr)
		for _, r := range prog.Distinct() {
			rep.AddRuleStatus(r.ID, r.Version, string(r.Status), r.Reason, prog.Line(r))
			if r.Status == rules.Compiled && r.Reason != "" {
				// A translation not used, or a correction's note.
				rep.Warnings = append(rep.Warnings, fim.Warning{Code: fim.WarnRule, Line: prog.Line(r), Count: 1,
					Message: fmt.Sprintf("Regel %s %s (%s): %s", r.ID, r.Version, r.Origin, r.Reason)})
			}
		}
		rep.File = file
		reports = append(reports, rep)
	}
	src.reportUnused(stderr)
	if *asJSON {
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		enc.SetEscapeHTML(false)
		if reports == nil {
			reports = []*fim.Report{}
		}
		if err := enc.Encode(reports); err != nil {
			return err
		}
	} else {
		for i, r := range reports {
			if i > 0 {
				fmt.Fprintln(stdout)
			}
			writeReport(stdout, r)
		}
	}
	if failed > 0 {
		fmt.Fprintf(stderr, "%d von %d Dateien nicht importierbar\n", failed, f.fs.NArg())
		return exitError{1}
	}
	return nil
}

func writeReport(w io.Writer, r *fim.Report) {
	fmt.Fprintf(w, "%s\n", r.File)
	fmt.Fprintf(w, "  %s %s (XDatenfelder %s, %s)\n", r.ID, r.Version, r.XDFVersion, r.Root)
	fmt.Fprintf(w, "  Name: %s\n", r.Name)
	if len(r.Leistungsschluessel) > 0 {
		fmt.Fprintf(w, "  Leistungsschlüssel: %s\n", strings.Join(r.Leistungsschluessel, ", "))
	}
	fmt.Fprintf(w, "  Datenfeldgruppen: %d, Datenfelder: %d, Regeln: %d\n", r.Groups, r.Fields, r.Rules)
	if rs := r.RuleStatus; rs != nil && r.Rules > 0 {
		fmt.Fprintf(w, "  Regeln umgesetzt: %d, ohne Verhalten: %d, nicht umgesetzt: %d\n", rs.Compiled, rs.Informational, rs.Unsupported)
	}
	fmt.Fprintf(w, "  Codelisten: %d aufgelöst, %d fehlen\n", len(r.CodelistsResolved), len(r.CodelistsMissing))
	for _, c := range r.CodelistsMissing {
		fmt.Fprintf(w, "    fehlt: %s\n", c)
	}
	fmt.Fprintf(w, "  Warnungen: %d\n", len(r.Warnings))
	for _, wn := range r.Warnings {
		if wn.Column > 0 {
			fmt.Fprintf(w, "    Zeile %d, Spalte %d [%s] %s\n", wn.Line, wn.Column, wn.Code, wn.Message)
			continue
		}
		fmt.Fprintf(w, "    Zeile %d [%s] %s\n", wn.Line, wn.Code, wn.Message)
	}
}

// importOne imports the single FILE argument of schema and example.
func importOne(f *fimFlags, cmd string) (*form.Schema, error) {
	if f.fs.NArg() != 1 {
		return nil, usageError{fmt.Sprintf("antrag fim %s: genau eine Datei angeben", cmd)}
	}
	opts, err := f.options()
	if err != nil {
		return nil, err
	}
	s, _, err := fim.ImportFile(f.fs.Arg(0), opts)
	return s, err
}

func fimSchema(args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	f := newFimFlags("schema", getenv, stdout, stderr)
	uri := f.fs.String("uri", "", "$id des JSON Schemas (Standard: https://schema.fitko.de/fim/<id>_<version>.schema.json)")
	if err := f.parse(args); err != nil {
		return err
	}
	src, err := f.sources()
	if err != nil {
		return err
	}
	s, err := importOne(f, "schema")
	if err != nil {
		return err
	}
	// The rules decide on the elements they show or hide: the JSON Schema
	// leaves those to them, as the validator does.
	jf := journey.NewForm(s)
	jf.Rules = src.compile(s, f.fs.Arg(0), stderr)
	src.reportUnused(stderr)
	return writeJSON(stdout, jf.JSONSchema(*uri))
}

func fimExample(args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	f := newFimFlags("example", getenv, stdout, stderr)
	land := f.fs.String("land", "", "Land der zuständigen Behörde für Regeln, die davon abhängen (z. B. TH)")
	if err := f.parse(args); err != nil {
		return err
	}
	code := strings.ToUpper(strings.TrimSpace(*land))
	if code != "" && !slices.Contains(rules.LandCodes(), code) {
		return usageError{fmt.Sprintf("antrag fim example: --land %q ist kein Land; erwartet wird das Kürzel eines Landes: %s",
			*land, strings.Join(rules.LandCodes(), ", "))}
	}
	src, err := f.sources()
	if err != nil {
		return err
	}
	s, err := importOne(f, "example")
	if err != nil {
		return err
	}
	jf := journey.NewForm(s)
	if src != nil {
		jf.Rules = src.compile(s, f.fs.Arg(0), stderr)
		src.reportUnused(stderr)
	}
	// The example satisfies the schema and the compiled rules, as of today,
	// unless rules contradict each other or the schema: then it says which.
	doc, conflicts := jf.ExampleConflicts(rules.Context{Today: time.Now(), Bundesland: code})
	for _, c := range conflicts {
		fmt.Fprintf(stderr, "Hinweis: Für %s fand sich kein Wert, der Schema und Regeln erfüllt: %s %s\n", c.Problem.Path, c.Problem.Message, conflictRules(c.Rules))
	}
	return writeJSON(stdout, doc)
}

// conflictRules names the rules of an example's conflict, for a note.
func conflictRules(rs []*rules.Rule) string {
	if len(rs) == 0 {
		return "Keine Regel betrifft das Element: Das Schema allein lässt keinen Wert zu."
	}
	names := make([]string, len(rs))
	for i, r := range rs {
		names[i] = r.ID
		if r.Version != "" {
			names[i] += " " + r.Version
		}
		if r.Name != "" {
			names[i] += " „" + r.Name + "“"
		}
	}
	return "Betroffene Regeln, die einander oder dem Schema widersprechen: " + strings.Join(names, ", ") + "."
}

func writeJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	return enc.Encode(v)
}
