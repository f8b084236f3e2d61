package web_test

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/PuerkitoBio/goquery"

	"github.com/antrag/antrag/internal/account"
	"github.com/antrag/antrag/internal/delivery"
	"github.com/antrag/antrag/internal/demo"
	"github.com/antrag/antrag/internal/tenant"
)

// adminHarness is a harness with an admin "chefin" of musterstadt and one
// "leitung" of beispielkreis, logged in.
type adminHarness struct {
	*harness
	admin, other *http.Client
	tn, otherTn  *tenant.Tenant
}

func newAdminHarness(t *testing.T) *adminHarness {
	t.Helper()
	h := newHarness(t)
	h.addStaff("musterstadt", "chefin", &account.Access{Role: account.RoleAdmin})
	h.addStaff("beispielkreis", "leitung", &account.Access{Role: account.RoleAdmin})
	ctx := context.Background()
	tn, err := h.db.TenantBySlug(ctx, "musterstadt")
	if err != nil {
		t.Fatal(err)
	}
	other, err := h.db.TenantBySlug(ctx, "beispielkreis")
	if err != nil {
		t.Fatal(err)
	}
	// The tests start from tenants without jurisdictions: the demo's
	// routed service is taken out of routing.
	for _, slug := range []string{"musterstadt", "beispielkreis"} {
		for _, s := range demoServiceList(t, h, slug) {
			h.unroute(s)
		}
	}
	return &adminHarness{harness: h, admin: h.loginAs("chefin"), other: h.loginAs("leitung"), tn: tn, otherTn: other}
}

// audits returns the tenant's audit trail, newest first, without what
// the demo's seeding and the tests' own set-up recorded (actor
// demo.Actor).
func (h *adminHarness) audits(t *testing.T, tenantID string) []*tenant.AuditEvent {
	t.Helper()
	evs, err := h.db.AuditEvents(context.Background(), tenantID, 0)
	if err != nil {
		t.Fatal(err)
	}
	var out []*tenant.AuditEvent
	for _, ev := range evs {
		if ev.Actor != demo.Actor {
			out = append(out, ev)
		}
	}
	return out
}

// wantFieldErrors checks a re-rendered form: status 400, an error summary
// linking exactly to the fields, and each field marked invalid and
// described by its error message.
func wantFieldErrors(t *testing.T, r response, fields ...string) *goquery.Document {
	t.Helper()
	if r.status != http.StatusBadRequest {
		t.Fatalf("status %d, want 400 (%s)", r.status, problemsOf(r.body))
	}
	doc := page(t, r)
	var links []string
	doc.Find("#fehler a[href^='#']").Each(func(_ int, s *goquery.Selection) {
		href, _ := s.Attr("href")
		links = append(links, strings.TrimPrefix(href, "#"))
	})
	if strings.Join(links, ",") != strings.Join(fields, ",") {
		t.Errorf("error summary links to %v, want %v", links, fields)
	}
	for _, id := range fields {
		in := doc.Find("#" + id)
		if in.Length() != 1 {
			t.Errorf("no field #%s", id)
			continue
		}
		if v, _ := in.Attr("aria-invalid"); v != "true" {
			t.Errorf("#%s: aria-invalid %q", id, v)
		}
		desc, _ := in.Attr("aria-describedby")
		if !strings.Contains(" "+desc+" ", " "+id+"-error ") || doc.Find("#"+id+"-error").Length() != 1 {
			t.Errorf("#%s: aria-describedby %q does not name its error", id, desc)
		}
	}
	return doc
}

