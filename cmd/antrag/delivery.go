package main

import (
	"context"
	"crypto/x509"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"os"
	"strings"
	"time"

	"github.com/antrag/antrag/internal/apperr"
	"github.com/antrag/antrag/internal/delivery"
	"github.com/antrag/antrag/internal/delivery/email"
	"github.com/antrag/antrag/internal/delivery/webhook"
	"github.com/antrag/antrag/internal/demo"
	"github.com/antrag/antrag/internal/fitconnect"
	"github.com/antrag/antrag/internal/store"
	"github.com/antrag/antrag/internal/tenant"
)

// deliveryConfig is the delivery part of serveConfig.
type deliveryConfig struct {
	maxAge     time.Duration // a delivery is failed after this
	firstRetry time.Duration // the first retry delay; doubling up to maxRetry
	maxRetry   time.Duration
	workers    int
	perTenant  int           // attempts of one tenant at once (delivery.Limits)
	perTarget  int           // attempts to one place at once
	poll       time.Duration // how often the queue looks for due jobs
	follow     time.Duration // how often FIT-Connect outcomes are read
	fcPoll     time.Duration // how often destinations are polled
	followSet  bool          // follow was configured (else the demo's double shortens it)
	jobTimeout time.Duration
	lease      time.Duration // a process silent for this long has its running jobs taken over

	// FIT-Connect endpoints; empty token URL: FIT-Connect off (the demo
	// then runs the test double).
	fcTokenURL, fcSubmissionAPI, fcDestinationAPI, fcVersion string
	fcTrustAnchors                                           string // PEM file
	// FIT-Connect Routing API (fitconnect.Router); empty URL: no lookup
	// (the demo then asks its test double).
	fcRoutingURL, fcPortalJWKS string
	fcRoutingTTL               time.Duration

	// SMTP for e-mail notices; empty addr: no e-mail.
	smtpAddr, smtpFrom, smtpUser, smtpPassword, smtpTLS string
}

// doublePrefix is where `serve --demo` mounts the FIT-Connect test double.
const doublePrefix = "/api/fitconnect-testdouble"

// callbackPath is the FIT-Connect callback endpoint of a destination.
const callbackPath = "/api/fitconnect/callback/"

// deliveryParts are the running delivery machinery of an app.
type deliveryParts struct {
	worker     *delivery.Worker
	subscriber *fitconnect.Subscriber   // nil without FIT-Connect
	double     *demo.FITConnect         // the demo's FIT-Connect test double, or nil
	handlers   map[string]http.Handler  // extra routes
	fc         *fitconnect.SenderConfig // nil without FIT-Connect
	router     *fitconnect.Router       // the Routing API client, or nil
	// checkers test the connection to targets (the admin's "Verbindung
	// testen"): the senders that can.
	checkers map[delivery.Kind]delivery.Checker
}

