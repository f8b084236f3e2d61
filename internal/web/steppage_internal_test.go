package web

import (
	"bytes"
	"testing"
	"time"

	"github.com/antrag/antrag/internal/identity"
	"github.com/antrag/antrag/internal/journey"
	"github.com/antrag/antrag/internal/rules"
	"github.com/antrag/antrag/internal/tenant"
)

// TestStepPageMatchesTemplates writes step pages through writeStepPage and
// through the templates "layout" and "step" it stands for, and compares
// them byte for byte: every step of every sample schema with its example
// data and with every field in error, for a tenant with and without a
// colour, a citizen logged in (person and organisation) or not, notes, a
// saved message and client rules; and a page whose every text is hostile.
// Pages writeStepPage cannot write exactly are left to the templates.
func TestStepPageMatchesTemplates(t *testing.T) {
	tmpl, err := parseTemplates()
	if err != nil {
		t.Fatal(err)
	}
	ctx := rules.Context{Today: time.Date(2026, 1, 15, 12, 0, 0, 0, time.UTC), Bundesland: "TH"}
	plain := &tenant.Tenant{Slug: "musterstadt", Name: "Musterstadt"}
	coloured := &tenant.Tenant{Slug: "farbstadt", Name: "Farbstadt", Colour: "#0a5C9e"}
	person := &identity.Identity{Level: identity.Hoch, Attributes: map[string]string{"givenName": "Erika", "surname": "Mustermann"}}
	org := &identity.Identity{Level: identity.Substantiell, Attributes: map[string]string{"organisation": "Muster GmbH & Co. KG"}}
	links := pageLinks{
		Datenschutz:      pageLink{Label: "Datenschutz", Href: "/musterstadt/datenschutz"},
		Barrierefreiheit: pageLink{Label: "Barrierefreiheit", Href: "https://www.example.de/barrierefreiheit"},
		Impressum:        pageLink{Label: "Impressum", Href: "/musterstadt/behoerden/b1/impressum"},
	}
	svc := &tenant.Service{Name: "Gewerbeanmeldung"}
	pages := 0
	check := func(what string, p *stepPage) {
		t.Helper()
		if !p.writable() {
			t.Fatalf("%s: not writable", what)
		}
		data := p.data()
		data["Staff"], data["Errors"] = nil, nil
		var want, got bytes.Buffer
		if err := tmpl["step"].ExecuteTemplate(&want, "layout", data); err != nil {
			t.Fatal(err)
		}
		writeStepPage(&got, p)
		if g, w := got.String(), want.String(); g != w {
			i := 0
			for i < len(g) && i < len(w) && g[i] == w[i] {
				i++
			}
			t.Errorf("%s: differs at byte %d:\n got …%q\nwant …%q", what, i, excerpt(g, i), excerpt(w, i))
		}
		pages++
	}
	variant, withFiles := 0, 0
	for name, f := range sampleForms(t) {
		ex := f.Example(ctx)
		state, clean := f.Rules.Evaluate(ex, ctx)
		empty, emptyClean := f.Rules.Evaluate(map[string]any{}, ctx)
		problems := f.Schema.Normalize(map[string]any{})
		for _, st := range f.Steps {
			for _, withErrors := range []bool{false, true} {
				doc, s := clean, state
				var ps []errLink
				var v *journey.View
				if withErrors {
					doc, s = emptyClean, empty
				}
				if !f.StepVisible(st, doc, s) { // the server shows a step only then
					continue
				}
				if withErrors {
					v = f.BuildView(st, doc, s, nil, problems)
					for _, p := range v.Problems {
						ps = append(ps, errLink{Href: "#" + p.Path, Message: p.Message})
					}
				} else {
					v = f.BuildView(st, doc, s, nil, nil)
				}
				variant++
				p := &stepPage{Title: st.Heading(), Tenant: plain, Service: svc, View: v, Problems: ps,
					Number: st.Index + 1, Total: len(f.Steps), Last: variant%2 == 0, Action: "/musterstadt/antrag/abcDEF-_12/schritt/1",
					PageLinks: links, Files: hasFileInput(v.Items)}
				if p.Files {
					withFiles++
				}
				switch variant % 4 {
				case 1:
					p.Tenant, p.Citizen, p.Saved = coloured, person, "Ihre Angaben sind gespeichert."
				case 2:
					p.Citizen, p.Notes = org, []string{"Bitte halten Sie Ihre Unterlagen bereit.", "Zweiter Hinweis"}
				case 3:
					v.RulesJSON = f.ClientRules(st, doc, s)
					if v.RulesJSON == "" {
						v.RulesJSON = `{"rules":[]}`
					}
					p.Scripts = true
				}
				check(name+" step "+st.Title, p)
			}
		}
	}

	hostile := `"><script>alert(1)</script>&'+` + "\x00"
	f := sampleForms(t)
	for _, form := range f {
		st := form.Steps[0]
		v := form.BuildView(st, map[string]any{}, nil, nil, nil)
		v.Step = &journey.Step{Title: hostile, Subtitle: hostile}
		check("hostile", &stepPage{Title: hostile, Tenant: &tenant.Tenant{Slug: "x", Name: hostile}, Service: &tenant.Service{Name: hostile},
			View: v, Problems: []errLink{{Href: "#G1.F1[0]", Message: hostile}}, Number: 1, Total: 1, Action: "/x/antrag/t/schritt/1",
			Notes: []string{hostile}, Saved: hostile, Citizen: &identity.Identity{Attributes: map[string]string{"givenName": hostile, "surname": hostile}},
			PageLinks: pageLinks{Datenschutz: pageLink{Label: hostile, Href: "/x/datenschutz"}, Barrierefreiheit: links.Barrierefreiheit, Impressum: links.Impressum}})
		break
	}
	if pages < 20 || withFiles == 0 || withFiles == pages {
		t.Errorf("%d pages compared, %d of them with a file input: want many, some with and some without", pages, withFiles)
	}

	// What writeStepPage would not write exactly goes to the templates.
	base := stepPage{Tenant: plain, Service: svc, View: &journey.View{Step: &journey.Step{}}, Action: "/a", PageLinks: links}
	for what, change := range map[string]func(p *stepPage){
		"logo": func(p *stepPage) {
			p.Tenant = &tenant.Tenant{Slug: "a", Name: "A", LogoURL: "https://example.de/logo.png"}
		},
		"colour":        func(p *stepPage) { p.Tenant = &tenant.Tenant{Slug: "a", Name: "A", Colour: "red"} },
		"link":          func(p *stepPage) { p.PageLinks.Impressum.Href = "javascript:alert(1)" },
		"link with &":   func(p *stepPage) { p.PageLinks.Impressum.Href = "https://example.de/?a=1&b=2" },
		"problem href":  func(p *stepPage) { p.Problems = []errLink{{Href: `#"x`}} },
		"no tenant":     func(p *stepPage) { p.Tenant = nil },
		"action quoted": func(p *stepPage) { p.Action = `/a"b` },
	} {
		p := base
		change(&p)
		if p.writable() {
			t.Errorf("%s: writable", what)
		}
	}
}

