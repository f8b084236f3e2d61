package delivery

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"fmt"
	"net"
	"regexp"
	"strings"

	"github.com/antrag/antrag/internal/apperr"
	"github.com/antrag/antrag/internal/tenant"
)

var uuidRE = regexp.MustCompile(`^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$`)

func isLoopback(host string) bool {
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// WebhookSecretPrefix starts every Standard Webhooks signing secret.
const WebhookSecretPrefix = "whsec_"

// NewWebhookSecret returns a fresh signing secret: "whsec_" and the standard
// base64 of 32 random bytes.
func NewWebhookSecret() string {
	b := make([]byte, 32)
	rand.Read(b) // never returns an error (crypto/rand, Go ≥ 1.24)
	return WebhookSecretPrefix + base64.StdEncoding.EncodeToString(b)
}

// DecodeWebhookSecret returns the key bytes of a "whsec_…" secret. The
// error wraps apperr.Invalid.
func DecodeWebhookSecret(secret string) ([]byte, error) {
	b64, ok := strings.CutPrefix(secret, WebhookSecretPrefix)
	if !ok {
		return nil, fmt.Errorf("Webhook-Geheimnis beginnt nicht mit %q: %w", WebhookSecretPrefix, apperr.Invalid)
	}
	key, err := base64.StdEncoding.DecodeString(b64)
	if err != nil || len(key) < 24 || len(key) > 64 {
		return nil, fmt.Errorf("Webhook-Geheimnis: Base64 von 24 bis 64 Bytes erwartet: %w", apperr.Invalid)
	}
	return key, nil
}

// Checker tests the way to a target of its kind without delivering
// anything, for the admin's "Verbindung testen": it reaches the receiver
// as a delivery would and stops before an application would be sent.
// note says in German what was reached; the error, in German, what failed.
// Neither holds personal data or secrets.
type Checker interface {
	Check(ctx context.Context, tenantID string, svc *tenant.Service, t *Target) (note string, err error)
}
