package web_test

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/json"
	"fmt"
	"math/big"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"regexp"
	"slices"
	"sort"
	"strings"
	"testing"

	"github.com/PuerkitoBio/goquery"

	"github.com/antrag/antrag/internal/account"
	"github.com/antrag/antrag/internal/delivery"
	"github.com/antrag/antrag/internal/form"
	"github.com/antrag/antrag/internal/identity/oidc/oidctest"
	"github.com/antrag/antrag/internal/submission"
	"github.com/antrag/antrag/internal/tenant"
	"github.com/antrag/antrag/internal/web"
)

// Tenant isolation, proved route by route from the route table: every
// route of staff, admin and the API, and every citizen route that takes an
// id or a token, is walked by tenant B (its caseworker, its admin, its
// citizen, an anonymous client) with the ids and tokens of tenant A. The
// answer must be the one for an object that does not exist (same status,
// content type and body, with the ids of the request taken out), must not
// contain anything of A, and a POST must leave A's data as it was.

// isoTenant is one tenant of the isolation tests, with one of each kind of
// object.
type isoTenant struct {
	t          *tenant.Tenant
	svc        *tenant.Service // the service of sub
	authority  string          // the id of the tenant's authority
	formID     string          // the API's form id of svc (<tenant>.<service>)
	sub        *submission.Submission
	sentToken  string // the token of the draft sub was sent from
	draftToken string // an unsent draft's token
	apiToken   string // an API upload session's token (Antrag-Entwurf)
	atts       []*submission.Attachment
	// jurisdiction is the id of one of the tenant's jurisdictions.
	jurisdiction string
	dels         []*delivery.Delivery
	users        []string // user names of its staff
	staff        *http.Client
	admin        *http.Client
	citizen      *http.Client // a logged-in citizen
}

// isoFixture are the two tenants: A, whose objects are tried, and B, who
// tries them.
type isoFixture struct {
	h    *harness
	op   *oidctest.Provider // the citizens' identity provider
	a, b *isoTenant
}

// isoProbe is one request of a case: the values of the pattern's
// wildcards ({tenant} is B's unless given), with A's ids; own names the
// wildcards that hold B's own objects, which the request for a missing
// object keeps. A key "header:Name" is a request header instead, a key
// "query:name" a query parameter.
type isoProbe struct {
	vals map[string]string
	own  []string
}

// isolationCase says how to walk one route.
type isolationCase struct {
	// probes returns the requests to try; A's ids among their values.
	probes func(f *isoFixture) []isoProbe
	// form is the body of a POST (form-encoded unless json is set).
	form url.Values
	json string
	// global, when set, says why the route takes no object of a tenant:
	// its probes are walked and checked for A's data, but not compared
	// with a missing object.
	global string
}

// probeOf is a single probe.
func probeOf(vals map[string]string, own ...string) []isoProbe {
	return []isoProbe{{vals: vals, own: own}}
}

