package rules

import (
	"bytes"
	"encoding/json"
	"flag"
	"os"
	"path"
	"path/filepath"
	"strings"
	"testing"

	"github.com/antrag/antrag/internal/fim/samples"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/golden")

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
		got, err := json.MarshalIndent(out, "", "  ")
		if err != nil {
			t.Fatal(err)
		}
		got = append(got, '\n')
		golden := filepath.Join("testdata", "golden", strings.TrimSuffix(path.Base(name), ".xml")+".rules.json")
		if *update {
			if err := os.WriteFile(golden, got, 0o644); err != nil {
				t.Fatal(err)
			}
			continue
		}
		want, err := os.ReadFile(golden)
		if err != nil {
			t.Fatalf("%v (run go test ./internal/rules -update to create it)", err)
		}
		if !bytes.Equal(got, want) {
			t.Errorf("%s differs from %s (run with -update after checking the change)", name, golden)
		}
	}
}
