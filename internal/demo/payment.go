package demo

import (
	"context"
	"errors"

	"github.com/antrag/antrag/internal/apperr"
	"github.com/antrag/antrag/internal/payment"
	"github.com/antrag/antrag/internal/tenant"
)

// Payment sandbox access of the demo: its authorities pay through the
// sandbox ePayment provider that --demo serves (package sandbox), as an
// ePay21 account with HTTP Basic.
const (
	PaymentUser       = "demo-kasse"
	PaymentPassword   = "Demo-Kasse-2026"
	PaymentOriginator = "antrag-demo"
)

// PaymentStore is what SeedPayments needs of the store.
type PaymentStore interface {
	ListTenants(ctx context.Context) ([]*tenant.Tenant, error)
	ListAuthorities(ctx context.Context, tenantID string) ([]*tenant.Authority, error)
	PaymentAccount(ctx context.Context, tenantID, authorityID string) (*payment.Account, error)
	SetPaymentAccount(ctx context.Context, tenantID, authorityID string, a *payment.Account, evs ...*tenant.AuditEvent) error
}

// SeedPayments gives every demo authority without an ePayment account one
// at the sandbox served at sandboxURL (ending "/"), and moves accounts of
// an earlier sandbox address to it. The endpoint id is the tenant's slug.
func SeedPayments(ctx context.Context, st PaymentStore, sandboxURL string) error {
	ts, err := st.ListTenants(ctx)
	if err != nil {
		return err
	}
	for _, t := range ts {
		if _, ok := Admins[t.Slug]; !ok {
			continue // not a demo tenant
		}
		as, err := st.ListAuthorities(ctx, t.ID)
		if err != nil {
			return err
		}
		for _, a := range as {
			acc, err := st.PaymentAccount(ctx, t.ID, a.ID)
			switch {
			case errors.Is(err, apperr.NotFound):
				acc = &payment.Account{Kind: payment.EPay21, OriginatorID: PaymentOriginator, EndpointID: t.Slug,
					Username: PaymentUser, Password: PaymentPassword}
			case err != nil:
				return err
			case acc.OriginatorID != PaymentOriginator || acc.BaseURL == sandboxURL:
				continue // the operator's own, or already there
			}
			acc.BaseURL = sandboxURL
			ev := &tenant.AuditEvent{Actor: Actor, TenantID: t.ID, Object: tenant.ObjectAuthority, ObjectID: a.ID, Action: "geändert",
				Detail: "Demo: ePayment-Konto beim Bezahldienst der Demo (Sandbox)"}
			if err := st.SetPaymentAccount(ctx, t.ID, a.ID, acc, ev); err != nil {
				return err
			}
		}
	}
	return nil
}
