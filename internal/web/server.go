// Package web is antrag's HTTP adapter: the citizen's journey through an
// online service (server-rendered HTML with KERN UX, working without
// JavaScript), the caseworker inbox at /intern, and the JSON API at
// /api/v1. All routes are listed in routes.go.
package web

import (
	"context"
	"crypto/rand"
	"fmt"
	"html/template"
	"log/slog"
	"net/http"
	"net/netip"
	"strings"
	"sync/atomic"
	"time"

	"github.com/alexedwards/scs/v2"

	"github.com/antrag/antrag/internal/account"
	"github.com/antrag/antrag/internal/apperr"
	"github.com/antrag/antrag/internal/blob"
	"github.com/antrag/antrag/internal/delivery"
	"github.com/antrag/antrag/internal/delivery/webhook"
	"github.com/antrag/antrag/internal/fim"
	"github.com/antrag/antrag/internal/form"
	"github.com/antrag/antrag/internal/identity"
	"github.com/antrag/antrag/internal/identity/oidc"
	"github.com/antrag/antrag/internal/identity/saml"
	"github.com/antrag/antrag/internal/journey"
	"github.com/antrag/antrag/internal/overview"
	"github.com/antrag/antrag/internal/payment"
	"github.com/antrag/antrag/internal/sealed"
	"github.com/antrag/antrag/internal/submission"
	"github.com/antrag/antrag/internal/tenant"
)

// Config holds the web layer's settings.
type Config struct {
	// BaseURL is the public URL of the installation, e.g.
	// "https://antrag.example.de"; it makes cookies Secure when https.
	BaseURL string
	// DraftTTL is how long a draft is kept after its last change.
	DraftTTL time.Duration
	// MaxFormBytes limits the non-file part of a form post.
	MaxFormBytes int64
	// MaxUploadBytes limits all files of one post together.
	MaxUploadBytes int64
	// MaxAPIBytes limits a JSON API request body.
	MaxAPIBytes int64
	// TrustedProxies are the reverse proxies whose X-Forwarded-For names
	// the client (for the login throttle).
	TrustedProxies []netip.Prefix
	// Years is the span a date's year must fall in, in the HTML journey
	// and the API alike; zero is form.DefaultYearRange (1800–2200).
	Years form.YearRange
	// RequireTOTP refuses the password login of local accounts without a
	// TOTP second factor (staff_login.go).
	RequireTOTP bool
	// StaffOIDC are the tenants' own identity providers for staff login
	// (staff_oidc.go), at most one per tenant.
	StaffOIDC []*StaffOIDC
	// CitizenOIDC are the OpenID provider profiles citizens and
	// businesses log in with (citizen_oidc.go), beside the SAML profiles
	// of Deps.Identity; both keep the login in Deps.Citizens.
	CitizenOIDC []*oidc.Profile

	// BodyMinRate is the pace in bytes a second a request body must keep
	// on average once BodyGrace has passed (default 8 KiB/s); a body that
	// falls behind, or pauses longer than BodyIdleTimeout (default 30 s),
	// is cut with 408. Default BodyGrace: 10 s.
	BodyMinRate     int64
	BodyGrace       time.Duration
	BodyIdleTimeout time.Duration
	// UploadTimeout is the longest an upload's body (a form post with
	// files, any API request) may take (default 1 h); FormTimeout that of
	// a form post without files (default 2 min).
	UploadTimeout, FormTimeout time.Duration
	// MaxUploads is how many uploads one process receives at once
	// (default 128), MaxUploadsPerClient how many of them from one client
	// address (default 16: several citizens may share an address behind
	// NAT); beyond them it answers 503 and 429.
	MaxUploads, MaxUploadsPerClient int
}

