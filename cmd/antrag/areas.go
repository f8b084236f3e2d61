package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"
	"text/tabwriter"

	"github.com/antrag/antrag/internal/apperr"
	"github.com/antrag/antrag/internal/area"
)

// The reference data commands: `antrag areas import|import-postcodes|
// lookup|list`. They work on the database of an existing installation.

func runAreas(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	if groupHelp("areas", args, stdout) {
		return nil
	}
	const subs = "import, import-postcodes, lookup, list"
	if len(args) == 0 {
		return usageError{"antrag areas: Unterbefehl fehlt (" + subs + ")"}
	}
	switch args[0] {
	case "import":
		return areasImport(ctx, args[1:], getenv, stdout, stderr)
	case "import-postcodes":
		return areasImportPostcodes(ctx, args[1:], getenv, stdout, stderr)
	case "lookup":
		return areasLookup(ctx, args[1:], getenv, stdout, stderr)
	case "list":
		return areasList(ctx, args[1:], getenv, stdout, stderr)
	}
	return usageError{fmt.Sprintf("antrag areas: unbekannter Unterbefehl %q (%s)", args[0], subs)}
}

// fileArg returns the one file argument of fs.
func fileArg(fs *flag.FlagSet) (string, error) {
	if fs.NArg() != 1 {
		return "", usageError{fs.Name() + ": genau eine DATEI angeben"}
	}
	return fs.Arg(0), nil
}

func areasImport(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("antrag areas import", flag.ContinueOnError)
	fs.SetOutput(stderr)
	sf := addStoreFlags(fs, getenv)
	if err := parseFlags(fs, args, stdout); err != nil {
		return err
	}
	path, err := fileArg(fs)
	if err != nil {
		return err
	}
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	areas, err := area.ParseGenericode(f)
	if err != nil {
		return fmt.Errorf("%s: %w; nichts importiert", path, err)
	}
	st, closeFn, err := sf.open(ctx, getenv)
	if err != nil {
		return err
	}
	defer closeFn()
	if err := st.ReplaceAreas(ctx, areas); err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	counts := map[area.Level]int{}
	for _, a := range areas {
		counts[a.Level]++
	}
	var parts []string
	for _, l := range area.Levels {
		if counts[l] > 0 {
			parts = append(parts, fmt.Sprintf("%s: %d", l.Label(), counts[l]))
		}
	}
	fmt.Fprintf(stdout, "%d Gebiete importiert (%s); die Gebiete dieser Ebenen sind ersetzt.\n", len(areas), strings.Join(parts, ", "))
	return nil
}

// maxUnresolvedShown is how many unknown AGS import-postcodes names.
const maxUnresolvedShown = 5

func areasImportPostcodes(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("antrag areas import-postcodes", flag.ContinueOnError)
	fs.SetOutput(stderr)
	sf := addStoreFlags(fs, getenv)
	if err := parseFlags(fs, args, stdout); err != nil {
		return err
	}
	path, err := fileArg(fs)
	if err != nil {
		return err
	}
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	format, entries, err := area.ReadPostcodes(f)
	if err != nil {
		return fmt.Errorf("%s: %w; nichts importiert", path, err)
	}
	st, closeFn, err := sf.open(ctx, getenv)
	if err != nil {
		return err
	}
	defer closeFn()

	// An AGS becomes an ARS by the Gemeinden the database knows.
	var unresolved []string
	if needsResolving(entries) {
		gemeinden, err := st.Areas(ctx, "", area.Gemeinde)
		if err != nil {
			return err
		}
		unresolved = area.ResolveAGS(entries, gemeinden)
	}
	resolved := entries[:0]
	for _, e := range entries {
		if e.ARS != "" {
			resolved = append(resolved, e)
		}
	}
	skipped := len(entries) - len(resolved)
	if len(entries) == 0 {
		return fmt.Errorf("%s: keine Einträge; nichts importiert", path)
	}
	if len(resolved) == 0 {
		return fmt.Errorf("%s: keiner der %d Einträge hat eine bekannte Gemeinde; zuerst die Regionalschlüssel der Gemeinden importieren (antrag areas import); nichts importiert", path, len(entries))
	}
	if err := st.ReplacePostcodes(ctx, resolved); err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	postcodes, gemeinden := map[string]bool{}, map[string]bool{}
	for _, e := range resolved {
		postcodes[e.Postcode] = true
		gemeinden[e.ARS] = true
	}
	fmt.Fprintf(stdout, "%d Einträge importiert (%d Postleitzahlen, %d Gemeinden); die bisherige Tabelle ist ersetzt.\n",
		len(resolved), len(postcodes), len(gemeinden))
	if skipped > 0 {
		shown := unresolved[:min(len(unresolved), maxUnresolvedShown)]
		more := ""
		if len(unresolved) > len(shown) {
			more = ", …"
		}
		fmt.Fprintf(stdout, "%d Einträge übersprungen: Gemeindeschlüssel ohne bekannte Gemeinde (%s%s); die Regionalschlüssel der Gemeinden importieren (antrag areas import) und erneut importieren.\n",
			skipped, strings.Join(shown, ", "), more)
	}
	if format == area.FormatOpenPLZ {
		fmt.Fprintf(stdout, "Daten von OpenPLZ (ODbL): wo antrag sie nutzt, ist die Quelle zu nennen: %s\n", area.OpenPLZAttribution)
	}
	return nil
}

