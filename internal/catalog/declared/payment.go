package declared

import (
	"bytes"
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"reflect"
	"slices"
	"strings"

	"github.com/antrag/antrag/internal/apperr"
	"github.com/antrag/antrag/internal/payment"
	"github.com/antrag/antrag/internal/tenant"
)

// FeeDoc is a fee (payment.Fee): the policy ("none", "optional",
// "mandatory", "deferred"), the purpose (Verwendungszweck, may contain
// "{vorgangsnummer}"), the description and the items.
type FeeDoc struct {
	Policy      string        `json:"policy"`
	Purpose     string        `json:"purpose,omitempty"`
	Description string        `json:"description,omitempty"`
	Items       []*FeeItemDoc `json:"items,omitempty"`
}

// FeeItemDoc is one line of a fee (payment.ItemText): Amount is euros per
// unit as a decimal string with a point and at most two decimals
// ("12.50"); AmountRule instead computes it, QuantityRule the number of
// units (JSON Logic, see payment.FeeItem).
type FeeItemDoc = payment.ItemText

// AuthorityFeeDoc is an authority's own fee for a service: one of the
// tenant's own ("slug") or another tenant's shared one ("owner/slug").
type AuthorityFeeDoc struct {
	Service string `json:"service"`
	FeeDoc
}

// PaymentDoc is an authority's ePayment provider account
// (payment.Account): the kind (epaybl, pmpayment, epay21), the
// XBezahldienste base URL and ids, the credentials of the kind as secret
// references, extra trust roots (a PEM file relative to the catalogue),
// and the booking data per fee item id. The PKCS#12 certificate is read
// as bytes: from {file: PATH} as it is, from {env: NAME} as base64.
type PaymentDoc struct {
	Kind                string                       `json:"kind"`
	BaseURL             string                       `json:"base_url"`
	OriginatorID        string                       `json:"originator_id"`
	EndpointID          string                       `json:"endpoint_id"`
	Certificate         *SecretRef                   `json:"certificate,omitempty"`
	CertificatePassword *SecretRef                   `json:"certificate_password,omitempty"`
	TokenURL            string                       `json:"token_url,omitempty"`
	ClientID            string                       `json:"client_id,omitempty"`
	ClientSecret        *SecretRef                   `json:"client_secret,omitempty"`
	Username            string                       `json:"username,omitempty"`
	Password            *SecretRef                   `json:"password,omitempty"`
	RootCAs             string                       `json:"root_cas,omitempty"`
	BookingData         map[string]map[string]string `json:"booking_data,omitempty"`
}

// fee turns a fee of the document into a payment.Fee and validates it;
// nil if it is not valid (the error is recorded at loc).
func (p *planner) fee(fd *FeeDoc, loc ...any) *payment.Fee {
	f := &payment.Fee{Purpose: fd.Purpose, Description: fd.Description}
	if fd.Policy != "none" {
		f.Policy = payment.Policy(fd.Policy)
	}
	ok := true
	for k, it := range fd.Items {
		item, err := it.Item()
		if err != nil {
			p.err("Betrag "+cause(err), append(slices.Clone(loc), "items", k, "amount")...)
			ok = false
			continue
		}
		if err := item.Validate(); err != nil {
			p.err(cause(err), append(slices.Clone(loc), "items", k)...)
			ok = false
			continue
		}
		f.Items = append(f.Items, item)
	}
	if !ok {
		return nil
	}
	if err := f.Validate(); err != nil {
		p.err(cause(err), loc...)
		return nil
	}
	return f
}

// payments plans the payment accounts and own fees of the document's
// authorities of the tenant.
func (p *planner) payments(ctx context.Context, ts *tstate) {
	for _, da := range ts.docAuths {
		loc := []any{"tenants", ts.i, "authorities", da.j}
		if da.doc.Payment != nil {
			p.account(ctx, ts, da, append(loc, "payment"))
		} else if da.exists {
			if _, err := p.st.PaymentAccount(ctx, ts.t.ID, da.a.ID); err == nil {
				p.plan.Kept = append(p.plan.Kept, fmt.Sprintf("Bezahldienst der Behörde %s von %s", da.a.Name, ts.t.Slug))
			}
		}
		if da.doc.Fees != nil {
			p.authorityFees(ctx, ts, da, append(loc, "fees"))
		}
	}
}

// docAuthority is an authority of the document as planned.
type docAuthority struct {
	j      int
	doc    *AuthorityDoc
	a      *tenant.Authority
	exists bool
}

