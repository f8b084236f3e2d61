package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"slices"
	"strings"
	"text/tabwriter"

	"github.com/antrag/antrag/internal/tenant"
)

// pagesFile is the file `antrag tenant pages` reads and prints: the
// tenant's operator pages and, under "authorities", those of its
// authorities by name. It is the whole configuration of the tenant's
// pages: an authority it does not name has no pages of its own.
type pagesFile struct {
	tenant.Pages
	Authorities map[string]tenant.Pages `json:"authorities,omitempty"`
}

// tenantPages handles `antrag tenant pages --tenant SLUG [DATEI]`: with a
// file it checks it completely and then replaces the tenant's and its
// authorities' pages in one transaction; without one it prints the
// current configuration in the file's format.
func tenantPages(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("antrag tenant pages", flag.ContinueOnError)
	fs.SetOutput(stderr)
	sf := addStoreFlags(fs, getenv)
	slug := fs.String("tenant", "", "Mandant (Kurzname)")
	if err := parseFlags(fs, args, stdout); err != nil {
		return err
	}
	if *slug == "" || fs.NArg() > 1 {
		return usageError{"antrag tenant pages: --tenant und höchstens eine Datei angeben"}
	}
	var cfg *pagesFile
	file := fs.Arg(0)
	if file != "" {
		var err error
		if cfg, err = readPagesFile(file); err != nil {
			return err
		}
	}
	st, t, closeFn, err := sf.openTenant(ctx, getenv, *slug)
	if err != nil {
		return err
	}
	defer closeFn()
	as, err := st.ListAuthorities(ctx, t.ID)
	if err != nil {
		return err
	}
	if cfg == nil {
		return printPages(stdout, t, as)
	}
	byName := map[string]*tenant.Authority{}
	var names []string
	for _, a := range as {
		if _, dup := byName[a.Name]; dup {
			byName[a.Name] = nil // ambiguous
			continue
		}
		byName[a.Name] = a
		names = append(names, a.Name)
	}
	byID := map[string]tenant.Pages{}
	for name, p := range cfg.Authorities {
		a, ok := byName[name]
		switch {
		case !ok:
			return fmt.Errorf("%s: Behörde „%s“ gibt es im Mandanten „%s“ nicht (Behörden: %s)", file, name, t.Name, strings.Join(names, "; "))
		case a == nil:
			return fmt.Errorf("%s: mehrere Behörden im Mandanten „%s“ heißen „%s“", file, t.Name, name)
		}
		byID[a.ID] = p
	}
	if err := st.SetPages(ctx, t.ID, cfg.Pages, byID); err != nil {
		return fmt.Errorf("%s: %w", file, err)
	}
	fmt.Fprintf(stdout, "Seiten des Mandanten „%s“ gespeichert:\n", t.Name)
	tw := tabwriter.NewWriter(stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "FÜR\tDATENSCHUTZ\tBARRIEREFREIHEIT\tIMPRESSUM")
	describeRow(tw, "Mandant", &cfg.Pages)
	for _, a := range as {
		if p, ok := byID[a.ID]; ok {
			describeRow(tw, a.Name, &p)
		}
	}
	return tw.Flush()
}

// readPagesFile reads and checks a pages file: unknown fields, trailing
// data and pages that do not validate are errors naming the file and the
// place.
func readPagesFile(file string) (*pagesFile, error) {
	b, err := os.ReadFile(file)
	if err != nil {
		return nil, err
	}
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	cfg := &pagesFile{}
	if err := dec.Decode(cfg); err != nil {
		return nil, fmt.Errorf("%s: %s", file, jsonError(b, err))
	}
	if dec.More() {
		return nil, fmt.Errorf("%s: nach dem JSON-Objekt folgt weiterer Text", file)
	}
	if err := cfg.Pages.Validate(); err != nil {
		return nil, fmt.Errorf("%s: Mandant: %w", file, err)
	}
	names := make([]string, 0, len(cfg.Authorities))
	for name := range cfg.Authorities {
		names = append(names, name)
	}
	slices.Sort(names)
	for _, name := range names {
		p := cfg.Authorities[name]
		if err := p.Validate(); err != nil {
			return nil, fmt.Errorf("%s: Behörde „%s“: %w", file, name, err)
		}
	}
	return cfg, nil
}

// jsonError says where in b a decoding error is, by line.
func jsonError(b []byte, err error) string {
	var syn *json.SyntaxError
	var typ *json.UnmarshalTypeError
	switch {
	case errors.As(err, &syn):
		return fmt.Sprintf("Zeile %d: kein gültiges JSON: %v", 1+bytes.Count(b[:min(int(syn.Offset), len(b))], []byte("\n")), syn)
	case errors.As(err, &typ):
		return fmt.Sprintf("Zeile %d: %s: falscher Typ (%s erwartet)", 1+bytes.Count(b[:min(int(typ.Offset), len(b))], []byte("\n")), typ.Field, typ.Type)
	case errors.Is(err, io.EOF):
		return "die Datei ist leer"
	}
	return err.Error()
}

// describeRow writes one line of the summary: for each page what is set.
func describeRow(w io.Writer, who string, p *tenant.Pages) {
	cells := []string{who}
	for _, k := range tenant.PageKinds {
		cells = append(cells, describePage(p.Get(k)))
	}
	fmt.Fprintln(w, strings.Join(cells, "\t"))
}

func describePage(p *tenant.Page) string {
	switch {
	case p == nil:
		return "-"
	case p.URL != "":
		return p.URL
	case p.Statement != nil:
		return "Erklärung (" + p.Statement.Conformance.Text() + ", " + p.Statement.Prepared.Date + ")"
	}
	n := len(p.Paragraphs)
	for _, s := range p.Sections {
		n += len(s.Paragraphs)
	}
	return fmt.Sprintf("Text (%d Absätze)", n)
}

// printPages writes the tenant's current pages as a pages file.
func printPages(w io.Writer, t *tenant.Tenant, as []*tenant.Authority) error {
	cfg := pagesFile{Pages: t.Pages}
	for _, a := range as {
		if !a.Pages.Empty() {
			if cfg.Authorities == nil {
				cfg.Authorities = map[string]tenant.Pages{}
			}
			cfg.Authorities[a.Name] = a.Pages
		}
	}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	return enc.Encode(cfg)
}
