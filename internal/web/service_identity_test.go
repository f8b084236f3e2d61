package web_test

import (
	"context"
	"encoding/json"
	"html"
	"io"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/PuerkitoBio/goquery"

	"github.com/antrag/antrag/internal/demo"
	"github.com/antrag/antrag/internal/fitconnect"
	"github.com/antrag/antrag/internal/identity"
	"github.com/antrag/antrag/internal/identity/oidc/oidctest"
	"github.com/antrag/antrag/internal/submission"
	"github.com/antrag/antrag/internal/tenant"
)

// journeyFor returns a harness whose client is the browser c of the login
// harness, for filling and submitting forms as that browser.
func (h *loginHarness) journeyFor(t *testing.T, c *http.Client) *harness {
	return &harness{t: t, db: h.db, srv: h.srv, client: c, now: time.Now()}
}

// setIdentity sets a musterstadt service's identity settings.
func (h *loginHarness) setIdentity(slug string, level identity.Level, sfe bool) *tenant.Service {
	h.t.Helper()
	ctx := context.Background()
	tn, err := h.db.TenantBySlug(ctx, "musterstadt")
	if err != nil {
		h.t.Fatal(err)
	}
	svc, err := h.db.ServiceBySlug(ctx, tn.ID, slug)
	if err != nil {
		h.t.Fatal(err)
	}
	if err := h.db.SetServiceIdentity(ctx, tn.ID, svc.ID, level, sfe); err != nil {
		h.t.Fatal(err)
	}
	svc.MinLevel, svc.Schriftformersatz = level, sfe
	return svc
}

func mainText(h *loginHarness, c *http.Client, path string) string {
	h.t.Helper()
	doc, _ := h.page(c, "GET", path, nil, http.StatusOK)
	return strings.Join(strings.Fields(doc.Find("main").Text()), " ")
}

