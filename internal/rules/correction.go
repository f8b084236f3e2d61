package rules

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"

	"github.com/antrag/antrag/internal/form"
)

// LoadCorrections reads a JSON Correction or a list of them from a file, for
// example:
//
//	[{"rule": "R00000002565", "version": "1.0.0", "note": "…",
//	  "effects": [{"effect": "require", "target": "G00000002193/F17000009298",
//	               "when": {"==": [{"var": "G00000002193/F00000003391"}, "999"]}}]}]
//
// Unknown members are an error (a misspelt member would otherwise drop part
// of the correction). Whether the corrections fit a schema is for
// Sources.Check to say.
func LoadCorrections(path string) ([]Correction, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("Korrekturen: %s ist nicht lesbar: %v", path, err)
	}
	list, err := ParseCorrections(b)
	if err != nil {
		return nil, fmt.Errorf("Korrekturen: %s: %v", path, err)
	}
	return list, nil
}

// ParseCorrections reads one correction (a JSON object) or a list of them.
// Unknown members (a misspelt member would otherwise drop part of the
// correction), a value of the wrong type, text after the JSON, an empty
// list and a correction without its Regel id are errors, in German, naming
// the member and the line.
func ParseCorrections(b []byte) ([]Correction, error) {
	b = bytes.TrimSpace(bytes.TrimPrefix(b, []byte("\xef\xbb\xbf")))
	if len(b) == 0 {
		return nil, errors.New("die Datei ist leer (erwartet: eine Korrektur als JSON-Objekt oder eine Liste davon)")
	}
	var list []Correction
	var err error
	if b[0] == '[' {
		err = decodeStrict(b, &list)
	} else {
		var one Correction
		if err = decodeStrict(b, &one); err == nil {
			list = []Correction{one}
		}
	}
	if err != nil {
		msg := jsonError(b, err)
		if strings.HasPrefix(msg, "unbekanntes Feld") {
			msg += " (erlaubt: rule, version, effects, translated, note)"
		}
		return nil, errors.New(msg)
	}
	if len(list) == 0 {
		return nil, errors.New("die Liste enthält keine Korrektur")
	}
	for i, c := range list {
		if strings.TrimSpace(c.Rule) == "" {
			return nil, fmt.Errorf("Eintrag %d: die Regel-ID („rule“) fehlt", i+1)
		}
	}
	return list, nil
}

func decodeStrict(b []byte, v any) error {
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return err
	}
	if _, err := dec.Token(); err != io.EOF {
		return errors.New("nach dem JSON-Wert folgt weiterer Text")
	}
	return nil
}

// jsonError says in German what is wrong with the JSON text b.
func jsonError(b []byte, err error) string {
	var syn *json.SyntaxError
	var typ *json.UnmarshalTypeError
	switch {
	case errors.As(err, &syn):
		return fmt.Sprintf("kein gültiges JSON (Zeile %d): %s", lineAt(b, syn.Offset), syn.Error())
	case errors.As(err, &typ):
		field := typ.Field
		if field == "" {
			field = "(oberste Ebene)"
		}
		return fmt.Sprintf("Feld %q (Zeile %d): %s erwartet, %s angegeben", field, lineAt(b, typ.Offset), germanType(typ.Type.Kind().String()), germanType(typ.Value))
	case errors.Is(err, io.ErrUnexpectedEOF):
		return "das JSON endet mitten im Wert"
	}
	if f, ok := strings.CutPrefix(err.Error(), "json: unknown field "); ok {
		return fmt.Sprintf("unbekanntes Feld %s", f)
	}
	return err.Error()
}

// germanType names a Go kind or a JSON type (json.UnmarshalTypeError's
// Value) in German.
func germanType(kind string) string {
	switch {
	case kind == "string":
		return "Text"
	case kind == "slice" || kind == "array":
		return "Liste"
	case kind == "struct" || kind == "map" || kind == "object":
		return "Objekt"
	case kind == "bool":
		return "Wahrheitswert"
	case kind == "number" || strings.HasPrefix(kind, "int") || strings.HasPrefix(kind, "uint") || strings.HasPrefix(kind, "float"):
		return "Zahl"
	}
	return kind
}

