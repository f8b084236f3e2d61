package rules

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/antrag/antrag/internal/form"
	"github.com/antrag/antrag/internal/form/formtest"
)

// fixture is a sample schema with its compiled rules and example data.
type fixture struct {
	t    *testing.T
	s    *form.Schema
	p    *Program
	base map[string]any
}

func load(t *testing.T, name string) *fixture {
	t.Helper()
	s := importSample(t, name)
	return &fixture{t: t, s: s, p: Compile(s), base: formtest.Decode(t, s.Example())}
}

// path is the key path of the first occurrence of element id (index 0 in
// repetitions).
func (f *fixture) path(id string) form.Path {
	f.t.Helper()
	ns := f.p.index.byID[id]
	if len(ns) == 0 {
		f.t.Fatalf("%s not in %s", id, f.s.ID)
	}
	return firstPlace(f.base, ns[0])
}

// doc returns a copy of the example with values set: id → value, nil deletes.
func (f *fixture) doc(set map[string]any) map[string]any {
	f.t.Helper()
	d := form.CopyData(f.base)
	for id, v := range set {
		setValue(d, f.path(id), v)
	}
	return d
}

func (f *fixture) rule(id string) *Rule {
	for _, r := range f.p.Rules {
		if r.ID == id {
			return r
		}
	}
	f.t.Fatalf("rule %s not found", id)
	return nil
}

func hasProblem(ps form.Problems, path, code string) bool {
	for _, p := range ps {
		if p.Path == path && (code == "" || p.Code == code) {
			return true
		}
	}
	return false
}

// "WENN F17000009294 = 001 'schwanger', DANN aktiviere F17000009295 UND
// mache es zu einer Pflichtangabe UND deaktiviere F17000009296. WENN … =
// 002 'stillend', DANN deaktiviere F17000009295 UND aktiviere F17000009296
// UND mache es zu einer Pflichtangabe." (S00000000371, R00000002566)
func TestSchwangerOderStillend(t *testing.T) {
	f := load(t, "xdf3/S00000000371_xdf3.xml")
	if r := f.rule("R00000002566"); r.Status != Compiled {
		t.Fatalf("R00000002566: %s %s", r.Status, r.Reason)
	}
	voraus, tatsaechlich := f.path("F17000009295"), f.path("F17000009296")

	// Schwanger: the expected date is shown and required, the actual date hidden
	// and removed from the data.
	ps, clean := f.p.Validate(f.doc(map[string]any{"F17000009294": "001", "F17000009295": nil, "F17000009296": "2025-12-01"}), Context{Today: testToday})
	if !hasProblem(ps, voraus.String(), form.CodeRequired) {
		t.Errorf("schwanger: expected date not required: %v", ps)
	}
	if hasProblem(ps, tatsaechlich.String(), "") {
		t.Errorf("schwanger: hidden actual date validated: %v", ps)
	}
	if valueAt(clean, tatsaechlich) != nil {
		t.Error("schwanger: value of the hidden actual date kept")
	}

	// Stillend: the other way round.
	ps, clean = f.p.Validate(f.doc(map[string]any{"F17000009294": "002", "F17000009295": "2026-02-01", "F17000009296": nil}), Context{Today: testToday})
	if !hasProblem(ps, tatsaechlich.String(), form.CodeRequired) || hasProblem(ps, voraus.String(), "") {
		t.Errorf("stillend: %v", ps)
	}
	if valueAt(clean, voraus) != nil {
		t.Error("stillend: value of the hidden expected date kept")
	}

	// Both dates given for "stillend": valid once the stale one is dropped.
	ps, _ = f.p.Validate(f.doc(map[string]any{"F17000009294": "002", "F17000009295": "2026-02-01", "F17000009296": "2025-12-01"}), Context{Today: testToday})
	if len(ps) > 0 {
		t.Errorf("stillend with both dates: %v", ps)
	}
}

