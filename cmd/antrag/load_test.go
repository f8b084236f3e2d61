package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/antrag/antrag/internal/loadgen"
	"github.com/antrag/antrag/internal/sealed"
	"github.com/antrag/antrag/internal/store"
)

// runLoadCmd runs `antrag load ARGS`.
func runLoadCmd(ctx context.Context, args ...string) (stdout, stderr string, err error) {
	var out, errb bytes.Buffer
	err = run(ctx, append([]string{"load"}, args...), envMap(nil), strings.NewReader(""), &out, &errb)
	return out.String(), errb.String(), err
}

// loadTimeout is the --timeout of a request for runs against a real
// server: an answer that is slow because the machine is loaded must not
// count as a failed application.
const loadTimeout = "2m"

// loadJSON runs `antrag load --json ARGS` and decodes the report.
func loadJSON(t *testing.T, args ...string) *loadgen.Report {
	t.Helper()
	stdout, stderr, err := runLoadCmd(context.Background(), append([]string{"--json", "--timeout", loadTimeout}, args...)...)
	if err != nil {
		t.Fatalf("antrag load %q: %v\nstdout:\n%s\nstderr:\n%s", args, err, stdout, stderr)
	}
	var rep loadgen.Report
	if err := json.Unmarshal([]byte(stdout), &rep); err != nil {
		t.Fatalf("report: %v\n%s", err, stdout)
	}
	return &rep
}

