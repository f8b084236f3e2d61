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
	"reflect"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"text/tabwriter"
	"time"
	"unicode"
	"unicode/utf8"

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

// tenantPages handles `antrag tenant pages --tenant SLUG [--ersetzen]
// [DATEI]`: with a file it checks it completely and then replaces the
// tenant's and its authorities' pages in one transaction; without one it
// prints the current configuration in the file's format. A file that
// leaves out an authority which has pages of its own is refused unless
// --ersetzen is given, since that authority would lose them.
func tenantPages(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("antrag tenant pages", flag.ContinueOnError)
	fs.SetOutput(stderr)
	sf := addStoreFlags(fs, getenv)
	slug := fs.String("tenant", "", "Mandant (Kurzname)")
	replace := fs.Bool("ersetzen", false, "auch speichern, wenn Behörden, die die Datei nicht nennt, dadurch ihre eigenen Seiten verlieren")
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
		if cfg, err = readPagesFile(file, time.Now()); err != nil {
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
	byID, err := pagesByAuthority(file, t, as, cfg.Authorities)
	if err != nil {
		return err
	}
	losing := losingPages(as, byID)
	if len(losing) > 0 && !*replace {
		return fmt.Errorf("%s: nicht gespeichert: %s %s %s unter \"authorities\" nicht genannt und %s so die eigenen Seiten. "+
			"In die Datei aufnehmen (antrag tenant pages --tenant %s zeigt die jetzigen Seiten) oder mit --ersetzen speichern, um sie zu entfernen",
			file, plural(len(losing), "die Behörde", "die Behörden"), strings.Join(losing, ", "),
			plural(len(losing), "ist in der Datei", "sind in der Datei"), plural(len(losing), "verlöre", "verlören"), t.Slug)
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
	if err := tw.Flush(); err != nil {
		return err
	}
	if len(losing) > 0 {
		fmt.Fprintf(stdout, "Eigene Seiten entfernt (--ersetzen): %s\n", strings.Join(losing, ", "))
	}
	return nil
}

// pagesByAuthority maps the pages the file names by authority name to
// the authorities' ids. A name that is no authority of t, or that several
// share, is an error naming the file.
func pagesByAuthority(file string, t *tenant.Tenant, as []*tenant.Authority, byNameInFile map[string]tenant.Pages) (map[string]tenant.Pages, error) {
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
	for name, p := range byNameInFile {
		a, ok := byName[name]
		switch {
		case !ok:
			return nil, fmt.Errorf("%s: Behörde „%s“ gibt es im Mandanten „%s“ nicht (Behörden: %s)", file, name, t.Name, strings.Join(names, "; "))
		case a == nil:
			return nil, fmt.Errorf("%s: mehrere Behörden im Mandanten „%s“ heißen „%s“", file, t.Name, name)
		}
		byID[a.ID] = p
	}
	return byID, nil
}

// losingPages returns the names, quoted „…“, of the authorities in as
// that have pages of their own and are not keys of byID: saving byID
// takes their pages away.
func losingPages(as []*tenant.Authority, byID map[string]tenant.Pages) []string {
	var losing []string
	for _, a := range as {
		if _, named := byID[a.ID]; !named && !a.Pages.Empty() {
			losing = append(losing, "„"+a.Name+"“")
		}
	}
	return losing
}

// plural returns one if n is 1, else many.
func plural(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}

// readPagesFile reads and checks a pages file completely: it is UTF-8
// (a leading byte order mark is skipped), one JSON object without unknown
// fields, and its pages validate with today as the latest date of an
// Erklärung zur Barrierefreiheit (tenant.Pages.ValidateOn). Errors are
// German, name the file and say where: the line, the field or the page.
func readPagesFile(file string, today time.Time) (*pagesFile, error) {
	b, err := os.ReadFile(file)
	if err != nil {
		return nil, fileError(file, err)
	}
	b = bytes.TrimPrefix(b, []byte("\uFEFF"))
	if off := invalidUTF8(b); off >= 0 {
		line, col := position(b, off)
		return nil, fmt.Errorf("%s: Zeile %d, Spalte %d (Byte %d): kein gültiges UTF-8 (Byte 0x%02X); die Datei muss UTF-8-kodiert sein, nicht etwa ISO-8859-1 oder Windows-1252", file, line, col, off, b[off])
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
	if off := loneSurrogate(b); off >= 0 {
		line, col := position(b, off)
		return nil, fmt.Errorf("%s: Zeile %d, Spalte %d: %s ist eine halbe UTF-16-Ersatzkodierung (surrogate) ohne ihre andere Hälfte, kein Zeichen", file, line, col, b[off:off+6])
	}
	if err := cfg.Pages.ValidateOn(today); err != nil {
		return nil, fmt.Errorf("%s: Mandant: %w", file, err)
	}
	names := make([]string, 0, len(cfg.Authorities))
	for name := range cfg.Authorities {
		names = append(names, name)
	}
	slices.Sort(names)
	for _, name := range names {
		if i := strings.IndexFunc(name, func(r rune) bool { return unicode.IsControl(r) || r&0xFFFE == 0xFFFE }); i >= 0 {
			return nil, fmt.Errorf("%s: authorities: der Name %q enthält an Zeichen %d ein Steuerzeichen", file, name, utf8.RuneCountInString(name[:i])+1)
		}
		p := cfg.Authorities[name]
		if err := p.ValidateOn(today); err != nil {
			return nil, fmt.Errorf("%s: Behörde „%s“: %w", file, name, err)
		}
	}
	return cfg, nil
}

// fileError says in German why file cannot be read.
func fileError(file string, err error) error {
	switch {
	case errors.Is(err, os.ErrNotExist):
		return fmt.Errorf("die Datei %s gibt es nicht", file)
	case errors.Is(err, os.ErrPermission):
		return fmt.Errorf("die Datei %s darf nicht gelesen werden (keine Leserechte)", file)
	case errors.Is(err, syscall.EISDIR):
		return fmt.Errorf("%s ist ein Verzeichnis, keine Datei", file)
	}
	var pe *os.PathError
	if errors.As(err, &pe) {
		err = pe.Err // the path is named already
	}
	return fmt.Errorf("die Datei %s lässt sich nicht lesen (%v)", file, err)
}

// invalidUTF8 returns the offset of the first byte of b that is not part
// of a UTF-8 encoded character, -1 if b is valid UTF-8.
func invalidUTF8(b []byte) int {
	for off := 0; off < len(b); {
		r, n := utf8.DecodeRune(b[off:])
		if r == utf8.RuneError && n == 1 {
			return off
		}
		off += n
	}
	return -1
}

// loneSurrogate returns the offset of the first \u escape in a string of
// the JSON document b (which must be valid) that is half of a UTF-16
// surrogate pair without its other half, -1 if there is none.
// encoding/json would silently decode it as U+FFFD.
func loneSurrogate(b []byte) int {
	hex := func(i int) rune { // the \uXXXX escape at i, -1 if there is none
		if i+6 > len(b) || b[i] != '\\' || b[i+1] != 'u' {
			return -1
		}
		v, err := strconv.ParseUint(string(b[i+2:i+6]), 16, 16)
		if err != nil {
			return -1
		}
		return rune(v)
	}
	inString := false
	for i := 0; i < len(b); i++ {
		switch {
		case !inString:
			inString = b[i] == '"'
		case b[i] == '"':
			inString = false
		case b[i] == '\\':
			r := hex(i)
			switch {
			case r < 0: // a one-letter escape
				i++
			case 0xD800 <= r && r <= 0xDBFF:
				if low := hex(i + 6); 0xDC00 <= low && low <= 0xDFFF {
					i += 11
					continue
				}
				return i
			case 0xDC00 <= r && r <= 0xDFFF:
				return i
			default:
				i += 5
			}
		}
	}
	return -1
}

// position returns the line and the column (in characters, from 1) of
// the byte at off in b.
func position(b []byte, off int) (line, col int) {
	off = min(max(off, 0), len(b))
	start := bytes.LastIndexByte(b[:off], '\n') + 1
	return 1 + bytes.Count(b[:off], []byte("\n")), 1 + utf8.RuneCount(b[start:off])
}

// syntaxMessages translates the end of encoding/json's syntax errors
// ("invalid character 'x' " + key).
var syntaxMessages = []struct{ key, text string }{
	{"looking for beginning of value", "hier wird ein Wert erwartet (Text in Anführungszeichen, Zahl, true, false, null, {…} oder […]); steht davor ein Komma zu viel?"},
	{"looking for beginning of object key string", "hier wird ein Feldname in Anführungszeichen erwartet; steht davor ein Komma zu viel?"},
	{"after object key:value pair", "nach einem Feld fehlt ein Komma oder die schließende }"},
	{"after object key", "nach dem Feldnamen fehlt der Doppelpunkt"},
	{"after array element", "nach einem Listeneintrag fehlt ein Komma oder die schließende ]"},
	{"in string literal", "ein Steuerzeichen in einem Text; Zeilenumbrüche als \\n und Tabulatoren als \\t schreiben"},
	{"in string escape code", "ungültige Escape-Sequenz in einem Text (erlaubt: \\\" \\\\ \\/ \\b \\f \\n \\r \\t \\uXXXX)"},
	{"in \\u hexadecimal character escape", "ungültige Escape-Sequenz \\uXXXX in einem Text (vier Hexadezimalziffern)"},
	{"in numeric literal", "ungültige Zahl"},
	{"in literal", "ungültiger Wert (true, false oder null?)"},
	{"after top-level value", "nach dem JSON-Objekt folgt weiterer Text"},
}

var unknownFieldRE = regexp.MustCompile(`^json: unknown field ("(?:[^"\\]|\\.)*")$`)

// jsonError says in German what is wrong with the JSON document b and
// where, from encoding/json's error err.
func jsonError(b []byte, err error) string {
	var syn *json.SyntaxError
	var typ *json.UnmarshalTypeError
	switch {
	case errors.As(err, &syn):
		off := min(max(int(syn.Offset)-1, 0), len(b)) // syn.Offset is after the offending byte
		line, col := position(b, off)
		where := fmt.Sprintf("Zeile %d, Spalte %d: kein gültiges JSON: ", line, col)
		msg := syn.Error()
		if !strings.HasPrefix(msg, "invalid character") || off >= len(b) {
			return where + "die Datei endet, bevor das JSON-Objekt geschlossen ist"
		}
		r, _ := utf8.DecodeRune(b[off:])
		for _, m := range syntaxMessages {
			if strings.HasSuffix(msg, m.key) || m.key == "in literal" && strings.Contains(msg, m.key) {
				return fmt.Sprintf("%sunerwartetes Zeichen %q: %s", where, r, m.text)
			}
		}
		return fmt.Sprintf("%sunerwartetes Zeichen %q", where, r)
	case errors.As(err, &typ):
		line, _ := position(b, int(typ.Offset))
		field := strings.TrimPrefix(typ.Field, "Pages.") // the embedded tenant.Pages is no level of the file
		if field == "" {
			field = "oberste Ebene"
		}
		return fmt.Sprintf("Zeile %d: %s: %s erwartet, nicht %s", line, field, typeName(typ.Type), valueName(typ.Value))
	case errors.Is(err, io.ErrUnexpectedEOF):
		line, _ := position(b, len(b))
		return fmt.Sprintf("Zeile %d: die Datei endet, bevor das JSON-Objekt geschlossen ist (fehlt eine } oder ] oder ein \" am Ende eines Textes?)", line)
	case errors.Is(err, io.EOF):
		return "die Datei ist leer"
	}
	if m := unknownFieldRE.FindStringSubmatch(err.Error()); m != nil {
		name, uerr := strconv.Unquote(m[1])
		if uerr != nil {
			name = m[1]
		}
		msg := fmt.Sprintf("unbekanntes Feld „%s“", name)
		keys := regexp.MustCompile(regexp.QuoteMeta(`"`+name+`"`)+`\s*:`).FindAllIndex(b, 2)
		if len(keys) == 1 { // the line only where it is certain
			line, _ := position(b, keys[0][0])
			msg = fmt.Sprintf("Zeile %d: %s", line, msg)
		}
		return msg + " (Feldnamen siehe README, Abschnitt zu Impressum, Datenschutzerklärung und Erklärung zur Barrierefreiheit)"
	}
	return fmt.Sprintf("kein gültiges JSON (%v)", err)
}

// typeName names the JSON value a Go type is decoded from.
func typeName(t reflect.Type) string {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	switch t.Kind() {
	case reflect.String:
		return "ein Text in Anführungszeichen"
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64, reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		return "eine ganze Zahl"
	case reflect.Float32, reflect.Float64:
		return "eine Zahl"
	case reflect.Bool:
		return "true oder false"
	case reflect.Slice, reflect.Array:
		return "eine Liste […]"
	case reflect.Struct, reflect.Map:
		return "ein Objekt {…}"
	}
	return t.String()
}

// valueName names the kind of JSON value encoding/json reports in an
// UnmarshalTypeError ("string", "number 1.5", "array", …).
func valueName(v string) string {
	kind, rest, _ := strings.Cut(v, " ")
	switch kind {
	case "string":
		return "ein Text"
	case "number":
		if rest != "" {
			return "die Zahl " + rest
		}
		return "eine Zahl"
	case "array":
		return "eine Liste"
	case "object":
		return "ein Objekt"
	case "bool":
		return "true oder false"
	}
	return v
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
	return fmt.Sprintf("Text (%d %s)", n, plural(n, "Absatz", "Absätze"))
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
