package main

import (
	"bytes"
	"context"
	"fmt"
	"html"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/antrag/antrag/internal/delivery"
	"github.com/antrag/antrag/internal/demo"
	"github.com/antrag/antrag/internal/loadgen"
	"github.com/antrag/antrag/internal/payment"
	"github.com/antrag/antrag/internal/payment/sandbox"
	"github.com/antrag/antrag/internal/payment/sandbox/sandboxtest"
	"github.com/antrag/antrag/internal/store"
	"github.com/antrag/antrag/internal/store/storetest"
	"github.com/antrag/antrag/internal/submission"
)

// The ePayment account of Musterstadt's authorities in the crash test: at
// the test's own sandbox, which outlives the antrag process. The
// originator differs from the demo's, so that a --demo start leaves the
// account alone.
const crashOriginator = "antrag-absturztest"

// crashPayment is one application with a mandatory fee, as the citizen
// sent it up to the provider's pay page.
type crashPayment struct {
	name      string // for messages
	draft     string // the draft's path, /musterstadt/antrag/{token}
	payPage   string // the sandbox's pay page (absolute)
	reference string // Vorgangsnummer
	sub       *submission.Submission
	attempt   *payment.Attempt
	back      string // where the pay page sent the citizen back (absolute)
}

// crashBrowse sends a request as a browser without JavaScript and returns
// the status, the Location header as sent (absolute or not) and the body.
func crashBrowse(c *http.Client, method, u, contentType string, body []byte) (int, string, string, error) {
	req, err := http.NewRequest(method, u, bytes.NewReader(body))
	if err != nil {
		return 0, "", "", err
	}
	req.Header.Set("Accept", "text/html,application/xhtml+xml")
	req.Header.Set("Sec-Fetch-Site", "same-origin")
	req.Header.Set("Sec-Fetch-Mode", "navigate")
	if method == "POST" {
		req.Header.Set("Content-Type", contentType)
		if pu, err := url.Parse(u); err == nil {
			req.Header.Set("Origin", pu.Scheme+"://"+pu.Host)
		}
	}
	resp, err := c.Do(req)
	if err != nil {
		return 0, "", "", err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	return resp.StatusCode, resp.Header.Get("Location"), string(b), err
}

// crashSend makes an application to svc through the HTML journey on
// base, up to "Zahlungspflichtig absenden und bezahlen", and returns the
// draft's path and the pay page antrag sends the citizen to.
func crashSend(c *http.Client, base string, svc *loadgen.Service, tag string) (draft, payPage string, err error) {
	f := svc.Form
	startPath := "/" + url.PathEscape(svc.Tenant) + "/dienste/" + url.PathEscape(svc.Slug)
	status, loc, body, err := crashBrowse(c, "POST", base+startPath, "application/x-www-form-urlencoded", nil)
	if err != nil {
		return "", "", err
	}
	if status != http.StatusSeeOther || !strings.HasSuffix(loc, "/schritt/1") {
		return "", "", fmt.Errorf("start: %d %q %.300s", status, loc, body)
	}
	draft = strings.TrimSuffix(strings.TrimPrefix(loc, base), "/schritt/1")
	next := draft + "/schritt/1"
	for range 2*len(f.Steps) + 2 {
		if strings.HasSuffix(next, "/pruefen") {
			break
		}
		status, loc, body, err := crashBrowse(c, "GET", base+next, "", nil)
		if err != nil {
			return "", "", err
		}
		if status == http.StatusSeeOther { // a step the answers hide
			next = strings.TrimPrefix(loc, base)
			continue
		}
		m := mpStepRE.FindStringSubmatch(next)
		if status != http.StatusOK || m == nil {
			return "", "", fmt.Errorf("GET %s: %d %.300s", next, status, body)
		}
		n, _ := strconv.Atoi(m[1])
		if n < 1 || n > len(f.Steps) {
			return "", "", fmt.Errorf("GET %s: no step page", next)
		}
		post, ctype := stepPost(f, f.Steps[n-1], svc.Example, func(field string, i int) string {
			return mpContent(fmt.Sprintf("%s-%s-%d", tag, field, i))
		})
		status, loc, body, err = crashBrowse(c, "POST", base+next, ctype, post)
		if err != nil {
			return "", "", err
		}
		if status != http.StatusSeeOther {
			return "", "", fmt.Errorf("POST %s (Weiter): %d %.500s", next, status, body)
		}
		next = strings.TrimPrefix(loc, base)
	}
	if !strings.HasSuffix(next, "/pruefen") {
		return "", "", fmt.Errorf("summary not reached after %d steps", len(f.Steps))
	}
	status, _, body, err = crashBrowse(c, "GET", base+draft+"/pruefen", "", nil)
	if err != nil {
		return "", "", err
	}
	if status != http.StatusOK || !strings.Contains(body, "Zahlungspflichtig absenden und bezahlen") {
		return "", "", fmt.Errorf("summary: %d, no button to send and pay", status)
	}
	status, loc, body, err = crashBrowse(c, "POST", base+draft+"/absenden", "application/x-www-form-urlencoded", nil)
	if err != nil {
		return "", "", err
	}
	if status != http.StatusSeeOther || loc != base+draft+"/zahlung" && loc != draft+"/zahlung" {
		return "", "", fmt.Errorf("absenden: %d %q %.300s", status, loc, body)
	}
	// The payment page links the pay page.
	status, _, body, err = crashBrowse(c, "GET", base+draft+"/zahlung", "", nil)
	if err != nil {
		return "", "", err
	}
	m := crashPayLinkRE.FindStringSubmatch(body)
	if status != http.StatusOK || m == nil {
		return "", "", fmt.Errorf("payment page: %d, no link to the pay page %.300s", status, body)
	}
	return draft, html.UnescapeString(m[1]), nil
}

var crashPayLinkRE = regexp.MustCompile(`id="bezahlseite" href="([^"]+)"`)

// crashPay decides the payment on the sandbox's pay page as the citizen
// does ("bezahlen") and returns where the page sends the browser back.
func crashPay(t *testing.T, c *http.Client, p *crashPayment) {
	t.Helper()
	status, loc, body, err := crashBrowse(c, "POST", p.payPage, "application/x-www-form-urlencoded", []byte("aktion=bezahlen"))
	if err != nil || status != http.StatusSeeOther {
		t.Fatalf("%s: paying on the pay page: %d %v %.300s", p.name, status, err, body)
	}
	p.back = loc
}

// TestCrashBetweenPaymentAndSubmission kills antrag (SIGKILL) between the
// provider's PAYED and antrag learning of it, and starts it again: the
// application, held with payment "open" and no deliveries, is found paid
// by the restarted process's reconciliation alone (no request of the
// citizen), released with its deliveries exactly once, and the payment's
// change is in its audit trail; the citizen's late return then shows the
// confirmation and delivers nothing again. Two applications to
// Bewohnerparkausweis (a mandatory fee), at a sandbox provider running in
// the test, which outlives antrag:
//
//   - "paid before the kill": the citizen pays while antrag runs; antrag
//     is killed before the return reaches it and before any check;
//   - "paid while down": antrag is killed while the transaction is
//     INITIAL; the citizen pays while it is down, and the pay page's
//     redirect back to antrag fails.
//
// The first process does not reconcile (interval 1 h; only the pass at
// its start, before the applications exist), so that neither payment is
// seen before the kill; the second reconciles every second. An attempt is
// first asked about a minute after it started (payment.Attempt.Schedule),
// so the recovery waits for that minute. On SQLite, and on PostgreSQL with
// ANTRAG_TEST_POSTGRES, at the same time.
func TestCrashBetweenPaymentAndSubmission(t *testing.T) {
	if testing.Short() {
		t.Skip("kills and restarts antrag; waits for the first reconciliation of a payment (a minute)")
	}
	for _, dialect := range []string{"sqlite", "postgres"} {
		t.Run(dialect, func(t *testing.T) {
			t.Parallel() // most of the time is the wait for the first check
			env := map[string]string{}
			if dialect == "postgres" {
				env["ANTRAG_DB"] = storetest.NewPostgresDatabase(t)
			}
			testCrashBetweenPaymentAndSubmission(t, env)
		})
	}
}

func testCrashBetweenPaymentAndSubmission(t *testing.T, extraEnv map[string]string) {
	start := time.Now()
	ctx := context.Background()
	sb, sbSrv := sandboxtest.Start(t, sandbox.Config{Auth: sandbox.AuthBasic,
		Username: demo.PaymentUser, Password: demo.PaymentPassword}, nil)
	sbBase := sbSrv.URL + sandboxtest.Prefix
	sink := newWebhookSink()
	hook := httptest.NewServer(sink)
	t.Cleanup(hook.Close)

	// The installation: the demo seeded once, Bewohnerparkausweis
	// delivered to the inbox and a webhook, Musterstadt's authorities
	// paid through the test's sandbox.
	in := &fcInstallation{dataDir: t.TempDir()}
	in.env = map[string]string{
		"ANTRAG_DATA":                 in.dataDir,
		"ANTRAG_LOG_LEVEL":            "warn",
		"ANTRAG_DELIVERY_CHECK":       "50ms",
		"ANTRAG_DELIVERY_FIRST_RETRY": "100ms",
		"ANTRAG_FITCONNECT_POLL":      "1h",
		"ANTRAG_PAYMENT_RECONCILE":    "1h",
	}
	for k, v := range extraEnv {
		in.env[k] = v
	}
	seed := startServe(t, in.env, "--demo")
	if err := seed.stop(); err != nil {
		t.Fatalf("seeding the demo: %v\n%s", err, seed.stderr.String())
	}
	if out, errOut, err := runCmd(t, in.env, "service", "targets", "--tenant", mpTenant, "--slug", mpService,
		"--inbox", "--webhook", hook.URL+"/eingang"); err != nil {
		t.Fatalf("service targets: %v\n%s%s", err, out, errOut)
	}
	db := in.open(t)
	stadt, err := db.TenantBySlug(ctx, mpTenant)
	if err != nil {
		t.Fatal(err)
	}
	auths, err := db.ListAuthorities(ctx, stadt.ID)
	if err != nil || len(auths) == 0 {
		t.Fatalf("authorities of %s: %d, %v", mpTenant, len(auths), err)
	}
	for _, a := range auths {
		acc := &payment.Account{Kind: payment.EPay21, BaseURL: sbBase, OriginatorID: crashOriginator, EndpointID: mpTenant,
			Username: demo.PaymentUser, Password: demo.PaymentPassword}
		if err := db.SetPaymentAccount(ctx, stadt.ID, a.ID, acc); err != nil {
			t.Fatal(err)
		}
	}

	addr := freeAddr(t)
	base := "http://" + addr
	first := startAntrag(t, in, addr)
	t.Logf("installation ready and antrag started after %v", time.Since(start).Round(time.Millisecond))

	client := &http.Client{Timeout: waitLong,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	svc, err := loadgen.PrepareService(ctx, client, base, mpForm, "", "")
	if err != nil {
		t.Fatal(err)
	}

	// The citizens send their applications: each is held, unpaid and
	// undelivered, and its pay page is the sandbox's.
	apps := []*crashPayment{{name: "paid before the kill"}, {name: "paid while down"}}
	for i, p := range apps {
		p.draft, p.payPage, err = crashSend(client, base, svc, fmt.Sprintf("zahlung-%d", i))
		if err != nil {
			t.Fatalf("%s: %v", p.name, err)
		}
		if !strings.HasPrefix(p.payPage, sbBase+"bezahlen/") {
			t.Fatalf("%s: absenden sends to %q, not to the sandbox's pay page", p.name, p.payPage)
		}
		status, _, body, err := crashBrowse(client, "GET", base+p.draft+"/bestaetigung", "", nil)
		m := mpReferenceRE.FindStringSubmatch(body)
		if err != nil || status != http.StatusOK || m == nil {
			t.Fatalf("%s: confirmation before paying: %d %v, no reference", p.name, status, err)
		}
		if !strings.Contains(body, "die Gebühr ist noch nicht bezahlt") || strings.Contains(body, "Ihr Antrag ist eingegangen") {
			t.Errorf("%s: the confirmation before paying does not say that the fee is unpaid", p.name)
		}
		p.reference = m[1]
		if p.sub, err = db.SubmissionByReference(ctx, stadt.ID, p.reference); err != nil {
			t.Fatal(err)
		}
	}
	crashHeld(t, db, apps, "before the kill")
	for _, p := range apps {
		if p.payPage != sbBase+"bezahlen/"+p.attempt.TransactionID {
			t.Fatalf("%s: pay page %q, transaction %q", p.name, p.payPage, p.attempt.TransactionID)
		}
	}

	// One citizen pays now; the browser's way back to antrag is not taken
	// before the kill.
	crashPay(t, client, apps[0])
	if info, err := sb.Info(apps[0].attempt.TransactionID); err != nil || info.Status != payment.Payed {
		t.Fatalf("sandbox after paying: %+v, %v", info, err)
	}
	first.kill()
	killedAt := time.Now()
	// antrag never asked the provider about a transaction: what it holds is
	// what it had before the payment.
	if n := sb.Statuses(); n != 0 {
		t.Fatalf("antrag asked the provider %d times before the kill; the test needs it not to have", n)
	}
	crashHeld(t, db, apps, "after the kill")

	// The other citizen pays while antrag is down: the pay page sends the
	// browser back, which fails.
	crashPay(t, client, apps[1])
	for _, p := range apps {
		if want := base + p.draft + "/zahlung/rueckkehr"; p.back != want {
			t.Fatalf("%s: the pay page returns to %q, want %q", p.name, p.back, want)
		}
	}
	if status, _, _, err := crashBrowse(client, "GET", apps[1].back, "", nil); err == nil {
		t.Fatalf("%s: the return reached antrag while it was down (%d)", apps[1].name, status)
	}

	// The restart, reconciling every second; no citizen comes back.
	in.env["ANTRAG_PAYMENT_RECONCILE"] = "1s"
	second := startAntrag(t, in, addr)
	restartedAt := time.Now()
	t.Logf("restarted %v after the kill", restartedAt.Sub(killedAt).Round(time.Millisecond))
	due := time.Time{}
	for _, p := range apps {
		if p.attempt.NextCheck.After(due) {
			due = p.attempt.NextCheck
		}
	}
	// Due at the latest a minute after the attempt started; the wait adds
	// waitEvent for the pass and the release.
	deadline := due.Add(waitEvent)
	for {
		paid := 0
		for _, p := range apps {
			s, err := db.Submission(ctx, stadt.ID, p.sub.ID)
			if err != nil {
				t.Fatal(err)
			}
			if s.Payment == payment.Paid {
				paid++
			}
		}
		if paid == len(apps) {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d of %d applications paid %v after the restart (first check due %v after it)\n%s",
				paid, len(apps), time.Since(restartedAt).Round(time.Millisecond), due.Sub(restartedAt).Round(time.Millisecond),
				tail(second.output.String(), 40))
		}
		time.Sleep(100 * time.Millisecond)
	}
	t.Logf("both found paid %v after the restart (first check was due %v after it)",
		time.Since(restartedAt).Round(time.Millisecond), due.Sub(restartedAt).Round(time.Millisecond))

	// Released once each: deliveries made, delivered, received once.
	refs := []string{apps[0].reference, apps[1].reference}
	if missing := sink.waitFor(refs, waitEvent); len(missing) > 0 {
		t.Fatalf("webhook did not receive %v\n%s", missing, tail(second.output.String(), 40))
	}
	eventually(t, waitEvent, func() (bool, string) {
		var states []string
		for _, p := range apps {
			ds, err := db.Deliveries(ctx, stadt.ID, p.sub.ID)
			if err != nil {
				return false, err.Error()
			}
			for _, d := range ds {
				states = append(states, string(d.State))
				if d.State != delivery.Delivered {
					return false, p.name + ": delivery states " + strings.Join(states, ", ")
				}
			}
		}
		return true, ""
	})
	paidAudit := crashPaid(t, db, sb, apps, "after the restart")
	if sb.Statuses() == 0 {
		t.Error("the provider was never asked, yet the applications are paid")
	}

	// The citizens' late returns: the confirmation, and nothing again.
	for _, p := range apps {
		status, loc, _, err := crashBrowse(client, "GET", p.back, "", nil)
		if err != nil || status != http.StatusSeeOther || loc != p.draft+"/bestaetigung" && loc != base+p.draft+"/bestaetigung" {
			t.Fatalf("%s: late return: %d %q %v", p.name, status, loc, err)
		}
		status, _, body, err := crashBrowse(client, "GET", base+p.draft+"/bestaetigung", "", nil)
		if err != nil || status != http.StatusOK {
			t.Fatalf("%s: confirmation: %d %v", p.name, status, err)
		}
		for _, want := range []string{"Ihr Antrag ist eingegangen", p.reference, "Kassenzeichen", p.attempt.TransactionReference, "Bezahlt"} {
			if !strings.Contains(body, want) {
				t.Errorf("%s: confirmation after the late return lacks %q", p.name, want)
			}
		}
	}
	if again := crashPaid(t, db, sb, apps, "after the late returns"); again != paidAudit {
		t.Errorf("audit trail changed by the late returns: %d payment entries, before %d", again, paidAudit)
	}
	if n := sink.duplicates(); n != 0 {
		t.Errorf("webhook received %d applications more than once", n)
	}
	for _, r := range refs {
		sink.mu.Lock()
		n := sink.seen[r]
		sink.mu.Unlock()
		if n != 1 {
			t.Errorf("webhook received %s %d times, want 1", r, n)
		}
	}
	t.Logf("done after %v", time.Since(start).Round(time.Millisecond))
	second.terminate()
}

// crashHeld checks that every application is held: payment open, no
// deliveries, one attempt INITIAL with a transaction, and no payment in
// the audit trail beyond its start. It sets p.attempt.
func crashHeld(t *testing.T, db *store.DB, apps []*crashPayment, when string) {
	t.Helper()
	ctx := context.Background()
	for _, p := range apps {
		s, err := db.Submission(ctx, p.sub.TenantID, p.sub.ID)
		if err != nil {
			t.Fatal(err)
		}
		if s.Payment != payment.Open {
			t.Fatalf("%s %s: payment %q, want open", p.name, when, s.Payment)
		}
		if ds, err := db.Deliveries(ctx, s.TenantID, s.ID); err != nil || len(ds) != 0 {
			t.Fatalf("%s %s: %d deliveries of an unpaid application (%v)", p.name, when, len(ds), err)
		}
		as, err := db.Attempts(ctx, s.TenantID, s.ID)
		if err != nil {
			t.Fatal(err)
		}
		if len(as) != 1 || as[0].Status != payment.Initial || as[0].TransactionID == "" {
			t.Fatalf("%s %s: attempts %+v, want one INITIAL with a transaction", p.name, when, as)
		}
		p.attempt = as[0]
		evs, err := db.Events(ctx, s.TenantID, s.ID)
		if err != nil {
			t.Fatal(err)
		}
		for _, e := range evs {
			if e.Action == "zahlung" && strings.Contains(e.Detail, "PAYED") {
				t.Fatalf("%s %s: audit trail has %q", p.name, when, e.Detail)
			}
		}
	}
}

// crashPaid checks that every application is paid once: payment paid, its
// one attempt PAYED with the provider's Kassenzeichen, its deliveries one
// per target, and the change INITIAL → PAYED once in its audit trail,
// recorded by the system. It returns the number of payment entries in the
// audit trails.
func crashPaid(t *testing.T, db *store.DB, sb *sandbox.Sandbox, apps []*crashPayment, when string) int {
	t.Helper()
	ctx := context.Background()
	entries := 0
	for _, p := range apps {
		s, err := db.Submission(ctx, p.sub.TenantID, p.sub.ID)
		if err != nil {
			t.Fatal(err)
		}
		if s.Payment != payment.Paid {
			t.Errorf("%s %s: payment %q, want paid", p.name, when, s.Payment)
		}
		as, err := db.Attempts(ctx, s.TenantID, s.ID)
		if err != nil {
			t.Fatal(err)
		}
		info, err := sb.Info(p.attempt.TransactionID)
		if err != nil {
			t.Fatal(err)
		}
		if len(as) != 1 || as[0].Status != payment.Payed || as[0].TransactionReference != info.TransactionReference || as[0].PaidAt.IsZero() {
			t.Errorf("%s %s: attempts %+v, want one PAYED with Kassenzeichen %s", p.name, when, as, info.TransactionReference)
		} else {
			p.attempt = as[0]
		}
		ds, err := db.Deliveries(ctx, s.TenantID, s.ID)
		if err != nil {
			t.Fatal(err)
		}
		targets, err := db.Targets(ctx, s.TenantID, s.ServiceID)
		if err != nil {
			t.Fatal(err)
		}
		perTarget := map[string]int{}
		for _, d := range ds {
			perTarget[d.Target.ID]++
		}
		if len(ds) != len(targets) || len(perTarget) != len(targets) {
			t.Errorf("%s %s: %d deliveries to %d targets, want one to each of %d", p.name, when, len(ds), len(perTarget), len(targets))
		}
		evs, err := db.Events(ctx, s.TenantID, s.ID)
		if err != nil {
			t.Fatal(err)
		}
		changes := 0
		for _, e := range evs {
			if e.Action != "zahlung" {
				continue
			}
			entries++
			if strings.Contains(e.Detail, "INITIAL → PAYED") {
				changes++
				if e.Actor != "System" {
					t.Errorf("%s %s: the payment was recorded by %q, want the system's reconciliation", p.name, when, e.Actor)
				}
			}
		}
		if changes != 1 {
			t.Errorf("%s %s: INITIAL → PAYED %d times in the audit trail, want 1", p.name, when, changes)
		}
	}
	return entries
}
