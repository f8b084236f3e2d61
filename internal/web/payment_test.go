package web_test

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/PuerkitoBio/goquery"
	"github.com/antrag/antrag/internal/demo"
	"github.com/antrag/antrag/internal/payment"
	"github.com/antrag/antrag/internal/submission"
)

// payJourney is an application to the demo's Bewohnerparkausweis (a
// mandatory fee of 30 € per year) for two years, sent up to the pay page.
type payJourney struct {
	h       *harness
	sv      *service
	base    string
	payPage string
}

func startPaying(t *testing.T, h *harness) *payJourney {
	t.Helper()
	sv := h.service("musterstadt", "bewohnerparkausweis")
	ex := sv.form.Example(sv.ctx)
	g, _ := ex["G05000493"].(map[string]any)
	if g == nil {
		t.Fatal("example lacks G05000493")
	}
	g["F05001064"] = "2" // Gültigkeitsdauer: 2 Jahre
	base := h.start(sv)
	h.fill(sv, base, ex)
	sum := h.get(base + "/pruefen")
	for _, want := range []string{"Gebühr", "60,00 €", "30,00 €", "Zahlungspflichtig absenden und bezahlen"} {
		if !strings.Contains(sum.body, want) {
			t.Fatalf("summary lacks %q", want)
		}
	}
	resp := h.do(h.client, "POST", base+"/absenden", url.Values{})
	if resp.status != http.StatusSeeOther || resp.location != base+"/zahlung" {
		t.Fatalf("absenden: %d %q", resp.status, resp.location)
	}
	payPage := h.payLink(base)
	if !strings.HasPrefix(payPage, h.payURL+"bezahlen/") {
		t.Fatalf("pay page %q", payPage)
	}
	return &payJourney{h: h, sv: sv, base: base, payPage: payPage}
}