// TestAdminPagesAreForAdminsOnly: a caseworker is refused every admin
// page as the staff page refuses him (403), a visitor is sent to the
// login, and nothing changes.
func TestAdminPagesAreForAdminsOnly(t *testing.T) {
	h := newAdminHarness(t)
	svc := h.service("musterstadt", "gewerbeanmeldung").svc
	cw := h.staffClient("musterstadt")
	routes := []struct{ method, path string }{
		{"GET", "/intern/admin/mandant"}, {"POST", "/intern/admin/mandant"},
		{"GET", "/intern/admin/behoerden"}, {"GET", "/intern/admin/behoerden/neu"}, {"POST", "/intern/admin/behoerden/neu"},
		{"GET", "/intern/admin/behoerden/" + svc.AuthorityID}, {"POST", "/intern/admin/behoerden/" + svc.AuthorityID},
		{"GET", "/intern/admin/behoerden/" + svc.AuthorityID + "/bezahldienst"}, {"POST", "/intern/admin/behoerden/" + svc.AuthorityID + "/bezahldienst"},
		{"GET", "/intern/admin/dienste/" + svc.ID + "/bearbeiten"}, {"POST", "/intern/admin/dienste/" + svc.ID + "/bearbeiten"},
		{"GET", "/intern/admin/zustaendigkeiten"}, {"POST", "/intern/admin/zustaendigkeiten"},
		{"GET", "/intern/admin/zustaendigkeiten/x/entfernen"}, {"POST", "/intern/admin/zustaendigkeiten/x/entfernen"},
	}
	form := url.Values{"name": {"Übernommen"}, "farbe": {"#004b76"}}
	for _, rt := range routes {
		if r := h.do(cw, rt.method, rt.path, form); r.status != http.StatusForbidden {
			t.Errorf("caseworker %s %s: %d, want 403", rt.method, rt.path, r.status)
		}
		if r := h.do(h.client, rt.method, rt.path, form); r.status != http.StatusSeeOther || !strings.HasPrefix(r.location, "/intern/anmelden") {
			t.Errorf("visitor %s %s: %d %s, want the login", rt.method, rt.path, r.status, r.location)
		}
	}
	if got, _ := h.db.Tenant(context.Background(), h.tn.ID); got.Name != h.tn.Name {
		t.Errorf("tenant renamed to %q", got.Name)
	}
	if evs := h.audits(t, h.tn.ID); len(evs) != 0 {
		t.Errorf("audit entries %+v", evs[0])
	}
	if n := page(t, h.do(cw, "GET", "/intern/", nil)).Find("a[href^='/intern/admin/']").Length(); n != 0 {
		t.Errorf("the caseworker's inbox links %d admin pages", n)
	}
	if n := page(t, h.do(h.admin, "GET", "/intern/", nil)).Find("main a[href='/intern/admin/mandant']").Length(); n != 1 {
		t.Errorf("the admin's inbox links the admin pages %d times", n)
	}
}

// TestAdminTenantSettings: the colour is refused below 4.5:1 with the
// measured ratio, a host name with a scheme is refused, both with field
// errors; a valid change is stored and audited with the admin's name.
func TestAdminTenantSettings(t *testing.T) {
	h := newAdminHarness(t)
	r := h.do(h.admin, "GET", "/intern/admin/mandant", nil)
	if r.status != http.StatusOK {
		t.Fatalf("GET: %d", r.status)
	}
	if v, _ := page(t, r).Find("input#name").Attr("value"); v != "Stadt Musterstadt" {
		t.Errorf("name field %q", v)
	}
	r = h.do(h.admin, "POST", "/intern/admin/mandant", url.Values{"name": {"Stadt Musterstadt"}, "farbe": {"#FFFF00"},
		"host": {"https://antrag.musterstadt.test"}, "logo": {"javascript:alert(1)"}})
	doc := wantFieldErrors(t, r, "logo", "farbe", "host")
	if msg := doc.Find("#farbe-error").Text(); !strings.Contains(msg, "1,07:1") || !strings.Contains(msg, "4,5:1") {
		t.Errorf("colour message %q does not give the measured ratio", msg)
	}
	if v, _ := doc.Find("input#farbe").Attr("value"); v != "#FFFF00" {
		t.Errorf("colour field shows %q again", v)
	}

	r = h.do(h.admin, "POST", "/intern/admin/mandant", url.Values{"name": {"Stadt Musterstadt (Portal)"}, "farbe": {"#004B76"},
		"host": {"Antrag.Musterstadt.test"}, "logo": {"/static/app/favicon.ico"}})
	if r.status != http.StatusSeeOther || r.location != "/intern/admin/mandant?gespeichert=1" {
		t.Fatalf("POST: %d %s %s", r.status, r.location, problemsOf(r.body))
	}
	got, err := h.db.Tenant(context.Background(), h.tn.ID)
	if err != nil {
		t.Fatal(err)
	}
	if got.Name != "Stadt Musterstadt (Portal)" || got.Colour != "#004b76" || got.Host != "antrag.musterstadt.test" || got.LogoURL != "/static/app/favicon.ico" {
		t.Errorf("tenant after save %+v", got)
	}
	evs := h.audits(t, h.tn.ID)
	if len(evs) != 1 || evs[0].Actor != "chefin" || evs[0].Object != tenant.ObjectTenant || evs[0].ObjectID != h.tn.ID ||
		evs[0].Action != "geändert" || evs[0].Detail != "Portal, geändert: Name, Logo, Farbe, Hostname" {
		t.Errorf("audit %+v", evs)
	}
	// The same settings again change nothing and record nothing.
	h.do(h.admin, "POST", "/intern/admin/mandant", url.Values{"name": {got.Name}, "farbe": {got.Colour}, "host": {got.Host}, "logo": {got.LogoURL}})
	if n := len(h.audits(t, h.tn.ID)); n != 1 {
		t.Errorf("%d audit entries after saving unchanged settings", n)
	}
	// Another tenant cannot take the host name.
	r = h.do(h.other, "POST", "/intern/admin/mandant", url.Values{"name": {h.otherTn.Name}, "host": {"antrag.musterstadt.test"}})
	wantFieldErrors(t, r, "host")
}

