package main

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/antrag/antrag/internal/loadgen"
)

// The soak test runs antrag as its own process on loopback, with hostile
// clients and normal citizens side by side for soakDuration:
//   - soakStalled uploads that declare 2 GB or 5 MB and then send one byte
//     every 5 s;
//   - soakLogins clients that log in with random names and passwords, again
//     and again;
//   - a webhook target of Landkreis Beispielkreis that accepts connections
//     and never answers (a black hole), holding soakBlackHole deliveries;
//   - citizens of Stadt Musterstadt who send soakRate applications a second
//     through the JSON API, delivered to a healthy webhook.
//
// It asserts the bounds a public service needs under such load: the
// citizens' applications succeed, their p99 stays under a second, the
// healthy tenant's deliveries arrive, and the process stays under 1 GB of
// memory. It takes about two minutes and runs only with ANTRAG_SOAK=1
// (.ci/run sets it for a run of its own, so that other test packages do not
// share the cores).
const (
	soakDuration  = 45 * time.Second
	soakStalled   = 500
	soakLogins    = 300
	soakBlackHole = 20
	soakCitizens  = 4
	// soakRate is the citizens' pace: applications per second, far more
	// than a municipality sees (8/s is 28,800 an hour), yet a load the
	// deliveries keep up with.
	soakRate   = 8
	soakMaxRSS = 1 << 30
	soakMaxP99 = time.Second
	// soakDrain is how long the healthy tenant's deliveries may take to
	// arrive after the last application was sent.
	soakDrain = 30 * time.Second
)

