package web_test

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/antrag/antrag/internal/payment"
	"github.com/antrag/antrag/internal/tenant"
)

// TestAdminServiceFee: the online fee on the service page is validated by
// payment.Fee.Validate with the problem at its field, stored, shown again
// and audited; emptied, it is removed.
func TestAdminServiceFee(t *testing.T) {
	h := newAdminHarness(t)
	ctx := context.Background()
	sv := h.service("musterstadt", "waffenbesitzkarte").svc // the demo gives it no fee
	path := "/intern/admin/dienste/" + sv.ID + "/bearbeiten"
	doc := page(t, h.do(h.admin, "GET", path, nil))
	if n := doc.Find("input[type=radio][name=zahlungsart]").Length(); n != len(payment.Policies) {
		t.Errorf("%d policy radios, want %d", n, len(payment.Policies))
	}
	if v, _ := doc.Find("input[name=zahlungsart][checked]").Attr("value"); v != "" {
		t.Errorf("policy checked %q, want none", v)
	}
	form := url.Values{"name": {sv.Name}, "behoerde": {sv.AuthorityID}, "vertrauensniveau": {"0"},
		"zahlungsart": {"mandatory"}, "verwendungszweck": {"Gewerbeanmeldung {vorgangsnummer}"},
		"positionen": {`[{"id": "grund", "description": "Grundgebühr", "amount": "26.00"}]`}}
	doc = wantFieldErrors(t, h.do(h.admin, "POST", path, form), "verwendungszweck")
	if msg := doc.Find("#verwendungszweck-error").Text(); !strings.Contains(msg, "27") {
		t.Errorf("purpose error %q does not name the limit", msg)
	}
	form.Set("verwendungszweck", "Gewerbe {vorgangsnummer}")
	for _, bad := range []string{`[{"id": "grund"`, `[{"id": "grund", "amount": "26,00"}]`, `[{"id": "a b", "amount": "1"}]`,
		`[{"id": "grund", "amount_rule": {"zaehlen": 1}}]`, `[{"id": "grund", "betrag": "1"}]`, `[]`} {
		form.Set("positionen", bad)
		wantFieldErrors(t, h.do(h.admin, "POST", path, form), "positionen")
	}
	form.Set("positionen", `[{"id": "grund", "description": "Grundgebühr", "amount": "26.00"},
		{"id": "kopie", "description": "je Kopie", "amount": "2.5", "quantity_rule": {"var": "G1.F1"}}]`)
	if r := h.do(h.admin, "POST", path, form); r.status != http.StatusSeeOther {
		t.Fatalf("save: %d %s", r.status, problemsOf(r.body))
	}
	got, err := h.db.Service(ctx, h.tn.ID, sv.ID)
	if err != nil {
		t.Fatal(err)
	}
	if got.Fee == nil || got.Fee.Policy != payment.Mandatory || got.Fee.Purpose != "Gewerbe {vorgangsnummer}" ||
		len(got.Fee.Items) != 2 || got.Fee.Items[0].Amount != 2600 || got.Fee.Items[1].Amount != 250 ||
		string(got.Fee.Items[1].QuantityRule) != `{"var":"G1.F1"}` {
		t.Fatalf("fee after save %+v", got.Fee)
	}
	evs := h.audits(t, h.tn.ID)
	if len(evs) != 1 || evs[0].Object != tenant.ObjectService || !strings.Contains(evs[0].Detail, "Online-Gebühr") {
		t.Errorf("audit %+v", evs)
	}
	doc = page(t, h.do(h.admin, "GET", path, nil))
	if v, _ := doc.Find("input[name=zahlungsart][checked]").Attr("value"); v != "mandatory" {
		t.Errorf("policy checked %q after save", v)
	}
	if txt := doc.Find("textarea#positionen").Text(); !strings.Contains(txt, `"amount": "26.00"`) {
		t.Errorf("items shown as %q", txt)
	}

	// Saved again unchanged: no audit entry; emptied: removed.
	form2 := url.Values{"name": {sv.Name}, "behoerde": {sv.AuthorityID}, "vertrauensniveau": {"0"}, "zahlungsart": {"mandatory"},
		"verwendungszweck": {got.Fee.Purpose}, "positionen": {doc.Find("textarea#positionen").Text()}}
	if r := h.do(h.admin, "POST", path, form2); r.status != http.StatusSeeOther {
		t.Fatalf("save unchanged: %d %s", r.status, problemsOf(r.body))
	}
	if n := len(h.audits(t, h.tn.ID)); n != 1 {
		t.Errorf("an unchanged save was audited (%d entries)", n)
	}
	form2 = url.Values{"name": {sv.Name}, "behoerde": {sv.AuthorityID}, "vertrauensniveau": {"0"}, "zahlungsart": {""}}
	if r := h.do(h.admin, "POST", path, form2); r.status != http.StatusSeeOther {
		t.Fatalf("remove: %d %s", r.status, problemsOf(r.body))
	}
	if got, _ := h.db.Service(ctx, h.tn.ID, sv.ID); got.Fee != nil {
		t.Errorf("fee after removing %+v", got.Fee)
	}
}

