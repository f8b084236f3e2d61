package main

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"sort"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/antrag/antrag/internal/delivery"
	"github.com/antrag/antrag/internal/delivery/deliverytest"
	"github.com/antrag/antrag/internal/fitconnect/fitconnecttest"
	"github.com/antrag/antrag/internal/store"
	"github.com/antrag/antrag/internal/submission"
)

// antragProcess is `antrag serve` running as a separate process (the test
// binary re-executed through TestMain, see reexec_test.go), so that the
// test can kill it.
type antragProcess struct {
	t      *testing.T
	cmd    *exec.Cmd
	output *syncBuffer // stdout and stderr
	done   chan struct{}
	err    error // of cmd.Wait, once done is closed
}

// startAntrag starts `antrag serve --addr addr` with the installation's
// environment and waits until /healthz answers (up to waitLong). The
// process is killed at the end of the test if it still runs.
func startAntrag(t *testing.T, in *fcInstallation, addr string) *antragProcess {
	t.Helper()
	p := &antragProcess{t: t, output: &syncBuffer{}, done: make(chan struct{})}
	p.cmd = exec.Command(os.Args[0], "serve", "--addr", addr)
	p.cmd.Env = append(os.Environ(), runMainEnv+"=1")
	for k, v := range in.env {
		p.cmd.Env = append(p.cmd.Env, k+"="+v)
	}
	p.cmd.Stdout, p.cmd.Stderr = p.output, p.output
	if err := p.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() {
		p.err = p.cmd.Wait()
		close(p.done)
	}()
	t.Cleanup(func() {
		p.cmd.Process.Kill()
		<-p.done
	})
	c := &http.Client{Timeout: 10 * time.Second} // one probe; a hanging one is tried again
	deadline := time.Now().Add(waitLong)
	for {
		resp, err := c.Get("http://" + addr + "/healthz")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == 200 {
				return p
			}
		}
		select {
		case <-p.done:
			t.Fatalf("antrag serve ended before it ran: %v\n%s", p.err, p.output.String())
		case <-time.After(20 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			t.Fatalf("antrag serve did not answer /healthz within %v:\n%s", waitLong, p.output.String())
		}
	}
}

// kill ends the process with SIGKILL and waits for it.
func (p *antragProcess) kill() {
	p.t.Helper()
	if err := p.cmd.Process.Kill(); err != nil {
		p.t.Fatalf("kill: %v", err)
	}
	<-p.done
}

// terminate sends SIGTERM and expects a clean exit. It waits longer than
// antrag's grace period of 20 s, so that a shutdown that runs into that
// limit shows its error here.
func (p *antragProcess) terminate() {
	p.t.Helper()
	if err := p.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		p.t.Fatalf("SIGTERM: %v", err)
	}
	select {
	case <-p.done:
		if p.err != nil {
			p.t.Errorf("antrag serve after SIGTERM: %v\n%s", p.err, p.output.String())
		}
	case <-time.After(waitLong):
		p.t.Errorf("antrag serve did not end within %v of SIGTERM\n%s", waitLong, tail(p.output.String(), 80))
	}
}

// tail returns the last n lines of s.
func tail(s string, n int) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}

// freeAddr returns a 127.0.0.1 address with a port that was free a moment
// ago.
func freeAddr(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	return addr
}

// setEvents returns the event URIs of a compact SET (not verified: only
// counted).
func setEvents(set string) []string {
	parts := strings.Split(set, ".")
	if len(parts) != 3 {
		return nil
	}
	b, err := base64.RawURLEncoding.DecodeString(parts[1])
	if err != nil {
		return nil
	}
	var claims struct {
		Events map[string]json.RawMessage `json:"events"`
	}
	if json.Unmarshal(b, &claims) != nil {
		return nil
	}
	var out []string
	for k := range claims.Events {
		out = append(out, k)
	}
	return out
}

// eventCount counts the events of a submission at the double whose URI
// ends in suffix (e.g. "/accept-submission").
func eventCount(v fitconnecttest.SubmissionView, suffix string) int {
	n := 0
	for _, set := range v.Events {
		for _, e := range setEvents(set) {
			if strings.HasSuffix(e, suffix) {
				n++
			}
		}
	}
	return n
}

// doubleStates counts the double's submissions to fcDestination by state.
func doubleStates(in *fcInstallation) map[fitconnecttest.State]int {
	out := map[fitconnecttest.State]int{}
	for _, v := range in.double.Submissions(fcDestination) {
		out[v.State]++
	}
	return out
}

// crashSnapshot is what the stores hold at one moment.
type crashSnapshot struct {
	stored     []*submission.Submission // Musterstadt's
	deliveries map[delivery.State]int   // Musterstadt's
	received   []*submission.Submission // Beispielkreis's, over FIT-Connect
	jobs       map[string]int           // River jobs by state
}