func TestSoak(t *testing.T) {
	if os.Getenv("ANTRAG_SOAK") == "" {
		t.Skip("ANTRAG_SOAK=1 runs the soak test (about two minutes, best alone on the machine)")
	}
	ctx := context.Background()
	dataDir := t.TempDir()
	env := map[string]string{"ANTRAG_DATA": dataDir, "ANTRAG_DEMO": "1"}
	in := &fcInstallation{env: env}

	// First start: the demo catalogue.
	addr := freeAddr(t)
	startAntrag(t, in, addr).terminate()
	delete(env, "ANTRAG_DEMO")

	healthy := newWebhookSink()
	hsrv := httptest.NewServer(healthy)
	defer hsrv.Close()
	hole := newBlackHole(t)
	defer hole.Close()
	for _, tc := range []struct{ tenant, slug, url string }{
		{"musterstadt", "gewerbeanmeldung", hsrv.URL + "/antraege"},
		{"beispielkreis", "heimarbeit", "http://" + hole.Addr() + "/antraege"},
	} {
		if out, errOut, err := runCmd(t, env, "service", "targets", "--tenant", tc.tenant, "--slug", tc.slug, "--webhook", tc.url); err != nil {
			t.Fatalf("service targets %s.%s: %v\n%s%s", tc.tenant, tc.slug, err, out, errOut)
		}
	}

	addr = freeAddr(t)
	proc := startAntrag(t, in, addr)
	base := "http://" + addr
	rss := watchRSS(proc.cmd.Process.Pid)
	defer rss.stop()

	client := loadgen.NewClient(soakCitizens+4, 30*time.Second)
	prepare := func(service string) *loadgen.Service {
		pctx, cancel := context.WithTimeout(ctx, waitLong)
		defer cancel()
		svc, err := loadgen.PrepareService(pctx, client, base, service, "", "")
		if err != nil {
			t.Fatalf("prepare %s: %v", service, err)
		}
		return svc
	}
	stadt, kreis := prepare("musterstadt.gewerbeanmeldung"), prepare("beispielkreis.heimarbeit")

	// The other tenant's applications, whose deliveries go into the hole.
	rep, err := loadgen.Run(ctx, loadgen.Config{BaseURL: base, Mode: loadgen.ModeAPI, Citizens: soakCitizens, Count: soakBlackHole,
		Duration: waitLong, Service: kreis, Client: client, Timeout: 30 * time.Second})
	if err != nil || rep.Succeeded != soakBlackHole {
		t.Fatalf("Beispielkreis: %v, report %+v", err, rep)
	}
	hole.waitHeld(t, 1)

	// Hostile clients, for soakDuration.
	hctx, stopHostile := context.WithTimeout(ctx, soakDuration)
	defer stopHostile()
	var wg sync.WaitGroup
	stalls := &stallStats{}
	for i := range soakStalled {
		wg.Go(func() { stallUpload(hctx, addr, i, stalls) })
	}
	logins := &loginStats{byStatus: map[int]int{}}
	for range soakLogins {
		wg.Go(func() { randomLogins(hctx, base, logins) })
	}

	// Citizens of the healthy tenant, in rounds, while the attack runs.
	var rounds []*loadgen.Report
	start := time.Now()
	const perRound = 2 * soakRate // applications per round of two seconds
	for round := 0; time.Since(start) < soakDuration-5*time.Second; round++ {
		rep, err := loadgen.Run(ctx, loadgen.Config{BaseURL: base, Mode: loadgen.ModeAPI, Citizens: soakCitizens, Count: perRound,
			Duration: waitLong, Service: stadt, Client: client, Timeout: 30 * time.Second})
		if err != nil {
			t.Fatalf("citizens: %v", err)
		}
		rounds = append(rounds, rep)
		time.Sleep(time.Until(start.Add(time.Duration(round+1) * perRound * time.Second / soakRate)))
	}
	sent := time.Now()
	wg.Wait()

	var refs []string
	var failed int
	var errs []string
	var worstP99 time.Duration
	for _, r := range rounds {
		refs = append(refs, r.References...)
		failed += r.Failed + r.Cancelled
		errs = append(errs, r.Errors...)
		if len(r.Applications) > 0 {
			worstP99 = max(worstP99, time.Duration(r.Applications[0].P99))
		}
	}
	missing := healthy.waitFor(refs, soakDrain)
	drain := time.Since(sent)
	peak := rss.stop()

	t.Logf("citizens: %d applications in %d rounds, %d failed, worst round p99 %v", len(refs), len(rounds), failed, worstP99.Round(time.Millisecond))
	t.Logf("healthy tenant: %d of %d delivered, %d duplicates, all within %v of the last application", len(refs)-len(missing), len(refs),
		healthy.duplicates(), drain.Round(100*time.Millisecond))
	t.Logf("black hole: %d connections held", hole.held())
	t.Logf("stalled uploads: %d, answered %v, cut by the server %d (median after %v), still open at the end %d",
		soakStalled, stalls.answeredByStatus(), stalls.cut.Load(), stalls.medianCut(), stalls.open.Load())
	t.Logf("logins: %d answered %v, slowest %v, transport errors %d", logins.total(), logins.statuses(), logins.slowest(), logins.errors.Load())
	t.Logf("memory: peak RSS %d MiB", peak>>20)

	if failed > 0 {
		t.Errorf("%d citizens' applications failed: %q", failed, errs)
	}
	if worstP99 > soakMaxP99 {
		t.Errorf("p99 of the citizens' applications %v, want under %v", worstP99, soakMaxP99)
	}
	if len(missing) > 0 {
		t.Errorf("%d of the healthy tenant's applications not delivered within %v: %v", len(missing), soakDrain, missing[:min(5, len(missing))])
	}
	if healthy.duplicates() > 0 {
		t.Errorf("%d deliveries arrived twice", healthy.duplicates())
	}
	if peak > soakMaxRSS {
		t.Errorf("peak RSS %d MiB, want under %d MiB", peak>>20, soakMaxRSS>>20)
	}
	if n := stalls.open.Load(); n > 0 {
		t.Errorf("%d stalled uploads still held by the server after %v", n, soakDuration)
	}
	if logins.errors.Load() > 0 || logins.byStatus[http.StatusInternalServerError] > 0 {
		t.Errorf("logins: %d transport errors, answers %v", logins.errors.Load(), logins.statuses())
	}
	proc.terminate()
}