// setupDelivery builds the senders, the FIT-Connect subscriber and, for
// the demo without a configured FIT-Connect, the test double.
func setupDelivery(ctx context.Context, c *serveConfig, a *app) (*deliveryParts, error) {
	d, db := c.delivery, a.db
	p := &deliveryParts{handlers: map[string]http.Handler{}}
	senders := map[delivery.Kind]delivery.Sender{
		delivery.Webhook: &webhook.Sender{},
	}
	if d.smtpAddr != "" {
		es := &email.Sender{Addr: d.smtpAddr, From: d.smtpFrom, Username: d.smtpUser, Password: d.smtpPassword, TLS: d.smtpTLS}
		if err := es.Validate(); err != nil {
			return nil, usageError{"--smtp-addr: " + err.Error()}
		}
		senders[delivery.Email] = es
	}

	tokenURL, submissionAPI, destinationAPI, version := d.fcTokenURL, d.fcSubmissionAPI, d.fcDestinationAPI, d.fcVersion
	var roots *x509.CertPool
	if tokenURL == "" && c.demo {
		base := strings.TrimSuffix(c.baseURL, "/")
		dbl, err := demo.StartFITConnect(ctx, db, base+doublePrefix, base+callbackPath)
		if err != nil {
			return nil, err
		}
		p.double = dbl
		// The double answers at once: show the outcome in seconds.
		if !d.followSet {
			c.delivery.follow = 5 * time.Second
		}
		p.handlers[doublePrefix+"/"] = http.StripPrefix(doublePrefix, dbl.Handler)
		tokenURL, submissionAPI, destinationAPI, roots = dbl.TokenURL, dbl.SubmissionAPI, dbl.DestinationAPI, dbl.Roots
		if d.fcRoutingURL == "" {
			r, err := fitconnect.NewRouter(fitconnect.RouterConfig{RoutingAPI: dbl.RoutingAPI, PortalJWKS: dbl.PortalJWKS,
				Roots: dbl.PortalRoots, RouteTTL: d.fcRoutingTTL})
			if err != nil {
				return nil, err
			}
			p.router = r
		}
	} else if tokenURL != "" {
		if submissionAPI == "" {
			return nil, usageError{"--fitconnect-submission-api fehlt"}
		}
		pemBytes, err := os.ReadFile(d.fcTrustAnchors)
		if err != nil {
			return nil, usageError{"--fitconnect-trust-anchors: Vertrauensanker (PEM) für die Zertifikate der Zustellpunkte nötig: " + err.Error()}
		}
		roots = x509.NewCertPool()
		if !roots.AppendCertsFromPEM(pemBytes) {
			return nil, usageError{"--fitconnect-trust-anchors: kein Zertifikat in " + d.fcTrustAnchors}
		}
	}
	if d.fcRoutingURL != "" {
		if d.fcPortalJWKS == "" {
			return nil, usageError{"--fitconnect-portal-jwks fehlt: die Schlüssel des Self-Service-Portals prüfen die Zustellpunkte der Routing-API"}
		}
		rc := fitconnect.RouterConfig{RoutingAPI: d.fcRoutingURL, PortalJWKS: d.fcPortalJWKS, RouteTTL: d.fcRoutingTTL}
		if d.fcTrustAnchors != "" {
			rc.Roots = roots
		}
		r, err := fitconnect.NewRouter(rc)
		if err != nil {
			return nil, usageError{"--fitconnect-routing-url: " + err.Error()}
		}
		p.router = r
	}
	if tokenURL != "" {
		sc := fitconnect.SenderConfig{
			TokenURL: tokenURL, SubmissionAPI: submissionAPI, DestinationAPI: destinationAPI, Version: version, Roots: roots,
			Credentials: func(ctx context.Context, tenantID string) (string, string, error) {
				acc, err := db.FITConnectSender(ctx, tenantID)
				if err != nil {
					if errors.Is(err, apperr.NotFound) {
						return "", "", fmt.Errorf("der Mandant hat kein FIT-Connect-Senderkonto (antrag fitconnect sender): %w", err)
					}
					return "", "", err
				}
				return acc.ClientID, acc.ClientSecret, nil
			},
		}
		s, err := fitconnect.NewSender(sc)
		if err != nil {
			return nil, err
		}
		senders[delivery.FITConnect] = s
		p.fc = &sc
		sub, err := fitconnect.NewSubscriber(fitconnect.SubscriberConfig{
			TokenURL: tokenURL, SubmissionAPI: submissionAPI, DestinationAPI: destinationAPI, Version: version,
			Destinations: func(ctx context.Context, id string) (*fitconnect.Destination, error) {
				acc, err := db.FITConnectDestination(ctx, id)
				if err != nil {
					return nil, err
				}
				return fitconnect.DestinationOf(acc)
			},
			ListDestinations: func(ctx context.Context) ([]*fitconnect.Destination, error) {
				accs, err := db.FITConnectDestinations(ctx)
				if err != nil {
					return nil, err
				}
				var out []*fitconnect.Destination
				for _, acc := range accs {
					dst, err := fitconnect.DestinationOf(acc)
					if err != nil {
						return nil, err
					}
					out = append(out, dst)
				}
				return out, nil
			},
			Inbox:  &fitconnect.StoreInbox{DB: db, Blobs: a.blobs, Forms: a.forms, Observer: a.metrics},
			Logger: a.logger,
		})
		if err != nil {
			return nil, err
		}
		p.subscriber = sub
		p.handlers["POST "+callbackPath+"{destination}"] = sub.CallbackHandler()
	}
	p.checkers = map[delivery.Kind]delivery.Checker{}
	for kind, s := range senders {
		if c, ok := s.(delivery.Checker); ok {
			p.checkers[kind] = c
		}
	}
	w := &delivery.Worker{
		Store: db, Blobs: a.blobs, Senders: senders, Forms: a.forms, Logger: a.logger, Observer: a.metrics,
		Policy: delivery.Policy{First: d.firstRetry, Max: d.maxRetry, MaxAge: d.maxAge},
		Limits: delivery.Limits{PerTenant: d.perTenant, PerTarget: d.perTarget},
		InboxURL: func(_ *tenant.Tenant, submissionID string) string {
			return strings.TrimSuffix(c.baseURL, "/") + "/intern/antraege/" + submissionID
		},
	}
	if p.subscriber != nil {
		w.Poller = p.subscriber
	}
	p.worker = w
	return p, nil
}

// startQueue starts working the delivery jobs of this process.
func (a *app) startQueue(ctx context.Context) (*store.Queue, error) {
	d := a.cfg.delivery
	return a.db.RunQueue(context.WithoutCancel(ctx), a.delivery.worker, store.QueueConfig{
		Workers: d.workers, PollInterval: d.poll, FollowEvery: d.follow, PollEvery: d.fcPoll,
		JobTimeout: d.jobTimeout, Lease: d.lease, Logger: slog.New(minLevel{a.logger.Handler(), slog.LevelWarn}),
		Reconcile: a.reconcile(), ReconcileEvery: a.cfg.payment.reconcile,
	})
}

// minLevel passes records of at least a level to another handler (River
// reports routine counts at info).
type minLevel struct {
	slog.Handler
	min slog.Level
}

func (h minLevel) Enabled(ctx context.Context, l slog.Level) bool {
	return l >= h.min && h.Handler.Enabled(ctx, l)
}

func (h minLevel) WithAttrs(as []slog.Attr) slog.Handler {
	return minLevel{h.Handler.WithAttrs(as), h.min}
}

func (h minLevel) WithGroup(name string) slog.Handler {
	return minLevel{h.Handler.WithGroup(name), h.min}
}

// reconcile is the payment reconciliation pass, nil without payments.
func (a *app) reconcile() func(context.Context) error {
	if a.payments == nil {
		return nil
	}
	return a.payments.Reconcile
}
