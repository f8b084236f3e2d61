package storetest

// Release fixtures: databases written by a released version of antrag
// through its own store API (internal/store/testdata/release-<commit>/,
// see the README there), opened with the current code. Opening one
// migrates it in place; CheckRelease then reads everything the release
// recorded in its expected-<backend>.json back through the current store
// API and compares it, and makes one write of each kind on the migrated
// data.

import (
	"bytes"
	"compress/gzip"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/antrag/antrag/internal/account"
	"github.com/antrag/antrag/internal/apperr"
	"github.com/antrag/antrag/internal/delivery"
	"github.com/antrag/antrag/internal/sealed"
	"github.com/antrag/antrag/internal/store"
	"github.com/antrag/antrag/internal/submission"
	"github.com/antrag/antrag/internal/tenant"
)

// ReleaseFixture is an expected-<backend>.json: everything the release
// read back through its store API right after writing the fixture. The
// field names are those the release's generator wrote (mkfixture.go.txt);
// it is decoded into the current domain types, so a field added since
// reads as its zero value and must be stored as that.
type ReleaseFixture struct {
	Commit  string // the release that wrote the database
	Backend string // "sqlite" or "postgres"
	DataKey string // hex of the (test) data key the database is sealed with

	Tenants []*ReleaseTenant // ListTenants, in its order
	// AllServices is ListAllServices.
	AllServices []*tenant.Service
	// FormVersions are the form versions reachable from services, drafts
	// and submissions and every version the generator published, without
	// their XDF bytes (XDFSHA256, XDFSize).
	FormVersions []*ReleaseFormVersion
	// FITConnectDestinations is FITConnectDestinations.
	FITConnectDestinations []*delivery.FITConnectAccount
	// Drafts are opened with DraftByToken(TenantID, sha256(Token), ReadAt).
	Drafts []*ReleaseDraft
	// Throttle buckets the release wrote (with plain user names and
	// addresses in their keys). Migration 00011 deletes them: only the
	// row count of login_throttle is checked (CheckReleaseRows: 0).
	Throttle []*ReleaseThrottle
	// Sessions are rows of scs's sessions table (no store API: the
	// backend's test reads them with scs's store).
	Sessions []*ReleaseSession
	// Passwords of the staff users by username (test data).
	Passwords map[string]string
	// Rows counts the rows of every table right after the release wrote
	// the fixture (raw SQL; see CheckReleaseRows).
	Rows map[string]int
}

// ReleaseTenant is one tenant and what belongs to it.
type ReleaseTenant struct {
	Tenant      *tenant.Tenant
	Authorities []*tenant.Authority // ListAuthorities
	ServiceIDs  []string            // ListServices (own and shared), in its order
	// Targets are the targets of the tenant's own services that have any,
	// by service id.
	Targets          map[string][]*delivery.Target
	Users            []*account.User             // ListUsers
	FITConnectSender *delivery.FITConnectAccount // FITConnectSender, nil if none
	Submissions      []*ReleaseSubmission        // ListSubmissions, in its order
}

// ReleaseSubmission is one submission with everything attached to it.
type ReleaseSubmission struct {
	Listed      *submission.Submission   // as ListSubmissions returns it (no Data)
	Submission  *submission.Submission   // Submission(tenant, id), with Data
	Events      []*submission.Event      // Events
	Attachments []*submission.Attachment // ListAttachments
	Deliveries  []*delivery.Delivery     // Deliveries
}

// ReleaseFormVersion is a form version without its XDF bytes.
type ReleaseFormVersion struct {
	FormVersion *tenant.FormVersion // XDF nil
	XDFSHA256   string              // hex SHA-256 of the XDF bytes
	XDFSize     int
}

// ReleaseDraft is a draft, found by its resume token.
type ReleaseDraft struct {
	Token           string // the resume token; the store keeps sha256(Token)
	TenantID        string
	ReadAt          time.Time // the now passed to DraftByToken
	Draft           *submission.Draft
	Attachments     []*submission.Attachment // by id (Attachment), in upload order
	AttachmentFiles int                      // DraftAttachmentUsage
	AttachmentBytes int64
}

// ReleaseThrottle is one login throttle bucket.
type ReleaseThrottle struct {
	Key    string
	Bucket account.Bucket
	At     time.Time
	Tokens float64
}

// ReleaseSession is one row of the sessions table.
type ReleaseSession struct {
	Token  string
	Data   []byte
	Expiry time.Time
}

