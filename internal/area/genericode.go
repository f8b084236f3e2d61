package area

import (
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/antrag/antrag/internal/apperr"
)

// namespaceGenericode is the namespace of OASIS genericode 1.0.
const namespaceGenericode = "http://docs.oasis-open.org/codelist/ns/genericode/1.0/"

// destatisKeys begins the canonical URI of Destatis' key lists in
// XRepository: bundesland, kreis, rs (Regionalschlüssel), ….
const destatisKeys = "urn:de:bund:destatis:bevoelkerungsstatistik:schluessel:"

// MaxGenericodeBytes is the largest code list ParseGenericode reads. The
// full Regionalschlüssel list has 3.2 MB.
const MaxGenericodeBytes = 64 << 20

type gcList struct {
	XMLName        xml.Name `xml:"CodeList"`
	Identification struct {
		CanonicalURI string `xml:"CanonicalUri"`
	} `xml:"Identification"`
	ColumnSet struct {
		Columns []gcColumn `xml:"Column"`
		Keys    []gcKey    `xml:"Key"`
	} `xml:"ColumnSet"`
	Rows []struct {
		Values []struct {
			ColumnRef   string `xml:"ColumnRef,attr"`
			SimpleValue string `xml:"SimpleValue"`
		} `xml:"Value"`
	} `xml:"SimpleCodeList>Row"`
}

type gcColumn struct {
	ID        string `xml:"Id,attr"`
	ShortName string `xml:"ShortName"`
	LongName  string `xml:"LongName"`
}

type gcKey struct {
	ID        string `xml:"Id,attr"`
	ShortName string `xml:"ShortName"`
	AppInfo   struct {
		Inner string `xml:",innerxml"`
	} `xml:"Annotation>AppInfo"`
	ColumnRef struct {
		Ref string `xml:"Ref,attr"`
	} `xml:"ColumnRef"`
}

// ParseGenericode reads a Destatis code list of ARS keys in OASIS genericode
// 1.0 (XÖV code lists urn:de:bund:destatis:bevoelkerungsstatistik:schluessel
// :bundesland, :kreis and :rs, the "Regionalschlüssel" list with 12-digit
// keys) and returns its areas in the list's order, each with the level and
// parent its key implies (New).
//
// The key column is the column whose Id or ShortName is SCHLUESSEL (also
// Schlüssel, Code, Key), else the one a Key marks as recommendedKeyColumn,
// xoev-code or codeKey, else the first column; the name column is the one
// named Bezeichnung (also Name), else the one a Key marks xoev-codename,
// else the first other column. Rows that an optional Hinweis column marks
// as "Stadt-/Ortsteil bzw. Stadtbezirk" (the Stadtstaaten's districts,
// whose keys are no areas of the ARS hierarchy) are left out.
//
// Errors (never a panic): XML that does not parse (with its line), a
// document that is not genericode 1.0, a list larger than
// MaxGenericodeBytes, a row without a key or name, a key that is no ARS
// (an 8-digit AGS list is refused: its keys lack the Gemeindeverband), a
// key listed twice, a list without areas. They wrap apperr.Invalid.
func ParseGenericode(r io.Reader) ([]Area, error) {
	lr := &limitedReader{r: r, n: MaxGenericodeBytes}
	d := xml.NewDecoder(lr)
	d.Strict = true
	var gc gcList
	if err := d.Decode(&gc); err != nil {
		if lr.over {
			return nil, fmt.Errorf("Codeliste größer als %d MB: %w", MaxGenericodeBytes>>20, apperr.Invalid)
		}
		var se *xml.SyntaxError
		if errors.As(err, &se) {
			return nil, fmt.Errorf("Zeile %d: XML nicht lesbar: %s: %w", se.Line, se.Msg, apperr.Invalid)
		}
		line, col := d.InputPos()
		return nil, fmt.Errorf("Zeile %d, Spalte %d: kein genericode-Dokument: %v: %w", line, col, err, apperr.Invalid)
	}
	if gc.XMLName.Space != namespaceGenericode {
		return nil, fmt.Errorf("kein genericode-1.0-Dokument (Namensraum %q): %w", gc.XMLName.Space, apperr.Invalid)
	}
	if uri := strings.TrimSpace(gc.Identification.CanonicalURI); !strings.HasPrefix(uri, destatisKeys) {
		return nil, fmt.Errorf("die Codeliste %q ist keine Schlüsselliste von Destatis (%s…: Bundesländer, Kreise, Regionalschlüssel): %w", uri, destatisKeys, apperr.Invalid)
	}
	keyCol, nameCol, hintCol := gc.columns()
	if keyCol == "" || nameCol == "" {
		return nil, fmt.Errorf("Codeliste ohne Schlüssel- und Namensspalte: %w", apperr.Invalid)
	}
	var out []Area
	seen := map[string]bool{}
	for i, row := range gc.Rows {
		var key, name, hint string
		for _, v := range row.Values {
			switch v.ColumnRef {
			case keyCol:
				key = strings.TrimSpace(v.SimpleValue)
			case nameCol:
				name = strings.TrimSpace(v.SimpleValue)
			case hintCol:
				hint = strings.ToLower(v.SimpleValue)
			}
		}
		if hintCol != "" && (strings.Contains(hint, "ortsteil") || strings.Contains(hint, "stadtbezirk")) {
			continue
		}
		if key == "" {
			return nil, fmt.Errorf("Eintrag %d der Codeliste ohne Schlüssel in Spalte %q: %w", i+1, keyCol, apperr.Invalid)
		}
		if len(key) == 8 && digits(key) {
			return nil, fmt.Errorf("Eintrag %d: %q ist ein Amtlicher Gemeindeschlüssel (8 Ziffern), kein Regionalschlüssel; die Liste der Regionalschlüssel verwenden: %w", i+1, key, apperr.Invalid)
		}
		a, err := New(key, name)
		if err != nil {
			return nil, fmt.Errorf("Eintrag %d: %w", i+1, err)
		}
		if seen[key] {
			return nil, fmt.Errorf("Schlüssel %s kommt mehrfach vor: %w", key, apperr.Invalid)
		}
		seen[key] = true
		out = append(out, a)
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("Codeliste ohne Gebiete: %w", apperr.Invalid)
	}
	return out, nil
}

