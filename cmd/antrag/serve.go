package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/netip"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/alexedwards/scs/v2"

	"github.com/antrag/antrag/internal/account"
	"github.com/antrag/antrag/internal/blob"
	"github.com/antrag/antrag/internal/blob/s3"
	"github.com/antrag/antrag/internal/delivery"
	"github.com/antrag/antrag/internal/demo"
	"github.com/antrag/antrag/internal/fim"
	"github.com/antrag/antrag/internal/fitconnect"
	"github.com/antrag/antrag/internal/form"
	"github.com/antrag/antrag/internal/identity"
	"github.com/antrag/antrag/internal/journey"
	"github.com/antrag/antrag/internal/metrics"
	"github.com/antrag/antrag/internal/payment"
	"github.com/antrag/antrag/internal/sealed"
	"github.com/antrag/antrag/internal/store"
	"github.com/antrag/antrag/internal/submission"
	"github.com/antrag/antrag/internal/tenant"
	"github.com/antrag/antrag/internal/web"
)

// serveConfig is the configuration of `antrag serve`, from flags and
// ANTRAG_* environment variables (flags win).
type serveConfig struct {
	addr        string
	dataDir     string
	db          string
	baseURL     string
	demo        bool
	draftTTL    time.Duration
	retention   time.Duration
	codelists   string
	years       form.YearRange // the span a date's year must fall in
	dataKey     string
	logLevel    string
	tracing     traceConfig // OpenTelemetry traces (tracing.go)
	janitorTick time.Duration
	// trustedProxies may name the client in X-Forwarded-For.
	trustedProxies []netip.Prefix
	delivery       deliveryConfig
	noMigrate      bool           // refuse a database with pending migrations instead of migrating
	configRecheck  time.Duration  // store.Options.ConfigRecheck
	loginHashes    int            // password checks at once; 0: account.DefaultMaxHashing
	metricsAddr    string         // internal address of GET /metrics and /debug/pprof/; "": none
	s3             *s3.Config     // attachments in S3 instead of <data>/anhaenge; nil: directory
	identity       identityConfig // OIDC and TOTP (identity.go)
	saml           samlConfig     // citizen login over SAML (saml.go)
	limits         requestLimits
	payment        paymentConfig // ePayment (payment.go)
}

