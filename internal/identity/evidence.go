package identity

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"
)

// NewEvidence records the proof that id gives for an application declared
// at declaredAt with data, the canonical JSON of the application (package
// form's shape). proved are the data paths ("G1[0].F2", as form.Path
// formats them) that the identity filled; those without a value in data
// are left out, and every other answered path is Typed. An answered path
// is one whose value is neither null nor "" (a file reference counts as
// one value). id nil is an error.
func NewEvidence(id *Identity, schriftformersatz bool, declaredAt time.Time, data []byte, proved []string) (*Evidence, error) {
	if id == nil {
		return nil, errors.New("identity: evidence without a login")
	}
	sum := sha256.Sum256(data)
	d := json.NewDecoder(bytes.NewReader(data))
	d.UseNumber()
	var doc any
	if err := d.Decode(&doc); err != nil {
		return nil, fmt.Errorf("identity: evidence data: %w", err)
	}
	var answered []string
	answeredPaths(&answered, "", doc)
	ev := &Evidence{
		Schriftformersatz: schriftformersatz,
		Provider:          id.Provider,
		Issuer:            id.Issuer,
		Method:            id.Method,
		Level:             id.Level,
		RawLevel:          id.RawLevel,
		AssertionID:       id.AssertionID,
		AuthnTime:         id.AuthnTime.UTC(),
		DeclaredAt:        declaredAt.UTC(),
		DataSHA256:        hex.EncodeToString(sum[:]),
	}
	for _, p := range answered {
		if slices.Contains(proved, p) {
			ev.Proved = append(ev.Proved, p)
		} else {
			ev.Typed = append(ev.Typed, p)
		}
	}
	return ev, nil
}

// answeredPaths appends the paths of the answered values under v at path
// p, in key order.
func answeredPaths(out *[]string, p string, v any) {
	switch v := v.(type) {
	case nil:
	case string:
		if v != "" {
			*out = append(*out, p)
		}
	case map[string]any:
		if _, file := v["attachmentId"]; file && p != "" {
			*out = append(*out, p)
			return
		}
		keys := make([]string, 0, len(v))
		for k := range v {
			keys = append(keys, k)
		}
		slices.Sort(keys)
		for _, k := range keys {
			q := k
			if p != "" {
				q = p + "." + k
			}
			answeredPaths(out, q, v[k])
		}
	case []any:
		for i, x := range v {
			answeredPaths(out, p+"["+strconv.Itoa(i)+"]", x)
		}
	default:
		*out = append(*out, p)
	}
}

// Summary is the evidence in one German line for people: the method, the
// Vertrauensniveau and the provider, e.g. "eID, Vertrauensniveau hoch
// (STORK-QAA-Level-4), über bundid".
func (e *Evidence) Summary() string {
	if e == nil {
		return ""
	}
	var b strings.Builder
	m := string(e.Method)
	if m == "" {
		m = "unbekanntes Verfahren"
	}
	fmt.Fprintf(&b, "%s, Vertrauensniveau %s", m, e.Level)
	if e.RawLevel != "" {
		fmt.Fprintf(&b, " (%s)", e.RawLevel)
	}
	if e.Provider != "" {
		fmt.Fprintf(&b, ", über %s", e.Provider)
	}
	return b.String()
}

// Row is one line of the evidence for people: a German label and its
// value.
type Row struct{ Label, Value string }

// Rows lists the evidence for the receipt and the inbox, in German, times
// in Europe/Berlin as loc gives them (nil: UTC). nil evidence has none.
func (e *Evidence) Rows(loc *time.Location) []Row {
	if e == nil {
		return nil
	}
	if loc == nil {
		loc = time.UTC
	}
	when := func(t time.Time) string {
		if t.IsZero() {
			return "unbekannt"
		}
		return t.In(loc).Format("02.01.2006, 15:04:05") + " Uhr"
	}
	sf := "nein"
	if e.Schriftformersatz {
		sf = "ja (§ 3a Abs. 3 Nr. 1 VwVfG: elektronischer Identitätsnachweis statt Unterschrift)"
	}
	method := string(e.Method)
	if method == "" {
		method = "unbekannt"
	}
	list := func(ps []string) string {
		if len(ps) == 0 {
			return "keine"
		}
		return strings.Join(ps, ", ")
	}
	return []Row{
		{"Schriftformersatz", sf},
		{"Nutzerkonto", e.Provider},
		{"Identitätsanbieter", e.Issuer},
		{"Verfahren", method},
		{"Vertrauensniveau", fmt.Sprintf("%s (gemeldet: %s)", e.Level, e.RawLevel)},
		{"Kennung der Anmeldebestätigung", e.AssertionID},
		{"Angemeldet", when(e.AuthnTime)},
		{"Erklärt", when(e.DeclaredAt)},
		{"SHA-256 der erklärten Angaben", e.DataSHA256},
		{"Aus dem Nutzerkonto übernommen", list(e.Proved)},
		{"Selbst eingegeben", list(e.Typed)},
	}
}
