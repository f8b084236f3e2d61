package loadgen

import (
	"errors"
	"fmt"
	"io"
	"math"
	"slices"
	"sort"
	"strings"
	"sync"
	"text/tabwriter"
	"time"
)

// maxErrors is how many error messages a report keeps.
const maxErrors = 5

// recorder collects the outcomes of a run; it is safe for concurrent use.
type recorder struct {
	mu        sync.Mutex
	requests  map[string][]time.Duration
	apps      map[string][]time.Duration // succeeded applications, by mode
	attempted int
	succeeded int
	failed    int
	cancelled int
	errors    []string
	refs      []string
}

func newRecorder() *recorder {
	return &recorder{requests: map[string][]time.Duration{}, apps: map[string][]time.Duration{}}
}

func (r *recorder) request(kind string, d time.Duration) {
	r.mu.Lock()
	r.requests[kind] = append(r.requests[kind], d)
	r.mu.Unlock()
}

// application records application i, made in mode. An error after the run
// was stopped counts as cancelled.
func (r *recorder) application(mode string, d time.Duration, ref string, err error, stopped bool, i int) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.attempted++
	switch {
	case err == nil:
		r.succeeded++
		r.apps[mode] = append(r.apps[mode], d)
		if ref != "" {
			r.refs = append(r.refs, ref)
		}
	case stopped:
		r.cancelled++
	default:
		r.failed++
		if len(r.errors) < maxErrors {
			r.errors = append(r.errors, fmt.Sprintf("Antrag %d (%s): %v", i+1, mode, err))
		}
	}
}

// Report is the outcome of a run.
type Report struct {
	URL        string   `json:"url"`
	Service    string   `json:"service"`
	Mode       string   `json:"mode"`
	Citizens   int      `json:"citizens"`
	Count      int      `json:"count"`
	Attempted  int      `json:"attempted"`
	Succeeded  int      `json:"succeeded"`
	Failed     int      `json:"failed"`
	Cancelled  int      `json:"cancelled"`
	Errors     []string `json:"errors,omitempty"`  // the first few
	Stopped    string   `json:"stopped,omitempty"` // "Zeitlimit" or "abgebrochen" when the run ended early
	WallTime   Millis   `json:"wallMs"`
	Throughput float64  `json:"applicationsPerSecond"` // succeeded applications per second of wall time
	Requests   int      `json:"requests"`
	// Applications are the latencies of succeeded applications: all, and
	// by mode in a mixed run.
	Applications []Latency `json:"applications"`
	// RequestKinds are the latencies of the requests by kind.
	RequestKinds []Latency `json:"requestKinds"`
	// References are the Vorgangsnummern of the succeeded applications.
	References []string `json:"references"`
}

// Latency summarizes a set of durations.
type Latency struct {
	Name string `json:"name"`
	N    int    `json:"n"`
	P50  Millis `json:"p50Ms"`
	P90  Millis `json:"p90Ms"`
	P99  Millis `json:"p99Ms"`
	Max  Millis `json:"maxMs"`
}

// Millis is a duration that encodes as milliseconds.
type Millis time.Duration

func (m Millis) MarshalJSON() ([]byte, error) {
	return fmt.Appendf(nil, "%.3f", float64(m)/float64(time.Millisecond)), nil
}

func (m *Millis) UnmarshalJSON(b []byte) error {
	var f float64
	if _, err := fmt.Sscan(string(b), &f); err != nil {
		return errors.New("Millis: keine Zahl")
	}
	*m = Millis(f * float64(time.Millisecond))
	return nil
}

func (m Millis) String() string {
	d := time.Duration(m)
	switch {
	case d >= 10*time.Second:
		return fmt.Sprintf("%.1f s", d.Seconds())
	case d >= time.Second:
		return fmt.Sprintf("%.2f s", d.Seconds())
	default:
		return fmt.Sprintf("%.1f ms", float64(d)/float64(time.Millisecond))
	}
}