// TestTenantBranding: a tenant's pages link its colour sheet and show its
// logo with its name as alt text; the sheet sets KERN's action tokens in
// the light scheme; an https logo's origin is allowed by the CSP; a
// request for the tenant's own host name gets its catalogue at "/".
func TestTenantBranding(t *testing.T) {
	h := newAdminHarness(t)
	ctx := context.Background()
	tn := *h.tn
	tn.Colour, tn.LogoURL, tn.Host = "#004b76", "https://www.musterstadt.example/logo.svg", "antrag.musterstadt.test"
	if err := h.db.UpdateTenant(ctx, &tn); err != nil {
		t.Fatal(err)
	}
	r := h.get("/musterstadt/")
	doc := page(t, r)
	if n := doc.Find(`head link[rel="stylesheet"][href="/musterstadt/farben.css?v=004b76"]`).Length(); n != 1 {
		t.Errorf("%d links to the colour sheet", n)
	}
	img := doc.Find("header a[href='/musterstadt/'] img")
	if src, _ := img.Attr("src"); src != tn.LogoURL {
		t.Errorf("logo src %q", src)
	}
	if alt, _ := img.Attr("alt"); alt != tn.Name {
		t.Errorf("logo alt %q, want %q", alt, tn.Name)
	}
	if csp := r.header.Get("Content-Security-Policy"); !strings.Contains(csp, "img-src 'self' data: https://www.musterstadt.example;") {
		t.Errorf("CSP %q does not allow the logo", csp)
	}
	// Another tenant's pages carry neither.
	r = h.get("/beispielkreis/")
	doc = page(t, r)
	if doc.Find(`link[href*="farben.css"]`).Length() != 0 || doc.Find("header img").Length() != 0 {
		t.Errorf("beispielkreis carries musterstadt's brand")
	}
	if csp := r.header.Get("Content-Security-Policy"); strings.Contains(csp, "musterstadt.example") {
		t.Errorf("beispielkreis's CSP %q", csp)
	}

	css := h.get("/musterstadt/farben.css?v=004b76")
	if css.status != http.StatusOK || !strings.HasPrefix(css.header.Get("Content-Type"), "text/css") ||
		!strings.Contains(css.header.Get("Cache-Control"), "immutable") {
		t.Fatalf("colour sheet: %d %v", css.status, css.header)
	}
	for _, want := range []string{"@media (prefers-color-scheme: light)", "--kern-color-action-default: #004b76;", "--kern-color-action-on-default: #ffffff;"} {
		if !strings.Contains(css.body, want) {
			t.Errorf("colour sheet lacks %q:\n%s", want, css.body)
		}
	}
	if c := h.get("/musterstadt/farben.css?v=ffffff"); c.header.Get("Cache-Control") != "no-cache" {
		t.Errorf("an old version is cached: %q", c.header.Get("Cache-Control"))
	}
	if c := h.get("/beispielkreis/farben.css"); c.status != http.StatusNotFound {
		t.Errorf("colour sheet of a tenant without colour: %d", c.status)
	}

	// The tenant's own host name: its catalogue at "/"; any other host
	// keeps the portal.
	for host, want := range map[string]string{
		"antrag.musterstadt.test":      "Online-Dienste von Stadt Musterstadt",
		"ANTRAG.musterstadt.test:8443": "Online-Dienste von Stadt Musterstadt",
		"antrag.test":                  "Online-Dienste",
	} {
		req, err := http.NewRequest("GET", h.srv.URL+"/", nil)
		if err != nil {
			t.Fatal(err)
		}
		req.Host = host
		r := h.send(h.client, req)
		if r.status != http.StatusOK {
			t.Fatalf("%s: %d", host, r.status)
		}
		doc := page(t, r)
		if h1 := strings.TrimSpace(doc.Find("h1").Text()); h1 != want {
			t.Errorf("Host %s: h1 %q, want %q", host, h1, want)
		}
		services := doc.Find("main a[href^='/musterstadt/dienste/']").Length()
		if (want != "Online-Dienste") != (services > 0) {
			t.Errorf("Host %s: %d links to musterstadt's services", host, services)
		}
	}
}

