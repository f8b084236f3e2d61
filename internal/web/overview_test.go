package web_test

import (
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/PuerkitoBio/goquery"

	"github.com/antrag/antrag/internal/delivery"
	"github.com/antrag/antrag/internal/demo"
	"github.com/antrag/antrag/internal/localtime"
)

// overviewDoc gets the overview page with the client and parses it.
func overviewDoc(t *testing.T, h *harness, c *http.Client) *goquery.Document {
	t.Helper()
	r := h.do(c, "GET", "/intern/uebersicht", nil)
	if r.status != http.StatusOK {
		t.Fatalf("GET /intern/uebersicht: %d %s", r.status, r.body)
	}
	doc, err := goquery.NewDocumentFromReader(strings.NewReader(r.body))
	if err != nil {
		t.Fatal(err)
	}
	return doc
}

// cells are the texts of a table row's header and data cells.
func cells(s *goquery.Selection) []string {
	return s.Find("th, td").Map(func(_ int, c *goquery.Selection) string { return strings.TrimSpace(c.Text()) })
}

// rowOf finds the row of a table whose first cell is name.
func rowOf(doc *goquery.Document, table, name string) []string {
	var out []string
	doc.Find(table + " tbody tr").Each(func(_ int, tr *goquery.Selection) {
		if cs := cells(tr); len(cs) > 0 && cs[0] == name {
			out = cs
		}
	})
	return out
}