func (s crashSnapshot) String() string {
	return fmt.Sprintf("stored %d, deliveries %v, received %d, jobs %v", len(s.stored), s.deliveries, len(s.received), s.jobs)
}

func snapshot(t *testing.T, db *store.DB) crashSnapshot {
	t.Helper()
	ctx := context.Background()
	stadt, err := db.TenantBySlug(ctx, "musterstadt")
	if err != nil {
		t.Fatal(err)
	}
	var s crashSnapshot
	if s.stored, err = db.ListSubmissions(ctx, stadt.ID, submission.Filter{Limit: 100000}); err != nil {
		t.Fatal(err)
	}
	if s.deliveries, err = db.DeliveryCounts(ctx, stadt.ID); err != nil {
		t.Fatal(err)
	}
	s.received = received(t, db)
	s.jobs = map[string]int{}
	rows, err := db.SQL().QueryContext(ctx, `SELECT kind || ':' || state, count(*) FROM river_job GROUP BY 1`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	for rows.Next() {
		var k string
		var n int
		if err := rows.Scan(&k, &n); err != nil {
			t.Fatal(err)
		}
		s.jobs[k] = n
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return s
}

// TestCrashDuringDeliveries kills the antrag process (SIGKILL) while the
// deliveries of 200 submissions from Musterstadt to Beispielkreis over
// FIT-Connect are in flight, and starts it again on the same data
// directory: every submission the citizen was told is accepted arrives
// exactly once, and none is missing.
func TestCrashDuringDeliveries(t *testing.T) {
	if testing.Short() {
		t.Skip("kills and restarts antrag; takes about a minute")
	}
	const total = 200
	start := time.Now()
	in := newFCInstallation(t, map[string]string{
		"ANTRAG_DELIVERY_TIMEOUT":  "3s", // River rescues a job left running after 6 s
		"ANTRAG_FITCONNECT_POLL":   "2s",
		"ANTRAG_FITCONNECT_FOLLOW": "500ms",
	})
	addr := freeAddr(t)
	base := "http://" + addr
	in.register(t, base)
	// Submits refused for a while keep deliveries retrying.
	in.double.Fail("PUT /{v}/submissions/{id}", 30, http.StatusServiceUnavailable)
	first := startAntrag(t, in, addr)
	t.Logf("installation ready and antrag started after %v", time.Since(start).Round(time.Millisecond))

	// Citizens submit until total are accepted; what fails (the process is
	// gone) is not accepted and tried again.
	var (
		mu       sync.Mutex
		accepted []apiSubmission
		inflight int
		seq      int
		failed   int
		failures []string
	)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	// A request that timed out would leave a stored submission without an
	// answer, which the test counts against the kill: the timeout only ends
	// a request that hangs.
	client := &http.Client{Timeout: waitLong}
	var wg sync.WaitGroup
	for range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for ctx.Err() == nil {
				mu.Lock()
				if len(accepted) >= total {
					mu.Unlock()
					return
				}
				if len(accepted)+inflight >= total {
					mu.Unlock()
					time.Sleep(10 * time.Millisecond)
					continue
				}
				inflight++
				seq++
				n := seq
				mu.Unlock()
				content := fmt.Sprintf("%%PDF-1.4\n%% Antrag %d\n%s", n, strings.Repeat("Nachweis ", 400))
				sub, err := sendFC(client, base, [][2]string{{fmt.Sprintf("Nachweis-%d.pdf", n), content}})
				mu.Lock()
				inflight--
				if err == nil {
					accepted = append(accepted, sub)
				} else {
					failed++
					if len(failures) < 5 {
						failures = append(failures, err.Error())
					}
				}
				mu.Unlock()
				if err != nil {
					time.Sleep(50 * time.Millisecond)
				}
			}
		}()
	}
	// Kill when at least half are accepted and FIT-Connect holds some of
	// them submitted but not all (at the latest at 180 accepted).
	var killAccepted, killInflight int
	var killDouble map[fitconnecttest.State]int
	for {
		mu.Lock()
		n, fl := len(accepted), inflight
		mu.Unlock()
		if n >= total/2 {
			st := doubleStates(in)
			done := st[fitconnecttest.StateSubmitted] + st[fitconnecttest.StateAccepted]
			if done > 0 && done < n || n >= 180 {
				first.kill()
				killAccepted, killInflight, killDouble = n, fl, st
				break
			}
		}
		select {
		case <-first.done:
			t.Fatalf("antrag ended by itself: %v\n%s", first.err, first.output.String())
		case <-time.After(2 * time.Millisecond):
		}
	}
	killedAt := time.Now()
	db := in.open(t)
	atKill := snapshot(t, db)
	db.Close()
	t.Logf("SIGKILL after %v: %d accepted, %d requests open; FIT-Connect: %v; store: %v",
		killedAt.Sub(start).Round(time.Millisecond), killAccepted, killInflight, killDouble, atKill)
	if inFlight := len(atKill.stored) - atKill.deliveries[delivery.Accepted]; inFlight <= 0 {
		t.Errorf("no delivery was in flight at the kill (all %d accepted)", len(atKill.stored))
	}

	// Citizens keep trying while antrag is down; then it is started again.
	// The pause is the outage the test makes: a loaded machine makes it
	// longer, which the test does not mind.
	time.Sleep(300 * time.Millisecond)
	second := startAntrag(t, in, addr)
	restartedAt := time.Now()
	t.Logf("restarted %v after the kill", restartedAt.Sub(killedAt).Round(time.Millisecond))

	sendersDone := make(chan struct{})
	go func() { wg.Wait(); close(sendersDone) }()
	select {
	case <-sendersDone:
	case <-time.After(waitLong):
		cancel()
		<-sendersDone
		t.Fatalf("submissions not accepted within %v of the restart: %d accepted; failures %q\n%s", waitLong, len(accepted), failures, tail(second.output.String(), 80))
	}
	t.Logf("%d accepted after %v (%d submissions failed while antrag was down; first: %q)",
		len(accepted), time.Since(start).Round(time.Millisecond), failed, failures)

	// Wait until every stored submission is delivered, received and
	// accepted. River rescues jobs left running by the dead process
	// (every 30 s, after 2× the job timeout), so this may take a while:
	// the deadline adds that wait to waitLong.
	var last crashSnapshot
	var lastDouble map[fitconnecttest.State]int
	const settle = 30*time.Second + waitLong
	deadline := time.Now().Add(settle)
	for {
		db := in.open(t)
		last = snapshot(t, db)
		db.Close()
		lastDouble = doubleStates(in)
		n := len(last.stored)
		if n >= total && last.deliveries[delivery.Accepted] == n && len(last.received) == n &&
			lastDouble[fitconnecttest.StateAccepted] == n && lastDouble[fitconnecttest.StateSubmitted] == 0 {
			break
		}
		if last.deliveries[delivery.Failed] > 0 || last.deliveries[delivery.Rejected] > 0 {
			t.Fatalf("a delivery failed or was rejected: %v\n%s", last, tail(second.output.String(), 80))
		}
		if time.Now().After(deadline) {
			t.Fatalf("not settled within %v of the restart: %v; FIT-Connect %v\n%s", settle, last, lastDouble, tail(second.output.String(), 80))
		}
		time.Sleep(250 * time.Millisecond)
	}
	t.Logf("settled %v after the restart (%v in all): %v; FIT-Connect %v",
		time.Since(restartedAt).Round(time.Millisecond), time.Since(start).Round(time.Millisecond), last, lastDouble)

	// Every accepted submission is stored exactly once, with its
	// Vorgangsnummer; what else is stored was sent before the kill without
	// an answer reaching the citizen.
	if len(accepted) != total {
		t.Fatalf("%d accepted, want %d", len(accepted), total)
	}
	storedByID := map[string]*submission.Submission{}
	for _, s := range last.stored {
		if storedByID[s.ID] != nil {
			t.Errorf("submission %s listed twice", s.ID)
		}
		storedByID[s.ID] = s
	}
	seenAccepted := map[string]bool{}
	refs := map[string]bool{}
	for _, a := range accepted {
		if seenAccepted[a.ID] {
			t.Errorf("submission %s accepted twice", a.ID)
		}
		seenAccepted[a.ID] = true
		if refs[a.Reference] {
			t.Errorf("Vorgangsnummer %s given twice", a.Reference)
		}
		refs[a.Reference] = true
		s := storedByID[a.ID]
		if s == nil {
			t.Errorf("accepted submission %s (%s) is missing in Musterstadt's store", a.ID, a.Reference)
		} else if s.Reference != a.Reference {
			t.Errorf("submission %s: Vorgangsnummer %s, the citizen got %s", a.ID, s.Reference, a.Reference)
		}
	}
	unanswered := len(last.stored) - len(accepted)
	if unanswered < 0 || unanswered > killInflight {
		t.Errorf("Musterstadt stores %d submissions, %d accepted; at most the %d requests open at the kill may be stored without an answer",
			len(last.stored), len(accepted), killInflight)
	}
	t.Logf("Musterstadt stores %d submissions: %d accepted, %d stored without the answer reaching the citizen", len(last.stored), len(accepted), unanswered)

	// Each has one FIT-Connect delivery, accepted, with its own submission
	// id at FIT-Connect.
	db = in.open(t)
	defer db.Close()
	stadt, err := db.TenantBySlug(context.Background(), "musterstadt")
	if err != nil {
		t.Fatal(err)
	}
	remoteIDs := map[string]string{} // FIT-Connect submission id → Musterstadt submission id
	attempts, dupEvents := 0, 0
	for _, s := range last.stored {
		ds, err := db.Deliveries(context.Background(), stadt.ID, s.ID)
		if err != nil {
			t.Fatal(err)
		}
		if len(ds) != 1 {
			t.Errorf("submission %s has %d deliveries, want 1", s.ID, len(ds))
			continue
		}
		d := ds[0]
		attempts += d.Attempts
		if d.Target.Kind != delivery.FITConnect || d.State != delivery.Accepted || d.RemoteID == "" {
			t.Errorf("submission %s: delivery %s, remote id %q", s.ID, deliverytest.One(d), d.RemoteID)
			continue
		}
		evs, err := db.Events(context.Background(), stadt.ID, s.ID)
		if err != nil {
			t.Fatal(err)
		}
		actions := map[string]int{}
		for _, e := range evs {
			actions[e.Action]++
		}
		// Delivered once and accepted once: one event each (follow passes
		// never overlap, and a stale pass cannot write over a decision).
		if actions["zugestellt"] != 1 {
			t.Errorf("submission %s: %d delivered events (%v), want 1", s.ID, actions["zugestellt"], actions)
		}
		if actions[delivery.Accepted.Label()] != 1 {
			dupEvents++
			t.Errorf("submission %s: %d accepted events (%v), want 1", s.ID, actions[delivery.Accepted.Label()], actions)
		}
		if other, ok := remoteIDs[d.RemoteID]; ok {
			t.Errorf("submissions %s and %s were delivered as the same FIT-Connect submission %s", other, s.ID, d.RemoteID)
		}
		remoteIDs[d.RemoteID] = s.ID
	}
	t.Logf("%d delivery attempts in all for %d deliveries; %d submissions with more than one %q event", attempts, len(last.stored), dupEvents, delivery.Accepted.Label())

	// Beispielkreis received each exactly once, and nothing else.
	got := map[string]int{}
	for _, r := range received(t, db) {
		got[r.ExternalRef]++
	}
	for ref, n := range got {
		remote, ok := strings.CutPrefix(ref, "fitconnect:")
		switch {
		case n > 1:
			t.Errorf("Beispielkreis received %s %d times", ref, n)
		case !ok:
			t.Errorf("Beispielkreis received a submission with external reference %q", ref)
		case remoteIDs[remote] == "":
			t.Errorf("Beispielkreis received %s, which is no delivery of Musterstadt", ref)
		}
	}
	var missing []string
	for remote, id := range remoteIDs {
		if got["fitconnect:"+remote] == 0 {
			missing = append(missing, id)
		}
	}
	sort.Strings(missing)
	if len(missing) > 0 {
		t.Errorf("Beispielkreis did not receive %d submissions: %v", len(missing), missing)
	}

	// FIT-Connect saw each submitted and accepted once; submissions only
	// announced are those whose announcement the kill cut off before
	// antrag stored the id (never sent, never received).
	announced := 0
	for _, v := range in.double.Submissions(fcDestination) {
		switch v.State {
		case fitconnecttest.StateAnnounced:
			announced++
			if remoteIDs[v.ID] != "" {
				t.Errorf("FIT-Connect submission %s of delivery %s is still only announced", v.ID, remoteIDs[v.ID])
			}
			continue
		case fitconnecttest.StateAccepted:
		default:
			t.Errorf("FIT-Connect submission %s is %s", v.ID, v.State)
		}
		if remoteIDs[v.ID] == "" {
			t.Errorf("FIT-Connect submission %s (%s) belongs to no delivery of Musterstadt", v.ID, v.State)
		}
		if n := eventCount(v, "/submit-submission"); n != 1 {
			t.Errorf("FIT-Connect submission %s has %d submit events", v.ID, n)
		}
		if n := eventCount(v, "/accept-submission"); n != 1 {
			t.Errorf("FIT-Connect submission %s has %d accept events", v.ID, n)
		}
	}
	t.Logf("FIT-Connect: %d submissions only announced (cut off by the kill), %d refused requests", announced, in.double.Refused())

	second.terminate()
	if out := second.output.String(); strings.Contains(out, "panic:") || strings.Contains(out, "DATA RACE") {
		t.Errorf("antrag's output after the restart:\n%s", tail(out, 80))
	}
	var exitErr *exec.ExitError
	if errors.As(first.err, &exitErr) && exitErr.Sys().(syscall.WaitStatus).Signal() != syscall.SIGKILL {
		t.Errorf("first process ended with %v, want SIGKILL", first.err)
	}
}
