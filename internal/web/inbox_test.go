package web_test

import (
	"context"
	"crypto/sha512"
	"encoding/hex"
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/antrag/antrag/internal/submission"
)

// sendExample fills and sends the example application of a demo service
// through the HTML journey and returns the stored submission and the
// draft's base path.
func (h *harness) sendExample(tenantSlug, slug string) (*submission.Submission, string) {
	h.t.Helper()
	sv := h.service(tenantSlug, slug)
	base := h.start(sv)
	h.fill(sv, base, sv.form.Example(sv.ctx))
	ref, _ := h.submit(base)
	sub, err := h.db.SubmissionByReference(context.Background(), sv.tenant.ID, ref)
	if err != nil {
		h.t.Fatal(err)
	}
	return sub, base
}

func TestInboxNeedsLogin(t *testing.T) {
	h := newHarness(t)
	sub, _ := h.sendExample("musterstadt", "gewerbeanmeldung")
	for _, p := range []string{"/intern/", "/intern/antraege/" + sub.ID, "/intern/antraege/" + sub.ID + "/daten.json",
		"/intern/antraege/" + sub.ID + "/antrag.pdf"} {
		if r := h.get(p); r.status != http.StatusSeeOther || r.location != "/intern/anmelden" {
			t.Errorf("GET %s without login: %d %q", p, r.status, r.location)
		}
	}
	r := h.do(h.client, "POST", "/intern/antraege/"+sub.ID+"/status", url.Values{"status": {"abgeschlossen"}})
	if r.status != http.StatusSeeOther || r.location != "/intern/anmelden" {
		t.Errorf("status change without login: %d %q", r.status, r.location)
	}
	if got, _ := h.db.Submission(context.Background(), sub.TenantID, sub.ID); got.Status != submission.Eingegangen {
		t.Errorf("status changed without login: %s", got.Status)
	}
}

func TestLoginRefusesWrongPassword(t *testing.T) {
	h := newHarness(t)
	for _, c := range []struct{ user, pw string }{
		{"sachbearbeitung-musterstadt", "falsch-falsch-falsch"},
		{"niemand", "Demo-Passwort-2026"},
		{"sachbearbeitung-musterstadt", ""},
	} {
		r := h.do(h.client, "POST", "/intern/anmelden", url.Values{"benutzername": {c.user}, "passwort": {c.pw}})
		if r.status != http.StatusUnauthorized || !strings.Contains(r.body, "Benutzername oder Passwort ist falsch") {
			t.Errorf("login %q/%q: %d", c.user, c.pw, r.status)
		}
		if r.header.Get("Set-Cookie") != "" {
			t.Errorf("login %q/%q: a session cookie was set", c.user, c.pw)
		}
	}
}

