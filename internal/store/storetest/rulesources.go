package storetest

import (
	"bytes"
	"context"
	"encoding/json"
	"slices"
	"testing"

	"github.com/antrag/antrag/internal/apperr"
	"github.com/antrag/antrag/internal/tenant"
)

// testFormVersionRuleSources: a form version keeps its rule sources and
// acknowledged Regeln; PublishChange writes the version and its audit
// entry together, and a refused publication writes neither.
func testFormVersionRuleSources(t *testing.T, s Stores) {
	ctx := context.Background()
	f := newFixture(t, s)

	// Versions published before rule sources existed read as none.
	old, err := s.FormVersion(ctx, f.a.ID, f.fvA.ID)
	noErr(t, "FormVersion", err)
	if old.RuleSources != nil || old.Acknowledged != nil {
		t.Errorf("plain version: RuleSources %q, Acknowledged %q", old.RuleSources, old.Acknowledged)
	}

	src := []byte(`{"corrections":[{"rule":"R00000000001","version":"1.0","note":"Straße ≠ Strasse","effects":[{"effect":"require","target":"F1"}]}]}`)
	v2 := &tenant.FormVersion{ServiceID: f.svcA.ID, FIMID: "S1", FIMVersion: "1.0", XDF: []byte("<x/>"),
		RuleSources: src, Acknowledged: []string{"R00000000002@1.0", "R00000000003@"}}
	ev := &tenant.ServiceEvent{Actor: "m.muster", Action: tenant.ActionCorrectionSet, Regel: "R00000000001@1.0",
		FromVersionID: f.fvA.ID, Note: "Pflicht laut Fachbehörde"}
	ev2 := &tenant.ServiceEvent{Actor: "m.muster", Action: tenant.ActionCorrectionRemoved, Regel: "R00000000009", FromVersionID: f.fvA.ID}
	noErr(t, "PublishChange", s.PublishChange(ctx, f.a.ID, v2, ev, ev2))
	if ev2.ID <= ev.ID || ev2.ToVersionID != v2.ID {
		t.Errorf("second event of one publication: %+v", ev2)
	}
	if ev.ID == 0 || ev.ToVersionID != v2.ID || ev.ServiceID != f.svcA.ID || ev.TenantID != f.a.ID {
		t.Errorf("PublishChange set event %+v", ev)
	}
	sameTime(t, "event At", ev.At, v2.PublishedAt)

	got, err := s.FormVersion(ctx, f.a.ID, v2.ID)
	noErr(t, "FormVersion", err)
	var want, have any
	if err := json.Unmarshal(src, &want); err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(got.RuleSources, &have); err != nil {
		t.Fatalf("stored RuleSources %q: %v", got.RuleSources, err)
	}
	if a, b := mustJSON(t, have), mustJSON(t, want); !bytes.Equal(a, b) {
		t.Errorf("RuleSources = %s, want %s", a, b)
	}
	if !slices.Equal(got.Acknowledged, v2.Acknowledged) {
		t.Errorf("Acknowledged = %q, want %q", got.Acknowledged, v2.Acknowledged)
	}
	// The earlier version is unchanged.
	old, err = s.FormVersion(ctx, f.a.ID, f.fvA.ID)
	noErr(t, "FormVersion(old)", err)
	if old.RuleSources != nil {
		t.Errorf("publishing v2 changed v1's RuleSources to %q", old.RuleSources)
	}

	// Rule sources that are not a JSON object publish nothing.
	for _, bad := range []string{`[]`, `"x"`, `{`, `null`} {
		err := s.PublishChange(ctx, f.a.ID, &tenant.FormVersion{ServiceID: f.svcA.ID, XDF: []byte("<x/>"), RuleSources: []byte(bad)},
			&tenant.ServiceEvent{Actor: "m.muster", Action: tenant.ActionPublished})
		wantKind(t, "PublishChange(sources "+bad+")", err, apperr.Invalid)
	}
	// Another tenant cannot publish, and no entry is written.
	err = s.PublishChange(ctx, f.b.ID, &tenant.FormVersion{ServiceID: f.svcA.ID, XDF: []byte("<x/>")},
		&tenant.ServiceEvent{Actor: "fremd", Action: tenant.ActionPublished})
	wantKind(t, "PublishChange(not owner)", err, apperr.NotFound)

	v3 := &tenant.FormVersion{ServiceID: f.svcA.ID, XDF: []byte("<x/>")}
	noErr(t, "PublishChange(first)", s.PublishChange(ctx, f.a.ID, v3, &tenant.ServiceEvent{Actor: "m.muster", Action: tenant.ActionPublished}))
	if v3.Version != 3 {
		t.Errorf("after refused publications the next version is %d, want 3", v3.Version)
	}

	evs, err := s.ServiceEvents(ctx, f.a.ID, f.svcA.ID)
	noErr(t, "ServiceEvents", err)
	if len(evs) != 3 {
		t.Fatalf("ServiceEvents = %d entries, want 3", len(evs))
	}
	e := evs[0]
	if e.ID != ev.ID || e.Actor != "m.muster" || e.Action != tenant.ActionCorrectionSet || e.Regel != "R00000000001@1.0" ||
		e.FromVersionID != f.fvA.ID || e.ToVersionID != v2.ID || e.Note != "Pflicht laut Fachbehörde" {
		t.Errorf("ServiceEvents[0] = %+v", e)
	}
	if e := evs[1]; e.ID != ev2.ID || e.Regel != "R00000000009" || e.Action != tenant.ActionCorrectionRemoved {
		t.Errorf("ServiceEvents[1] = %+v", e)
	}
	if e := evs[2]; e.FromVersionID != "" || e.ToVersionID != v3.ID || e.Regel != "" {
		t.Errorf("ServiceEvents[2] = %+v", e)
	}
	// The trail is the owner's: another tenant sees none.
	other, err := s.ServiceEvents(ctx, f.b.ID, f.svcA.ID)
	noErr(t, "ServiceEvents(other tenant)", err)
	if len(other) != 0 {
		t.Errorf("another tenant sees %d entries", len(other))
	}
}

func mustJSON(t *testing.T, v any) []byte {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return b
}
