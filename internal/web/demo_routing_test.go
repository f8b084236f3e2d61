package web_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"
)

// TestDemoRoutesItsEfAService: the demo offers Beispielkreis's shared
// service krankheitserreger in both tenants and routes it by the
// applicant's postcode with its own areas and postcode table: starting
// without a place leads back to the start page, which asks for it; 99084
// goes to the Bürgeramt Musterstadt, 55218 to the Kreisverwaltung, 55270
// asks for the Gemeinde, and with the street Hauptstraße it is
// Beispieldorf, in the Kreis.
func TestDemoRoutesItsEfAService(t *testing.T) {
	h := newHarness(t)
	for _, tenant := range []string{"musterstadt", "beispielkreis"} {
		start := "/" + tenant + "/dienste/krankheitserreger"
		resp := h.do(h.client, "POST", start, url.Values{})
		if resp.status != http.StatusSeeOther || resp.location != start {
			t.Errorf("%s: start without a place: %d %q, want back to the start page", tenant, resp.status, resp.location)
		}
	}
	find := func(form url.Values) response {
		t.Helper()
		return h.do(h.client, "POST", "/beispielkreis/dienste/krankheitserreger/zustaendigkeit", form)
	}
	for _, c := range []struct {
		form      url.Values
		tenant    string
		authority string
	}{
		{url.Values{"plz": {"99084"}}, "musterstadt", "Bürgeramt Musterstadt"},
		{url.Values{"plz": {"55218"}}, "beispielkreis", "Kreisverwaltung Beispielkreis"},
		{url.Values{"plz": {"55270"}, "strasse": {"Hauptstr."}}, "beispielkreis", "Kreisverwaltung Beispielkreis"},
	} {
		r := find(c.form)
		if r.status != http.StatusSeeOther || !strings.HasPrefix(r.location, "/"+c.tenant+"/dienste/krankheitserreger?ort=") {
			t.Errorf("%v: %d %q, want %s", c.form, r.status, r.location, c.tenant)
			continue
		}
		if page := h.get(r.location); !strings.Contains(page.body, c.authority) {
			t.Errorf("%v: the start page does not name %s", c.form, c.authority)
		}
	}
	if r := find(url.Values{"plz": {"55270"}}); r.status != http.StatusOK || strings.Count(r.body, `name="ars"`) != 2 {
		t.Errorf("55270: %d, want the choice of two Gemeinden", r.status)
	}
}
