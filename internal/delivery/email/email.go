// Package email sends the notice of delivery.Email targets: a short plain
// text e-mail telling an authority's mailbox that a new application has
// arrived, with its Vorgangsnummer, its fee and payment state (with the
// Kassenzeichen of a fee paid online) and a link into the caseworker
// inbox.
//
// The notice deliberately carries no personal data: none of the
// application's data, no attachment and no attachment name, because plain
// e-mail is neither end-to-end encrypted nor reliably transport-encrypted
// beyond the first hop. Caseworkers read the application in the inbox
// after logging in.
//
// Mail is submitted over SMTP (RFC 5321) with github.com/wneessen/go-mail:
// STARTTLS (RFC 3207) is mandatory by default; implicit TLS (RFC 8314) and,
// for loopback servers only, plain SMTP can be chosen. The Message-ID
// (RFC 5322 section 3.6.4) is derived from the delivery id, so that a retry
// after a lost answer carries the same id and receivers can recognise the
// duplicate. "Auto-Submitted: auto-generated" (RFC 3834) keeps
// auto-responders quiet.
package email

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"net/mail"
	"net/textproto"
	"strconv"
	"strings"
	"time"

	gomail "github.com/wneessen/go-mail"

	"github.com/antrag/antrag/internal/apperr"
	"github.com/antrag/antrag/internal/delivery"
)

// TLS modes for Sender.TLS.
const (
	// StartTLS upgrades the connection with STARTTLS and fails if the
	// server does not offer it (default; submission port 587).
	StartTLS = "starttls"
	// ImplicitTLS speaks TLS from the first byte (port 465).
	ImplicitTLS = "tls"
	// NoTLS sends in the clear; allowed only for loopback hosts
	// ("localhost", 127.0.0.0/8, ::1), such as a local relay or a test
	// server.
	NoTLS = "none"
)

// DefaultTimeout bounds connecting and each SMTP command when
// Sender.Timeout is 0.
const DefaultTimeout = 30 * time.Second

// Sender delivers parcels of kind delivery.Email through one SMTP server.
// Call Validate at start-up; Send validates again and fails (retryably)
// while the configuration is wrong.
type Sender struct {
	// Addr is the SMTP server as host:port, e.g. "mail.example.org:587".
	Addr string
	// Username and Password authenticate with SMTP AUTH when Username is
	// not empty. The mechanism is chosen from what the server offers;
	// PLAIN and LOGIN are only used over TLS.
	Username, Password string
	// From is the sender, e.g. "antrag@musterstadt.de" or
	// "Online-Antrag <antrag@musterstadt.de>" (RFC 5322 mailbox).
	From string
	// TLS is StartTLS (also for ""), ImplicitTLS or NoTLS.
	TLS string
	// TLSConfig, if set, is used for the TLS connection (e.g. to trust a
	// private CA); ServerName defaults to the host of Addr. nil means the
	// system roots, TLS 1.2 or newer.
	TLSConfig *tls.Config
	// Timeout bounds connecting and each SMTP command; 0 means
	// DefaultTimeout. A sooner deadline of the context wins.
	Timeout time.Duration
	// Now is the clock for the Date header; nil means time.Now.
	Now func() time.Time
}

var _ delivery.Sender = (*Sender)(nil)

// Validate checks the configuration. Errors wrap apperr.Invalid and are
// phrased in German for an operator.
func (s *Sender) Validate() error {
	_, _, _, err := s.config()
	return err
}

// config returns the validated host, port and sender address.
func (s *Sender) config() (host string, port int, from *mail.Address, err error) {
	h, p, err := net.SplitHostPort(s.Addr)
	if err == nil {
		port, err = strconv.Atoi(p)
	}
	if err != nil || h == "" || port < 1 || port > 65535 {
		return "", 0, nil, fmt.Errorf("SMTP-Server %q: Host:Port erwartet: %w", s.Addr, apperr.Invalid)
	}
	switch s.TLS {
	case "", StartTLS, ImplicitTLS:
	case NoTLS:
		if !isLoopback(h) {
			return "", 0, nil, fmt.Errorf("SMTP ohne TLS ist nur für localhost erlaubt, nicht für %q: %w", h, apperr.Invalid)
		}
	default:
		return "", 0, nil, fmt.Errorf("SMTP-TLS %q: starttls, tls oder none: %w", s.TLS, apperr.Invalid)
	}
	from, err = mail.ParseAddress(s.From)
	if err != nil || !strings.Contains(from.Address, "@") {
		return "", 0, nil, fmt.Errorf("Absenderadresse %q ist ungültig: %w", s.From, apperr.Invalid)
	}
	if s.Timeout < 0 {
		return "", 0, nil, fmt.Errorf("SMTP-Zeitlimit %s ist negativ: %w", s.Timeout, apperr.Invalid)
	}
	return h, port, from, nil
}