// DecodeRelease decodes an expected-<backend>.json. A field the current
// types do not have fails the test: the release stored something the
// current code can no longer represent.
func DecodeRelease(t testing.TB, expected []byte) *ReleaseFixture {
	t.Helper()
	dec := json.NewDecoder(bytes.NewReader(expected))
	dec.DisallowUnknownFields()
	dec.UseNumber() // draft data is read with json.Number, as the stores do
	fx := &ReleaseFixture{}
	if err := dec.Decode(fx); err != nil {
		t.Fatalf("expected file: %v", err)
	}
	if fx.Commit == "" || len(fx.Tenants) == 0 {
		t.Fatalf("expected file holds no release fixture")
	}
	return fx
}

// ReadGzip returns the unpacked content of a gzipped fixture file.
func ReadGzip(t testing.TB, path string) []byte {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	zr, err := gzip.NewReader(f)
	if err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	b, err := io.ReadAll(zr)
	if err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	return b
}

// Box returns a sealed.Box with the fixture's data key.
func (fx *ReleaseFixture) Box(t testing.TB) *sealed.Box {
	t.Helper()
	key, err := hex.DecodeString(fx.DataKey)
	if err != nil {
		t.Fatalf("DataKey: %v", err)
	}
	box, err := sealed.New(key)
	if err != nil {
		t.Fatalf("DataKey: %v", err)
	}
	return box
}

// releaseBookkeeping are tables whose rows a newer version may add to
// (migration records) or that River changes on its own.
var releaseBookkeeping = map[string]bool{
	"goose_db_version": true, "river_migration": true,
	"river_leader": true, "river_notification": true, "river_queue": true,
}

// releaseForgotten are the tables whose rows a migration deletes:
// login_throttle's keys held user names and addresses in plain text
// (migration 00011).
var releaseForgotten = map[string]bool{"login_throttle": true}

// CheckReleaseRows compares the row counts of the release's tables, as
// count returns them, with those recorded after the release wrote the
// fixture: migrating must not lose or add rows (River's queued jobs
// included). Migration records and River's bookkeeping tables may only
// grow. Call it after opening and before CheckRelease, which writes.
func CheckReleaseRows(t *testing.T, fx *ReleaseFixture, count func(table string) (int, error)) {
	t.Helper()
	if len(fx.Rows) == 0 {
		t.Fatal("expected file records no row counts")
	}
	tables := make([]string, 0, len(fx.Rows))
	for table := range fx.Rows {
		tables = append(tables, table)
	}
	slices.Sort(tables)
	for _, table := range tables {
		want := fx.Rows[table]
		if releaseForgotten[table] {
			want = 0
		}
		got, err := count(table)
		switch {
		case err != nil:
			t.Errorf("rows of %s: %v", table, err)
		case releaseBookkeeping[table] && table != "river_notification" && got < want:
			t.Errorf("rows of %s: %d, the release had %d", table, got, want)
		case !releaseBookkeeping[table] && got != want:
			t.Errorf("rows of %s: %d, the release wrote %d", table, got, want)
		}
	}
}

// CheckRelease reads everything expected (an expected-<backend>.json)
// records through s, the release's database opened (and so migrated)
// with the current code, and compares it field by field; then it makes
// one write of each kind on the migrated data (SaveDraft, Submit,
// Redeliver, RequeueOverdue, PurgeSubmissions, DeleteExpiredDrafts) and
// checks the outcome. It returns the decoded fixture.
func CheckRelease(t *testing.T, s Stores, expected []byte) *ReleaseFixture {
	t.Helper()
	fx := DecodeRelease(t, expected)
	t.Run("Read", func(t *testing.T) { checkReleaseRead(t, s, fx) })
	t.Run("Lookups", func(t *testing.T) { checkReleaseLookups(t, s, fx) })
	t.Run("Write", func(t *testing.T) { checkReleaseWrites(t, s, fx) })
	return fx
}

