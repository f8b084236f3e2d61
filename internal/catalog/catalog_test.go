package catalog

import (
	"context"
	"errors"
	"os"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/antrag/antrag/internal/apperr"
	"github.com/antrag/antrag/internal/fim"
	"github.com/antrag/antrag/internal/rules"
	"github.com/antrag/antrag/internal/tenant"
)

// The fixture is the synthetic schema of the command's end-to-end test
// (cmd/antrag/testdata/rulesources/SOURCES.md): two Regeln, R1 and R2 on
// G99000000001, both unsupported as free text.
const fixture = "../../cmd/antrag/testdata/rulesources/S99000000001.xml"

func mustXDF(t *testing.T) []byte {
	t.Helper()
	b, err := os.ReadFile(fixture)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func mustCatalog(t *testing.T) *fim.Catalog {
	t.Helper()
	cat, err := fim.DefaultCatalog()
	if err != nil {
		t.Fatal(err)
	}
	return cat
}

// requireName corrects R1: the dog's name is required when a dog is kept.
var requireName = rules.Correction{Rule: "R99000000001", Version: "1.0.0", Note: "Satzung § 3",
	Effects: []rules.Effect{{Kind: rules.Require, Target: "F99000000002", When: map[string]any{"==": []any{map[string]any{"var": "F99000000001"}, "001"}}}}}

func TestAcknowledge(t *testing.T) {
	c, err := Prepare(mustXDF(t), "fixture.xml", mustCatalog(t), nil)
	if err != nil {
		t.Fatal(err)
	}
	if got := len(c.Unsupported()); got != 2 {
		t.Fatalf("fixture has %d unsupported Regeln, want 2", got)
	}
	all := []string{"R99000000001@1.0.0", "R99000000002@1.0.0"}
	for _, tc := range []struct {
		name    string
		a       Acknowledgement
		carried []string
		want    []string // acknowledged; nil: refused
		missing []string // ids of an UnacknowledgedError
		invalid bool
	}{
		{"none", Acknowledgement{}, nil, nil, []string{"R99000000001", "R99000000002"}, false},
		{"all", Acknowledgement{All: true}, nil, all, nil, false},
		{"by id", Acknowledgement{Rules: []string{"R99000000002", "R99000000001"}}, nil, all, nil, false},
		{"by id and version", Acknowledgement{Rules: []string{"R99000000001@1.0.0", "R99000000002@1.0.0"}}, nil, all, nil, false},
		{"other version", Acknowledgement{Rules: []string{"R99000000001@2.0.0"}}, nil, nil, nil, true},
		{"one of two", Acknowledgement{Rules: []string{"R99000000001"}}, nil, nil, []string{"R99000000002"}, false},
		{"one given, one carried", Acknowledgement{Rules: []string{"R99000000001"}}, []string{"R99000000002@1.0.0"}, all, nil, false},
		{"carried only", Acknowledgement{}, all, all, nil, false},
		{"unknown Regel", Acknowledgement{Rules: []string{"R12345"}}, nil, nil, nil, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := c.Acknowledge(tc.a, tc.carried)
			var ue *UnacknowledgedError
			switch {
			case tc.invalid:
				if !errors.Is(err, apperr.Invalid) {
					t.Errorf("err = %v, want apperr.Invalid", err)
				}
			case tc.missing != nil:
				if !errors.As(err, &ue) {
					t.Fatalf("err = %v, want *UnacknowledgedError", err)
				}
				var ids []string
				for _, r := range ue.Rules {
					ids = append(ids, r.ID)
					if r.Version != "1.0.0" || r.Name == "" || r.Reason == "" || r.Line == 0 {
						t.Errorf("listed Regel lacks version, name, reason or line: %+v", r)
					}
				}
				if !slices.Equal(ids, tc.missing) {
					t.Errorf("unacknowledged %q, want %q", ids, tc.missing)
				}
			case err != nil || !slices.Equal(got, tc.want):
				t.Errorf("Acknowledge = %q, %v; want %q", got, err, tc.want)
			}
		})
	}
}

func TestCompileChecksSources(t *testing.T) {
	c, err := Import(mustXDF(t), "fixture.xml", mustCatalog(t))
	if err != nil {
		t.Fatal(err)
	}
	bad := requireName
	bad.Rule = "R99000000077"
	err = c.Compile(&rules.Sources{Corrections: []rules.Correction{bad}})
	if !errors.Is(err, apperr.Invalid) || !strings.Contains(err.Error(), "R99000000077") {
		t.Errorf("Compile(unknown Regel) = %v", err)
	}
	if c.Program != nil {
		t.Error("a refused Compile left a program")
	}
	if err := c.Compile(&rules.Sources{Corrections: []rules.Correction{requireName}}); err != nil {
		t.Fatal(err)
	}
	if got := len(c.Unsupported()); got != 1 {
		t.Errorf("after correcting R1, %d unsupported, want 1", got)
	}
	if rs := c.Report.RuleStatus; rs == nil || rs.Compiled != 1 || rs.Unsupported != 1 {
		t.Errorf("report rule status = %+v, want 1 compiled, 1 unsupported", rs)
	}
}