// TestServiceLevelNeedsLogin: a service that needs "substantiell" sends a
// citizen without a login, or with a login below it, to the login page with
// the reason; a login at each level is recognised, and one at the level
// returns to the service and starts the application.
func TestServiceLevelNeedsLogin(t *testing.T) {
	h := newLoginHarness(t)
	const start = "/musterstadt/dienste/bewohnerparkausweis"
	h.setIdentity("bewohnerparkausweis", identity.Substantiell, false)

	anon := h.browser()
	doc, _ := h.page(anon, "GET", start, nil, http.StatusOK)
	link, _ := doc.Find(`main a.kern-btn--primary`).Attr("href")
	if !strings.Contains(link, "/musterstadt/anmelden?") || !strings.Contains(link, "niveau=substantiell") || !strings.Contains(link, "dienst=bewohnerparkausweis") {
		t.Fatalf("start page's login link %q", link)
	}
	if txt := strings.Join(strings.Fields(doc.Find("main").Text()), " "); !strings.Contains(txt, "Vertrauensniveau „substantiell“") {
		t.Errorf("start page does not name the level: %s", txt)
	}
	if doc.Find(`form[action="`+start+`"]`).Length() != 0 {
		t.Error("start form offered without a login")
	}
	_, res := h.page(anon, "POST", start, url.Values{}, http.StatusSeeOther)
	loginAt := res.Header.Get("Location")
	if loginAt != link {
		t.Fatalf("starting without a login goes to %q, want %q", loginAt, link)
	}
	if txt := mainText(h, anon, loginAt); !strings.Contains(txt, "verlangt eine Anmeldung mit mindestens dem Vertrauensniveau „substantiell“") {
		t.Errorf("login page gives no reason: %s", txt)
	}

	// A login at each level; below "substantiell" the service asks again.
	for _, lv := range devLevels {
		t.Run(lv.name, func(t *testing.T) {
			h.t = t
			c := h.browser()
			res := h.login(c, "", "erika", lv.raw, "eID")
			if res.StatusCode != http.StatusSeeOther {
				t.Fatalf("ACS: %d", res.StatusCode)
			}
			if g := h.greeting(c); g != "Angemeldet als Erika Mustermann (Vertrauensniveau "+lv.name+")" {
				t.Fatalf("greeting %q", g)
			}
			_, res = h.page(c, "POST", start, url.Values{}, http.StatusSeeOther)
			loc := res.Header.Get("Location")
			if lv.level < identity.Substantiell {
				if loc != link {
					t.Fatalf("level %s starts the service: %s", lv.name, loc)
				}
				if txt := mainText(h, c, loc); !strings.Contains(txt, "Sie sind angemeldet mit dem Vertrauensniveau „niedrig“") {
					t.Errorf("login page does not say the login is too low: %s", txt)
				}
				return
			}
			if !strings.HasSuffix(loc, "/schritt/1") {
				t.Fatalf("level %s does not start the service: %s", lv.name, loc)
			}
			h.page(c, "GET", loc, nil, http.StatusOK)
		})
	}
	h.t = t

	// The login asked for by the service returns to it.
	c := h.browser()
	res = h.loginFrom(c, link, "erika", "STORK-QAA-Level-3", "eID")
	if res.StatusCode != http.StatusSeeOther || res.Header.Get("Location") != start {
		t.Fatalf("login for the service returns to %d %q", res.StatusCode, res.Header.Get("Location"))
	}
	// A login below the level asked for is refused at the ACS.
	low := h.browser()
	if res := h.loginFrom(low, link, "erika", "STORK-QAA-Level-1", "eID"); res.StatusCode != http.StatusBadRequest {
		t.Fatalf("downgraded login: %d", res.StatusCode)
	}

	// A step of a draft of the service, opened after logging out, asks for
	// the login again.
	_, res = h.page(c, "POST", start, url.Values{}, http.StatusSeeOther)
	step := res.Header.Get("Location")
	h.page(c, "POST", "/musterstadt/abmelden", url.Values{}, http.StatusOK)
	_, res = h.page(c, "GET", step, nil, http.StatusSeeOther)
	if loc := res.Header.Get("Location"); !strings.HasPrefix(loc, "/musterstadt/anmelden?") || !strings.Contains(loc, "niveau=substantiell") {
		t.Errorf("step after logout goes to %q", loc)
	}
	// Another citizen with the link may not continue it.
	max := h.browser()
	h.login(max, "", "max", "STORK-QAA-Level-4", "eID")
	h.page(max, "GET", step, nil, http.StatusForbidden)

	// The JSON API has no citizen login: 403 with a problem.
	req, _ := http.NewRequest("POST", h.srv.URL+"/api/v1/forms/musterstadt.bewohnerparkausweis/submissions", strings.NewReader(`{"data":{}}`))
	req.Header.Set("Content-Type", "application/json")
	apiRes, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(apiRes.Body)
	apiRes.Body.Close()
	if apiRes.StatusCode != http.StatusForbidden || !strings.Contains(apiRes.Header.Get("Content-Type"), "problem+json") ||
		!strings.Contains(string(body), "Vertrauensniveau „substantiell“") || !strings.Contains(string(body), `"title":"Anmeldung erforderlich"`) {
		t.Errorf("API submit: %d %s %s", apiRes.StatusCode, apiRes.Header.Get("Content-Type"), body)
	}
}

var devLevels = []struct {
	name, raw string
	level     identity.Level
}{
	{"niedrig", "STORK-QAA-Level-1", identity.Niedrig},
	{"substantiell", "STORK-QAA-Level-3", identity.Substantiell},
	{"hoch", "STORK-QAA-Level-4", identity.Hoch},
}