// TestInboxWork is a caseworker's day: list, filter, read, download and
// set the status; each change is audited and the citizen sees it.
func TestInboxWork(t *testing.T) {
	h := newHarness(t)
	parking, parkingBase := h.sendExample("musterstadt", "bewohnerparkausweis")
	trade, _ := h.sendExample("musterstadt", "gewerbeanmeldung")
	other, _ := h.sendExample("beispielkreis", "heimarbeit")
	c := h.staffClient("musterstadt")

	inbox := h.do(c, "GET", "/intern/", nil)
	if inbox.status != http.StatusOK || !strings.Contains(inbox.body, parking.Reference) || !strings.Contains(inbox.body, trade.Reference) {
		t.Fatalf("inbox lacks the tenant's submissions (%d)", inbox.status)
	}
	if strings.Contains(inbox.body, other.Reference) {
		t.Fatalf("inbox shows another tenant's submission")
	}

	// Filter by service.
	filtered := h.do(c, "GET", "/intern/?dienst="+url.QueryEscape(parking.ServiceID), nil)
	if !strings.Contains(filtered.body, parking.Reference) || strings.Contains(filtered.body, trade.Reference) {
		t.Errorf("service filter does not filter")
	}

	// Set a status: audited, visible in the filter and to the citizen.
	r := h.do(c, "POST", "/intern/antraege/"+trade.ID+"/status", url.Values{"status": {"in_bearbeitung"}})
	if r.status != http.StatusSeeOther {
		t.Fatalf("set status: %d %s", r.status, r.body)
	}
	view := h.do(c, "GET", r.location, nil)
	if !strings.Contains(view.body, "Der Status wurde gespeichert") || !strings.Contains(view.body, "sachbearbeitung-musterstadt") ||
		!strings.Contains(view.body, "Eingegangen → In Bearbeitung") {
		t.Errorf("status change not shown with its audit entry")
	}
	evs, err := h.db.Events(context.Background(), trade.TenantID, trade.ID)
	if err != nil {
		t.Fatal(err)
	}
	if last := evs[len(evs)-1]; last.Action != "Status geändert" || last.Actor != "sachbearbeitung-musterstadt" {
		t.Errorf("last event %+v", last)
	}
	byStatus := h.do(c, "GET", "/intern/?status=in_bearbeitung", nil)
	if !strings.Contains(byStatus.body, trade.Reference) || strings.Contains(byStatus.body, parking.Reference) {
		t.Errorf("status filter does not filter")
	}
	bad := h.do(c, "POST", "/intern/antraege/"+trade.ID+"/status", url.Values{"status": {"geloescht"}})
	if bad.status != http.StatusBadRequest {
		t.Errorf("unknown status: %d", bad.status)
	}
	// The same status again records nothing.
	h.do(c, "POST", "/intern/antraege/"+trade.ID+"/status", url.Values{"status": {"in_bearbeitung"}})
	if again, _ := h.db.Events(context.Background(), trade.TenantID, trade.ID); len(again) != len(evs) {
		t.Errorf("unchanged status recorded an event")
	}

	// The citizen sees the status on the confirmation page.
	h.do(c, "POST", "/intern/antraege/"+parking.ID+"/status", url.Values{"status": {"abgeschlossen"}})
	if conf := h.get(parkingBase + "/bestaetigung"); !strings.Contains(conf.body, "Abgeschlossen") {
		t.Errorf("the citizen does not see the new status")
	}

	// Downloads: the canonical JSON, the PDF and each attachment as
	// stored.
	js := h.do(c, "GET", "/intern/antraege/"+parking.ID+"/daten.json", nil)
	if js.status != http.StatusOK || js.header.Get("Content-Type") != "application/json" ||
		!strings.Contains(js.header.Get("Content-Disposition"), parking.Reference) || js.body != string(parking.Data) {
		t.Errorf("JSON download: %d %s", js.status, js.header.Get("Content-Disposition"))
	}
	var doc map[string]any
	if err := json.Unmarshal([]byte(js.body), &doc); err != nil {
		t.Errorf("JSON download is not JSON: %v", err)
	}
	pdf := h.do(c, "GET", "/intern/antraege/"+parking.ID+"/antrag.pdf", nil)
	if pdf.status != http.StatusOK || !strings.HasPrefix(pdf.body, "%PDF-") {
		t.Errorf("PDF download: %d", pdf.status)
	}
	atts, err := h.db.ListAttachments(context.Background(), parking.TenantID, parking.ID)
	if err != nil || len(atts) == 0 {
		t.Fatalf("attachments: %v (%d)", err, len(atts))
	}
	for _, a := range atts {
		r := h.do(c, "GET", "/intern/antraege/"+parking.ID+"/anhaenge/"+a.ID, nil)
		sum := sha512.Sum512([]byte(r.body))
		if r.status != http.StatusOK || hex.EncodeToString(sum[:]) != a.SHA512 || r.header.Get("Content-Type") != a.MediaType ||
			!strings.HasPrefix(r.header.Get("Content-Disposition"), "attachment") {
			t.Errorf("attachment %s: %d %s %s", a.ID, r.status, r.header.Get("Content-Type"), r.header.Get("Content-Disposition"))
		}
		// Not through another submission's URL.
		if r := h.do(c, "GET", "/intern/antraege/"+trade.ID+"/anhaenge/"+a.ID, nil); r.status != http.StatusNotFound {
			t.Errorf("attachment through another submission: %d", r.status)
		}
	}

	// Another tenant's caseworker can neither read nor change.
	oc := h.staffClient("beispielkreis")
	for _, p := range []string{"/intern/antraege/" + parking.ID, "/intern/antraege/" + parking.ID + "/daten.json",
		"/intern/antraege/" + parking.ID + "/antrag.pdf", "/intern/antraege/" + parking.ID + "/anhaenge/" + atts[0].ID} {
		if r := h.do(oc, "GET", p, nil); r.status != http.StatusNotFound {
			t.Errorf("other tenant GET %s: %d", p, r.status)
		}
	}
	if r := h.do(oc, "POST", "/intern/antraege/"+trade.ID+"/status", url.Values{"status": {"abgeschlossen"}}); r.status != http.StatusNotFound {
		t.Errorf("other tenant status change: %d", r.status)
	}

	// Logging out ends the session.
	h.do(c, "POST", "/intern/abmelden", url.Values{})
	if r := h.do(c, "GET", "/intern/", nil); r.status != http.StatusSeeOther {
		t.Errorf("inbox after logout: %d", r.status)
	}
}

// TestLoginThrottle: after 5 wrong passwords for a name, even the right
// one is refused until time has passed; other names are unaffected.
func TestLoginThrottle(t *testing.T) {
	h := newHarness(t)
	login := func(user, pw string) int {
		return h.do(h.client, "POST", "/intern/anmelden", url.Values{"benutzername": {user}, "passwort": {pw}}).status
	}
	for i := range 5 {
		if got := login("Sachbearbeitung-Musterstadt", "falsch-falsch-falsch"); got != http.StatusUnauthorized {
			t.Fatalf("attempt %d: %d", i+1, got)
		}
	}
	r := h.do(h.client, "POST", "/intern/anmelden", url.Values{"benutzername": {"sachbearbeitung-musterstadt"}, "passwort": {"Demo-Passwort-2026"}})
	if r.status != http.StatusTooManyRequests || !strings.Contains(r.body, "Zu viele fehlgeschlagene Anmeldeversuche") {
		t.Fatalf("right password after 5 failures: %d", r.status)
	}
	if got := login("sachbearbeitung-beispielkreis", "Demo-Passwort-2026"); got != http.StatusSeeOther {
		t.Errorf("another name is blocked too: %d", got)
	}
	h.now = h.now.Add(3 * time.Minute)
	if got := login("sachbearbeitung-musterstadt", "Demo-Passwort-2026"); got != http.StatusSeeOther {
		t.Errorf("after waiting: %d", got)
	}
	// A success forgets the failures.
	for range 4 {
		login("sachbearbeitung-musterstadt", "falsch-falsch-falsch")
	}
	if got := login("sachbearbeitung-musterstadt", "Demo-Passwort-2026"); got != http.StatusSeeOther {
		t.Errorf("after a success and 4 failures: %d", got)
	}
}