func (p *planner) account(ctx context.Context, ts *tstate, da docAuthority, loc []any) {
	pd := da.doc.Payment
	want := &payment.Account{Kind: payment.Kind(pd.Kind), BaseURL: pd.BaseURL, OriginatorID: pd.OriginatorID,
		EndpointID: pd.EndpointID, TokenURL: pd.TokenURL, ClientID: pd.ClientID, Username: pd.Username, BookingData: pd.BookingData}
	ok := true
	str := func(ref *SecretRef, key string) string {
		if ref == nil {
			return ""
		}
		s, good := p.secret(ref, append(slices.Clone(loc), key)...)
		ok = ok && good
		return s
	}
	want.CertificatePassword = str(pd.CertificatePassword, "certificate_password")
	want.ClientSecret = str(pd.ClientSecret, "client_secret")
	want.Password = str(pd.Password, "password")
	if pd.Certificate != nil {
		b, good := p.secretBytes(pd.Certificate, append(slices.Clone(loc), "certificate")...)
		ok = ok && good
		want.Certificate = b
	}
	if pd.RootCAs != "" {
		b, good := p.readFile(pd.RootCAs, append(slices.Clone(loc), "root_cas")...)
		ok = ok && good
		want.RootCAs = b
	}
	if !ok {
		return
	}
	if err := payment.ValidateAccount(want); err != nil {
		p.err(cause(err), loc...)
		return
	}
	action := "angelegt"
	if da.exists {
		cur, err := p.st.PaymentAccount(ctx, ts.t.ID, da.a.ID)
		if err != nil && !errors.Is(err, apperr.NotFound) {
			p.storeFailed(err)
			return
		}
		if err == nil {
			if reflect.DeepEqual(normalAccount(cur), normalAccount(want)) {
				return
			}
			action = "geändert"
		}
	}
	tenantID, authID := ts.t.ID, da.a.ID
	p.plan.Steps = append(p.plan.Steps, &Step{Tenant: ts.t.Slug, Object: tenant.ObjectPayment, Name: da.a.Name,
		Action: action, Detail: describeAccount(want), tenantID: tenantID, objectID: authID,
		run: func(ctx context.Context, st Store, _ string) error {
			return st.SetPaymentAccount(ctx, tenantID, authID, want)
		}})
}

// normalAccount makes empty and nil the same, for comparing.
func normalAccount(a *payment.Account) payment.Account {
	x := *a
	if len(x.Certificate) == 0 {
		x.Certificate = nil
	}
	if len(x.RootCAs) == 0 {
		x.RootCAs = nil
	}
	if len(x.BookingData) == 0 {
		x.BookingData = nil
	}
	return x
}

// describeAccount summarises an account without its secrets.
func describeAccount(a *payment.Account) string {
	return fmt.Sprintf("%s, %s, originatorId %s, endpointId %s", a.Kind, a.BaseURL, a.OriginatorID, a.EndpointID)
}

func (p *planner) authorityFees(ctx context.Context, ts *tstate, da docAuthority, loc []any) {
	current := map[string]*payment.Fee{}
	if da.exists {
		var err error
		if current, err = p.st.AuthorityFees(ctx, ts.t.ID, da.a.ID); err != nil {
			p.storeFailed(err)
			return
		}
	}
	tenantID, authID := ts.t.ID, da.a.ID
	listed := map[string]bool{}
	for k, fd := range da.doc.Fees {
		floc := append(slices.Clone(loc), k)
		svc := p.feeService(ts, fd.Service, append(slices.Clone(floc), "service")...)
		if svc == nil {
			continue
		}
		if listed[svc.ID] {
			p.err("Dienst "+fd.Service+" steht zweimal in den Gebühren der Behörde", append(floc, "service")...)
			continue
		}
		listed[svc.ID] = true
		want := p.fee(&fd.FeeDoc, floc...)
		if want == nil || sameJSON(current[svc.ID], want) {
			continue
		}
		svcID, action := svc.ID, "geändert"
		if current[svcID] == nil {
			action = "angelegt"
		}
		p.plan.Steps = append(p.plan.Steps, &Step{Tenant: ts.t.Slug, Object: tenant.ObjectFee, Name: da.a.Name + " / " + fd.Service,
			Action: action, Detail: describeFee(want), tenantID: tenantID, objectID: authID,
			run: func(ctx context.Context, st Store, _ string) error {
				return st.SetAuthorityFee(ctx, tenantID, authID, svcID, want)
			}})
	}
	ids := slices.Sorted(func(yield func(string) bool) {
		for id := range current {
			if !yield(id) {
				return
			}
		}
	})
	for _, id := range ids {
		if listed[id] {
			continue
		}
		svcID := id
		p.plan.Steps = append(p.plan.Steps, &Step{Tenant: ts.t.Slug, Object: tenant.ObjectFee, Name: da.a.Name + " / " + p.serviceRef(id),
			Action: "entfernt", tenantID: tenantID, objectID: authID,
			run: func(ctx context.Context, st Store, _ string) error {
				return st.SetAuthorityFee(ctx, tenantID, authID, svcID, nil)
			}})
	}
}