// memStore keeps form versions and audit entries in memory.
type memStore struct {
	mu       sync.Mutex
	versions map[string]*tenant.FormVersion
	events   []*tenant.ServiceEvent
	n        int
}

func (m *memStore) FormVersion(_ context.Context, _, id string) (*tenant.FormVersion, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	fv, ok := m.versions[id]
	if !ok {
		return nil, apperr.NotFound
	}
	c := *fv
	return &c, nil
}

func (m *memStore) PublishChange(_ context.Context, tenantID string, fv *tenant.FormVersion, evs ...*tenant.ServiceEvent) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.n++
	fv.ID, fv.TenantID, fv.Version = "v"+string(rune('0'+m.n)), tenantID, m.n
	if m.versions == nil {
		m.versions = map[string]*tenant.FormVersion{}
	}
	c := *fv
	m.versions[fv.ID] = &c
	for _, ev := range evs {
		ev.ToVersionID = fv.ID
		m.events = append(m.events, ev)
	}
	return nil
}

func TestApply(t *testing.T) {
	ctx := context.Background()
	cat := mustCatalog(t)
	st := &memStore{}
	c, err := Prepare(mustXDF(t), "fixture.xml", cat, nil)
	if err != nil {
		t.Fatal(err)
	}
	acked, err := c.Acknowledge(Acknowledgement{All: true}, nil)
	if err != nil {
		t.Fatal(err)
	}
	v1, err := Publish(ctx, st, "t", "s", c, acked, &tenant.ServiceEvent{Actor: "a", Action: tenant.ActionPublished})
	if err != nil {
		t.Fatal(err)
	}
	if v1.RuleSources != nil {
		t.Errorf("a version without sources stores %q", v1.RuleSources)
	}
	svc := &tenant.Service{ID: "s", Slug: "hunde", FormVersionID: v1.ID}

	// Set a correction: a new version with it, the same file, R1's
	// acknowledgement gone (it is compiled now), R2's carried.
	from, v2, err := Apply(ctx, st, cat, "t", svc, Change{Set: []rules.Correction{requireName}, Actor: "m.muster"})
	if err != nil {
		t.Fatal(err)
	}
	if from.ID != v1.ID || v2.Version != 2 || string(v2.XDF) != string(v1.XDF) {
		t.Errorf("Apply: from %s to version %d", from.ID, v2.Version)
	}
	if !slices.Equal(v2.Acknowledged, []string{"R99000000002@1.0.0"}) {
		t.Errorf("v2 acknowledged %q", v2.Acknowledged)
	}
	src, err := DecodeSources(v2.RuleSources)
	if err != nil || src == nil || len(src.Corrections) != 1 || src.Corrections[0].Note != "Satzung § 3" {
		t.Fatalf("v2 sources %s: %v", v2.RuleSources, err)
	}
	if ev := st.events[len(st.events)-1]; ev.Action != tenant.ActionCorrectionSet || ev.Regel != "R99000000001@1.0.0" ||
		ev.FromVersionID != v1.ID || ev.ToVersionID != v2.ID || ev.Actor != "m.muster" || ev.Note != "Satzung § 3" {
		t.Errorf("audit entry %+v", ev)
	}
	// v1 is unchanged.
	if old, _ := st.FormVersion(ctx, "t", v1.ID); old.RuleSources != nil {
		t.Errorf("v1 changed: %s", old.RuleSources)
	}

	// Setting a correction of the same Regel replaces it.
	svc.FormVersionID = v2.ID
	other := requireName
	other.Note = "neu"
	_, v3, err := Apply(ctx, st, cat, "t", svc, Change{Set: []rules.Correction{other}, Actor: "m.muster"})
	if err != nil {
		t.Fatal(err)
	}
	src, _ = DecodeSources(v3.RuleSources)
	if len(src.Corrections) != 1 || src.Corrections[0].Note != "neu" {
		t.Errorf("v3 corrections %+v, want the one replaced", src.Corrections)
	}

	// Removing it leaves R1 unsupported: refused unless acknowledged.
	svc.FormVersionID = v3.ID
	_, _, err = Apply(ctx, st, cat, "t", svc, Change{Remove: []string{"R99000000001"}, Actor: "m.muster"})
	var ue *UnacknowledgedError
	if !errors.As(err, &ue) || len(ue.Rules) != 1 || ue.Rules[0].ID != "R99000000001" {
		t.Fatalf("remove without acknowledgement: %v", err)
	}
	_, v4, err := Apply(ctx, st, cat, "t", svc, Change{Remove: []string{"R99000000001"}, Acknowledge: Acknowledgement{Rules: []string{"R99000000001"}},
		Actor: "m.muster", Note: "zurück"})
	if err != nil {
		t.Fatal(err)
	}
	if v4.RuleSources != nil || !slices.Equal(v4.Acknowledged, []string{"R99000000001@1.0.0", "R99000000002@1.0.0"}) {
		t.Errorf("v4: sources %s, acknowledged %q", v4.RuleSources, v4.Acknowledged)
	}

	// Refusals publish nothing.
	svc.FormVersionID = v4.ID
	n := st.n
	for name, ch := range map[string]Change{
		"no actor":          {Set: []rules.Correction{requireName}},
		"nothing":           {Actor: "x"},
		"no correction":     {Remove: []string{"R99000000002"}, Actor: "x"},
		"twice":             {Set: []rules.Correction{requireName, requireName}, Actor: "x"},
		"unknown Regel":     {Set: []rules.Correction{{Rule: "R1", Version: "1.0.0"}}, Actor: "x"},
		"correction no id":  {Set: []rules.Correction{{Version: "1.0.0"}}, Actor: "x"},
		"unknown target":    {Set: []rules.Correction{{Rule: "R99000000001", Version: "1.0.0", Effects: []rules.Effect{{Kind: rules.Require, Target: "F1"}}}}, Actor: "x"},
		"unknown effect":    {Set: []rules.Correction{{Rule: "R99000000001", Version: "1.0.0", Effects: []rules.Effect{{Kind: "zeige", Target: "F99000000002"}}}}, Actor: "x"},
		"ack unknown Regel": {Set: []rules.Correction{requireName}, Acknowledge: Acknowledgement{Rules: []string{"R7"}}, Actor: "x"},
	} {
		if _, _, err := Apply(ctx, st, cat, "t", svc, ch); err == nil {
			t.Errorf("%s: Apply succeeded", name)
		} else if !errors.Is(err, apperr.Invalid) && !errors.Is(err, apperr.NotFound) {
			t.Errorf("%s: %v is neither Invalid nor NotFound", name, err)
		}
	}
	if st.n != n {
		t.Errorf("refused changes published %d versions", st.n-n)
	}
}