// loadDB opens the installation's database next to the running server.
func loadDB(t *testing.T, dataDir string) *store.DB {
	t.Helper()
	key, err := sealed.LoadOrCreateKey(filepath.Join(dataDir, "schluessel"))
	if err != nil {
		t.Fatal(err)
	}
	box, err := sealed.New(key)
	if err != nil {
		t.Fatal(err)
	}
	db, err := store.Open(context.Background(), "sqlite:"+filepath.Join(dataDir, "antrag.db"), box)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

func countSubmissions(t *testing.T, db *store.DB) int {
	t.Helper()
	var n int
	if err := db.SQL().QueryRowContext(context.Background(), `SELECT COUNT(*) FROM submissions`).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

// TestLoadAgainstDemo runs load in each mode against `antrag serve --demo`
// and checks that every application arrived, exactly once.
func TestLoadAgainstDemo(t *testing.T) {
	dataDir := t.TempDir()
	s := startServe(t, nil, "--demo", "--data", dataDir)
	db := loadDB(t, dataDir)
	stadt, err := db.TenantBySlug(context.Background(), "musterstadt")
	if err != nil {
		t.Fatal(err)
	}
	// The files run uses Bewohnerparkausweis, whose demo fee is paid
	// before delivery; load pays nothing.
	withoutFee(t, db, "musterstadt", "bewohnerparkausweis")
	seen := map[string]bool{}
	check := func(t *testing.T, rep *loadgen.Report, count int, before int) {
		t.Helper()
		if rep.Attempted != count || rep.Succeeded != count || rep.Failed != 0 || rep.Cancelled != 0 || rep.Stopped != "" {
			t.Fatalf("report: attempted %d succeeded %d failed %d cancelled %d stopped %q, want %d succeeded; errors %q",
				rep.Attempted, rep.Succeeded, rep.Failed, rep.Cancelled, rep.Stopped, count, rep.Errors)
		}
		if got := countSubmissions(t, db) - before; got != count {
			t.Errorf("store holds %d new submissions, want %d", got, count)
		}
		if len(rep.References) != count {
			t.Fatalf("%d references, want %d", len(rep.References), count)
		}
		for _, ref := range rep.References {
			if seen[ref] {
				t.Errorf("reference %s twice", ref)
			}
			seen[ref] = true
			if _, err := db.SubmissionByReference(context.Background(), stadt.ID, ref); err != nil {
				t.Errorf("reference %s: %v", ref, err)
			}
		}
		if len(rep.Applications) == 0 || rep.Applications[0].N != count || rep.Applications[0].Max <= 0 ||
			rep.Applications[0].P50 > rep.Applications[0].P90 || rep.Applications[0].P99 > rep.Applications[0].Max {
			t.Errorf("application latencies %+v", rep.Applications)
		}
		if rep.Throughput <= 0 || rep.WallTime <= 0 {
			t.Errorf("throughput %v, wall time %v", rep.Throughput, rep.WallTime)
		}
	}
	kinds := func(rep *loadgen.Report) map[string]int {
		m := map[string]int{}
		for _, k := range rep.RequestKinds {
			m[k.Name] = k.N
		}
		return m
	}

	t.Run("api", func(t *testing.T) {
		before := countSubmissions(t, db)
		rep := loadJSON(t, "--url", s.url, "--mode", "api", "--citizens", "4", "--count", "8")
		check(t, rep, 8, before)
		if k := kinds(rep); k[loadgen.KindAPISubmit] != 8 || rep.Requests != 8 {
			t.Errorf("requests %d by kind %v, want 8 submissions", rep.Requests, k)
		}
	})
	t.Run("html", func(t *testing.T) {
		before := countSubmissions(t, db)
		rep := loadJSON(t, "--url", s.url, "--mode", "html", "--citizens", "2", "--count", "3")
		check(t, rep, 3, before)
		k := kinds(rep)
		for _, kind := range []string{loadgen.KindStartPage, loadgen.KindStart, loadgen.KindSummary, loadgen.KindSubmit, loadgen.KindConfirmation} {
			if k[kind] != 3 {
				t.Errorf("%s: %d requests, want 3 (%v)", kind, k[kind], k)
			}
		}
		if k[loadgen.KindStepPost] < 3 || k[loadgen.KindAPISubmit] != 0 || rep.Requests < 5*3+2*3 {
			t.Errorf("requests %d by kind %v", rep.Requests, k)
		}
	})
	t.Run("mixed", func(t *testing.T) {
		before := countSubmissions(t, db)
		rep := loadJSON(t, "--url", s.url, "--citizens", "3", "--count", "4") // mixed is the default
		check(t, rep, 4, before)
		k := kinds(rep)
		if k[loadgen.KindAPISubmit] != 2 || k[loadgen.KindSubmit] != 2 {
			t.Errorf("mixed: %d API and %d HTML submissions, want 2 each (%v)", k[loadgen.KindAPISubmit], k[loadgen.KindSubmit], k)
		}
		if len(rep.Applications) != 3 {
			t.Errorf("mixed: latencies %+v, want all, api and html", rep.Applications)
		}
	})
	t.Run("files", func(t *testing.T) {
		// A service with file fields: uploads through the API and the form.
		before := countSubmissions(t, db)
		rep := loadJSON(t, "--url", s.url, "--service", "musterstadt.bewohnerparkausweis", "--citizens", "2", "--count", "2")
		check(t, rep, 2, before)
		if k := kinds(rep); k[loadgen.KindAPIUpload] == 0 {
			t.Errorf("no uploads: %v", k)
		}
	})
	t.Run("count bounds", func(t *testing.T) {
		// More citizens than applications: still exactly --count.
		before := countSubmissions(t, db)
		rep := loadJSON(t, "--url", s.url, "--mode", "api", "--citizens", "12", "--count", "5")
		check(t, rep, 5, before)
		before = countSubmissions(t, db)
		rep = loadJSON(t, "--url", s.url, "--count", "0")
		if rep.Attempted != 0 || rep.Requests != 0 || countSubmissions(t, db) != before {
			t.Errorf("--count 0: attempted %d, %d requests", rep.Attempted, rep.Requests)
		}
	})
	t.Run("text report", func(t *testing.T) {
		stdout, stderr, err := runLoadCmd(context.Background(), "--timeout", loadTimeout, "--url", strings.Replace(s.url, "127.0.0.1", "localhost", 1),
			"--mode", "html", "--citizens", "1", "--count", "1")
		if err != nil {
			t.Fatalf("%v\n%s", err, stderr)
		}
		for _, want := range []string{"Anträge: 1 versucht, 1 erfolgreich, 0 fehlgeschlagen", "Durchsatz:", "p50", "p99", "max",
			"Antrag ", loadgen.KindConfirmation, "Anfragen:"} {
			if !strings.Contains(stdout, want) {
				t.Errorf("report lacks %q:\n%s", want, stdout)
			}
		}
		if !strings.Contains(stderr, "S00000009") {
			t.Errorf("stderr does not name the schema: %s", stderr)
		}
	})
	t.Run("unknown service", func(t *testing.T) {
		_, _, err := runLoadCmd(context.Background(), "--url", s.url, "--service", "musterstadt.gibtsnicht")
		if err == nil || !strings.Contains(err.Error(), "nicht veröffentlicht") || !strings.Contains(err.Error(), "musterstadt.gewerbeanmeldung") {
			t.Errorf("err = %v", err)
		}
	})
}

func TestLoadRefusesRemoteHosts(t *testing.T) {
	for _, u := range []string{"http://192.0.2.7:8080", "https://antrag.example.de", "http://10.0.0.1", "http://[2001:db8::1]:8080", "http://localhost.example.org"} {
		_, _, err := runLoadCmd(context.Background(), "--url", u, "--count", "1")
		var ue usageError
		if !errors.As(err, &ue) || !strings.Contains(err.Error(), "--allow-remote") || !strings.Contains(err.Error(), "Loopback") {
			t.Errorf("%s: err = %v, want a usage error naming --allow-remote", u, err)
		}
		if _, err := loadgen.CheckURL(u, true); err != nil {
			t.Errorf("%s with --allow-remote: %v", u, err)
		}
	}
	for _, u := range []string{"http://127.0.0.1:8080", "http://127.1.2.3", "http://[::1]:8080", "http://localhost:8080", "http://LOCALHOST.", "https://app.localhost"} {
		if _, err := loadgen.CheckURL(u, false); err != nil {
			t.Errorf("%s: %v", u, err)
		}
	}
	for _, u := range []string{"ftp://127.0.0.1", "127.0.0.1:8080", "http://127.0.0.1/pfad", "http://127.0.0.1?x=1"} {
		if _, err := loadgen.CheckURL(u, false); err == nil {
			t.Errorf("%s accepted", u)
		}
	}
	for _, args := range [][]string{{"--mode", "soap"}, {"--citizens", "0"}, {"--count", "-1"}, {"--duration", "0s"}, {"zusatz"}} {
		_, _, err := runLoadCmd(context.Background(), args...)
		var ue usageError
		if !errors.As(err, &ue) {
			t.Errorf("%q: err = %v, want a usage error", args, err)
		}
	}
}

// fakeAPI is a stand-in installation that offers musterstadt.gewerbeanmeldung
// and answers submissions with answer after delay.
func fakeAPI(t *testing.T, delay time.Duration, answer func(n int64) (int, string)) (*httptest.Server, *atomic.Int64) {
	t.Helper()
	var n atomic.Int64
	mux := http.NewServeMux()
	mux.HandleFunc("GET /api/v1/services", func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprint(w, `[{"id":"musterstadt.gewerbeanmeldung","tenant":"musterstadt","form":{"fimId":"S00000009"}}]`)
	})
	mux.HandleFunc("POST /api/v1/forms/musterstadt.gewerbeanmeldung/submissions", func(w http.ResponseWriter, r *http.Request) {
		i := n.Add(1)
		select {
		case <-time.After(delay):
		case <-r.Context().Done():
			return
		}
		status, body := answer(i)
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(status)
		fmt.Fprint(w, body)
	})
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	return srv, &n
}

func created(n int64) (int, string) {
	return http.StatusCreated, fmt.Sprintf(`{"id":"x","reference":"AAAA-BBBB-%04d","status":"eingegangen"}`, n)
}

func TestLoadStopsAtDuration(t *testing.T) {
	srv, n := fakeAPI(t, 150*time.Millisecond, created)
	stdout, stderr, err := runLoadCmd(context.Background(), "--json", "--url", srv.URL, "--mode", "api", "--citizens", "2", "--count", "1000", "--duration", "400ms")
	if err != nil {
		t.Fatalf("%v\n%s", err, stderr)
	}
	var rep loadgen.Report
	if err := json.Unmarshal([]byte(stdout), &rep); err != nil {
		t.Fatal(err)
	}
	// It stops at the time limit, not after the 1 000 applications (which
	// would take 75 s at 150 ms each with 2 citizens): the report says so.
	// How long the run took depends on the machine and is not checked.
	if rep.Stopped != "Zeitlimit" || rep.Succeeded >= 1000 || rep.Failed != 0 || rep.Attempted != rep.Succeeded+rep.Cancelled {
		t.Errorf("report %+v", rep)
	}
	if got := n.Load(); got > int64(rep.Attempted) {
		t.Errorf("server saw %d submissions, report %d attempted", got, rep.Attempted)
	}
}

func TestLoadStopsOnCancel(t *testing.T) {
	// The run is cancelled when the first application is answered: then
	// it is under way however fast the machine is (a deadline could end
	// it while it still reads the service).
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	srv, n := fakeAPI(t, 100*time.Millisecond, func(i int64) (int, string) {
		cancel()
		return created(i)
	})
	stdout, stderr, err := runLoadCmd(ctx, "--url", srv.URL, "--mode", "api", "--citizens", "3", "--count", "1000", "--duration", "1h")
	if err != nil {
		t.Fatalf("%v\n%s", err, stderr)
	}
	// Stopped by the cancel, not after the 1 000 applications (33 s).
	if !strings.Contains(stdout, "Vorzeitig beendet: abgebrochen") {
		t.Errorf("report:\n%s", stdout)
	}
	if got := n.Load(); got >= 1000 {
		t.Errorf("server saw %d submissions after the cancel at the first answer", got)
	}
}

func TestLoadReportsFailures(t *testing.T) {
	srv, _ := fakeAPI(t, 0, func(n int64) (int, string) {
		if n%2 == 0 {
			return http.StatusUnprocessableEntity, `{"type":"about:blank","title":"Antrag unvollständig oder fehlerhaft","status":422,` +
				`"detail":"1 Angabe ist zu korrigieren.","errors":[{"path":"G1.F2","code":"required","message":"Bitte angeben."}]}`
		}
		return created(n)
	})
	stdout, stderr, err := runLoadCmd(context.Background(), "--url", srv.URL, "--mode", "api", "--citizens", "1", "--count", "10")
	var ee exitError
	if !errors.As(err, &ee) || ee.code != 1 {
		t.Fatalf("err = %v, want exit status 1", err)
	}
	for _, want := range []string{"10 versucht, 5 erfolgreich, 5 fehlgeschlagen", "Fehler (die ersten 5 von 5)", "422 Antrag unvollständig", "G1.F2: Bitte angeben."} {
		if !strings.Contains(stdout, want) {
			t.Errorf("report lacks %q:\n%s", want, stdout)
		}
	}
	if !strings.Contains(stderr, "5 von 10 Anträgen fehlgeschlagen") {
		t.Errorf("stderr: %s", stderr)
	}
}

// withoutFee takes the online fee off a service of the demo (load and the
// multi-process test make applications that are delivered at once).
func withoutFee(t *testing.T, db *store.DB, tenantSlug, slug string) {
	t.Helper()
	ctx := context.Background()
	tn, err := db.TenantBySlug(ctx, tenantSlug)
	if err != nil {
		t.Fatal(err)
	}
	svc, err := db.ServiceBySlug(ctx, tn.ID, slug)
	if err != nil {
		t.Fatal(err)
	}
	svc.Fee = nil
	if err := db.UpdateService(ctx, svc); err != nil {
		t.Fatal(err)
	}
}
