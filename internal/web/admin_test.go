package web_test

import (
	"bytes"
	"context"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"github.com/PuerkitoBio/goquery"

	"github.com/antrag/antrag/internal/account"
	"github.com/antrag/antrag/internal/delivery"
	"github.com/antrag/antrag/internal/demo"
	"github.com/antrag/antrag/internal/fim/samples"
	"github.com/antrag/antrag/internal/tenant"
)

// asbestFile is the sample of the demo's asbest-anzeige (Landkreis
// Beispielkreis): two of its Regeln stay unsupported.
const asbestFile = "xdf2/S00000186_V1.0_xdf2.xml"

var asbestUnsupported = []string{"R00001192@1.0", "R00001343@1.0"}

// adminClient adds an admin to the tenant and logs in as them.
func (h *harness) adminClient(tenantSlug, username string) *http.Client {
	h.t.Helper()
	h.addStaff(tenantSlug, username, &account.Access{Role: account.RoleAdmin})
	return h.loginAs(username)
}

// ownService returns a demo service from the store.
func (h *harness) ownService(tenantSlug, slug string) (*tenant.Tenant, *tenant.Service) {
	h.t.Helper()
	ctx := context.Background()
	t, err := h.db.TenantBySlug(ctx, tenantSlug)
	if err != nil {
		h.t.Fatal(err)
	}
	svc, err := h.db.ServiceBySlug(ctx, t.ID, slug)
	if err != nil {
		h.t.Fatal(err)
	}
	return t, svc
}

// uploadXDF posts a file to the import form with client c.
func (h *harness) uploadXDF(c *http.Client, serviceID, name string, content []byte) response {
	h.t.Helper()
	var buf bytes.Buffer
	mw := multipart.NewWriter(&buf)
	w, err := mw.CreateFormFile("datei", name)
	if err != nil {
		h.t.Fatal(err)
	}
	w.Write(content)
	mw.Close()
	req, err := http.NewRequest("POST", h.srv.URL+"/intern/admin/dienste/"+serviceID+"/import", &buf)
	if err != nil {
		h.t.Fatal(err)
	}
	req.Header.Set("Content-Type", mw.FormDataContentType())
	return h.send(c, req)
}

