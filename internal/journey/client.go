package journey

import (
	"encoding/json"

	"github.com/antrag/antrag/internal/form"
	"github.com/antrag/antrag/internal/rules"
)

// clientRule is one show/hide binding for the browser.
type clientRule struct {
	Kind   rules.Kind        `json:"kind"`
	Target string            `json:"target"` // HTML id of the element's container
	When   any               `json:"when"`
	Vars   map[string]string `json:"vars"` // variable → input name (key path)
}

type clientConfig struct {
	Context map[string]any `json:"context"`
	Rules   []clientRule   `json:"rules"`
	// Values are the current values of variables whose inputs are not on
	// this page, by key path.
	Values map[string]any `json:"values"`
}

// ClientRules returns the JSON that lets the browser show and hide the
// step's conditional elements as the citizen answers, or "" if none of the
// step's elements depends on a rule (View.RulesJSON). The browser only
// improves on the server: without JavaScript, "Aktualisieren" and
// "Weiter" give the same result. It depends on doc and state alone, so a
// caller may keep it for a draft revision.
func (f *Form) ClientRules(step *Step, doc map[string]any, state *rules.State) string {
	cfg := clientConfig{Context: map[string]any{}, Values: map[string]any{}}
	for _, b := range f.Rules.Bindings(doc) {
		if !step.Contains(b.Target.String()) {
			continue
		}
		cr := clientRule{Kind: b.Kind, Target: BoxID(b.Target), When: b.When, Vars: map[string]string{}}
		for v, p := range b.Vars {
			cr.Vars[v] = p.String()
			if !step.Contains(p.String()) {
				cfg.Values[p.String()] = form.ValueAt(doc, p)
			}
		}
		cfg.Rules = append(cfg.Rules, cr)
	}
	if len(cfg.Rules) == 0 {
		return ""
	}
	if state != nil {
		cfg.Context[rules.VarToday] = state.Today()
		if bl := state.Bundesland(); bl != "" {
			cfg.Context[rules.VarBundesland] = bl
		}
	}
	b, err := json.Marshal(cfg)
	if err != nil {
		return ""
	}
	return string(b)
}
