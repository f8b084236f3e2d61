package webhook

import (
	"context"
	"errors"
	"fmt"
	"net/http"

	"github.com/antrag/antrag/internal/delivery"
	"github.com/antrag/antrag/internal/tenant"
)

var _ delivery.Checker = (*Sender)(nil)

// Check asks the target's address with a HEAD request (no body, no
// signature, no application data), through the same client a delivery
// uses: it shows that the host resolves, accepts the connection and, for
// https, presents a certificate the system trusts. Any answer but a
// redirect, 404/410 or a server error (5xx) counts as reachable: a
// receiver that takes only signed POSTs may well refuse a HEAD with 401,
// 403 or 405.
func (s *Sender) Check(ctx context.Context, _ string, _ *tenant.Service, t *delivery.Target) (string, error) {
	if t == nil || t.Kind != delivery.Webhook {
		return "", errors.New("Webhook: kein Webhook-Ziel")
	}
	if err := t.Validate(); err != nil {
		return "", err
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodHead, t.URL, nil)
	if err != nil {
		return "", fmt.Errorf("Webhook-Adresse ungültig: %w", err)
	}
	req.Header.Set("User-Agent", UserAgent)
	resp, err := s.client().Do(req)
	if err != nil {
		return "", transportError(ctx, err)
	}
	resp.Body.Close()
	code := resp.StatusCode
	switch {
	case code >= 300 && code < 400:
		return "", fmt.Errorf("Der Empfänger leitet um (HTTP %d); Webhooks folgen keiner Umleitung: bitte die Zieladresse anpassen", code)
	case code == http.StatusNotFound || code == http.StatusGone:
		return "", fmt.Errorf("Die Adresse gibt es beim Empfänger nicht (HTTP %d)", code)
	case code >= 500:
		return "", fmt.Errorf("Der Empfänger meldet einen Serverfehler (HTTP %d)", code)
	}
	return fmt.Sprintf("Der Empfänger ist erreichbar und antwortete mit HTTP %d.", code), nil
}
