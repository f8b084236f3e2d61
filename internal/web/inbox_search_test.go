package web_test

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/PuerkitoBio/goquery"

	"github.com/antrag/antrag/internal/delivery"
	"github.com/antrag/antrag/internal/submission"
)

// page parses an HTML response.
func page(tb testing.TB, r response) *goquery.Document {
	tb.Helper()
	doc, err := goquery.NewDocumentFromReader(strings.NewReader(r.body))
	if err != nil {
		tb.Fatal(err)
	}
	return doc
}

// texts is the trimmed text of each selected element.
func texts(sel *goquery.Selection) []string {
	var out []string
	sel.Each(func(_ int, s *goquery.Selection) { out = append(out, strings.TrimSpace(s.Text())) })
	return out
}

// listed is the Vorgangsnummern an inbox page lists, in its order.
func listed(tb testing.TB, r response) []string {
	tb.Helper()
	if r.status != http.StatusOK {
		tb.Fatalf("inbox: %d %s", r.status, problemsOf(r.body))
	}
	return texts(page(tb, r).Find(`main table:has(caption:contains("Eingegangene Anträge")) tbody tr td:first-child a`))
}

// seedInbox stores n applications of a demo service directly through the
// store, the first at start and each next one step later, and returns
// them oldest first.
func seedInbox(tb testing.TB, h *harness, tenantSlug, slug string, n int, start time.Time, step time.Duration) []*submission.Submission {
	tb.Helper()
	ctx := context.Background()
	tn, err := h.db.TenantBySlug(ctx, tenantSlug)
	if err != nil {
		tb.Fatal(err)
	}
	svc, err := h.db.ServiceBySlug(ctx, tn.ID, slug)
	if err != nil {
		tb.Fatal(err)
	}
	out := make([]*submission.Submission, 0, n)
	for i := range n {
		data := []byte(fmt.Sprintf(`{"nr":%d}`, i))
		sum := sha256.Sum256(data)
		s := &submission.Submission{TenantID: tn.ID, ServiceID: svc.ID, FormVersionID: svc.FormVersionID,
			AuthorityID: svc.AuthorityID, Reference: submission.NewReference(), Data: data,
			DataSHA256: hex.EncodeToString(sum[:]), SubmittedAt: start.Add(time.Duration(i) * step)}
		got, created, _, err := h.db.Submit(ctx, s, &submission.Event{Actor: "Antragsteller", Action: "eingereicht"}, nil)
		if err != nil || !created {
			tb.Fatalf("Submit %d: %v (created %v)", i, err, created)
		}
		out = append(out, got)
	}
	return out
}

// receiveWithSenderRef stores a copy of sent as if it had arrived over
// FIT-Connect with the sender's reference, and returns it.
func receiveWithSenderRef(t *testing.T, h *harness, sent *submission.Submission, remoteID, senderRef string) *submission.Submission {
	t.Helper()
	in := &submission.Submission{TenantID: sent.TenantID, ServiceID: sent.ServiceID, FormVersionID: sent.FormVersionID,
		AuthorityID: sent.AuthorityID, Reference: submission.NewReference(), Data: sent.Data, DataSHA256: sent.DataSHA256,
		Source: submission.SourceFITConnect, ExternalRef: "fitconnect:" + remoteID, SenderRef: senderRef}
	got, created, err := h.db.Receive(context.Background(), in, nil,
		&submission.Event{Actor: "System", Action: "eingegangen über FIT-Connect", Detail: "Einreichung " + remoteID})
	if err != nil || !created {
		t.Fatalf("Receive: %v (created %v)", err, created)
	}
	return got
}

func TestInboxSearchFindsVorgangsnummerInAnySpelling(t *testing.T) {
	h := newHarness(t)
	subs := seedInbox(t, h, "musterstadt", "gewerbeanmeldung", 3, h.now.Add(-time.Hour), time.Minute)
	c := h.staffClient("musterstadt")
	want := subs[1].Reference
	for _, typed := range []string{want, strings.ToLower(want), strings.ReplaceAll(strings.ToLower(want), "-", ""), " " + want + " "} {
		got := listed(t, h.do(c, "GET", "/intern/?q="+url.QueryEscape(typed), nil))
		if !slices.Equal(got, []string{want}) {
			t.Errorf("search %q lists %q, want only %s", typed, got, want)
		}
	}
	// The search field shows what was typed.
	doc := page(t, h.do(c, "GET", "/intern/?q="+url.QueryEscape(strings.ToLower(want)), nil))
	if v, _ := doc.Find("input#q").Attr("value"); v != strings.ToLower(want) {
		t.Errorf("search field value %q", v)
	}
}