// readRelease reads what fx records, the way the release's generator did.
func readRelease(t *testing.T, s Stores, fx *ReleaseFixture) *ReleaseFixture {
	t.Helper()
	ctx := context.Background()
	got := &ReleaseFixture{Commit: fx.Commit, Backend: fx.Backend, DataKey: fx.DataKey,
		Sessions: fx.Sessions, Passwords: fx.Passwords, Rows: fx.Rows}
	must := func(what string, err error) {
		t.Helper()
		if err != nil {
			t.Fatalf("%s: %v", what, err)
		}
	}
	tenants, err := s.ListTenants(ctx)
	must("ListTenants", err)
	got.AllServices, err = s.ListAllServices(ctx)
	must("ListAllServices", err)
	for _, tn := range tenants {
		rt := &ReleaseTenant{Tenant: tn, Targets: map[string][]*delivery.Target{}}
		rt.Authorities, err = s.ListAuthorities(ctx, tn.ID)
		must("ListAuthorities", err)
		svcs, err := s.ListServices(ctx, tn.ID)
		must("ListServices", err)
		for _, svc := range svcs {
			rt.ServiceIDs = append(rt.ServiceIDs, svc.ID)
			if svc.TenantID != tn.ID {
				continue
			}
			ts, err := s.Targets(ctx, tn.ID, svc.ID)
			must("Targets", err)
			if len(ts) > 0 {
				rt.Targets[svc.ID] = ts
			}
		}
		rt.Users, err = s.ListUsers(ctx, tn.ID)
		must("ListUsers", err)
		switch a, err := s.FITConnectSender(ctx, tn.ID); {
		case err == nil:
			rt.FITConnectSender = a
		case !errors.Is(err, apperr.NotFound):
			t.Fatalf("FITConnectSender(%s): %v", tn.Slug, err)
		}
		list, err := s.ListSubmissions(ctx, tn.ID, submission.Filter{Limit: 10000})
		must("ListSubmissions", err)
		for _, l := range list {
			rs := &ReleaseSubmission{Listed: l}
			rs.Submission, err = s.Submission(ctx, tn.ID, l.ID)
			must("Submission", err)
			rs.Events, err = s.Events(ctx, tn.ID, l.ID)
			must("Events", err)
			rs.Attachments, err = s.ListAttachments(ctx, tn.ID, l.ID)
			must("ListAttachments", err)
			rs.Deliveries, err = s.Deliveries(ctx, tn.ID, l.ID)
			must("Deliveries", err)
			rt.Submissions = append(rt.Submissions, rs)
		}
		got.Tenants = append(got.Tenants, rt)
	}
	got.FITConnectDestinations, err = s.FITConnectDestinations(ctx)
	must("FITConnectDestinations", err)
	for _, want := range fx.Drafts {
		rd := &ReleaseDraft{Token: want.Token, TenantID: want.TenantID, ReadAt: want.ReadAt}
		rd.Draft, err = s.DraftByToken(ctx, want.TenantID, releaseTokenHash(want.Token), want.ReadAt)
		if err != nil {
			t.Errorf("the resume token %s… no longer opens draft %s: %v", want.Token[:8], want.Draft.ID, err)
			continue
		}
		for _, wa := range want.Attachments {
			a, err := s.Attachment(ctx, want.TenantID, wa.ID)
			must("Attachment", err)
			rd.Attachments = append(rd.Attachments, a)
		}
		rd.AttachmentFiles, rd.AttachmentBytes, err = s.DraftAttachmentUsage(ctx, want.TenantID, rd.Draft.ID)
		must("DraftAttachmentUsage", err)
		got.Drafts = append(got.Drafts, rd)
	}
	for _, want := range fx.FormVersions {
		fv, err := s.FormVersion(ctx, want.FormVersion.TenantID, want.FormVersion.ID)
		if err != nil {
			t.Errorf("FormVersion %s (%s v%d): %v", want.FormVersion.ID, want.FormVersion.Name, want.FormVersion.Version, err)
			continue
		}
		sum := sha256.Sum256(fv.XDF)
		rv := &ReleaseFormVersion{FormVersion: fv, XDFSHA256: hex.EncodeToString(sum[:]), XDFSize: len(fv.XDF)}
		fv.XDF = nil
		got.FormVersions = append(got.FormVersions, rv)
	}
	return got
}

