package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"strings"
	"time"

	"github.com/antrag/antrag/internal/demo"
	"github.com/antrag/antrag/internal/payment"
	"github.com/antrag/antrag/internal/payment/sandbox"
	"github.com/antrag/antrag/internal/payment/xbezahldienste"
	"github.com/antrag/antrag/internal/store"
)

// paymentConfig configures ePayment (antrag serve).
type paymentConfig struct {
	maxAge    time.Duration // how long an attempt is asked about
	reconcile time.Duration // how often reconciliation runs
	timeout   time.Duration // one provider request
}

// sandboxPath is where --demo serves the sandbox ePayment provider
// (extra routes must lie under /api/).
const sandboxPath = "/api/zahlung-sandbox/"

// newCollector returns the payment use case on db, with the
// XBezahldienste client for every account.
func newCollector(db *store.DB, pc paymentConfig, logger *slog.Logger) *payment.Collector {
	return &payment.Collector{Store: db, MaxAge: pc.maxAge, Logger: logger,
		NewProvider: func(acc *payment.Account) (payment.Provider, error) {
			return xbezahldienste.New(acc, xbezahldienste.Options{Timeout: pc.timeout})
		}}
}

// setupPayments builds the payment use case and, for the demo, starts the
// sandbox provider on the server's own address and points the demo
// authorities' accounts at it.
func setupPayments(ctx context.Context, c *serveConfig, a *app, p *deliveryParts) (*payment.Collector, error) {
	if c.demo {
		base := strings.TrimRight(c.baseURL, "/") + sandboxPath
		sb, err := sandbox.New(sandbox.Config{BaseURL: base, Auth: sandbox.AuthBasic,
			Username: demo.PaymentUser, Password: demo.PaymentPassword})
		if err != nil {
			return nil, err
		}
		p.handlers[sandboxPath] = sb.Handler()
		if err := demo.SeedPayments(ctx, a.db, base); err != nil {
			return nil, fmt.Errorf("Demo-Bezahldienst: %w", err)
		}
	}
	return newCollector(a.db, c.payment, a.logger), nil
}

// payment flags of antrag serve.
func paymentFlags(fs *flag.FlagSet, pc *paymentConfig, getenv func(string) string) error {
	pc.maxAge, pc.reconcile, pc.timeout = 7*24*time.Hour, 30*time.Second, 15*time.Second
	for _, x := range []struct {
		key string
		v   *time.Duration
	}{{"ANTRAG_PAYMENT_MAX_AGE", &pc.maxAge}, {"ANTRAG_PAYMENT_RECONCILE", &pc.reconcile}, {"ANTRAG_PAYMENT_TIMEOUT", &pc.timeout}} {
		if v := getenv(x.key); v != "" {
			d, err := parseDuration(v)
			if err != nil || d <= 0 {
				return usageError{fmt.Sprintf("%s=%q: eine Dauer größer als 0", x.key, v)}
			}
			*x.v = d
		}
	}
	positive := func(v *time.Duration) func(string) error {
		return func(s string) error {
			d, err := parseDuration(s)
			if err == nil && d <= 0 {
				err = errors.New("eine Dauer größer als 0")
			}
			*v = d
			return err
		}
	}
	fs.Func("payment-max-age", "so lange wird der Bezahldienst nach einer offenen Zahlung gefragt; danach gilt sie als nicht abgeschlossen (Standard 7d)", positive(&pc.maxAge))
	fs.Func("payment-reconcile", "wie oft offene Zahlungen beim Bezahldienst abgefragt werden (Standard 30s)", positive(&pc.reconcile))
	fs.Func("payment-timeout", "Zeitlimit einer Anfrage an den Bezahldienst (Standard 15s)", positive(&pc.timeout))
	return nil
}

// runPayment runs "antrag payment check": asks an authority's provider
// whether its configuration is valid (XBezahldienste GET
// status/{originatorId}/{endPointId}).
func runPayment(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	if groupHelp("payment", args, stdout) {
		return nil
	}
	if len(args) == 0 || args[0] != "check" {
		fmt.Fprint(stderr, usage)
		return usageError{"antrag payment: Befehl check erwartet"}
	}
	fs := flag.NewFlagSet("antrag payment check", flag.ContinueOnError)
	fs.SetOutput(stderr)
	sf := addStoreFlags(fs, getenv)
	tenantSlug := fs.String("tenant", "", "Mandant (Kurzname)")
	authorityName := fs.String("authority", "", "Behörde (Name; ohne: alle Behörden des Mandanten mit ePayment-Konto)")
	timeout := fs.Duration("timeout", 15*time.Second, "Zeitlimit der Anfrage")
	if err := parseFlags(fs, args[1:], stdout); err != nil {
		return err
	}
	if *tenantSlug == "" {
		return usageError{"antrag payment check: --tenant fehlt"}
	}
	db, t, closeFn, err := sf.openTenant(ctx, getenv, *tenantSlug)
	if err != nil {
		return err
	}
	defer closeFn()
	as, err := db.ListAuthorities(ctx, t.ID)
	if err != nil {
		return err
	}
	checked, failed := 0, 0
	for _, a := range as {
		if *authorityName != "" && a.Name != *authorityName {
			continue
		}
		acc, err := db.PaymentAccount(ctx, t.ID, a.ID)
		if err != nil {
			if *authorityName != "" {
				return fmt.Errorf("%s: kein ePayment-Konto: %w", a.Name, err)
			}
			continue
		}
		checked++
		p, err := xbezahldienste.New(acc, xbezahldienste.Options{Timeout: *timeout})
		if err == nil {
			err = p.Check(ctx)
		}
		if err != nil {
			failed++
			fmt.Fprintf(stdout, "%s: FEHLER (%s, %s): %v\n", a.Name, acc.Kind, acc.BaseURL, err)
			continue
		}
		fmt.Fprintf(stdout, "%s: in Ordnung (%s, %s, %s/%s)\n", a.Name, acc.Kind, acc.BaseURL, acc.OriginatorID, acc.EndpointID)
	}
	switch {
	case checked == 0:
		return fmt.Errorf("keine Behörde mit ePayment-Konto gefunden")
	case failed > 0:
		return fmt.Errorf("%d von %d ePayment-Konten nicht in Ordnung", failed, checked)
	}
	return nil
}