// TestAdminPaymentAccount: the account page stores an account with its
// secrets sealed; secrets are never shown, left empty they stay; the
// audit names changed secrets without their values; another tenant's
// authority is not found.
func TestAdminPaymentAccount(t *testing.T) {
	h := newAdminHarness(t)
	ctx := context.Background()
	authID := h.service("musterstadt", "gewerbeanmeldung").svc.AuthorityID
	// The demo's account at the sandbox provider goes first.
	if err := h.db.SetPaymentAccount(ctx, h.tn.ID, authID, nil); err != nil {
		t.Fatal(err)
	}
	path := "/intern/admin/behoerden/" + authID + "/bezahldienst"
	if n := page(t, h.do(h.admin, "GET", "/intern/admin/behoerden/"+authID, nil)).Find("a[href='" + path + "']").Length(); n != 1 {
		t.Errorf("the authority page links the payment page %d times", n)
	}
	doc := page(t, h.do(h.admin, "GET", path, nil))
	if v, _ := doc.Find("select#art option[selected]").Attr("value"); v != "" {
		t.Errorf("kind selected %q, want none", v)
	}

	form := url.Values{"art": {"pmpayment"}, "basis": {"https://payment-test.govconnect.de"}, "originator": {"99050012104000"},
		"endpoint": {"091620000000"}, "tokenurl": {"https://payment-test.govconnect.de/oauth/token/"}, "clientid": {"antrag"},
		"clientsecret": {"oauth-geheim-1"}, "buchungsdaten": {`{"grund": {"Haushaltsstelle": "1.1100"}}`}}
	doc = wantFieldErrors(t, h.do(h.admin, "POST", path, form), "basis")
	if v, _ := doc.Find("input#clientsecret").Attr("value"); v != "" {
		t.Errorf("a refused form sends the secret back: %q", v)
	}
	form.Set("basis", "https://payment-test.govconnect.de/")
	form.Set("buchungsdaten", `{"grund": "1.1100"}`)
	wantFieldErrors(t, h.do(h.admin, "POST", path, form), "buchungsdaten")
	form.Set("buchungsdaten", `{"grund": {"Haushaltsstelle": "1.1100"}}`)
	if r := h.do(h.admin, "POST", path, form); r.status != http.StatusSeeOther {
		t.Fatalf("save: %d %s", r.status, problemsOf(r.body))
	}
	acc, err := h.db.PaymentAccount(ctx, h.tn.ID, authID)
	if err != nil {
		t.Fatal(err)
	}
	if acc.Kind != payment.PMPayment || acc.ClientSecret != "oauth-geheim-1" || acc.BookingData["grund"]["Haushaltsstelle"] != "1.1100" {
		t.Errorf("account %+v", acc)
	}
	doc = page(t, h.do(h.admin, "GET", path, nil))
	if v, _ := doc.Find("input#clientsecret").Attr("value"); v != "" || strings.Contains(doc.Text(), "oauth-geheim") {
		t.Errorf("the page shows the secret")
	}
	if v, _ := doc.Find("select#art option[selected]").Attr("value"); v != "pmpayment" {
		t.Errorf("kind selected %q", v)
	}

	// Saved with the secret left empty: it stays.
	form.Set("clientsecret", "")
	form.Set("endpoint", "16051")
	if r := h.do(h.admin, "POST", path, form); r.status != http.StatusSeeOther {
		t.Fatalf("save: %d %s", r.status, problemsOf(r.body))
	}
	if acc, _ := h.db.PaymentAccount(ctx, h.tn.ID, authID); acc.ClientSecret != "oauth-geheim-1" || acc.EndpointID != "16051" {
		t.Errorf("account after a save without the secret %+v", acc)
	}
	evs := h.audits(t, h.tn.ID)
	if len(evs) != 2 || evs[0].Object != tenant.ObjectPayment || evs[0].Detail != "Bezahldienst der Behörde „"+h.authorityName(t, authID)+"“, geändert: endpointId" ||
		!strings.Contains(evs[1].Detail, "Client-Secret (neu gesetzt)") {
		t.Errorf("audit %+v", evs)
	}
	for _, ev := range evs {
		if strings.Contains(ev.Detail, "geheim") {
			t.Errorf("audit reveals the secret: %q", ev.Detail)
		}
	}

	// Another tenant's admin finds no such authority.
	if r := h.do(h.other, "GET", path, nil); r.status != http.StatusNotFound {
		t.Errorf("other tenant GET: %d", r.status)
	}

	// Removed.
	if r := h.do(h.admin, "POST", path, url.Values{"art": {""}}); r.status != http.StatusSeeOther {
		t.Fatalf("remove: %d %s", r.status, problemsOf(r.body))
	}
	if _, err := h.db.PaymentAccount(ctx, h.tn.ID, authID); err == nil {
		t.Error("the account is still there")
	}
	if evs := h.audits(t, h.tn.ID); evs[0].Action != "entfernt" {
		t.Errorf("audit of the removal %+v", evs[0])
	}
}

