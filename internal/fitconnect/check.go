package fitconnect

import (
	"context"
	"errors"
	"fmt"

	"github.com/antrag/antrag/internal/delivery"
	"github.com/antrag/antrag/internal/tenant"
)

var _ delivery.Checker = (*Sender)(nil)

// Check does what a delivery does before it announces a submission, with
// the tenant's sender account: it obtains a token, reads the destination
// (it must be active and, if it lists services, accept the service's
// LeiKa key) and reads its encryption key and checks the key's
// certificate chain against the trust anchors. Nothing is announced or
// sent.
func (s *Sender) Check(ctx context.Context, tenantID string, svc *tenant.Service, t *delivery.Target) (string, error) {
	if t == nil || t.Kind != delivery.FITConnect {
		return "", errors.New("FIT-Connect: kein FIT-Connect-Ziel")
	}
	c, err := s.client(ctx, tenantID)
	if err != nil {
		return "", err
	}
	dest, err := c.Destination(ctx, t.DestinationID)
	if err != nil {
		return "", err
	}
	if dest.Status != "active" {
		return "", fmt.Errorf("FIT-Connect: Der Zustellpunkt ist nicht aktiv (Status %q)", dest.Status)
	}
	if svc != nil && len(dest.Services) > 0 {
		urn := LeikaURN(svc.Leistungsschluessel)
		if urn == "" {
			return "", errors.New("FIT-Connect: Der Dienst hat keinen gültigen Leistungsschlüssel (LeiKa, 14 Ziffern)")
		}
		if !dest.Offers(urn) {
			return "", fmt.Errorf("FIT-Connect: Der Zustellpunkt nimmt die Leistung %s nicht an", urn)
		}
	}
	key, err := c.DestinationKey(ctx, t.DestinationID, dest.EncryptionKid)
	if err != nil {
		return "", err
	}
	if err := CheckEncryptionKey(key, s.cfg.Roots, s.cfg.Now()); err != nil {
		return "", err
	}
	return "Der Zustellpunkt ist aktiv, nimmt die Leistung an und hat einen gültigen Verschlüsselungsschlüssel.", nil
}
