package email

import (
	"bytes"
	"context"
	"encoding/base64"
	"errors"
	"io"
	"mime"
	"mime/quotedprintable"
	"net"
	"net/mail"
	"strings"
	"testing"
	"time"

	"github.com/antrag/antrag/internal/apperr"
	"github.com/antrag/antrag/internal/delivery"
	"github.com/antrag/antrag/internal/delivery/email/smtptest"
	"github.com/antrag/antrag/internal/submission"
	"github.com/antrag/antrag/internal/tenant"
)

// secret is personal data in the test submission; it must never appear in
// a notice.
const secret = "Mustermann-Geheim"

var sentAt = time.Date(2026, 11, 29, 13, 5, 0, 0, time.UTC)

func newParcel() *delivery.Parcel {
	content := []byte("%PDF-1.7 Ausweis von " + secret)
	return &delivery.Parcel{
		Delivery: &delivery.Delivery{
			ID: "6f1c1a52-8f55-4c6b-9d61-0c1f3c0b7e10", TenantID: "t1", SubmissionID: "s1",
			Target: delivery.Target{ID: "tg1", TenantID: "t1", ServiceID: "sv1", Kind: delivery.Email,
				Address: "buergeramt@musterstadt.example"},
			State: delivery.Pending,
		},
		Tenant: &tenant.Tenant{ID: "t1", Slug: "musterstadt", Name: "Stadt Musterstadt", Kind: tenant.Gemeinde, ARS: "091620000000"},
		Service: &tenant.Service{ID: "sv1", TenantID: "t1", Slug: "fuehrungszeugnis", Name: "Führungszeugnis beantragen",
			Leistungsschluessel: "99012013000000"},
		Submission: &submission.Submission{ID: "s1", TenantID: "t1", ServiceID: "sv1", Reference: "A7K-3QX-9PM",
			Status: submission.Eingegangen,
			Data:   []byte(`{"antragsteller":{"familienname":"` + secret + `","vorname":"Erika","geburtsort":"Geheimhausen"}}`),
			// 12:00 UTC is 13:00 in Berlin (CET).
			SubmittedAt: time.Date(2026, 11, 29, 12, 0, 0, 0, time.UTC)},
		Attachments: []*submission.Attachment{{ID: "a1", TenantID: "t1", SubmissionID: "s1",
			Filename: secret + "-Ausweis.pdf", MediaType: "application/pdf", Size: int64(len(content))}},
		Open: func(context.Context, *submission.Attachment) (io.ReadCloser, error) {
			return io.NopCloser(bytes.NewReader(content)), nil
		},
		SchemaURI: "https://schema.example/fz/1.json",
		InboxURL:  "https://musterstadt.example/posteingang/antraege/s1",
	}
}

func startServer(t *testing.T, withTLS bool) *smtptest.Server {
	t.Helper()
	start := smtptest.Start
	if withTLS {
		start = smtptest.StartTLS
	}
	srv, err := start()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { srv.Close() })
	return srv
}

// plainSender sends to addr without TLS. Its timeout only ends a server
// that hangs: the in-process server answers at once on an idle machine,
// not always on a loaded one.
func plainSender(addr string) *Sender {
	return &Sender{Addr: addr, From: "Online-Antrag <antrag@musterstadt.example>", TLS: NoTLS,
		Timeout: time.Minute, Now: func() time.Time { return sentAt }}
}

// decoded is a received message with decoded subject and body.
type decoded struct {
	header  mail.Header
	subject string
	body    string
}

