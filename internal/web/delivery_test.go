package web_test

import (
	"context"
	"net/http"
	"strings"
	"testing"

	"github.com/antrag/antrag/internal/delivery"
	"github.com/antrag/antrag/internal/delivery/deliverytest"
	"github.com/antrag/antrag/internal/submission"
)

// failedWebhook sends the example application of a service with an inbox
// and a webhook target and marks the webhook delivery failed.
func (h *harness) failedWebhook(t *testing.T) (*submission.Submission, *delivery.Delivery) {
	t.Helper()
	ctx := context.Background()
	sv := h.service("musterstadt", "gewerbeanmeldung")
	if err := h.db.SetTargets(ctx, sv.tenant.ID, sv.svc.ID, []*delivery.Target{{Kind: delivery.Inbox},
		{Kind: delivery.Webhook, URL: "https://fachverfahren.example/eingang", Secret: delivery.NewWebhookSecret()}}); err != nil {
		t.Fatal(err)
	}
	sub, _ := h.sendExample("musterstadt", "gewerbeanmeldung")
	ds, err := h.db.Deliveries(ctx, sub.TenantID, sub.ID)
	if err != nil || len(ds) != 2 {
		t.Fatalf("deliveries %s %v", deliverytest.Format(ds), err)
	}
	d := ds[1]
	d.State, d.Attempts, d.LastError = delivery.Failed, 3, "Webhook antwortete 410 Gone"
	if err := h.db.UpdateDelivery(ctx, d, delivery.Pending, nil); err != nil {
		t.Fatal(err)
	}
	return sub, d
}

func TestInboxShowsAndRedeliversFailedDelivery(t *testing.T) {
	h := newHarness(t)
	sub, d := h.failedWebhook(t)
	c := h.staffClient("musterstadt")
	list := h.do(c, "GET", "/intern/", nil)
	if !strings.Contains(list.body, "konnte nicht zugestellt werden") {
		t.Errorf("the inbox does not point to the failed delivery")
	}
	only := h.do(c, "GET", "/intern/?zustellung=fehlgeschlagen", nil)
	if !strings.Contains(only.body, sub.Reference) {
		t.Errorf("the filter of failed deliveries lacks %s", sub.Reference)
	}
	page := h.do(c, "GET", "/intern/antraege/"+sub.ID, nil)
	for _, want := range []string{"Zustellung fehlgeschlagen", "Webhook antwortete 410 Gone", "Webhook https://fachverfahren.example/eingang",
		"Erneut zustellen", "Posteingang"} {
		if !strings.Contains(page.body, want) {
			t.Errorf("submission page lacks %q", want)
		}
	}
	path := "/intern/antraege/" + sub.ID + "/zustellungen/" + d.ID
	// Another tenant's caseworker cannot touch it.
	if r := h.do(h.staffClient("beispielkreis"), "POST", path, nil); r.status != http.StatusNotFound {
		t.Errorf("other tenant: %d, want 404", r.status)
	}
	// Nor a cross-site form.
	req, _ := http.NewRequest("POST", h.srv.URL+path, nil)
	req.Header.Set("Sec-Fetch-Site", "cross-site")
	if r := h.send(c, req); r.status != http.StatusForbidden {
		t.Errorf("cross-site: %d, want 403", r.status)
	}
	if got, _ := h.db.Delivery(context.Background(), d.TenantID, d.ID); got.State != delivery.Failed {
		t.Fatalf("changed by a refused request: %s", deliverytest.One(got))
	}
	r := h.do(c, "POST", path, nil)
	if r.status != http.StatusSeeOther || !strings.HasSuffix(r.location, "?erneut=1") {
		t.Fatalf("re-delivery: %d %s", r.status, r.location)
	}
	got, _ := h.db.Delivery(context.Background(), d.TenantID, d.ID)
	if got.State != delivery.Pending {
		t.Errorf("after re-delivery: %s", deliverytest.One(got))
	}
	evs, _ := h.db.Events(context.Background(), sub.TenantID, sub.ID)
	if last := evs[len(evs)-1]; last.Actor != "sachbearbeitung-musterstadt" || last.Action != "erneut zustellen" {
		t.Errorf("audit trail: %+v", last)
	}
	// A pending delivery is not delivered again; the inbox delivery never.
	if r := h.do(c, "POST", path, nil); r.status != http.StatusConflict {
		t.Errorf("second press: %d, want 409", r.status)
	}
	ds, _ := h.db.Deliveries(context.Background(), sub.TenantID, sub.ID)
	if r := h.do(c, "POST", "/intern/antraege/"+sub.ID+"/zustellungen/"+ds[0].ID, nil); r.status != http.StatusConflict {
		t.Errorf("inbox delivery: %d, want 409", r.status)
	}
	// A delivery of another submission is not reached through this one.
	other, _ := h.sendExample("musterstadt", "gewerbeanmeldung")
	if r := h.do(c, "POST", "/intern/antraege/"+other.ID+"/zustellungen/"+d.ID, nil); r.status != http.StatusNotFound {
		t.Errorf("delivery through another submission: %d, want 404", r.status)
	}
}

func TestConfirmationShowsTransfer(t *testing.T) {
	h := newHarness(t)
	sub, base := h.sendExample("musterstadt", "gewerbeanmeldung")
	page := h.get(base + "/bestaetigung")
	if !strings.Contains(page.body, "Der Antrag wurde an die Behörde übermittelt.") || !strings.Contains(page.body, "Eingegangen") {
		t.Errorf("confirmation of an inbox application:\n%s", page.body)
	}
	ds, _ := h.db.Deliveries(context.Background(), sub.TenantID, sub.ID)
	if len(ds) != 1 || ds[0].Target.Kind != delivery.Inbox || ds[0].State != delivery.Delivered {
		t.Errorf("deliveries of an inbox-only service: %s", deliverytest.Format(ds))
	}
}
