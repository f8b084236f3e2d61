package rules

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"

	"github.com/antrag/antrag/internal/form"
)

// Translated is one entry of FITKO's machine-readable translation of an
// element's rules, as the FIM portal serves it (GET
// /api/v1/translated-rules/{fim_id}/{fim_version}, where id and version are
// those of the element that carries the rules; 404 means not translated):
//
//	{"effect": "require", "target": "self.F17000009298",
//	 "message": "Das Feld … muss angegeben werden, wenn …",
//	 "condition": {"equal": [{"identifier": "self.F00000003391"}, "999"]}}
//
// Effects and their meaning in antrag:
//
//   - require: the target must have a value while the condition holds
//     (Require; without a condition always);
//   - forbid: the target must not have a value while the condition holds.
//     antrag hides it then (Hide): a hidden element cannot be filled, its
//     value is removed from the data, and it is never validated, so the
//     prohibition holds without the citizen seeing an error about a field
//     they could not have known to leave empty. The free-text compiler
//     treats "darf … nicht befüllt sein" the same way.
//   - valid: a validation whose condition must hold (Validate with Check
//     the condition and Message the message, reported on the target).
//
// Conditions: {"identifier": "self.F…"} names an element ("self" is the
// carrying element; "self.G….F…" a path below it; an id without "self."
// is read the same). As an operand it is the element's value; standing
// alone as a condition it means a yes/no field that is true. Operators:
// {"equal": [a, b]}, {"not": x}, {"is_empty": identifier}, {"and": [...]},
// {"or": [...]}, {"xor": [...]} (exactly one operand holds, the reading of
// "entweder … oder"). Literals are strings (codes, or numbers for numeric
// fields) and booleans; a literal compared with a field is checked against
// it (a code of its Codeliste, a truth value for a bool field, a number for
// a numeric field). Anything else is an error, so that the element falls
// back to its free text.
type Translated struct {
	Effect    string          `json:"effect"`
	Target    string          `json:"target"`
	Message   string          `json:"message,omitempty"`
	Condition json.RawMessage `json:"condition,omitempty"`
}

// ParseTranslated reads one answer of the FIM portal's translated-rules
// endpoint: a JSON list of objects with at least "effect" and "target"
// (strings). Members antrag does not know are ignored. It returns an error
// in German for anything else; effects and operators are checked only when
// the rules are compiled (CompileWith) or checked (Sources.Check), because
// an unknown one makes its element fall back to the free text rather than
// rejecting the whole file.
func ParseTranslated(b []byte) ([]Translated, error) {
	dec := json.NewDecoder(bytes.NewReader(b))
	var raw []json.RawMessage
	if err := dec.Decode(&raw); err != nil {
		return nil, fmt.Errorf("keine Liste übersetzter Regeln: %v", jsonError(b, err))
	}
	if raw == nil {
		return nil, errors.New("keine Liste übersetzter Regeln: null")
	}
	if len(bytes.TrimSpace(b[dec.InputOffset():])) > 0 {
		return nil, errors.New("nach der Liste übersetzter Regeln folgt weiterer Inhalt")
	}
	out := make([]Translated, 0, len(raw))
	for i, r := range raw {
		var t Translated
		if err := json.Unmarshal(r, &t); err != nil {
			return nil, fmt.Errorf("Eintrag %d ist kein Objekt mit den Zeichenketten „effect“ und „target“: %v", i+1, jsonError(r, err))
		}
		if strings.TrimSpace(t.Effect) == "" {
			return nil, fmt.Errorf("Eintrag %d: „effect“ fehlt", i+1)
		}
		if strings.TrimSpace(t.Target) == "" {
			return nil, fmt.Errorf("Eintrag %d: „target“ fehlt", i+1)
		}
		if bytes.Equal(bytes.TrimSpace(t.Condition), []byte("null")) {
			t.Condition = nil
		}
		out = append(out, t)
	}
	return out, nil
}

// idRE matches a FIM element or schema id (S…, G…, F… and digits).
var idRE = regexp.MustCompile(`^[A-Z][0-9]+$`)

