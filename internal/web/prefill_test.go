package web_test

import (
	"bytes"
	"context"
	"fmt"
	"mime/multipart"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/PuerkitoBio/goquery"

	"github.com/antrag/antrag/internal/fim"
	"github.com/antrag/antrag/internal/fim/samples"
	"github.com/antrag/antrag/internal/tenant"
)

// Prefill through the real SAML flow: Erika logs in at the development
// IdP (her postcode written "99 084") and starts an application.

const (
	applicant = "G00000002161.G00000002159."
	plzName   = applicant + "G60000000086.F60000000246"
	surName   = applicant + "F60000000227"
	givenName = applicant + "F60000000228"
)

// startLoggedIn logs Erika in and starts an application for service; it
// returns the draft's base path.
func (h *loginHarness) startLoggedIn(c *http.Client, service string) string {
	h.t.Helper()
	if res := h.login(c, "substantiell", "erika", "STORK-QAA-Level-3", "eID"); res.StatusCode != http.StatusSeeOther {
		h.t.Fatalf("login: %d", res.StatusCode)
	}
	_, res := h.page(c, "POST", "/musterstadt/dienste/"+service, url.Values{}, http.StatusSeeOther)
	loc := res.Header.Get("Location")
	base, _, ok := strings.Cut(loc, "/schritt/")
	if !ok {
		h.t.Fatalf("start → %s", loc)
	}
	return base
}

// stepWith returns the number and page of the first step with an input
// named name.
func (h *loginHarness) stepWith(c *http.Client, base, name string) (int, *goquery.Document) {
	h.t.Helper()
	for n := 1; n <= 20; n++ {
		req, _ := http.NewRequest("GET", h.srv.URL+fmt.Sprintf("%s/schritt/%d", base, n), nil)
		res, err := c.Do(req)
		if err != nil {
			h.t.Fatal(err)
		}
		doc, err := goquery.NewDocumentFromReader(res.Body)
		res.Body.Close()
		if err != nil {
			h.t.Fatal(err)
		}
		if res.StatusCode == http.StatusOK && doc.Find(`input[name="`+name+`"]`).Length() > 0 {
			return n, doc
		}
	}
	h.t.Fatalf("no step with %s", name)
	return 0, nil
}

func inputOf(doc *goquery.Document, name string) *goquery.Selection {
	return doc.Find(`input[name="` + name + `"]`)
}

// provedNote returns the text of the note that describes input name as
// proved, "" if it has none.
func provedNote(doc *goquery.Document, name string) string {
	in := inputOf(doc, name)
	id, _ := in.Attr("id")
	desc, _ := in.Attr("aria-describedby")
	if !strings.Contains(" "+desc+" ", " "+id+"-nachweis ") {
		return ""
	}
	return strings.TrimSpace(doc.Find("#" + id + "-nachweis").Text())
}

func TestPrefillFromLogin(t *testing.T) {
	h := newLoginHarness(t)
	c := h.browser()
	base := h.startLoggedIn(c, "beschaeftigungserlaubnis")
	n, doc := h.stepWith(c, base, plzName)
	for name, want := range map[string]string{plzName: "99084", givenName: "Erika", surName: "Mustermann",
		applicant + "G60000000086.F60000000243": "Heidestraße", applicant + "G60000000086.F60000000244": "17"} {
		if v, _ := inputOf(doc, name).Attr("value"); v != want {
			t.Errorf("%s = %q, want %q", name, v, want)
		}
		if note := provedNote(doc, name); note != "Aus Ihrem Nutzerkonto übernommen." {
			t.Errorf("%s: proved note %q", name, note)
		}
		if _, ro := inputOf(doc, name).Attr("readonly"); ro {
			t.Errorf("%s is locked though the schema does not demand it", name)
		}
	}
	// An edit is kept, and the edited value is no longer proved.
	vals := url.Values{}
	doc.Find("form.app-stepform input").Each(func(_ int, s *goquery.Selection) {
		name, _ := s.Attr("name")
		typ, _ := s.Attr("type")
		v, _ := s.Attr("value")
		if name != "" && (typ == "text" || typ == "hidden") {
			vals.Set(name, v)
		}
	})
	vals.Set(givenName, "Erika Maria")
	vals.Set("aktion", "speichern")
	h.postMultipart(c, fmt.Sprintf("%s/schritt/%d", base, n), vals)
	_, doc = h.stepWith(c, base, plzName)
	if v, _ := inputOf(doc, givenName).Attr("value"); v != "Erika Maria" {
		t.Errorf("edited given name %q", v)
	}
	if note := provedNote(doc, givenName); note != "" {
		t.Errorf("edited value still proved: %q", note)
	}
	if note := provedNote(doc, plzName); note == "" {
		t.Error("untouched postcode no longer proved")
	}
	// Anonymous: nothing filled.
	anon := h.browser()
	_, res := h.page(anon, "POST", "/musterstadt/dienste/beschaeftigungserlaubnis", url.Values{}, http.StatusSeeOther)
	abase, _, _ := strings.Cut(res.Header.Get("Location"), "/schritt/")
	_, doc = h.stepWith(anon, abase, plzName)
	if v, _ := inputOf(doc, plzName).Attr("value"); v != "" {
		t.Errorf("anonymous draft prefilled: %q", v)
	}
	if strings.Contains(h.logs.String(), "99084") || strings.Contains(h.logs.String(), "Heidestraße") {
		t.Error("the log has personal data")
	}
}