// TestSchriftformersatz: the final declaration of a Schriftformersatz
// service is refused with an ELSTER login and taken with an eID login at
// "hoch"; the evidence is stored and appears in the receipt PDF, the
// inbox, the JSON API and the FIT-Connect metadata (checked against its
// JSON Schema).
func TestSchriftformersatz(t *testing.T) {
	h := newLoginHarness(t)
	svcRow := h.setIdentity("bewohnerparkausweis", identity.LevelNone, true)
	c := h.browser()
	if res := h.login(c, "hoch", "erika", "STORK-QAA-Level-4", "ELSTER"); res.StatusCode != http.StatusSeeOther {
		t.Fatalf("ELSTER login: %d", res.StatusCode)
	}
	j := h.journeyFor(t, c)
	sv := j.service("musterstadt", "bewohnerparkausweis")
	ex := sv.form.Example(sv.ctx)
	base := j.start(sv)
	j.fill(sv, base, ex)
	if txt := mainText(h, c, base+"/pruefen"); !strings.Contains(txt, "ersetzt die Schriftform") || !strings.Contains(txt, "ELSTER-Zertifikat") {
		t.Errorf("summary does not explain Schriftformersatz: %s", txt)
	}

	// ELSTER is refused, with the reason and a way to the eID login.
	doc, _ := h.page(c, "POST", base+"/absenden", url.Values{}, http.StatusForbidden)
	txt := strings.Join(strings.Fields(doc.Find("main").Text()), " ")
	if !strings.Contains(txt, "mit einem ELSTER-Zertifikat angemeldet. Es ersetzt die Schriftform nicht") {
		t.Errorf("ELSTER refusal: %s", txt)
	}
	eid, _ := doc.Find(`.kern-alert a`).Attr("href")
	if !strings.Contains(eid, "niveau=hoch") {
		t.Fatalf("no eID login link: %q", eid)
	}
	if _, err := h.db.DraftByToken(context.Background(), sv.tenant.ID, tokenHash(strings.TrimPrefix(base, "/musterstadt/antrag/")), time.Now()); err != nil {
		t.Fatal(err)
	}

	// An eID login at "hoch" returns to the summary and may declare.
	res := h.loginFrom(c, eid, "erika", "STORK-QAA-Level-4", "eID")
	if res.StatusCode != http.StatusSeeOther || res.Header.Get("Location") != base+"/pruefen" {
		t.Fatalf("eID login returns to %d %q", res.StatusCode, res.Header.Get("Location"))
	}
	ref, _ := j.submit(base)
	sub, _ := j.storedAs(t, sv, ref, ex)
	ev := sub.Evidence
	if ev == nil {
		t.Fatal("no evidence stored")
	}
	if !ev.Schriftformersatz || ev.Method != identity.MethodEID || ev.Level != identity.Hoch || ev.RawLevel != "STORK-QAA-Level-4" ||
		ev.Provider != "devidp" || !strings.HasPrefix(ev.Issuer, h.srv.URL+"/api/demo-idp") || ev.AssertionID == "" ||
		ev.DataSHA256 != sub.DataSHA256 || ev.AuthnTime.IsZero() || ev.DeclaredAt.Before(ev.AuthnTime) || len(ev.Typed) == 0 {
		t.Errorf("evidence %+v (data %s)", ev, sub.DataSHA256)
	}
	if sub.Owner == "" || strings.Contains(sub.Owner, "erika") {
		t.Errorf("owner %q", sub.Owner)
	}
	raw, _ := json.Marshal(ev)
	for _, personal := range []string{"Mustermann", "Erika", "99084", "99 084"} {
		if strings.Contains(string(raw), personal) {
			t.Errorf("evidence holds personal data %q: %s", personal, raw)
		}
	}

	// The receipt PDF.
	pdf := j.get(base + "/antrag.pdf")
	if pdf.status != http.StatusOK {
		t.Fatalf("receipt: %d", pdf.status)
	}
	text := strings.Join(strings.Fields(pdfText(t, []byte(pdf.body))), " ")
	for _, want := range []string{"Identitätsnachweis", "Schriftformersatz ja", "Verfahren eID", "hoch (gemeldet: STORK-QAA-Level-4)", ev.AssertionID} {
		if !strings.Contains(text, want) {
			t.Errorf("receipt lacks %q", want)
		}
	}

	// The citizen's HTML copy of the receipt.
	if sent := mainText(h, c, base+"/angaben"); !strings.Contains(sent, "Identitätsnachweis") || !strings.Contains(sent, ev.AssertionID) {
		t.Errorf("the sent answers page lacks the evidence")
	}

	// The inbox.
	staff := h.browser()
	h.page(staff, "POST", "/intern/anmelden", url.Values{"benutzername": {demo.Users["musterstadt"]}, "passwort": {demo.Password}}, http.StatusSeeOther)
	view := mainText(h, staff, "/intern/antraege/"+sub.ID)
	for _, want := range []string{"Identitätsnachweis", "Kennung der Anmeldebestätigung", ev.AssertionID, "Verfahren", "hoch (gemeldet: STORK-QAA-Level-4)",
		"SHA-256 der erklärten Angaben", "Schriftformersatz"} {
		if !strings.Contains(view, want) {
			t.Errorf("inbox lacks %q", want)
		}
	}

	// The JSON API's status.
	apiRes, err := http.Get(h.srv.URL + "/api/v1/forms/musterstadt.bewohnerparkausweis/submissions/" + sub.ID)
	if err != nil {
		t.Fatal(err)
	}
	var status struct {
		Reference string             `json:"reference"`
		Evidence  *identity.Evidence `json:"evidence"`
	}
	err = json.NewDecoder(apiRes.Body).Decode(&status)
	apiRes.Body.Close()
	if err != nil || status.Reference != ref || status.Evidence == nil || status.Evidence.AssertionID != ev.AssertionID || !status.Evidence.Schriftformersatz {
		t.Errorf("API status: %v %+v", err, status)
	}

	// FIT-Connect metadata with the evidence passes the metadata schema.
	auth, err := fitconnect.AuthenticationInfo(sub.Evidence)
	if err != nil {
		t.Fatal(err)
	}
	m := fitconnect.Metadata{
		ContentStructure: fitconnect.ContentStructure{Data: &fitconnect.DataInfo{Hash: fitconnect.SHA512Hash(sub.Data),
			SubmissionSchema: fitconnect.SubmissionSchema{SchemaURI: "https://schema.fitko.de/fim/s05000058_1.0.schema.json", MimeType: "application/json"}},
			Attachments: []fitconnect.AttachmentInfo{}},
		PublicServiceType:         &fitconnect.PublicServiceType{Identifier: fitconnect.LeikaURN("99018115001001"), Name: svcRow.Name},
		AuthenticationInformation: auth,
	}
	meta, _ := json.Marshal(m)
	if err := fitconnect.ValidateMetadata(meta); err != nil {
		t.Errorf("metadata with evidence: %v\n%s", err, meta)
	}
}

