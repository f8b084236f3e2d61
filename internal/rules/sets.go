package rules

import (
	_ "embed"
	"fmt"
	"slices"
	"strings"
)

// sets.txt documents the named sets of states rules may refer to ("EU",
// "EWR", "Schweiz"), their members and codes, with sources.
//
//go:embed sets.txt
var setsText string

// state is one member state of a named set, with its codes.
type state struct {
	alpha2, alpha3, destatis, name string
}

// stateSets are the named sets of sets.txt.
type stateSets struct {
	states  map[string]state    // by alpha-2
	members map[string][]string // set → alpha-2 codes
	names   map[string][]string // set → its names, each a list of words
}

var namedSets = mustStateSets(setsText)

func mustStateSets(text string) *stateSets {
	s, err := parseStateSets(text)
	if err != nil {
		panic(err) // the embedded table is part of the program
	}
	return s
}

// parseStateSets reads sets.txt: "#" comments and the sections [staaten]
// ("alpha-2 alpha-3 destatis name"), [mengen] ("set: members", a member
// being an alpha-2 code or an earlier set) and [namen] ("set: names",
// words joined by "_").
func parseStateSets(text string) (*stateSets, error) {
	s := &stateSets{states: map[string]state{}, members: map[string][]string{}, names: map[string][]string{}}
	err := eachLine(text, "sets", func(section, line string) error {
		switch section {
		case "staaten":
			f := strings.Fields(line)
			if len(f) < 4 {
				return fmt.Errorf("expected alpha-2, alpha-3, destatis key and name")
			}
			s.states[f[0]] = state{alpha2: f[0], alpha3: f[1], destatis: f[2], name: strings.Join(f[3:], " ")}
		case "mengen", "namen":
			name, rest, ok := strings.Cut(line, ":")
			name = strings.TrimSpace(name)
			if !ok || name == "" {
				return fmt.Errorf("expected \"set: …\"")
			}
			for _, f := range strings.Fields(rest) {
				if section == "namen" {
					s.names[name] = append(s.names[name], strings.ReplaceAll(f, "_", " "))
					continue
				}
				switch {
				case s.members[f] != nil:
					s.members[name] = append(s.members[name], s.members[f]...)
				case s.states[f].alpha2 != "":
					s.members[name] = append(s.members[name], f)
				default:
					return fmt.Errorf("unknown member %q", f)
				}
			}
		default:
			return fmt.Errorf("outside a known section")
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	for name := range s.names {
		if s.members[name] == nil {
			return nil, fmt.Errorf("sets: name for unknown set %q", name)
		}
	}
	return s, nil
}

// match returns the set named by the words at the start of toks and how
// many tokens the name takes, or "", 0.
func (s *stateSets) match(toks []token) (string, int) {
	best, bestLen := "", 0
	for set, names := range s.names {
		for _, name := range names {
			ws := strings.Fields(name)
			if len(ws) <= bestLen || len(ws) > len(toks) {
				continue
			}
			ok := true
			for i, w := range ws {
				if toks[i].kind != tokWord || strings.ToLower(toks[i].text) != w {
					ok = false
					break
				}
			}
			if ok {
				best, bestLen = set, len(ws)
			}
		}
	}
	return best, bestLen
}

// destatisPrefix starts the canonical URIs of the Destatis Codelisten of
// states and nationalities, whose codes are the Destatis keys.
const destatisPrefix = "urn:de:bund:destatis:bevoelkerungsstatistik:schluessel:staat"

// codes returns the codes element n uses for the members of the sets: the
// entries of its Codeliste that carry a member's ISO 3166-1 or Destatis
// code or its German name; for an unresolved Destatis Codeliste of states
// or nationalities, the Destatis keys. A member that cannot be found is
// an error: the set is never guessed.
func (s *stateSets) codes(n *node, sets []string) ([]any, error) {
	var members []string
	for _, set := range sets {
		for _, m := range s.members[set] {
			if !slices.Contains(members, m) {
				members = append(members, m)
			}
		}
	}
	e := n.el
	var out []any
	switch {
	case e.HasCodes():
		list := e.Codes()
		for _, m := range members {
			st := s.states[m]
			found := ""
			for _, w := range list {
				c := strings.TrimSpace(w.Code)
				if c == st.destatis || strings.EqualFold(c, st.alpha2) || strings.EqualFold(c, st.alpha3) ||
					strings.EqualFold(strings.TrimSpace(w.Name), st.name) {
					found = w.Code
					break
				}
			}
			if found == "" {
				return nil, fmt.Errorf("%s (%s) steht nicht in der Codeliste von %s", st.name, strings.Join(sets, ", "), e.ID)
			}
			out = append(out, found)
		}
	case e.CodelisteRef != nil && strings.HasPrefix(e.CodelisteRef.CanonicalURI, destatisPrefix):
		for _, m := range members {
			out = append(out, s.states[m].destatis)
		}
	default:
		return nil, fmt.Errorf("%s hat keine Codeliste, in der sich die Staaten von %s finden ließen", e.ID, strings.Join(sets, ", "))
	}
	return out, nil
}
