package web

import (
	"fmt"
	"html/template"
	"net/http"
	"time"

	"github.com/antrag/antrag/internal/delivery"
	"github.com/antrag/antrag/internal/localtime"
	"github.com/antrag/antrag/internal/overview"
	"github.com/antrag/antrag/internal/web/chart"
)

// The tenant's overview for its administrators (GET /intern/uebersicht):
// applications per day and service over the last overviewDays days, as a
// chart drawn on the server and as tables, delivery outcomes by kind, the
// time to delivery and the deliveries that failed or are pending, each
// linked to its application in the inbox. It counts every application
// of the tenant, so it is for admins only: a caseworker limited to some
// authorities or services must not see the others' numbers.

// overviewDays is the period of the overview, in calendar days in Berlin
// up to today.
const overviewDays = 30

// chartSeries is how many services the chart and the daily table show
// one by one; the others are summed as "Weitere Dienste".
const chartSeries = chart.Palette - 1

// dayRow is one day of the daily table.
type dayRow struct {
	Day    time.Time
	Counts []int // per overviewView.Columns
	Total  int
}

// overviewView is what the template shows.
type overviewView struct {
	*overview.Overview
	Chart    template.HTML
	Columns  []string // the daily table's service columns
	Rows     []dayRow
	MaxTimes int // overview.MaxTimes
}

func (s *Server) overviewPage(w http.ResponseWriter, r *http.Request) error {
	sc := staffOf(r.Context())
	ov, err := overview.Build(r.Context(), s.deps.Store, sc.tenant.ID, s.now(), overviewDays)
	if err != nil {
		return err
	}
	v := &overviewView{Overview: ov, MaxTimes: overview.MaxTimes}
	series := chartSeriesOf(ov.Services)
	labels := make([]string, len(ov.Days))
	for i, d := range ov.Days {
		labels[i] = d.Format("02.01.")
	}
	for _, sr := range series {
		v.Columns = append(v.Columns, sr.Name)
	}
	for i, d := range ov.Days {
		row := dayRow{Day: d}
		for _, sr := range series {
			row.Counts = append(row.Counts, sr.Values[i])
			row.Total += sr.Values[i]
		}
		v.Rows = append(v.Rows, row)
	}
	if ov.Total > 0 {
		c := chart.StackedBars{ID: "antraege-diagramm", Labels: labels, Series: series,
			Title: fmt.Sprintf("Anträge je Tag und Online-Dienst vom %s bis %s", berlinDate(ov.From), berlinDate(ov.To)),
			Desc:  chartDesc(ov)}
		if v.Chart, err = c.HTML(); err != nil {
			return err
		}
	}
	s.render(w, r, http.StatusOK, "overview", s.staffPage(r, sc, map[string]any{"Title": "Übersicht", "Overview": v, "Wide": true}))
	return nil
}

// chartSeriesOf are the chart's series: the services with the most
// applications, the rest summed.
func chartSeriesOf(svcs []overview.Series) []chart.Series {
	var out []chart.Series
	for i, s := range svcs {
		if i == chartSeries && len(svcs) > chartSeries+1 {
			rest := chart.Series{Name: fmt.Sprintf("Weitere Dienste (%d)", len(svcs)-chartSeries), Values: make([]int, len(s.Counts))}
			for _, r := range svcs[i:] {
				for d, n := range r.Counts {
					rest.Values[d] += n
				}
			}
			return append(out, rest)
		}
		out = append(out, chart.Series{Name: serviceName(s.Name), Values: s.Counts})
	}
	return out
}

// serviceName is a service's name, or a note for a service the tenant no
// longer sees.
func serviceName(name string) string {
	if name == "" {
		return "Dienst nicht mehr verfügbar"
	}
	return name
}

// chartDesc describes the chart in words: the total and the busiest day.
func chartDesc(ov *overview.Overview) string {
	best, bestDay := 0, ov.Days[0]
	for i, d := range ov.Days {
		n := 0
		for _, s := range ov.Services {
			n += s.Counts[i]
		}
		if n > best {
			best, bestDay = n, d
		}
	}
	return fmt.Sprintf("Gestapeltes Säulendiagramm: %s in %d Tagen zu %s, die meisten (%d) am %s. Die Zahlen stehen auch in der Tabelle unter dem Diagramm.",
		plural(ov.Total, "Antrag", "Anträge"), len(ov.Days), plural(len(ov.Services), "Online-Dienst", "Online-Diensten"), best, berlinDate(bestDay))
}

// berlinDate writes the date of t in Berlin: "07.12.2026".
func berlinDate(t time.Time) string { return t.In(localtime.Berlin).Format("02.01.2006") }

// staffDuration writes a duration for staff, rounded down: "45 Sekunden",
// "1 Minute", "3 Std. 5 Min.", "2 Tage 4 Std.".
func staffDuration(d time.Duration) string {
	switch {
	case d < time.Minute:
		return plural(int(d.Seconds()), "Sekunde", "Sekunden")
	case d < time.Hour:
		return plural(int(d.Minutes()), "Minute", "Minuten")
	case d < 48*time.Hour:
		return fmt.Sprintf("%d Std. %d Min.", int(d.Hours()), int(d.Minutes())%60)
	}
	return fmt.Sprintf("%d Tage %d Std.", int(d.Hours())/24, int(d.Hours())%24)
}

// plural writes a count with its noun: "1 Antrag", "2 Anträge".
func plural(n int, one, many string) string {
	if n == 1 {
		return "1 " + one
	}
	return fmt.Sprintf("%d %s", n, many)
}

// kindLabel is the German name of a delivery kind, "Alle Zustellarten"
// for the sum row ("").
func kindLabel(k delivery.Kind) string {
	if k == "" {
		return "Alle Zustellarten"
	}
	return k.Label()
}