func parseServe(args []string, getenv func(string) string, stdout, stderr io.Writer) (*serveConfig, error) {
	env := func(k, def string) string {
		if v := getenv(k); v != "" {
			return v
		}
		return def
	}
	dur := func(k string, def time.Duration) (time.Duration, error) {
		v := getenv(k)
		if v == "" {
			return def, nil
		}
		d, err := parseDuration(v)
		if err != nil {
			return 0, usageError{fmt.Sprintf("%s=%q: %v", k, v, err)}
		}
		return d, nil
	}
	c := &serveConfig{}
	var err error
	if c.draftTTL, err = dur("ANTRAG_DRAFT_TTL", 30*24*time.Hour); err != nil {
		return nil, err
	}
	if c.retention, err = dur("ANTRAG_RETENTION", 365*24*time.Hour); err != nil {
		return nil, err
	}
	fs := flag.NewFlagSet("antrag serve", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.StringVar(&c.addr, "addr", env("ANTRAG_ADDR", ":8080"), "Adresse, auf der der Server lauscht")
	fs.StringVar(&c.dataDir, "data", env("ANTRAG_DATA", "./antrag-data"), "Datenverzeichnis (Datenbank, Anhänge, Schlüssel)")
	fs.StringVar(&c.db, "db", env("ANTRAG_DB", ""), "Datenbank: sqlite:PFAD oder postgres://… (Standard: sqlite:<data>/antrag.db)")
	fs.StringVar(&c.baseURL, "base-url", env("ANTRAG_BASE_URL", ""), "öffentliche Adresse, z. B. https://antrag.example.de (Standard: http://localhost<addr>)")
	fs.BoolVar(&c.demo, "demo", env("ANTRAG_DEMO", "") == "1" || env("ANTRAG_DEMO", "") == "true", "beim ersten Start einen Demo-Katalog anlegen")
	fs.Func("draft-ttl", "Aufbewahrung nicht abgesendeter Entwürfe nach der letzten Änderung (z. B. 30d)", func(s string) error {
		d, err := parseDuration(s)
		c.draftTTL = d
		return err
	})
	fs.Func("retention", "Löschfrist abgeschlossener Anträge (z. B. 365d; 0 = nie)", func(s string) error {
		d, err := parseDuration(s)
		c.retention = d
		return err
	})
	c.years = form.DefaultYearRange
	if v := getenv("ANTRAG_DATE_YEARS"); v != "" {
		if c.years, err = form.ParseYearRange(v); err != nil {
			return nil, usageError{fmt.Sprintf("ANTRAG_DATE_YEARS=%q: %v", v, err)}
		}
	}
	fs.Func("date-years", "Jahre, in die ein Datum fallen muss, z. B. 1800-2200 (Standard)", func(s string) error {
		y, err := form.ParseYearRange(s)
		c.years = y
		return err
	})
	fs.StringVar(&c.codelists, "codelists", env("ANTRAG_CODELISTS", ""), "Verzeichnis mit zusätzlichen genericode-Codelisten")
	fs.StringVar(&c.logLevel, "log-level", env("ANTRAG_LOG_LEVEL", "info"), "debug, info, warn oder error")
	if err := tracingFlags(fs, &c.tracing, getenv); err != nil {
		return nil, err
	}
	d := &c.delivery
	if d.maxAge, err = dur("ANTRAG_DELIVERY_MAX_AGE", 7*24*time.Hour); err != nil {
		return nil, err
	}
	// Fine tuning, by environment only.
	for _, x := range []struct {
		key string
		v   *time.Duration
		def time.Duration
	}{
		{"ANTRAG_DELIVERY_FIRST_RETRY", &d.firstRetry, 10 * time.Second},
		{"ANTRAG_DELIVERY_MAX_RETRY", &d.maxRetry, time.Hour},
		{"ANTRAG_DELIVERY_TIMEOUT", &d.jobTimeout, 5 * time.Minute},
		{"ANTRAG_DELIVERY_LEASE", &d.lease, 20 * time.Second},
		{"ANTRAG_DELIVERY_CHECK", &d.poll, time.Second},
		{"ANTRAG_FITCONNECT_FOLLOW", &d.follow, time.Minute},
		{"ANTRAG_FITCONNECT_POLL", &d.fcPoll, 5 * time.Minute},
	} {
		if *x.v, err = dur(x.key, x.def); err != nil {
			return nil, err
		}
		if *x.v <= 0 {
			return nil, usageError{x.key + ": eine Dauer größer als 0"}
		}
	}
	d.followSet = getenv("ANTRAG_FITCONNECT_FOLLOW") != ""
	fs.Func("delivery-max-age", "so lange wird eine Zustellung wiederholt, dann gilt sie als fehlgeschlagen (Standard 7d)", func(s string) error {
		v, err := parseDuration(s)
		d.maxAge = v
		return err
	})
	fs.IntVar(&d.workers, "delivery-workers", 4, "gleichzeitige Zustellungen dieses Prozesses")
	for _, x := range []struct {
		flag, key string
		v         *int
		usage     string
	}{
		{"delivery-per-tenant", "ANTRAG_DELIVERY_PER_TENANT", &d.perTenant, "gleichzeitige Zustellungen eines Mandanten in diesem Prozess (Standard: die Hälfte von --delivery-workers)"},
		{"delivery-per-target", "ANTRAG_DELIVERY_PER_TARGET", &d.perTarget, "gleichzeitige Zustellungen an ein Ziel (Webhook-Host, FIT-Connect-Zustellpunkt) in diesem Prozess (Standard: die Hälfte von --delivery-workers)"},
	} {
		def := 0
		if v := getenv(x.key); v != "" {
			n, err := strconv.Atoi(v)
			if err != nil || n < 1 {
				return nil, usageError{fmt.Sprintf("%s=%q: eine ganze Zahl ab 1", x.key, v)}
			}
			def = n
		}
		fs.IntVar(x.v, x.flag, def, x.usage)
	}
	fs.StringVar(&d.fcTokenURL, "fitconnect-token-url", env("ANTRAG_FITCONNECT_TOKEN_URL", ""), "FIT-Connect: Token-Endpunkt (OAuth2), z. B. https://auth-testing.fit-connect.fitko.dev/token")
	fs.StringVar(&d.fcSubmissionAPI, "fitconnect-submission-api", env("ANTRAG_FITCONNECT_SUBMISSION_API", ""), "FIT-Connect: Basisadresse der Submission API (ohne /v1 bzw. /v2)")
	fs.StringVar(&d.fcDestinationAPI, "fitconnect-destination-api", env("ANTRAG_FITCONNECT_DESTINATION_API", ""), "FIT-Connect: Basisadresse der Destination API (v2; Standard: wie Submission API)")
	fs.StringVar(&d.fcVersion, "fitconnect-version", env("ANTRAG_FITCONNECT_VERSION", "v1"), "FIT-Connect: API-Version v1 oder v2")
	fs.StringVar(&d.fcTrustAnchors, "fitconnect-trust-anchors", env("ANTRAG_FITCONNECT_TRUST_ANCHORS", ""), "FIT-Connect: PEM-Datei mit den Vertrauensankern der Zustellpunkt-Zertifikate")
	fs.StringVar(&d.fcRoutingURL, "fitconnect-routing-url", env("ANTRAG_FITCONNECT_ROUTING_URL", ""), "FIT-Connect: Basisadresse der Routing-API, z. B. https://routing-api-testing.fit-connect.fitko.dev/v1 (Standard: keine)")
	fs.StringVar(&d.fcPortalJWKS, "fitconnect-portal-jwks", env("ANTRAG_FITCONNECT_PORTAL_JWKS", ""), "FIT-Connect: JWKS des Self-Service-Portals, das die Zustellpunkte der Routing-API signiert")
	if d.fcRoutingTTL, err = dur("ANTRAG_FITCONNECT_ROUTING_TTL", time.Hour); err != nil {
		return nil, err
	}
	fs.DurationVar(&d.fcRoutingTTL, "fitconnect-routing-ttl", d.fcRoutingTTL, "FIT-Connect: wie lange eine geprüfte Antwort der Routing-API gilt")
	fs.StringVar(&d.smtpAddr, "smtp-addr", env("ANTRAG_SMTP_ADDR", ""), "SMTP-Server für E-Mail-Hinweise (Host:Port)")
	fs.StringVar(&d.smtpFrom, "smtp-from", env("ANTRAG_SMTP_FROM", ""), "Absender der E-Mail-Hinweise")
	fs.StringVar(&d.smtpUser, "smtp-user", env("ANTRAG_SMTP_USER", ""), "SMTP-Benutzer (Passwort in ANTRAG_SMTP_PASSWORD)")
	fs.StringVar(&d.smtpTLS, "smtp-tls", env("ANTRAG_SMTP_TLS", "starttls"), "starttls, tls oder none (none nur für localhost)")
	if c.configRecheck, err = dur("ANTRAG_CONFIG_RECHECK", store.DefaultConfigRecheck); err != nil {
		return nil, err
	}
	fs.DurationVar(&c.configRecheck, "config-recheck", c.configRecheck, "wie lange ein Prozess Mandanten, Behörden, Dienste, Zuständigkeiten, Zustellziele und Gebühren aus seinem Speicher nimmt, bevor er in der Datenbank nach Änderungen anderer Prozesse sieht (0: bei jeder Anfrage)")
	fs.BoolVar(&c.noMigrate, "no-migrate", env("ANTRAG_NO_MIGRATE", "") == "1" || env("ANTRAG_NO_MIGRATE", "") == "true", "nicht migrieren: eine Datenbank mit ausstehenden Migrationen wird abgewiesen (antrag migrate up)")
	hashes, err := intEnv(getenv, "ANTRAG_LOGIN_HASHES")
	if err != nil {
		return nil, err
	}
	fs.IntVar(&c.loginHashes, "login-hashes", hashes, "gleichzeitige Passwortprüfungen bei der Anmeldung (je 19 MiB; Standard: Zahl der CPUs, 2 bis 4)")
	if err := paymentFlags(fs, &c.payment, getenv); err != nil {
		return nil, err
	}
	fs.StringVar(&c.metricsAddr, "metrics-addr", env("ANTRAG_METRICS_ADDR", ""), "interne Adresse für Betriebskennzahlen (GET /metrics) und Profiling (/debug/pprof/), z. B. 127.0.0.1:9090 (Standard: keine)")
	proxies := fs.String("trusted-proxies", env("ANTRAG_TRUSTED_PROXIES", ""), "Reverse-Proxys (IP-Adressen oder Netze, durch Komma getrennt), deren X-Forwarded-For gilt")
	if err := parseFlags(fs, args, stdout); err != nil {
		return nil, err
	}
	if fs.NArg() > 0 {
		return nil, usageError{fmt.Sprintf("antrag serve: unerwartetes Argument %q", fs.Arg(0))}
	}
	if c.trustedProxies, err = parsePrefixes(*proxies); err != nil {
		return nil, usageError{"--trusted-proxies: " + err.Error()}
	}
	c.dataKey = getenv("ANTRAG_DATA_KEY")
	if c.limits, err = parseRequestLimits(getenv); err != nil {
		return nil, err
	}
	if c.s3, err = s3Config(getenv); err != nil {
		return nil, err
	}
	if err := c.tracing.resolve(getenv); err != nil {
		return nil, err
	}
	d.smtpPassword = getenv("ANTRAG_SMTP_PASSWORD")
	if c.identity, err = parseIdentityConfig(getenv); err != nil {
		return nil, err
	}
	if d.fcVersion != "v1" && d.fcVersion != "v2" {
		return nil, usageError{fmt.Sprintf("--fitconnect-version %q: v1 oder v2", d.fcVersion)}
	}
	if d.workers < 1 {
		return nil, usageError{"--delivery-workers: mindestens 1"}
	}
	if c.loginHashes < 0 {
		return nil, usageError{"--login-hashes: mindestens 1 (0: Standard)"}
	}
	if c.configRecheck < 0 {
		return nil, usageError{"--config-recheck: eine Dauer ab 0 (0: bei jeder Anfrage)"}
	}
	if d.perTenant < 0 || d.perTarget < 0 {
		return nil, usageError{"--delivery-per-tenant, --delivery-per-target: mindestens 1"}
	}
	def := delivery.DefaultLimits(d.workers)
	if d.perTenant == 0 {
		d.perTenant = def.PerTenant
	}
	if d.perTarget == 0 {
		d.perTarget = min(def.PerTarget, d.perTenant)
	}
	c.janitorTick = time.Hour
	c.saml = samlFromEnv(getenv)
	if c.db == "" {
		c.db = "sqlite:" + filepath.Join(c.dataDir, "antrag.db")
	}
	// Refuse an unusable --db before anything is created in the data
	// directory (openBox writes the key file).
	if _, err := checkDB(c.db); err != nil {
		return nil, err
	}
	return c, nil
}

// parsePrefixes reads a comma-separated list of IP addresses and CIDR
// networks.
func parsePrefixes(s string) ([]netip.Prefix, error) {
	var out []netip.Prefix
	for _, f := range strings.Split(s, ",") {
		f = strings.TrimSpace(f)
		if f == "" {
			continue
		}
		if p, err := netip.ParsePrefix(f); err == nil {
			out = append(out, p.Masked())
			continue
		}
		a, err := netip.ParseAddr(f)
		if err != nil {
			return nil, fmt.Errorf("%q ist weder IP-Adresse noch Netz (z. B. 10.0.0.0/8)", f)
		}
		out = append(out, netip.PrefixFrom(a, a.BitLen()))
	}
	return out, nil
}

// defaultBaseURL is http://localhost:<port> of the listener's address.
func defaultBaseURL(addr net.Addr) string {
	host, port, _ := net.SplitHostPort(addr.String())
	if host == "" || host == "::" || host == "0.0.0.0" {
		host = "localhost"
	}
	return "http://" + net.JoinHostPort(host, port)
}

// parseDuration accepts Go durations and whole days ("30d").
func parseDuration(s string) (time.Duration, error) {
	if d, ok := strings.CutSuffix(s, "d"); ok {
		n, err := strconv.Atoi(d)
		if err != nil || n < 0 {
			return 0, fmt.Errorf("Dauer %q: ganze Tage erwartet, z. B. 30d", s)
		}
		return time.Duration(n) * 24 * time.Hour, nil
	}
	d, err := time.ParseDuration(s)
	if err != nil || d < 0 {
		return 0, fmt.Errorf("Dauer %q: z. B. 30d oder 12h", s)
	}
	return d, nil
}

// app is a running installation's parts.
type app struct {
	forms        *journey.Forms
	delivery     *deliveryParts
	db           *store.DB
	blobs        blob.Store
	sessions     *scs.SessionManager
	stopSessions func()
	server       *web.Server
	logger       *slog.Logger
	cfg          *serveConfig
	metrics      *metrics.Metrics // served on --metrics-addr
	payments     *payment.Collector
}

// openApp opens (and on first start creates) the data directory, database
// and blob store, seeds the demo if asked, and builds the web server.
// openBox returns the encryption box of the installation: from
// ANTRAG_DATA_KEY, else from the key file in the data directory, created on
// first start.
func openBox(c *serveConfig) (*sealed.Box, error) {
	key, err := loadDataKey(c)
	if err != nil {
		return nil, err
	}
	return sealed.New(key)
}

// loadDataKey returns the data key (see openBox).
func loadDataKey(c *serveConfig) ([]byte, error) {
	if err := os.MkdirAll(c.dataDir, 0o700); err != nil {
		return nil, err
	}
	var key []byte
	var err error
	if c.dataKey != "" {
		key, err = sealed.ParseKey(c.dataKey)
	} else {
		key, err = sealed.LoadOrCreateKey(filepath.Join(c.dataDir, "schluessel"))
	}
	if err != nil {
		return nil, fmt.Errorf("Datenschlüssel: %w", err)
	}
	return key, nil
}

// newOwnerKeys derives the citizens' owner keys from the data key, so that
// every process sharing the database lists the same drafts and
// submissions in a citizen's area.
func newOwnerKeys(c *serveConfig) (*identity.OwnerKeys, error) {
	key, err := loadDataKey(c)
	if err != nil {
		return nil, err
	}
	return identity.DeriveOwnerKeys(key)
}

func openApp(ctx context.Context, c *serveConfig, logger *slog.Logger) (*app, error) {
	box, err := openBox(c)
	if err != nil {
		return nil, err
	}
	db, err := openDB(ctx, c, box)
	if err != nil {
		return nil, err
	}
	blobs, err := openBlobs(ctx, c, box)
	if err != nil {
		db.Close()
		return nil, err
	}
	cat, err := fim.DefaultCatalog()
	if err != nil {
		db.Close()
		return nil, err
	}
	if c.codelists != "" {
		cat = cat.Clone()
		if err := cat.AddDir(c.codelists); err != nil {
			db.Close()
			return nil, err
		}
	}
	if c.demo {
		seeded, err := demo.Seeded(ctx, db)
		if err != nil {
			db.Close()
			return nil, err
		}
		if !seeded {
			if err := demo.Seed(ctx, db, cat); err != nil {
				db.Close()
				return nil, err
			}
			logger.Info("demo catalogue created", "tenants", "musterstadt, beispielkreis")
		}
		if c.delivery.fcTokenURL == "" {
			if err := demo.SeedFITConnect(ctx, db, cat); err != nil {
				db.Close()
				return nil, err
			}
		}
	}
	a := &app{db: db, blobs: blobs, logger: logger, cfg: c, forms: &journey.Forms{Store: db, Catalog: cat},
		metrics: newMetrics(db, logger)}
	parts, err := setupDelivery(ctx, c, a)
	if err != nil {
		db.Close()
		return nil, err
	}
	a.delivery = parts
	st, stopSessions := db.SessionStore()
	sm := scs.New()
	sm.Store = st
	sm.Lifetime = 8 * time.Hour
	sm.IdleTimeout = time.Hour
	sm.Cookie.Name = "antrag_intern"
	sm.Cookie.Path = "/intern"
	sm.Cookie.HttpOnly = true
	sm.Cookie.SameSite = http.SameSiteLaxMode
	sm.Cookie.Secure = strings.HasPrefix(c.baseURL, "https://")
	logins, err := a.newLogins(c)
	if err != nil {
		stopSessions()
		db.Close()
		return nil, err
	}
	ownerKeys, err := newOwnerKeys(c)
	if err != nil {
		stopSessions()
		db.Close()
		return nil, err
	}
	citizenSP, devIdP, err := setupCitizenLogin(c, db, logger)
	if err != nil {
		stopSessions()
		db.Close()
		return nil, err
	}
	if devIdP != nil {
		parts.handlers[devIdPPath+"/"] = devIdP
	}
	payments, err := setupPayments(ctx, c, a, parts)
	if err != nil {
		stopSessions()
		db.Close()
		return nil, err
	}
	a.payments = payments
	srv, err := web.New(web.Config{BaseURL: c.baseURL, DraftTTL: c.draftTTL, TrustedProxies: c.trustedProxies, Years: c.years,
		RequireTOTP: c.identity.requireTOTP, StaffOIDC: c.identity.staffOIDC, CitizenOIDC: c.identity.citizenOIDC,
		MaxUploads: c.limits.maxUploads, MaxUploadsPerClient: c.limits.maxUploadsPerClient, BodyMinRate: c.limits.bodyMinRate,
		BodyIdleTimeout: c.limits.bodyIdleTimeout, UploadTimeout: c.limits.uploadTimeout}, web.Deps{
		Store: db, RequestScope: store.WithLookups, Blobs: blobs, Forms: a.forms, Sessions: sm, Logger: logger, Logins: logins,
		Ready:    db.Ping,
		Handlers: parts.handlers,
		Identity: citizenSP, Citizens: web.NewCitizenSessions(st, strings.HasPrefix(c.baseURL, "https://")), Box: box,
		OwnerKeys: ownerKeys, Routes: routeFinder(parts.router), Checkers: parts.checkers, Payments: payments,
		Requests: a.metrics, Submissions: a.metrics,
	})
	if err != nil {
		stopSessions()
		db.Close()
		return nil, err
	}
	a.sessions, a.stopSessions, a.server = sm, stopSessions, srv
	return a, nil
}

func (a *app) close() {
	if a.delivery.double != nil {
		a.delivery.double.Close()
	}
	a.stopSessions()
	if err := a.db.Close(); err != nil {
		a.logger.Error("closing the database", "error", err.Error())
	}
}

// janitor applies the retention rules (submission.Retention) and forgets
// idle login throttle buckets, at start-up and then every janitorTick.
func (a *app) janitor(ctx context.Context) {
	// An application held for a fee is kept like a draft, counted from the
	// end of its last payment attempt.
	a.sweep(ctx, time.Now())
	t := time.NewTicker(a.cfg.janitorTick)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			a.sweep(ctx, time.Now())
		}
	}
}

