package fim

import (
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/antrag/antrag/internal/form"
)

// NamespaceGenericode is the namespace of OASIS genericode 1.0 code lists.
const NamespaceGenericode = "http://docs.oasis-open.org/codelist/ns/genericode/1.0/"

// MaxCodelistBytes is the largest genericode file ReadGenericode accepts.
// The full list of German Regionalschlüssel has 3.2 MB.
const MaxCodelistBytes = 64 << 20

type gcCodeList struct {
	XMLName        xml.Name `xml:"CodeList"`
	Identification struct {
		ShortName           string `xml:"ShortName"`
		LongName            string `xml:"LongName"`
		Version             string `xml:"Version"`
		CanonicalURI        string `xml:"CanonicalUri"`
		CanonicalVersionURI string `xml:"CanonicalVersionUri"`
	} `xml:"Identification"`
	ColumnSet struct {
		Columns []struct {
			ID string `xml:"Id,attr"`
		} `xml:"Column"`
		Keys []gcKey `xml:"Key"`
	} `xml:"ColumnSet"`
	Rows []struct {
		Values []struct {
			ColumnRef   string `xml:"ColumnRef,attr"`
			SimpleValue string `xml:"SimpleValue"`
		} `xml:"Value"`
	} `xml:"SimpleCodeList>Row"`
}

type gcKey struct {
	ID      string `xml:"Id,attr"`
	AppInfo struct {
		Inner string `xml:",innerxml"`
	} `xml:"Annotation>AppInfo"`
	ColumnRef struct {
		Ref string `xml:"Ref,attr"`
	} `xml:"ColumnRef"`
}

// ReadGenericode reads an OASIS genericode 1.0 code list (with or without
// the XÖV annotations xoev-cl-3). The code column is the key that XÖV marks
// empfohleneCodeSpalte or xoev-code, else the key named codeKey, else the
// first key, else the first column; the name column is the key marked
// xoev-codename or named codenameKey, else the first other column. Errors
// name what is missing.
func ReadGenericode(r io.Reader) (*form.Codeliste, error) {
	d := xml.NewDecoder(io.LimitReader(r, MaxCodelistBytes+1))
	d.Strict = true
	var gc gcCodeList
	if err := d.Decode(&gc); err != nil {
		var se *xml.SyntaxError
		if errors.As(err, &se) {
			return nil, fmt.Errorf("Zeile %d: XML nicht lesbar: %s", se.Line, se.Msg)
		}
		return nil, fmt.Errorf("kein genericode-Dokument: %w", err)
	}
	if gc.XMLName.Space != NamespaceGenericode {
		return nil, fmt.Errorf("kein genericode-1.0-Dokument (Namensraum %q)", gc.XMLName.Space)
	}
	id := gc.Identification
	cl := &form.Codeliste{
		CanonicalURI:        strings.TrimSpace(id.CanonicalURI),
		Version:             strings.TrimSpace(id.Version),
		CanonicalVersionURI: strings.TrimSpace(id.CanonicalVersionURI),
		Name:                strings.TrimSpace(id.LongName),
	}
	if cl.Name == "" {
		cl.Name = strings.TrimSpace(id.ShortName)
	}
	if cl.CanonicalVersionURI == "" {
		return nil, errors.New("genericode ohne Identification/CanonicalVersionUri")
	}
	codeCol, nameCol := gc.columns()
	if codeCol == "" {
		return nil, errors.New("genericode ohne Spalten")
	}
	seen := map[string]bool{}
	for i, row := range gc.Rows {
		var w form.Wert
		for _, v := range row.Values {
			switch v.ColumnRef {
			case codeCol:
				w.Code = strings.TrimSpace(v.SimpleValue)
			case nameCol:
				w.Name = strings.TrimSpace(v.SimpleValue)
			}
		}
		if w.Code == "" {
			return nil, fmt.Errorf("Zeile %d der Codeliste hat keinen Code in Spalte %q", i+1, codeCol)
		}
		if seen[w.Code] {
			return nil, fmt.Errorf("Code %q kommt in der Codeliste mehrfach vor", w.Code)
		}
		seen[w.Code] = true
		if w.Name == "" {
			w.Name = w.Code
		}
		cl.Codes = append(cl.Codes, w)
	}
	if len(cl.Codes) == 0 {
		return nil, errors.New("Codeliste ohne Einträge")
	}
	return cl, nil
}

func (gc *gcCodeList) columns() (code, name string) {
	keys := gc.ColumnSet.Keys
	find := func(match func(gcKey) bool) string {
		for _, k := range keys {
			if match(k) && k.ColumnRef.Ref != "" {
				return k.ColumnRef.Ref
			}
		}
		return ""
	}
	code = find(func(k gcKey) bool { return strings.Contains(k.AppInfo.Inner, "empfohleneCodeSpalte") })
	if code == "" {
		code = find(func(k gcKey) bool {
			return strings.Contains(k.AppInfo.Inner, "xoev-code") && !strings.Contains(k.AppInfo.Inner, "xoev-codename")
		})
	}
	if code == "" {
		code = find(func(k gcKey) bool { return k.ID == "codeKey" })
	}
	if code == "" {
		code = find(func(gcKey) bool { return true })
	}
	if code == "" && len(gc.ColumnSet.Columns) > 0 {
		code = gc.ColumnSet.Columns[0].ID
	}
	name = find(func(k gcKey) bool { return strings.Contains(k.AppInfo.Inner, "xoev-codename") })
	if name == "" {
		name = find(func(k gcKey) bool { return k.ID == "codenameKey" })
	}
	if name == "" || name == code {
		name = ""
		for _, c := range gc.ColumnSet.Columns {
			if c.ID != code {
				name = c.ID
				break
			}
		}
	}
	return code, name
}