func (c *Config) defaults() {
	if c.DraftTTL <= 0 {
		c.DraftTTL = 30 * 24 * time.Hour
	}
	if c.MaxFormBytes <= 0 {
		c.MaxFormBytes = 1 << 20
	}
	if c.MaxUploadBytes <= 0 {
		c.MaxUploadBytes = 64 << 20
	}
	if c.MaxAPIBytes <= 0 {
		c.MaxAPIBytes = 16 << 20
	}
	if c.BodyMinRate <= 0 {
		c.BodyMinRate = 8 << 10
	}
	if c.BodyGrace <= 0 {
		c.BodyGrace = 10 * time.Second
	}
	if c.BodyIdleTimeout <= 0 {
		c.BodyIdleTimeout = 30 * time.Second
	}
	if c.UploadTimeout <= 0 {
		c.UploadTimeout = time.Hour
	}
	if c.FormTimeout <= 0 {
		c.FormTimeout = 2 * time.Minute
	}
	if c.MaxUploads <= 0 {
		c.MaxUploads = 128
	}
	if c.MaxUploadsPerClient <= 0 {
		c.MaxUploadsPerClient = 16
	}
}

// Store is everything the web layer reads and writes.
type Store interface {
	tenant.Store
	tenant.RouteStore
	submission.Store
	account.Store
	account.AccessStore
	delivery.Store
	adminStore     // the admin pages (admin_form.go)
	paymentStore   // fees and payments (payment.go)
	overview.Store // the tenant's overview (overview.go)
	PaymentAccount(ctx context.Context, tenantID, authorityID string) (*payment.Account, error)
	// The citizen's own area (citizen_identity.go).
	OwnerDrafts(ctx context.Context, tenantID, owner string, now time.Time, limit int) ([]*submission.Draft, error)
	OwnerSubmissions(ctx context.Context, tenantID, owner string, limit int) ([]*submission.Submission, error)
}

// Deps are the server's collaborators.
type Deps struct {
	Store Store
	// RequestScope, if set, prepares the context of each request: the
	// store's per-request lookups (store.WithLookups).
	RequestScope func(context.Context) context.Context
	Blobs        blob.Store
	// Forms are the process's prepared form versions; nil: made from
	// Store and Catalog.
	Forms    *journey.Forms
	Catalog  *fim.Catalog // resolves code lists of stored forms (without Forms); nil: default
	Sessions *scs.SessionManager
	Logger   *slog.Logger
	Now      func() time.Time // nil: time.Now
	// Ready reports whether the server can take requests (for /readyz).
	Ready func(ctx context.Context) error
	// Logins checks caseworker logins; nil: one on Store with default
	// settings and keys from a random key (throttle buckets and known
	// devices then last only as long as the process).
	Logins *account.Logins
	// HTTPClient reaches identity providers; nil: a client with a 10 s
	// timeout.
	HTTPClient *http.Client
	// Routes asks the FIT-Connect Routing API for the destination of a
	// place, for services delivered via FIT-Connect routing; nil: such
	// services route only by their jurisdictions.
	Routes tenant.RouteFinder
	// Payments takes fees online (payment.Collector); nil: services whose
	// fee is paid online cannot be applied for (the summary says so).
	Payments *payment.Collector
	// Handlers are further routes by http.ServeMux pattern, e.g. the
	// FIT-Connect callback endpoint and the demo's FIT-Connect test
	// double. Their paths must lie under /api/.
	Handlers map[string]http.Handler

	// Identity is the SAML service provider for citizen login; nil: no
	// citizen login.
	Identity *saml.ServiceProvider
	// Citizens is the citizen session manager (cookie for all paths,
	// separate from the staff session); nil: one in memory.
	Citizens *scs.SessionManager
	// Box seals the identity in the citizen session and the pending
	// login cookie; nil: a key of this process only.
	Box *sealed.Box
	// Checkers test the connection to delivery targets by kind for the
	// admin's "Verbindung testen" (admin_targets.go); nil: webhooks only
	// (webhook.Sender with its defaults).
	Checkers map[delivery.Kind]delivery.Checker
	// Requests is told of each request's route pattern, status and
	// duration (operator metrics); nil: none.
	Requests RequestObserver
	// Submissions is told of each application the journey and the API
	// store (submission.Intake.Observer); nil: none.
	Submissions submission.Observer
	// OwnerKeys mark the drafts and submissions of logged-in citizens
	// (identity.DeriveOwnerKeys from the data key); nil: derived from a
	// key of this process only, so that the citizen's area forgets them
	// on restart.
	OwnerKeys *identity.OwnerKeys
}

