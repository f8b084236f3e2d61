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
