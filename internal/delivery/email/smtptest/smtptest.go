// Package smtptest runs an in-process SMTP server (RFC 5321) on 127.0.0.1
// for tests, built on github.com/emersion/go-smtp. It keeps every accepted
// message in memory and can be told to reject recipients with a reply code
// or to require AUTH PLAIN (RFC 4954, RFC 4616).
//
// Start serves plain SMTP (use TLS "none" in the client, which antrag only
// allows for loopback hosts); StartTLS also offers STARTTLS (RFC 3207) with
// a throw-away self-signed certificate that ClientTLSConfig trusts.
package smtptest

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"errors"
	"fmt"
	"io"
	"log"
	"math/big"
	"net"
	"slices"
	"sync"
	"time"

	"github.com/emersion/go-sasl"
	"github.com/emersion/go-smtp"
)

// Message is one accepted message.
type Message struct {
	From string   // envelope sender (MAIL FROM)
	To   []string // envelope recipients (RCPT TO)
	Data []byte   // the raw message (RFC 5322) as received, CRLF line ends
	// Username is who authenticated with AUTH PLAIN, "" without AUTH.
	Username string
	// TLS reports whether the message came over STARTTLS.
	TLS bool
}

// Server is a running test server. Its methods are safe for concurrent use.
type Server struct {
	srv       *smtp.Server
	l         net.Listener
	addr      string
	clientTLS *tls.Config
	served    chan struct{}

	mu       sync.Mutex
	msgs     []Message
	reject   *smtp.SMTPError
	username string
	password string
}

// Start listens on 127.0.0.1 at a free port and serves plain SMTP without
// STARTTLS. Close it when done.
func Start() (*Server, error) { return start(false) }

// StartTLS is Start with STARTTLS offered, using a fresh self-signed
// certificate for 127.0.0.1, ::1 and localhost (ECDSA P-256, valid for one
// hour). Clients must use ClientTLSConfig to trust it.
func StartTLS() (*Server, error) { return start(true) }

func start(withTLS bool) (*Server, error) {
	s := &Server{served: make(chan struct{})}
	be := smtp.BackendFunc(func(c *smtp.Conn) (smtp.Session, error) {
		return &session{srv: s, conn: c}, nil
	})
	s.srv = smtp.NewServer(be)
	s.srv.Domain = "localhost"
	s.srv.ReadTimeout = time.Minute
	s.srv.WriteTimeout = time.Minute
	s.srv.MaxMessageBytes = 32 << 20
	s.srv.MaxRecipients = 50
	s.srv.ErrorLog = log.New(io.Discard, "", 0)
	if withTLS {
		cert, pool, err := selfSigned()
		if err != nil {
			return nil, fmt.Errorf("smtptest: certificate: %w", err)
		}
		s.srv.TLSConfig = &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12}
		s.clientTLS = &tls.Config{RootCAs: pool, ServerName: "127.0.0.1", MinVersion: tls.VersionTLS12}
	} else {
		// Lets tests exercise AUTH over a loopback connection without TLS.
		s.srv.AllowInsecureAuth = true
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, fmt.Errorf("smtptest: listen: %w", err)
	}
	s.l = l
	s.addr = l.Addr().String()
	go func() {
		defer close(s.served)
		s.srv.Serve(l)
	}()
	return s, nil
}

// Addr is the server's "127.0.0.1:port".
func (s *Server) Addr() string { return s.addr }

// ClientTLSConfig returns a TLS client configuration that trusts the
// server's certificate (ServerName "127.0.0.1"), or nil for a server from
// Start.
func (s *Server) ClientTLSConfig() *tls.Config {
	if s.clientTLS == nil {
		return nil
	}
	return s.clientTLS.Clone()
}

// Messages returns copies of the accepted messages in arrival order.
func (s *Server) Messages() []Message {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]Message, len(s.msgs))
	for i, m := range s.msgs {
		m.To = slices.Clone(m.To)
		m.Data = slices.Clone(m.Data)
		out[i] = m
	}
	return out
}