func decode(t *testing.T, raw []byte) decoded {
	t.Helper()
	m, err := mail.ReadMessage(bytes.NewReader(raw))
	if err != nil {
		t.Fatalf("message does not parse: %v\n%s", err, raw)
	}
	subject, err := new(mime.WordDecoder).DecodeHeader(m.Header.Get("Subject"))
	if err != nil {
		t.Fatalf("subject: %v", err)
	}
	var r io.Reader = m.Body
	switch strings.ToLower(m.Header.Get("Content-Transfer-Encoding")) {
	case "quoted-printable":
		r = quotedprintable.NewReader(r)
	case "base64":
		r = base64.NewDecoder(base64.StdEncoding, r)
	}
	body, err := io.ReadAll(r)
	if err != nil {
		t.Fatalf("body: %v", err)
	}
	return decoded{header: m.Header, subject: subject, body: strings.ReplaceAll(string(body), "\r\n", "\n")}
}

func TestSendNotice(t *testing.T) {
	srv := startServer(t, false)
	p := newParcel()
	out, err := plainSender(srv.Addr()).Send(context.Background(), p)
	if err != nil {
		t.Fatalf("Send: %v", err)
	}
	if out.State != delivery.Delivered {
		t.Errorf("State = %q, want %q", out.State, delivery.Delivered)
	}
	msgs := srv.Messages()
	if len(msgs) != 1 {
		t.Fatalf("%d messages, want 1", len(msgs))
	}
	m := msgs[0]
	if m.From != "antrag@musterstadt.example" {
		t.Errorf("MAIL FROM = %q", m.From)
	}
	if len(m.To) != 1 || m.To[0] != "buergeramt@musterstadt.example" {
		t.Errorf("RCPT TO = %q", m.To)
	}

	d := decode(t, m.Data)
	if want := "Neuer Antrag: Führungszeugnis beantragen (A7K-3QX-9PM)"; d.subject != want {
		t.Errorf("Subject = %q, want %q", d.subject, want)
	}
	if got := d.header.Get("To"); got != "<buergeramt@musterstadt.example>" && got != "buergeramt@musterstadt.example" {
		t.Errorf("To = %q", got)
	}
	if got := d.header.Get("Message-Id"); got != "<antrag.6f1c1a52-8f55-4c6b-9d61-0c1f3c0b7e10@musterstadt.example>" {
		t.Errorf("Message-ID = %q", got)
	}
	if got := d.header.Get("Auto-Submitted"); got != "auto-generated" {
		t.Errorf("Auto-Submitted = %q", got)
	}
	if date, err := d.header.Date(); err != nil || !date.Equal(sentAt) {
		t.Errorf("Date = %v (%v), want %v", date, err, sentAt)
	}
	if ct := d.header.Get("Content-Type"); !strings.HasPrefix(ct, "text/plain") {
		t.Errorf("Content-Type = %q, want text/plain", ct)
	}
	for _, want := range []string{
		"Stadt Musterstadt",
		"„Führungszeugnis beantragen“",
		"am 29.11.2026 um 13:00 Uhr",
		"Vorgangsnummer: A7K-3QX-9PM",
		"\nhttps://musterstadt.example/posteingang/antraege/s1\n",
		"Anmeldung",
		"keine personenbezogenen Daten",
	} {
		if !strings.Contains(d.body, want) {
			t.Errorf("body lacks %q:\n%s", want, d.body)
		}
	}

	// No personal data and no attachment, neither raw nor decoded.
	for _, leak := range []string{secret, "Mustermann", "Geheimhausen", "Erika", "Ausweis", "%PDF"} {
		if bytes.Contains(m.Data, []byte(leak)) || strings.Contains(d.body, leak) || strings.Contains(d.subject, leak) {
			t.Errorf("message contains %q", leak)
		}
	}
	if strings.Contains(strings.ToLower(d.header.Get("Content-Type")), "multipart") {
		t.Errorf("message is multipart: %s", d.header.Get("Content-Type"))
	}
}