// isolationCases has one entry per route of the table that the suite walks
// (audiences staff, admin, api, and citizen routes with a wildcard besides
// {tenant}). A new route fails TestTenantIsolation until it has one.
var isolationCases = map[string]isolationCase{
	// Citizen journey: A's objects under B's address.
	"GET /{tenant}/behoerden/{authority}/datenschutz":      {probes: authorityProbe},
	"GET /{tenant}/behoerden/{authority}/barrierefreiheit": {probes: authorityProbe},
	"GET /{tenant}/behoerden/{authority}/impressum":        {probes: authorityProbe},
	"GET /{tenant}/anmelden/{provider}": {global: "the provider is the installation's, not a tenant's",
		probes: func(f *isoFixture) []isoProbe { return probeOf(map[string]string{"provider": "broker"}) }},
	"GET /{tenant}/anmelden/{provider}/rueckkehr": {global: "the provider is the installation's; the login state is bound to the browser and tenant",
		probes: func(f *isoFixture) []isoProbe { return probeOf(map[string]string{"provider": "broker"}) }},
	"GET /{tenant}/dienste/{service}":                    {probes: serviceProbe},
	"POST /{tenant}/dienste/{service}":                   {probes: serviceProbe, form: url.Values{}},
	"GET /{tenant}/antrag/{token}":                       {probes: draftProbe},
	"GET /{tenant}/antrag/{token}/{$}":                   {probes: draftProbe},
	"GET /{tenant}/antrag/{token}/schritt/{n}":           {probes: stepProbe},
	"POST /{tenant}/antrag/{token}/schritt/{n}":          {probes: stepProbe, form: url.Values{"aktion": {"weiter"}}},
	"GET /{tenant}/antrag/{token}/fortsetzen":            {probes: draftProbe},
	"GET /{tenant}/antrag/{token}/pruefen":               {probes: draftProbe},
	"POST /{tenant}/antrag/{token}/absenden":             {probes: draftProbe, form: url.Values{}},
	"GET /{tenant}/antrag/{token}/bestaetigung":          {probes: sentProbe},
	"GET /{tenant}/antrag/{token}/antrag.pdf":            {probes: sentProbe},
	"GET /{tenant}/antrag/{token}/angaben":               {probes: sentProbe},
	"POST /{tenant}/anmelden/{idp}":                      {global: "the identity provider is the installation's", probes: idpProbe, form: url.Values{}},
	"GET /{tenant}/saml/{idp}/metadata":                  {global: "the identity provider is the installation's", probes: idpProbe},
	"POST /{tenant}/saml/{idp}/acs":                      {global: "the identity provider is the installation's; its answer is signed", probes: idpProbe, form: url.Values{}},
	"POST /{tenant}/saml/{idp}/slo":                      {global: "the identity provider is the installation's; its request is signed", probes: idpProbe, form: url.Values{}},
	"GET /intern/{$}":                                    {global: "B's inbox lists B's applications only", probes: noValues},
	"POST /intern/sitzung":                               {global: "extends B's own session", probes: noValues, form: url.Values{"zurueck": {"/intern/"}}},
	"GET /intern/antraege/{id}":                          {probes: submissionProbe},
	"GET /intern/antraege/{id}/antrag.pdf":               {probes: submissionProbe},
	"GET /intern/antraege/{id}/daten.json":               {probes: submissionProbe},
	"GET /intern/antraege/{id}/anhaenge/{att}":           {probes: attachmentProbes},
	"POST /intern/antraege/{id}/status":                  {probes: submissionProbe, form: url.Values{"status": {string(submission.Abgeschlossen)}}},
	"POST /intern/antraege/{id}/zustellungen/{delivery}": {probes: deliveryProbes, form: url.Values{}},
	"GET /intern/benutzer":                               {global: "B's admin lists B's staff only", probes: noValues},
	"GET /api/v1/openapi.json":                           {global: "the API's description", probes: noValues},
	"GET /api/v1/services":                               {global: "the public catalogue of all tenants (names and forms, no applications)", probes: noValues},
	"GET /api/v1/forms/{formId}/schema":                  {global: "a published form's schema is public", probes: formProbe},
	"POST /api/v1/forms/{formId}/submissions":            {probes: apiTokenProbe, json: `{"data": {}}`},
	"GET /api/v1/forms/{formId}/submissions/{id}": {probes: func(f *isoFixture) []isoProbe {
		return probeOf(map[string]string{"formId": f.b.formID, "id": f.a.sub.ID}, "formId")
	}},
	"POST /api/v1/forms/{formId}/attachments": {probes: apiTokenProbe},
	"POST /api/v1/forms/{formId}/submissions/{id}/payment": {probes: func(f *isoFixture) []isoProbe {
		return probeOf(map[string]string{"formId": f.b.formID, "id": f.a.sub.ID}, "formId")
	}},

	// Routing to the responsible authority (routing.go).
	"POST /{tenant}/dienste/{service}/zustaendigkeit": {probes: serviceProbe, form: url.Values{"plz": {"99084"}}},
	"GET /{tenant}/dienste/{service}/zustaendigkeit":  {probes: serviceProbe},
	"GET /{tenant}/antrag/{token}/zustaendigkeit":     {probes: draftProbe},
	"GET /api/v1/forms/{formId}/routing":              {global: "who is responsible for a published form is public", probes: formProbe},

	// Paying the fee of a sent application (payment.go).
	"GET /{tenant}/antrag/{token}/zahlung":           {probes: sentProbe},
	"POST /{tenant}/antrag/{token}/zahlung":          {probes: sentProbe, form: url.Values{}},
	"GET /{tenant}/antrag/{token}/zahlung/rueckkehr": {probes: sentProbe},
	"POST /{tenant}/antrag/{token}/zahlung/ohne":     {probes: sentProbe, form: url.Values{}},
	"POST /intern/antraege/{id}/zahlung":             {probes: submissionProbe, form: url.Values{}},

	// Administration: A's services, targets, authorities and
	// jurisdictions through B's admin pages.
	"GET /intern/admin":                                   {global: "B's admin overview", probes: noValues},
	"GET /intern/uebersicht":                              {global: "B's figures count B's applications and deliveries only", probes: noValues},
	"GET /intern/admin/dienste":                           {global: "B's admin lists B's own services only", probes: noValues},
	"GET /intern/admin/dienste/{id}/import":               {probes: adminServiceProbe},
	"POST /intern/admin/dienste/{id}/import":              {probes: adminServiceProbe, form: url.Values{}},
	"GET /intern/admin/dienste/{id}/import/{import}":      {probes: importProbe},
	"POST /intern/admin/dienste/{id}/import/{import}":     {probes: importProbe, form: url.Values{}},
	"GET /intern/admin/dienste/{id}/ziele":                {probes: adminServiceProbe},
	"POST /intern/admin/dienste/{id}/ziele/{target}/test": {probes: targetProbes, form: url.Values{}},
	"GET /intern/admin/protokoll":                         {global: "B's audit trail lists B's changes only", probes: noValues},
	"GET /intern/admin/mandant":                           {global: "B's own portal settings", probes: noValues},
	"POST /intern/admin/mandant":                          {global: "changes B's own portal settings (here refused: no name)", probes: noValues, form: url.Values{}},
	"GET /intern/admin/behoerden":                         {global: "B's admin lists B's authorities only", probes: noValues},
	"GET /intern/admin/behoerden/neu":                     {global: "a form for a new authority of B", probes: noValues},
	"POST /intern/admin/behoerden/neu":                    {global: "creates an authority of B (here refused: no name)", probes: noValues, form: url.Values{}},
	"GET /intern/admin/behoerden/{id}":                    {probes: adminAuthorityProbe},
	"POST /intern/admin/behoerden/{id}":                   {probes: adminAuthorityProbe, form: url.Values{"name": {"Übernommene Behörde"}}},
	"GET /intern/admin/behoerden/{id}/bezahldienst":       {probes: adminAuthorityProbe},
	"POST /intern/admin/behoerden/{id}/bezahldienst": {probes: adminAuthorityProbe, form: url.Values{"art": {"epay21"},
		"basis": {"https://epay.example/"}, "originator": {"o"}, "endpoint": {"e"}, "passwort": {"übernommen"}}},
	"POST /intern/admin/behoerden/{id}/bezahldienst/test": {probes: adminAuthorityProbe, form: url.Values{}},
	"GET /intern/admin/dienste/{id}/bearbeiten":           {probes: adminServiceProbe},
	"POST /intern/admin/dienste/{id}/bearbeiten":          {probes: adminServiceProbe, form: url.Values{"name": {"Übernommener Dienst"}}},
	"GET /intern/admin/zustaendigkeiten":                  {global: "B's admin lists B's jurisdictions only", probes: noValues},
	"POST /intern/admin/zustaendigkeiten": {global: "adds a jurisdiction of B; A's authority and private service are refused",
		probes: func(f *isoFixture) []isoProbe { return probeOf(nil) },
		form:   url.Values{"dienst": {"placeholder"}, "behoerde": {"placeholder"}, "ars": {"16"}}},
	"GET /intern/admin/zustaendigkeiten/{id}/entfernen":  {probes: jurisdictionProbe},
	"POST /intern/admin/zustaendigkeiten/{id}/entfernen": {probes: jurisdictionProbe, form: url.Values{}},
}

