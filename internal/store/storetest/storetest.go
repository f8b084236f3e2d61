// Package storetest is the one test suite package store must pass on
// every dialect (Dialects: SQLite, and PostgreSQL when a server is
// named): Run checks the documented behaviour of tenant.Store,
// submission.Store, account.Store, the delivery stores and area.Store, tenant
// isolation, the error kinds of package apperr and the atomicity of
// Submit, through the interfaces only; the Check functions check a whole
// database (opening, migrations, errors, sealing at rest, sessions,
// concurrent writers, databases of a release). A test calls them once per
// dialect.
package storetest

import (
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/antrag/antrag/internal/account"
	"github.com/antrag/antrag/internal/area"
	"github.com/antrag/antrag/internal/delivery"
	"github.com/antrag/antrag/internal/identity"
	"github.com/antrag/antrag/internal/submission"
	"github.com/antrag/antrag/internal/tenant"
)

// Stores is what a backend implements.
type Stores interface {
	tenant.Store
	submission.Store
	account.Store
	delivery.Store
	delivery.AccountStore
	IdentityStore
	RoutingStore
	PaymentStore
	area.Store
}

// IdentityStore is what the citizen's own area and the per-service identity
// settings need of a store.
type IdentityStore interface {
	SetServiceIdentity(ctx context.Context, tenantID, serviceID string, level identity.Level, schriftformersatz bool) error
	OwnerDrafts(ctx context.Context, tenantID, owner string, now time.Time, limit int) ([]*submission.Draft, error)
	OwnerSubmissions(ctx context.Context, tenantID, owner string, limit int) ([]*submission.Submission, error)
}

// Run runs the suite. open returns a new, empty store for one group of
// subtests; it is called from parallel subtests and should close the
// store with t.Cleanup.
func Run(t *testing.T, open func(t *testing.T) Stores) {
	groups := []struct {
		name string
		fn   func(t *testing.T, s Stores)
	}{
		{"Tenants", testTenants},
		{"Authorities", testAuthorities},
		{"Pages", testPages},
		{"Services", testServices},
		{"Jurisdictions", testJurisdictions},
		{"RoutedDeliveries", testRoutedDeliveries},
		{"ConfigurationChanges", testConfigurationChanges},
		{"FormVersions", testFormVersions},
		{"FormVersionRuleSources", testFormVersionRuleSources},
		{"Drafts", testDrafts},
		{"DraftData", testDraftData},
		{"DraftExpiry", testDraftExpiry},
		{"DeleteExpiredDrafts", testDeleteExpiredDrafts},
		{"Attachments", testAttachments},
		{"UploadReservations", testUploadReservations},
		{"UploadReservationsConcurrent", testUploadReservationsConcurrent},
		{"Submit", testSubmit},
		{"SubmitWithoutDraft", testSubmitWithoutDraft},
		{"SubmitResubmitDraft", testSubmitResubmitDraft},
		{"SubmitIdempotencyKey", testSubmitIdempotencyKey},
		{"SubmitConflict", testSubmitConflict},
		{"SubmitConcurrent", testSubmitConcurrent},
		{"ListSubmissions", testListSubmissions},
		{"ListSubmissionsDefaultLimit", testListSubmissionsDefaultLimit},
		{"InboxSearch", testInboxSearch},
		{"InboxPagesStable", testInboxPagesStable},
		{"InboxFilters", testInboxFilters},
		{"SetStatus", testSetStatus},
		{"PurgeSubmissions", testPurgeSubmissions},
		{"StoredReceipt", testStoredReceipt},
		{"UpdateDeliveryCompareAndSet", testUpdateDeliveryCompareAndSet},
		{"RedeliverTargets", testRedeliverTargets},
		{"Users", testUsers},
		{"Throttle", testThrottle},
		{"ThrottleConcurrent", testThrottleConcurrent},
		{"Isolation", testIsolation},
		{"Targets", testTargets},
		{"SubmitCreatesDeliveries", testSubmitCreatesDeliveries},
		{"UpdateDelivery", testUpdateDelivery},
		{"Following", testFollowing},
		{"Redeliver", testRedeliver},
		{"Receive", testReceive},
		{"FITConnectAccounts", testFITConnectAccounts},
		{"ServiceIdentity", testServiceIdentity},
		{"Owner", testOwner},
		{"Areas", testAreas},
		{"ReplaceAreasByLevel", testReplaceAreasByLevel},
		{"ReplacePostcodes", testReplacePostcodes},
		{"ServiceFees", testServiceFees},
		{"AuthorityFees", testAuthorityFees},
		{"PaymentAccounts", testPaymentAccounts},
	}
	for _, g := range groups {
		t.Run(g.name, func(t *testing.T) {
			t.Parallel()
			g.fn(t, open(t))
		})
	}
}

