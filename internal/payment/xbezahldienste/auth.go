package xbezahldienste

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"net/http"
	"net/url"
	"time"

	"golang.org/x/oauth2"
	"golang.org/x/oauth2/clientcredentials"
	"software.sslmate.com/src/go-pkcs12"

	"github.com/antrag/antrag/internal/apperr"
	"github.com/antrag/antrag/internal/payment"
)

// authTransport returns the round tripper that authenticates acc's
// requests as its kind requires: ePayBL mutual TLS with the PKCS#12
// client certificate, pmPayment an OAuth2 bearer token from the client
// credentials grant (RFC 6749, 4.4; the token is cached and renewed by
// golang.org/x/oauth2), ePay21 HTTP Basic (RFC 7617). Errors wrap
// apperr.Invalid and name the missing or unreadable setting.
func authTransport(acc *payment.Account, opts Options, timeout time.Duration, now time.Time) (http.RoundTripper, error) {
	var tc *tls.Config
	if len(acc.RootCAs) > 0 {
		pool, err := x509.SystemCertPool()
		if err != nil || pool == nil {
			pool = x509.NewCertPool()
		}
		if !pool.AppendCertsFromPEM(acc.RootCAs) {
			return nil, fmt.Errorf("%w: Vertrauensanker (RootCAs) enthalten kein PEM-Zertifikat", apperr.Invalid)
		}
		tc = &tls.Config{RootCAs: pool, MinVersion: tls.VersionTLS12}
	}
	if acc.Kind == payment.EPayBL {
		cert, err := clientCertificate(acc, now)
		if err != nil {
			return nil, err
		}
		if tc == nil {
			tc = &tls.Config{MinVersion: tls.VersionTLS12}
		}
		tc.Certificates = []tls.Certificate{cert}
	}
	base, err := baseTransport(opts.Transport, tc)
	if err != nil {
		return nil, err
	}

	switch acc.Kind {
	case payment.EPayBL:
		return base, nil
	case payment.EPay21:
		if acc.Username == "" || acc.Password == "" {
			return nil, fmt.Errorf("%w: ePay21 braucht Benutzername und Passwort (HTTP Basic)", apperr.Invalid)
		}
		return &basicAuth{base: base, user: acc.Username, pass: acc.Password}, nil
	case payment.PMPayment:
		if acc.TokenURL == "" || acc.ClientID == "" || acc.ClientSecret == "" {
			return nil, fmt.Errorf("%w: pmPayment braucht Token-URL, Client-ID und Client-Secret (OAuth2)", apperr.Invalid)
		}
		if u, err := url.Parse(acc.TokenURL); err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
			return nil, fmt.Errorf("%w: Token-URL ist keine absolute http(s)-Adresse", apperr.Invalid)
		}
		cc := &clientcredentials.Config{ClientID: acc.ClientID, ClientSecret: acc.ClientSecret, TokenURL: acc.TokenURL}
		tokenClient := &http.Client{Transport: base, Timeout: timeout, CheckRedirect: noRedirect}
		ts := cc.TokenSource(context.WithValue(context.Background(), oauth2.HTTPClient, tokenClient))
		return &oauth2.Transport{Source: ts, Base: base}, nil
	default:
		return nil, fmt.Errorf("%w: unbekannte Art des Bezahldienstes %q", apperr.Invalid, acc.Kind)
	}
}

// clientCertificate decodes the ePayBL client certificate (PKCS#12,
// RFC 7292) with its key and chain.
func clientCertificate(acc *payment.Account, now time.Time) (tls.Certificate, error) {
	if len(acc.Certificate) == 0 {
		return tls.Certificate{}, fmt.Errorf("%w: ePayBL braucht ein Client-Zertifikat (PKCS#12)", apperr.Invalid)
	}
	key, leaf, chain, err := pkcs12.DecodeChain(acc.Certificate, acc.CertificatePassword)
	if err != nil {
		return tls.Certificate{}, fmt.Errorf("%w: Client-Zertifikat (PKCS#12) nicht lesbar, Passwort falsch? (%v)", apperr.Invalid, err)
	}
	if now.After(leaf.NotAfter) {
		return tls.Certificate{}, fmt.Errorf("%w: Client-Zertifikat ist seit %s abgelaufen", apperr.Invalid, leaf.NotAfter.Format(time.DateOnly))
	}
	cert := tls.Certificate{Certificate: [][]byte{leaf.Raw}, PrivateKey: key, Leaf: leaf}
	for _, c := range chain {
		cert.Certificate = append(cert.Certificate, c.Raw)
	}
	return cert, nil
}

// baseTransport returns the transport under the authentication: a clone
// of t (nil: http.DefaultTransport) with tc as its TLS configuration. A
// TLS configuration can only be set on an *http.Transport.
func baseTransport(t http.RoundTripper, tc *tls.Config) (http.RoundTripper, error) {
	if t == nil {
		t = http.DefaultTransport
	}
	ht, ok := t.(*http.Transport)
	if !ok {
		if tc != nil {
			return nil, fmt.Errorf("%w: Client-Zertifikat und Vertrauensanker brauchen einen *http.Transport", apperr.Invalid)
		}
		return t, nil
	}
	ht = ht.Clone()
	if tc != nil {
		if ht.TLSClientConfig != nil {
			merged := ht.TLSClientConfig.Clone()
			if tc.RootCAs != nil {
				merged.RootCAs = tc.RootCAs
			}
			if tc.Certificates != nil {
				merged.Certificates = tc.Certificates
			}
			tc = merged
		}
		ht.TLSClientConfig = tc
	}
	return ht, nil
}

// basicAuth sets HTTP Basic credentials (RFC 7617) on each request.
type basicAuth struct {
	base       http.RoundTripper
	user, pass string
}

func (b *basicAuth) RoundTrip(r *http.Request) (*http.Response, error) {
	r2 := r.Clone(r.Context())
	r2.SetBasicAuth(b.user, b.pass)
	return b.base.RoundTrip(r2)
}

func noRedirect(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
