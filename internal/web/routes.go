package web

import (
	"net/http"
	"strings"

	"github.com/antrag/antrag/internal/apperr"
	"github.com/antrag/antrag/internal/identity/saml"
	"github.com/antrag/antrag/internal/tenant"
	"github.com/antrag/antrag/internal/web/static"
)

// audience is whom a route serves. The isolation tests
// (isolation_test.go) walk every route of the table by its audience: each
// route of staff, admin and the API, and each citizen route that takes an
// id or a token, must answer another tenant's object as it answers a
// missing one.
type audience string

const (
	public  audience = "public"  // anyone: installation pages, assets, health, the staff login
	citizen audience = "citizen" // a tenant's citizen pages, under /{tenant}/
	staff   audience = "staff"   // a signed-in caseworker of a tenant (requireStaff)
	admin   audience = "admin"   // a tenant's administrators (requireStaff and requireAdmin)
	api     audience = "api"     // the JSON API, under /api/v1/
	extra   audience = "extra"   // a route of Deps.Handlers (FIT-Connect callbacks), with its own checks
)

// route is one entry of the route table: an http.ServeMux pattern, its
// handler and its audience.
type route struct {
	pattern  string
	audience audience
	handler  http.Handler
}

// routeTable lists every route of the server, in the order they read best.
// A route is served by the mux its path belongs to (routes): a path under
// /{tenant}/ by the citizen mux, one under /api/v1/ by the API's, any
// other (and those of Deps.Handlers) by the top-level mux. A new route is
// one more entry here, with its audience, and one case in the isolation
// tests (isolationCases), which fail without it.
//
// Tenants are addressed by the first path segment (/musterstadt/…); that
// segment can never be one of the fixed names below (tenant slugs are
// checked against tenant.ReservedSlugs, which must list them).
func (s *Server) routeTable() []route {
	notFound := s.html(func(w http.ResponseWriter, r *http.Request) error { return apperr.NotFound })
	draft := func(h handlerFunc) http.Handler { return noStore(s.html(h)) }
	staffOnly := func(h handlerFunc) http.Handler { return noStore(s.html(s.requireStaff(h))) }
	adminOnly := func(h handlerFunc) http.Handler { return staffOnly(s.requireAdmin(h)) }
	form := func(h http.Handler) http.Handler { return limitBody(s.cfg.MaxFormBytes, h) }
	samlPost := func(h http.Handler) http.Handler { return limitBody(saml.DefaultMaxMessageBytes*2, h) }

	table := []route{
		{"/static/", public, static.Handler()},
		// Addresses browsers and crawlers ask for by themselves; without a
		// route of their own a tenant pattern would redirect them to "…/".
		{"GET /favicon.ico", public, static.FileHandler("app/favicon.ico")},
		{"GET /robots.txt", public, notFound},
		{"GET /healthz", public, http.HandlerFunc(s.healthz)},
		{"GET /readyz", public, http.HandlerFunc(s.readyz)},

		// Portal and the installation's own pages.
		{"GET /{$}", public, s.html(s.portal)},
		{"GET /datenschutz", public, s.html(s.infoPage(tenant.Datenschutz))},
		{"GET /barrierefreiheit", public, s.html(s.infoPage(tenant.Barrierefreiheit))},
		{"GET /impressum", public, s.html(s.infoPage(tenant.Impressum))},

		// The citizen's journey, under /{tenant}/.
		{"GET /{tenant}/{$}", citizen, s.html(s.catalogue)},
		{"GET /{tenant}/farben.css", citizen, s.html(s.tenantColours)}, // the tenant's colour (branding.go)
		// A tenant's and an authority's operator pages (info.go).
		{"GET /{tenant}/datenschutz", citizen, s.html(s.operatorPage(tenant.Datenschutz))},
		{"GET /{tenant}/barrierefreiheit", citizen, s.html(s.operatorPage(tenant.Barrierefreiheit))},
		{"GET /{tenant}/impressum", citizen, s.html(s.operatorPage(tenant.Impressum))},
		{"GET /{tenant}/behoerden/{authority}/datenschutz", citizen, s.html(s.operatorPage(tenant.Datenschutz))},
		{"GET /{tenant}/behoerden/{authority}/barrierefreiheit", citizen, s.html(s.operatorPage(tenant.Barrierefreiheit))},
		{"GET /{tenant}/behoerden/{authority}/impressum", citizen, s.html(s.operatorPage(tenant.Impressum))},
		{"GET /{tenant}/anmelden/{provider}", citizen, noStore(s.html(s.citizenOIDCStart))},
		{"GET /{tenant}/anmelden/{provider}/rueckkehr", citizen, noStore(s.html(s.citizenOIDCCallback))},
		{"GET /{tenant}/dienste/{service}", citizen, s.html(s.startPage)},
		{"POST /{tenant}/dienste/{service}", citizen, form(s.html(s.startDraft))},
		// Routing to the responsible authority (routing.go).
		{"POST /{tenant}/dienste/{service}/zustaendigkeit", citizen, form(noStore(s.html(s.findAuthority)))},
		{"GET /{tenant}/dienste/{service}/zustaendigkeit", citizen, noStore(s.html(s.whyAuthority))},
		{"GET /{tenant}/antrag/{token}", citizen, draft(s.unsent(s.resume))},
		{"GET /{tenant}/antrag/{token}/{$}", citizen, draft(s.unsent(s.resume))}, // the resume link, copied with a trailing slash
		{"GET /{tenant}/antrag/{token}/schritt/{n}", citizen, draft(s.unsent(s.showStep))},
		{"POST /{tenant}/antrag/{token}/schritt/{n}", citizen, s.uploads(false, draft(s.unsent(s.postStep)))}, // body limited while reading
		{"GET /{tenant}/antrag/{token}/fortsetzen", citizen, draft(s.resumePage)},
		{"GET /{tenant}/antrag/{token}/pruefen", citizen, draft(s.unsent(s.summary))},
		{"POST /{tenant}/antrag/{token}/absenden", citizen, form(draft(s.unsent(s.submit)))},
		{"GET /{tenant}/antrag/{token}/bestaetigung", citizen, draft(s.confirmation)},
		{"GET /{tenant}/antrag/{token}/antrag.pdf", citizen, draft(s.citizenPDF)},
		{"GET /{tenant}/antrag/{token}/angaben", citizen, draft(s.sentAnswers)},
		{"GET /{tenant}/antrag/{token}/zustaendigkeit", citizen, draft(s.draftWhyAuthority)},
		// Paying the fee of a sent application (payment.go).
		{"GET /{tenant}/antrag/{token}/zahlung", citizen, draft(s.paymentPage)},
		{"POST /{tenant}/antrag/{token}/zahlung", citizen, form(draft(s.payAgain))},
		{"GET /{tenant}/antrag/{token}/zahlung/rueckkehr", citizen, draft(s.paymentReturn)},
		{"POST /{tenant}/antrag/{token}/zahlung/ohne", citizen, form(draft(s.waivePayment))},
		// Citizen login (citizen_login.go).
		{"GET /{tenant}/anmelden", citizen, noStore(s.html(s.citizenLoginPage))},
		{"POST /{tenant}/anmelden/{idp}", citizen, form(noStore(s.html(s.startCitizenLogin)))},
		{"POST /{tenant}/abmelden", citizen, form(noStore(s.html(s.citizenLogout)))},
		{"GET /{tenant}/mein-konto", citizen, noStore(s.html(s.citizenArea))},
		{"GET /{tenant}/saml/{idp}/metadata", citizen, s.html(s.samlMetadata)},
		{"POST /{tenant}/saml/{idp}/acs", citizen, samlPost(noStore(s.html(s.citizenACS)))},
		{"POST /{tenant}/saml/{idp}/slo", citizen, samlPost(noStore(s.html(s.citizenSLO)))},

		// The caseworker area: login, then the inbox.
		{"GET /intern/anmelden", public, noStore(s.html(s.loginPage))},
		{"POST /intern/anmelden", public, form(noStore(s.html(s.login)))},
		{"POST /intern/anmelden/code", public, form(noStore(s.html(s.loginCode)))},
		{"GET /intern/anmelden/oidc/{tenant}", public, noStore(s.html(s.staffOIDCStart))},
		{"GET /intern/anmelden/oidc/{tenant}/rueckkehr", public, noStore(s.html(s.staffOIDCCallback))},
		{"POST /intern/abmelden", public, noStore(s.html(s.logout))},
		{"GET /intern/{$}", staff, staffOnly(s.inbox)},
		{"POST /intern/sitzung", staff, form(staffOnly(s.extendSession))},
		{"GET /intern/antraege/{id}", staff, staffOnly(s.inboxSubmission)},
		{"GET /intern/antraege/{id}/antrag.pdf", staff, staffOnly(s.inboxPDF)},
		{"GET /intern/antraege/{id}/daten.json", staff, staffOnly(s.inboxJSON)},
		{"GET /intern/antraege/{id}/anhaenge/{att}", staff, staffOnly(s.inboxAttachment)},
		{"POST /intern/antraege/{id}/status", staff, form(staffOnly(s.setStatus))},
		{"POST /intern/antraege/{id}/zustellungen/{delivery}", staff, form(staffOnly(s.redeliver))},
		{"POST /intern/antraege/{id}/zahlung", staff, form(staffOnly(s.checkPayment))},
		// Administration of a tenant (admin*.go).
		{"GET /intern/uebersicht", admin, adminOnly(s.overviewPage)}, // figures of the tenant (overview.go)
		{"GET /intern/benutzer", admin, adminOnly(s.staffUsers)},
		{"GET /intern/admin", admin, adminOnly(s.adminOverview)},
		{"GET /intern/admin/dienste", admin, adminOnly(s.adminServices)},
		{"GET /intern/admin/dienste/{id}/import", admin, adminOnly(s.adminImportForm)},
		{"POST /intern/admin/dienste/{id}/import", admin, limitBody(maxXDFBytes+64<<10, adminOnly(s.adminImportUpload))},
		{"GET /intern/admin/dienste/{id}/import/{import}", admin, adminOnly(s.adminImportPreview)},
		{"POST /intern/admin/dienste/{id}/import/{import}", admin, form(adminOnly(s.adminPublish))},
		{"GET /intern/admin/dienste/{id}/ziele", admin, adminOnly(s.adminTargets)},
		{"POST /intern/admin/dienste/{id}/ziele/{target}/test", admin, form(adminOnly(s.adminCheckTarget))},
		{"GET /intern/admin/protokoll", admin, adminOnly(s.adminAudit)},
		// The tenant's own configuration, every change audited (admin_form.go).
		{"GET /intern/admin/mandant", admin, adminOnly(s.adminTenant)},
		{"POST /intern/admin/mandant", admin, form(adminOnly(s.saveTenant))},
		{"GET /intern/admin/behoerden", admin, adminOnly(s.adminAuthorities)},
		{"GET /intern/admin/behoerden/neu", admin, adminOnly(s.newAuthorityPage)},
		{"POST /intern/admin/behoerden/neu", admin, form(adminOnly(s.createAuthority))},
		{"GET /intern/admin/behoerden/{id}", admin, adminOnly(s.editAuthorityPage)},
		{"POST /intern/admin/behoerden/{id}", admin, form(adminOnly(s.updateAuthority))},
		{"GET /intern/admin/behoerden/{id}/bezahldienst", admin, adminOnly(s.adminPaymentPage)},
		{"POST /intern/admin/behoerden/{id}/bezahldienst", admin, form(adminOnly(s.savePayment))},
		{"POST /intern/admin/behoerden/{id}/bezahldienst/test", admin, form(adminOnly(s.checkPaymentAccount))},
		{"GET /intern/admin/dienste/{id}/bearbeiten", admin, adminOnly(s.adminServicePage)},
		{"POST /intern/admin/dienste/{id}/bearbeiten", admin, form(adminOnly(s.saveService))},
		{"GET /intern/admin/zustaendigkeiten", admin, adminOnly(s.adminJurisdictions)},
		{"POST /intern/admin/zustaendigkeiten", admin, form(adminOnly(s.addJurisdiction))},
		{"GET /intern/admin/zustaendigkeiten/{id}/entfernen", admin, adminOnly(s.removeJurisdictionPage)},
		{"POST /intern/admin/zustaendigkeiten/{id}/entfernen", admin, form(adminOnly(s.removeJurisdiction))},

		// JSON API.
		{"GET /api/v1/openapi.json", api, http.HandlerFunc(s.openAPI)},
		{"GET /api/v1/services", api, s.api(s.apiServices)},
		{"GET /api/v1/forms/{formId}/schema", api, s.api(s.apiSchema)},
		{"GET /api/v1/forms/{formId}/routing", api, s.api(s.apiRoute)},
		{"POST /api/v1/forms/{formId}/submissions", api, limitBody(s.cfg.MaxAPIBytes, s.api(s.apiSubmit))},
		{"GET /api/v1/forms/{formId}/submissions/{id}", api, s.api(s.apiSubmissionStatus)},
		{"POST /api/v1/forms/{formId}/submissions/{id}/payment", api, limitBody(64<<10, s.api(s.apiPay))},
		{"POST /api/v1/forms/{formId}/attachments", api, s.uploads(true, limitBody(s.cfg.MaxUploadBytes, s.api(s.apiUpload)))},
	}
	for pattern, h := range s.deps.Handlers {
		table = append(table, route{pattern, extra, h})
	}
	return table
}