// TestCitizenArea: each logged-in citizen sees their own drafts and
// submissions of the tenant, no one else's, and none of another tenant's.
func TestCitizenArea(t *testing.T) {
	h := newLoginHarness(t)
	erika, max, anon := h.browser(), h.browser(), h.browser()
	h.page(anon, "GET", "/musterstadt/mein-konto", nil, http.StatusSeeOther)
	h.login(erika, "", "erika", "STORK-QAA-Level-3", "eID")
	h.login(max, "", "max", "STORK-QAA-Level-3", "eID")

	je, jm, ja := h.journeyFor(t, erika), h.journeyFor(t, max), h.journeyFor(t, anon)
	sv := je.service("musterstadt", "bewohnerparkausweis")
	ex := sv.form.Example(sv.ctx)
	erikaDraft := je.start(sv)
	erikaSent := je.start(sv)
	je.fill(sv, erikaSent, ex)
	erikaRef, _ := je.submit(erikaSent)
	maxDraft := jm.start(sv)
	maxSent := jm.start(sv)
	jm.fill(sv, maxSent, ex)
	maxRef, _ := jm.submit(maxSent)
	anonDraft := ja.start(sv)

	area := func(c *http.Client) (string, []string) {
		doc, _ := h.page(c, "GET", "/musterstadt/mein-konto", nil, http.StatusOK)
		var links []string
		doc.Find(`main a[href^="/musterstadt/antrag/"]`).Each(func(_ int, s *goquery.Selection) {
			href, _ := s.Attr("href")
			links = append(links, href)
		})
		if doc.Find(`main form[action="/musterstadt/abmelden"]`).Length() != 1 {
			t.Error("the area has no logout")
		}
		return strings.Join(strings.Fields(doc.Find("main").Text()), " "), links
	}
	text, links := area(erika)
	if len(links) != 1 || links[0] != erikaDraft {
		t.Errorf("erika's draft links %v, want [%s] (not %s, %s)", links, erikaDraft, maxDraft, anonDraft)
	}
	if !strings.Contains(text, erikaRef) || strings.Contains(text, maxRef) || !strings.Contains(text, "Eingegangen") {
		t.Errorf("erika's area: %s (erika %s, max %s)", text, erikaRef, maxRef)
	}
	text, links = area(max)
	if len(links) != 1 || links[0] != maxDraft || !strings.Contains(text, maxRef) || strings.Contains(text, erikaRef) {
		t.Errorf("max's area: %v %s", links, text)
	}
	// The draft link continues the application.
	_, res := h.page(erika, "GET", erikaDraft, nil, http.StatusSeeOther)
	if !strings.HasPrefix(res.Header.Get("Location"), erikaDraft+"/schritt/") {
		t.Errorf("continue link goes to %q", res.Header.Get("Location"))
	}
	// The status follows the caseworker's.
	sub, err := h.db.SubmissionByReference(context.Background(), sv.tenant.ID, erikaRef)
	if err != nil {
		t.Fatal(err)
	}
	if err := h.db.SetStatus(context.Background(), sv.tenant.ID, sub.ID, submission.InBearbeitung,
		&submission.Event{Actor: "Sachbearbeitung", Action: "Status geändert"}); err != nil {
		t.Fatal(err)
	}
	if text, _ := area(erika); !strings.Contains(text, "In Bearbeitung") {
		t.Errorf("status not shown: %s", text)
	}

	// The anonymous draft still works without a login.
	h.page(anon, "GET", anonDraft+"/schritt/1", nil, http.StatusOK)

	// Another tenant: erika's musterstadt login is not one there, and her
	// login there lists nothing of musterstadt.
	h.page(erika, "GET", "/beispielkreis/mein-konto", nil, http.StatusSeeOther)
	res = h.loginFrom(erika, "/beispielkreis/anmelden?zurueck=/beispielkreis/mein-konto", "erika", "STORK-QAA-Level-3", "eID")
	if res.StatusCode != http.StatusSeeOther || res.Header.Get("Location") != "/beispielkreis/mein-konto" {
		t.Fatalf("login at beispielkreis: %d %q", res.StatusCode, res.Header.Get("Location"))
	}
	doc, _ := h.page(erika, "GET", "/beispielkreis/mein-konto", nil, http.StatusOK)
	if txt := doc.Find("main").Text(); strings.Contains(txt, erikaRef) || doc.Find(`main a[href*="/antrag/"]`).Length() != 0 ||
		!strings.Contains(txt, "keine begonnenen Anträge") {
		t.Errorf("beispielkreis area shows musterstadt's: %s", strings.Join(strings.Fields(txt), " "))
	}
}