func checkReleaseRead(t *testing.T, s Stores, fx *ReleaseFixture) {
	got := readRelease(t, s, fx)

	if len(got.Tenants) != len(fx.Tenants) {
		t.Errorf("ListTenants: %d tenants, the release had %d", len(got.Tenants), len(fx.Tenants))
	}
	for i := range min(len(got.Tenants), len(fx.Tenants)) {
		w, g := fx.Tenants[i], got.Tenants[i]
		name := "tenant " + w.Tenant.Slug
		releaseSame(t, name, w.Tenant, g.Tenant)
		releaseSame(t, name+": authorities", w.Authorities, g.Authorities)
		releaseSame(t, name+": ListServices", w.ServiceIDs, g.ServiceIDs)
		releaseSame(t, name+": targets", w.Targets, g.Targets)
		releaseSame(t, name+": users", w.Users, g.Users)
		releaseSame(t, name+": FIT-Connect sender", w.FITConnectSender, g.FITConnectSender)
		if len(g.Submissions) != len(w.Submissions) {
			t.Errorf("%s: %d submissions, the release had %d", name, len(g.Submissions), len(w.Submissions))
		}
		for j := range min(len(g.Submissions), len(w.Submissions)) {
			ws, gs := w.Submissions[j], g.Submissions[j]
			sname := name + ": submission " + ws.Submission.Reference
			releaseSame(t, sname+" (listed)", ws.Listed, gs.Listed)
			releaseSame(t, sname, ws.Submission, gs.Submission)
			releaseSame(t, sname+": events", ws.Events, gs.Events)
			releaseSame(t, sname+": attachments", ws.Attachments, gs.Attachments)
			releaseSame(t, sname+": deliveries", ws.Deliveries, gs.Deliveries)
			if sub := gs.Submission; sub.Data != nil {
				if sum := sha256.Sum256(sub.Data); hex.EncodeToString(sum[:]) != sub.DataSHA256 {
					t.Errorf("%s: the data does not hash to DataSHA256", sname)
				}
			}
			for _, d := range gs.Deliveries {
				// Round did not exist in the release: every migrated
				// delivery is in its first round.
				if d.Round != 0 {
					t.Errorf("%s: delivery %s has round %d after the migration, want 0", sname, d.ID, d.Round)
				}
			}
		}
	}
	releaseSame(t, "ListAllServices", fx.AllServices, got.AllServices)
	releaseSame(t, "form versions", fx.FormVersions, got.FormVersions)
	releaseSame(t, "FITConnectDestinations", fx.FITConnectDestinations, got.FITConnectDestinations)
	releaseSame(t, "drafts", fx.Drafts, got.Drafts)

	// The sealed columns were opened with the data key: file names, draft
	// and submission data, secrets. Say so if the fixture lacks them, so
	// that the comparison above cannot pass vacuously.
	var names, secrets int
	for _, d := range got.Drafts {
		for _, a := range d.Attachments {
			if a.Filename != "" {
				names++
			}
		}
	}
	for _, tn := range got.Tenants {
		for _, sub := range tn.Submissions {
			for _, a := range sub.Attachments {
				if a.Filename != "" {
					names++
				}
			}
		}
		for _, ts := range tn.Targets {
			for _, x := range ts {
				if x.Secret != "" {
					secrets++
				}
			}
		}
	}
	if names == 0 || secrets == 0 || len(got.FITConnectDestinations) == 0 {
		t.Errorf("the fixture has %d attachment names, %d webhook secrets, %d FIT-Connect destinations: too little to check", names, secrets, len(got.FITConnectDestinations))
	}
}

// checkReleaseLookups finds the release's records by their keys.
func checkReleaseLookups(t *testing.T, s Stores, fx *ReleaseFixture) {
	ctx := context.Background()
	for _, w := range fx.Tenants {
		tn := w.Tenant
		got, err := s.TenantBySlug(ctx, tn.Slug)
		if err != nil {
			t.Errorf("TenantBySlug(%s): %v", tn.Slug, err)
		} else {
			releaseSame(t, "TenantBySlug("+tn.Slug+")", tn, got)
		}
		if tn.Host != "" {
			got, err := s.TenantByHost(ctx, tn.Host)
			if err != nil {
				t.Errorf("TenantByHost(%s): %v", tn.Host, err)
			} else {
				releaseSame(t, "TenantByHost("+tn.Host+")", tn, got)
			}
		}
		for _, a := range w.Authorities {
			got, err := s.Authority(ctx, tn.ID, a.ID)
			if err != nil {
				t.Errorf("Authority(%s): %v", a.Name, err)
			} else {
				releaseSame(t, "Authority("+a.Name+")", a, got)
			}
		}
		for _, u := range w.Users {
			got, err := s.UserByUsername(ctx, u.Username)
			if err != nil {
				t.Errorf("UserByUsername(%s): %v", u.Username, err)
				continue
			}
			releaseSame(t, "UserByUsername("+u.Username+")", u, got)
			if pw, ok := fx.Passwords[u.Username]; ok {
				if ok, err := account.CheckPassword(got.PasswordHash, pw); err != nil || !ok {
					t.Errorf("the password of %s no longer matches its hash: %v, %v", u.Username, ok, err)
				}
			}
		}
		for _, ws := range w.Submissions {
			sub := ws.Submission
			for what, find := range map[string]func() (*submission.Submission, error){
				"SubmissionByReference": func() (*submission.Submission, error) {
					return s.SubmissionByReference(ctx, tn.ID, sub.Reference)
				},
				"SubmissionByIdempotencyKey": func() (*submission.Submission, error) {
					return s.SubmissionByIdempotencyKey(ctx, tn.ID, sub.IdempotencyKey)
				},
				"SubmissionByExternalRef": func() (*submission.Submission, error) {
					return s.SubmissionByExternalRef(ctx, tn.ID, sub.ExternalRef)
				},
				"SubmissionByDraft": func() (*submission.Submission, error) {
					return s.SubmissionByDraft(ctx, tn.ID, sub.DraftID)
				},
			} {
				if (what == "SubmissionByIdempotencyKey" && sub.IdempotencyKey == "") ||
					(what == "SubmissionByExternalRef" && sub.ExternalRef == "") ||
					(what == "SubmissionByDraft" && sub.DraftID == "") {
					continue
				}
				got, err := find()
				if err != nil {
					t.Errorf("%s(%s): %v", what, sub.Reference, err)
				} else {
					releaseSame(t, what+"("+sub.Reference+")", sub, got)
				}
			}
			for _, d := range ws.Deliveries {
				got, err := s.Delivery(ctx, tn.ID, d.ID)
				if err != nil {
					t.Errorf("Delivery(%s): %v", d.ID, err)
				} else {
					releaseSame(t, "Delivery("+d.ID+")", d, got)
				}
			}
		}
	}
	for _, svc := range fx.AllServices {
		got, err := s.Service(ctx, svc.TenantID, svc.ID)
		if err != nil {
			t.Errorf("Service(%s): %v", svc.Slug, err)
			continue
		}
		releaseSame(t, "Service("+svc.Slug+")", svc, got)
		got, err = s.ServiceBySlug(ctx, svc.TenantID, svc.Slug)
		if err != nil {
			t.Errorf("ServiceBySlug(%s): %v", svc.Slug, err)
			continue
		}
		releaseSame(t, "ServiceBySlug("+svc.Slug+")", svc, got)
	}
	for _, a := range fx.FITConnectDestinations {
		got, err := s.FITConnectDestination(ctx, a.DestinationID)
		if err != nil {
			t.Errorf("FITConnectDestination(%s): %v", a.DestinationID, err)
		} else {
			releaseSame(t, "FITConnectDestination("+a.DestinationID+")", a, got)
		}
	}
}

