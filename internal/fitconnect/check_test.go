package fitconnect_test

import (
	"context"
	"crypto/x509"
	"strings"
	"testing"

	"github.com/google/uuid"

	"github.com/antrag/antrag/internal/delivery"
	"github.com/antrag/antrag/internal/tenant"
)

func TestCheckDestination(t *testing.T) {
	e := newEnv(t, envOpts{})
	ctx := context.Background()
	svc := &tenant.Service{Leistungsschluessel: e2eLeika}
	target := &delivery.Target{Kind: delivery.FITConnect, DestinationID: e.destID}
	note, err := e.sender.Check(ctx, "tenant-musterstadt", svc, target)
	if err != nil || !strings.Contains(note, "aktiv") {
		t.Fatalf("Check: %q, %v", note, err)
	}
	if _, err := e.sender.Check(ctx, "tenant-musterstadt", &tenant.Service{Leistungsschluessel: "99000000000000"}, target); err == nil ||
		!strings.Contains(err.Error(), "nimmt die Leistung") {
		t.Errorf("other service: %v", err)
	}
	if _, err := e.sender.Check(ctx, "tenant-musterstadt", svc, &delivery.Target{Kind: delivery.FITConnect, DestinationID: uuid.NewString()}); err == nil {
		t.Error("an unknown destination passed")
	}
	if _, err := e.sender.Check(ctx, "tenant-anders", svc, target); err == nil || !strings.Contains(err.Error(), "Sender-Zugang") {
		t.Errorf("tenant without account: %v", err)
	}
	if _, err := e.newSender(x509.NewCertPool()).Check(ctx, "tenant-musterstadt", svc, target); err == nil {
		t.Error("a key without trusted chain passed")
	}
}
