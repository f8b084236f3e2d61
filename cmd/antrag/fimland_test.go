package main

import (
	"strings"
	"testing"
)

// TestFimExampleRefusesAnUnknownLand: --land XX was taken without
// complaint and left the Land-dependent rules unanswered.
func TestFimExampleRefusesAnUnknownLand(t *testing.T) {
	for _, land := range []string{"XX", "Thüringen", "16", "T"} {
		stdout, _, err := runCmd(t, nil, "fim", "example", "--land", land, sample)
		ue, ok := err.(usageError)
		if !ok || stdout != "" || !strings.Contains(ue.msg, "kein Land") || !strings.Contains(ue.msg, "TH") {
			t.Errorf("--land %q: %v, stdout %q", land, err, stdout)
		}
	}
	for _, land := range []string{"TH", "by", " nw "} {
		if _, _, err := runCmd(t, nil, "fim", "example", "--land", land, sample); err != nil {
			t.Errorf("--land %q: %v", land, err)
		}
	}
}
