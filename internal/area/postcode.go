package area

import (
	"bufio"
	"bytes"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"
	"unicode/utf8"
	"unique"

	"golang.org/x/text/collate"
	"golang.org/x/text/language"
	"golang.org/x/text/unicode/norm"

	"github.com/antrag/antrag/internal/apperr"
)

// PostcodeEntry says that a postcode (in a street, if Street is set) lies
// in a Gemeinde.
type PostcodeEntry struct {
	// Postcode has 5 digits.
	Postcode string
	// Street is the street's name as the source writes it ("" for the
	// whole postcode); Lookup compares it normalised (NormalizeStreet).
	Street string
	// ARS is the Gemeinde's 12-digit key; "" while only AGS is known
	// (ResolveAGS fills it).
	ARS string
	// AGS is the Gemeinde's 8-digit key where the source gave one, else "".
	AGS string
	// Name is the place (the source's locality, e.g. OpenPLZ's Locality).
	Name string
}

// Format is a postcode table's format, told by its header.
type Format string

// The formats ReadPostcodes knows.
const (
	// FormatAntrag is antrag's own table: header postcode,street,ars,name
	// (street may be missing or empty; ars takes a 12-digit ARS or an
	// 8-digit AGS).
	FormatAntrag Format = "antrag"
	// FormatOpenPLZ is the street export of the OpenPLZ API
	// (github.com/openpotato/openplzapi.data, streets.csv): header
	// Name,PostalCode,Locality,RegionalKey[,Borough,Suburb], Name being the
	// street and RegionalKey the 8-digit AGS. A table without Locality
	// (localities) has the place in Name and no street.
	FormatOpenPLZ Format = "openplz"
)

// OpenPLZAttribution is the attribution an installation must show where it
// uses data imported from OpenPLZ (ODbL 1.0).
const OpenPLZAttribution = "© OpenPLZ API / OpenStreetMap contributors, ODbL"

// maxFieldBytes bounds a street's or place's name.
const maxFieldBytes = 300

// ParsePostcodes reads a postcode table (ReadPostcodes) and returns its
// entries.
func ParsePostcodes(r io.Reader) ([]PostcodeEntry, error) {
	_, entries, err := ReadPostcodes(r)
	return entries, err
}

// ReadPostcodes reads a postcode table in CSV (UTF-8, comma or semicolon,
// an optional byte order mark), FormatAntrag or FormatOpenPLZ by its header
// (names compared case-insensitively), and returns the format and the
// entries in the table's order, without repeats of the same postcode,
// street (normalised) and key. An entry's ARS is set where the key is a
// 12-digit ARS or an AGS that FromAGS converts; AGS is set where the key
// is an AGS.
//
// Errors (never a panic), with the line: an unknown header; a row whose
// field count differs from the header's; a postcode that is not 5 digits;
// a key that is neither a Gemeinde's ARS (12 digits) nor an AGS (8 digits,
// Land 01 to 16); a missing place name; a name longer than 300 bytes or
// not UTF-8. They wrap apperr.Invalid.
func ReadPostcodes(r io.Reader) (Format, []PostcodeEntry, error) {
	br := bufio.NewReaderSize(r, 64<<10)
	if bom, err := br.Peek(3); err == nil && bytes.Equal(bom, []byte{0xEF, 0xBB, 0xBF}) {
		br.Discard(3)
	}
	first, _ := br.Peek(4096)
	if i := bytes.IndexByte(first, '\n'); i >= 0 {
		first = first[:i]
	}
	cr := csv.NewReader(br)
	if bytes.Count(first, []byte{';'}) > bytes.Count(first, []byte{','}) {
		cr.Comma = ';'
	}
	cr.ReuseRecord = true
	header, err := cr.Read()
	if errors.Is(err, io.EOF) {
		return "", nil, fmt.Errorf("Postleitzahlen-Tabelle ist leer: %w", apperr.Invalid)
	}
	if err != nil {
		return "", nil, csvError(err)
	}
	cols, format, err := postcodeColumns(header)
	if err != nil {
		return "", nil, err
	}
	var out []PostcodeEntry
	seen := map[string]bool{}
	for {
		rec, err := cr.Read()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return "", nil, csvError(err)
		}
		line, _ := cr.FieldPos(0)
		e, err := cols.entry(rec)
		if err != nil {
			return "", nil, fmt.Errorf("Zeile %d: %w", line, err)
		}
		k := e.Postcode + "\x00" + NormalizeStreet(e.Street) + "\x00" + e.ARS + e.AGS
		if seen[k] {
			continue
		}
		seen[k] = true
		out = append(out, e)
	}
	return format, out, nil
}