// routes builds the server's handler from the route table: three muxes
// and the middleware around them.
func (s *Server) routes() http.Handler {
	mux := http.NewServeMux()
	// The citizen's journey has a mux of its own, reached for every path
	// the fixed routes do not take, so that a tenant pattern never
	// competes with /static/ or /intern/.
	t := http.NewServeMux()
	// The JSON API has a mux of its own: what it does not route is a
	// problem (apiUnrouted), never the HTML 404 page.
	apiMux := http.NewServeMux()
	for _, rt := range s.routeTable() {
		switch path := routePath(rt.pattern); {
		case rt.audience == extra: // as given, next to the API's mux
			mux.Handle(rt.pattern, rt.handler)
		case strings.HasPrefix(path, "/{tenant}/"):
			t.Handle(rt.pattern, rt.handler)
		case strings.HasPrefix(path, "/api/v1/"):
			apiMux.Handle(rt.pattern, rt.handler)
		default:
			mux.Handle(rt.pattern, rt.handler)
		}
	}
	t.Handle("/", s.html(func(w http.ResponseWriter, r *http.Request) error { return apperr.NotFound }))
	mux.Handle("/", s.citizenSession(t))
	mux.Handle("/api/", apiUnrouted(apiMux))

	h := reportRoute(mux)
	cop := http.NewCrossOriginProtection()
	// The identity provider posts its answers from its own site; they are
	// signed and, for logins, bound to the browser by the login cookie.
	cop.AddInsecureBypassPattern("POST /{tenant}/saml/{idp}/acs")
	cop.AddInsecureBypassPattern("POST /{tenant}/saml/{idp}/slo")
	cop.SetDenyHandler(s.crossOriginDenied())
	h = cop.Handler(h)
	s.deps.Sessions.ErrorFunc = s.sessionError
	h = s.deps.Sessions.LoadAndSave(h)
	return s.pacedBodies(secure(strings.HasPrefix(s.cfg.BaseURL, "https://"), s.recoverPanics(s.logRequests(s.observeRequests(h)))))
}

// routePath is the path of a ServeMux pattern ("GET /a/{b}" → "/a/{b}").
func routePath(pattern string) string {
	_, path, ok := strings.Cut(pattern, " ")
	if !ok {
		return pattern
	}
	return strings.TrimLeft(path, " ")
}

func (s *Server) healthz(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	_, _ = w.Write([]byte("ok\n"))
}

func (s *Server) readyz(w http.ResponseWriter, r *http.Request) {
	if s.deps.Ready != nil {
		if err := s.deps.Ready(r.Context()); err != nil {
			s.deps.Logger.Warn("not ready", "error", err.Error())
			http.Error(w, "nicht bereit", http.StatusServiceUnavailable)
			return
		}
	}
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	_, _ = w.Write([]byte("bereit\n"))
}
