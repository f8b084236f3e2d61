package web

import (
	"fmt"
	"testing"
	"time"

	"github.com/antrag/antrag/internal/overview"
)

// TestChartSeriesOf: up to eight services get a colour each; beyond, the
// seven with the most applications and the rest summed.
func TestChartSeriesOf(t *testing.T) {
	svcs := func(n int) []overview.Series {
		var out []overview.Series
		for i := range n {
			out = append(out, overview.Series{Name: fmt.Sprintf("D%d", i), Counts: []int{n - i, 1}, Total: n - i + 1})
		}
		return out
	}
	if got := chartSeriesOf(svcs(8)); len(got) != 8 || got[7].Name != "D7" {
		t.Errorf("8 services: %+v", got)
	}
	got := chartSeriesOf(svcs(10))
	if len(got) != 8 || got[6].Name != "D6" || got[7].Name != "Weitere Dienste (3)" || fmt.Sprint(got[7].Values) != "[6 3]" {
		t.Errorf("10 services: %+v", got)
	}
	if got := chartSeriesOf([]overview.Series{{Counts: []int{1}}}); got[0].Name != "Dienst nicht mehr verfügbar" {
		t.Errorf("a service without name: %q", got[0].Name)
	}
}

func TestStaffDuration(t *testing.T) {
	for d, want := range map[time.Duration]string{
		0:                                "0 Sekunden",
		time.Second:                      "1 Sekunde",
		59 * time.Second:                 "59 Sekunden",
		90 * time.Second:                 "1 Minute",
		59*time.Minute + 59*time.Second:  "59 Minuten",
		3*time.Hour + 5*time.Minute:      "3 Std. 5 Min.",
		47*time.Hour + 59*time.Minute:    "47 Std. 59 Min.",
		2*24*time.Hour + 4*time.Hour + 1: "2 Tage 4 Std.",
	} {
		if got := staffDuration(d); got != want {
			t.Errorf("staffDuration(%v) = %q, want %q", d, got, want)
		}
	}
}