func latency(name string, ds []time.Duration) Latency {
	s := slices.Clone(ds)
	slices.Sort(s)
	return Latency{Name: name, N: len(s), P50: percentile(s, 50), P90: percentile(s, 90), P99: percentile(s, 99), Max: percentile(s, 100)}
}

// percentile is the nearest-rank percentile of sorted durations.
func percentile(sorted []time.Duration, p float64) Millis {
	if len(sorted) == 0 {
		return 0
	}
	rank := int(math.Ceil(p / 100 * float64(len(sorted))))
	return Millis(sorted[min(max(rank, 1), len(sorted))-1])
}

func (r *recorder) report(c *Config, wall time.Duration, stopped string) *Report {
	r.mu.Lock()
	defer r.mu.Unlock()
	rep := &Report{
		URL: c.BaseURL, Service: c.Service.ID, Mode: c.Mode, Citizens: c.Citizens, Count: c.Count,
		Attempted: r.attempted, Succeeded: r.succeeded, Failed: r.failed, Cancelled: r.cancelled,
		Errors: slices.Clone(r.errors), WallTime: Millis(wall), References: slices.Clone(r.refs),
	}
	if rep.References == nil {
		rep.References = []string{}
	}
	if r.attempted < c.Count || r.cancelled > 0 {
		rep.Stopped = stopped
	}
	if wall > 0 {
		rep.Throughput = float64(r.succeeded) / wall.Seconds()
	}
	var all []time.Duration
	modes := make([]string, 0, len(r.apps))
	for m, ds := range r.apps {
		all = append(all, ds...)
		modes = append(modes, m)
	}
	sort.Strings(modes)
	rep.Applications = append(rep.Applications, latency("Antrag", all))
	if len(modes) > 1 {
		for _, m := range modes {
			rep.Applications = append(rep.Applications, latency("Antrag ("+m+")", r.apps[m]))
		}
	}
	for _, k := range kindOrder {
		if ds := r.requests[k]; len(ds) > 0 {
			rep.RequestKinds = append(rep.RequestKinds, latency(k, ds))
			rep.Requests += len(ds)
		}
	}
	if rep.RequestKinds == nil {
		rep.RequestKinds = []Latency{}
	}
	return rep
}

// WriteText writes the report as a table.
func (rep *Report) WriteText(w io.Writer) error {
	var b strings.Builder
	fmt.Fprintf(&b, "Last auf %s, Dienst %s, Modus %s: %d Bürger, höchstens %d Anträge\n", rep.URL, rep.Service, rep.Mode, rep.Citizens, rep.Count)
	fmt.Fprintf(&b, "Anträge: %d versucht, %d erfolgreich, %d fehlgeschlagen", rep.Attempted, rep.Succeeded, rep.Failed)
	if rep.Cancelled > 0 {
		fmt.Fprintf(&b, ", %d abgebrochen", rep.Cancelled)
	}
	b.WriteString("\n")
	if rep.Stopped != "" {
		fmt.Fprintf(&b, "Vorzeitig beendet: %s\n", rep.Stopped)
	}
	fmt.Fprintf(&b, "Dauer: %s, Durchsatz: %.1f Anträge/s, Anfragen: %d (%.1f/s)\n", rep.WallTime, rep.Throughput, rep.Requests,
		float64(rep.Requests)/max(time.Duration(rep.WallTime).Seconds(), 1e-9))
	b.WriteString("\n")
	tw := tabwriter.NewWriter(&b, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "Latenz\tAnzahl\tp50\tp90\tp99\tmax")
	for _, l := range append(slices.Clone(rep.Applications), rep.RequestKinds...) {
		fmt.Fprintf(tw, "%s\t%d\t%s\t%s\t%s\t%s\n", l.Name, l.N, l.P50, l.P90, l.P99, l.Max)
	}
	tw.Flush()
	if len(rep.Errors) > 0 {
		fmt.Fprintf(&b, "\nFehler (die ersten %d von %d):\n", len(rep.Errors), rep.Failed)
		for _, e := range rep.Errors {
			fmt.Fprintf(&b, "  %s\n", e)
		}
	}
	_, err := io.WriteString(w, b.String())
	return err
}