func TestDecodeCorrections(t *testing.T) {
	for _, tc := range []struct {
		in   string
		n    int
		want string // part of the error; "" for none
	}{
		{`{"rule":"R1","version":"1.0.0","effects":[{"effect":"require","target":"F1"}],"note":"x"}`, 1, ""},
		{`[{"rule":"R1","version":"1.0.0"},{"rule":"R2","version":"1.0.0"}]`, 2, ""},
		{"\n  ", 0, "leer"},
		{`[]`, 0, "keine Korrektur"},
		{`{"rule":"R1","effects":{"effect":"require"}}`, 0, `Feld "effects" (Zeile 1): Liste erwartet, Objekt angegeben`},
		{`{"rule":1}`, 0, `Feld "rule" (Zeile 1): Text erwartet, Zahl angegeben`},
		{`{"rule":"R1","regel":"R2"}`, 0, `unbekanntes Feld "regel"`},
		{"{\"rule\":\"R1\",\n\"note\": }", 0, "kein gültiges JSON (Zeile 2)"},
		{`{"rule":"R1"} {}`, 0, "weiterer Text"},
		{`{"rule":"R1"`, 0, "endet mitten"},
		{`"R1"`, 0, "Objekt erwartet"},
	} {
		got, err := DecodeCorrections([]byte(tc.in))
		switch {
		case tc.want == "" && (err != nil || len(got) != tc.n):
			t.Errorf("DecodeCorrections(%s) = %d, %v; want %d", tc.in, len(got), err, tc.n)
		case tc.want != "" && (err == nil || !strings.Contains(err.Error(), tc.want) || !errors.Is(err, apperr.Invalid)):
			t.Errorf("DecodeCorrections(%s) = %v, want an Invalid error with %q", tc.in, err, tc.want)
		}
	}
}

// FuzzDecodeCorrections: any input gives corrections or an error, never a
// panic, and accepted corrections name a Regel field as given.
func FuzzDecodeCorrections(f *testing.F) {
	f.Add([]byte(`{"rule":"R1","version":"1.0.0","effects":[{"effect":"require","target":"F1","when":{"==":[{"var":"F2"},"001"]}}]}`))
	f.Add([]byte(`[{"rule":"R1","translated":[{"effect":"require","target":"self.F1","condition":{"identifier":"self.F2"}}]}]`))
	f.Add([]byte(`[`))
	f.Fuzz(func(t *testing.T, b []byte) {
		list, err := DecodeCorrections(b)
		if err == nil && len(list) == 0 {
			t.Fatal("no error and no correction")
		}
		if err != nil && !errors.Is(err, apperr.Invalid) {
			t.Fatalf("error %v is not apperr.Invalid", err)
		}
	})
}