// needsResolving reports whether an entry has an AGS but no ARS.
func needsResolving(entries []area.PostcodeEntry) bool {
	for _, e := range entries {
		if e.ARS == "" {
			return true
		}
	}
	return false
}

func areasLookup(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("antrag areas lookup", flag.ContinueOnError)
	fs.SetOutput(stderr)
	sf := addStoreFlags(fs, getenv)
	postcode := fs.String("postcode", "", "Postleitzahl (5 Ziffern)")
	street := fs.String("street", "", "Straße (optional; entscheidet, wo eine Postleitzahl mehrere Gemeinden umfasst)")
	if err := parseFlags(fs, args, stdout); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return usageError{fmt.Sprintf("antrag areas lookup: unerwartetes Argument %q", fs.Arg(0))}
	}
	if *postcode == "" {
		return usageError{"antrag areas lookup: --postcode angeben"}
	}
	st, closeFn, err := sf.open(ctx, getenv)
	if err != nil {
		return err
	}
	defer closeFn()
	found, err := st.Municipalities(ctx, *postcode, *street)
	switch {
	case errors.Is(err, apperr.Invalid):
		return usageError{fmt.Sprintf("antrag areas lookup: Postleitzahl %q: 5 Ziffern", *postcode)}
	case errors.Is(err, apperr.NotFound):
		return fmt.Errorf("Postleitzahl %s ist nicht bekannt (antrag areas import-postcodes)", *postcode)
	case err != nil:
		return err
	}
	tw := tabwriter.NewWriter(stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "ARS\tGEMEINDE\tKREIS")
	for _, a := range found {
		fmt.Fprintf(tw, "%s\t%s\t%s\n", a.ARS, a.Name, a.ARS[:5])
	}
	return tw.Flush()
}

func areasList(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("antrag areas list", flag.ContinueOnError)
	fs.SetOutput(stderr)
	sf := addStoreFlags(fs, getenv)
	prefix := fs.String("prefix", "", "nur Gebiete, deren Regionalschlüssel so beginnt, z. B. 16 (Thüringen)")
	levelName := fs.String("level", "", "nur diese Ebene: land, regierungsbezirk, kreis, gemeindeverband oder gemeinde")
	if err := parseFlags(fs, args, stdout); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return usageError{fmt.Sprintf("antrag areas list: unerwartetes Argument %q", fs.Arg(0))}
	}
	var level area.Level
	if *levelName != "" {
		var err error
		if level, err = area.ParseLevel(*levelName); err != nil {
			return usageError{"antrag areas list: --level: " + strings.TrimSuffix(err.Error(), ": "+apperr.Invalid.Error())}
		}
	}
	if strings.Trim(*prefix, "0123456789") != "" {
		return usageError{fmt.Sprintf("antrag areas list: --prefix %q: nur Ziffern", *prefix)}
	}
	st, closeFn, err := sf.open(ctx, getenv)
	if err != nil {
		return err
	}
	defer closeFn()
	areas, err := st.Areas(ctx, *prefix, level)
	if err != nil {
		return err
	}
	tw := tabwriter.NewWriter(stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "ARS\tEBENE\tNAME")
	for _, a := range areas {
		fmt.Fprintf(tw, "%s\t%s\t%s\n", a.ARS, a.Level.Label(), a.Name)
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	n, err := st.PostcodeCount(ctx)
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "%d Gebiete; Postleitzahlen-Tabelle: %d Einträge\n", len(areas), n)
	return nil
}
