package deliverytest

import (
	"strings"
	"testing"
	"time"

	"github.com/antrag/antrag/internal/delivery"
)

func TestFormat(t *testing.T) {
	next := time.Date(2026, 1, 15, 10, 0, 0, 0, time.UTC)
	ds := []*delivery.Delivery{
		{ID: "d-1", Target: delivery.Target{Kind: delivery.Webhook, Secret: "whsec_geheim"}, State: delivery.Pending,
			Attempts: 2, LastError: "Webhook antwortete 503", NextAttempt: next},
		{ID: "d-2", Target: delivery.Target{Kind: delivery.FITConnect}, State: delivery.Rejected, Attempts: 1, Reason: "Formular veraltet"},
		nil,
	}
	got := Format(ds)
	for _, want := range []string{
		`d-1 webhook ausstehend, round 0, attempts 2, last error "Webhook antwortete 503", next attempt 2026-01-15T10:00:00.000Z (`,
		`d-2 fitconnect abgelehnt, round 0, attempts 1, reason "Formular veraltet", no next attempt`,
		"<nil>",
	} {
		if !strings.Contains(got, want) {
			t.Errorf("Format lacks %q:\n%s", want, got)
		}
	}
	if strings.Contains(got, "0x") || strings.Contains(got, "whsec_") {
		t.Errorf("Format shows an address or the secret:\n%s", got)
	}
	if got := Format(nil); got != "no deliveries" {
		t.Errorf("Format(nil) = %q", got)
	}
}