// Server serves antrag over HTTP.
type Server struct {
	evals   evaluations // the rules' evaluations of recent drafts (evaluations.go)
	cfg     Config
	deps    Deps
	tmpl    map[string]*template.Template
	logins  *account.Logins
	intake  *submission.Intake
	gate    *uploadGate
	handler http.Handler
	// citizenOIDC runs citizen logins; nil without CitizenOIDC profiles.
	citizenOIDC *oidc.Flow
	// receiptRenders counts the receipt PDFs rendered (the others were
	// read from storage); for tests.
	receiptRenders atomic.Int64
}

// New builds the server: it parses and checks all templates, so that a
// broken template fails at start-up, not on a citizen's request.
func New(cfg Config, deps Deps) (*Server, error) {
	cfg.defaults()
	if deps.Logger == nil {
		deps.Logger = slog.Default()
	}
	if deps.Now == nil {
		deps.Now = time.Now
	}
	if deps.Forms == nil {
		deps.Forms = &journey.Forms{Store: deps.Store, Catalog: deps.Catalog}
	}
	if deps.Sessions == nil {
		deps.Sessions = scs.New()
	}
	if deps.Logins == nil {
		deps.Logins = newLogins(deps.Store, deps.Logger)
	}
	if deps.Citizens == nil {
		deps.Citizens = NewCitizenSessions(nil, strings.HasPrefix(cfg.BaseURL, "https://"))
	}
	if deps.Box == nil {
		key := make([]byte, 32)
		if _, err := rand.Read(key); err != nil {
			return nil, err
		}
		box, err := sealed.New(key)
		if err != nil {
			return nil, err
		}
		deps.Box = box
	}
	if deps.Checkers == nil {
		deps.Checkers = map[delivery.Kind]delivery.Checker{delivery.Webhook: &webhook.Sender{}}
	}
	if deps.OwnerKeys == nil {
		key := make([]byte, 32)
		if _, err := rand.Read(key); err != nil {
			return nil, err
		}
		ok, err := identity.DeriveOwnerKeys(key)
		if err != nil {
			return nil, err
		}
		deps.OwnerKeys = ok
	}
	s := &Server{cfg: cfg, deps: deps, logins: deps.Logins,
		intake: &submission.Intake{Store: deps.Store, Files: deps.Blobs, Logger: deps.Logger, Observer: deps.Submissions},
		gate:   &uploadGate{max: cfg.MaxUploads, perClient: cfg.MaxUploadsPerClient, clients: map[string]int{}}}
	t, err := parseTemplates()
	if err != nil {
		return nil, err
	}
	s.tmpl = t
	if err := s.initStaffOIDC(); err != nil {
		return nil, err
	}
	if err := s.initCitizenOIDC(); err != nil {
		return nil, err
	}
	s.handler = s.routes()
	return s, nil
}

// NewCitizenSessions returns the citizen session manager: cookie
// "antrag_sitzung" for all paths, HttpOnly, SameSite Lax, Secure when
// secure; 8 hours at most, 1 hour idle. store nil: in memory.
func NewCitizenSessions(store scs.Store, secure bool) *scs.SessionManager {
	sm := scs.New()
	if store != nil {
		sm.Store = store
	}
	sm.Lifetime = 8 * time.Hour
	sm.IdleTimeout = time.Hour
	sm.Cookie.Name = "antrag_sitzung"
	sm.Cookie.Path = "/"
	sm.Cookie.HttpOnly = true
	sm.Cookie.SameSite = http.SameSiteLaxMode
	sm.Cookie.Secure = secure
	return sm
}

// ServeHTTP implements http.Handler.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if s.deps.RequestScope != nil {
		r = r.WithContext(s.deps.RequestScope(r.Context()))
	}
	s.handler.ServeHTTP(w, r)
}

func (s *Server) now() time.Time { return s.deps.Now() }

// form returns the prepared form of a version of service svc (which the
// caller has loaded for its tenant); a version of another service is
// apperr.NotFound.
func (s *Server) form(ctx context.Context, tenantID string, svc *tenant.Service, versionID string) (*journey.Form, *tenant.FormVersion, error) {
	p, err := s.deps.Forms.Get(ctx, tenantID, versionID)
	if err != nil {
		return nil, nil, err
	}
	if p.Version.ServiceID != svc.ID {
		return nil, nil, fmt.Errorf("Formularversion %s gehört nicht zu %s: %w", versionID, svc.ID, apperr.NotFound)
	}
	return p.Form, p.Version, nil
}