// LoadTranslations reads translations of element rules from path, a file
// or a directory, and returns them keyed "<id>@<version>" (the key of
// Sources.Translations). Accepted layouts:
//
//   - a file holding one answer of the FIM portal (a JSON list), named
//     "<id>_<version>.json" (e.g. G17000001234_1.2.0.json) or
//     "<id>/<version>.json" (e.g. G17000001234/1.2.0.json);
//   - a file holding a JSON object whose members are keyed
//     "<id>@<version>" or "<id>/<version>", each an answer;
//   - a directory holding such files at any depth; files not ending in
//     ".json" and names starting with "." are skipped.
//
// An element given twice is an error, as is a file that is not one of the
// above (German messages naming the file).
func LoadTranslations(path string) (map[string][]Translated, error) {
	fi, err := os.Stat(path)
	if err != nil {
		return nil, fmt.Errorf("übersetzte Regeln: %s ist nicht lesbar: %v", path, err)
	}
	l := &translationLoader{out: map[string][]Translated{}, from: map[string]string{}}
	if !fi.IsDir() {
		if err := l.file(path); err != nil {
			return nil, err
		}
		return l.out, nil
	}
	err = filepath.WalkDir(path, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return fmt.Errorf("übersetzte Regeln: %s ist nicht lesbar: %v", p, err)
		}
		if p != path && strings.HasPrefix(d.Name(), ".") {
			if d.IsDir() {
				return filepath.SkipDir
			}
			return nil
		}
		if d.IsDir() || !strings.HasSuffix(d.Name(), ".json") {
			return nil
		}
		return l.file(p)
	})
	if err != nil {
		return nil, err
	}
	return l.out, nil
}

type translationLoader struct {
	out  map[string][]Translated
	from map[string]string // key → file
}