// fixture is two tenants A and B, each with an authority and a private
// service with a published form, and a shared service of A.
type fixture struct {
	s            Stores
	a, b         *tenant.Tenant
	authA, authB *tenant.Authority
	svcA, svcB   *tenant.Service // private
	sharedA      *tenant.Service // A's EfA service
	fvA, fvB     *tenant.FormVersion
	fvSharedA    *tenant.FormVersion
	now          time.Time
	seq          int // for unique test values
}

func newFixture(t *testing.T, s Stores) *fixture {
	t.Helper()
	f := &fixture{s: s, now: time.Now().UTC()}
	f.a = mustTenant(t, s, "musterstadt", "Stadt Musterstadt", "antrag.musterstadt.de")
	f.b = mustTenant(t, s, "beispielkreis", "Landkreis Beispiel", "")
	f.authA = mustAuthority(t, s, f.a.ID, "Bürgeramt Musterstadt")
	f.authB = mustAuthority(t, s, f.b.ID, "Ordnungsamt Beispielkreis")
	f.svcA = mustService(t, s, &tenant.Service{TenantID: f.a.ID, Slug: "anwohnerparken", Name: "Anwohnerparken", AuthorityID: f.authA.ID})
	f.sharedA = mustService(t, s, &tenant.Service{TenantID: f.a.ID, Slug: "hundesteuer", Name: "Hundesteuer", AuthorityID: f.authA.ID, Shared: true})
	f.svcB = mustService(t, s, &tenant.Service{TenantID: f.b.ID, Slug: "gewerbe", Name: "Gewerbeanmeldung", AuthorityID: f.authB.ID})
	f.fvA = mustPublish(t, s, f.a.ID, f.svcA.ID)
	f.fvSharedA = mustPublish(t, s, f.a.ID, f.sharedA.ID)
	f.fvB = mustPublish(t, s, f.b.ID, f.svcB.ID)
	// Read the services again, now with their current form version.
	for _, svc := range []**tenant.Service{&f.svcA, &f.sharedA, &f.svcB} {
		got, err := s.Service(context.Background(), (*svc).TenantID, (*svc).ID)
		if err != nil {
			t.Fatalf("Service: %v", err)
		}
		*svc = got
	}
	return f
}

func mustTenant(t *testing.T, s Stores, slug, name, host string) *tenant.Tenant {
	t.Helper()
	tn := &tenant.Tenant{Slug: slug, Name: name, Kind: tenant.Gemeinde, ARS: "091620000000", Host: host}
	if err := s.CreateTenant(context.Background(), tn); err != nil {
		t.Fatalf("CreateTenant(%q): %v", slug, err)
	}
	return tn
}

func mustAuthority(t *testing.T, s Stores, tenantID, name string) *tenant.Authority {
	t.Helper()
	a := &tenant.Authority{TenantID: tenantID, Name: name, Address: []string{name, "Marktplatz 1", "12345 Musterstadt"}, Email: "amt@example.org"}
	if err := s.CreateAuthority(context.Background(), a); err != nil {
		t.Fatalf("CreateAuthority(%q): %v", name, err)
	}
	return a
}

func mustService(t *testing.T, s Stores, svc *tenant.Service) *tenant.Service {
	t.Helper()
	if err := s.CreateService(context.Background(), svc); err != nil {
		t.Fatalf("CreateService(%q): %v", svc.Slug, err)
	}
	return svc
}

func mustPublish(t *testing.T, s Stores, tenantID, serviceID string) *tenant.FormVersion {
	t.Helper()
	fv := &tenant.FormVersion{ServiceID: serviceID, FIMID: "S00000000371", FIMVersion: "1.0.0", Name: "Antrag", XDF: []byte("<xdf:xdatenfelder.stammdatenschema.0102/>")}
	if err := s.PublishFormVersion(context.Background(), tenantID, fv); err != nil {
		t.Fatalf("PublishFormVersion(%q): %v", serviceID, err)
	}
	return fv
}

// tokenHash is the SHA-256 of a resume token.
func tokenHash(token string) []byte {
	h := sha256.Sum256([]byte(token))
	return h[:]
}

// newDraft creates a draft of the tenant for the service (and its current
// form version) that expires in a day.
func (f *fixture) newDraft(t *testing.T, tn *tenant.Tenant, svc *tenant.Service, data map[string]any) (*submission.Draft, string) {
	t.Helper()
	f.seq++
	token := fmt.Sprintf("token-%s-%d", tn.Slug, f.seq)
	d := &submission.Draft{
		TenantID:      tn.ID,
		ServiceID:     svc.ID,
		FormVersionID: svc.FormVersionID,
		TokenHash:     tokenHash(token),
		Data:          data,
		Step:          1,
		ExpiresAt:     f.now.Add(24 * time.Hour),
	}
	if err := f.s.CreateDraft(context.Background(), d); err != nil {
		t.Fatalf("CreateDraft: %v", err)
	}
	return d, token
}