// TestServiceIdentityOIDC runs the service's login level, Schriftformersatz
// and the citizen's area with a login through an OpenID provider.
func TestServiceIdentityOIDC(t *testing.T) {
	op := oidctest.New(t)
	h, _ := citizenOIDCHarness(t, op)
	ctx := context.Background()
	sv := h.service("musterstadt", "bewohnerparkausweis")
	if err := h.db.SetServiceIdentity(ctx, sv.tenant.ID, sv.svc.ID, identity.Substantiell, true); err != nil {
		t.Fatal(err)
	}
	c := newJarClient(h)
	j := *h
	j.client = c

	// Without a login: the login page with the OIDC profile, asking for
	// the service's level and returning to it.
	r := h.do(c, "POST", "/musterstadt/dienste/bewohnerparkausweis", url.Values{})
	if r.status != http.StatusSeeOther || !strings.HasPrefix(r.location, "/musterstadt/anmelden?") {
		t.Fatalf("start without login: %d %q", r.status, r.location)
	}
	page := h.do(c, "GET", r.location, nil)
	m := regexp.MustCompile(`href="(/musterstadt/anmelden/broker\?[^"]*)"`).FindStringSubmatch(page.body)
	if m == nil {
		t.Fatalf("no OIDC login on the login page: %s", page.body)
	}
	link := html.UnescapeString(m[1])
	if !strings.Contains(link, "niveau=substantiell") || !strings.Contains(link, "zurueck=%2Fmusterstadt%2Fdienste%2Fbewohnerparkausweis") {
		t.Errorf("OIDC link %q", link)
	}

	// ELSTER at "hoch" may fill in but not declare.
	op.SetClaims(map[string]any{"sub": "bpk2-4711", "given_name": "Erika", "family_name": "Mustermann", "acr": "STORK-QAA-Level-4", "amr": []any{"elster"}})
	if r := h.citizenLogin(c, link, nil); r.status != http.StatusSeeOther || r.location != "/musterstadt/dienste/bewohnerparkausweis" {
		t.Fatalf("OIDC login: %d %q", r.status, r.location)
	}
	base := j.start(sv)
	ex := sv.form.Example(sv.ctx)
	j.fill(sv, base, ex)
	if r := h.do(c, "POST", base+"/absenden", url.Values{}); r.status != http.StatusForbidden || !strings.Contains(r.body, "ELSTER-Zertifikat") {
		t.Fatalf("ELSTER declaration: %d", r.status)
	}
	// eID at "hoch": declared, with the evidence.
	op.SetClaims(map[string]any{"sub": "bpk2-4711", "given_name": "Erika", "family_name": "Mustermann", "acr": "STORK-QAA-Level-4", "amr": []any{"eid"}})
	if r := h.citizenLogin(c, "/musterstadt/anmelden/broker?niveau=hoch&zurueck="+url.QueryEscape(base+"/pruefen"), nil); r.status != http.StatusSeeOther {
		t.Fatalf("eID login: %d", r.status)
	}
	ref, _ := j.submit(base)
	sub, err := h.db.SubmissionByReference(ctx, sv.tenant.ID, ref)
	if err != nil {
		t.Fatal(err)
	}
	ev := sub.Evidence
	if ev == nil || !ev.Schriftformersatz || ev.Provider != "broker" || ev.Issuer != op.Issuer || ev.Method != identity.MethodEID ||
		ev.Level != identity.Hoch || ev.RawLevel != "STORK-QAA-Level-4" || ev.AssertionID == "" || ev.DataSHA256 != sub.DataSHA256 {
		t.Fatalf("evidence %+v", ev)
	}
	// The citizen's area lists it.
	area := h.do(c, "GET", "/musterstadt/mein-konto", nil)
	if area.status != http.StatusOK || !strings.Contains(area.body, ref) {
		t.Errorf("area: %d", area.status)
	}
}