func (l *translationLoader) file(path string) error {
	b, err := os.ReadFile(path)
	if err != nil {
		return fmt.Errorf("übersetzte Regeln: %s ist nicht lesbar: %v", path, err)
	}
	b = bytes.TrimPrefix(b, []byte("\xef\xbb\xbf"))
	trimmed := bytes.TrimSpace(b)
	if len(trimmed) > 0 && trimmed[0] == '{' {
		var m map[string]json.RawMessage
		if err := json.Unmarshal(trimmed, &m); err != nil {
			return fmt.Errorf("übersetzte Regeln: %s: %v", path, jsonError(trimmed, err))
		}
		keys := make([]string, 0, len(m))
		for k := range m {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, k := range keys {
			id, version, ok := splitKey(k)
			if !ok || !idRE.MatchString(id) {
				return fmt.Errorf("übersetzte Regeln: %s: der Schlüssel „%s“ hat nicht die Form <id>@<version>", path, k)
			}
			list, err := ParseTranslated(m[k])
			if err != nil {
				return fmt.Errorf("übersetzte Regeln: %s, %s: %v", path, k, err)
			}
			if err := l.add(id+"@"+version, list, path); err != nil {
				return err
			}
		}
		return nil
	}
	key := keyFromName(path)
	if key == "" {
		return fmt.Errorf("übersetzte Regeln: %s: der Dateiname nennt das Element nicht; erwartet wird <id>_<version>.json oder <id>/<version>.json", path)
	}
	list, err := ParseTranslated(trimmed)
	if err != nil {
		return fmt.Errorf("übersetzte Regeln: %s: %v", path, err)
	}
	return l.add(key, list, path)
}

func (l *translationLoader) add(key string, list []Translated, path string) error {
	if prev, ok := l.from[key]; ok {
		if prev == path {
			return fmt.Errorf("übersetzte Regeln: %s nennt %s doppelt", path, key)
		}
		return fmt.Errorf("übersetzte Regeln: %s steht in %s und in %s", key, prev, path)
	}
	l.from[key] = path
	l.out[key] = list
	return nil
}

// keyFromName derives "<id>@<version>" from "<id>_<version>.json" or
// "<id>/<version>.json"; "" if the name says neither.
func keyFromName(path string) string {
	base := strings.TrimSuffix(filepath.Base(path), ".json")
	if id, version, ok := strings.Cut(base, "_"); ok && idRE.MatchString(id) && version != "" {
		return id + "@" + version
	}
	if dir := filepath.Base(filepath.Dir(path)); idRE.MatchString(dir) && base != "" {
		return dir + "@" + base
	}
	return ""
}

// convertTranslated turns one translated entry into an effect at the place
// scope. It also returns the ids of the elements the entry names, target
// first.
func convertTranslated(ix *index, scope *node, t Translated) (Effect, []string, error) {
	c := &converter{ix: ix, scope: scope}
	target, err := c.element(t.Target)
	if err != nil {
		return Effect{}, nil, err
	}
	c.ids = append(c.ids, target.el.ID)
	var cond any
	if raw := bytes.TrimSpace(t.Condition); len(raw) > 0 && !bytes.Equal(raw, []byte("null")) {
		dec := json.NewDecoder(bytes.NewReader(raw))
		dec.UseNumber()
		var x any
		if err := dec.Decode(&x); err != nil {
			return Effect{}, nil, fmt.Errorf("die Bedingung ist kein JSON: %v", jsonError(raw, err))
		}
		if cond, err = c.cond(x, 0); err != nil {
			return Effect{}, nil, err
		}
	}
	e := Effect{Target: target.path}
	switch strings.TrimSpace(t.Effect) {
	case "require":
		e.Kind, e.When = Require, cond
	case "forbid":
		e.Kind, e.When = Hide, cond
	case "valid":
		if cond == nil {
			return Effect{}, nil, errors.New("„valid“ ohne Bedingung prüft nichts")
		}
		e.Kind, e.Check, e.Message = Validate, cond, strings.TrimSpace(t.Message)
		if e.Message == "" {
			e.Message = fmt.Sprintf("Bitte prüfen Sie die Angaben zu „%s“.", target.el.Label())
		}
	default:
		return Effect{}, nil, fmt.Errorf("unbekannte Wirkung „%s“ (bekannt: require, forbid, valid)", clip(t.Effect))
	}
	return e, c.ids, nil
}

type converter struct {
	ix    *index
	scope *node
	ids   []string
}

// maxDepth bounds the nesting of a condition.
const maxDepth = 64

// element resolves an identifier: "self", "self.<id>[.<id>…]" or
// "<id>[.<id>…]", seen from the carrier.
func (c *converter) element(ident string) (*node, error) {
	s := strings.TrimSpace(ident)
	if s == "self" {
		if c.scope.el == nil {
			return nil, errors.New("„self“ ist hier das Stammdatenschema, kein Element")
		}
		return c.scope, nil
	}
	s = strings.TrimPrefix(s, "self.")
	for _, part := range strings.Split(s, ".") {
		if !idRE.MatchString(part) {
			return nil, fmt.Errorf("„%s“ ist kein Bezeichner eines Elements", clip(ident))
		}
	}
	n, err := c.ix.resolve(c.scope, s)
	if err != nil {
		return nil, fmt.Errorf("„%s“: %v", clip(ident), err)
	}
	return n, nil
}

// single returns the only member of a one-member object.
func single(x any) (string, any, bool) {
	m, ok := x.(map[string]any)
	if !ok || len(m) != 1 {
		return "", nil, false
	}
	for k, v := range m {
		return k, v, true
	}
	return "", nil, false
}

// args returns an operator's arguments as a list: a lone argument may be
// written without the list.
func args(v any) []any {
	if list, ok := v.([]any); ok {
		return list
	}
	return []any{v}
}

// cond converts a condition in boolean position.
func (c *converter) cond(x any, depth int) (any, error) {
	if depth > maxDepth {
		return nil, errors.New("die Bedingung ist zu tief verschachtelt")
	}
	if b, ok := x.(bool); ok {
		return b, nil
	}
	name, v, ok := single(x)
	if !ok {
		return nil, fmt.Errorf("„%s“ ist keine Bedingung", short(x))
	}
	switch name {
	case "identifier":
		n, err := c.ident(v)
		if err != nil {
			return nil, err
		}
		if n.el.Kind != form.KindField {
			return nil, fmt.Errorf("%s ist eine Datenfeldgruppe; ein Bezeichner allein ist eine Bedingung nur für ein Ja/Nein-Feld", n.el.ID)
		}
		lit, err := literalFor(n, true)
		if err != nil {
			return nil, fmt.Errorf("%s allein als Bedingung verlangt ein Ja/Nein-Feld: %v", n.el.ID, err)
		}
		return c.compare(n, lit), nil
	case "equal":
		as := args(v)
		if len(as) != 2 {
			return nil, fmt.Errorf("„equal“ verlangt zwei Operanden, nicht %d", len(as))
		}
		return c.equal(as[0], as[1], depth)
	case "not":
		as := args(v)
		if len(as) != 1 {
			return nil, fmt.Errorf("„not“ verlangt einen Operanden, nicht %d", len(as))
		}
		a, err := c.cond(as[0], depth+1)
		if err != nil {
			return nil, err
		}
		return not(a), nil
	case "is_empty":
		as := args(v)
		if len(as) != 1 {
			return nil, fmt.Errorf("„is_empty“ verlangt einen Operanden, nicht %d", len(as))
		}
		k, iv, ok := single(as[0])
		if !ok || k != "identifier" {
			return nil, errors.New("„is_empty“ verlangt einen Bezeichner")
		}
		n, err := c.ident(iv)
		if err != nil {
			return nil, err
		}
		return not(filled(vr(n.path))), nil
	case "and", "or", "xor":
		as, ok := v.([]any)
		if !ok || len(as) == 0 || (name == "xor" && len(as) < 2) {
			return nil, fmt.Errorf("„%s“ verlangt eine Liste von Bedingungen", name)
		}
		xs := make([]any, len(as))
		for i, a := range as {
			x, err := c.cond(a, depth+1)
			if err != nil {
				return nil, err
			}
			xs[i] = x
		}
		switch name {
		case "and":
			return and(xs...), nil
		case "or":
			return or(xs...), nil
		}
		if len(xs) == 2 {
			return neq(op("!!", xs[0]), op("!!", xs[1])), nil
		}
		count := make([]any, len(xs))
		for i, x := range xs {
			count[i] = op("if", x, 1, 0)
		}
		return eq(op("+", count...), 1), nil
	}
	return nil, fmt.Errorf("unbekannter Operator „%s“ (bekannt: equal, not, is_empty, and, or, xor, identifier)", clip(name))
}

func (c *converter) ident(v any) (*node, error) {
	s, ok := v.(string)
	if !ok {
		return nil, errors.New("„identifier“ verlangt eine Zeichenkette")
	}
	n, err := c.element(s)
	if err != nil {
		return nil, err
	}
	c.ids = append(c.ids, n.el.ID)
	return n, nil
}

// compare tests an element against a literal: equality, or for a repeated
// element (a list of values) that one of its entries is the literal.
func (c *converter) compare(n *node, lit any) any {
	if n.repeats() {
		return op("in", lit, vr(n.path))
	}
	return eq(vr(n.path), lit)
}

// equal converts {"equal": [a, b]}.
func (c *converter) equal(a, b any, depth int) (any, error) {
	na, la, err := c.operand(a, depth)
	if err != nil {
		return nil, err
	}
	nb, lb, err := c.operand(b, depth)
	if err != nil {
		return nil, err
	}
	switch {
	case na != nil && nb != nil:
		return eq(vr(na.path), vr(nb.path)), nil
	case na != nil:
		lit, err := literalFor(na, lb)
		if err != nil {
			return nil, err
		}
		return c.compare(na, lit), nil
	case nb != nil:
		lit, err := literalFor(nb, la)
		if err != nil {
			return nil, err
		}
		return c.compare(nb, lit), nil
	}
	return eq(la, lb), nil
}

// operand converts an operand of equal: an identifier (its node), a
// literal, or a condition (its truth value, as the literal).
func (c *converter) operand(x any, depth int) (*node, any, error) {
	switch v := x.(type) {
	case string, bool:
		return nil, v, nil
	case json.Number:
		f, err := v.Float64()
		if err != nil {
			return nil, nil, fmt.Errorf("„%s“ ist keine Zahl", v)
		}
		return nil, f, nil
	case float64:
		return nil, v, nil
	}
	if k, iv, ok := single(x); ok && k == "identifier" {
		n, err := c.ident(iv)
		if err != nil {
			return nil, nil, err
		}
		if n.el.Kind != form.KindField {
			return nil, nil, fmt.Errorf("%s ist eine Datenfeldgruppe und hat keinen Wert zum Vergleichen", n.el.ID)
		}
		return n, nil, nil
	}
	cond, err := c.cond(x, depth+1)
	if err != nil {
		return nil, nil, err
	}
	return nil, cond, nil
}

// literalFor converts a literal to the value the field holds, or says why
// it does not fit: a code of the field's Codeliste (a truth value matches
// the code "true"/"false" or the entry named ja/nein), a truth value for a
// bool field ("true"/"false" as text too), a number for a numeric field
// (text in German or English notation too), text for other fields.
func literalFor(n *node, lit any) (any, error) {
	e := n.el
	if e.Kind != form.KindField {
		return nil, fmt.Errorf("%s ist eine Datenfeldgruppe und hat keinen Wert zum Vergleichen", e.ID)
	}
	if _, isExpr := lit.(map[string]any); isExpr || lit == nil {
		return nil, fmt.Errorf("%s wird mit einer Bedingung statt mit einem Wert verglichen", e.ID)
	}
	if e.HasCodes() {
		codes := e.Codes()
		switch v := lit.(type) {
		case string:
			for _, w := range codes {
				if w.Code == v {
					return w.Code, nil
				}
			}
		case bool:
			for _, w := range codes {
				if (v && (w.Code == "true" || strings.EqualFold(w.Name, "ja"))) || (!v && (w.Code == "false" || strings.EqualFold(w.Name, "nein"))) {
					return w.Code, nil
				}
			}
		case float64:
			for _, w := range codes {
				if f, err := strconv.ParseFloat(w.Code, 64); err == nil && f == v {
					return w.Code, nil
				}
			}
		}
		return nil, fmt.Errorf("„%v“ ist kein Code der Codeliste von %s", lit, e.ID)
	}
	switch {
	case e.Datentyp == form.DatentypBool:
		switch v := lit.(type) {
		case bool:
			return v, nil
		case string:
			switch strings.ToLower(strings.TrimSpace(v)) {
			case "true":
				return true, nil
			case "false":
				return false, nil
			}
		}
		return nil, fmt.Errorf("„%v“ ist kein Wahrheitswert für das Ja/Nein-Feld %s", lit, e.ID)
	case e.Datentyp.Numeric():
		switch v := lit.(type) {
		case float64:
			return v, nil
		case string:
			if f, err := strconv.ParseFloat(strings.ReplaceAll(strings.TrimSpace(v), ",", "."), 64); err == nil {
				return f, nil
			}
		}
		return nil, fmt.Errorf("„%v“ ist keine Zahl für das Zahlenfeld %s", lit, e.ID)
	}
	switch v := lit.(type) {
	case string:
		return v, nil
	case float64:
		return strconv.FormatFloat(v, 'f', -1, 64), nil
	}
	return nil, fmt.Errorf("„%v“ ist kein Text für das Feld %s", lit, e.ID)
}

// clip makes a string from outside fit a one-line message: control
// characters become spaces, and it is cut to 60 characters.
func clip(s string) string {
	r := []rune(strings.Map(func(c rune) rune {
		if c < ' ' || c == 0x7f {
			return ' '
		}
		return c
	}, s))
	if len(r) > 60 {
		return string(r[:57]) + "…"
	}
	return string(r)
}

// short renders a value for a message, at most 60 characters.
func short(x any) string {
	b, err := json.Marshal(x)
	if err != nil {
		return fmt.Sprint(x)
	}
	if r := []rune(string(b)); len(r) > 60 {
		return string(r[:57]) + "…"
	}
	return string(b)
}