// TestAdminAuthorities: create with field errors re-rendered, create,
// edit with EfA parameters; each change audited without contact data;
// another tenant's authority answers as a missing one.
func TestAdminAuthorities(t *testing.T) {
	h := newAdminHarness(t)
	ctx := context.Background()
	r := h.do(h.admin, "POST", "/intern/admin/behoerden/neu", url.Values{"name": {""}, "email": {"keine adresse"},
		"telefon": {"0361 / 1234"}, "efa": {"zustellkanal = fitconnect\nkein gleichheitszeichen"}, "impressum": {"http://example.de/impressum"}})
	doc := wantFieldErrors(t, r, "name", "email", "efa", "impressum")
	if msg := doc.Find("#efa-error").Text(); !strings.Contains(msg, "Zeile 2") {
		t.Errorf("EfA message %q does not name the line", msg)
	}
	if v := doc.Find("textarea#efa").Text(); v != "zustellkanal = fitconnect\nkein gleichheitszeichen" {
		t.Errorf("EfA field shows %q again", v)
	}

	r = h.do(h.admin, "POST", "/intern/admin/behoerden/neu", url.Values{"name": {"Ordnungsamt Musterstadt"},
		"anschrift": {"Marktplatz 2\r\n\r\n99084 Musterstadt"}, "email": {"ordnungsamt@musterstadt.example"}, "telefon": {"+49 361 1234-0"},
		"efa": {"zustellkanal = fitconnect\n gebuehr.betrag=30.00 "}, "impressum": {"https://www.musterstadt.example/impressum"}})
	if r.status != http.StatusSeeOther {
		t.Fatalf("create: %d %s", r.status, problemsOf(r.body))
	}
	as, err := h.db.ListAuthorities(ctx, h.tn.ID)
	if err != nil {
		t.Fatal(err)
	}
	var a *tenant.Authority
	for _, x := range as {
		if x.Name == "Ordnungsamt Musterstadt" {
			a = x
		}
	}
	if a == nil || strings.Join(a.Address, "|") != "Marktplatz 2|99084 Musterstadt" || a.Phone != "+49 361 1234-0" ||
		a.EfA["gebuehr.betrag"] != "30.00" || a.EfA["zustellkanal"] != "fitconnect" || a.Pages.Impressum == nil {
		t.Fatalf("created authority %+v", a)
	}
	list := page(t, h.do(h.admin, "GET", "/intern/admin/behoerden", nil))
	if list.Find("a[href='/intern/admin/behoerden/"+a.ID+"']").Length() != 1 {
		t.Errorf("the list does not link the new authority")
	}

	edit := page(t, h.do(h.admin, "GET", "/intern/admin/behoerden/"+a.ID, nil))
	if v := edit.Find("textarea#efa").Text(); v != "gebuehr.betrag = 30.00\nzustellkanal = fitconnect" {
		t.Errorf("EfA field %q", v)
	}
	r = h.do(h.admin, "POST", "/intern/admin/behoerden/"+a.ID, url.Values{"name": {a.Name}, "anschrift": {"Marktplatz 2\n99084 Musterstadt"},
		"email": {a.Email}, "telefon": {"+49 361 9999"}, "efa": {"zustellkanal = fitconnect\ngebuehr.betrag = 35.00\nfrist = 14"},
		"impressum": {"https://www.musterstadt.example/impressum"}})
	if r.status != http.StatusSeeOther {
		t.Fatalf("edit: %d %s", r.status, problemsOf(r.body))
	}
	if got, _ := h.db.Authority(ctx, h.tn.ID, a.ID); got.Phone != "+49 361 9999" || got.EfA["frist"] != "14" || got.EfA["gebuehr.betrag"] != "35.00" {
		t.Errorf("edited authority %+v", got)
	}
	evs := h.audits(t, h.tn.ID)
	if len(evs) != 2 || evs[1].Action != "angelegt" || evs[1].Object != tenant.ObjectAuthority || evs[1].ObjectID != a.ID ||
		evs[0].Action != "geändert" || evs[0].Actor != "chefin" ||
		evs[0].Detail != "Behörde „Ordnungsamt Musterstadt“, geändert: Telefonnummer, EfA-Parameter (frist, gebuehr.betrag)" {
		t.Errorf("audit %+v %+v", evs[0], evs[len(evs)-1])
	}
	for _, ev := range evs {
		if strings.Contains(ev.Detail, "9999") || strings.Contains(ev.Detail, "@") {
			t.Errorf("audit detail %q holds contact data", ev.Detail)
		}
	}

	// Another tenant's authority is missing for this admin, with the same
	// page as an unknown id.
	missing := h.do(h.other, "GET", "/intern/admin/behoerden/00000000-0000-0000-0000-000000000000", nil)
	for _, method := range []string{"GET", "POST"} {
		r := h.do(h.other, method, "/intern/admin/behoerden/"+a.ID, url.Values{"name": {"Übernommen"}})
		if r.status != http.StatusNotFound || r.body != missing.body {
			t.Errorf("%s another tenant's authority: %d, same body as missing: %v", method, r.status, r.body == missing.body)
		}
	}
	if got, _ := h.db.Authority(ctx, h.tn.ID, a.ID); got.Name != a.Name {
		t.Errorf("renamed by another tenant: %q", got.Name)
	}
}