// TestServiceLevelWithoutLogin: an installation without any citizen login
// explains on the login page why the service cannot be applied for.
func TestServiceLevelWithoutLogin(t *testing.T) {
	h := newHarness(t)
	sv := h.service("musterstadt", "bewohnerparkausweis")
	if err := h.db.SetServiceIdentity(context.Background(), sv.tenant.ID, sv.svc.ID, identity.Niedrig, false); err != nil {
		t.Fatal(err)
	}
	r := h.do(h.client, "POST", "/musterstadt/dienste/bewohnerparkausweis", url.Values{})
	if r.status != http.StatusSeeOther || !strings.HasPrefix(r.location, "/musterstadt/anmelden?") {
		t.Fatalf("start: %d %q", r.status, r.location)
	}
	page := h.get(r.location)
	if page.status != http.StatusOK || !strings.Contains(page.body, "nicht eingerichtet") || !strings.Contains(page.body, "nicht online stellen") {
		t.Errorf("login page without accounts: %d", page.status)
	}
	// Services without a level start as before.
	if r := h.do(h.client, "POST", "/musterstadt/dienste/gewerbeanmeldung", url.Values{}); r.status != http.StatusSeeOther || !strings.HasSuffix(r.location, "/schritt/1") {
		t.Errorf("service without a level: %d %q", r.status, r.location)
	}
}
