package storetest

import (
	"context"
	"encoding/json"
	"reflect"
	"testing"

	"github.com/antrag/antrag/internal/apperr"
	"github.com/antrag/antrag/internal/payment"
	"github.com/antrag/antrag/internal/tenant"
)

// PaymentStore keeps the fees of services and authorities and the
// authorities' ePayment provider accounts.
type PaymentStore interface {
	AuthorityFee(ctx context.Context, tenantID, authorityID, serviceID string) (*payment.Fee, error)
	AuthorityFees(ctx context.Context, tenantID, authorityID string) (map[string]*payment.Fee, error)
	SetAuthorityFee(ctx context.Context, tenantID, authorityID, serviceID string, f *payment.Fee, evs ...*tenant.AuditEvent) error
	PaymentAccount(ctx context.Context, tenantID, authorityID string) (*payment.Account, error)
	SetPaymentAccount(ctx context.Context, tenantID, authorityID string, a *payment.Account, evs ...*tenant.AuditEvent) error
}

func testFee() *payment.Fee {
	return &payment.Fee{Policy: payment.Mandatory, Purpose: "Parken {vorgangsnummer}", Description: "Anwohnerparkausweis",
		Items: []payment.FeeItem{
			{ID: "grund", Description: "Grundgebühr", Amount: 3000, BookingData: map[string]string{"Haushaltsstelle": "1.1100"}},
			{ID: "fahrzeug", Description: "je Fahrzeug", AmountRule: json.RawMessage(`{"if":[{"==":[{"var":"G1.F1"},"001"]},"10.00",5]}`),
				QuantityRule: json.RawMessage(`{"var":"G1.F2"}`)},
		}}
}

func testServiceFees(t *testing.T, s Stores) {
	ctx := context.Background()
	f := newFixture(t, s)
	svc := f.svcA
	svc.Fee = testFee()
	noErr(t, "UpdateService(fee)", s.UpdateService(ctx, svc))
	got, err := s.Service(ctx, f.a.ID, svc.ID)
	noErr(t, "Service", err)
	if !reflect.DeepEqual(got.Fee, svc.Fee) {
		t.Errorf("Service.Fee = %+v, want %+v", got.Fee, svc.Fee)
	}
	bad := *svc
	bad.Fee = &payment.Fee{Policy: payment.Mandatory, Purpose: "x"}
	wantKind(t, "UpdateService(fee without items)", s.UpdateService(ctx, &bad), apperr.Invalid)
	svc.Fee = nil
	noErr(t, "UpdateService(no fee)", s.UpdateService(ctx, svc))
	got, err = s.Service(ctx, f.a.ID, svc.ID)
	noErr(t, "Service", err)
	if got.Fee != nil {
		t.Errorf("Service.Fee = %+v after removing it", got.Fee)
	}
	created := mustService(t, s, &tenant.Service{TenantID: f.a.ID, Slug: "mit-gebuehr", Name: "Mit Gebühr", Fee: testFee()})
	got, err = s.Service(ctx, f.a.ID, created.ID)
	noErr(t, "Service(created)", err)
	if !reflect.DeepEqual(got.Fee, testFee()) {
		t.Errorf("CreateService: Fee = %+v", got.Fee)
	}
	wantKind(t, "CreateService(bad fee)", s.CreateService(ctx, &tenant.Service{TenantID: f.a.ID, Slug: "schlecht", Name: "S",
		Fee: &payment.Fee{Policy: "bald"}}), apperr.Invalid)
}