// TestAdminServiceEdit: an own service is edited and audited; a field
// error is re-rendered; another tenant's shared service answers as a
// missing one; un-sharing a service others route is refused.
func TestAdminServiceEdit(t *testing.T) {
	h := newAdminHarness(t)
	ctx := context.Background()
	sv := h.service("musterstadt", "gewerbeanmeldung").svc
	path := "/intern/admin/dienste/" + sv.ID + "/bearbeiten"
	doc := page(t, h.do(h.admin, "GET", path, nil))
	if v, _ := doc.Find("input#name").Attr("value"); v != sv.Name {
		t.Errorf("name field %q", v)
	}
	if v, _ := doc.Find("select#behoerde option[selected]").Attr("value"); v != sv.AuthorityID {
		t.Errorf("authority selected %q", v)
	}
	form := url.Values{"name": {sv.Name}, "beschreibung": {sv.Description}, "leika": {"9905"}, "gebuehr": {"Die Gebühr beträgt 40,00 Euro."},
		"dauer": {"etwa 20 Minuten"}, "vertrauensniveau": {"2"}, "behoerde": {sv.AuthorityID}, "schriftformersatz": {"ja"}, "geteilt": {"ja"}}
	wantFieldErrors(t, h.do(h.admin, "POST", path, form), "leika")
	form.Set("leika", "99050012104000")
	r := h.do(h.admin, "POST", path, form)
	if r.status != http.StatusSeeOther {
		t.Fatalf("save: %d %s", r.status, problemsOf(r.body))
	}
	got, err := h.db.Service(ctx, h.tn.ID, sv.ID)
	if err != nil {
		t.Fatal(err)
	}
	if got.FeeText != "Die Gebühr beträgt 40,00 Euro." || got.MinLevel != 2 || !got.Schriftformersatz || !got.Shared ||
		got.Leistungsschluessel != "99050012104000" || got.FormVersionID != sv.FormVersionID {
		t.Errorf("service after save %+v", got)
	}
	evs := h.audits(t, h.tn.ID)
	if len(evs) != 1 || evs[0].Object != tenant.ObjectService || evs[0].ObjectID != sv.ID || evs[0].Action != "geändert" ||
		!strings.Contains(evs[0].Detail, "Gebühr") || !strings.Contains(evs[0].Detail, "geteilt (EfA)") {
		t.Errorf("audit %+v", evs)
	}

	// beispielkreis routes the now shared service; musterstadt cannot
	// stop sharing it.
	other := h.service("beispielkreis", "heimarbeit").svc
	r = h.do(h.other, "POST", "/intern/admin/zustaendigkeiten", url.Values{"dienst": {sv.ID}, "behoerde": {other.AuthorityID}, "ars": {"07339"}})
	if r.status != http.StatusSeeOther {
		t.Fatalf("beispielkreis routes the shared service: %d %s", r.status, problemsOf(r.body))
	}
	form.Del("geteilt")
	wantFieldErrors(t, h.do(h.admin, "POST", path, form), "geteilt")

	// A shared service of another tenant, and one of its own: as missing.
	missing := h.do(h.other, "GET", "/intern/admin/dienste/00000000-0000-0000-0000-000000000000/bearbeiten", nil)
	for _, method := range []string{"GET", "POST"} {
		r := h.do(h.other, method, path, form)
		if r.status != http.StatusNotFound || r.body != missing.body {
			t.Errorf("%s another tenant's shared service: %d, same body as missing: %v", method, r.status, r.body == missing.body)
		}
	}
	if r := h.do(h.admin, "GET", "/intern/admin/dienste/"+other.ID+"/bearbeiten", nil); r.status != http.StatusNotFound || r.body != missing.body {
		t.Errorf("another tenant's own service: %d", r.status)
	}
}