func TestInboxSearchFindsSenderReference(t *testing.T) {
	h := newHarness(t)
	sent, _ := h.sendExample("beispielkreis", "heimarbeit")
	const remoteID = "5b0c1d2e-3f40-4a5b-8c6d-7e8f90a1b2c3"
	got := receiveWithSenderRef(t, h, sent, remoteID, "Az. 32-1/2026")
	c := h.staffClient("beispielkreis")
	for _, typed := range []string{"Az. 32-1/2026", remoteID} {
		if l := listed(t, h.do(c, "GET", "/intern/?q="+url.QueryEscape(typed), nil)); !slices.Equal(l, []string{got.Reference}) {
			t.Errorf("search %q lists %q, want %s", typed, l, got.Reference)
		}
	}
	detail := page(t, h.do(c, "GET", "/intern/antraege/"+got.ID, nil))
	if ref := strings.TrimSpace(detail.Find("#zeichen-absender").Text()); ref != "Az. 32-1/2026" {
		t.Errorf("detail page shows the sender's reference as %q", ref)
	}
}

func TestInboxSearchStaysInTenant(t *testing.T) {
	h := newHarness(t)
	stadt := seedInbox(t, h, "musterstadt", "gewerbeanmeldung", 1, h.now.Add(-time.Hour), time.Minute)
	own := seedInbox(t, h, "beispielkreis", "heimarbeit", 1, h.now.Add(-time.Hour), time.Minute)
	sent, _ := h.sendExample("musterstadt", "bewohnerparkausweis")
	received := receiveWithSenderRef(t, h, sent, "6b0c1d2e-3f40-4a5b-8c6d-7e8f90a1b2c3", "Az. 99/2026")
	kreis := h.staffClient("beispielkreis")
	for _, typed := range []string{stadt[0].Reference, received.Reference, "Az. 99/2026", "6b0c1d2e-3f40-4a5b-8c6d-7e8f90a1b2c3"} {
		r := h.do(kreis, "GET", "/intern/?q="+url.QueryEscape(typed), nil)
		if got := listed(t, r); len(got) != 0 {
			t.Errorf("another tenant's search for %q lists %q (its own %s included: %v)", typed, got, own[0].Reference, slices.Contains(got, own[0].Reference))
		}
		if page(t, r).Find("#keine-antraege").Length() != 1 {
			t.Errorf("search %q in another tenant: no \"nothing found\" message", typed)
		}
	}
}

func TestInboxPagesStayWhileApplicationsArrive(t *testing.T) {
	h := newHarness(t)
	subs := seedInbox(t, h, "musterstadt", "gewerbeanmeldung", 55, h.now.Add(-48*time.Hour), time.Minute)
	newestFirst := slices.Clone(subs)
	slices.Reverse(newestFirst)
	refs := func(list []*submission.Submission) []string {
		var out []string
		for _, s := range list {
			out = append(out, s.Reference)
		}
		return out
	}
	c := h.staffClient("musterstadt")
	first := h.do(c, "GET", "/intern/?status=eingegangen", nil)
	if got := listed(t, first); !slices.Equal(got, refs(newestFirst[:50])) {
		t.Fatalf("first page lists %d, want the newest 50", len(got))
	}
	doc := page(t, first)
	if doc.Find("a[rel=prev]").Length() != 0 {
		t.Error("first page links to a previous page")
	}
	next, ok := doc.Find("nav a[rel=next]").Attr("href")
	if !ok || !strings.Contains(next, "status=eingegangen") {
		t.Fatalf("first page: next link %q lacks the filter", next)
	}
	second := h.do(c, "GET", next, nil)
	if got := listed(t, second); !slices.Equal(got, refs(newestFirst[50:])) {
		t.Fatalf("second page lists %q, want %q", got, refs(newestFirst[50:]))
	}

	// New applications arrive: the second page stays as it was.
	seedInbox(t, h, "musterstadt", "gewerbeanmeldung", 3, h.now, time.Minute)
	if got := listed(t, h.do(c, "GET", next, nil)); !slices.Equal(got, refs(newestFirst[50:])) {
		t.Errorf("second page after new applications lists %q, want %q", got, refs(newestFirst[50:]))
	}
	prev, ok := page(t, second).Find("nav a[rel=prev]").Attr("href")
	if !ok || !strings.Contains(prev, "status=eingegangen") {
		t.Fatalf("second page: previous link %q lacks the filter", prev)
	}
	back := h.do(c, "GET", prev, nil)
	if got := listed(t, back); !slices.Equal(got, refs(newestFirst[:50])) {
		t.Errorf("back from the second page lists other applications than the first page did")
	}
	if page(t, back).Find("nav a[rel=prev]").Length() != 1 {
		t.Error("back from the second page: no link to the newer applications that arrived")
	}
	if r := h.do(c, "GET", "/intern/?nach=kaputt", nil); r.status != http.StatusBadRequest {
		t.Errorf("malformed page position: %d, want 400", r.status)
	}
}

