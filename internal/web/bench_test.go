package web_test

import (
	"bytes"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"testing"
	"time"
)

// staticBaseline is the baseline of the web benchmarks: the same server
// (listener, net/http stack, connection reuse) answering a GET with a fixed
// body of the given size through http.ServeContent, which is what serving a
// static file of that size costs. It returns its URL.
func staticBaseline(b *testing.B, h *harness, size int) string {
	body := bytes.Repeat([]byte("x"), size)
	path := fmt.Sprintf("/_test/static-%d.html", size)
	h.extra.HandleFunc("GET "+path, func(w http.ResponseWriter, r *http.Request) {
		http.ServeContent(w, r, "static.html", time.Time{}, bytes.NewReader(body))
	})
	return h.srv.URL + path
}

func benchGet(b *testing.B, url string) int {
	resp, err := http.Get(url)
	if err != nil {
		b.Fatal(err)
	}
	n, _ := io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		b.Fatalf("GET %s: %d", url, resp.StatusCode)
	}
	return int(n)
}

// BenchmarkStep renders the step with the most inputs of the largest demo
// form (S05000001323) with its example data, against the static baseline.
func BenchmarkStep(b *testing.B) {
	h := newHarness(b)
	sv := h.service("beispielkreis", "krankheitserreger")
	ex := sv.form.Example(sv.ctx)
	base := h.start(sv)
	h.fill(sv, base, ex)
	best, bestN := 1, 0
	for _, st := range sv.form.Steps {
		v, _ := sv.form.FormValues(st, ex)
		if len(v) > bestN {
			best, bestN = st.Index+1, len(v)
		}
	}
	page := h.srv.URL + fmt.Sprintf("%s/schritt/%d", base, best)
	size := benchGet(b, page)
	static := staticBaseline(b, h, size)
	b.Run(fmt.Sprintf("baseline-static-%dB", size), func(b *testing.B) {
		for b.Loop() {
			benchGet(b, static)
		}
	})
	b.Run(fmt.Sprintf("step-%d-%dinputs", best, bestN), func(b *testing.B) {
		for b.Loop() {
			benchGet(b, page)
		}
	})
}

// BenchmarkSubmission measures sending an application of S05000001323: the
// final validation with all rules, storing the submission with its
// attachments in one transaction, the confirmation page and the receipt
// PDF. Each iteration sends a fresh draft, filled (files included) while
// the timer is stopped.
func BenchmarkSubmission(b *testing.B) {
	h := newHarness(b)
	sv := h.service("beispielkreis", "krankheitserreger")
	ex := sv.form.Example(sv.ctx)
	first := h.start(sv)
	h.fill(sv, first, ex)
	size := benchGet(b, h.srv.URL+first+"/pruefen")
	static := staticBaseline(b, h, size)
	b.Run(fmt.Sprintf("baseline-static-%dB", size), func(b *testing.B) {
		for b.Loop() {
			benchGet(b, static)
		}
	})
	b.Run("submit+confirmation+pdf", func(b *testing.B) {
		for b.Loop() {
			b.StopTimer()
			base := h.start(sv)
			h.fill(sv, base, ex)
			b.StartTimer()
			resp := h.do(h.client, "POST", base+"/absenden", url.Values{})
			if resp.status != http.StatusSeeOther {
				b.Fatalf("submit: %d %s", resp.status, problemsOf(resp.body))
			}
			benchGet(b, h.srv.URL+base+"/bestaetigung")
			benchGet(b, h.srv.URL+base+"/antrag.pdf")
		}
	})
}

// BenchmarkAPISubmissionDurability measures JSON API submissions (201
// with a Vorgangsnummer, committed with its delivery job) with SQLite's
// synchronous=FULL, which antrag uses, against NORMAL, which may lose the
// last commits on power failure; the two alternate within one run.
func BenchmarkAPISubmissionDurability(b *testing.B) {
	h := newHarness(b)
	sv := h.service("musterstadt", "bewohnerparkausweis")
	// The applicant holds the vehicle: no holder's group, no files.
	ex := sv.form.Example(sv.ctx)
	delete(ex, "G05000499")
	ex["G05000477"].(map[string]any)["F05001047"] = elementAt(sv, "F05001047").Codes()[0].Code
	if ps, _ := sv.form.Rules.Validate(ex, sv.ctx); len(ps) > 0 {
		b.Fatalf("document does not pass: %v", ps)
	}
	// Rounds alternate the modes, so that both see the same machine load
	// (go test -count repeats each sub-benchmark in a row).
	rounds := 1
	if s := os.Getenv("ANTRAG_BENCH_ROUNDS"); s != "" {
		fmt.Sscan(s, &rounds)
	}
	for i := range rounds * 2 {
		mode := []string{"NORMAL", "FULL"}[i%2]
		b.Run("synchronous="+mode, func(b *testing.B) {
			if _, err := h.db.SQL().Exec("PRAGMA synchronous=" + mode); err != nil {
				b.Fatal(err)
			}
			for b.Loop() {
				if r := h.apiSubmit("musterstadt", "bewohnerparkausweis", ex); r.status != http.StatusCreated {
					b.Fatalf("submit: %d %s", r.status, r.body)
				}
			}
		})
	}
	if _, err := h.db.SQL().Exec("PRAGMA synchronous=FULL"); err != nil {
		b.Fatal(err)
	}
}