func adminServiceProbe(f *isoFixture) []isoProbe { return probeOf(map[string]string{"id": f.a.svc.ID}) }

func adminAuthorityProbe(f *isoFixture) []isoProbe {
	return probeOf(map[string]string{"id": f.a.authority})
}

func importProbe(f *isoFixture) []isoProbe {
	return []isoProbe{{vals: map[string]string{"id": f.a.svc.ID, "import": "0f1e2d3c4b5a69788796a5b4c3d2e1f0"}},
		{vals: map[string]string{"id": f.b.svc.ID, "import": "0f1e2d3c4b5a69788796a5b4c3d2e1f0"}, own: []string{"id"}}}
}

// targetProbes try A's delivery targets with A's service and with B's own
// one.
func targetProbes(f *isoFixture) []isoProbe {
	var out []isoProbe
	for _, d := range f.a.dels {
		if d.Target.ID == "" {
			continue
		}
		out = append(out, isoProbe{vals: map[string]string{"id": f.a.svc.ID, "target": d.Target.ID}},
			isoProbe{vals: map[string]string{"id": f.b.svc.ID, "target": d.Target.ID}, own: []string{"id"}})
	}
	return out
}

func jurisdictionProbe(f *isoFixture) []isoProbe {
	return probeOf(map[string]string{"id": f.a.jurisdiction})
}

func noValues(*isoFixture) []isoProbe { return probeOf(nil) }

func authorityProbe(f *isoFixture) []isoProbe {
	return probeOf(map[string]string{"authority": f.a.authority})
}

func serviceProbe(f *isoFixture) []isoProbe {
	return probeOf(map[string]string{"service": f.a.svc.Slug})
}

func draftProbe(f *isoFixture) []isoProbe {
	return []isoProbe{{vals: map[string]string{"token": f.a.draftToken}}, {vals: map[string]string{"token": f.a.sentToken}}}
}

