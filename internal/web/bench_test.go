package web_test

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/antrag/antrag/internal/delivery"
	"github.com/antrag/antrag/internal/submission"
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
	sv := h.unrouted(h.service("beispielkreis", "krankheitserreger"))
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
	sv := h.unrouted(h.service("beispielkreis", "krankheitserreger"))
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

// BenchmarkReceiptDownload measures the download of the receipt PDF of a
// sent application of S05000001323 (the largest demo form, example data):
// "stored" is a repeat download, read from the blob store; "rendered" is a
// download whose stored copy is gone (deleted while the timer is
// stopped), so the receipt is rendered and stored again, as on the first
// download. Baseline: a static body of the PDF's size on the same server.
func BenchmarkReceiptDownload(b *testing.B) {
	h := newHarness(b)
	sv := h.unrouted(h.service("beispielkreis", "krankheitserreger"))
	ex := sv.form.Example(sv.ctx)
	base := h.start(sv)
	h.fill(sv, base, ex)
	ref, _ := h.submit(base)
	pdf := h.srv.URL + base + "/antrag.pdf"
	size := benchGet(b, pdf)
	static := staticBaseline(b, h, size)
	stored := func() string {
		s, err := h.db.SubmissionByReference(b.Context(), sv.tenant.ID, ref)
		if err != nil || s.ReceiptKey == "" {
			b.Fatalf("stored receipt: %v %q", err, s.ReceiptKey)
		}
		return s.ReceiptKey
	}
	b.Run(fmt.Sprintf("baseline-static-%dB", size), func(b *testing.B) {
		for b.Loop() {
			benchGet(b, static)
		}
	})
	b.Run("stored", func(b *testing.B) {
		for b.Loop() {
			benchGet(b, pdf)
		}
	})
	b.Run("rendered", func(b *testing.B) {
		for b.Loop() {
			b.StopTimer()
			if err := h.blobs.Delete(b.Context(), stored()); err != nil {
				b.Fatal(err)
			}
			b.StartTimer()
			benchGet(b, pdf)
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

// BenchmarkInbox renders caseworker inbox pages over 10,000 applications
// of one tenant (seeded through the store, 1,000 more in the other
// tenant): the first page, a filtered page, a page deep in the list, the
// sparse filter of failed deliveries and the two searches, against the
// static baseline of the first page's size.
func BenchmarkInbox(b *testing.B) {
	h := newHarness(b)
	start := h.now.Add(-365 * 24 * time.Hour)
	step := 365 * 24 * time.Hour / 10000
	trade := seedBench(b, h, "musterstadt", "gewerbeanmeldung", 5000, start, 2*step, 0)
	parking := seedBench(b, h, "musterstadt", "bewohnerparkausweis", 5000, start.Add(step), 2*step, 1)
	seedBench(b, h, "beispielkreis", "heimarbeit", 1000, start, 10*step, 0)
	ctx := b.Context()
	for _, s := range trade[:20] {
		ds, err := h.db.Deliveries(ctx, s.TenantID, s.ID)
		if err != nil {
			b.Fatal(err)
		}
		from := ds[0].State
		ds[0].State = delivery.Failed
		if err := h.db.UpdateDelivery(ctx, ds[0], from, nil); err != nil {
			b.Fatal(err)
		}
	}
	sender := parking[1234]
	if _, err := h.db.SQL().ExecContext(ctx, `UPDATE submissions SET source = 'fitconnect', sender_ref = $1 WHERE id = $2`,
		"Az. 32-1/2026", sender.ID); err != nil {
		b.Fatal(err)
	}
	c := h.staffClient("musterstadt")
	get := func(b *testing.B, path string) int {
		r := h.do(c, "GET", path, nil)
		if r.status != http.StatusOK {
			b.Fatalf("GET %s: %d", path, r.status)
		}
		return len(r.body)
	}
	first := "/intern/"
	next, ok := page(b, h.do(c, "GET", first, nil)).Find("a[rel=next]").Attr("href")
	if !ok {
		b.Fatal("no next page")
	}
	deep := "/intern/?nach=" + url.QueryEscape(submission.CursorOf(trade[2500]).String())
	pages := []struct{ name, path string }{
		{"first-page", first},
		{"second-page", next},
		{"deep-page", deep},
		{"filtered-service-status-dates", "/intern/?dienst=" + trade[0].ServiceID + "&status=in_bearbeitung&von=01.03.2025&bis=2025-12-31"},
		{"filtered-delivery-failed", "/intern/?zustellung=fehlgeschlagen"},
		{"search-vorgangsnummer", "/intern/?q=" + url.QueryEscape(strings.ToLower(strings.ReplaceAll(trade[4321].Reference, "-", "")))},
		{"search-sender-reference", "/intern/?q=" + url.QueryEscape("Az. 32-1/2026")},
	}
	size := get(b, first)
	static := staticBaseline(b, h, size)
	b.Run(fmt.Sprintf("baseline-static-%dB", size), func(b *testing.B) {
		for b.Loop() {
			benchGet(b, static)
		}
	})
	for _, p := range pages {
		b.Run(p.name, func(b *testing.B) {
			for b.Loop() {
				get(b, p.path)
			}
		})
	}
}

// seedBench stores n applications of a demo service through the store in
// one go per application (Submit, as the journey does, without the
// journey), the first at start and each next step later; every third is
// in Bearbeitung, every seventh abgeschlossen (offset shifts the pattern).
func seedBench(b *testing.B, h *harness, tenantSlug, slug string, n int, start time.Time, step time.Duration, offset int) []*submission.Submission {
	b.Helper()
	ctx := b.Context()
	tn, err := h.db.TenantBySlug(ctx, tenantSlug)
	if err != nil {
		b.Fatal(err)
	}
	svc, err := h.db.ServiceBySlug(ctx, tn.ID, slug)
	if err != nil {
		b.Fatal(err)
	}
	data := []byte(`{"benchmark":true}`)
	sum := sha256.Sum256(data)
	out := make([]*submission.Submission, 0, n)
	for i := range n {
		st := submission.Eingegangen
		switch {
		case (i+offset)%7 == 0:
			st = submission.Abgeschlossen
		case (i+offset)%3 == 0:
			st = submission.InBearbeitung
		}
		s := &submission.Submission{TenantID: tn.ID, ServiceID: svc.ID, FormVersionID: svc.FormVersionID,
			AuthorityID: svc.AuthorityID, Reference: submission.NewReference(), Status: st, Data: data,
			DataSHA256: hex.EncodeToString(sum[:]), SubmittedAt: start.Add(time.Duration(i) * step)}
		got, _, _, err := h.db.Submit(ctx, s, &submission.Event{Actor: "Antragsteller", Action: "eingereicht"}, nil)
		if err != nil {
			b.Fatalf("Submit %d: %v", i, err)
		}
		out = append(out, got)
	}
	return out
}