func TestSendSameMessageIDOnRetry(t *testing.T) {
	srv := startServer(t, false)
	s := plainSender(srv.Addr())
	p := newParcel()
	for range 2 {
		if _, err := s.Send(context.Background(), p); err != nil {
			t.Fatal(err)
		}
	}
	msgs := srv.Messages()
	if len(msgs) != 2 {
		t.Fatalf("%d messages, want 2", len(msgs))
	}
	a, b := decode(t, msgs[0].Data).header.Get("Message-Id"), decode(t, msgs[1].Data).header.Get("Message-Id")
	if a == "" || a != b {
		t.Errorf("Message-IDs %q and %q differ", a, b)
	}
}

func TestSendRejected(t *testing.T) {
	for _, tt := range []struct {
		code      int
		permanent bool
		want      string
	}{
		{550, true, "SMTP-Server lehnte den Empfänger ab (550 5.0.0"},
		{554, true, "554"},
		{451, false, "vorübergehend"},
		{421, false, "421"},
	} {
		t.Run(tt.want, func(t *testing.T) {
			srv := startServer(t, false)
			srv.Reject(tt.code, "Nein, buergeramt@musterstadt.example")
			_, err := plainSender(srv.Addr()).Send(context.Background(), newParcel())
			if err == nil {
				t.Fatal("Send succeeded")
			}
			if got := delivery.IsPermanent(err); got != tt.permanent {
				t.Errorf("IsPermanent = %v, want %v (%v)", got, tt.permanent, err)
			}
			if !strings.Contains(err.Error(), tt.want) {
				t.Errorf("error %q does not contain %q", err, tt.want)
			}
			if strings.Contains(err.Error(), "Nein") {
				t.Errorf("error repeats the server text: %q", err)
			}
			if n := len(srv.Messages()); n != 0 {
				t.Errorf("%d messages accepted", n)
			}
		})
	}
}

func TestSendServerDownIsRetryable(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	_, err = plainSender(addr).Send(context.Background(), newParcel())
	if err == nil {
		t.Fatal("Send succeeded without a server")
	}
	if delivery.IsPermanent(err) {
		t.Errorf("connection error is permanent: %v", err)
	}
}

func TestNoTLSOnlyForLoopback(t *testing.T) {
	for _, addr := range []string{"mail.example.org:25", "192.0.2.1:25", "[2001:db8::1]:25"} {
		s := plainSender(addr)
		if err := s.Validate(); !errors.Is(err, apperr.Invalid) {
			t.Errorf("Validate(%s) = %v, want apperr.Invalid", addr, err)
		}
		_, err := s.Send(context.Background(), newParcel())
		if err == nil || !strings.Contains(err.Error(), "ohne TLS") {
			t.Errorf("Send(%s) = %v, want refusal of TLS none", addr, err)
		}
	}
	for _, addr := range []string{"localhost:25", "127.0.0.1:25", "127.1.2.3:2525", "[::1]:25"} {
		if err := plainSender(addr).Validate(); err != nil {
			t.Errorf("Validate(%s) = %v", addr, err)
		}
	}
}

func TestValidate(t *testing.T) {
	ok := Sender{Addr: "mail.example.org:587", From: "antrag@example.org"}
	if err := ok.Validate(); err != nil {
		t.Fatalf("Validate: %v", err)
	}
	for name, mutate := range map[string]func(s *Sender){
		"no port":     func(s *Sender) { s.Addr = "mail.example.org" },
		"bad port":    func(s *Sender) { s.Addr = "mail.example.org:0" },
		"no host":     func(s *Sender) { s.Addr = ":587" },
		"unknown TLS": func(s *Sender) { s.TLS = "ssl" },
		"no from":     func(s *Sender) { s.From = "" },
		"bad from":    func(s *Sender) { s.From = "antrag" },
		"negative":    func(s *Sender) { s.Timeout = -time.Second },
	} {
		s := ok
		mutate(&s)
		if err := s.Validate(); !errors.Is(err, apperr.Invalid) {
			t.Errorf("%s: Validate = %v, want apperr.Invalid", name, err)
		}
	}
}