// TestStepFormEncoding checks that a step's form is sent as
// multipart/form-data (which counts as an upload) only when the step has a
// file input, also one inside a group or a repeated entry.
func TestStepFormEncoding(t *testing.T) {
	text := &journey.Item{Kind: "field", Widget: journey.WText}
	file := &journey.Item{Kind: "field", Widget: journey.WFile}
	for _, tc := range []struct {
		items []*journey.Item
		want  bool
	}{
		{[]*journey.Item{text}, false},
		{nil, false},
		{[]*journey.Item{text, file}, true},
		{[]*journey.Item{{Kind: "group", Children: []*journey.Item{text, {Kind: "group", Children: []*journey.Item{file}}}}}, true},
		{[]*journey.Item{{Kind: "repeat", Children: []*journey.Item{{Kind: "entry", Children: []*journey.Item{file}}}}}, true},
	} {
		if got := hasFileInput(tc.items); got != tc.want {
			t.Errorf("hasFileInput(%d items) = %v, want %v", len(tc.items), got, tc.want)
		}
	}
	var b bytes.Buffer
	p := &stepPage{Tenant: &tenant.Tenant{Slug: "a", Name: "A"}, Service: &tenant.Service{}, View: &journey.View{Step: &journey.Step{}, Items: []*journey.Item{text}},
		Action: "/a/antrag/t/schritt/1"}
	writeStepPage(&b, p)
	if bytes.Contains(b.Bytes(), []byte("multipart")) {
		t.Error("a step without file input is sent as multipart/form-data")
	}
	b.Reset()
	p.Files = true
	writeStepPage(&b, p)
	if !bytes.Contains(b.Bytes(), []byte(`enctype="multipart/form-data"`)) {
		t.Error("a step with a file input is not sent as multipart/form-data")
	}
}
