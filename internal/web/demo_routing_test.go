package web_test

import (
	"net/http"
	"net/url"
	"testing"
)

// TestDemoRoutesItsEfAService: the demo offers Beispielkreis's shared
// service krankheitserreger in both tenants and routes it by the
// applicant's place, so starting an application without one leads back to
// the start page, which asks for it. (Who is responsible where is
// checked in package declared's tests of the demo catalogue; finding it
// for a place needs the area reference data.)
func TestDemoRoutesItsEfAService(t *testing.T) {
	h := newHarness(t)
	for _, tenant := range []string{"musterstadt", "beispielkreis"} {
		start := "/" + tenant + "/dienste/krankheitserreger"
		resp := h.do(h.client, "POST", start, url.Values{})
		if resp.status != http.StatusSeeOther || resp.location != start {
			t.Errorf("%s: start without a place: %d %q, want back to the start page", tenant, resp.status, resp.location)
		}
	}
}