func TestStartTLSMandatory(t *testing.T) {
	srv := startServer(t, false) // offers no STARTTLS
	s := plainSender(srv.Addr())
	s.TLS = "" // default: starttls
	_, err := s.Send(context.Background(), newParcel())
	if err == nil {
		t.Fatal("Send succeeded without STARTTLS")
	}
	if delivery.IsPermanent(err) {
		t.Errorf("error is permanent: %v", err)
	}
	if n := len(srv.Messages()); n != 0 {
		t.Errorf("%d messages sent in the clear", n)
	}
}

func TestStartTLSWithAuth(t *testing.T) {
	srv := startServer(t, true)
	srv.RequireAuth("antrag", "s3cret")
	s := plainSender(srv.Addr())
	s.TLS = StartTLS
	s.TLSConfig = srv.ClientTLSConfig()
	s.Username, s.Password = "antrag", "s3cret"
	if _, err := s.Send(context.Background(), newParcel()); err != nil {
		t.Fatalf("Send: %v", err)
	}
	msgs := srv.Messages()
	if len(msgs) != 1 || !msgs[0].TLS || msgs[0].Username != "antrag" {
		t.Fatalf("messages = %+v, want one over TLS by antrag", msgs)
	}

	// Wrong password: retryable, since it is antrag's configuration.
	s.Password = "falsch"
	_, err := s.Send(context.Background(), newParcel())
	if err == nil || delivery.IsPermanent(err) {
		t.Errorf("err = %v, want retryable", err)
	}
	if strings.Contains(err.Error(), "falsch") {
		t.Errorf("error shows the password: %v", err)
	}

	// An untrusted certificate fails.
	s.Password = "s3cret"
	s.TLSConfig = nil
	if _, err := s.Send(context.Background(), newParcel()); err == nil {
		t.Error("Send trusted a self-signed certificate")
	}
	if n := len(srv.Messages()); n != 1 {
		t.Errorf("%d messages, want still 1", n)
	}
}

func TestNoPasswordInTheClear(t *testing.T) {
	srv := startServer(t, false) // AUTH offered without TLS
	srv.RequireAuth("antrag", "s3cret")
	s := plainSender(srv.Addr())
	s.Username, s.Password = "antrag", "s3cret"
	if _, err := s.Send(context.Background(), newParcel()); err == nil {
		t.Error("Send authenticated with PLAIN over an unencrypted connection")
	}
	if n := len(srv.Messages()); n != 0 {
		t.Errorf("%d messages accepted", n)
	}
}

func TestSendPermanentForBadParcel(t *testing.T) {
	srv := startServer(t, false)
	for name, mutate := range map[string]func(p *delivery.Parcel){
		"bad address":  func(p *delivery.Parcel) { p.Delivery.Target.Address = "keine-adresse" },
		"wrong kind":   func(p *delivery.Parcel) { p.Delivery.Target.Kind = delivery.Webhook },
		"no inbox url": func(p *delivery.Parcel) { p.InboxURL = "" },
		"bad id":       func(p *delivery.Parcel) { p.Delivery.ID = "a>b" },
	} {
		p := newParcel()
		mutate(p)
		if _, err := plainSender(srv.Addr()).Send(context.Background(), p); !delivery.IsPermanent(err) {
			t.Errorf("%s: err = %v, want permanent", name, err)
		}
	}
	if n := len(srv.Messages()); n != 0 {
		t.Errorf("%d messages sent", n)
	}
}

func TestHeaderInjection(t *testing.T) {
	srv := startServer(t, false)
	p := newParcel()
	p.Service.Name = "Hund\r\nBcc: opfer@example.org"
	if _, err := plainSender(srv.Addr()).Send(context.Background(), p); err != nil {
		t.Fatal(err)
	}
	m := srv.Messages()[0]
	if len(m.To) != 1 {
		t.Errorf("RCPT TO = %q", m.To)
	}
	if d := decode(t, m.Data); d.header.Get("Bcc") != "" {
		t.Errorf("injected Bcc header: %q", d.header.Get("Bcc"))
	}
}