// sweep is one pass of the janitor at now.
func (a *app) sweep(ctx context.Context, now time.Time) {
	retention := &submission.Retention{Store: a.db, Files: a.blobs, Period: a.cfg.retention,
		Unpaid: a.cfg.draftTTL + a.cfg.payment.maxAge, Observer: a.metrics}
	deleted, err := retention.Sweep(ctx, now)
	if err != nil {
		a.logger.Error("retention", "error", err.Error())
	}
	if deleted > 0 {
		a.logger.Info("retention applied", "attachments_deleted", deleted)
	}
	if err := a.db.ThrottlePurge(ctx, now.Add(-account.IdleBucket)); err != nil {
		a.logger.Error("login throttle purge", "error", err.Error())
	}
	if err := a.db.ReplayPurge(ctx, now); err != nil {
		a.logger.Error("SAML replay cache purge", "error", err.Error())
	}
}

func newLogger(level string, w io.Writer) (*slog.Logger, error) {
	var l slog.Level
	if err := l.UnmarshalText([]byte(level)); err != nil {
		return nil, usageError{fmt.Sprintf("--log-level %q: debug, info, warn oder error", level)}
	}
	return slog.New(slog.NewTextHandler(w, &slog.HandlerOptions{Level: l})), nil
}

// runServe runs the server until ctx ends, then shuts down gracefully.
func runServe(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	c, err := parseServe(args, getenv, stdout, stderr)
	if err != nil {
		return err
	}
	tuneGC(getenv)
	logger, err := newLogger(c.logLevel, stderr)
	if err != nil {
		return err
	}
	ln, err := net.Listen("tcp", c.addr)
	if err != nil {
		return err
	}
	defer ln.Close()
	if c.baseURL == "" {
		c.baseURL = defaultBaseURL(ln.Addr())
	}
	stopTracing, err := startTracing(ctx, c.tracing, logger)
	if err != nil {
		return err
	}
	defer func() {
		// After the server and the queue: their last spans are sent too.
		tctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		if err := stopTracing(tctx); err != nil {
			logger.Warn("OpenTelemetry: sending the last spans", "error", err.Error())
		}
	}()
	a, err := openApp(ctx, c, logger)
	if err != nil {
		return err
	}
	defer a.close()
	hs := &http.Server{Handler: a.server, ReadHeaderTimeout: 10 * time.Second, IdleTimeout: 2 * time.Minute,
		ErrorLog: slog.NewLogLogger(logger.Handler(), slog.LevelWarn)}
	jctx, stopJanitor := context.WithCancel(ctx)
	defer stopJanitor()
	go a.janitor(jctx)
	if c.metricsAddr != "" {
		_, stopMetrics, err := a.serveMetrics(c.metricsAddr)
		if err != nil {
			return err
		}
		defer stopMetrics()
	}
	q, err := a.startQueue(ctx)
	if err != nil {
		return err
	}
	defer q.Stop(context.Background())
	hs.Handler = c.tracing.wrap(hs.Handler)
	logger.Info("antrag running", "address", ln.Addr().String(), "url", c.baseURL, "data", c.dataDir)
	fmt.Fprintf(stdout, "antrag läuft auf %s\n", c.baseURL)
	errc := make(chan error, 1)
	go func() { errc <- hs.Serve(ln) }()
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	logger.Info("antrag shutting down")
	sctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	if err := hs.Shutdown(sctx); err != nil {
		return err
	}
	// Deliveries still running get until the deadline; what is cut off is
	// delivered after the next start.
	return q.Stop(sctx)
}