func sentProbe(f *isoFixture) []isoProbe { return probeOf(map[string]string{"token": f.a.sentToken}) }

func stepProbe(f *isoFixture) []isoProbe {
	return probeOf(map[string]string{"token": f.a.draftToken, "n": "1"}, "n")
}

func idpProbe(*isoFixture) []isoProbe { return probeOf(map[string]string{"idp": "bundid"}) }

func submissionProbe(f *isoFixture) []isoProbe { return probeOf(map[string]string{"id": f.a.sub.ID}) }

func formProbe(f *isoFixture) []isoProbe { return probeOf(map[string]string{"formId": f.b.formID}) }

// attachmentProbes try A's attachment with A's submission and with B's
// own one.
func attachmentProbes(f *isoFixture) []isoProbe {
	var out []isoProbe
	for _, a := range f.a.atts {
		out = append(out, isoProbe{vals: map[string]string{"id": f.a.sub.ID, "att": a.ID}},
			isoProbe{vals: map[string]string{"id": f.b.sub.ID, "att": a.ID}, own: []string{"id"}})
	}
	return out
}

// deliveryProbes try A's deliveries with A's submission and with B's own
// one.
func deliveryProbes(f *isoFixture) []isoProbe {
	var out []isoProbe
	for _, d := range f.a.dels {
		out = append(out, isoProbe{vals: map[string]string{"id": f.a.sub.ID, "delivery": d.ID}},
			isoProbe{vals: map[string]string{"id": f.b.sub.ID, "delivery": d.ID}, own: []string{"id"}})
	}
	return out
}

// apiTokenProbe sends A's upload session to B's form.
func apiTokenProbe(f *isoFixture) []isoProbe {
	return probeOf(map[string]string{"formId": f.b.formID, "header:Antrag-Entwurf": f.a.apiToken}, "formId")
}

var wildcardRE = regexp.MustCompile(`\{([A-Za-z]+)(\.\.\.)?\}`)

// walked reports whether the suite must walk a route: staff, admin and
// API routes, and citizen routes with a wildcard besides {tenant}.
func walked(rt web.RouteEntry) bool {
	switch rt.Audience {
	case "staff", "admin", "api":
		return true
	case "citizen":
		for _, m := range wildcardRE.FindAllStringSubmatch(rt.Pattern, -1) {
			if m[1] != "tenant" {
				return true
			}
		}
	}
	return false
}

// TestTenantIsolation walks every route of the table that takes an object
// of a tenant as tenant B with tenant A's objects.
func TestTenantIsolation(t *testing.T) {
	f := newIsoFixture(t)
	h := f.h
	table := web.RouteTable(h.server)
	if len(table) < 40 {
		t.Fatalf("the route table lists %d routes", len(table))
	}
	before := f.snapshot()
	secrets := f.secrets()
	seen := map[string]bool{}
	for _, rt := range table {
		if !walked(rt) {
			continue
		}
		seen[rt.Pattern] = true
		c, ok := isolationCases[rt.Pattern]
		if !ok {
			t.Errorf("route %q (%s) has no isolation case: add an entry to isolationCases in isolation_test.go that fills its path values with tenant A's ids", rt.Pattern, rt.Audience)
			continue
		}
		t.Run(rt.Pattern, func(t *testing.T) {
			for _, p := range c.probes(f) {
				for who, client := range f.clients(rt.Audience) {
					f.walk(t, rt.Pattern, c, p, who, client, secrets)
				}
			}
		})
	}
	for pattern := range isolationCases {
		if !seen[pattern] {
			t.Errorf("isolationCases has %q, which the route table does not list (or not for a walked audience): remove it", pattern)
		}
	}
	if after := f.snapshot(); after != before {
		t.Errorf("tenant A's data changed while tenant B walked the routes:\nbefore %s\nafter  %s", before, after)
	}
}

// clients are the clients of B that walk a route of the audience.
func (f *isoFixture) clients(aud string) map[string]*http.Client {
	switch aud {
	case "staff", "admin":
		return map[string]*http.Client{"B's caseworker": f.b.staff, "B's admin": f.b.admin}
	case "citizen":
		return map[string]*http.Client{"anonymous": f.h.client, "B's citizen": f.b.citizen}
	}
	return map[string]*http.Client{"anonymous": f.h.client}
}

