package rules

import (
	"path"
	"strings"
	"testing"

	"github.com/antrag/antrag/internal/fim/samples"
	"github.com/antrag/antrag/internal/golden"
)

// TestGoldenRuleReports keeps what the compiler makes of every sample's
// rules (status, reason, edges) in testdata/golden, so that a change in
// the compiler shows as a reviewed diff.
func TestGoldenRuleReports(t *testing.T) {
	for _, name := range samples.Files() {
		s := importSample(t, name)
		p := Compile(s)
		type entry struct {
			ID      string `json:"id"`
			Version string `json:"version"`
			Status  Status `json:"status"`
			Reason  string `json:"reason,omitempty"`
			Edges   []Edge `json:"edges"`
		}
		out := struct {
			Schema  string  `json:"schema"`
			Version string  `json:"version"`
			Summary Summary `json:"summary"`
			Rules   []entry `json:"rules"`
		}{Schema: s.ID, Version: s.Version, Summary: p.Summary(), Rules: []entry{}}
		for _, r := range p.Distinct() {
			edges := r.Edges()
			if edges == nil {
				edges = []Edge{}
			}
			out.Rules = append(out.Rules, entry{r.ID, r.Version, r.Status, r.Reason, edges})
		}
		golden.JSON(t, strings.TrimSuffix(path.Base(name), ".xml")+".rules.json", out)
	}
}
