package xbezahldienste_test

import (
	"context"
	"errors"
	"net/http"
	"testing"
	"time"

	"github.com/google/uuid"
	"software.sslmate.com/src/go-pkcs12"

	"github.com/antrag/antrag/internal/apperr"
	"github.com/antrag/antrag/internal/payment"
	"github.com/antrag/antrag/internal/payment/sandbox"
	"github.com/antrag/antrag/internal/payment/sandbox/sandboxtest"
	"github.com/antrag/antrag/internal/payment/xbezahldienste"
)

// roundTrip creates a transaction and reads its status.
func roundTrip(c *xbezahldienste.Client) error {
	ctx := context.Background()
	if err := c.Check(ctx); err != nil {
		return err
	}
	info, err := c.Create(ctx, request(uuid.NewString()))
	if err != nil {
		return err
	}
	_, err = c.Status(ctx, info.TransactionID)
	return err
}

func TestMutualTLS(t *testing.T) {
	pki := sandboxtest.NewPKI(t)
	sb, srv := sandboxtest.Start(t, sandbox.Config{Auth: sandbox.AuthMTLS}, pki)
	base := srv.URL + sandboxtest.Prefix
	acc := &payment.Account{
		Kind: payment.EPayBL, BaseURL: base, OriginatorID: originator, EndpointID: endpoint,
		Certificate: pki.ClientP12, CertificatePassword: pki.ClientPassword, RootCAs: pki.CAPEM,
	}
	if err := roundTrip(mustClient(t, acc, xbezahldienste.Options{})); err != nil {
		t.Fatalf("with the client certificate: %v", err)
	}

	t.Run("no client certificate", func(t *testing.T) {
		other := &payment.Account{Kind: payment.EPay21, BaseURL: base, OriginatorID: originator, EndpointID: endpoint,
			Username: user, Password: password, RootCAs: pki.CAPEM}
		before := sb.Creates()
		_, err := mustClient(t, other, xbezahldienste.Options{}).Create(context.Background(), request(uuid.NewString()))
		providerError(t, err, payment.CodeForbidden, http.StatusForbidden)
		if sb.Creates() != before+1 {
			t.Errorf("the refused create reached the sandbox %d times, want once", sb.Creates()-before)
		}
	})

	t.Run("certificate of another CA", func(t *testing.T) {
		stranger := sandboxtest.NewPKI(t)
		foreign := *acc
		foreign.Certificate, foreign.CertificatePassword = stranger.ClientP12, stranger.ClientPassword
		before := sb.Creates()
		if err := roundTrip(mustClient(t, &foreign, xbezahldienste.Options{})); err == nil {
			t.Fatal("a certificate of another CA was accepted")
		}
		if sb.Creates() != before {
			t.Errorf("the request reached the sandbox")
		}
	})

	t.Run("server not trusted", func(t *testing.T) {
		untrusted := *acc
		untrusted.RootCAs = sandboxtest.NewPKI(t).CAPEM
		if err := roundTrip(mustClient(t, &untrusted, xbezahldienste.Options{})); !errors.Is(err, payment.ErrUnavailable) {
			t.Fatalf("err = %v, want ErrUnavailable (TLS)", err)
		}
	})

	t.Run("wrong password", func(t *testing.T) {
		wrong := *acc
		wrong.CertificatePassword = "falsch"
		if _, err := xbezahldienste.New(&wrong, xbezahldienste.Options{}); !errors.Is(err, apperr.Invalid) {
			t.Fatalf("New = %v, want apperr.Invalid", err)
		}
	})

	t.Run("expired certificate", func(t *testing.T) {
		later := func() time.Time { return pki.CA.NotAfter.Add(time.Hour) }
		if _, err := xbezahldienste.New(acc, xbezahldienste.Options{Now: later}); !errors.Is(err, apperr.Invalid) {
			t.Fatalf("New = %v, want apperr.Invalid", err)
		}
	})

	t.Run("legacy PKCS#12", func(t *testing.T) {
		key, cert := pki.NewClient(t, "Altes Zertifikat")
		p12, err := pkcs12.LegacyRC2.Encode(key, cert, nil, "alt")
		if err != nil {
			t.Fatal(err)
		}
		legacy := *acc
		legacy.Certificate, legacy.CertificatePassword = p12, "alt"
		if err := roundTrip(mustClient(t, &legacy, xbezahldienste.Options{})); err != nil {
			t.Fatalf("legacy PKCS#12: %v", err)
		}
	})
}

func TestOAuth2ClientCredentials(t *testing.T) {
	sb, srv := sandboxtest.Start(t, sandbox.Config{Auth: sandbox.AuthOAuth2, ClientID: "antrag", ClientSecret: "s3cr3t"}, nil)
	base := srv.URL + sandboxtest.Prefix
	acc := &payment.Account{Kind: payment.PMPayment, BaseURL: base, OriginatorID: originator, EndpointID: endpoint,
		TokenURL: base + "oauth/token", ClientID: "antrag", ClientSecret: "s3cr3t"}
	if err := roundTrip(mustClient(t, acc, xbezahldienste.Options{})); err != nil {
		t.Fatalf("with the right secret: %v", err)
	}

	wrong := *acc
	wrong.ClientSecret = "falsch"
	err := roundTrip(mustClient(t, &wrong, xbezahldienste.Options{}))
	providerError(t, err, payment.CodeForbidden, http.StatusUnauthorized)

	basic := basicAccount(base, password)
	_, err = mustClient(t, basic, xbezahldienste.Options{}).Create(context.Background(), request(uuid.NewString()))
	providerError(t, err, payment.CodeForbidden, http.StatusUnauthorized)

	sb.SetDown(true)
	fresh := mustClient(t, acc, xbezahldienste.Options{})
	if err := fresh.Check(context.Background()); !errors.Is(err, payment.ErrUnavailable) {
		t.Errorf("token endpoint down: err = %v, want ErrUnavailable", err)
	}
}

func TestBasic(t *testing.T) {
	_, srv, c := basicSandbox(t, xbezahldienste.Options{})
	if err := roundTrip(c); err != nil {
		t.Fatalf("with the right password: %v", err)
	}
	wrong := mustClient(t, basicAccount(srv.URL+sandboxtest.Prefix, "falsch"), xbezahldienste.Options{})
	err := roundTrip(wrong)
	providerError(t, err, payment.CodeForbidden, http.StatusUnauthorized)
}
