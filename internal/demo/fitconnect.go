package demo

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"

	"github.com/antrag/antrag/internal/delivery"
	"github.com/antrag/antrag/internal/fim"
	"github.com/antrag/antrag/internal/fitconnect"
	"github.com/antrag/antrag/internal/fitconnect/fitconnecttest"
	"github.com/antrag/antrag/internal/tenant"
)

// Destination is the demo's FIT-Connect destination (Zustellpunkt) of
// Landkreis Beispielkreis.
const Destination = "6d3f0a52-8f1e-4c7b-9a0d-2b5e7c1f4a93"

// ForwardedService is the Musterstadt service whose applications go to
// Beispielkreis over FIT-Connect: the city offers it online, the district
// is responsible (S00000000371, LeiKa 99006053006000).
const ForwardedService = "mutterschutz-nachtarbeit"

// RoutedService is the demo's EfA service offered by both demo tenants
// and routed by postcode (LeiKa 99003021005000, FIM S05000001323).
const RoutedService = "krankheitserreger"

// Routes are what the demo's FIT-Connect Routing API answers: for the
// routed service, places in Bayern (ARS 09) go to the demo destination,
// as for an authority with a Fachverfahren of its own that no jurisdiction
// in antrag names.
var Routes = []fitconnecttest.Route{{
	LeikaKey: "99003021005000", ARS: []string{"09"}, DestinationID: Destination,
	Name: "Landratsamt Beispielhausen (Demo, über FIT-Connect)", ShortName: "LRA Beispielhausen", Origin: "Demo",
}}

// FITConnectStore is what SeedFITConnect writes to.
type FITConnectStore interface {
	Store
	delivery.Store
	delivery.AccountStore
}

// SeedFITConnect sets up FIT-Connect between the demo tenants, against the
// in-process test double that `serve --demo` runs: a destination of
// Beispielkreis with new RSA-4096 keys (certificates from a demo CA that
// exists only in the key chain), sender accounts for both tenants, and
// Musterstadt's service ForwardedService delivering to that destination.
// It does nothing when the destination exists already. Key generation
// takes a few seconds.
func SeedFITConnect(ctx context.Context, st FITConnectStore, cat *fim.Catalog) error {
	if _, err := st.FITConnectDestination(ctx, Destination); err == nil {
		return nil
	}
	kreis, err := st.TenantBySlug(ctx, "beispielkreis")
	if err != nil {
		return fmt.Errorf("demo: FIT-Connect: %w", err)
	}
	stadt, err := st.TenantBySlug(ctx, "musterstadt")
	if err != nil {
		return fmt.Errorf("demo: FIT-Connect: %w", err)
	}
	ca, err := fitconnect.NewCA("antrag Demo-CA (nur für die Demo)")
	if err != nil {
		return err
	}
	keys, err := fitconnect.GenerateDestinationKeys("Zustellpunkt Landkreis Beispielkreis (Demo)", ca)
	if err != nil {
		return err
	}
	callback := make([]byte, 32)
	rand.Read(callback)
	if err := st.SetFITConnectAccount(ctx, &delivery.FITConnectAccount{
		TenantID: kreis.ID, Role: delivery.RoleSubscriber, DestinationID: Destination,
		ClientID: "demo-beispielkreis-empfang", ClientSecret: secret(), CallbackSecret: callback, PrivateKeys: keys.PrivateJWKS,
	}); err != nil {
		return err
	}
	for _, t := range []*tenant.Tenant{stadt, kreis} {
		if err := st.SetFITConnectAccount(ctx, &delivery.FITConnectAccount{
			TenantID: t.ID, Role: delivery.RoleSender, ClientID: "demo-" + t.Slug + "-versand", ClientSecret: secret(),
		}); err != nil {
			return err
		}
	}
	svc, err := st.ServiceBySlug(ctx, stadt.ID, ForwardedService)
	if err != nil {
		// Musterstadt offers the service; the district decides.
		responsible := &tenant.Authority{TenantID: stadt.ID, Name: "Kreisverwaltung Beispielkreis, Gewerbeaufsicht",
			Address: []string{"Kreisstraße 5", "55218 Beispielstadt"}, Email: "gewerbeaufsicht@beispielkreis.example"}
		if err := st.CreateAuthority(ctx, responsible); err != nil {
			return fmt.Errorf("demo: Behörde: %w", err)
		}
		if err := publish(ctx, st, cat, stadt, responsible, service{file: "xdf3/S00000000371_xdf3.xml", slug: ForwardedService}, leikaKeys()); err != nil {
			return err
		}
		if svc, err = st.ServiceBySlug(ctx, stadt.ID, ForwardedService); err != nil {
			return err
		}
	}
	return st.SetTargets(ctx, stadt.ID, svc.ID, []*delivery.Target{{Kind: delivery.FITConnect, DestinationID: Destination}})
}

func secret() string {
	b := make([]byte, 24)
	rand.Read(b)
	return hex.EncodeToString(b)
}