// columns finds the Ids of the key, name and hint columns ("" where none).
func (gc *gcList) columns() (key, name, hint string) {
	cols := gc.ColumnSet.Columns
	named := func(names ...string) string {
		for _, c := range cols {
			for _, n := range names {
				if strings.EqualFold(c.ID, n) || strings.EqualFold(strings.TrimSpace(c.ShortName), n) {
					return c.ID
				}
			}
		}
		return ""
	}
	marked := func(match func(gcKey) bool) string {
		for _, k := range gc.ColumnSet.Keys {
			if k.ColumnRef.Ref != "" && match(k) {
				return k.ColumnRef.Ref
			}
		}
		return ""
	}
	key = named("SCHLUESSEL", "Schlüssel", "Schluessel", "Code", "Key")
	if key == "" {
		key = marked(func(k gcKey) bool {
			in := k.AppInfo.Inner
			return strings.Contains(in, "recommendedKeyColumn") || strings.Contains(in, "empfohleneCodeSpalte") ||
				strings.Contains(in, "xoev-code") && !strings.Contains(in, "xoev-codename") || strings.EqualFold(k.ID, "codeKey")
		})
	}
	if key == "" && len(cols) > 0 {
		key = cols[0].ID
	}
	hint = named("Hinweis")
	name = named("Bezeichnung", "Name")
	if name == "" || name == key {
		name = marked(func(k gcKey) bool {
			return strings.Contains(k.AppInfo.Inner, "xoev-codename") || strings.EqualFold(k.ID, "codenameKey")
		})
	}
	if name == "" || name == key {
		name = ""
		for _, c := range cols {
			if c.ID != key && c.ID != hint {
				name = c.ID
				break
			}
		}
	}
	return key, name, hint
}

// limitedReader reads at most n bytes of r and then fails, noting that
// the input was larger.
type limitedReader struct {
	r    io.Reader
	n    int64
	over bool
}

var errTooLarge = errors.New("input too large")

func (l *limitedReader) Read(p []byte) (int, error) {
	if l.n <= 0 {
		// One more byte tells a file of exactly n bytes from a larger one.
		var one [1]byte
		k, err := l.r.Read(one[:])
		if k > 0 {
			l.over = true
			return 0, errTooLarge
		}
		return 0, err
	}
	if int64(len(p)) > l.n {
		p = p[:l.n]
	}
	k, err := l.r.Read(p)
	l.n -= int64(k)
	return k, err
}
