// Package sandboxtest starts the ePayment sandbox for tests: over plain
// HTTP, or over TLS with a generated certificate authority that also
// issues the client certificate for mutual TLS (ePayBL), packed as
// PKCS#12 (RFC 7292) as ePayBL hands it out.
package sandboxtest

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"math/big"
	"net"
	"net/http/httptest"
	"testing"
	"time"

	"software.sslmate.com/src/go-pkcs12"

	"github.com/antrag/antrag/internal/payment/sandbox"
)

// Prefix is the path under which Start serves the sandbox, as antrag's
// demo mounts it.
const Prefix = "/zahlung-sandbox/"

// PKI is a certificate authority with a server certificate for
// 127.0.0.1 and localhost and a client certificate, valid for a day.
type PKI struct {
	CA *x509.Certificate
	// CAPEM is the CA certificate in PEM, for payment.Account.RootCAs.
	CAPEM []byte
	// Server is the server's certificate and key.
	Server tls.Certificate
	// ClientP12 is the client certificate with its key as PKCS#12 (go-pkcs12
	// Modern encoder), opened with ClientPassword.
	ClientP12      []byte
	ClientPassword string

	caKey *ecdsa.PrivateKey
}

// NewPKI generates a PKI. It fails tb on an error.
func NewPKI(tb testing.TB) *PKI {
	tb.Helper()
	now := time.Now()
	caKey := mustKey(tb)
	caTmpl := &x509.Certificate{
		SerialNumber:          big.NewInt(1),
		Subject:               pkix.Name{CommonName: "Sandbox Test CA"},
		NotBefore:             now.Add(-time.Hour),
		NotAfter:              now.Add(24 * time.Hour),
		KeyUsage:              x509.KeyUsageCertSign | x509.KeyUsageDigitalSignature,
		BasicConstraintsValid: true,
		IsCA:                  true,
	}
	caDER, err := x509.CreateCertificate(rand.Reader, caTmpl, caTmpl, &caKey.PublicKey, caKey)
	if err != nil {
		tb.Fatalf("create CA: %v", err)
	}
	ca, err := x509.ParseCertificate(caDER)
	if err != nil {
		tb.Fatalf("parse CA: %v", err)
	}
	p := &PKI{
		CA:             ca,
		CAPEM:          pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: caDER}),
		ClientPassword: "sandbox-test",
		caKey:          caKey,
	}

	serverKey := mustKey(tb)
	serverDER := p.issue(tb, &x509.Certificate{
		SerialNumber: big.NewInt(2),
		Subject:      pkix.Name{CommonName: "localhost"},
		DNSNames:     []string{"localhost"},
		IPAddresses:  []net.IP{net.IPv4(127, 0, 0, 1), net.IPv6loopback},
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}, &serverKey.PublicKey)
	p.Server = tls.Certificate{Certificate: [][]byte{serverDER}, PrivateKey: serverKey}

	clientKey, client := p.NewClient(tb, "Sandbox Test Client")
	p12, err := pkcs12.Modern.Encode(clientKey, client, []*x509.Certificate{ca}, p.ClientPassword)
	if err != nil {
		tb.Fatalf("encode PKCS#12: %v", err)
	}
	p.ClientP12 = p12
	return p
}

// NewClient issues another client certificate of the CA.
func (p *PKI) NewClient(tb testing.TB, name string) (*ecdsa.PrivateKey, *x509.Certificate) {
	tb.Helper()
	key := mustKey(tb)
	der := p.issue(tb, &x509.Certificate{
		SerialNumber: big.NewInt(time.Now().UnixNano()),
		Subject:      pkix.Name{CommonName: name},
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth},
	}, &key.PublicKey)
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		tb.Fatalf("parse client certificate: %v", err)
	}
	return key, cert
}

func (p *PKI) issue(tb testing.TB, tmpl *x509.Certificate, pub *ecdsa.PublicKey) []byte {
	tb.Helper()
	tmpl.NotBefore = p.CA.NotBefore
	tmpl.NotAfter = p.CA.NotAfter
	tmpl.KeyUsage = x509.KeyUsageDigitalSignature
	der, err := x509.CreateCertificate(rand.Reader, tmpl, p.CA, pub, p.caKey)
	if err != nil {
		tb.Fatalf("issue certificate: %v", err)
	}
	return der
}

// ServerTLS is the TLS configuration of a server that presents the
// server certificate and verifies a client certificate, if one is
// given, against the CA (the sandbox refuses API calls without one when
// its Auth is sandbox.AuthMTLS).
func (p *PKI) ServerTLS() *tls.Config {
	pool := x509.NewCertPool()
	pool.AddCert(p.CA)
	return &tls.Config{
		Certificates: []tls.Certificate{p.Server},
		ClientAuth:   tls.VerifyClientCertIfGiven,
		ClientCAs:    pool,
		MinVersion:   tls.VersionTLS12,
	}
}

// Start serves a sandbox for cfg under Prefix on a new httptest server
// (over TLS with pki's ServerTLS when pki is not nil) and closes it at
// the end of the test. cfg.BaseURL is set. It fails tb on an error.
func Start(tb testing.TB, cfg sandbox.Config, pki *PKI) (*sandbox.Sandbox, *httptest.Server) {
	tb.Helper()
	srv := httptest.NewUnstartedServer(nil)
	scheme := "http://"
	if pki != nil {
		scheme = "https://"
	}
	cfg.BaseURL = scheme + srv.Listener.Addr().String() + Prefix
	sb, err := sandbox.New(cfg)
	if err != nil {
		srv.Close()
		tb.Fatalf("sandbox: %v", err)
	}
	srv.Config.Handler = sb.Handler()
	if pki != nil {
		srv.TLS = pki.ServerTLS()
		srv.StartTLS()
	} else {
		srv.Start()
	}
	tb.Cleanup(srv.Close)
	return sb, srv
}

func mustKey(tb testing.TB) *ecdsa.PrivateKey {
	tb.Helper()
	k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		tb.Fatalf("generate key: %v", err)
	}
	return k
}