func isLoopback(host string) bool {
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// Send mails the notice for p to p.Delivery.Target.Address and returns
// Outcome{State: delivery.Delivered} once the SMTP server has accepted it.
//
// Errors are phrased in German for staff and contain no personal data:
//   - delivery.Permanent: the target or parcel is unusable (no valid
//     address, no inbox link), or the server refused the message with a
//     5xx reply to MAIL FROM, RCPT TO or DATA (e.g. 550 unknown mailbox);
//   - retryable: a wrong Sender configuration (fixed by the operator, after
//     which queued notices go out), connection and TLS failures, replies
//     while connecting or authenticating (also 5xx such as 535: they
//     concern antrag's own account, not the target), and 4xx replies.
func (s *Sender) Send(ctx context.Context, p *delivery.Parcel) (delivery.Outcome, error) {
	host, port, from, err := s.config()
	if err != nil {
		return delivery.Outcome{}, fmt.Errorf("E-Mail-Versand ist falsch eingerichtet: %w", err)
	}
	if p == nil || p.Delivery == nil || p.Submission == nil || p.Tenant == nil || p.Service == nil {
		return delivery.Outcome{}, delivery.Permanent(errors.New("E-Mail-Hinweis: Zustellung unvollständig (interner Fehler)"))
	}
	t := p.Delivery.Target
	if t.Kind != delivery.Email {
		return delivery.Outcome{}, delivery.Permanent(fmt.Errorf("E-Mail-Hinweis: Zustellart %q statt email (interner Fehler)", t.Kind))
	}
	if err := t.Validate(); err != nil {
		return delivery.Outcome{}, delivery.Permanent(err)
	}
	if p.InboxURL == "" {
		return delivery.Outcome{}, delivery.Permanent(errors.New("E-Mail-Hinweis: Link zum Posteingang fehlt (interner Fehler)"))
	}
	if p.Delivery.ID == "" || strings.ContainsFunc(p.Delivery.ID, func(r rune) bool {
		return !(r == '-' || r >= '0' && r <= '9' || r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z')
	}) {
		return delivery.Outcome{}, delivery.Permanent(errors.New("E-Mail-Hinweis: Zustellungs-ID ungültig (interner Fehler)"))
	}

	now := time.Now
	if s.Now != nil {
		now = s.Now
	}
	msg, err := s.message(p, from, now())
	if err != nil {
		return delivery.Outcome{}, delivery.Permanent(fmt.Errorf("E-Mail-Hinweis aufbauen: %w", err))
	}

	client, err := s.newClient(ctx, host, port)
	if err != nil {
		return delivery.Outcome{}, fmt.Errorf("E-Mail-Versand ist falsch eingerichtet: %w", err)
	}

	conn, err := client.DialToSMTPClientWithContext(ctx)
	if err != nil {
		return delivery.Outcome{}, dialError(ctx, s.Addr, err)
	}
	defer client.CloseWithSMTPClient(conn) // after acceptance a failing QUIT does not matter
	stop := context.AfterFunc(ctx, func() { conn.Close() })
	defer stop()

	if err := client.SendWithSMTPClient(conn, msg); err != nil {
		if ctx.Err() != nil {
			return delivery.Outcome{}, fmt.Errorf("E-Mail-Hinweis: Versand abgebrochen: %w", ctx.Err())
		}
		return delivery.Outcome{}, sendError(err)
	}
	return delivery.Outcome{State: delivery.Delivered}, nil
}

// newClient is the SMTP client of the configuration for host and port,
// with the timeout of s (or ctx's sooner deadline), the TLS policy and the
// authentication.
func (s *Sender) newClient(ctx context.Context, host string, port int) (*gomail.Client, error) {
	timeout := s.Timeout
	if timeout == 0 {
		timeout = DefaultTimeout
	}
	if dl, ok := ctx.Deadline(); ok {
		if left := time.Until(dl); left < timeout {
			timeout = max(left, time.Millisecond)
		}
	}
	tlsConf := &tls.Config{MinVersion: tls.VersionTLS12}
	if s.TLSConfig != nil {
		tlsConf = s.TLSConfig.Clone()
	}
	if tlsConf.ServerName == "" {
		tlsConf.ServerName = host
	}
	opts := []gomail.Option{
		gomail.WithPort(port),
		gomail.WithTimeout(timeout),
		gomail.WithTLSConfig(tlsConf),
	}
	switch s.TLS {
	case ImplicitTLS:
		opts = append(opts, gomail.WithSSL())
	case NoTLS:
		opts = append(opts, gomail.WithTLSPolicy(gomail.NoTLS))
	default:
		opts = append(opts, gomail.WithTLSPolicy(gomail.TLSMandatory))
	}
	if s.Username != "" {
		opts = append(opts, gomail.WithSMTPAuth(gomail.SMTPAuthAutoDiscover),
			gomail.WithUsername(s.Username), gomail.WithPassword(s.Password))
	}
	return gomail.NewClient(host, opts...)
}

// dialError phrases a failure while connecting, greeting, starting TLS or
// authenticating. It is always retryable.
func dialError(ctx context.Context, addr string, err error) error {
	if ctx.Err() != nil {
		return fmt.Errorf("E-Mail-Hinweis: Versand abgebrochen: %w", ctx.Err())
	}
	var tp *textproto.Error
	if errors.As(err, &tp) {
		return fmt.Errorf("SMTP-Server %s lehnte den Verbindungsaufbau oder die Anmeldung ab (%d)", addr, tp.Code)
	}
	var cv *tls.CertificateVerificationError
	if errors.As(err, &cv) {
		return fmt.Errorf("SMTP-Server %s: TLS-Zertifikat nicht vertrauenswürdig: %w", addr, err)
	}
	var ne net.Error
	if errors.As(err, &ne) && ne.Timeout() {
		return fmt.Errorf("SMTP-Server %s antwortete nicht rechtzeitig: %w", addr, err)
	}
	return fmt.Errorf("SMTP-Server %s nicht erreichbar oder Verbindung fehlgeschlagen: %w", addr, err)
}

// sendError phrases a failure of the mail transaction. 5xx replies are
// permanent. The server's reply text is left out (it may echo addresses);
// the reply code and the enhanced status code (RFC 3463) are kept.
func sendError(err error) error {
	var se *gomail.SendError
	if !errors.As(err, &se) {
		return fmt.Errorf("E-Mail-Hinweis konnte nicht gesendet werden: %w", err)
	}
	what := "die Nachricht"
	switch se.Reason {
	case gomail.ErrSMTPMailFrom:
		what = "den Absender"
	case gomail.ErrSMTPRcptTo:
		what = "den Empfänger"
	}
	code := se.ErrorCode()
	if code < 400 {
		return fmt.Errorf("E-Mail-Hinweis konnte nicht gesendet werden (%s)", se.Reason)
	}
	reply := strconv.Itoa(code)
	if esc := se.EnhancedStatusCode(); esc != "" {
		reply += " " + esc
		if d := describeStatus(esc); d != "" {
			reply += ", " + d
		}
	}
	if code >= 500 {
		return delivery.Permanent(fmt.Errorf("SMTP-Server lehnte %s ab (%s)", what, reply))
	}
	return fmt.Errorf("SMTP-Server wies %s vorübergehend ab (%s)", what, reply)
}

// describeStatus names the subject of an enhanced status code "c.s.d" in
// German (RFC 3463 section 3).
func describeStatus(esc string) string {
	parts := strings.Split(esc, ".")
	if len(parts) != 3 {
		return ""
	}
	switch parts[1] + "." + parts[2] {
	case "1.1":
		return "Postfach unbekannt"
	case "2.2":
		return "Postfach voll"
	case "3.4":
		return "Nachricht zu groß"
	}
	switch parts[1] {
	case "1":
		return "Adressfehler"
	case "2":
		return "Postfachfehler"
	case "3":
		return "Fehler im Mailsystem"
	case "4":
		return "Netz- oder Weiterleitungsfehler"
	case "5":
		return "Protokollfehler"
	case "6":
		return "Inhalt abgelehnt"
	case "7":
		return "Sicherheits- oder Richtlinienverstoß"
	}
	return ""
}