// feeService resolves the service of an authority's fee: "slug" or
// "own/slug" of the tenant's own, "owner/slug" of another tenant's shared
// service.
func (p *planner) feeService(ts *tstate, ref string, loc ...any) *tenant.Service {
	owner, slug, found := strings.Cut(ref, "/")
	if !found || owner == ts.t.Slug {
		if !found {
			slug = owner
		}
		if ss := ts.svcs[slug]; ss != nil {
			return ss.svc
		}
		if ts.exists {
			for _, s := range p.storeSvcs {
				if s.TenantID == ts.t.ID && s.Slug == slug {
					return s
				}
			}
		}
		p.err("Dienst "+ref+" gibt es beim Mandanten "+ts.t.Slug+" nicht", loc...)
		return nil
	}
	svc, _ := p.shared(ts, ref, loc...)
	return svc
}

// describeFee summarises a fee: its policy and fixed total.
func describeFee(f *payment.Fee) string {
	var fixed payment.Cents
	rules := 0
	for _, it := range f.Items {
		if len(it.AmountRule) > 0 || len(it.QuantityRule) > 0 {
			rules++
		} else {
			fixed += it.Amount
		}
	}
	s := fmt.Sprintf("%s, %d Position(en), fest %s", f.Policy.Label(), len(f.Items), fixed)
	if rules > 0 {
		s += fmt.Sprintf(", %d nach Regel", rules)
	}
	return s
}

// secretBytes reads a binary secret: a file as it is, an environment
// variable as base64 (standard encoding).
func (p *planner) secretBytes(ref *SecretRef, loc ...any) ([]byte, bool) {
	if ref.File != "" {
		if p.files.SecretFile == nil {
			p.err("Geheimnisse aus Dateien sind hier nicht möglich", loc...)
			return nil, false
		}
		b, err := p.files.SecretFile(ref.File)
		if err != nil {
			p.err("Geheimnis-Datei "+ref.File+" ist nicht lesbar: "+cause(err), loc...)
			return nil, false
		}
		return b, true
	}
	s, ok := p.secret(ref, loc...)
	if !ok {
		return nil, false
	}
	b, err := base64.StdEncoding.DecodeString(s)
	if err != nil {
		p.err("Umgebungsvariable "+ref.Env+" ist kein Base64", loc...)
		return nil, false
	}
	return b, true
}

// feeDoc is the document's form of a fee.
func feeDoc(f *payment.Fee) *FeeDoc {
	fd := &FeeDoc{Policy: string(f.Policy), Purpose: f.Purpose, Description: f.Description}
	if f.Policy == payment.NoFee {
		fd.Policy = "none"
	}
	for _, it := range f.Items {
		d := it.Text()
		fd.Items = append(fd.Items, &d)
	}
	return fd
}

// payment exports an authority's account (secrets as {env: …}, the
// certificate base64 in one) and its own fees.
func (x *exporter) payment(ctx context.Context, t *tenant.Tenant, a *tenant.Authority, ad *AuthorityDoc, svcs []*tenant.Service) error {
	acc, err := x.st.PaymentAccount(ctx, t.ID, a.ID)
	switch {
	case errors.Is(err, apperr.NotFound):
	case err != nil:
		return err
	default:
		pd := &PaymentDoc{Kind: string(acc.Kind), BaseURL: acc.BaseURL, OriginatorID: acc.OriginatorID, EndpointID: acc.EndpointID,
			TokenURL: acc.TokenURL, ClientID: acc.ClientID, Username: acc.Username, BookingData: acc.BookingData}
		where := t.Slug + " " + a.Name
		secret := func(field, value string) *SecretRef {
			if value == "" {
				return nil
			}
			name := x.secretName("PAYMENT_"+where+"_"+field, "Bezahldienst "+field+" der Behörde "+a.Name+" ("+t.Slug+")", value)
			return &SecretRef{Env: name}
		}
		pd.CertificatePassword = secret("certificate_password", acc.CertificatePassword)
		pd.ClientSecret = secret("client_secret", acc.ClientSecret)
		pd.Password = secret("password", acc.Password)
		if len(acc.Certificate) > 0 {
			pd.Certificate = secret("certificate", base64.StdEncoding.EncodeToString(acc.Certificate))
		}
		if len(acc.RootCAs) > 0 {
			pd.RootCAs = "payment/" + t.Slug + "/" + a.ID + ".roots.pem"
			x.out.Files = append(x.out.Files, File{Path: pd.RootCAs, Data: bytes.Clone(acc.RootCAs)})
		}
		ad.Payment = pd
	}
	fees, err := x.st.AuthorityFees(ctx, t.ID, a.ID)
	if err != nil {
		return err
	}
	for _, s := range svcs {
		f, ok := fees[s.ID]
		if !ok {
			continue
		}
		ref := x.slugOf[s.TenantID] + "/" + s.Slug
		if s.TenantID == t.ID {
			ref = s.Slug
		}
		ad.Fees = append(ad.Fees, &AuthorityFeeDoc{Service: ref, FeeDoc: *feeDoc(f)})
	}
	slices.SortFunc(ad.Fees, func(a, b *AuthorityFeeDoc) int { return strings.Compare(a.Service, b.Service) })
	return nil
}