// checkReleaseWrites makes one write of each kind on the migrated data.
func checkReleaseWrites(t *testing.T, s Stores, fx *ReleaseFixture) {
	ctx := context.Background()
	now := time.Now().UTC()

	// An open draft with attachments, saved by the release.
	var open *ReleaseDraft
	for _, d := range fx.Drafts {
		if d.Draft.SubmissionID == "" && d.Draft.ExpiresAt.After(now) && len(d.Attachments) > 0 {
			open = d
			break
		}
	}
	if open == nil {
		t.Fatal("the fixture has no open draft with attachments")
	}

	// SaveDraft: a save based on an older revision is refused, one based
	// on the stored revision is taken and increments it.
	d, err := s.DraftByToken(ctx, open.TenantID, releaseTokenHash(open.Token), now)
	if err != nil {
		t.Fatalf("DraftByToken: %v", err)
	}
	stale := *d
	stale.Revision--
	if err := s.SaveDraft(ctx, &stale); !errors.Is(err, submission.ErrDraftChanged) {
		t.Errorf("SaveDraft(revision %d of %d) = %v, want ErrDraftChanged", stale.Revision, d.Revision, err)
	}
	d.Data["nachDerMigration"] = "gespeichert mit dem aktuellen Code – Grüße"
	d.Step++
	d.UpdatedAt = time.Time{}
	rev := d.Revision
	if err := s.SaveDraft(ctx, d); err != nil {
		t.Fatalf("SaveDraft: %v", err)
	}
	saved, err := s.DraftByToken(ctx, open.TenantID, releaseTokenHash(open.Token), now)
	if err != nil {
		t.Fatalf("DraftByToken after SaveDraft: %v", err)
	}
	if saved.Revision != rev+1 || saved.Step != d.Step || saved.Data["nachDerMigration"] != d.Data["nachDerMigration"] ||
		saved.Data["halter"] == nil {
		t.Errorf("after SaveDraft: revision %d (want %d), step %d (want %d), data %v", saved.Revision, rev+1, saved.Step, d.Step, saved.Data)
	}

	// Submit that draft with the attachments the release stored for it.
	svc, err := s.Service(ctx, open.TenantID, saved.ServiceID)
	if err != nil {
		t.Fatalf("Service: %v", err)
	}
	targets, err := s.Targets(ctx, open.TenantID, svc.ID)
	if err != nil {
		t.Fatalf("Targets: %v", err)
	}
	var attIDs []string
	for _, a := range open.Attachments {
		attIDs = append(attIDs, a.ID)
	}
	data := []byte(`{"nachDerMigration":"eingereicht – Grüße"}`)
	sum := sha256.Sum256(data)
	sub := &submission.Submission{TenantID: open.TenantID, ServiceID: svc.ID, FormVersionID: saved.FormVersionID,
		AuthorityID: svc.AuthorityID, Reference: "FX8A-3984-5999", DraftID: saved.ID, Data: data, DataSHA256: hex.EncodeToString(sum[:])}
	_, created, orphans, err := s.Submit(ctx, sub, &submission.Event{Actor: "Antragsteller", Action: "eingereicht"}, attIDs)
	if err != nil || !created || len(orphans) != 0 {
		t.Fatalf("Submit(draft of the release) = created %v, orphans %v, %v", created, orphans, err)
	}
	atts, err := s.ListAttachments(ctx, open.TenantID, sub.ID)
	if err != nil {
		t.Fatalf("ListAttachments: %v", err)
	}
	var wantAtts []*submission.Attachment
	for _, a := range open.Attachments {
		c := *a
		c.DraftID, c.SubmissionID = "", sub.ID
		wantAtts = append(wantAtts, &c)
	}
	releaseSame(t, "attachments of the draft after Submit", wantAtts, atts)
	ds, err := s.Deliveries(ctx, open.TenantID, sub.ID)
	if err != nil {
		t.Fatalf("Deliveries: %v", err)
	}
	if len(ds) != max(len(targets), 1) {
		t.Errorf("Submit made %d deliveries for %d targets", len(ds), len(targets))
	}
	for _, x := range ds {
		want := delivery.Pending
		if x.Target.Kind == delivery.Inbox {
			want = delivery.Delivered
		}
		if x.State != want || x.Round != 0 {
			t.Errorf("new delivery to %s: %s round %d, want %s round 0", x.Target.Kind, x.State, x.Round, want)
		}
	}
	if got, err := s.DraftByToken(ctx, open.TenantID, releaseTokenHash(open.Token), now); err != nil || got.SubmissionID != sub.ID {
		t.Errorf("draft after Submit: %+v, %v", got, err)
	}

	// Submit again with the idempotency key of a release submission: the
	// release's submission is found, nothing is stored.
	for _, tn := range fx.Tenants {
		for _, ws := range tn.Submissions {
			if ws.Submission.IdempotencyKey == "" {
				continue
			}
			again := &submission.Submission{TenantID: tn.Tenant.ID, ServiceID: ws.Submission.ServiceID, Reference: "FX8A-3984-5998",
				IdempotencyKey: ws.Submission.IdempotencyKey, Data: []byte(`{}`)}
			existing, created, _, err := s.Submit(ctx, again, &submission.Event{Actor: "Antragsteller", Action: "eingereicht"}, nil)
			if err != nil || created || existing == nil || existing.ID != ws.Submission.ID {
				t.Errorf("Submit(idempotency key %q of the release) = %+v, created %v, %v; want the release's %s",
					ws.Submission.IdempotencyKey, existing, created, err, ws.Submission.ID)
			}
		}
	}

	// Redeliver a delivery the release recorded as failed.
	var failed *delivery.Delivery
	for _, tn := range fx.Tenants {
		for _, ws := range tn.Submissions {
			for _, x := range ws.Deliveries {
				if failed == nil && x.State == delivery.Failed && x.Target.Kind != delivery.Inbox && ws.Submission.Data != nil {
					failed = x
				}
			}
		}
	}
	if failed == nil {
		t.Fatal("the fixture has no failed delivery")
	}
	if err := s.Redeliver(ctx, failed.TenantID, failed.ID, &submission.Event{Actor: "sachbearbeitung", Action: "erneut zustellen"}); err != nil {
		t.Errorf("Redeliver(failed delivery of the release): %v", err)
	} else if got, err := s.Delivery(ctx, failed.TenantID, failed.ID); err != nil {
		t.Errorf("Delivery after Redeliver: %v", err)
	} else if got.State != delivery.Pending || got.Round != failed.Round+1 || got.Attempts != failed.Attempts || !got.DoneAt.IsZero() {
		t.Errorf("after Redeliver: state %s round %d attempts %d done %v; want %s round %d attempts %d",
			got.State, got.Round, got.Attempts, got.DoneAt, delivery.Pending, failed.Round+1, failed.Attempts)
	}

	// RequeueOverdue: every pending delivery already has its live job (the
	// release queued one with each; the writes above queued theirs), so a
	// job the release queued must be recognised as that delivery's job and
	// no second one queued.
	if n, err := s.RequeueOverdue(ctx, now.Add(time.Hour), 10000); err != nil || n != 0 {
		t.Errorf("RequeueOverdue = %d, %v; want 0 new jobs (the release's jobs are the live ones)", n, err)
	}

	// PurgeSubmissions: the release's closed submissions that still have
	// data lose it and their attachments.
	var purge []*ReleaseSubmission
	var wantKeys []string
	for _, tn := range fx.Tenants {
		for _, ws := range tn.Submissions {
			if ws.Submission.Status == submission.Abgeschlossen && ws.Submission.Data != nil {
				purge = append(purge, ws)
				for _, a := range ws.Attachments {
					wantKeys = append(wantKeys, a.StorageKey)
				}
			}
		}
	}
	if len(purge) == 0 {
		t.Fatal("the fixture has no closed submission with data")
	}
	keys, err := s.PurgeSubmissions(ctx, now.Add(time.Hour))
	if err != nil {
		t.Fatalf("PurgeSubmissions: %v", err)
	}
	slices.Sort(keys)
	slices.Sort(wantKeys)
	releaseSame(t, "storage keys PurgeSubmissions returned", wantKeys, keys)
	for _, ws := range purge {
		w := ws.Submission
		got, err := s.Submission(ctx, w.TenantID, w.ID)
		if err != nil {
			t.Errorf("Submission(%s) after PurgeSubmissions: %v", w.Reference, err)
			continue
		}
		if got.Data != nil || got.DataSHA256 != w.DataSHA256 || got.Status != w.Status {
			t.Errorf("%s after PurgeSubmissions: data %q, hash %s, status %s", w.Reference, got.Data, got.DataSHA256, got.Status)
		}
		if atts, err := s.ListAttachments(ctx, w.TenantID, w.ID); err != nil || len(atts) != 0 {
			t.Errorf("%s after PurgeSubmissions: attachments %s, %v", w.Reference, plain(atts), err)
		}
		if evs, err := s.Events(ctx, w.TenantID, w.ID); err != nil || len(evs) != len(ws.Events)+1 {
			t.Errorf("%s after PurgeSubmissions: %d events, want %d (%v)", w.Reference, len(evs), len(ws.Events)+1, err)
		}
	}

	// DeleteExpiredDrafts: the release's expired drafts go, with their
	// attachments.
	var expired []*ReleaseDraft
	wantKeys = nil
	for _, d := range fx.Drafts {
		if !d.Draft.ExpiresAt.After(now) {
			expired = append(expired, d)
			for _, a := range d.Attachments {
				wantKeys = append(wantKeys, a.StorageKey)
			}
		}
	}
	if len(expired) == 0 {
		t.Fatal("the fixture has no expired draft")
	}
	keys, err = s.DeleteExpiredDrafts(ctx, now)
	if err != nil {
		t.Fatalf("DeleteExpiredDrafts: %v", err)
	}
	slices.Sort(keys)
	slices.Sort(wantKeys)
	releaseSame(t, "storage keys DeleteExpiredDrafts returned", wantKeys, keys)
	for _, d := range expired {
		if _, err := s.DraftByToken(ctx, d.TenantID, releaseTokenHash(d.Token), d.ReadAt); !errors.Is(err, apperr.NotFound) {
			t.Errorf("expired draft %s after DeleteExpiredDrafts: %v, want apperr.NotFound", d.Draft.ID, err)
		}
	}
}