// sub returns the stored application.
func (j *payJourney) sub(t *testing.T) *submission.Submission {
	t.Helper()
	conf := j.h.get(j.base + "/bestaetigung")
	ref := referenceRE.FindString(conf.body)
	if conf.status != http.StatusOK || ref == "" {
		t.Fatalf("confirmation: %d, reference %q", conf.status, ref)
	}
	s, err := j.h.db.SubmissionByReference(context.Background(), j.sv.tenant.ID, ref)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func (j *payJourney) deliveries(t *testing.T) int {
	t.Helper()
	ds, err := j.h.db.Deliveries(context.Background(), j.sv.tenant.ID, j.sub(t).ID)
	if err != nil {
		t.Fatal(err)
	}
	return len(ds)
}

func (j *payJourney) attempts(t *testing.T) []*payment.Attempt {
	t.Helper()
	as, err := j.h.db.Attempts(context.Background(), j.sv.tenant.ID, j.sub(t).ID)
	if err != nil {
		t.Fatal(err)
	}
	return as
}

// held checks that the application is stored, not delivered, and says so.
func (j *payJourney) held(t *testing.T) {
	t.Helper()
	if s := j.sub(t); s.Payment != payment.Open {
		t.Fatalf("payment state %q, want open", s.Payment)
	}
	if n := j.deliveries(t); n != 0 {
		t.Fatalf("unpaid application has %d deliveries", n)
	}
	conf := j.h.get(j.base + "/bestaetigung")
	if !strings.Contains(conf.body, "die Gebühr ist noch nicht bezahlt") || strings.Contains(conf.body, "Ihr Antrag ist eingegangen") {
		t.Fatal("confirmation of an unpaid application does not say so")
	}
}

// paid checks that the application is paid and delivered once.
func (j *payJourney) paid(t *testing.T) {
	t.Helper()
	s := j.sub(t)
	if s.Payment != payment.Paid {
		t.Fatalf("payment state %q, want paid", s.Payment)
	}
	if n := j.deliveries(t); n == 0 {
		t.Fatal("paid application not delivered")
	}
	conf := j.h.get(j.base + "/bestaetigung")
	var paid *payment.Attempt
	for _, a := range j.attempts(t) {
		if a.Status == payment.Payed {
			if paid != nil {
				t.Fatal("two paid attempts")
			}
			paid = a
		}
	}
	if paid == nil || paid.Amount != 6000 || paid.TransactionReference == "" {
		t.Fatalf("paid attempt %+v", paid)
	}
	for _, want := range []string{"Ihr Antrag ist eingegangen", "Kassenzeichen", paid.TransactionReference, "60,00 €", "Bezahlt"} {
		if !strings.Contains(conf.body, want) {
			t.Errorf("confirmation lacks %q", want)
		}
	}
}

func TestPaymentPayThenDeliver(t *testing.T) {
	h := newHarness(t)
	j := startPaying(t, h)
	j.held(t)
	back := h.payOnPage(j.payPage, "bezahlen")
	if back.status != http.StatusSeeOther || back.location != j.base+"/bestaetigung" {
		t.Fatalf("return: %d %q", back.status, back.location)
	}
	j.paid(t)
	n, creates := j.deliveries(t), h.pay.Creates()
	// A double return to the redirect URL, and asking to pay again, change
	// nothing: no second delivery, no second transaction.
	for range 2 {
		if r := h.get(j.base + "/zahlung/rueckkehr"); r.status != http.StatusSeeOther || r.location != j.base+"/bestaetigung" {
			t.Fatalf("second return: %d %q", r.status, r.location)
		}
	}
	if r := h.do(h.client, "POST", j.base+"/zahlung", url.Values{}); r.status != http.StatusSeeOther || r.location != j.base+"/bestaetigung" {
		t.Fatalf("pay again: %d %q", r.status, r.location)
	}
	if j.deliveries(t) != n || h.pay.Creates() != creates {
		t.Fatalf("after double return: %d deliveries (was %d), %d transactions (was %d)", j.deliveries(t), n, h.pay.Creates(), creates)
	}
	// The provider got the computed bill with the Vorgangsnummer.
	s := j.sub(t)
	if s.Bill == nil || s.Bill.Total != 6000 || len(s.Bill.Items) != 1 || s.Bill.Items[0].Quantity != 2 {
		t.Fatalf("bill %+v", s.Bill)
	}
	a := j.attempts(t)[0]
	info, err := h.pay.Info(a.TransactionID)
	if err != nil || info.Status != payment.Payed {
		t.Fatalf("sandbox: %+v %v", info, err)
	}
	// The caseworker sees the payment.
	page := h.do(h.staffClient("musterstadt"), "GET", "/intern/antraege/"+s.ID, nil)
	for _, want := range []string{"Gebühr und Zahlung", a.TransactionReference, "Bezahlt", "Kreditkarte"} {
		if !strings.Contains(page.body, want) {
			t.Errorf("inbox page lacks %q", want)
		}
	}
}

func TestPaymentFailRetryPay(t *testing.T) {
	h := newHarness(t)
	j := startPaying(t, h)
	back := h.payOnPage(j.payPage, "scheitern")
	if back.status != http.StatusSeeOther || back.location != j.base+"/zahlung" {
		t.Fatalf("return after failure: %d %q", back.status, back.location)
	}
	page := h.get(j.base + "/zahlung")
	if !strings.Contains(page.body, "fehlgeschlagen") || !strings.Contains(page.body, "Zahlung erneut versuchen") {
		t.Fatal("payment page does not offer a retry after a failure")
	}
	j.held(t)
	r := h.do(h.client, "POST", j.base+"/zahlung", url.Values{})
	next := h.payLink(j.base)
	if r.status != http.StatusSeeOther || r.location != j.base+"/zahlung" || next == j.payPage {
		t.Fatalf("retry: %d %q, pay page %q (first %q)", r.status, r.location, next, j.payPage)
	}
	if back := h.payOnPage(next, "bezahlen"); back.location != j.base+"/bestaetigung" {
		t.Fatalf("return after paying: %q", back.location)
	}
	j.paid(t)
	as := j.attempts(t)
	if len(as) != 2 || as[0].Status != payment.Failed || as[1].Status != payment.Payed || as[0].RequestID == as[1].RequestID {
		t.Fatalf("attempts: %+v, %+v", as[0], as[len(as)-1])
	}
}

func TestPaymentCancel(t *testing.T) {
	h := newHarness(t)
	j := startPaying(t, h)
	back := h.payOnPage(j.payPage, "abbrechen")
	if back.location != j.base+"/zahlung" {
		t.Fatalf("return after cancel: %q", back.location)
	}
	if page := h.get(j.base + "/zahlung"); !strings.Contains(page.body, "abgebrochen") {
		t.Fatal("payment page does not say the payment was cancelled")
	}
	j.held(t)
	// The caseworker sees it unpaid, with a manual check.
	s := j.sub(t)
	detail := h.do(h.staffClient("musterstadt"), "GET", "/intern/antraege/"+s.ID, nil)
	for _, want := range []string{"Die Gebühr ist noch nicht bezahlt", "Abgebrochen", "Zahlungsstatus erneut prüfen"} {
		if !strings.Contains(detail.body, want) {
			t.Errorf("inbox page lacks %q", want)
		}
	}
	// It cannot be processed before it is paid.
	if r := h.do(h.staffClient("musterstadt"), "POST", "/intern/antraege/"+s.ID+"/status", url.Values{"status": {"in_bearbeitung"}}); r.status != http.StatusConflict {
		t.Errorf("status change of an unpaid application: %d", r.status)
	}
	if strings.Contains(detail.body, "Status speichern") {
		t.Error("the inbox offers to change the status of an unpaid application")
	}
	list := page(t, h.do(h.staffClient("musterstadt"), "GET", "/intern/", nil))
	row := list.Find("#antraege tr").FilterFunction(func(_ int, sel *goquery.Selection) bool {
		return strings.Contains(sel.Text(), s.Reference)
	})
	if !strings.Contains(row.Text(), "Zahlung ausstehend") {
		t.Errorf("inbox list row of an unpaid application: %q", row.Text())
	}
}

// TestPaymentLaterReconciled: the citizen leaves the pay page with "pay
// later"; the provider reports PAYED later, and reconciliation (the job
// queue's pass) finds it and delivers.
func TestPaymentLaterReconciled(t *testing.T) {
	h := newHarness(t)
	j := startPaying(t, h)
	back := h.payOnPage(j.payPage, "spaeter")
	if back.location != j.base+"/zahlung" {
		t.Fatalf("return after 'later': %q", back.location)
	}
	page := h.get(j.base + "/zahlung")
	if !strings.Contains(page.body, "Weiter zur Bezahlseite") || !strings.Contains(page.body, j.payPage) {
		t.Fatal("payment page does not lead back to the open pay page")
	}
	// Asking to pay again continues the open transaction.
	creates := h.pay.Creates()
	if r := h.do(h.client, "POST", j.base+"/zahlung", url.Values{}); h.payLink(j.base) != j.payPage || h.pay.Creates() != creates {
		t.Fatalf("pay again with an open transaction: %q, %d creates (was %d)", r.location, h.pay.Creates(), creates)
	}
	j.held(t)
	a := j.attempts(t)[0]
	if err := h.pay.Set(a.TransactionID, payment.Payed); err != nil {
		t.Fatal(err)
	}
	h.now = h.now.Add(2 * time.Minute)
	if err := h.payments.Reconcile(context.Background()); err != nil {
		t.Fatal(err)
	}
	j.paid(t)
}

// TestPaymentFailedThenPayed is case C10: the provider first reports
// FAILED and later PAYED for the same transaction; the later status wins,
// found by the caseworker's "check again" here, and every change is in
// the audit trail.
func TestPaymentFailedThenPayed(t *testing.T) {
	h := newHarness(t)
	j := startPaying(t, h)
	h.payOnPage(j.payPage, "scheitern")
	j.held(t)
	a := j.attempts(t)[0]
	if err := h.pay.Set(a.TransactionID, payment.Payed); err != nil {
		t.Fatal(err)
	}
	s := j.sub(t)
	staff := h.staffClient("musterstadt")
	if r := h.do(staff, "POST", "/intern/antraege/"+s.ID+"/zahlung", url.Values{}); r.status != http.StatusSeeOther {
		t.Fatalf("check again: %d", r.status)
	}
	j.paid(t)
	evs, err := h.db.Events(context.Background(), s.TenantID, s.ID)
	if err != nil {
		t.Fatal(err)
	}
	var trail []string
	for _, e := range evs {
		if e.Action == "zahlung" {
			trail = append(trail, e.Actor+": "+e.Detail)
		}
	}
	joined := strings.Join(trail, "\n")
	for _, want := range []string{"INITIAL → FAILED", "FAILED → PAYED", demo.Users["musterstadt"]} {
		if !strings.Contains(joined, want) {
			t.Errorf("audit trail lacks %q:\n%s", want, joined)
		}
	}
}

func TestPaymentProviderDown(t *testing.T) {
	h := newHarness(t)
	sv := h.service("musterstadt", "bewohnerparkausweis")
	base := h.start(sv)
	h.fill(sv, base, sv.form.Example(sv.ctx))
	h.pay.SetDown(true)
	r := h.do(h.client, "POST", base+"/absenden", url.Values{})
	if r.status != http.StatusSeeOther || r.location != base+"/zahlung" {
		t.Fatalf("absenden with the provider down: %d %q", r.status, r.location)
	}
	page := h.get(base + "/zahlung")
	for _, want := range []string{"nicht erreichbar", "geht nicht verloren", "Zahlung erneut versuchen"} {
		if !strings.Contains(page.body, want) {
			t.Errorf("payment page lacks %q", want)
		}
	}
	j := &payJourney{h: h, sv: sv, base: base}
	j.held(t)
	h.pay.SetDown(false)
	r = h.do(h.client, "POST", base+"/zahlung", url.Values{})
	if r.location != base+"/zahlung" {
		t.Fatalf("retry once the provider is back: %d %q", r.status, r.location)
	}
	h.payOnPage(h.payLink(base), "bezahlen")
	s := j.sub(t)
	if s.Payment != payment.Paid || j.deliveries(t) == 0 {
		t.Fatalf("after retry: %q, %d deliveries", s.Payment, j.deliveries(t))
	}
}

// TestPaymentRecoveredAfterRestart: the citizen paid, but the process
// ended before it learned so (the return never arrived). A new process's
// reconciliation finds PAYED and delivers, once.
func TestPaymentRecoveredAfterRestart(t *testing.T) {
	h := newHarness(t)
	j := startPaying(t, h)
	a := j.attempts(t)[0]
	if err := h.pay.Set(a.TransactionID, payment.Payed); err != nil { // paid; the redirect back is lost
		t.Fatal(err)
	}
	j.held(t)
	// A new process: a new collector on the same database.
	restarted := &payment.Collector{Store: h.db, Now: func() time.Time { return h.now.Add(time.Minute) }, NewProvider: h.payments.NewProvider}
	if err := restarted.Reconcile(context.Background()); err != nil {
		t.Fatal(err)
	}
	j.paid(t)
	n := j.deliveries(t)
	if err := restarted.Reconcile(context.Background()); err != nil {
		t.Fatal(err)
	}
	if back := h.payOnPage(j.payPage, "bezahlen"); back.status != http.StatusSeeOther {
		t.Logf("late return: %d", back.status)
	}
	if j.deliveries(t) != n {
		t.Fatal("delivered twice")
	}
}

func TestPaymentOptionalAndDeferred(t *testing.T) {
	h := newHarness(t)
	// Optional: sent without online payment, delivered at once.
	sv := h.service("musterstadt", "gewerbeanmeldung")
	base := h.start(sv)
	h.fill(sv, base, sv.form.Example(sv.ctx))
	if sum := h.get(base + "/pruefen"); !strings.Contains(sum.body, "Absenden, später bezahlen") || !strings.Contains(sum.body, "26,00 €") {
		t.Fatal("summary of an optional fee lacks its choice")
	}
	r := h.do(h.client, "POST", base+"/absenden", url.Values{"zahlung": {"spaeter"}})
	if r.location != base+"/bestaetigung" {
		t.Fatalf("optional fee, later: %d %q", r.status, r.location)
	}
	j := &payJourney{h: h, sv: sv, base: base}
	if s := j.sub(t); s.Payment != payment.Waived || j.deliveries(t) == 0 {
		t.Fatalf("optional fee, later: %q, %d deliveries", s.Payment, j.deliveries(t))
	}
	// Deferred: invoiced later, delivered at once, nothing paid online.
	sv = h.service("beispielkreis", "jagdschein")
	base = h.start(sv)
	h.fill(sv, base, sv.form.Example(sv.ctx))
	creates := h.pay.Creates()
	ref, conf := h.submit(base)
	j = &payJourney{h: h, sv: sv, base: base}
	if s := j.sub(t); s.Payment != payment.DeferredState || j.deliveries(t) == 0 || h.pay.Creates() != creates || s.Reference != ref {
		t.Fatalf("deferred fee: %q, %d deliveries, %d transactions", s.Payment, j.deliveries(t), h.pay.Creates()-creates)
	}
	if !strings.Contains(conf, "in Rechnung gestellt") {
		t.Error("confirmation of a deferred fee does not say it is invoiced")
	}
}

// TestPaymentAPI: a JSON API submission with a mandatory fee is stored and
// held; the answer names the pay page; the status address, to which the
// pay page returns, asks the provider and shows it paid.
func TestPaymentAPI(t *testing.T) {
	h := newHarness(t)
	sv := h.service("musterstadt", "bewohnerparkausweis")
	ex := sv.form.Example(sv.ctx)
	session := ""
	replaceFiles(ex, func(ref map[string]any) map[string]any {
		name, _ := ref["filename"].(string)
		req, _ := http.NewRequest("POST", h.srv.URL+"/api/v1/forms/musterstadt.bewohnerparkausweis/attachments?filename="+url.QueryEscape(name), bytes.NewReader(pdfFile(name)))
		if session != "" {
			req.Header.Set("Antrag-Entwurf", session)
		}
		r := h.send(h.client, req)
		var out struct {
			Draft string         `json:"draft"`
			File  map[string]any `json:"file"`
		}
		if err := json.Unmarshal([]byte(r.body), &out); err != nil || r.status != http.StatusCreated {
			t.Fatalf("upload: %d %s", r.status, r.body)
		}
		session = out.Draft
		return out.File
	})
	body, _ := json.Marshal(map[string]any{"data": ex})
	req, _ := http.NewRequest("POST", h.srv.URL+"/api/v1/forms/musterstadt.bewohnerparkausweis/submissions", bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	if session != "" {
		req.Header.Set("Antrag-Entwurf", session)
	}
	r := h.send(h.client, req)
	var got struct {
		ID      string
		Payment struct {
			State, Status, PayURL, TransactionReference string
			Amount                                      float64
		}
	}
	if err := json.Unmarshal([]byte(r.body), &got); err != nil || r.status != http.StatusCreated {
		t.Fatalf("submit: %d %s", r.status, r.body)
	}
	if got.Payment.State != "open" || got.Payment.Status != "INITIAL" || !strings.HasPrefix(got.Payment.PayURL, h.payURL) || got.Payment.Amount != 30 {
		t.Fatalf("payment: %+v", got.Payment)
	}
	ds, _ := h.db.Deliveries(context.Background(), sv.tenant.ID, got.ID)
	if len(ds) != 0 {
		t.Fatal("unpaid API submission delivered")
	}
	preq, _ := http.NewRequest("POST", got.Payment.PayURL, strings.NewReader("aktion=bezahlen"))
	preq.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	if pr := h.send(h.client, preq); pr.status != http.StatusSeeOther || !strings.HasSuffix(pr.location, "/submissions/"+got.ID) {
		t.Fatalf("pay page: %d %q", pr.status, pr.location)
	}
	st := h.get("/api/v1/forms/musterstadt.bewohnerparkausweis/submissions/" + got.ID)
	if err := json.Unmarshal([]byte(st.body), &got); err != nil || got.Payment.State != "paid" || got.Payment.Status != "PAYED" || got.Payment.TransactionReference == "" {
		t.Fatalf("status after paying: %d %s", st.status, st.body)
	}
	ds, _ = h.db.Deliveries(context.Background(), sv.tenant.ID, got.ID)
	if len(ds) == 0 {
		t.Fatal("paid API submission not delivered")
	}
	// Paying again is refused: nothing is asked twice.
	payAgain := func(id, body string) response {
		form := "musterstadt.bewohnerparkausweis"
		if id != got.ID {
			form = "musterstadt.gewerbeanmeldung"
		}
		req, _ := http.NewRequest("POST", h.srv.URL+"/api/v1/forms/"+form+"/submissions/"+id+"/payment", strings.NewReader(body))
		req.Header.Set("Content-Type", "application/json")
		return h.send(h.client, req)
	}
	if ar := payAgain(got.ID, ""); ar.status != http.StatusConflict {
		t.Fatalf("pay again: %d %s", ar.status, ar.body)
	}
	if ar := payAgain("00000000-0000-4000-8000-000000000000", ""); ar.status != http.StatusNotFound {
		t.Fatalf("pay for an unknown submission: %d %s", ar.status, ar.body)
	}

	// An application whose payment fails is paid on a new attempt (the
	// Gewerbeanmeldung: an optional fee, paid online unless "later").
	gw := h.service("musterstadt", "gewerbeanmeldung")
	body, _ = json.Marshal(map[string]any{"data": gw.form.Example(gw.ctx)})
	req, _ = http.NewRequest("POST", h.srv.URL+"/api/v1/forms/musterstadt.gewerbeanmeldung/submissions", bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Idempotency-Key", "zweiter-antrag")
	r = h.send(h.client, req)
	var second struct {
		ID      string
		Payment struct{ State, PayURL, Problem string }
	}
	if err := json.Unmarshal([]byte(r.body), &second); err != nil || r.status != http.StatusCreated || second.Payment.PayURL == "" {
		t.Fatalf("second submission: %d %s", r.status, r.body)
	}
	preq, _ = http.NewRequest("POST", second.Payment.PayURL, strings.NewReader("aktion=scheitern"))
	preq.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	h.send(h.client, preq)
	if ar := payAgain(second.ID, `{"returnUrl": "javascript:alert(1)"}`); ar.status != http.StatusBadRequest {
		t.Fatalf("pay again with a bad returnUrl: %d %s", ar.status, ar.body)
	}
	ar := payAgain(second.ID, `{"returnUrl": "https://fachportal.example/zurueck"}`)
	var retried struct {
		Payment struct{ State, Status, PayURL string }
	}
	if err := json.Unmarshal([]byte(ar.body), &retried); err != nil || ar.status != http.StatusOK || retried.Payment.State != "open" ||
		retried.Payment.Status != "INITIAL" || retried.Payment.PayURL == "" || retried.Payment.PayURL == second.Payment.PayURL {
		t.Fatalf("pay again after a failure: %d %s", ar.status, ar.body)
	}
}

// TestPaymentStartPageShowsFee: the start page states the fee before the
// first step: a fixed amount, or what the answers decide, and how it is
// paid.
func TestPaymentStartPageShowsFee(t *testing.T) {
	h := newHarness(t)
	for _, c := range []struct{ tenant, slug, want, how string }{
		{"musterstadt", "bewohnerparkausweis", "Bewohnerparkausweis, je Jahr Gültigkeit: 30,00 € je Einheit, Anzahl nach Ihren Angaben", "beim Absenden online"},
		{"musterstadt", "gewerbeanmeldung", "Gewerbeanmeldung: 26,00 €", "online bezahlen oder später"},
		{"beispielkreis", "jagdschein", "Ersterteilung Jagdschein: 60,00 €", "in Rechnung gestellt"},
	} {
		doc := page(t, h.get("/"+c.tenant+"/dienste/"+c.slug))
		if got := strings.TrimSpace(doc.Find("#gebuehren li").First().Text()); got != c.want {
			t.Errorf("%s: fee line %q, want %q", c.slug, got, c.want)
		}
		if !strings.Contains(doc.Find("main").Text(), c.how) {
			t.Errorf("%s: start page does not say the fee is paid %q", c.slug, c.how)
		}
	}
	if n := page(t, h.get("/musterstadt/dienste/waffenbesitzkarte")).Find("#gebuehren").Length(); n != 0 {
		t.Error("a service without a fee lists one")
	}
}