// "WENN G60000000083 Geburtsdatum (teilbekannt) = < 18 Jahre, DANN zeige
// als Pflicht F07000001283 … an, SONST zeige F07000001283 … nicht an."
// (S07000000201, R07000002245): the age comes from a day/month/year group.
func TestAgeFromPartialBirthDate(t *testing.T) {
	f := load(t, "xdf3/S07000000201_xdf3.xml")
	consent := f.path("F07000001283")
	ctx := Context{Today: testToday} // 2026-01-15
	for _, tc := range []struct {
		name          string
		day, month    any
		year          any
		hidden, reqrd bool
	}{
		{"17 years old", json.Number("20"), json.Number("1"), json.Number("2008"), false, true},
		{"turned 18 yesterday", json.Number("14"), json.Number("1"), json.Number("2008"), true, false},
		{"adult", json.Number("1"), json.Number("6"), json.Number("1980"), true, false},
		{"year only, minor", nil, nil, json.Number("2015"), false, true},
		{"no birth date", nil, nil, nil, true, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			st, _ := f.p.Evaluate(f.doc(map[string]any{"F60000000231": tc.day, "F60000000232": tc.month, "F60000000233": tc.year}), ctx)
			if st.Hidden(consent) != tc.hidden || st.Required(consent) != tc.reqrd {
				t.Errorf("hidden=%v required=%v, want %v %v", st.Hidden(consent), st.Required(consent), tc.hidden, tc.reqrd)
			}
		})
	}
}

// "Das Feld F05000018366 … muss in Thüringen befüllt werden. Für die anderen
// Bundesländer darf es nicht angezeigt werden." (S05000001323, R05000013403)
func TestDependsOnLand(t *testing.T) {
	f := load(t, "xdf3/S05000001323_xdf3.xml")
	nachweis := f.path("F05000018366")
	doc := f.doc(nil)
	st, _ := f.p.Evaluate(doc, Context{Today: testToday, Bundesland: "TH"})
	if st.Hidden(nachweis) || !st.Required(nachweis) {
		t.Errorf("TH: hidden=%v required=%v", st.Hidden(nachweis), st.Required(nachweis))
	}
	st, clean := f.p.Evaluate(doc, Context{Today: testToday, Bundesland: "NW"})
	if !st.Hidden(nachweis) || st.Required(nachweis) {
		t.Errorf("NW: hidden=%v required=%v", st.Hidden(nachweis), st.Required(nachweis))
	}
	if valueAt(clean, nachweis) != nil {
		t.Error("NW: the upload is still in the data")
	}
	// "… ist mit 001 "privat" vorzubefüllen und … auszublenden" (R05000013658)
	art := f.path("F05000018286")
	st, clean = f.p.Evaluate(f.doc(map[string]any{"F05000018286": "002"}), Context{Today: testToday})
	if v, ok := st.Fixed(art); !ok || v != "001" || valueAt(clean, art) != "001" {
		t.Errorf("Art des Antragstellers: fixed=%v %v, data %v", v, ok, valueAt(clean, art))
	}
}

// "Wenn F60000000231 "Tag" nicht leer, dann darf F60000000232 "Monat" nicht
// leer sein." applies to each entry of a repeated group on its own
// (S00000000374: children, G00000002145, 0:*).
func TestRulesApplyPerEntry(t *testing.T) {
	f := load(t, "xdf3/S00000000374_xdf3.xml")
	kinder := f.path("G00000002145")
	// in returns the key path of a field inside entry i of the children.
	in := func(i int, id string) form.Path {
		for _, n := range f.p.index.byID[id] {
			if rest, ok := strings.CutPrefix(n.path, "G00000002145/"); ok {
				p := kinder.Index(i)
				for _, k := range strings.Split(rest, "/") {
					p = p.Key(k)
				}
				return p
			}
		}
		t.Fatalf("%s not inside G00000002145", id)
		return nil
	}
	// Purpose of stay 004 "Familiäre Gründe" shows the children's group
	// (R00000002593); with the example's 001 it is hidden.
	doc := f.doc(map[string]any{"F00000003381": "004"})
	first := valueAt(doc, kinder).([]any)[0]
	setValue(doc, kinder, []any{first, form.CopyData(first.(map[string]any))})
	setValue(doc, in(0, "F60000000231"), json.Number("12"))
	setValue(doc, in(0, "F60000000232"), nil)
	setValue(doc, in(1, "F60000000231"), nil)
	setValue(doc, in(1, "F60000000232"), nil)
	st, _ := f.p.Evaluate(doc, Context{Today: testToday})
	if !st.Required(in(0, "F60000000232")) {
		t.Errorf("entry 0: month not required although the day is given")
	}
	if st.Required(in(1, "F60000000232")) {
		t.Errorf("entry 1: month required although the day is empty")
	}
	ps, _ := f.p.Validate(doc, Context{Today: testToday})
	if !hasProblem(ps, in(0, "F60000000232").String(), form.CodeRequired) || hasProblem(ps, in(1, "F60000000232").String(), "") {
		t.Errorf("problems: %v", ps)
	}
	// With 001 "Erwerbstätigkeit als Arbeitnehmer" the group is hidden: no
	// entry is checked and none is kept.
	setValue(doc, f.path("F00000003381"), "001")
	ps, clean := f.p.Validate(doc, Context{Today: testToday})
	if hasProblem(ps, in(0, "F60000000232").String(), "") || valueAt(clean, kinder) != nil {
		t.Errorf("hidden children: %v", ps)
	}
}