func releaseTokenHash(token string) []byte {
	h := sha256.Sum256([]byte(token))
	return h[:]
}

// releaseSame compares want (from the release) and got as JSON and
// reports the first lines that differ.
func releaseSame(t *testing.T, what string, want, got any) bool {
	t.Helper()
	w, err := json.MarshalIndent(want, "", "  ")
	if err != nil {
		t.Fatalf("%s: %v", what, err)
	}
	g, err := json.MarshalIndent(got, "", "  ")
	if err != nil {
		t.Fatalf("%s: %v", what, err)
	}
	if bytes.Equal(w, g) {
		return true
	}
	wl, gl := strings.Split(string(w), "\n"), strings.Split(string(g), "\n")
	i := 0
	for i < len(wl) && i < len(gl) && wl[i] == gl[i] {
		i++
	}
	excerpt := func(lines []string) string {
		lo, hi := max(0, i-6), min(len(lines), i+4)
		var b strings.Builder
		for j := lo; j < hi; j++ {
			mark := "  "
			if j == i {
				mark = "> "
			}
			fmt.Fprintf(&b, "%s%s\n", mark, lines[j])
		}
		return b.String()
	}
	t.Errorf("%s differs from what the release stored (line %d):\nrelease:\n%scurrent:\n%s", what, i+1, excerpt(wl), excerpt(gl))
	return false
}