func csvError(err error) error {
	var pe *csv.ParseError
	if errors.As(err, &pe) {
		if errors.Is(pe.Err, csv.ErrFieldCount) {
			return fmt.Errorf("Zeile %d: andere Zahl von Spalten als die Kopfzeile: %w", pe.Line, apperr.Invalid)
		}
		return fmt.Errorf("Zeile %d: CSV nicht lesbar: %v: %w", pe.Line, pe.Err, apperr.Invalid)
	}
	return err
}

// postcodeCols are the indexes of a table's columns (-1: none).
type postcodeCols struct{ postcode, street, key, name int }

func postcodeColumns(header []string) (postcodeCols, Format, error) {
	idx := map[string]int{}
	for i, h := range header {
		idx[strings.ToLower(strings.TrimSpace(h))] = i
	}
	col := func(name string) int {
		if i, ok := idx[name]; ok {
			return i
		}
		return -1
	}
	switch {
	case col("postcode") >= 0 && col("ars") >= 0 && col("name") >= 0:
		return postcodeCols{postcode: col("postcode"), street: col("street"), key: col("ars"), name: col("name")}, FormatAntrag, nil
	case col("postalcode") >= 0 && col("regionalkey") >= 0 && col("name") >= 0:
		if col("locality") >= 0 {
			return postcodeCols{postcode: col("postalcode"), street: col("name"), key: col("regionalkey"), name: col("locality")}, FormatOpenPLZ, nil
		}
		return postcodeCols{postcode: col("postalcode"), street: -1, key: col("regionalkey"), name: col("name")}, FormatOpenPLZ, nil
	}
	return postcodeCols{}, "", fmt.Errorf("Kopfzeile %q: erwartet postcode,street,ars,name oder die Spalten von OpenPLZ (Name,PostalCode,Locality,RegionalKey): %w",
		strings.Join(header, ","), apperr.Invalid)
}

func (c postcodeCols) entry(rec []string) (PostcodeEntry, error) {
	field := func(i int) string {
		if i < 0 || i >= len(rec) {
			return ""
		}
		return strings.TrimSpace(rec[i])
	}
	// A large table repeats postcodes, places and keys many times: they
	// are stored once (unique.Make); the street is copied out of the line.
	e := PostcodeEntry{Postcode: intern(field(c.postcode)), Street: strings.Clone(field(c.street)), Name: intern(field(c.name))}
	if len(e.Postcode) != 5 || !digits(e.Postcode) {
		return e, fmt.Errorf("Postleitzahl %q: 5 Ziffern: %w", e.Postcode, apperr.Invalid)
	}
	for _, s := range []string{e.Street, e.Name} {
		if len(s) > maxFieldBytes || !utf8.ValidString(s) {
			return e, fmt.Errorf("Name %.40q…: länger als %d Bytes oder kein UTF-8: %w", s, maxFieldBytes, apperr.Invalid)
		}
	}
	if e.Name == "" {
		return e, fmt.Errorf("Postleitzahl %s ohne Ortsnamen: %w", e.Postcode, apperr.Invalid)
	}
	key := field(c.key)
	switch {
	case len(key) == 12:
		if _, err := LevelOf(key); err != nil {
			return e, err
		}
		e.ARS = intern(key)
	case len(key) == 8 && digits(key) && key[:2] >= "01" && key[:2] <= "16":
		e.AGS = intern(key)
		if ars, ok := FromAGS(key); ok {
			e.ARS = intern(ars)
		}
	default:
		return e, fmt.Errorf("Gemeindeschlüssel %q: Regionalschlüssel (12 Ziffern) oder Gemeindeschlüssel (8 Ziffern): %w", key, apperr.Invalid)
	}
	return e, nil
}