func docOf(t *testing.T, body string) *goquery.Document {
	t.Helper()
	doc, err := goquery.NewDocumentFromReader(strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	return doc
}

func sample(t *testing.T, name string) []byte {
	t.Helper()
	b, err := samples.FS.ReadFile(name)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// TestAdminPagesOnlyForAdmins: a caseworker gets 403 on every admin
// route, as on the staff page, and no nav entry; an admin gets both.
func TestAdminPagesOnlyForAdmins(t *testing.T) {
	h := newHarness(t)
	_, svc := h.ownService("beispielkreis", "asbest-anzeige")
	c := h.staffClient("beispielkreis")
	for _, route := range []struct{ method, path string }{
		{"GET", "/intern/admin"},
		{"GET", "/intern/admin/dienste"},
		{"GET", "/intern/admin/dienste/" + svc.ID + "/import"},
		{"POST", "/intern/admin/dienste/" + svc.ID + "/import"},
		{"GET", "/intern/admin/dienste/" + svc.ID + "/import/x"},
		{"POST", "/intern/admin/dienste/" + svc.ID + "/import/x"},
		{"GET", "/intern/admin/dienste/" + svc.ID + "/ziele"},
		{"POST", "/intern/admin/dienste/" + svc.ID + "/ziele/posteingang/test"},
		{"GET", "/intern/admin/protokoll"},
	} {
		if r := h.do(c, route.method, route.path, url.Values{}); r.status != http.StatusForbidden {
			t.Errorf("%s %s for a caseworker: %d", route.method, route.path, r.status)
		}
	}
	if n := docOf(t, h.do(c, "GET", "/intern/", nil).body).Find("header a[href='/intern/admin']").Length(); n != 0 {
		t.Error("the caseworker's header links to the admin pages")
	}
	if r := h.get("/intern/admin"); r.status != http.StatusSeeOther || r.location != "/intern/anmelden" {
		t.Errorf("without login: %d %s", r.status, r.location)
	}

	a := h.adminClient("beispielkreis", "chefin")
	if n := docOf(t, h.do(a, "GET", "/intern/", nil).body).Find("header a#nav-admin[href='/intern/admin']").Length(); n != 1 {
		t.Error("the admin's header has no link to the admin pages")
	}
	doc := docOf(t, h.do(a, "GET", "/intern/admin", nil).body)
	for _, href := range []string{"/intern/admin/dienste", "/intern/admin/protokoll", "/intern/benutzer"} {
		if doc.Find("main a[href='"+href+"']").Length() != 1 {
			t.Errorf("the overview does not link %s", href)
		}
	}
}

// TestAdminServices lists the tenant's own services only, with LeiKa,
// version, Vertrauensniveau and targets.
func TestAdminServices(t *testing.T) {
	h := newHarness(t)
	tn, svc := h.ownService("beispielkreis", "asbest-anzeige")
	_, other := h.ownService("musterstadt", "gewerbeanmeldung")
	if err := h.db.SetTargets(context.Background(), tn.ID, svc.ID, []*delivery.Target{{Kind: delivery.Inbox},
		{Kind: delivery.Email, Address: "asbest@beispielkreis.example"}}); err != nil {
		t.Fatal(err)
	}
	a := h.adminClient("beispielkreis", "chefin")
	r := h.do(a, "GET", "/intern/admin/dienste", nil)
	if r.status != http.StatusOK {
		t.Fatalf("services: %d", r.status)
	}
	doc := docOf(t, r.body)
	row := doc.Find("table#dienste tr[data-dienst='" + svc.ID + "']")
	cells := row.Find("th, td")
	got := []string{}
	cells.Each(func(_ int, s *goquery.Selection) { got = append(got, strings.TrimSpace(s.Text())) })
	leika := svc.Leistungsschluessel
	if leika == "" {
		leika = "–"
	}
	if len(got) < 6 || got[0] != svc.Name || got[1] != "asbest-anzeige" || got[2] != leika ||
		!strings.HasPrefix(got[3], "1 (S00000186") || got[4] != "keins" || got[5] != "2" {
		t.Errorf("row %q", got)
	}
	if doc.Find("tr[data-dienst='"+other.ID+"']").Length() != 0 {
		t.Error("another tenant's service is listed")
	}
	if doc.Find("a[href='/intern/admin/dienste/"+svc.ID+"/import']").Length() != 1 {
		t.Error("no import link")
	}
}

// TestAdminOtherTenantsServiceIsMissing: the id of another tenant's
// service, also of a shared one, answers 404 on every service page.
func TestAdminOtherTenantsServiceIsMissing(t *testing.T) {
	h := newHarness(t)
	_, other := h.ownService("beispielkreis", "asbest-anzeige")
	_, shared := h.ownService("beispielkreis", "krankheitserreger")
	if !shared.Shared {
		t.Fatal("krankheitserreger is not shared")
	}
	a := h.adminClient("musterstadt", "chef")
	for _, id := range []string{other.ID, shared.ID, "00000000-0000-0000-0000-000000000000"} {
		for _, route := range []struct{ method, path string }{
			{"GET", "/intern/admin/dienste/" + id + "/import"},
			{"GET", "/intern/admin/dienste/" + id + "/import/x"},
			{"POST", "/intern/admin/dienste/" + id + "/import/x"},
			{"GET", "/intern/admin/dienste/" + id + "/ziele"},
			{"POST", "/intern/admin/dienste/" + id + "/ziele/posteingang/test"},
		} {
			if r := h.do(a, route.method, route.path, url.Values{}); r.status != http.StatusNotFound {
				t.Errorf("%s %s: %d", route.method, route.path, r.status)
			}
		}
		if r := h.uploadXDF(a, id, "x.xml", sample(t, asbestFile)); r.status != http.StatusNotFound {
			t.Errorf("upload for %s: %d", id, r.status)
		}
	}
	if n := docOf(t, h.do(a, "GET", "/intern/admin/dienste", nil).body).Find("tr[data-dienst='" + shared.ID + "']").Length(); n != 0 {
		t.Error("another tenant's shared service is listed")
	}
}

// TestAdminImportAndPublish: upload, preview with report, publication
// refused until every unsupported Regel is acknowledged, then a new
// version with an audit entry naming the admin.
func TestAdminImportAndPublish(t *testing.T) {
	h := newHarness(t)
	ctx := context.Background()
	tn, svc := h.ownService("beispielkreis", "asbest-anzeige")
	before := svc.FormVersionID
	a := h.adminClient("beispielkreis", "chefin")

	r := h.uploadXDF(a, svc.ID, "asbest.xml", sample(t, asbestFile))
	if r.status != http.StatusSeeOther || !strings.HasPrefix(r.location, "/intern/admin/dienste/"+svc.ID+"/import/") {
		t.Fatalf("upload: %d %s %s", r.status, r.location, r.body)
	}
	preview := r.location
	r = h.do(a, "GET", preview, nil)
	if r.status != http.StatusOK {
		t.Fatalf("preview: %d", r.status)
	}
	doc := docOf(t, r.body)
	if n := doc.Find("ol#schritte > li").Length(); n < 2 {
		t.Errorf("preview shows %d steps", n)
	}
	if doc.Find("ol#schritte li").FilterFunction(func(_ int, s *goquery.Selection) bool {
		return strings.Contains(s.Text(), "Pflicht")
	}).Length() == 0 {
		t.Error("no required field marked")
	}
	var boxes []string
	doc.Find("fieldset#bestaetigung input[type=checkbox][name=bestaetigt]").Each(func(_ int, s *goquery.Selection) {
		v, _ := s.Attr("value")
		boxes = append(boxes, v)
	})
	if strings.Join(boxes, ",") != strings.Join(asbestUnsupported, ",") {
		t.Errorf("acknowledgement boxes %v, want %v", boxes, asbestUnsupported)
	}
	for _, k := range asbestUnsupported {
		row := doc.Find("table#regeln tr[data-regel='" + k + "']")
		if !strings.Contains(row.Text(), "nicht unterstützt") || strings.TrimSpace(row.Find("td").Last().Text()) == "–" {
			t.Errorf("rule %s: %q (want status and reason)", k, row.Text())
		}
	}
	if doc.Find("table#regeln td:contains('Freitext')").Length() == 0 {
		t.Error("no rule names its origin")
	}

	// One acknowledgement is not enough; nothing is published.
	r = h.do(a, "POST", preview, url.Values{"bestaetigt": {asbestUnsupported[0]}})
	if r.status != http.StatusUnprocessableEntity {
		t.Fatalf("publish with one acknowledgement: %d", r.status)
	}
	doc = docOf(t, r.body)
	if doc.Find("#fehler a[href='#bestaetigung']").Length() != 1 {
		t.Error("no error summary linking to the acknowledgement")
	}
	if doc.Find("input[value='"+asbestUnsupported[0]+"'][checked]").Length() != 1 ||
		doc.Find("input[value='"+asbestUnsupported[1]+"'][checked]").Length() != 0 {
		t.Error("the boxes do not keep what was ticked")
	}
	if cur, _ := h.db.Service(ctx, tn.ID, svc.ID); cur.FormVersionID != before {
		t.Fatal("published without acknowledgement")
	}
	// An unknown Regel is refused too.
	if r := h.do(a, "POST", preview, url.Values{"bestaetigt": append([]string{"R999@1"}, asbestUnsupported...)}); r.status != http.StatusUnprocessableEntity {
		t.Errorf("unknown Regel: %d", r.status)
	}

	r = h.do(a, "POST", preview, url.Values{"bestaetigt": asbestUnsupported})
	if r.status != http.StatusSeeOther || r.location != "/intern/admin/protokoll" {
		t.Fatalf("publish: %d %s %s", r.status, r.location, r.body)
	}
	cur, err := h.db.Service(ctx, tn.ID, svc.ID)
	if err != nil {
		t.Fatal(err)
	}
	fv, err := h.db.FormVersion(ctx, tn.ID, cur.FormVersionID)
	if err != nil || fv.Version != 2 || strings.Join(fv.Acknowledged, ",") != strings.Join(asbestUnsupported, ",") {
		t.Fatalf("new version %+v, %v", fv, err)
	}
	evs, err := h.db.ServiceEvents(ctx, tn.ID, svc.ID)
	if err != nil {
		t.Fatal(err)
	}
	last := evs[len(evs)-1]
	if last.Actor != "chefin" || last.Action != tenant.ActionPublished || last.FromVersionID != before || last.ToVersionID != fv.ID ||
		!strings.Contains(last.Note, "asbest.xml") {
		t.Errorf("audit entry %+v", last)
	}

	// The audit trail page shows it first, with the message.
	doc = docOf(t, h.do(a, "GET", "/intern/admin/protokoll", nil).body)
	if !strings.Contains(doc.Find("#meldung").Text(), "Formularversion 2") {
		t.Errorf("message %q", doc.Find("#meldung").Text())
	}
	first := doc.Find("table#protokoll tbody tr").First().Find("td")
	if strings.TrimSpace(first.Eq(2).Text()) != "chefin" || strings.TrimSpace(first.Eq(3).Text()) != "Veröffentlicht" ||
		strings.TrimSpace(first.Eq(4).Text()) != "1 → 2" {
		t.Errorf("first audit row %q", first.Text())
	}
	if doc.Find("table#protokoll td:contains('"+demo.Actor+"')").Length() == 0 {
		t.Error("the demo's publications are missing from the audit trail")
	}
	// The import is used up.
	if r := h.do(a, "POST", preview, url.Values{"bestaetigt": asbestUnsupported}); r.status != http.StatusNotFound {
		t.Errorf("second publish: %d", r.status)
	}
}

// TestAdminPublishStale: a publication between upload and publish makes
// the preview stale; nothing is published over it.
func TestAdminPublishStale(t *testing.T) {
	h := newHarness(t)
	tn, svc := h.ownService("beispielkreis", "heimarbeit")
	a := h.adminClient("beispielkreis", "chefin")
	r1 := h.uploadXDF(a, svc.ID, "a.xml", sample(t, "xdf3/S00000000364_xdf3.xml"))
	b := h.loginAs("chefin")
	r2 := h.uploadXDF(b, svc.ID, "b.xml", sample(t, "xdf3/S00000000364_xdf3.xml"))
	if r := h.do(b, "POST", r2.location, url.Values{}); r.status != http.StatusSeeOther {
		t.Fatalf("publish b: %d", r.status)
	}
	if r := h.do(a, "POST", r1.location, url.Values{}); r.status != http.StatusConflict {
		t.Errorf("publish a after b: %d", r.status)
	}
	evs, _ := h.db.ServiceEvents(context.Background(), tn.ID, svc.ID)
	if n := len(evs); n != 2 { // the demo's and b's
		t.Errorf("%d audit entries", n)
	}
}

// TestAdminImportHostileFiles: what is not an XDatenfelder file gets the
// form again with a reason, never a server error.
func TestAdminImportHostileFiles(t *testing.T) {
	h := newHarness(t)
	_, svc := h.ownService("beispielkreis", "asbest-anzeige")
	a := h.adminClient("beispielkreis", "chefin")
	bomb := `<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">]><lolz>&lol2;</lolz>`
	for name, tc := range map[string]struct {
		content []byte
		status  int
	}{
		"leer":      {nil, http.StatusUnprocessableEntity},
		"kein XML":  {[]byte("%PDF-1.4 nichts"), http.StatusUnprocessableEntity},
		"anderes":   {[]byte(`<?xml version="1.0"?><rss><channel/></rss>`), http.StatusUnprocessableEntity},
		"entities":  {[]byte(bomb), http.StatusUnprocessableEntity},
		"abgeschn.": {sample(t, asbestFile)[:5000], http.StatusUnprocessableEntity},
		"zu groß":   {bytes.Repeat([]byte("<a>"), 2<<20), http.StatusRequestEntityTooLarge},
	} {
		r := h.uploadXDF(a, svc.ID, "../../etc/b\u202eöse.xml", tc.content)
		if r.status != tc.status {
			t.Errorf("%s: %d, want %d", name, r.status, tc.status)
			continue
		}
		doc := docOf(t, r.body)
		if doc.Find("#fehler a[href='#datei']").Length() != 1 || doc.Find("input#datei[aria-invalid=true]").Length() != 1 {
			t.Errorf("%s: no error summary and marked input", name)
		}
		if strings.Contains(r.body, "etc/") {
			t.Errorf("%s: the page shows the raw file name", name)
		}
	}
	if strings.Contains(h.logs.String(), "panic") {
		t.Error("a hostile file made the server panic")
	}
}

// TestAdminTargetsCheck: the targets page lists the targets; "Verbindung
// testen" reaches a webhook without delivering and says so in German.
func TestAdminTargetsCheck(t *testing.T) {
	h := newHarness(t)
	var methods []string
	hook := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		methods = append(methods, r.Method)
		if r.URL.Path == "/fehlt" {
			http.NotFound(w, r)
			return
		}
		w.WriteHeader(http.StatusMethodNotAllowed)
	}))
	defer hook.Close()
	tn, svc := h.ownService("beispielkreis", "asbest-anzeige")
	if err := h.db.SetTargets(context.Background(), tn.ID, svc.ID, []*delivery.Target{
		{Kind: delivery.Webhook, URL: hook.URL + "/hook", Secret: delivery.NewWebhookSecret()},
		{Kind: delivery.Webhook, URL: hook.URL + "/fehlt", Secret: delivery.NewWebhookSecret()},
		{Kind: delivery.Email, Address: "asbest@beispielkreis.example"},
	}); err != nil {
		t.Fatal(err)
	}
	targets, _ := h.db.Targets(context.Background(), tn.ID, svc.ID)
	a := h.adminClient("beispielkreis", "chefin")
	doc := docOf(t, h.do(a, "GET", "/intern/admin/dienste/"+svc.ID+"/ziele", nil).body)
	if n := doc.Find("table#ziele tbody tr").Length(); n != 3 {
		t.Fatalf("%d target rows", n)
	}
	check := func(id string) *goquery.Document {
		r := h.do(a, "POST", "/intern/admin/dienste/"+svc.ID+"/ziele/"+id+"/test", url.Values{})
		if r.status != http.StatusOK {
			t.Fatalf("check %s: %d", id, r.status)
		}
		return docOf(t, r.body)
	}
	want := map[string]string{
		targets[0].ID: "kern-alert--success",
		targets[1].ID: "kern-alert--danger",
		targets[2].ID: "kern-alert--danger", // no SMTP on this server
	}
	for id, class := range want {
		d := check(id)
		if !d.Find("#ergebnis").HasClass(class) {
			t.Errorf("target %s: result %q, want %s", id, d.Find("#ergebnis").Text(), class)
		}
	}
	if !strings.Contains(check(targets[0].ID).Find("#ergebnis").Text(), "HTTP 405") {
		t.Error("the webhook result does not name the answer")
	}
	if !strings.Contains(check(targets[2].ID).Find("#ergebnis").Text(), "keine Verbindung eingerichtet") {
		t.Error("the e-mail result does not say it is not set up")
	}
	for _, m := range methods {
		if m != http.MethodHead {
			t.Errorf("the check sent %s to the webhook", m)
		}
	}
	if r := h.do(a, "POST", "/intern/admin/dienste/"+svc.ID+"/ziele/00000000-0000-0000-0000-000000000000/test", url.Values{}); r.status != http.StatusNotFound {
		t.Errorf("unknown target: %d", r.status)
	}

	// A service without targets delivers to the inbox.
	_, other := h.ownService("beispielkreis", "heimarbeit")
	d := docOf(t, h.do(a, "POST", "/intern/admin/dienste/"+other.ID+"/ziele/posteingang/test", url.Values{}).body)
	if !d.Find("#ergebnis").HasClass("kern-alert--success") || !strings.Contains(d.Find("table#ziele").Text(), "Posteingang") {
		t.Errorf("inbox: %q", d.Find("#ergebnis").Text())
	}
}