func (h *adminHarness) authorityName(t *testing.T, id string) string {
	t.Helper()
	a, err := h.db.Authority(context.Background(), h.tn.ID, id)
	if err != nil {
		t.Fatal(err)
	}
	return a.Name
}

// TestAdminPaymentCheck: "Verbindung testen" asks the provider with the
// stored account (here the demo's, at the sandbox) and shows the outcome;
// a provider that is down fails the test, and nothing is paid.
func TestAdminPaymentCheck(t *testing.T) {
	h := newAdminHarness(t)
	authID := h.service("musterstadt", "bewohnerparkausweis").svc.AuthorityID
	path := "/intern/admin/behoerden/" + authID + "/bezahldienst"
	if n := page(t, h.do(h.admin, "GET", path, nil)).Find("form[action='" + path + "/test'] button").Length(); n != 1 {
		t.Fatalf("%d check buttons", n)
	}
	creates := h.pay.Creates()
	doc := page(t, h.do(h.admin, "POST", path+"/test", url.Values{}))
	if got := doc.Find("#verbindungstest").Text(); !strings.Contains(got, "erfolgreich") {
		t.Errorf("check with the sandbox up: %q", got)
	}
	h.pay.SetDown(true)
	doc = page(t, h.do(h.admin, "POST", path+"/test", url.Values{}))
	if got := doc.Find("#verbindungstest").Text(); !strings.Contains(got, "fehlgeschlagen") || !strings.Contains(got, "nicht erreichbar") {
		t.Errorf("check with the sandbox down: %q", got)
	}
	if h.pay.Creates() != creates {
		t.Error("the check created a payment")
	}
	// An ePayBL account without its client certificate is not saved: the
	// client could not use it.
	wantFieldErrors(t, h.do(h.admin, "POST", path, url.Values{"art": {"epaybl"}, "basis": {"https://epay.example/"},
		"originator": {"o"}, "endpoint": {"e"}, "zertifikatspasswort": {"x"}}), "art")
}