func TestInboxFiltersSelect(t *testing.T) {
	h := newHarness(t)
	day := time.Date(2026, 1, 10, 12, 0, 0, 0, time.UTC)
	trade := seedInbox(t, h, "musterstadt", "gewerbeanmeldung", 3, day, 24*time.Hour) // 10., 11., 12.1.
	parking := seedInbox(t, h, "musterstadt", "bewohnerparkausweis", 1, day.Add(-24*time.Hour), time.Minute)
	ctx := context.Background()
	if err := h.db.SetStatus(ctx, trade[0].TenantID, trade[0].ID, submission.InBearbeitung, &submission.Event{Actor: "sb", Action: "Status"}); err != nil {
		t.Fatal(err)
	}
	ds, err := h.db.Deliveries(ctx, trade[2].TenantID, trade[2].ID)
	if err != nil || len(ds) == 0 {
		t.Fatalf("Deliveries: %v", err)
	}
	from := ds[0].State
	ds[0].State = delivery.Failed
	if err := h.db.UpdateDelivery(ctx, ds[0], from, nil); err != nil {
		t.Fatal(err)
	}
	c := h.staffClient("musterstadt")
	for _, tc := range []struct {
		name, query string
		want        []*submission.Submission
	}{
		{"service", "dienst=" + trade[0].ServiceID, []*submission.Submission{trade[2], trade[1], trade[0]}},
		{"status", "status=in_bearbeitung", []*submission.Submission{trade[0]}},
		{"received from (German date)", "von=11.01.2026", []*submission.Submission{trade[2], trade[1]}},
		{"received to (date input)", "bis=2026-01-10", []*submission.Submission{trade[0], parking[0]}},
		{"received on one day", "von=2026-01-11&bis=11.1.2026", []*submission.Submission{trade[1]}},
		{"delivery failed", "zustellung=fehlgeschlagen", []*submission.Submission{trade[2]}},
		{"delivery delivered and service", "zustellung=zugestellt&dienst=" + parking[0].ServiceID, []*submission.Submission{parking[0]}},
		{"unknown choices are ignored", "status=verloren&dienst=fremd&zustellung=x&von=2026-01-09", []*submission.Submission{trade[2], trade[1], trade[0], parking[0]}},
	} {
		var want []string
		for _, s := range tc.want {
			want = append(want, s.Reference)
		}
		if got := listed(t, h.do(c, "GET", "/intern/?"+tc.query, nil)); !slices.Equal(got, want) {
			t.Errorf("%s (%s): lists %q, want %q", tc.name, tc.query, got, want)
		}
	}

	// The form shows the filter again, dates as a date input takes them.
	doc := page(t, h.do(c, "GET", "/intern/?status=in_bearbeitung&von=11.01.2026", nil))
	if v, _ := doc.Find("select#status option[selected]").Attr("value"); v != "in_bearbeitung" {
		t.Errorf("status select shows %q", v)
	}
	if v, _ := doc.Find("input#von").Attr("value"); v != "2026-01-11" {
		t.Errorf("date field value %q, want 2026-01-11", v)
	}

	// A date that is none: the error summary links to the field.
	bad := h.do(c, "GET", "/intern/?von=31.02.2026&bis=gestern", nil)
	if bad.status != http.StatusBadRequest {
		t.Fatalf("invalid dates: %d", bad.status)
	}
	doc = page(t, bad)
	if got := doc.Find(".app-errorsummary a").Map(func(_ int, s *goquery.Selection) string { v, _ := s.Attr("href"); return v }); !slices.Equal(got, []string{"#von", "#bis"}) {
		t.Errorf("error summary links %q", got)
	}
	if v, _ := doc.Find("input#von").Attr("aria-invalid"); v != "true" {
		t.Error("invalid date field not marked aria-invalid")
	}
	if doc.Find("#antraege").Length() != 0 {
		t.Error("a list is shown for an invalid filter")
	}
}

func TestDeliveryTableShowsNoAttemptsForOwnInbox(t *testing.T) {
	h := newHarness(t)
	sub := seedInbox(t, h, "musterstadt", "gewerbeanmeldung", 1, h.now.Add(-time.Hour), time.Minute)[0]
	c := h.staffClient("musterstadt")
	doc := page(t, h.do(c, "GET", "/intern/antraege/"+sub.ID, nil))
	cells := doc.Find(`table:has(caption:contains("Zustellung")) tbody tr td:nth-child(3)`)
	if cells.Length() != 1 {
		t.Fatalf("%d delivery rows, want the inbox's one", cells.Length())
	}
	if got := strings.TrimSpace(cells.Text()); strings.ContainsAny(got, "0123456789") {
		t.Errorf("attempts of the delivery to the own inbox: %q, want none", got)
	}
}