// walk sends a probe with A's ids and again with look-alike ids that
// exist nowhere, and compares the answers.
func (f *isoFixture) walk(t *testing.T, pattern string, c isolationCase, p isoProbe, who string, client *http.Client, secrets []string) {
	t.Helper()
	foreign := map[string]string{"tenant": f.b.t.Slug}
	for k, v := range p.vals {
		foreign[k] = v
	}
	missing := map[string]string{}
	for k, v := range foreign {
		if k == "tenant" || slices.Contains(p.own, k) {
			missing[k] = v
		} else {
			missing[k] = lookalike(v)
		}
	}
	got := f.send(t, pattern, c, foreign, client)
	label := fmt.Sprintf("%s as %s with %v", got.path, who, p.vals)
	// What the request itself carries may come back (a form's return
	// address); anything else of A must not.
	strip := func(s string, vals map[string]string) string {
		for _, v := range vals {
			if len(v) >= 4 {
				s = strings.ReplaceAll(s, v, "{value}")
				s = strings.ReplaceAll(s, url.PathEscape(v), "{value}")
			}
		}
		return s
	}
	gotAll := strip(got.all(), foreign)
	if c.global != "" {
		for _, s := range secrets {
			if strings.Contains(gotAll, s) {
				t.Errorf("%s: the answer contains %q of tenant A", label, s)
			}
		}
		return
	}
	want := f.send(t, pattern, c, missing, client)
	wantAll := strip(want.all(), missing)
	for _, s := range secrets {
		if strings.Contains(gotAll, s) && !strings.Contains(wantAll, s) {
			t.Errorf("%s: the answer contains %q of tenant A", label, s)
		}
	}
	if got.status != want.status || got.header.Get("Content-Type") != want.header.Get("Content-Type") {
		t.Errorf("%s: %d %s, but for a missing object %d %s", label, got.status, got.header.Get("Content-Type"), want.status, want.header.Get("Content-Type"))
		return
	}
	if g, w := normalizeBody(strip(got.body, foreign)), normalizeBody(strip(want.body, missing)); g != w {
		t.Errorf("%s: the body differs from the one for a missing object:\n got %.600s\nwant %.600s", label, g, w)
	}
	if g, w := strip(got.location, foreign), strip(want.location, missing); g != w {
		t.Errorf("%s: Location %q, for a missing object %q", label, g, w)
	}
}

// isoResponse is a response with the path it was for.
type isoResponse struct {
	response
	path string
}

// all is the body and every header value.
func (r isoResponse) all() string {
	var b strings.Builder
	b.WriteString(r.body)
	for k, vs := range r.header {
		for _, v := range vs {
			b.WriteString("\n" + k + ": " + v)
		}
	}
	return b.String()
}