// webhookSink is a healthy webhook receiver: it records the Vorgangsnummer
// of every application it receives.
type webhookSink struct {
	mu   sync.Mutex
	seen map[string]int // reference → deliveries
}

func newWebhookSink() *webhookSink { return &webhookSink{seen: map[string]int{}} }

func (s *webhookSink) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	var body struct {
		Data struct {
			Reference string `json:"reference"`
		} `json:"data"`
	}
	if err := json.NewDecoder(io.LimitReader(r.Body, 64<<20)).Decode(&body); err != nil || body.Data.Reference == "" {
		http.Error(w, "bad body", http.StatusBadRequest)
		return
	}
	s.mu.Lock()
	s.seen[body.Data.Reference]++
	s.mu.Unlock()
	w.WriteHeader(http.StatusNoContent)
}

// waitFor waits up to within for every reference and returns the missing
// ones.
func (s *webhookSink) waitFor(refs []string, within time.Duration) []string {
	deadline := time.Now().Add(within)
	for {
		var missing []string
		s.mu.Lock()
		for _, r := range refs {
			if s.seen[r] == 0 {
				missing = append(missing, r)
			}
		}
		s.mu.Unlock()
		if len(missing) == 0 || time.Now().After(deadline) {
			return missing
		}
		time.Sleep(100 * time.Millisecond)
	}
}

func (s *webhookSink) duplicates() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	n := 0
	for _, c := range s.seen {
		n += c - 1
	}
	return n
}

// blackHole accepts TCP connections and never answers.
type blackHole struct {
	ln    net.Listener
	mu    sync.Mutex
	conns []net.Conn
}

func newBlackHole(t *testing.T) *blackHole {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	h := &blackHole{ln: ln}
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			h.mu.Lock()
			h.conns = append(h.conns, c)
			h.mu.Unlock()
		}
	}()
	return h
}

func (h *blackHole) Addr() string { return h.ln.Addr().String() }

func (h *blackHole) held() int {
	h.mu.Lock()
	defer h.mu.Unlock()
	return len(h.conns)
}

// waitHeld waits until the hole holds n connections.
func (h *blackHole) waitHeld(t *testing.T, n int) {
	t.Helper()
	eventually(t, waitLong, func() (bool, string) {
		return h.held() >= n, fmt.Sprintf("%d connections", h.held())
	})
}

func (h *blackHole) Close() {
	h.ln.Close()
	h.mu.Lock()
	defer h.mu.Unlock()
	for _, c := range h.conns {
		c.Close()
	}
}

type stallStats struct {
	mu       sync.Mutex
	answered map[int]int
	cutAfter []time.Duration
	cut      atomic.Int64
	open     atomic.Int64
}

func (s *stallStats) answeredByStatus() map[int]int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return copyCounts(s.answered)
}

func (s *stallStats) medianCut() time.Duration {
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(s.cutAfter) == 0 {
		return 0
	}
	d := slices.Clone(s.cutAfter)
	slices.Sort(d)
	return d[len(d)/2].Round(100 * time.Millisecond)
}

func copyCounts(m map[int]int) map[int]int {
	out := map[int]int{}
	for k, v := range m {
		out[k] = v
	}
	return out
}

