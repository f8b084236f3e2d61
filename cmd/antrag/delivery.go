package main

import (
	"context"
	"crypto/x509"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"os"
	"strings"
	"time"

	"github.com/go-jose/go-jose/v4"

	"github.com/antrag/antrag/internal/apperr"
	"github.com/antrag/antrag/internal/delivery"
	"github.com/antrag/antrag/internal/delivery/email"
	"github.com/antrag/antrag/internal/delivery/webhook"
	"github.com/antrag/antrag/internal/fitconnect"
	"github.com/antrag/antrag/internal/fitconnect/fitconnecttest"
	"github.com/antrag/antrag/internal/form"
	"github.com/antrag/antrag/internal/tenant"
)

// deliveryConfig is the delivery part of serveConfig.
type deliveryConfig struct {
	maxAge     time.Duration // a delivery is failed after this
	firstRetry time.Duration // the first retry delay; doubling up to maxRetry
	maxRetry   time.Duration
	workers    int
	poll       time.Duration // how often the queue looks for due jobs
	follow     time.Duration // how often FIT-Connect outcomes are read
	fcPoll     time.Duration // how often destinations are polled
	followSet  bool          // follow was configured (else the demo's double shortens it)
	jobTimeout time.Duration

	// FIT-Connect endpoints; empty token URL: FIT-Connect off (the demo
	// then runs the test double).
	fcTokenURL, fcSubmissionAPI, fcDestinationAPI, fcVersion string
	fcTrustAnchors                                           string // PEM file

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
	double     *fitconnecttest.Double   // the demo's test double, or nil
	handlers   map[string]http.Handler  // extra routes
	fc         *fitconnect.SenderConfig // nil without FIT-Connect
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
		dbl, err := fitconnecttest.New(fitconnecttest.Options{BaseURL: strings.TrimSuffix(c.baseURL, "/") + doublePrefix})
		if err != nil {
			return nil, err
		}
		p.double = dbl
		// The double answers at once: show the outcome in seconds.
		if !d.followSet {
			c.delivery.follow = 5 * time.Second
		}
		p.handlers[doublePrefix+"/"] = http.StripPrefix(doublePrefix, dbl.Handler())
		base := strings.TrimSuffix(c.baseURL, "/") + doublePrefix
		tokenURL, submissionAPI, destinationAPI = base+"/token", base, base
		if roots, err = registerDemoDouble(ctx, c, db, dbl); err != nil {
			return nil, err
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
				return destinationOf(acc)
			},
			ListDestinations: func(ctx context.Context) ([]*fitconnect.Destination, error) {
				accs, err := db.FITConnectDestinations(ctx)
				if err != nil {
					return nil, err
				}
				var out []*fitconnect.Destination
				for _, acc := range accs {
					dst, err := destinationOf(acc)
					if err != nil {
						return nil, err
					}
					out = append(out, dst)
				}
				return out, nil
			},
			Inbox:  &fitconnect.StoreInbox{DB: db, Blobs: a.blobs, Schemas: a.schemas},
			Logger: a.logger,
		})
		if err != nil {
			return nil, err
		}
		p.subscriber = sub
		p.handlers["POST "+callbackPath+"{destination}"] = sub.CallbackHandler()
	}
	w := &delivery.Worker{
		Store: db, Blobs: a.blobs, Senders: senders, Schemas: a.schemas, Logger: a.logger,
		Policy: delivery.Policy{First: d.firstRetry, Max: d.maxRetry, MaxAge: d.maxAge},
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

// destinationOf turns a stored subscriber account into the Subscriber's
// view of it.
func destinationOf(acc *delivery.FITConnectAccount) (*fitconnect.Destination, error) {
	keys, err := fitconnect.ParseJWKSet(acc.PrivateKeys)
	if err != nil {
		return nil, fmt.Errorf("Zustellpunkt %s: %w", acc.DestinationID, err)
	}
	d := &fitconnect.Destination{TenantID: acc.TenantID, DestinationID: acc.DestinationID, ClientID: acc.ClientID,
		ClientSecret: acc.ClientSecret, CallbackSecret: acc.CallbackSecret}
	decrypt := false
	for _, k := range keys {
		if k.IsPublic() {
			return nil, fmt.Errorf("Zustellpunkt %s: Schlüssel %s ist öffentlich; nötig sind die privaten Schlüssel (zustellpunkt.private.jwks.json)", acc.DestinationID, k.KeyID)
		}
		d.PrivateKeys.Keys = append(d.PrivateKeys.Keys, k.JSONWebKey)
		switch k.Algorithm {
		case string(jose.PS512):
			d.SigningKid = k.KeyID
		case string(jose.RSA_OAEP_256):
			decrypt = true
		}
	}
	if d.SigningKid == "" || !decrypt {
		return nil, fmt.Errorf("Zustellpunkt %s: die privaten Schlüssel brauchen einen Entschlüsselungsschlüssel (RSA-OAEP-256) und einen Signaturschlüssel (PS512)", acc.DestinationID)
	}
	return d, nil
}

// publicJWKS derives the public JWK set of a destination from its private
// one: each key's public half, with key_ops unwrapKey → wrapKey and sign →
// verify, and the same x5c chain.
func publicJWKS(private []byte) ([]byte, error) {
	keys, err := fitconnect.ParseJWKSet(private)
	if err != nil {
		return nil, err
	}
	var pub []fitconnect.Key
	for _, k := range keys {
		ops := []string{}
		for _, op := range k.KeyOps {
			switch op {
			case "unwrapKey":
				ops = append(ops, "wrapKey")
			case "sign":
				ops = append(ops, "verify")
			}
		}
		pub = append(pub, fitconnect.Key{JSONWebKey: k.JSONWebKey.Public(), KeyOps: ops})
	}
	return json.Marshal(struct {
		Keys []fitconnect.Key `json:"keys"`
	}{pub})
}

// chainRoot returns the last certificate of the first key's x5c chain of a
// private JWK set (the CA of `antrag fitconnect keys`).
func chainRoot(private []byte) (*x509.Certificate, error) {
	keys, err := fitconnect.ParseJWKSet(private)
	if err != nil {
		return nil, err
	}
	for _, k := range keys {
		if n := len(k.Certificates); n > 0 {
			return k.Certificates[n-1], nil
		}
	}
	return nil, errors.New("keine Zertifikatskette (x5c) in den Schlüsseln")
}

// registerDemoDouble tells the test double about the installation's FIT-
// Connect accounts: every account is a client, every subscriber account a
// destination offering the tenant's services, with a callback to this
// installation. It returns the trust anchors: the roots of the
// destinations' certificate chains.
func registerDemoDouble(ctx context.Context, c *serveConfig, db database, dbl *fitconnecttest.Double) (*x509.CertPool, error) {
	roots := x509.NewCertPool()
	dests, err := db.FITConnectDestinations(ctx)
	if err != nil {
		return nil, err
	}
	tenants, err := db.ListTenants(ctx)
	if err != nil {
		return nil, err
	}
	for _, t := range tenants {
		if acc, err := db.FITConnectSender(ctx, t.ID); err == nil {
			dbl.AddClient(acc.ClientID, acc.ClientSecret)
		} else if !errors.Is(err, apperr.NotFound) {
			return nil, err
		}
	}
	for _, acc := range dests {
		dbl.AddClient(acc.ClientID, acc.ClientSecret)
		pub, err := publicJWKS(acc.PrivateKeys)
		if err != nil {
			return nil, err
		}
		root, err := chainRoot(acc.PrivateKeys)
		if err != nil {
			return nil, err
		}
		roots.AddCert(root)
		dst, err := destinationOf(acc)
		if err != nil {
			return nil, err
		}
		encKid := ""
		for _, k := range dst.PrivateKeys.Keys {
			if k.KeyID != dst.SigningKid {
				encKid = k.KeyID
			}
		}
		svcs, err := db.ListServices(ctx, acc.TenantID)
		if err != nil {
			return nil, err
		}
		var offered []fitconnecttest.Service
		for _, s := range svcs {
			if s.TenantID != acc.TenantID || s.Leistungsschluessel == "" || s.FormVersionID == "" {
				continue
			}
			fv, err := db.FormVersion(ctx, s.TenantID, s.FormVersionID)
			if err != nil {
				return nil, err
			}
			offered = append(offered, fitconnecttest.Service{Identifier: fitconnect.LeikaURN(s.Leistungsschluessel), Name: s.Name,
				SubmissionSchemas: []fitconnecttest.Schema{{URI: form.DefaultSchemaURI(fv.FIMID, fv.FIMVersion), MimeType: "application/json"}}})
		}
		if err := dbl.AddDestination(fitconnecttest.Destination{
			ID: acc.DestinationID, PublicKeys: pub, EncryptionKid: encKid, Services: offered,
			CallbackURL:    strings.TrimSuffix(c.baseURL, "/") + callbackPath + acc.DestinationID,
			CallbackSecret: acc.CallbackSecret,
		}); err != nil {
			return nil, err
		}
	}
	return roots, nil
}

// startQueue starts working the delivery jobs of this process.
func (a *app) startQueue(ctx context.Context) (stopper, error) {
	d := a.cfg.delivery
	return a.db.runQueue(context.WithoutCancel(ctx), a.delivery.worker, queueSettings{
		workers: d.workers, poll: d.poll, follow: d.follow, fcPoll: d.fcPoll,
		jobTimeout: d.jobTimeout, logger: slog.New(minLevel{a.logger.Handler(), slog.LevelWarn}),
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