// TestAdminJurisdictions: add with field errors, add, the duplicate area
// of another tenant refused with a clear message, remove after
// confirmation; each change audited; another tenant's entry is missing.
func TestAdminJurisdictions(t *testing.T) {
	h := newAdminHarness(t)
	ctx := context.Background()
	shared := h.service("beispielkreis", "krankheitserreger").svc
	own := h.service("musterstadt", "gewerbeanmeldung").svc
	page0 := page(t, h.do(h.admin, "GET", "/intern/admin/zustaendigkeiten", nil))
	if page0.Find("select#dienst option[value='"+shared.ID+"']").Length() != 1 || page0.Find("select#dienst option[value='"+own.ID+"']").Length() != 1 {
		t.Errorf("the service choice lacks the own or the shared service")
	}
	if rule := page0.Find("#regel").Text(); !strings.Contains(rule, "Straße vor Postleitzahl vor Gemeinde") || !strings.Contains(rule, "Land") {
		t.Errorf("rule order %q", rule)
	}

	r := h.do(h.admin, "POST", "/intern/admin/zustaendigkeiten", url.Values{"dienst": {shared.ID}, "behoerde": {"nicht-da"},
		"ars": {"1605"}, "strasse": {"Hauptstraße"}})
	wantFieldErrors(t, r, "behoerde", "ars", "strasse")

	form := url.Values{"dienst": {shared.ID}, "behoerde": {own.AuthorityID}, "ars": {"160510000000"}, "plz": {"99084"},
		"strasse": {"Marktplatz"}, "quelle": {"Zuständigkeitsverzeichnis"}}
	if r := h.do(h.admin, "POST", "/intern/admin/zustaendigkeiten", form); r.status != http.StatusSeeOther {
		t.Fatalf("add: %d %s", r.status, problemsOf(r.body))
	}
	js, err := h.db.Jurisdictions(ctx, h.tn.ID)
	if err != nil || len(js) != 1 {
		t.Fatalf("jurisdictions %v %v", js, err)
	}
	j := js[0]
	doc := page(t, h.do(h.admin, "GET", "/intern/admin/zustaendigkeiten", nil))
	row := texts(doc.Find("table tbody tr").First().Find("td"))
	if testing.Verbose() && len(doc.Find("table tbody tr").Nodes) == 0 {
		t.Log(h.logs.String())
	}
	if len(row) != 7 || row[0] != shared.Name || !strings.HasPrefix(row[2], "160510000000 (Gemeinde") || row[3] != "99084" ||
		row[4] != "Marktplatz" || row[5] != "Zuständigkeitsverzeichnis" {
		t.Errorf("row %q", row)
	}

	// The same area for the same service by beispielkreis: refused.
	other := h.service("beispielkreis", "heimarbeit").svc
	dup := url.Values{"dienst": {shared.ID}, "behoerde": {other.AuthorityID}, "ars": {"160510000000"}, "plz": {"99084"}, "strasse": {"Marktplatz"}}
	doc = wantFieldErrors(t, h.do(h.other, "POST", "/intern/admin/zustaendigkeiten", dup), "ars")
	if msg := doc.Find("#ars-error").Text(); !strings.Contains(msg, "schon eine Behörde eingetragen") || !strings.Contains(msg, "anderen Mandanten") {
		t.Errorf("duplicate message %q", msg)
	}

	// Removal: another tenant's entry is missing; the own one asks first.
	removal := "/intern/admin/zustaendigkeiten/" + j.ID + "/entfernen"
	missing := h.do(h.other, "GET", "/intern/admin/zustaendigkeiten/00000000-0000-0000-0000-000000000000/entfernen", nil)
	for _, method := range []string{"GET", "POST"} {
		if r := h.do(h.other, method, removal, url.Values{}); r.status != http.StatusNotFound || r.body != missing.body {
			t.Errorf("%s another tenant's jurisdiction: %d", method, r.status)
		}
	}
	confirm := page(t, h.do(h.admin, "GET", removal, nil))
	if confirm.Find("form[method='post'][action='"+removal+"'] button[type='submit']").Length() != 1 {
		t.Errorf("no confirmation form")
	}
	if r := h.do(h.admin, "POST", removal, url.Values{}); r.status != http.StatusSeeOther {
		t.Fatalf("remove: %d", r.status)
	}
	if js, _ := h.db.Jurisdictions(ctx, h.tn.ID); len(js) != 0 {
		t.Errorf("%d jurisdictions left", len(js))
	}
	evs := h.audits(t, h.tn.ID)
	if len(evs) != 2 || evs[0].Action != "entfernt" || evs[1].Action != "angelegt" || evs[0].ObjectID != j.ID ||
		evs[0].Object != tenant.ObjectJurisdiction || !strings.Contains(evs[1].Detail, "Postleitzahl 99084, Straße Marktplatz") {
		t.Errorf("audit %+v", evs)
	}
	if evs := h.audits(t, h.otherTn.ID); len(evs) != 0 {
		t.Errorf("beispielkreis's refused attempts audited: %+v", evs[0])
	}
}