// postMultipart posts a step as the browser's multipart form.
func (h *loginHarness) postMultipart(c *http.Client, path string, vals url.Values) {
	h.t.Helper()
	var buf bytes.Buffer
	mw := multipart.NewWriter(&buf)
	for k, vs := range vals {
		for _, v := range vs {
			mw.WriteField(k, v)
		}
	}
	mw.Close()
	req, _ := http.NewRequest("POST", h.srv.URL+path, &buf)
	req.Header.Set("Content-Type", mw.FormDataContentType())
	res, err := c.Do(req)
	if err != nil {
		h.t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != http.StatusSeeOther {
		h.t.Fatalf("POST %s: %d", path, res.StatusCode)
	}
}

// publishLocked publishes the Beschäftigungserlaubnis with the family
// name's vorbefuellung "verpflichtend" as service "gesperrt".
func (h *loginHarness) publishLocked() {
	h.t.Helper()
	ctx := context.Background()
	xdf, err := samples.FS.ReadFile("xdf3/S00000000362_xdf3.xml")
	if err != nil {
		h.t.Fatal(err)
	}
	// The family name's Datenfeld occurs more than once; every occurrence
	// is the same definition, so each gets the vorbefuellung that follows
	// its id (the import refuses one id and version with two contents).
	id, keine, locked := []byte("<xdf3:id>F60000000227</xdf3:id>"), []byte("<code>keine</code></xdf3:vorbefuellung>"), []byte("<code>verpflichtend</code></xdf3:vorbefuellung>")
	changed := 0
	for from := 0; ; {
		i := bytes.Index(xdf[from:], id)
		if i < 0 {
			break
		}
		i += from
		j := bytes.Index(xdf[i:], keine)
		if j < 0 {
			h.t.Fatal("sample changed")
		}
		xdf = append(append(append([]byte{}, xdf[:i+j]...), locked...), xdf[i+j+len(keine):]...)
		from, changed = i+j+len(locked), changed+1
	}
	if changed == 0 {
		h.t.Fatal("sample changed")
	}
	cat, err := fim.DefaultCatalog()
	if err != nil {
		h.t.Fatal(err)
	}
	s, _, err := fim.Import(bytes.NewReader(xdf), "gesperrt.xml", fim.Options{Catalog: cat})
	if err != nil {
		h.t.Fatal(err)
	}
	tn, err := h.db.TenantBySlug(ctx, "musterstadt")
	if err != nil {
		h.t.Fatal(err)
	}
	as, err := h.db.ListAuthorities(ctx, tn.ID)
	if err != nil || len(as) == 0 {
		h.t.Fatal("no authority", err)
	}
	svc := &tenant.Service{TenantID: tn.ID, Slug: "gesperrt", Name: s.Title(), AuthorityID: as[0].ID}
	if err := h.db.CreateService(ctx, svc); err != nil {
		h.t.Fatal(err)
	}
	fv := &tenant.FormVersion{TenantID: tn.ID, ServiceID: svc.ID, FIMID: s.ID, FIMVersion: s.Version, Name: s.Name, XDF: xdf}
	if err := h.db.PublishFormVersion(ctx, tn.ID, fv); err != nil {
		h.t.Fatal(err)
	}
}

func TestPrefillLockedIgnoresEdits(t *testing.T) {
	h := newLoginHarness(t)
	h.publishLocked()
	c := h.browser()
	base := h.startLoggedIn(c, "gesperrt")
	n, doc := h.stepWith(c, base, surName)
	if _, ro := inputOf(doc, surName).Attr("readonly"); !ro {
		t.Error("the locked family name is not readonly")
	}
	if note := provedNote(doc, surName); !strings.HasPrefix(note, "Aus Ihrem Nutzerkonto übernommen; diese Angabe kann hier nicht geändert werden") {
		t.Errorf("locked note %q", note)
	}
	if _, ro := inputOf(doc, givenName).Attr("readonly"); ro {
		t.Error("the given name is locked")
	}
	vals := url.Values{surName: {"Musterfrau"}, givenName: {"Erika"}, plzName: {"99084"}, "aktion": {"speichern"}}
	h.postMultipart(c, fmt.Sprintf("%s/schritt/%d", base, n), vals)
	_, doc = h.stepWith(c, base, surName)
	if v, _ := inputOf(doc, surName).Attr("value"); v != "Mustermann" {
		t.Errorf("locked family name changed to %q", v)
	}
	// Emptied: still kept.
	h.postMultipart(c, fmt.Sprintf("%s/schritt/%d", base, n), url.Values{surName: {""}, "aktion": {"speichern"}})
	_, doc = h.stepWith(c, base, surName)
	if v, _ := inputOf(doc, surName).Attr("value"); v != "Mustermann" {
		t.Errorf("locked family name emptied to %q", v)
	}
}