// TestOverviewPage: a tenant's admin finds the overview in the
// navigation; it shows the tenant's applications per day and service as
// a chart (an image with a title and a description) and as tables, the
// delivery outcomes by kind, the time to delivery and the failed and
// pending deliveries linked to their applications, and nothing of the
// other tenant. A caseworker is refused the page and has no link to it.
func TestOverviewPage(t *testing.T) {
	h := newHarness(t)
	ctx := context.Background()
	mt, err := h.db.TenantBySlug(ctx, "musterstadt")
	if err != nil {
		t.Fatal(err)
	}
	trade := h.service("musterstadt", "gewerbeanmeldung")
	if err := h.db.SetTargets(ctx, mt.ID, trade.svc.ID, []*delivery.Target{{Kind: delivery.Inbox},
		{Kind: delivery.Webhook, URL: "https://fachverfahren.example.org/hook", Secret: "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"}}); err != nil {
		t.Fatal(err)
	}
	// The store stamps submissions with the wall clock.
	h.now = time.Now()
	h.sendExample("musterstadt", "bewohnerparkausweis")
	p2, _ := h.sendExample("musterstadt", "bewohnerparkausweis")
	failed, _ := h.sendExample("musterstadt", "gewerbeanmeldung")
	delivered, _ := h.sendExample("musterstadt", "gewerbeanmeldung")
	other, _ := h.sendExample("beispielkreis", "heimarbeit")
	h.now = time.Now()
	// p2 came in yesterday.
	if _, err := h.db.SQL().ExecContext(ctx, `UPDATE submissions SET submitted_at = $1 WHERE id = $2`,
		p2.SubmittedAt.Add(-24*time.Hour).UTC().Format("2006-01-02T15:04:05.000000Z"), p2.ID); err != nil {
		t.Fatal(err)
	}
	hook := func(subID string) *delivery.Delivery {
		ds, err := h.db.Deliveries(ctx, mt.ID, subID)
		if err != nil {
			t.Fatal(err)
		}
		for _, d := range ds {
			if d.Target.Kind == delivery.Webhook {
				return d
			}
		}
		t.Fatalf("no webhook delivery of %s", subID)
		return nil
	}
	d := hook(failed.ID)
	d.State, d.Attempts, d.LastError, d.DoneAt, d.NextAttempt = delivery.Failed, 4, "HTTP 503 vom Fachverfahren", h.now.Add(time.Hour), time.Time{}
	if err := h.db.UpdateDelivery(ctx, d, delivery.Pending, nil); err != nil {
		t.Fatal(err)
	}
	d = hook(delivered.ID)
	d.State, d.Attempts, d.DoneAt, d.NextAttempt = delivery.Delivered, 1, delivered.SubmittedAt.Add(90*time.Second), time.Time{}
	if err := h.db.UpdateDelivery(ctx, d, delivery.Pending, nil); err != nil {
		t.Fatal(err)
	}

	admin := h.loginAs(demo.Admins["musterstadt"])
	doc := overviewDoc(t, h, admin)
	if got := strings.TrimSpace(doc.Find("main h1").Text()); got != "Übersicht" {
		t.Errorf("h1 %q", got)
	}
	if doc.Find(`header nav a#nav-uebersicht[href="/intern/uebersicht"]`).Length() != 1 {
		t.Error("no link to the overview in the staff navigation")
	}

	svg := doc.Find(`main svg[role="img"]`).First()
	ids := strings.Fields(svg.AttrOr("aria-labelledby", ""))
	if len(ids) != 2 || doc.Find("svg title#"+ids[0]).Length() != 1 || doc.Find("svg desc#"+ids[1]).Length() != 1 {
		t.Fatalf("chart labelled by %q", ids)
	}
	if title := doc.Find("svg title#" + ids[0]).Text(); !strings.Contains(title, "Anträge je Tag") {
		t.Errorf("chart title %q", title)
	}
	if desc := doc.Find("svg desc#" + ids[1]).Text(); !strings.Contains(desc, "4 Anträge in 30 Tagen zu 2 Online-Diensten") {
		t.Errorf("chart description %q", desc)
	}
	if n := svg.Find("rect.app-chart__bar").Length(); n != 3 {
		t.Errorf("%d bar segments, want 3 (yesterday parking, today parking and trade)", n)
	}

	if n := doc.Find("details #antraege-je-tag tbody tr").Length(); n != 30 {
		t.Errorf("daily table has %d rows, want 30", n)
	}
	today := failed.SubmittedAt.In(localtime.Berlin).Format("02.01.2006")
	if got := rowOf(doc, "#antraege-je-tag", today); len(got) != 4 || got[3] != "3" {
		t.Errorf("today's row %q, want 3 in all", got)
	}
	heads := doc.Find("#antraege-je-tag thead th").Map(func(_ int, s *goquery.Selection) string { return s.Text() })
	parking, tradeName := serviceNameOf(t, h, "musterstadt", "bewohnerparkausweis"), trade.svc.Name
	if strings.Join(heads, "|") != "Tag|"+parking+"|"+tradeName+"|Zusammen" && strings.Join(heads, "|") != "Tag|"+tradeName+"|"+parking+"|Zusammen" {
		t.Errorf("daily table columns %q", heads)
	}
	if got := rowOf(doc, "#antraege-je-dienst", parking); len(got) != 2 || got[1] != "2" {
		t.Errorf("parking row %q", got)
	}
	if got := rowOf(doc, "#antraege-je-dienst", serviceNameOf(t, h, "beispielkreis", "heimarbeit")); got != nil {
		t.Errorf("the other tenant's service is counted: %q", got)
	}

	if got := rowOf(doc, "#zustellungen", "Webhook"); strings.Join(got, "|") != "Webhook|1|0|1|0|0|2" {
		t.Errorf("webhook outcomes %q", got)
	}
	if got := rowOf(doc, "#zustellungen", "Alle Zustellarten"); len(got) != 7 || got[6] != "6" {
		t.Errorf("sum of outcomes %q, want 6 deliveries (4 inbox, 2 webhook)", got)
	}
	if got := rowOf(doc, "#zustelldauer", "Webhook"); strings.Join(got, "|") != "Webhook|1|1 Minute|1 Minute" {
		t.Errorf("webhook times %q", got)
	}
	if rowOf(doc, "#zustelldauer", "Posteingang") != nil {
		t.Error("inbox deliveries counted in the times")
	}

	links := doc.Find("#offene-zustellungen tbody a")
	if links.Length() != 1 || links.AttrOr("href", "") != "/intern/antraege/"+failed.ID || strings.TrimSpace(links.Text()) != failed.Reference {
		t.Errorf("open deliveries link %q to %q", links.Text(), links.AttrOr("href", ""))
	}
	if row := cells(links.Closest("tr")); !strings.Contains(strings.Join(row, "|"), "HTTP 503 vom Fachverfahren") {
		t.Errorf("failed delivery row %q", row)
	}
	body, _ := doc.Html()
	for _, s := range []string{other.Reference, other.ID, p2.ID} {
		if strings.Contains(body, s) {
			t.Errorf("the overview shows %q", s)
		}
	}

	// Tenant B's admin sees B's numbers only.
	docB := overviewDoc(t, h, h.loginAs(demo.Admins["beispielkreis"]))
	if desc := docB.Find("svg desc").Text(); !strings.Contains(desc, "1 Antrag in 30 Tagen zu 1 Online-Dienst") {
		t.Errorf("B's chart description %q", desc)
	}
	if docB.Find("#offene-zustellungen").Length() != 0 || docB.Find("#keine-offenen").Length() != 1 {
		t.Error("B sees open deliveries")
	}
	if bodyB, _ := docB.Html(); strings.Contains(bodyB, failed.Reference) || strings.Contains(bodyB, "HTTP 503") {
		t.Error("B's overview shows A's failed delivery")
	}

	// The caseworker: refused, and no link.
	sb := h.staffClient("musterstadt")
	if r := h.do(sb, "GET", "/intern/uebersicht", nil); r.status != http.StatusForbidden {
		t.Errorf("caseworker: %d", r.status)
	}
	if r := h.do(sb, "GET", "/intern/", nil); strings.Contains(r.body, "/intern/uebersicht") {
		t.Error("the caseworker's navigation links to the overview")
	}
}

func serviceNameOf(t *testing.T, h *harness, tenantSlug, slug string) string {
	t.Helper()
	return h.service(tenantSlug, slug).svc.Name
}