// stallUpload opens an attachment upload to the JSON API that declares
// 2 GB (every other one: 5 MB, within the limits) and sends a byte every
// 5 s until the server answers or closes the
// connection, or ctx ends (then it counts as still open).
func stallUpload(ctx context.Context, addr string, i int, s *stallStats) {
	c, err := net.DialTimeout("tcp", addr, 10*time.Second)
	if err != nil {
		s.mu.Lock()
		if s.answered == nil {
			s.answered = map[int]int{}
		}
		s.answered[-1]++ // refused at connect
		s.mu.Unlock()
		return
	}
	defer c.Close()
	start := time.Now()
	size := 2_000_000_000 // more than any limit
	if i%2 == 1 {
		size = 5 << 20 // within the limits
	}
	fmt.Fprintf(c, "POST /api/v1/forms/beispielkreis.mutterschutz-nachtarbeit/attachments?filename=nachweis-%d.pdf HTTP/1.1\r\n"+
		"Host: %s\r\nContent-Type: application/octet-stream\r\nContent-Length: %d\r\n\r\n%%PDF-1.7\n", i, addr, size)
	got := make(chan int, 1)
	go func() {
		resp, err := http.ReadResponse(bufio.NewReader(c), nil)
		if err != nil {
			got <- 0 // closed without an answer
			return
		}
		resp.Body.Close()
		got <- resp.StatusCode
	}()
	tick := time.NewTicker(5 * time.Second)
	defer tick.Stop()
	for {
		select {
		case status := <-got:
			s.mu.Lock()
			if status == 0 {
				s.cut.Add(1)
				s.cutAfter = append(s.cutAfter, time.Since(start))
			} else {
				if s.answered == nil {
					s.answered = map[int]int{}
				}
				s.answered[status]++
			}
			s.mu.Unlock()
			return
		case <-tick.C:
			c.SetWriteDeadline(time.Now().Add(time.Second))
			if _, err := c.Write([]byte{'x'}); err != nil {
				// The server closed; the reader reports how.
				continue
			}
		case <-ctx.Done():
			s.open.Add(1)
			return
		}
	}
}

type loginStats struct {
	mu       sync.Mutex
	byStatus map[int]int
	slow     time.Duration
	errors   atomic.Int64
}

func (l *loginStats) total() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	n := 0
	for _, c := range l.byStatus {
		n += c
	}
	return n
}

func (l *loginStats) statuses() map[int]int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return copyCounts(l.byStatus)
}

func (l *loginStats) slowest() time.Duration {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.slow.Round(time.Millisecond)
}

// randomLogins logs in with random names and passwords until ctx ends.
func randomLogins(ctx context.Context, base string, l *loginStats) {
	c := &http.Client{Timeout: 30 * time.Second, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	for ctx.Err() == nil {
		form := url.Values{"benutzername": {"nutzer-" + strconv.FormatUint(rand.Uint64(), 36)}, "passwort": {strconv.FormatUint(rand.Uint64(), 36)}}
		req, err := http.NewRequestWithContext(ctx, http.MethodPost, base+"/intern/anmelden", strings.NewReader(form.Encode()))
		if err != nil {
			return
		}
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		t0 := time.Now()
		resp, err := c.Do(req)
		if err != nil {
			if ctx.Err() == nil {
				l.errors.Add(1)
			}
			continue
		}
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		l.mu.Lock()
		l.byStatus[resp.StatusCode]++
		l.slow = max(l.slow, time.Since(t0))
		l.mu.Unlock()
	}
}

// rssWatch samples a process's resident set size.
type rssWatch struct {
	done chan struct{}
	peak atomic.Int64
	once sync.Once
}

func watchRSS(pid int) *rssWatch {
	w := &rssWatch{done: make(chan struct{})}
	go func() {
		for {
			if b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid)); err == nil {
				for _, line := range strings.Split(string(b), "\n") {
					if v, ok := strings.CutPrefix(line, "VmHWM:"); ok {
						kb, _ := strconv.ParseInt(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(v), "kB")), 10, 64)
						w.peak.Store(max(w.peak.Load(), kb<<10))
					}
				}
			}
			select {
			case <-w.done:
				return
			case <-time.After(250 * time.Millisecond):
			}
		}
	}()
	return w
}

// stop ends the sampling and returns the peak RSS in bytes.
func (w *rssWatch) stop() int64 {
	w.once.Do(func() { close(w.done) })
	return w.peak.Load()
}