func lineAt(b []byte, offset int64) int {
	offset = min(max(offset, 0), int64(len(b)))
	return 1 + bytes.Count(b[:offset], []byte("\n"))
}

// correctRule builds the rule of regel r at place scope from its
// corrections.
func correctRule(ix *index, scope *node, r form.Regel, cs []Correction) *Rule {
	out := &Rule{ID: r.ID, Version: r.Version, Name: r.Name, Scope: scope.path, Text: strings.TrimSpace(r.FreitextRegel), Origin: FromCorrection}
	if len(cs) > 1 {
		out.Status, out.Reason = Unsupported, fmt.Sprintf("Für die Regel liegen %d Korrekturen vor; welche gilt, bleibt offen.", len(cs))
		return out
	}
	c := cs[0]
	note := strings.TrimSpace(c.Note)
	effects, err := correctionEffects(ix, scope, c)
	if err != nil {
		out.Status, out.Reason = Unsupported, "Die Korrektur ist nicht verwendbar: "+err.Error()
		return out
	}
	if len(effects) == 0 {
		out.Status, out.Reason = Informational, "Laut Korrektur ohne Verhalten."
		if note != "" {
			out.Reason += " " + note
		}
		return out
	}
	out.Effects = effects
	if err := finish(ix, scope, out); err != nil {
		out.Status, out.Reason, out.Effects = Unsupported, "Die Korrektur ist nicht verwendbar: "+err.Error(), nil
		return out
	}
	out.Status = Compiled
	if note != "" {
		out.Reason = "Korrigiert: " + note
	}
	return out
}

// correctionEffects converts a correction's effects for one place.
func correctionEffects(ix *index, scope *node, c Correction) ([]Effect, error) {
	var out []Effect
	for i, e := range c.Effects {
		ce, err := correctionEffect(ix, scope, e)
		if err != nil {
			return nil, fmt.Errorf("Wirkung %d (%s %s): %w", i+1, clip(string(e.Kind)), clip(e.Target), err)
		}
		out = append(out, ce)
	}
	for i, t := range c.Translated {
		e, _, err := convertTranslated(ix, scope, t)
		if err != nil {
			return nil, fmt.Errorf("übersetzte Wirkung %d (%s %s): %w", i+1, clip(t.Effect), clip(t.Target), err)
		}
		out = append(out, e)
	}
	return out, nil
}

func correctionEffect(ix *index, scope *node, e Effect) (Effect, error) {
	target, err := schemaPath(ix, scope, e.Target)
	if err != nil {
		return Effect{}, err
	}
	out := Effect{Kind: e.Kind, Target: target.path, Message: strings.TrimSpace(e.Message)}
	if out.When, err = logicAt(ix, scope, e.When, 0); err != nil {
		return Effect{}, fmt.Errorf("„when“: %w", err)
	}
	if out.Check, err = logicAt(ix, scope, e.Check, 0); err != nil {
		return Effect{}, fmt.Errorf("„check“: %w", err)
	}
	switch e.Kind {
	case Show, Hide, Require:
		if e.Check != nil || e.Value != nil {
			return Effect{}, fmt.Errorf("„check“ und „value“ gehören nicht zu „%s“", e.Kind)
		}
	case Validate:
		if e.Check == nil {
			return Effect{}, errors.New("„validate“ ohne „check“ prüft nichts")
		}
		if out.Message == "" {
			out.Message = fmt.Sprintf("Bitte prüfen Sie die Angaben zu „%s“.", target.el.Label())
		}
	case Set:
		if e.Value == nil {
			return Effect{}, errors.New("„set“ ohne „value“")
		}
		if e.When != nil {
			return Effect{}, errors.New("„set“ gilt immer und nimmt keine Bedingung „when“")
		}
		if err := fits(target, e.Value); err != nil {
			return Effect{}, err
		}
		out.Value = e.Value
	default:
		return Effect{}, fmt.Errorf("unbekannte Wirkung „%s“ (bekannt: show, hide, require, validate, set)", clip(string(e.Kind)))
	}
	return out, nil
}