// ReleaseSchema is the schema a release's database has: antrag's
// migrations up to Antrag and River's up to River.
type ReleaseSchema struct {
	Antrag, River int64
}

// CheckReleaseDatabase opens the database at dsn, which the release wrote
// (a copy of its SQLite file, or its PostgreSQL dump restored) and which
// no later code has opened yet, with the current code, which migrates it
// in place, and checks it: before, exactly the release's migrations
// (schema) are applied; after, all; the row counts (CheckReleaseRows);
// the deliveries of each submission numbered 0, 1, … in the order the
// release listed them (migration 00008; CheckRelease compares the order);
// the web sessions as the store's scs store reads them; everything
// CheckRelease checks; and that another key is refused.
func CheckReleaseDatabase(t *testing.T, dsn string, expected []byte, schema ReleaseSchema) {
	ctx := context.Background()
	fx := DecodeRelease(t, expected)

	// Before: the release's migrations are applied, the newer ones pending.
	before, err := store.MigrationStatus(ctx, dsn)
	if err != nil {
		t.Fatalf("MigrationStatus before Open: %v", err)
	}
	for _, m := range before {
		inRelease := (m.Source == "antrag" && m.Version <= schema.Antrag) || (m.Source == "river" && m.Version <= schema.River)
		if m.Applied != inRelease {
			t.Errorf("before Open: %s migration %s applied %v, want %v", m.Source, m.Name, m.Applied, inRelease)
		}
		if !m.Applied {
			t.Logf("pending before Open: %s %s", m.Source, m.Name)
		}
	}

	db, err := store.Open(ctx, dsn, fx.Box(t))
	if err != nil {
		t.Fatalf("Open (migrating the release's database): %v", err)
	}
	defer db.Close()
	after, err := store.MigrationStatus(ctx, dsn)
	if err != nil {
		t.Fatalf("MigrationStatus after Open: %v", err)
	}
	for _, m := range after {
		if !m.Applied {
			t.Errorf("after Open: %s migration %s still pending", m.Source, m.Name)
		}
	}
	if len(after) < len(before) {
		t.Errorf("MigrationStatus lists %d migrations after Open, %d before", len(after), len(before))
	}

	CheckReleaseRows(t, fx, func(table string) (n int, err error) {
		err = db.SQL().QueryRowContext(ctx, `SELECT count(*) FROM "`+table+`"`).Scan(&n)
		return n, err
	})
	checkReleasePositions(t, db, fx)

	// Web sessions, as scs's store reads them.
	sessions, stop := db.SessionStore()
	defer stop()
	for _, s := range fx.Sessions {
		b, found, err := sessions.Find(s.Token)
		if err != nil || !found || !bytes.Equal(b, s.Data) {
			t.Errorf("session %s…: found %v, %v, data equal %v", s.Token[:8], found, err, bytes.Equal(b, s.Data))
		}
	}

	CheckRelease(t, db, expected)
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}

	// Another key cannot open the release's data.
	wrong, err := sealed.New(bytes.Repeat([]byte{0xa5}, 32))
	if err != nil {
		t.Fatal(err)
	}
	if db, err := store.Open(ctx, dsn, wrong); !errors.Is(err, store.ErrWrongKey) {
		if err == nil {
			db.Close()
		}
		t.Errorf("Open with another key: %v, want ErrWrongKey", err)
	}
}

