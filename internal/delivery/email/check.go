package email

import (
	"context"
	"errors"
	"fmt"

	"github.com/antrag/antrag/internal/delivery"
	"github.com/antrag/antrag/internal/tenant"
)

var _ delivery.Checker = (*Sender)(nil)

// Check connects to the SMTP server as Send does (greeting, EHLO,
// STARTTLS or implicit TLS, authentication) and quits without a mail
// transaction: nothing is sent, and the target's mailbox itself is not
// asked (RCPT TO would be the start of a message; the server answers on
// it only when a notice is sent).
func (s *Sender) Check(ctx context.Context, _ string, _ *tenant.Service, t *delivery.Target) (string, error) {
	if t == nil || t.Kind != delivery.Email {
		return "", errors.New("E-Mail-Hinweis: kein E-Mail-Ziel")
	}
	if err := t.Validate(); err != nil {
		return "", err
	}
	host, port, _, err := s.config()
	if err != nil {
		return "", fmt.Errorf("E-Mail-Versand ist falsch eingerichtet: %w", err)
	}
	client, err := s.newClient(ctx, host, port)
	if err != nil {
		return "", fmt.Errorf("E-Mail-Versand ist falsch eingerichtet: %w", err)
	}
	conn, err := client.DialToSMTPClientWithContext(ctx)
	if err != nil {
		return "", dialError(ctx, s.Addr, err)
	}
	_ = client.CloseWithSMTPClient(conn) // QUIT; its answer does not matter
	return fmt.Sprintf("Der SMTP-Server %s ist erreichbar und nahm die Anmeldung an. Ob das Postfach %s Nachrichten annimmt, zeigt erst der erste Hinweis.",
		s.Addr, t.Address), nil
}
