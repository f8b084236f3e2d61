package web_test

import (
	"context"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"strings"
	"testing"

	"github.com/PuerkitoBio/goquery"

	"github.com/antrag/antrag/internal/account"
	"github.com/antrag/antrag/internal/demo"
	"github.com/antrag/antrag/internal/submission"
)

// addStaff creates an account of the tenant with the demo password and
// the access.
func (h *harness) addStaff(tenantSlug, username string, acc *account.Access) *account.User {
	h.t.Helper()
	ctx := context.Background()
	t, err := h.db.TenantBySlug(ctx, tenantSlug)
	if err != nil {
		h.t.Fatal(err)
	}
	hash, err := account.HashPassword(demo.Password)
	if err != nil {
		h.t.Fatal(err)
	}
	u := &account.User{TenantID: t.ID, Username: username, Name: username, PasswordHash: hash}
	if err := h.db.CreateUser(ctx, u); err != nil {
		h.t.Fatal(err)
	}
	if acc != nil {
		if err := h.db.SetAccess(ctx, t.ID, u.ID, acc); err != nil {
			h.t.Fatal(err)
		}
	}
	return u
}

// loginAs returns a client logged in with the demo password (no second
// factor).
func (h *harness) loginAs(username string) *http.Client {
	h.t.Helper()
	jar, _ := cookiejar.New(nil)
	c := &http.Client{Jar: jar, Transport: h.client.Transport, CheckRedirect: h.client.CheckRedirect}
	r := h.do(c, "POST", "/intern/anmelden", url.Values{"benutzername": {username}, "passwort": {demo.Password}})
	if r.status != http.StatusSeeOther || r.location != "/intern/" {
		h.t.Fatalf("login %s: %d %s", username, r.status, r.location)
	}
	return c
}