func testAuthorityFees(t *testing.T, s Stores) {
	ctx := context.Background()
	f := newFixture(t, s)
	_, err := s.AuthorityFee(ctx, f.a.ID, f.authA.ID, f.svcA.ID)
	wantKind(t, "AuthorityFee(none)", err, apperr.NotFound)

	fee := testFee()
	ev := &tenant.AuditEvent{Actor: "admin", Object: "Gebühr", Action: "geändert", Detail: "Anwohnerparken"}
	noErr(t, "SetAuthorityFee", s.SetAuthorityFee(ctx, f.a.ID, f.authA.ID, f.svcA.ID, fee, ev))
	if ev.ID == 0 || ev.TenantID != f.a.ID || ev.ObjectID != f.authA.ID {
		t.Errorf("audit event = %+v", ev)
	}
	got, err := s.AuthorityFee(ctx, f.a.ID, f.authA.ID, f.svcA.ID)
	noErr(t, "AuthorityFee", err)
	if !reflect.DeepEqual(got, fee) {
		t.Errorf("AuthorityFee = %+v, want %+v", got, fee)
	}
	// Replace it, and add one for the shared service; B may set one for A's shared service too.
	fee2 := &payment.Fee{Policy: payment.Optional, Purpose: "Hund", Items: []payment.FeeItem{{ID: "a", Description: "Hund", Amount: 1200}}}
	noErr(t, "SetAuthorityFee(replace)", s.SetAuthorityFee(ctx, f.a.ID, f.authA.ID, f.svcA.ID, fee2))
	noErr(t, "SetAuthorityFee(shared)", s.SetAuthorityFee(ctx, f.a.ID, f.authA.ID, f.sharedA.ID, fee))
	noErr(t, "SetAuthorityFee(B, shared of A)", s.SetAuthorityFee(ctx, f.b.ID, f.authB.ID, f.sharedA.ID, fee2))
	all, err := s.AuthorityFees(ctx, f.a.ID, f.authA.ID)
	noErr(t, "AuthorityFees", err)
	if len(all) != 2 || !reflect.DeepEqual(all[f.svcA.ID], fee2) || !reflect.DeepEqual(all[f.sharedA.ID], fee) {
		t.Errorf("AuthorityFees = %+v", all)
	}

	// Isolation and validation.
	wantKind(t, "SetAuthorityFee(B's authority from A)", s.SetAuthorityFee(ctx, f.a.ID, f.authB.ID, f.svcA.ID, fee), apperr.NotFound)
	wantKind(t, "SetAuthorityFee(A's private service from B)", s.SetAuthorityFee(ctx, f.b.ID, f.authB.ID, f.svcA.ID, fee), apperr.NotFound)
	wantKind(t, "SetAuthorityFee(invalid)", s.SetAuthorityFee(ctx, f.a.ID, f.authA.ID, f.svcA.ID, &payment.Fee{Policy: "x"}), apperr.Invalid)
	_, err = s.AuthorityFee(ctx, f.b.ID, f.authA.ID, f.svcA.ID)
	wantKind(t, "AuthorityFee(A's from B)", err, apperr.NotFound)
	all, err = s.AuthorityFees(ctx, f.b.ID, f.authA.ID)
	noErr(t, "AuthorityFees(A's authority from B)", err)
	if len(all) != 0 {
		t.Errorf("AuthorityFees(A's authority from B) = %+v", all)
	}

	// A failed change records no event; removal records one.
	before, err := s.AuditEvents(ctx, f.a.ID, 0)
	noErr(t, "AuditEvents", err)
	_ = s.SetAuthorityFee(ctx, f.a.ID, f.authA.ID, f.svcA.ID, &payment.Fee{Policy: "x"}, &tenant.AuditEvent{Actor: "admin", Action: "geändert"})
	noErr(t, "SetAuthorityFee(remove)", s.SetAuthorityFee(ctx, f.a.ID, f.authA.ID, f.svcA.ID, nil, &tenant.AuditEvent{Actor: "admin", Action: "entfernt"}))
	after, err := s.AuditEvents(ctx, f.a.ID, 0)
	noErr(t, "AuditEvents", err)
	if len(after) != len(before)+1 || after[0].Action != "entfernt" {
		t.Errorf("audit events: %d before, %d after (newest %+v)", len(before), len(after), after[0])
	}
	_, err = s.AuthorityFee(ctx, f.a.ID, f.authA.ID, f.svcA.ID)
	wantKind(t, "AuthorityFee(removed)", err, apperr.NotFound)
}

// testAccountSecret is a provider secret the tests store; CheckEncryptedAtRest
// makes sure it is not held in plain text.
const testAccountSecret = "Kassen-Geheimnis-4711"

func testPaymentAccounts(t *testing.T, s Stores) {
	ctx := context.Background()
	f := newFixture(t, s)
	_, err := s.PaymentAccount(ctx, f.a.ID, f.authA.ID)
	wantKind(t, "PaymentAccount(none)", err, apperr.NotFound)

	acc := &payment.Account{Kind: payment.PMPayment, BaseURL: "https://payment-test.govconnect.de/", OriginatorID: "99106002012000",
		EndpointID: "091620000000", TokenURL: "https://payment-test.govconnect.de/oauth/token/", ClientID: "antrag",
		ClientSecret: testAccountSecret, Certificate: []byte{0x30, 0x82, 0x01},
		BookingData: map[string]map[string]string{"grund": {"Haushaltsstelle": "1.1100"}}}
	ev := &tenant.AuditEvent{Actor: "admin", Object: "Bezahldienst", Action: "geändert", Detail: "pmpayment"}
	noErr(t, "SetPaymentAccount", s.SetPaymentAccount(ctx, f.a.ID, f.authA.ID, acc, ev))
	if ev.ID == 0 || ev.ObjectID != f.authA.ID {
		t.Errorf("audit event = %+v", ev)
	}
	got, err := s.PaymentAccount(ctx, f.a.ID, f.authA.ID)
	noErr(t, "PaymentAccount", err)
	if !reflect.DeepEqual(got, acc) {
		t.Errorf("PaymentAccount = %+v, want %+v", got, acc)
	}
	// The authority's other columns stay.
	auth, err := s.Authority(ctx, f.a.ID, f.authA.ID)
	noErr(t, "Authority", err)
	if auth.Name != f.authA.Name {
		t.Errorf("Authority after SetPaymentAccount = %+v", auth)
	}
	noErr(t, "UpdateAuthority", s.UpdateAuthority(ctx, auth))
	if _, err := s.PaymentAccount(ctx, f.a.ID, f.authA.ID); err != nil {
		t.Errorf("UpdateAuthority removed the payment account: %v", err)
	}

	_, err = s.PaymentAccount(ctx, f.b.ID, f.authA.ID)
	wantKind(t, "PaymentAccount(A's from B)", err, apperr.NotFound)
	wantKind(t, "SetPaymentAccount(A's from B)", s.SetPaymentAccount(ctx, f.b.ID, f.authA.ID, acc), apperr.NotFound)
	bad := *acc
	bad.Kind = "bank"
	wantKind(t, "SetPaymentAccount(invalid)", s.SetPaymentAccount(ctx, f.a.ID, f.authA.ID, &bad), apperr.Invalid)

	noErr(t, "SetPaymentAccount(nil)", s.SetPaymentAccount(ctx, f.a.ID, f.authA.ID, nil))
	_, err = s.PaymentAccount(ctx, f.a.ID, f.authA.ID)
	wantKind(t, "PaymentAccount(removed)", err, apperr.NotFound)
}