// schemaPath resolves a path of a correction: below the carrier first,
// then from the schema root.
func schemaPath(ix *index, scope *node, p string) (*node, error) {
	p = strings.Trim(strings.TrimSpace(p), "/")
	if p == "" {
		return nil, errors.New("das Ziel fehlt")
	}
	if scope.path != "" {
		if n := ix.byPath[scope.path+"/"+p]; n != nil {
			return n, nil
		}
	}
	if n := ix.byPath[p]; n != nil {
		return n, nil
	}
	return nil, fmt.Errorf("„%s“ ist kein Pfad im Schema (Ids mit „/“ verbunden, vom Träger der Regel oder vom Stammdatenschema aus)", clip(p))
}

// knownOps are the JSON Logic operations both evaluators run: the server's
// (github.com/diegoholiveira/jsonlogic/v3) and the browser's
// (json-logic-js), plus the custom operations of ops.go.
var knownOps = map[string]bool{
	"var": true, "missing": true, "missing_some": true, "if": true, "?:": true,
	"==": true, "===": true, "!=": true, "!==": true, "!": true, "!!": true, "and": true, "or": true,
	">": true, ">=": true, "<": true, "<=": true, "max": true, "min": true,
	"+": true, "-": true, "*": true, "/": true, "%": true,
	"in": true, "cat": true, "substr": true, "merge": true,
	"map": true, "filter": true, "reduce": true, "all": true, "none": true, "some": true,
	"filled": true, "date": true, "days_between": true, "years_between": true, "valid_date": true, "distinct": true,
}

// logicAt checks a JSON Logic expression of a correction and rewrites its
// variables to schema paths from the root. It also checks literals compared
// with a field against the field (see fits).
func logicAt(ix *index, scope *node, x any, depth int) (any, error) {
	if depth > maxDepth {
		return nil, errors.New("der Ausdruck ist zu tief verschachtelt")
	}
	switch v := x.(type) {
	case nil, bool, string, float64, json.Number:
		return v, nil
	case []any:
		out := make([]any, len(v))
		for i, a := range v {
			y, err := logicAt(ix, scope, a, depth+1)
			if err != nil {
				return nil, err
			}
			out[i] = y
		}
		return out, nil
	case map[string]any:
		if len(v) != 1 {
			return nil, fmt.Errorf("„%s“ ist kein JSON-Logic-Ausdruck (ein Objekt mit genau einem Operator)", short(v))
		}
		for name, a := range v {
			if !knownOps[name] {
				return nil, fmt.Errorf("unbekannter JSON-Logic-Operator „%s“", clip(name))
			}
			if name == "var" {
				return varAt(ix, scope, a)
			}
			if err := checkArity(name, a); err != nil {
				return nil, err
			}
			y, err := logicAt(ix, scope, a, depth+1)
			if err != nil {
				return nil, err
			}
			if err := checkComparison(ix, name, y); err != nil {
				return nil, err
			}
			return logic{name: y}, nil
		}
	}
	return nil, fmt.Errorf("„%s“ ist kein JSON-Logic-Ausdruck", short(x))
}

// arity gives the number of arguments of the operations that take a
// fixed number (min, max): JSON Logic (jsonlogic.com/operations.html) and
// ops.go. The evaluators differ on other counts ({"==": [1]}), so such an
// expression is refused.
var arity = map[string][2]int{
	"==": {2, 2}, "===": {2, 2}, "!=": {2, 2}, "!==": {2, 2}, ">": {2, 2}, ">=": {2, 2}, "<": {2, 3}, "<=": {2, 3},
	"in": {2, 2}, "/": {2, 2}, "%": {2, 2}, "!": {1, 1}, "!!": {1, 1},
	"filled": {1, 1}, "distinct": {1, 1}, "date": {3, 3}, "valid_date": {3, 3}, "days_between": {2, 2}, "years_between": {2, 2},
}