// inboxRefs returns the Vorgangsnummern the inbox page lists.
func inboxRefs(t *testing.T, body string) []string {
	t.Helper()
	doc, err := goquery.NewDocumentFromReader(strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	var refs []string
	doc.Find("main a[href^='/intern/antraege/']").Each(func(_ int, s *goquery.Selection) {
		refs = append(refs, strings.TrimSpace(s.Text()))
	})
	return refs
}

// TestCaseworkerLimitedToOneServiceSeesNothingElse: every staff route
// keeps an application of another service from a caseworker limited to
// one service, as if it did not exist; the own service works as before.
func TestCaseworkerLimitedToOneServiceSeesNothingElse(t *testing.T) {
	h := newHarness(t)
	ctx := context.Background()
	parking, _ := h.sendExample("musterstadt", "bewohnerparkausweis")
	trade, _ := h.sendExample("musterstadt", "gewerbeanmeldung")
	h.addStaff("musterstadt", "sb-parken", &account.Access{Role: account.RoleCaseworker, Services: []string{parking.ServiceID}})
	c := h.loginAs("sb-parken")

	// The list, its search and its service filter.
	for _, path := range []string{"/intern/", "/intern/?q=" + url.QueryEscape(trade.Reference),
		"/intern/?dienst=" + url.QueryEscape(trade.ServiceID), "/intern/?status=eingegangen"} {
		r := h.do(c, "GET", path, nil)
		if r.status != http.StatusOK && r.status != http.StatusBadRequest {
			t.Fatalf("GET %s: %d", path, r.status)
		}
		for _, ref := range inboxRefs(t, r.body) {
			if ref == trade.Reference {
				t.Errorf("GET %s lists the other service's application", path)
			}
		}
	}
	if refs := inboxRefs(t, h.do(c, "GET", "/intern/", nil).body); len(refs) != 1 || refs[0] != parking.Reference {
		t.Errorf("inbox lists %v, want only %s", refs, parking.Reference)
	}
	doc, _ := goquery.NewDocumentFromReader(strings.NewReader(h.do(c, "GET", "/intern/", nil).body))
	if n := doc.Find("select#dienst option[value='" + trade.ServiceID + "']").Length(); n != 0 {
		t.Errorf("the service filter offers the other service")
	}

	dels, err := h.db.Deliveries(ctx, trade.TenantID, trade.ID)
	if err != nil {
		t.Fatal(err)
	}
	delivery := "00000000-0000-0000-0000-000000000000"
	if len(dels) > 0 {
		delivery = dels[0].ID
	}
	for _, route := range []struct{ method, path string }{
		{"GET", "/intern/antraege/" + trade.ID},
		{"GET", "/intern/antraege/" + trade.ID + "/antrag.pdf"},
		{"GET", "/intern/antraege/" + trade.ID + "/daten.json"},
		{"GET", "/intern/antraege/" + trade.ID + "/anhaenge/00000000-0000-0000-0000-000000000000"},
		{"POST", "/intern/antraege/" + trade.ID + "/status"},
		{"POST", "/intern/antraege/" + trade.ID + "/zustellungen/" + delivery},
	} {
		r := h.do(c, route.method, route.path, url.Values{"status": {"abgeschlossen"}})
		if r.status != http.StatusNotFound {
			t.Errorf("%s %s: %d, want 404", route.method, route.path, r.status)
		}
		if strings.Contains(r.body, trade.Reference) {
			t.Errorf("%s %s names the application", route.method, route.path)
		}
	}
	if got, _ := h.db.Submission(ctx, trade.TenantID, trade.ID); got.Status != submission.Eingegangen {
		t.Errorf("status of the other service's application changed to %s", got.Status)
	}
	evs, _ := h.db.Events(ctx, trade.TenantID, trade.ID)
	for _, ev := range evs {
		if ev.Actor == "sb-parken" {
			t.Errorf("event by the limited caseworker: %+v", ev)
		}
	}

	// The own service.
	for _, p := range []string{"/intern/antraege/" + parking.ID, "/intern/antraege/" + parking.ID + "/antrag.pdf",
		"/intern/antraege/" + parking.ID + "/daten.json"} {
		if r := h.do(c, "GET", p, nil); r.status != http.StatusOK {
			t.Errorf("GET %s: %d", p, r.status)
		}
	}
	if r := h.do(c, "POST", "/intern/antraege/"+parking.ID+"/status", url.Values{"status": {"in_bearbeitung"}}); r.status != http.StatusSeeOther {
		t.Errorf("status of the own application: %d", r.status)
	}

	// The admin page is for admins only.
	if r := h.do(c, "GET", "/intern/benutzer", nil); r.status != http.StatusForbidden {
		t.Errorf("staff page for a caseworker: %d", r.status)
	}
}

// TestUnlimitedCaseworkerAndAdmin: an account without a stored role keeps
// seeing all of its tenant; an admin sees all and the staff page.
func TestUnlimitedCaseworkerAndAdmin(t *testing.T) {
	h := newHarness(t)
	parking, _ := h.sendExample("musterstadt", "bewohnerparkausweis")
	trade, _ := h.sendExample("musterstadt", "gewerbeanmeldung")
	// An admin's limits do not apply.
	h.addStaff("musterstadt", "chefin", &account.Access{Role: account.RoleAdmin, Services: []string{parking.ServiceID}})
	h.addStaff("musterstadt", "sb-gewerbe", &account.Access{Role: account.RoleCaseworker, Services: []string{trade.ServiceID}})
	for _, c := range []*http.Client{h.staffClient("musterstadt"), h.loginAs("chefin")} {
		refs := inboxRefs(t, h.do(c, "GET", "/intern/", nil).body)
		if len(refs) != 2 {
			t.Errorf("inbox lists %v, want both", refs)
		}
		if r := h.do(c, "GET", "/intern/antraege/"+trade.ID, nil); r.status != http.StatusOK {
			t.Errorf("detail: %d", r.status)
		}
	}
	if r := h.do(h.staffClient("musterstadt"), "GET", "/intern/benutzer", nil); r.status != http.StatusForbidden {
		t.Errorf("staff page for the unlimited caseworker: %d", r.status)
	}
	r := h.do(h.loginAs("chefin"), "GET", "/intern/benutzer", nil)
	if r.status != http.StatusOK {
		t.Fatalf("staff page for the admin: %d", r.status)
	}
	doc, _ := goquery.NewDocumentFromReader(strings.NewReader(r.body))
	rows := map[string]string{}
	doc.Find("table tbody tr").Each(func(_ int, s *goquery.Selection) {
		cells := s.Find("td")
		rows[strings.TrimSpace(cells.Eq(0).Text())] = strings.TrimSpace(cells.Eq(2).Text()) + "|" + strings.TrimSpace(cells.Eq(3).Text())
	})
	svc, err := h.db.Service(context.Background(), trade.TenantID, trade.ServiceID)
	if err != nil {
		t.Fatal(err)
	}
	if rows["chefin"] != "Administration|–" || rows["sb-gewerbe"] != "Sachbearbeitung|"+svc.Name ||
		rows[demo.Users["musterstadt"]] != "Sachbearbeitung|–" {
		t.Errorf("staff page rows %v", rows)
	}
	if doc.Find("a[href='/intern/benutzer']").Length() != 0 {
		t.Errorf("the staff page links to itself")
	}
	inbox, _ := goquery.NewDocumentFromReader(strings.NewReader(h.do(h.loginAs("chefin"), "GET", "/intern/", nil).body))
	if inbox.Find("a[href='/intern/benutzer']").Length() != 1 {
		t.Errorf("the admin's inbox does not link the staff page")
	}
}
