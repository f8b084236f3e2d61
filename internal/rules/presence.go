package rules

// Conditional returns the schema paths (element ids joined by "/", as
// Effect.Target) of the elements whose presence the compiled rules decide:
// the targets of show and hide effects. Such an element's Anzahl minimum
// holds only while the rules show it; hidden, it is left out of the data
// (Evaluate), so a JSON Schema cannot demand it (form.JSONSchemaOptions).
func (p *Program) Conditional() map[string]bool { return p.targets(Show, Hide) }

// Requirable returns the schema paths of the elements that a compiled rule
// may require (the targets of require effects). Of a set of alternative
// groups with such a group, form.Schema.Validate leaves the choice to the
// rules.
func (p *Program) Requirable() map[string]bool { return p.targets(Require) }

func (p *Program) targets(kinds ...Kind) map[string]bool {
	out := map[string]bool{}
	for _, r := range p.Rules {
		if r.Status != Compiled {
			continue
		}
		for _, e := range r.Effects {
			for _, k := range kinds {
				if e.Kind == k {
					out[e.Target] = true
				}
			}
		}
	}
	return out
}