// TestAdminRefusesWhatBreaksRouting: the installation's own host name, a
// second authority of the same name, and an empty Leistungsschlüssel on a
// service delivered via FIT-Connect routing are refused at the field.
func TestAdminRefusesWhatBreaksRouting(t *testing.T) {
	h := newAdminHarness(t)
	ctx := context.Background()
	// The harness's address is http://antrag.test.
	wantFieldErrors(t, h.do(h.admin, "POST", "/intern/admin/mandant", url.Values{"name": {h.tn.Name}, "host": {"antrag.test"}}), "host")
	wantFieldErrors(t, h.do(h.admin, "POST", "/intern/admin/mandant", url.Values{"name": {h.tn.Name}, "host": {"127.0.0.1"}}), "host")

	as, err := h.db.ListAuthorities(ctx, h.tn.ID)
	if err != nil || len(as) == 0 {
		t.Fatal(err)
	}
	wantFieldErrors(t, h.do(h.admin, "POST", "/intern/admin/behoerden/neu", url.Values{"name": {strings.ToUpper(as[0].Name)}}), "name")
	if n, _ := h.db.ListAuthorities(ctx, h.tn.ID); len(n) != len(as) {
		t.Errorf("%d authorities after the refusal, want %d", len(n), len(as))
	}

	sv := h.service("musterstadt", "gewerbeanmeldung").svc
	if err := h.db.SetTargets(ctx, h.tn.ID, sv.ID, []*delivery.Target{{Kind: delivery.FITConnectRouting}}); err != nil {
		t.Fatal(err)
	}
	form := url.Values{"name": {sv.Name}, "leika": {""}, "behoerde": {sv.AuthorityID}, "vertrauensniveau": {"0"}}
	wantFieldErrors(t, h.do(h.admin, "POST", "/intern/admin/dienste/"+sv.ID+"/bearbeiten", form), "leika")
}