// checkReleasePositions checks that the migration numbered the deliveries
// of each of the release's submissions 0, 1, … in the order in which the
// release listed them.
func checkReleasePositions(t *testing.T, db *store.DB, fx *ReleaseFixture) {
	t.Helper()
	ctx := context.Background()
	checked := 0
	for _, tn := range fx.Tenants {
		for _, ws := range tn.Submissions {
			var ids []string
			rows, err := db.SQL().QueryContext(ctx, `SELECT id, position FROM deliveries
				WHERE tenant_id = $1 AND submission_id = $2 ORDER BY position`, ws.Submission.TenantID, ws.Submission.ID)
			if err != nil {
				t.Fatalf("positions: %v", err)
			}
			for i := 0; rows.Next(); i++ {
				var id string
				var pos int
				if err := rows.Scan(&id, &pos); err != nil {
					t.Fatalf("positions: %v", err)
				}
				if pos != i {
					t.Errorf("submission %s: delivery %s has position %d, want %d", ws.Submission.Reference, id, pos, i)
				}
				ids = append(ids, id)
			}
			if err := errors.Join(rows.Err(), rows.Close()); err != nil {
				t.Fatalf("positions: %v", err)
			}
			var want []string
			for _, d := range ws.Deliveries {
				want = append(want, d.ID)
			}
			if !slices.Equal(ids, want) {
				t.Errorf("submission %s: deliveries by position %v, the release listed %v", ws.Submission.Reference, ids, want)
			}
			checked += len(ids)
		}
	}
	if checked == 0 {
		t.Error("the fixture has no deliveries: their order cannot be checked")
	}
}