// send requests the pattern's path with the values.
func (f *isoFixture) send(t *testing.T, pattern string, c isolationCase, vals map[string]string, client *http.Client) isoResponse {
	t.Helper()
	method, path, ok := strings.Cut(pattern, " ")
	if !ok {
		method, path = "GET", pattern
	}
	path = strings.ReplaceAll(path, "{$}", "")
	for _, m := range wildcardRE.FindAllStringSubmatch(path, -1) {
		v, ok := vals[m[1]]
		if !ok {
			t.Fatalf("%s: no value for {%s}", pattern, m[1])
		}
		path = strings.Replace(path, m[0], url.PathEscape(v), 1)
	}
	var body *bytes.Reader
	switch {
	case c.json != "":
		body = bytes.NewReader([]byte(c.json))
	case method == "POST":
		body = bytes.NewReader([]byte(c.form.Encode()))
	default:
		body = bytes.NewReader(nil)
	}
	req, err := http.NewRequest(method, f.h.srv.URL+path, body)
	if err != nil {
		t.Fatal(err)
	}
	switch {
	case c.json != "":
		req.Header.Set("Content-Type", "application/json")
	case method == "POST":
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	query := req.URL.Query()
	for k, v := range vals {
		if name, ok := strings.CutPrefix(k, "header:"); ok {
			req.Header.Set(name, v)
		}
		if name, ok := strings.CutPrefix(k, "query:"); ok {
			query.Set(name, v)
		}
	}
	req.URL.RawQuery = query.Encode()
	return isoResponse{response: f.h.send(client, req), path: method + " " + path}
}

var digitsRE = regexp.MustCompile(`[0-9]+`)

// normalizeBody replaces numbers (the session's remaining seconds and end
// time on staff pages) so that two answers compare by their shape.
func normalizeBody(s string) string { return digitsRE.ReplaceAllString(s, "0") }

// lookalike returns a random value of the same form as v: digits for
// digits, letters for letters (hex digits for hex digits), the rest kept.
func lookalike(v string) string {
	pick := func(set string) byte {
		n, err := rand.Int(rand.Reader, big.NewInt(int64(len(set))))
		if err != nil {
			panic(err)
		}
		return set[n.Int64()]
	}
	b := []byte(v)
	for i, c := range b {
		switch {
		case c >= '0' && c <= '9':
			b[i] = pick("0123456789")
		case c >= 'a' && c <= 'f':
			b[i] = pick("abcdef")
		case c >= 'g' && c <= 'z':
			b[i] = pick("ghijklmnopqrstuvwxyz")
		case c >= 'A' && c <= 'F':
			b[i] = pick("ABCDEF")
		case c >= 'G' && c <= 'Z':
			b[i] = pick("GHJKMNPQRSTVWXYZ") // as in Vorgangsnummern
		}
	}
	return string(b)
}

// newIsoFixture sets up tenant A (musterstadt: an application with
// attachments and two deliveries, one failed, an unsent draft, an API
// upload session) and tenant B (beispielkreis: an application with
// deliveries), each with a caseworker, an admin and a logged-in citizen.
func newIsoFixture(t *testing.T) *isoFixture {
	t.Helper()
	op := oidctest.New(t)
	h, _ := citizenOIDCHarness(t, op)
	f := &isoFixture{h: h, op: op}
	f.a = f.tenant(t, op, "musterstadt", "bewohnerparkausweis", "a")
	f.b = f.tenant(t, op, "beispielkreis", "heimarbeit", "b")
	f.a.jurisdiction = f.jurisdictionOf(t, f.a, f.b)
	if len(f.a.atts) == 0 || len(f.a.dels) < 2 || len(f.b.dels) == 0 {
		t.Fatalf("fixture: A has %d attachments and %d deliveries, B %d deliveries", len(f.a.atts), len(f.a.dels), len(f.b.dels))
	}
	return f
}

// jurisdictionOf returns the id of a jurisdiction of tenant it, made for
// a shared service of other when it has none.
func (f *isoFixture) jurisdictionOf(t *testing.T, it, other *isoTenant) string {
	t.Helper()
	ctx := context.Background()
	js, err := f.h.db.Jurisdictions(ctx, it.t.ID)
	if err != nil {
		t.Fatal(err)
	}
	if len(js) > 0 {
		return js[0].ID
	}
	svcs, err := f.h.db.ListServices(ctx, other.t.ID)
	if err != nil {
		t.Fatal(err)
	}
	for _, svc := range svcs {
		if svc.Shared && svc.TenantID == other.t.ID {
			j := &tenant.Jurisdiction{TenantID: it.t.ID, ServiceID: svc.ID, AuthorityID: it.authority, ARS: "160510000000", Source: "Isolation"}
			if err := f.h.db.CreateJurisdiction(ctx, j); err != nil {
				t.Fatal(err)
			}
			return j.ID
		}
	}
	t.Fatal("no shared service to make a jurisdiction for")
	return ""
}

func (f *isoFixture) tenant(t *testing.T, op *oidctest.Provider, slug, svcSlug, tag string) *isoTenant {
	t.Helper()
	h, ctx := f.h, context.Background()
	sv := h.service(slug, svcSlug)
	it := &isoTenant{t: sv.tenant, svc: sv.svc, formID: slug + "." + svcSlug}
	if err := h.db.SetTargets(ctx, sv.tenant.ID, sv.svc.ID, []*delivery.Target{{Kind: delivery.Inbox},
		{Kind: delivery.Webhook, URL: "https://fachverfahren-" + tag + ".example/eingang", Secret: delivery.NewWebhookSecret()}}); err != nil {
		t.Fatal(err)
	}
	sub, base := h.sendExample(slug, svcSlug)
	it.sub, it.sentToken = sub, base[strings.LastIndex(base, "/")+1:]
	it.authority = sub.AuthorityID
	var err error
	if it.atts, err = h.db.ListAttachments(ctx, sv.tenant.ID, sub.ID); err != nil {
		t.Fatal(err)
	}
	if it.dels, err = h.db.Deliveries(ctx, sv.tenant.ID, sub.ID); err != nil {
		t.Fatal(err)
	}
	for _, d := range it.dels {
		if d.Target.Kind == delivery.Webhook {
			d.State, d.Attempts, d.LastError = delivery.Failed, 3, "Fachverfahren-"+strings.ToUpper(tag)+" antwortete 410 Gone"
			if err := h.db.UpdateDelivery(ctx, d, delivery.Pending, nil); err != nil {
				t.Fatal(err)
			}
		}
	}
	draft := h.start(sv)
	it.draftToken = draft[strings.LastIndex(draft, "/")+1:]
	// An API upload session (of a service with file fields).
	if len(it.atts) > 0 {
		req, _ := http.NewRequest("POST", h.srv.URL+"/api/v1/forms/"+it.formID+"/attachments?filename=api-"+tag+".pdf", bytes.NewReader(pdfFile("api-"+tag)))
		req.Header.Set("Content-Type", "application/pdf")
		r := h.send(h.client, req)
		if r.status != http.StatusCreated || r.header.Get("Antrag-Entwurf") == "" {
			t.Fatalf("API upload: %d %s", r.status, r.body)
		}
		it.apiToken = r.header.Get("Antrag-Entwurf")
	}
	caseworker, adm := "sachbearbeitung-iso-"+tag, "admin-iso-"+tag
	h.addStaff(slug, caseworker, nil)
	h.addStaff(slug, adm, &account.Access{Role: account.RoleAdmin})
	it.users = []string{caseworker, adm}
	it.staff, it.admin = h.loginAs(caseworker), h.loginAs(adm)
	// A citizen of the tenant, logged in through the OIDC broker.
	op.SetClaims(map[string]any{"sub": "iso-citizen-" + tag, "given_name": "Iso", "family_name": "Buerger" + strings.ToUpper(tag),
		"acr": "STORK-QAA-Level-3", "amr": []any{"eid"}})
	jar, _ := cookiejar.New(nil)
	it.citizen = &http.Client{Jar: jar, Transport: h.client.Transport, CheckRedirect: h.client.CheckRedirect}
	if r := h.citizenLogin(it.citizen, "/"+slug+"/anmelden/broker?zurueck="+url.QueryEscape("/"+slug+"/mein-konto"), nil); r.status != http.StatusSeeOther {
		t.Fatalf("citizen login at %s: %d %s", slug, r.status, r.body)
	}
	return it
}

// secrets are what of tenant A must not reach tenant B: its ids, tokens,
// Vorgangsnummer, file names, staff names, a delivery's error and the
// text values of its application (those B's own application does not
// have as well).
func (f *isoFixture) secrets() []string {
	a := f.a
	s := []string{a.sub.ID, a.sub.Reference, a.sentToken, a.draftToken, a.apiToken, "Fachverfahren-A", a.jurisdiction}
	s = append(s, a.users...)
	for _, at := range a.atts {
		s = append(s, at.ID, at.Filename)
	}
	for _, d := range a.dels {
		s = append(s, d.ID)
	}
	bData := string(f.b.sub.Data)
	for _, v := range textValues(f.h.t, a.sub.Data) {
		if len(v) >= 6 && !strings.Contains(bData, v) {
			s = append(s, v)
		}
	}
	sort.Strings(s)
	return slices.Compact(s)
}

// textValues are the string values of application data.
func textValues(t testing.TB, data []byte) []string {
	doc, err := form.DecodeData(bytes.NewReader(data))
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	var walk func(v any)
	walk = func(v any) {
		switch x := v.(type) {
		case map[string]any:
			if name, ok := x["filename"].(string); ok && x["attachmentId"] != nil {
				out = append(out, name) // a file's type and hash are no secret
				return
			}
			for _, e := range x {
				walk(e)
			}
		case []any:
			for _, e := range x {
				walk(e)
			}
		case string:
			out = append(out, x)
		}
	}
	walk(doc)
	return out
}

// snapshot is tenant A's state as the store has it: the application, its
// audit trail, deliveries, attachments, a draft and the staff with their
// roles and limits. A route that changes
// other objects of a tenant adds them here, so that a post of B that
// reaches them fails the test.
func (f *isoFixture) snapshot() string {
	h, a, ctx := f.h, f.a, context.Background()
	sub, err := h.db.Submission(ctx, a.t.ID, a.sub.ID)
	if err != nil {
		h.t.Fatal(err)
	}
	evs, err := h.db.Events(ctx, a.t.ID, a.sub.ID)
	if err != nil {
		h.t.Fatal(err)
	}
	dels, err := h.db.Deliveries(ctx, a.t.ID, a.sub.ID)
	if err != nil {
		h.t.Fatal(err)
	}
	atts, err := h.db.ListAttachments(ctx, a.t.ID, a.sub.ID)
	if err != nil {
		h.t.Fatal(err)
	}
	draft, err := h.db.DraftByToken(ctx, a.t.ID, tokenHash(a.draftToken), h.now)
	if err != nil {
		h.t.Fatal(err)
	}
	users, err := h.db.ListUsers(ctx, a.t.ID)
	if err != nil {
		h.t.Fatal(err)
	}
	var us []any
	for _, u := range users {
		acc, err := h.db.Access(ctx, a.t.ID, u.ID)
		if err != nil {
			h.t.Fatal(err)
		}
		us = append(us, []any{u.ID, u.Username, u.Name, u.Disabled, u.SessionVersion, acc})
	}
	type del struct {
		ID, State     string
		Attempts, Rnd int
	}
	var ds []del
	for _, d := range dels {
		ds = append(ds, del{d.ID, string(d.State), d.Attempts, d.Round})
	}
	var as []string
	for _, at := range atts {
		as = append(as, at.ID+" "+at.Filename)
	}
	svc, err := h.db.Service(ctx, a.t.ID, a.svc.ID)
	if err != nil {
		h.t.Fatal(err)
	}
	auth, err := h.db.Authority(ctx, a.t.ID, a.authority)
	if err != nil {
		h.t.Fatal(err)
	}
	js, err := h.db.Jurisdictions(ctx, a.t.ID)
	if err != nil {
		h.t.Fatal(err)
	}
	targets, err := h.db.Targets(ctx, a.t.ID, a.svc.ID)
	if err != nil {
		h.t.Fatal(err)
	}
	te, err := h.db.Tenant(ctx, a.t.ID)
	if err != nil {
		h.t.Fatal(err)
	}
	out, err := json.Marshal(map[string]any{"status": sub.Status, "updated": sub.UpdatedAt, "data": sub.DataSHA256, "events": len(evs),
		"service": svc, "authority": auth, "jurisdictions": js, "targets": targets, "tenant": te,
		"deliveries": ds, "attachments": as, "draft": map[string]any{"data": draft.Data, "step": draft.Step, "updated": draft.UpdatedAt, "owner": draft.Owner},
		"users": us})
	if err != nil {
		h.t.Fatal(err)
	}
	return string(out)
}

// TestCitizenIsolation: a citizen's draft of tenant A is not reached under
// tenant B's address, with its token, by the same citizen or another; the
// citizen's session of A is no session at B; and another citizen's area
// lists nothing of the first.
func TestCitizenIsolation(t *testing.T) {
	f := newIsoFixture(t)
	h := f.h
	r := h.do(f.a.citizen, "POST", "/musterstadt/dienste/gewerbeanmeldung", url.Values{})
	if r.status != http.StatusSeeOther || !strings.HasSuffix(r.location, "/schritt/1") {
		t.Fatalf("start: %d %q", r.status, r.location)
	}
	base := strings.TrimSuffix(r.location, "/schritt/1")
	token := base[strings.LastIndex(base, "/")+1:]

	areaLinks := func(c *http.Client, slug string) ([]string, response) {
		t.Helper()
		r := h.do(c, "GET", "/"+slug+"/mein-konto", nil)
		if r.status != http.StatusOK {
			return nil, r
		}
		doc, err := goquery.NewDocumentFromReader(strings.NewReader(r.body))
		if err != nil {
			t.Fatal(err)
		}
		var links []string
		doc.Find(`main a[href*="/antrag/"]`).Each(func(_ int, s *goquery.Selection) {
			href, _ := s.Attr("href")
			links = append(links, href)
		})
		return links, r
	}
	// The owner's area at A lists the draft (so that the checks below can
	// fail).
	if links, r := areaLinks(f.a.citizen, "musterstadt"); !slices.Contains(links, base) {
		t.Fatalf("the owner's area does not list its draft %s: %d %v", base, r.status, links)
	}
	// The owner's session is bound to A: at B it is no login.
	if _, r := areaLinks(f.a.citizen, "beispielkreis"); r.status != http.StatusSeeOther || strings.Contains(r.body+r.location, token) {
		t.Errorf("A's citizen session at B's area: %d %q", r.status, r.location)
	}
	// B's citizen and another citizen of A see nothing of it.
	op := f.op
	op.SetClaims(map[string]any{"sub": "iso-citizen-other", "given_name": "Andere", "family_name": "Person",
		"acr": "STORK-QAA-Level-3", "amr": []any{"eid"}})
	other := newJarClient(h)
	if r := h.citizenLogin(other, "/musterstadt/anmelden/broker", nil); r.status != http.StatusSeeOther {
		t.Fatalf("login of another citizen: %d", r.status)
	}
	for who, c := range map[string]struct {
		client *http.Client
		slug   string
	}{"B's citizen at B": {f.b.citizen, "beispielkreis"}, "another citizen at A": {other, "musterstadt"}} {
		links, r := areaLinks(c.client, c.slug)
		if r.status != http.StatusOK || len(links) != 0 || strings.Contains(r.body, token) {
			t.Errorf("%s: the area (%d) lists %v", who, r.status, links)
		}
	}
	// The token under B's address: as for a token that does not exist,
	// for the owner, B's citizen and anyone.
	for who, c := range map[string]*http.Client{"the owner": f.a.citizen, "B's citizen": f.b.citizen, "anonymous": h.client} {
		for _, suffix := range []string{"", "/schritt/1", "/pruefen", "/fortsetzen"} {
			got := h.do(c, "GET", "/beispielkreis/antrag/"+token+suffix, nil)
			missing := h.do(c, "GET", "/beispielkreis/antrag/"+lookalike(token)+suffix, nil)
			if got.status != http.StatusNotFound || got.status != missing.status || normalizeBody(got.body) != normalizeBody(missing.body) {
				t.Errorf("%s: GET /beispielkreis/antrag/{A's token}%s: %d, for a missing token %d", who, suffix, got.status, missing.status)
			}
		}
	}
}