// Reject makes the server answer every following RCPT TO with code (400
// to 599) and text, e.g. Reject(550, "Postfach unbekannt") or Reject(451,
// "Bitte später erneut versuchen"). The enhanced status code (RFC 3463) is
// class.0.0. Reject(0, "") accepts recipients again.
func (s *Server) Reject(code int, text string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if code == 0 {
		s.reject = nil
		return
	}
	s.reject = &smtp.SMTPError{Code: code, EnhancedCode: smtp.EnhancedCode{code / 100, 0, 0}, Message: text}
}

// RequireAuth makes the server offer AUTH PLAIN and refuse MAIL FROM (530)
// until a client has authenticated with these credentials.
// RequireAuth("", "") switches authentication off again.
func (s *Server) RequireAuth(username, password string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.username, s.password = username, password
}

// Close stops the server and closes open connections.
func (s *Server) Close() error {
	err := s.srv.Close()
	// Serve registers the listener only once it runs; close it here too,
	// so that Close right after Start does not wait forever.
	s.l.Close()
	<-s.served
	if errors.Is(err, smtp.ErrServerClosed) {
		return nil
	}
	return err
}

// session is one SMTP connection.
type session struct {
	srv  *Server
	conn *smtp.Conn
	user string
	from string
	to   []string
}

var _ smtp.AuthSession = (*session)(nil)

func (ss *session) AuthMechanisms() []string {
	ss.srv.mu.Lock()
	defer ss.srv.mu.Unlock()
	if ss.srv.username == "" {
		return nil
	}
	return []string{sasl.Plain}
}

func (ss *session) Auth(mech string) (sasl.Server, error) {
	if mech != sasl.Plain {
		return nil, smtp.ErrAuthUnknownMechanism
	}
	return sasl.NewPlainServer(func(identity, username, password string) error {
		ss.srv.mu.Lock()
		ok := ss.srv.username != "" && username == ss.srv.username && password == ss.srv.password
		ss.srv.mu.Unlock()
		if !ok || (identity != "" && identity != username) {
			return smtp.ErrAuthFailed
		}
		ss.user = username
		return nil
	}), nil
}

func (ss *session) Mail(from string, _ *smtp.MailOptions) error {
	ss.srv.mu.Lock()
	need := ss.srv.username != ""
	ss.srv.mu.Unlock()
	if need && ss.user == "" {
		return smtp.ErrAuthRequired
	}
	ss.from = from
	return nil
}

func (ss *session) Rcpt(to string, _ *smtp.RcptOptions) error {
	ss.srv.mu.Lock()
	rej := ss.srv.reject
	ss.srv.mu.Unlock()
	if rej != nil {
		return rej
	}
	ss.to = append(ss.to, to)
	return nil
}

func (ss *session) Data(r io.Reader) error {
	data, err := io.ReadAll(r)
	if err != nil {
		return err
	}
	_, isTLS := ss.conn.TLSConnectionState()
	ss.srv.mu.Lock()
	ss.srv.msgs = append(ss.srv.msgs, Message{From: ss.from, To: slices.Clone(ss.to), Data: data, Username: ss.user, TLS: isTLS})
	ss.srv.mu.Unlock()
	return nil
}

func (ss *session) Reset() {
	ss.from = ""
	ss.to = nil
}

func (ss *session) Logout() error { return nil }

// selfSigned makes a certificate for the loopback names and a pool that
// trusts it.
func selfSigned() (tls.Certificate, *x509.CertPool, error) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return tls.Certificate{}, nil, err
	}
	serial, err := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 128))
	if err != nil {
		return tls.Certificate{}, nil, err
	}
	now := time.Now()
	tmpl := &x509.Certificate{
		SerialNumber:          serial,
		Subject:               pkix.Name{CommonName: "smtptest"},
		NotBefore:             now.Add(-time.Minute),
		NotAfter:              now.Add(time.Hour),
		KeyUsage:              x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign,
		ExtKeyUsage:           []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		BasicConstraintsValid: true,
		IsCA:                  true,
		DNSNames:              []string{"localhost"},
		IPAddresses:           []net.IP{net.IPv4(127, 0, 0, 1), net.IPv6loopback},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		return tls.Certificate{}, nil, err
	}
	leaf, err := x509.ParseCertificate(der)
	if err != nil {
		return tls.Certificate{}, nil, err
	}
	pool := x509.NewCertPool()
	pool.AddCert(leaf)
	return tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key, Leaf: leaf}, pool, nil
}