// newAttachment creates an attachment of a draft.
func (f *fixture) newAttachment(t *testing.T, d *submission.Draft, name string) *submission.Attachment {
	t.Helper()
	a := &submission.Attachment{
		TenantID:   d.TenantID,
		DraftID:    d.ID,
		Filename:   name,
		MediaType:  "application/pdf",
		Size:       1234,
		SHA512:     fmt.Sprintf("%0128x", len(name)),
		StorageKey: fmt.Sprintf("key-%s-%s", d.ID, name),
	}
	if err := f.s.CreateAttachment(context.Background(), a); err != nil {
		t.Fatalf("CreateAttachment(%q): %v", name, err)
	}
	return a
}

// newSubmission returns an unsaved submission of the tenant for the
// service with a unique reference.
func (f *fixture) newSubmission(tn *tenant.Tenant, svc *tenant.Service, authorityID string) *submission.Submission {
	f.seq++
	data := []byte(fmt.Sprintf(`{"F60000000001":"Antrag %d","summe":1234.56}`, f.seq))
	return &submission.Submission{
		TenantID:      tn.ID,
		ServiceID:     svc.ID,
		FormVersionID: svc.FormVersionID,
		AuthorityID:   authorityID,
		Reference:     fmt.Sprintf("%s-2026-%06d", tn.Slug, f.seq),
		Data:          data,
		DataSHA256:    fmt.Sprintf("%x", sha256.Sum256(data)),
	}
}

// mustSubmit submits s (with the draft's attachments in attachmentIDs) and
// fails unless it was created.
func (f *fixture) mustSubmit(t *testing.T, s *submission.Submission, attachmentIDs ...string) *submission.Submission {
	t.Helper()
	got, created, _, err := f.s.Submit(context.Background(), s, submitted(), attachmentIDs)
	if err != nil {
		t.Fatalf("Submit(%q): %v", s.Reference, err)
	}
	if !created {
		t.Fatalf("Submit(%q): created = false", s.Reference)
	}
	return got
}

// submitted is the event of a submission.
func submitted() *submission.Event {
	return &submission.Event{Actor: "Antragsteller", Action: "eingereicht", Detail: "über das Online-Formular"}
}

// wantKind fails unless err is of the kind.
func wantKind(t *testing.T, what string, err, kind error) {
	t.Helper()
	if !errors.Is(err, kind) {
		t.Errorf("%s: err = %v, want %v", what, err, kind)
	}
}

// noErr fails the test now if err is not nil.
func noErr(t *testing.T, what string, err error) {
	t.Helper()
	if err != nil {
		t.Fatalf("%s: %v", what, err)
	}
}

// sameTime fails unless got is in UTC and within a millisecond of want
// (stores keep at least millisecond precision).
func sameTime(t *testing.T, what string, got, want time.Time) {
	t.Helper()
	if got.Location() != time.UTC {
		t.Errorf("%s: location %v, want UTC", what, got.Location())
	}
	if d := got.Sub(want); d < -time.Millisecond || d > time.Millisecond {
		t.Errorf("%s = %v, want %v", what, got, want)
	}
}

// plain formats the values xs point to with %+v, for a failure message:
// %+v of a slice of pointers prints only their addresses.
func plain[T any](xs []*T) string {
	var b strings.Builder
	b.WriteByte('[')
	for i, x := range xs {
		if i > 0 {
			b.WriteByte(' ')
		}
		if x == nil {
			b.WriteString("<nil>")
		} else {
			fmt.Fprintf(&b, "%+v", *x)
		}
	}
	b.WriteByte(']')
	return b.String()
}

// started is when the test binary started: every time a store takes from
// the clock during a test is later.
var started = time.Now()

// recent fails unless got is in UTC and a time the store took from the
// clock during the tests: not before they started (with a second for the
// stores' rounding), not after now. The bounds do not depend on how fast
// the machine is.
func recent(t *testing.T, what string, got time.Time) {
	t.Helper()
	if got.Location() != time.UTC {
		t.Errorf("%s: location %v, want UTC", what, got.Location())
	}
	if now := time.Now(); got.Before(started.Add(-time.Second)) || got.After(now.Add(time.Second)) {
		t.Errorf("%s = %v, want a time between the start of the tests (%v) and now (%v)", what, got, started.UTC(), now.UTC())
	}
}
