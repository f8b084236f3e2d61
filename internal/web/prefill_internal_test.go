package web

import (
	"reflect"
	"testing"

	"github.com/antrag/antrag/internal/form"
	"github.com/antrag/antrag/internal/identity"
	"github.com/antrag/antrag/internal/prefill"
	"github.com/antrag/antrag/internal/submission"
)

func TestPrefillDraftSetsProved(t *testing.T) {
	given := &form.Element{Kind: form.KindField, ID: "F60000000228", Name: "Vornamen", Feldart: form.FeldartInput, Datentyp: form.DatentypText}
	plz := &form.Element{Kind: form.KindField, ID: "F60000000246", Name: "Postleitzahl", Feldart: form.FeldartInput, Datentyp: form.DatentypText}
	s := &form.Schema{ID: "S1", Struktur: []form.Child{
		{Anzahl: form.Anzahl{Min: 1, Max: 1}, Element: &form.Element{Kind: form.KindGroup, ID: "G60000000086", Name: "Anschrift Inland Straßenanschrift",
			Struktur: []form.Child{{Anzahl: form.Anzahl{Min: 1, Max: 1}, Element: plz}}}},
		{Anzahl: form.Anzahl{Min: 1, Max: 1}, Element: given},
	}}
	id := &identity.Identity{Attributes: map[string]string{identity.AttrGivenName: "Erika", identity.AttrPostalCode: "99 084"}}
	targets := prefill.Plan(s, id)
	d := &submission.Draft{Data: map[string]any{"F60000000228": "Erika Maria"}}
	if !prefillDraft(d, targets) {
		t.Fatal("nothing filled")
	}
	if !reflect.DeepEqual(d.Proved, []string{"G60000000086.F60000000246"}) {
		t.Errorf("Proved %v", d.Proved)
	}
	if got := d.Data["G60000000086"].(map[string]any)["F60000000246"]; got != "99084" {
		t.Errorf("postcode %v", got)
	}
	if d.Data["F60000000228"] != "Erika Maria" {
		t.Errorf("typed given name overwritten: %v", d.Data["F60000000228"])
	}
	// Logged out, an edit removes a path; an unchanged one stays.
	after := map[string]any{"G60000000086": map[string]any{"F60000000246": "99085"}}
	if kept := keptProved(d.Proved, d.Data, after); len(kept) != 0 {
		t.Errorf("edited path kept: %v", kept)
	}
	if kept := keptProved(d.Proved, d.Data, d.Data); !reflect.DeepEqual(kept, d.Proved) {
		t.Errorf("unchanged path dropped: %v", kept)
	}
}