func intern(s string) string { return unique.Make(s).Value() }

// ResolveAGS sets the ARS of each entry that has only an AGS to the ARS of
// the Gemeinde among gemeinden with that AGS (AGSOf). It returns the AGS
// it found no Gemeinde for, sorted, each once; their entries keep an empty
// ARS.
func ResolveAGS(entries []PostcodeEntry, gemeinden []Area) (unresolved []string) {
	byAGS := make(map[string]string, len(gemeinden))
	for _, g := range gemeinden {
		if g.Level == Gemeinde {
			byAGS[AGSOf(g.ARS)] = g.ARS
		}
	}
	missing := map[string]bool{}
	for i := range entries {
		e := &entries[i]
		if e.ARS != "" || e.AGS == "" {
			continue
		}
		if ars, ok := byAGS[e.AGS]; ok {
			e.ARS = ars
		} else {
			missing[e.AGS] = true
		}
	}
	for ags := range missing {
		unresolved = append(unresolved, ags)
	}
	slices.Sort(unresolved)
	return unresolved
}

// NormalizeStreet returns the form of a street name that Lookup compares:
// Unicode NFC, lower case, ß as ss, "straße", "strasse" and "str." as
// "str", runs of white space as one space, no trailing full stop. So
// "Hauptstraße", "Hauptstrasse" and "Hauptstr." are one street.
func NormalizeStreet(s string) string {
	s = strings.ToLower(norm.NFC.String(s))
	s = strings.ReplaceAll(s, "ß", "ss")
	s = strings.ReplaceAll(s, "strasse", "str")
	s = strings.ReplaceAll(s, "str.", "str")
	s = strings.Join(strings.Fields(s), " ")
	return strings.TrimSuffix(s, ".")
}

// Lookup returns the Gemeinden that postcode (and street, if not empty)
// lie in according to entries: the Gemeinden of the entries of the
// postcode whose street matches (NormalizeStreet) if there are any, else
// all Gemeinden of the postcode. Each Gemeinde is returned once, with the
// first of its entries' names in sort order, sorted by name (German
// collation) and then key; entries without an ARS are skipped. A postcode
// without entries gives none.
func Lookup(entries []PostcodeEntry, postcode, street string) []Area {
	var inPostcode []PostcodeEntry
	for _, e := range entries {
		if e.Postcode == postcode && e.ARS != "" {
			inPostcode = append(inPostcode, e)
		}
	}
	if want := NormalizeStreet(street); want != "" {
		var onStreet []PostcodeEntry
		for _, e := range inPostcode {
			if NormalizeStreet(e.Street) == want {
				onStreet = append(onStreet, e)
			}
		}
		if len(onStreet) > 0 {
			inPostcode = onStreet
		}
	}
	names := map[string]string{}
	for _, e := range inPostcode {
		if n, ok := names[e.ARS]; !ok || e.Name < n {
			names[e.ARS] = e.Name
		}
	}
	out := make([]Area, 0, len(names))
	for ars, name := range names {
		if a, err := New(ars, name); err == nil && a.Level == Gemeinde {
			out = append(out, a)
		}
	}
	SortByName(out)
	return out
}

// SortByName sorts areas by name in German collation, then by key.
func SortByName(areas []Area) {
	c := collate.New(language.German)
	slices.SortFunc(areas, func(a, b Area) int {
		if n := c.CompareString(a.Name, b.Name); n != 0 {
			return n
		}
		return strings.Compare(a.ARS, b.ARS)
	})
}
