package rules

// Conditional returns the schema paths (element ids joined by "/", as
// Effect.Target) of the elements whose presence the compiled rules decide:
// the targets of show and hide effects. Such an element's Anzahl minimum
// holds only while the rules show it; hidden, it is left out of the data
// (Evaluate), so a JSON Schema cannot demand it (form.JSONSchemaOptions).
func (p *Program) Conditional() map[string]bool {
	out := map[string]bool{}
	for _, r := range p.Rules {
		if r.Status != Compiled {
			continue
		}
		for _, e := range r.Effects {
			if e.Kind == Show || e.Kind == Hide {
				out[e.Target] = true
			}
		}
	}
	return out
}