// Case C01: a field with a value is hidden by a rule, another is required.
// The hidden field takes no part in validation and its value is dropped.
// Case C02: a required field that had an error is hidden by a later answer:
// the error goes with it. Case C03: a hidden required group posted as empty
// string is skipped and not delivered. Case C04: a visible required field
// that the client leaves out is rejected with a field-level error, whatever
// the client claims. (S00000000364: "WENN F00000003445 "Abweichende
// Ausgabestelle" = JA, DANN aktiviere G00000002211 "Sitz der Ausgabestelle".
// WENN … = NEIN, DANN deaktiviere G00000002211.")
func TestCasesC01toC04(t *testing.T) {
	f := load(t, "xdf3/S00000000364_xdf3.xml")
	sitz := f.path("G00000002211")
	ctx := Context{Today: testToday}

	t.Run("C01 hidden field with a value is neither validated nor kept", func(t *testing.T) {
		doc := f.doc(map[string]any{"F00000003445": false})
		// The hidden group holds a value that would be invalid if checked.
		setValue(doc, sitz, map[string]any{"X": "ungültig"})
		ps, clean := f.p.Validate(doc, ctx)
		if len(ps) > 0 {
			t.Fatalf("problems: %v", ps)
		}
		if valueAt(clean, sitz) != nil {
			t.Fatal("hidden group kept in the data")
		}
	})
	t.Run("C02 error disappears with the field", func(t *testing.T) {
		doc := f.doc(map[string]any{"F00000003445": true})
		setValue(doc, sitz, map[string]any{})
		ps, _ := f.p.Validate(doc, ctx)
		if !hasProblem(ps, "", "") && len(ps) == 0 {
			t.Fatal("shown, empty group: expected an error")
		}
		doc = f.doc(map[string]any{"F00000003445": false})
		setValue(doc, sitz, map[string]any{})
		ps, clean := f.p.Validate(doc, ctx)
		if len(ps) > 0 || valueAt(clean, sitz) != nil {
			t.Fatalf("after hiding: %v, data %v", ps, valueAt(clean, sitz))
		}
	})
	t.Run("C03 hidden required group posted empty", func(t *testing.T) {
		doc := f.doc(map[string]any{"F00000003445": false})
		setValue(doc, sitz, "")
		ps, clean := f.p.Validate(doc, ctx)
		if len(ps) > 0 || valueAt(clean, sitz) != nil {
			t.Fatalf("%v, data %v", ps, valueAt(clean, sitz))
		}
	})
	t.Run("C04 visible required group missing", func(t *testing.T) {
		doc := f.doc(map[string]any{"F00000003445": true})
		setValue(doc, sitz, nil)
		ps, _ := f.p.Validate(doc, ctx)
		if len(ps) == 0 {
			t.Fatal("accepted without the shown group")
		}
		var found bool
		for _, p := range ps {
			if strings.HasPrefix(p.Path, sitz.String()) {
				found = true
			}
		}
		if !found {
			t.Fatalf("no field-level problem at %s: %v", sitz, ps)
		}
	})
}