// s3Config reads the S3 settings from the environment (ANTRAG_S3_*); nil
// without ANTRAG_S3_BUCKET. Secrets come from the environment only.
func s3Config(getenv func(string) string) (*s3.Config, error) {
	bucket := getenv("ANTRAG_S3_BUCKET")
	if bucket == "" {
		return nil, nil
	}
	c := &s3.Config{
		Endpoint: getenv("ANTRAG_S3_ENDPOINT"), Bucket: bucket, Region: getenv("ANTRAG_S3_REGION"),
		AccessKey: getenv("ANTRAG_S3_ACCESS_KEY"), SecretKey: getenv("ANTRAG_S3_SECRET_KEY"),
		UseTLS: getenv("ANTRAG_S3_TLS") != "false" && getenv("ANTRAG_S3_TLS") != "0",
		Prefix: getenv("ANTRAG_S3_PREFIX"), SSE: getenv("ANTRAG_S3_SSE"), KMSKeyID: getenv("ANTRAG_S3_KMS_KEY_ID"),
		CreateBucket: getenv("ANTRAG_S3_CREATE_BUCKET") == "1" || getenv("ANTRAG_S3_CREATE_BUCKET") == "true",
	}
	if c.Endpoint == "" {
		return nil, usageError{"ANTRAG_S3_BUCKET ist gesetzt, ANTRAG_S3_ENDPOINT (Host:Port) fehlt"}
	}
	return c, nil
}

// openBlobs opens the attachment store: S3 when configured, else the
// directory <data>/anhaenge. Either way the content is sealed with box.
func openBlobs(ctx context.Context, c *serveConfig, box *sealed.Box) (blob.Store, error) {
	if c.s3 != nil {
		// Uploads are sealed into a file of the data directory before they
		// are sent (not into a temporary directory that may be in memory).
		cfg := *c.s3
		cfg.SpoolDir = filepath.Join(c.dataDir, "s3-puffer")
		if err := os.MkdirAll(cfg.SpoolDir, 0o700); err != nil {
			return nil, fmt.Errorf("Anhänge in S3: %w", err)
		}
		s, err := s3.New(ctx, cfg, box)
		if err != nil {
			return nil, fmt.Errorf("Anhänge in S3: %w", err)
		}
		return s, nil
	}
	return blob.NewDir(filepath.Join(c.dataDir, "anhaenge"), box)
}

// routeFinder is the Routing API client as the web layer takes it: nil
// (no lookup) when there is none.
func routeFinder(r *fitconnect.Router) tenant.RouteFinder {
	if r == nil {
		return nil
	}
	return r
}
