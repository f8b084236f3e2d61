package web

import (
	"net/http"
	"strings"

	"github.com/antrag/antrag/internal/apperr"
	"github.com/antrag/antrag/internal/identity/saml"
	"github.com/antrag/antrag/internal/tenant"
	"github.com/antrag/antrag/internal/web/static"
)

// routes lists every route of the server.
//
// Tenants are addressed by the first path segment (/musterstadt/…); that
// segment can never be one of the fixed names below (tenant slugs are
// checked against tenant.ReservedSlugs, which must list them).
func (s *Server) routes() http.Handler {
	mux := http.NewServeMux()
	mux.Handle("/static/", static.Handler())
	// Addresses browsers and crawlers ask for by themselves; without a
	// route of their own a tenant pattern would redirect them to "…/".
	mux.Handle("GET /favicon.ico", static.FileHandler("app/favicon.ico"))
	mux.Handle("GET /robots.txt", s.html(func(w http.ResponseWriter, r *http.Request) error { return apperr.NotFound }))
	mux.HandleFunc("GET /healthz", s.healthz)
	mux.HandleFunc("GET /readyz", s.readyz)

	// Portal and the installation's own pages.
	mux.Handle("GET /{$}", s.html(s.portal))
	mux.Handle("GET /datenschutz", s.html(s.infoPage(tenant.Datenschutz)))
	mux.Handle("GET /barrierefreiheit", s.html(s.infoPage(tenant.Barrierefreiheit)))
	mux.Handle("GET /impressum", s.html(s.infoPage(tenant.Impressum)))

	// The citizen's journey, under /{tenant}/. It has a mux of its own,
	// reached for every path the fixed routes here do not take, so that a
	// tenant pattern never competes with /static/ or /intern/.
	t := http.NewServeMux()
	t.Handle("GET /{tenant}/{$}", s.html(s.catalogue))
	// A tenant's and an authority's operator pages (info.go).
	t.Handle("GET /{tenant}/farben.css", s.html(s.tenantColours)) // the tenant's colour (branding.go)
	t.Handle("GET /{tenant}/datenschutz", s.html(s.operatorPage(tenant.Datenschutz)))
	t.Handle("GET /{tenant}/barrierefreiheit", s.html(s.operatorPage(tenant.Barrierefreiheit)))
	t.Handle("GET /{tenant}/impressum", s.html(s.operatorPage(tenant.Impressum)))
	t.Handle("GET /{tenant}/behoerden/{authority}/datenschutz", s.html(s.operatorPage(tenant.Datenschutz)))
	t.Handle("GET /{tenant}/behoerden/{authority}/barrierefreiheit", s.html(s.operatorPage(tenant.Barrierefreiheit)))
	t.Handle("GET /{tenant}/behoerden/{authority}/impressum", s.html(s.operatorPage(tenant.Impressum)))
	t.Handle("GET /{tenant}/anmelden/{provider}", noStore(s.html(s.citizenOIDCStart)))
	t.Handle("GET /{tenant}/anmelden/{provider}/rueckkehr", noStore(s.html(s.citizenOIDCCallback)))
	t.Handle("GET /{tenant}/dienste/{service}", s.html(s.startPage))
	t.Handle("POST /{tenant}/dienste/{service}", limitBody(s.cfg.MaxFormBytes, s.html(s.startDraft)))
	// Routing to the responsible authority (routing.go).
	t.Handle("POST /{tenant}/dienste/{service}/zustaendigkeit", limitBody(s.cfg.MaxFormBytes, noStore(s.html(s.findAuthority))))
	t.Handle("GET /{tenant}/dienste/{service}/zustaendigkeit", noStore(s.html(s.whyAuthority)))
	draft := func(h handlerFunc) http.Handler { return noStore(s.html(h)) }
	t.Handle("GET /{tenant}/antrag/{token}", draft(s.unsent(s.resume)))
	t.Handle("GET /{tenant}/antrag/{token}/{$}", draft(s.unsent(s.resume))) // the resume link, copied with a trailing slash
	t.Handle("GET /{tenant}/antrag/{token}/schritt/{n}", draft(s.unsent(s.showStep)))
	t.Handle("POST /{tenant}/antrag/{token}/schritt/{n}", s.uploads(false, draft(s.unsent(s.postStep)))) // body limited while reading
	t.Handle("GET /{tenant}/antrag/{token}/fortsetzen", draft(s.resumePage))
	t.Handle("GET /{tenant}/antrag/{token}/pruefen", draft(s.unsent(s.summary)))
	t.Handle("POST /{tenant}/antrag/{token}/absenden", limitBody(s.cfg.MaxFormBytes, draft(s.unsent(s.submit))))
	t.Handle("GET /{tenant}/antrag/{token}/bestaetigung", draft(s.confirmation))
	t.Handle("GET /{tenant}/antrag/{token}/antrag.pdf", draft(s.citizenPDF))
	t.Handle("GET /{tenant}/antrag/{token}/angaben", draft(s.sentAnswers))
	t.Handle("GET /{tenant}/antrag/{token}/zustaendigkeit", draft(s.draftWhyAuthority))
	// Citizen login (citizen_login.go).
	t.Handle("GET /{tenant}/anmelden", noStore(s.html(s.citizenLoginPage)))
	t.Handle("POST /{tenant}/anmelden/{idp}", limitBody(s.cfg.MaxFormBytes, noStore(s.html(s.startCitizenLogin))))
	t.Handle("POST /{tenant}/abmelden", limitBody(s.cfg.MaxFormBytes, noStore(s.html(s.citizenLogout))))
	t.Handle("GET /{tenant}/mein-konto", noStore(s.html(s.citizenArea)))
	t.Handle("GET /{tenant}/saml/{idp}/metadata", s.html(s.samlMetadata))
	t.Handle("POST /{tenant}/saml/{idp}/acs", limitBody(saml.DefaultMaxMessageBytes*2, noStore(s.html(s.citizenACS))))
	t.Handle("POST /{tenant}/saml/{idp}/slo", limitBody(saml.DefaultMaxMessageBytes*2, noStore(s.html(s.citizenSLO))))
	t.Handle("/", s.html(func(w http.ResponseWriter, r *http.Request) error { return apperr.NotFound }))
	mux.Handle("/", s.citizenSession(t))

	// The caseworker inbox.
	staff := func(h handlerFunc) http.Handler { return noStore(s.html(s.requireStaff(h))) }
	mux.Handle("GET /intern/anmelden", noStore(s.html(s.loginPage)))
	mux.Handle("POST /intern/anmelden", limitBody(s.cfg.MaxFormBytes, noStore(s.html(s.login))))
	mux.Handle("POST /intern/anmelden/code", limitBody(s.cfg.MaxFormBytes, noStore(s.html(s.loginCode))))
	mux.Handle("GET /intern/anmelden/oidc/{tenant}", noStore(s.html(s.staffOIDCStart)))
	mux.Handle("GET /intern/anmelden/oidc/{tenant}/rueckkehr", noStore(s.html(s.staffOIDCCallback)))
	mux.Handle("POST /intern/abmelden", noStore(s.html(s.logout)))
	mux.Handle("GET /intern/{$}", staff(s.inbox))
	mux.Handle("POST /intern/sitzung", limitBody(s.cfg.MaxFormBytes, staff(s.extendSession)))
	mux.Handle("GET /intern/antraege/{id}", staff(s.inboxSubmission))
	mux.Handle("GET /intern/antraege/{id}/antrag.pdf", staff(s.inboxPDF))
	mux.Handle("GET /intern/antraege/{id}/daten.json", staff(s.inboxJSON))
	mux.Handle("GET /intern/antraege/{id}/anhaenge/{att}", staff(s.inboxAttachment))
	mux.Handle("POST /intern/antraege/{id}/status", limitBody(s.cfg.MaxFormBytes, staff(s.setStatus)))
	mux.Handle("POST /intern/antraege/{id}/zustellungen/{delivery}", limitBody(s.cfg.MaxFormBytes, staff(s.redeliver)))
	mux.Handle("GET /intern/benutzer", staff(s.requireAdmin(s.staffUsers)))
	// The tenant admins' pages (admin*.go).
	admin := func(h handlerFunc) http.Handler { return staff(s.requireAdmin(h)) }
	mux.Handle("GET /intern/admin", admin(s.adminOverview))
	mux.Handle("GET /intern/admin/dienste", admin(s.adminServices))
	mux.Handle("GET /intern/admin/dienste/{id}/import", admin(s.adminImportForm))
	mux.Handle("POST /intern/admin/dienste/{id}/import", limitBody(maxXDFBytes+64<<10, admin(s.adminImportUpload)))
	mux.Handle("GET /intern/admin/dienste/{id}/import/{import}", admin(s.adminImportPreview))
	mux.Handle("POST /intern/admin/dienste/{id}/import/{import}", limitBody(s.cfg.MaxFormBytes, admin(s.adminPublish)))
	mux.Handle("GET /intern/admin/dienste/{id}/ziele", admin(s.adminTargets))
	mux.Handle("POST /intern/admin/dienste/{id}/ziele/{target}/test", limitBody(s.cfg.MaxFormBytes, admin(s.adminCheckTarget)))
	mux.Handle("GET /intern/admin/protokoll", admin(s.adminAudit))
	// The tenant's own configuration, every change audited (admin_form.go).
	adminPost := func(h handlerFunc) http.Handler { return limitBody(s.cfg.MaxFormBytes, admin(h)) }
	mux.Handle("GET /intern/admin/mandant", admin(s.adminTenant))
	mux.Handle("POST /intern/admin/mandant", adminPost(s.saveTenant))
	mux.Handle("GET /intern/admin/behoerden", admin(s.adminAuthorities))
	mux.Handle("GET /intern/admin/behoerden/neu", admin(s.newAuthorityPage))
	mux.Handle("POST /intern/admin/behoerden/neu", adminPost(s.createAuthority))
	mux.Handle("GET /intern/admin/behoerden/{id}", admin(s.editAuthorityPage))
	mux.Handle("POST /intern/admin/behoerden/{id}", adminPost(s.updateAuthority))
	mux.Handle("GET /intern/admin/dienste/{id}/bearbeiten", admin(s.adminServicePage))
	mux.Handle("POST /intern/admin/dienste/{id}/bearbeiten", adminPost(s.saveService))
	mux.Handle("GET /intern/admin/zustaendigkeiten", admin(s.adminJurisdictions))
	mux.Handle("POST /intern/admin/zustaendigkeiten", adminPost(s.addJurisdiction))
	mux.Handle("GET /intern/admin/zustaendigkeiten/{id}/entfernen", admin(s.removeJurisdictionPage))
	mux.Handle("POST /intern/admin/zustaendigkeiten/{id}/entfernen", adminPost(s.removeJurisdiction))

	// JSON API, with a mux of its own: what it does not route is a
	// problem (apiUnrouted), never the HTML 404 page.
	api := http.NewServeMux()
	api.HandleFunc("GET /api/v1/openapi.json", s.openAPI)
	api.Handle("GET /api/v1/services", s.api(s.apiServices))
	api.Handle("GET /api/v1/forms/{formId}/schema", s.api(s.apiSchema))
	api.Handle("GET /api/v1/forms/{formId}/routing", s.api(s.apiRoute))
	api.Handle("POST /api/v1/forms/{formId}/submissions", limitBody(s.cfg.MaxAPIBytes, s.api(s.apiSubmit)))
	api.Handle("GET /api/v1/forms/{formId}/submissions/{id}", s.api(s.apiSubmissionStatus))
	api.Handle("POST /api/v1/forms/{formId}/attachments", s.uploads(true, limitBody(s.cfg.MaxUploadBytes, s.api(s.apiUpload))))
	mux.Handle("/api/", apiUnrouted(api))
	for pattern, h := range s.deps.Handlers {
		mux.Handle(pattern, h)
	}

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
	return s.pacedBodies(secure(strings.HasPrefix(s.cfg.BaseURL, "https://"), s.recoverPanics(s.logRequests(h))))
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