// checkArity checks the number of arguments of operation name; a single
// argument may be written without the array.
func checkArity(name string, args any) error {
	a, ok := arity[name]
	if !ok {
		return nil
	}
	n := 1
	if list, isList := args.([]any); isList {
		n = len(list)
	} else if args == nil {
		n = 0
	}
	if n < a[0] || n > a[1] {
		want := strconv.Itoa(a[0])
		if a[1] != a[0] {
			want += " oder " + strconv.Itoa(a[1])
		}
		return fmt.Errorf("„%s“ verlangt %s Argumente, nicht %d", clip(name), want, n)
	}
	return nil
}

func varAt(ix *index, scope *node, a any) (any, error) {
	name := a
	if list, ok := a.([]any); ok {
		if len(list) != 1 {
			return nil, errors.New("„var“ mit Vorgabewert wird nicht unterstützt; ein leeres Feld ist null")
		}
		name = list[0]
	}
	s, ok := name.(string)
	if !ok {
		return nil, fmt.Errorf("„var“ verlangt einen Pfad, nicht „%s“", short(a))
	}
	if s == VarToday || s == VarBundesland {
		return vr(s), nil
	}
	n, err := schemaPath(ix, scope, s)
	if err != nil {
		return nil, err
	}
	return vr(n.path), nil
}

// checkComparison checks the literal of a comparison between a variable
// and a literal ({"==": [{"var": p}, lit]}, either order; {"in": [{"var":
// p}, [lits]]}).
func checkComparison(ix *index, name string, args any) error {
	list, ok := args.([]any)
	if !ok || len(list) != 2 {
		return nil
	}
	switch name {
	case "==", "===", "!=", "!==", "<", ">", "<=", ">=":
		for _, ab := range [][2]int{{0, 1}, {1, 0}} {
			n := varNode(ix, list[ab[0]])
			if n == nil || n.repeats() || n.el.Kind != form.KindField {
				continue
			}
			if _, isExpr := list[ab[1]].(map[string]any); isExpr || list[ab[1]] == nil {
				continue
			}
			if err := fits(n, list[ab[1]]); err != nil {
				return err
			}
		}
	case "in":
		n := varNode(ix, list[0])
		lits, ok := list[1].([]any)
		if n == nil || !ok || n.repeats() || n.el.Kind != form.KindField {
			return nil
		}
		for _, l := range lits {
			if err := fits(n, l); err != nil {
				return err
			}
		}
	}
	return nil
}

func varNode(ix *index, x any) *node {
	m, ok := x.(map[string]any)
	if !ok {
		return nil
	}
	s, _ := m["var"].(string)
	if s == "" || strings.HasPrefix(s, "$") {
		return nil
	}
	return ix.byPath[s]
}

// fits says whether a literal of a correction fits the field: a code of
// its Codeliste, a truth value for a bool field, a number for a numeric
// field, text (a date as YYYY-MM-DD) otherwise.
func fits(n *node, lit any) error {
	e := n.el
	if e.Kind != form.KindField {
		return fmt.Errorf("%s ist eine Datenfeldgruppe und nimmt keinen einzelnen Wert", e.ID)
	}
	if e.HasCodes() {
		s, ok := lit.(string)
		if ok {
			for _, w := range e.Codes() {
				if w.Code == s {
					return nil
				}
			}
		}
		return fmt.Errorf("%s ist kein Code der Codeliste von %s", short(lit), e.ID)
	}
	switch {
	case e.Datentyp == form.DatentypBool:
		if _, ok := lit.(bool); !ok {
			return fmt.Errorf("%s ist kein Wahrheitswert (true oder false) für das Ja/Nein-Feld %s", short(lit), e.ID)
		}
	case e.Datentyp.Numeric():
		switch lit.(type) {
		case float64, json.Number:
		default:
			return fmt.Errorf("%s ist keine Zahl für das Zahlenfeld %s", short(lit), e.ID)
		}
	case e.Datentyp == form.DatentypDate:
		if _, ok := parseDay(lit); !ok {
			return fmt.Errorf("%s ist kein Datum (JJJJ-MM-TT) für das Datumsfeld %s", short(lit), e.ID)
		}
	default:
		if _, ok := lit.(string); !ok {
			return fmt.Errorf("%s ist kein Text für das Feld %s", short(lit), e.ID)
		}
	}
	return nil
}
