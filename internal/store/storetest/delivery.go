package storetest

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/antrag/antrag/internal/apperr"
	"github.com/antrag/antrag/internal/delivery"
	"github.com/antrag/antrag/internal/submission"
	"github.com/antrag/antrag/internal/tenant"
)

// FIT-Connect destinations (Zustellpunkte) of the tests.
const (
	destA       = "8a6c9f2e-3b1d-4c5e-9f7a-0b2c4d6e8f10"
	destB       = "1f2e3d4c-5b6a-4978-8a9b-0c1d2e3f4a5b"
	destUnknown = "00000000-0000-4000-8000-00000000dead"
	unknownID   = "00000000-0000-4000-8000-000000000001"
)

func inboxTarget() *delivery.Target { return &delivery.Target{Kind: delivery.Inbox} }

func fitconnectTarget(dest string) *delivery.Target {
	return &delivery.Target{Kind: delivery.FITConnect, DestinationID: dest}
}

func webhookTarget(secret string) *delivery.Target {
	return &delivery.Target{Kind: delivery.Webhook, URL: "https://fachverfahren.example.org/antrag/webhook", Secret: secret}
}

func emailTarget() *delivery.Target {
	return &delivery.Target{Kind: delivery.Email, Address: "poststelle@example.org"}
}

// sameTargetFields reports whether got and want have the same kind and
// kind-specific fields (ids not compared).
func sameTargetFields(got, want *delivery.Target) bool {
	return got.Kind == want.Kind && got.DestinationID == want.DestinationID && got.URL == want.URL &&
		got.Secret == want.Secret && got.Address == want.Address
}

// mustTargets sets the targets of one of the tenant's services and returns
// them as stored.
func mustTargets(t *testing.T, s Stores, tenantID, serviceID string, targets ...*delivery.Target) []*delivery.Target {
	t.Helper()
	ctx := context.Background()
	if err := s.SetTargets(ctx, tenantID, serviceID, targets); err != nil {
		t.Fatalf("SetTargets: %v", err)
	}
	got, err := s.Targets(ctx, tenantID, serviceID)
	if err != nil {
		t.Fatalf("Targets: %v", err)
	}
	if len(got) != len(targets) {
		t.Fatalf("Targets after SetTargets: %d, want %d", len(got), len(targets))
	}
	return got
}

// mustDeliveries returns the deliveries of a submission and fails unless
// there are n.
func mustDeliveries(t *testing.T, s Stores, tenantID, submissionID string, n int) []*delivery.Delivery {
	t.Helper()
	ds, err := s.Deliveries(context.Background(), tenantID, submissionID)
	if err != nil {
		t.Fatalf("Deliveries: %v", err)
	}
	if len(ds) != n {
		var kinds []delivery.Kind
		for _, d := range ds {
			kinds = append(kinds, d.Target.Kind)
		}
		t.Fatalf("Deliveries: %d %v, want %d", len(ds), kinds, n)
	}
	return ds
}

// mustDelivery reads one delivery.
func mustDelivery(t *testing.T, s Stores, tenantID, id string) *delivery.Delivery {
	t.Helper()
	d, err := s.Delivery(context.Background(), tenantID, id)
	if err != nil {
		t.Fatalf("Delivery: %v", err)
	}
	return d
}

// setState stores d in state st (done now, unless Pending).
func setState(t *testing.T, s Stores, d *delivery.Delivery, st delivery.State) {
	t.Helper()
	d.State = st
	d.NextAttempt, d.DoneAt = time.Time{}, time.Now().UTC()
	if st == delivery.Pending {
		d.NextAttempt, d.DoneAt = time.Now().UTC(), time.Time{}
	}
	if err := s.UpdateDelivery(context.Background(), d, storedState(t, s, d), nil); err != nil {
		t.Fatalf("UpdateDelivery(%s): %v", st, err)
	}
}

// countEvents returns the number of events of a submission.
func countEvents(t *testing.T, s Stores, tenantID, submissionID string) int {
	t.Helper()
	evs, err := s.Events(context.Background(), tenantID, submissionID)
	if err != nil {
		t.Fatalf("Events: %v", err)
	}
	return len(evs)
}

func ids(ds []*delivery.Delivery) []string {
	var out []string
	for _, d := range ds {
		out = append(out, d.ID)
	}
	return out
}

func testTargets(t *testing.T, s Stores) {
	ctx := context.Background()
	f := newFixture(t, s)

	// A service without targets has none.
	got, err := s.Targets(ctx, f.a.ID, f.svcA.ID)
	noErr(t, "Targets(none set)", err)
	if len(got) != 0 {
		t.Errorf("Targets(none set) = %d targets", len(got))
	}

	secret := delivery.NewWebhookSecret()
	want := []*delivery.Target{
		emailTarget(),
		webhookTarget(secret),
		inboxTarget(),
		fitconnectTarget(destA),
		{Kind: delivery.Webhook, URL: "http://127.0.0.1:8080/hook", Secret: delivery.NewWebhookSecret()}, // loopback http
	}
	noErr(t, "SetTargets", s.SetTargets(ctx, f.a.ID, f.svcA.ID, want))
	got, err = s.Targets(ctx, f.a.ID, f.svcA.ID)
	noErr(t, "Targets", err)
	if len(got) != len(want) {
		t.Fatalf("Targets = %d targets, want %d", len(got), len(want))
	}
	seen := map[string]bool{}
	for i, g := range got {
		if !sameTargetFields(g, want[i]) {
			t.Errorf("Targets[%d] = %+v, want %+v", i, g, want[i])
		}
		if g.ID == "" || seen[g.ID] {
			t.Errorf("Targets[%d].ID = %q (empty or repeated)", i, g.ID)
		}
		seen[g.ID] = true
		if g.TenantID != f.a.ID || g.ServiceID != f.svcA.ID {
			t.Errorf("Targets[%d]: tenant %q service %q", i, g.TenantID, g.ServiceID)
		}
	}
	if got[1].Secret != secret {
		t.Errorf("webhook secret = %q, want %q", got[1].Secret, secret)
	}

	// Another service and another tenant see none of them.
	other, err := s.Targets(ctx, f.a.ID, f.sharedA.ID)
	noErr(t, "Targets(other service)", err)
	if len(other) != 0 {
		t.Errorf("Targets(other service) = %d targets", len(other))
	}
	foreign, err := s.Targets(ctx, f.b.ID, f.svcA.ID)
	if err == nil && len(foreign) != 0 {
		t.Errorf("Targets(b, service of a) = %d targets", len(foreign))
	}
	if err != nil {
		wantKind(t, "Targets(b, service of a)", err, apperr.NotFound)
	}

	// Invalid targets are refused, and the stored ones stay.
	for _, c := range []struct {
		name    string
		targets []*delivery.Target
	}{
		{"fitconnect without UUID", []*delivery.Target{{Kind: delivery.FITConnect}}},
		{"fitconnect with bad UUID", []*delivery.Target{fitconnectTarget("keine-uuid")}},
		{"webhook http non-loopback", []*delivery.Target{{Kind: delivery.Webhook, URL: "http://example.org/hook", Secret: secret}}},
		{"webhook without URL", []*delivery.Target{{Kind: delivery.Webhook, Secret: secret}}},
		{"webhook bad secret", []*delivery.Target{{Kind: delivery.Webhook, URL: "https://example.org/hook", Secret: "whsec_kurz"}}},
		{"webhook secret without prefix", []*delivery.Target{{Kind: delivery.Webhook, URL: "https://example.org/hook", Secret: secret[len(delivery.WebhookSecretPrefix):]}}},
		{"email with name", []*delivery.Target{{Kind: delivery.Email, Address: "Name <a@b.de>"}}},
		{"email empty", []*delivery.Target{{Kind: delivery.Email}}},
		{"unknown kind", []*delivery.Target{{Kind: "fax", Address: "0301234567"}}},
		{"two inbox targets", []*delivery.Target{inboxTarget(), emailTarget(), inboxTarget()}},
		{"the same webhook twice", []*delivery.Target{{Kind: delivery.Webhook, URL: "https://example.org/hook", Secret: secret},
			{Kind: delivery.Webhook, URL: "https://example.org/hook", Secret: delivery.NewWebhookSecret()}}},
		{"the same mailbox twice", []*delivery.Target{{Kind: delivery.Email, Address: "amt@example.org"}, {Kind: delivery.Email, Address: "AMT@example.org"}}},
		{"the same destination twice", []*delivery.Target{fitconnectTarget("0b6f6a3e-4d2c-4f19-9a57-3c8e2d1f7b40"), fitconnectTarget("0b6f6a3e-4d2c-4f19-9a57-3c8e2d1f7b40")}},
		{"valid then invalid", []*delivery.Target{emailTarget(), {Kind: delivery.FITConnect}}},
	} {
		err := s.SetTargets(ctx, f.a.ID, f.svcA.ID, c.targets)
		wantKind(t, "SetTargets("+c.name+")", err, apperr.Invalid)
	}
	after, err := s.Targets(ctx, f.a.ID, f.svcA.ID)
	noErr(t, "Targets after refused SetTargets", err)
	if len(after) != len(want) {
		t.Errorf("Targets after refused SetTargets = %d targets, want %d", len(after), len(want))
	}

	// Unknown service, another tenant's service.
	wantKind(t, "SetTargets(unknown service)", s.SetTargets(ctx, f.a.ID, unknownID, []*delivery.Target{emailTarget()}), apperr.NotFound)
	wantKind(t, "SetTargets(b, service of a)", s.SetTargets(ctx, f.b.ID, f.svcA.ID, []*delivery.Target{emailTarget()}), apperr.NotFound)
	wantKind(t, "SetTargets(a, service of b)", s.SetTargets(ctx, f.a.ID, f.svcB.ID, []*delivery.Target{emailTarget()}), apperr.NotFound)
	mine, err := s.Targets(ctx, f.b.ID, f.svcB.ID)
	noErr(t, "Targets(b)", err)
	if len(mine) != 0 {
		t.Errorf("Targets(b) after refused SetTargets = %d targets", len(mine))
	}

	// Replacing removes the old targets.
	replaced := mustTargets(t, s, f.a.ID, f.svcA.ID, fitconnectTarget(destB), emailTarget())
	if !sameTargetFields(replaced[0], fitconnectTarget(destB)) || !sameTargetFields(replaced[1], emailTarget()) {
		t.Errorf("Targets after replace = %+v, %+v", replaced[0], replaced[1])
	}
	noErr(t, "SetTargets(none)", s.SetTargets(ctx, f.a.ID, f.svcA.ID, nil))
	got, err = s.Targets(ctx, f.a.ID, f.svcA.ID)
	noErr(t, "Targets after SetTargets(none)", err)
	if len(got) != 0 {
		t.Errorf("Targets after SetTargets(none) = %d targets", len(got))
	}
}

func testSubmitCreatesDeliveries(t *testing.T, s Stores) {
	ctx := context.Background()
	f := newFixture(t, s)

	// A service without targets: the Inbox alone, delivered at once.
	subB := f.mustSubmit(t, f.newSubmission(f.b, f.svcB, f.authB.ID))
	ds := mustDeliveries(t, s, f.b.ID, subB.ID, 1)
	in := ds[0]
	if in.ID == "" || in.TenantID != f.b.ID || in.SubmissionID != subB.ID || in.Target.Kind != delivery.Inbox ||
		in.State != delivery.Delivered || in.Attempts != 0 || in.LastError != "" || in.RemoteID != "" {
		t.Errorf("inbox delivery = %+v", in)
	}
	recent(t, "inbox DoneAt", in.DoneAt)
	recent(t, "inbox CreatedAt", in.CreatedAt)
	if !in.NextAttempt.IsZero() {
		t.Errorf("inbox NextAttempt = %v, want zero", in.NextAttempt)
	}
	byID := mustDelivery(t, s, f.b.ID, in.ID)
	if byID.ID != in.ID || byID.SubmissionID != subB.ID || byID.State != delivery.Delivered || byID.Target.Kind != delivery.Inbox {
		t.Errorf("Delivery = %+v, want %+v", byID, in)
	}

	// A service with targets: one delivery per target, in their order.
	secret := delivery.NewWebhookSecret()
	targets := mustTargets(t, s, f.a.ID, f.svcA.ID, inboxTarget(), webhookTarget(secret), emailTarget())
	const key = "0c6f7d2a-9b1e-4f3c-8d5a-6e7f8a9b0c1d"
	sub := f.newSubmission(f.a, f.svcA, f.authA.ID)
	sub.IdempotencyKey = key
	f.mustSubmit(t, sub)
	ds = mustDeliveries(t, s, f.a.ID, sub.ID, 3)
	seen := map[string]bool{}
	for i, d := range ds {
		if d.Target != *targets[i] {
			t.Errorf("delivery %d target = %+v, want %+v", i, d.Target, *targets[i])
		}
		if d.ID == "" || seen[d.ID] || d.TenantID != f.a.ID || d.SubmissionID != sub.ID || d.Attempts != 0 {
			t.Errorf("delivery %d = %+v", i, d)
		}
		seen[d.ID] = true
		recent(t, fmt.Sprintf("delivery %d CreatedAt", i), d.CreatedAt)
	}
	if ds[1].Target.Secret != secret {
		t.Errorf("webhook delivery secret = %q, want %q", ds[1].Target.Secret, secret)
	}
	if ds[0].State != delivery.Delivered || !ds[0].NextAttempt.IsZero() {
		t.Errorf("inbox delivery: state %q next attempt %v", ds[0].State, ds[0].NextAttempt)
	}
	recent(t, "inbox DoneAt", ds[0].DoneAt)
	for _, d := range ds[1:] {
		if d.State != delivery.Pending || !d.DoneAt.IsZero() {
			t.Errorf("%s delivery: state %q done at %v, want pending", d.Target.Kind, d.State, d.DoneAt)
		}
		recent(t, string(d.Target.Kind)+" NextAttempt", d.NextAttempt)
	}
	for _, d := range ds {
		got := mustDelivery(t, s, f.a.ID, d.ID)
		if got.ID != d.ID || got.State != d.State || got.Target != d.Target || got.SubmissionID != d.SubmissionID {
			t.Errorf("Delivery(%s) = %+v, want %+v", d.ID, got, d)
		}
	}

	// The idempotent re-submit adds no deliveries.
	again := f.newSubmission(f.a, f.svcA, f.authA.ID)
	again.IdempotencyKey = key
	old, created, _, err := s.Submit(ctx, again, submitted(), nil)
	noErr(t, "Submit(same key)", err)
	if created || old.ID != sub.ID {
		t.Fatalf("Submit(same key): created %v, id %q, want %q", created, old.ID, sub.ID)
	}
	if got := ids(mustDeliveries(t, s, f.a.ID, sub.ID, 3)); !slices.Equal(got, ids(ds)) {
		t.Errorf("deliveries after re-submit = %q, want %q", got, ids(ds))
	}

	// A submission from a draft gets them too, once.
	d, _ := f.newDraft(t, f.a, f.svcA, map[string]any{"F": "x"})
	fromDraft := f.newSubmission(f.a, f.svcA, f.authA.ID)
	fromDraft.DraftID = d.ID
	f.mustSubmit(t, fromDraft)
	mustDeliveries(t, s, f.a.ID, fromDraft.ID, 3)
	twice := f.newSubmission(f.a, f.svcA, f.authA.ID)
	twice.DraftID = d.ID
	_, created, _, err = s.Submit(ctx, twice, submitted(), nil)
	noErr(t, "Submit(draft again)", err)
	if created {
		t.Error("Submit(draft again): created")
	}
	mustDeliveries(t, s, f.a.ID, fromDraft.ID, 3)

	// Later changes of the targets leave the deliveries made alone.
	mustTargets(t, s, f.a.ID, f.svcA.ID, emailTarget())
	for i, d := range mustDeliveries(t, s, f.a.ID, sub.ID, 3) {
		if d.Target != *targets[i] {
			t.Errorf("after SetTargets: delivery %d target = %+v, want %+v", i, d.Target, *targets[i])
		}
	}

	// Tenant B cannot read A's deliveries.
	for _, d := range ds {
		_, err := s.Delivery(ctx, f.b.ID, d.ID)
		wantKind(t, "Delivery(b, delivery of a)", err, apperr.NotFound)
	}
	foreign, err := s.Deliveries(ctx, f.b.ID, sub.ID)
	noErr(t, "Deliveries(b, submission of a)", err)
	if len(foreign) != 0 {
		t.Errorf("Deliveries(b, submission of a) = %d deliveries", len(foreign))
	}
	_, err = s.Delivery(ctx, f.a.ID, unknownID)
	wantKind(t, "Delivery(unknown)", err, apperr.NotFound)
	none, err := s.Deliveries(ctx, f.a.ID, unknownID)
	noErr(t, "Deliveries(unknown submission)", err)
	if len(none) != 0 {
		t.Errorf("Deliveries(unknown submission) = %d deliveries", len(none))
	}
}

func testUpdateDelivery(t *testing.T, s Stores) {
	ctx := context.Background()
	f := newFixture(t, s)
	mustTargets(t, s, f.a.ID, f.svcA.ID, webhookTarget(delivery.NewWebhookSecret()))
	sub := f.mustSubmit(t, f.newSubmission(f.a, f.svcA, f.authA.ID))
	orig := mustDeliveries(t, s, f.a.ID, sub.ID, 1)[0]
	if orig.Target.Kind != delivery.Webhook {
		t.Fatalf("delivery kind %q, want webhook", orig.Target.Kind)
	}

	// A failed attempt.
	d := mustDelivery(t, s, f.a.ID, orig.ID)
	next := time.Now().UTC().Add(time.Hour)
	d.Attempts = 2
	d.LastError = "HTTP 503 Service Unavailable"
	d.RemoteID = "remote-4711"
	d.CaseID = "case-0815"
	d.NextAttempt = next
	noErr(t, "UpdateDelivery(attempt)", s.UpdateDelivery(ctx, d, storedState(t, s, d), nil))
	got := mustDelivery(t, s, f.a.ID, d.ID)
	if got.State != delivery.Pending || got.Attempts != 2 || got.LastError != d.LastError || got.RemoteID != "remote-4711" ||
		got.CaseID != "case-0815" || got.Target != orig.Target || got.SubmissionID != sub.ID || got.TenantID != f.a.ID {
		t.Errorf("after UpdateDelivery(attempt) = %+v", got)
	}
	sameTime(t, "NextAttempt", got.NextAttempt, next)
	sameTime(t, "CreatedAt", got.CreatedAt, orig.CreatedAt)
	recent(t, "UpdatedAt", got.UpdatedAt)
	if !got.DoneAt.IsZero() {
		t.Errorf("DoneAt = %v, want zero", got.DoneAt)
	}
	if n := countEvents(t, s, f.a.ID, sub.ID); n != 1 {
		t.Errorf("%d events after UpdateDelivery without event, want 1", n)
	}

	// Delivered, with an event.
	done := time.Now().UTC()
	d.State, d.Attempts, d.LastError, d.NextAttempt, d.DoneAt = delivery.Delivered, 3, "", time.Time{}, done
	ev := &submission.Event{At: done, Actor: "System", Action: "zugestellt", Detail: "Webhook https://fachverfahren.example.org: zugestellt"}
	noErr(t, "UpdateDelivery(delivered)", s.UpdateDelivery(ctx, d, storedState(t, s, d), ev))
	got = mustDelivery(t, s, f.a.ID, d.ID)
	if got.State != delivery.Delivered || got.Attempts != 3 || got.LastError != "" || !got.NextAttempt.IsZero() {
		t.Errorf("after UpdateDelivery(delivered) = %+v", got)
	}
	sameTime(t, "DoneAt", got.DoneAt, done)
	evs, err := s.Events(ctx, f.a.ID, sub.ID)
	noErr(t, "Events", err)
	if len(evs) != 2 {
		t.Fatalf("%d events, want 2", len(evs))
	}
	last := evs[1]
	if last.Actor != ev.Actor || last.Action != ev.Action || last.Detail != ev.Detail || last.SubmissionID != sub.ID || last.TenantID != f.a.ID {
		t.Errorf("delivery event = %+v, want %+v", last, ev)
	}
	sameTime(t, "event At", last.At, done)

	// Rejected, with the receiver's reason.
	d.State, d.Reason = delivery.Rejected, "Nachweis fehlt"
	noErr(t, "UpdateDelivery(rejected)", s.UpdateDelivery(ctx, d, storedState(t, s, d), nil))
	got = mustDelivery(t, s, f.a.ID, d.ID)
	if got.State != delivery.Rejected || got.Reason != "Nachweis fehlt" {
		t.Errorf("after UpdateDelivery(rejected): state %q reason %q", got.State, got.Reason)
	}

	// Unknown, or another tenant's: not found, nothing changed, no event.
	unknown := *d
	unknown.ID = unknownID
	wantKind(t, "UpdateDelivery(unknown)", s.UpdateDelivery(ctx, &unknown, storedState(t, s, &unknown), &submission.Event{Actor: "System", Action: "x"}), apperr.NotFound)
	foreign := *d
	foreign.TenantID, foreign.State, foreign.Reason = f.b.ID, delivery.Failed, "fremd"
	wantKind(t, "UpdateDelivery(other tenant)", s.UpdateDelivery(ctx, &foreign, storedState(t, s, &foreign), &submission.Event{Actor: "System", Action: "x"}), apperr.NotFound)
	got = mustDelivery(t, s, f.a.ID, d.ID)
	if got.State != delivery.Rejected || got.Reason != "Nachweis fehlt" {
		t.Errorf("after refused updates: state %q reason %q", got.State, got.Reason)
	}
	if n := countEvents(t, s, f.a.ID, sub.ID); n != 2 {
		t.Errorf("%d events after refused updates, want 2", n)
	}
	if n := countEvents(t, s, f.b.ID, sub.ID); n != 0 {
		t.Errorf("%d events of b for a's submission", n)
	}
}

func testFollowing(t *testing.T, s Stores) {
	ctx := context.Background()
	f := newFixture(t, s)
	mustTargets(t, s, f.a.ID, f.svcA.ID, fitconnectTarget(destA), webhookTarget(delivery.NewWebhookSecret()))
	mustTargets(t, s, f.b.ID, f.svcB.ID, fitconnectTarget(destB))
	var fcA []*delivery.Delivery
	var whA *delivery.Delivery
	for i := range 3 {
		sub := f.mustSubmit(t, f.newSubmission(f.a, f.svcA, f.authA.ID))
		ds := mustDeliveries(t, s, f.a.ID, sub.ID, 2)
		fcA = append(fcA, ds[0])
		if i == 0 {
			whA = ds[1]
		}
	}
	subB := f.mustSubmit(t, f.newSubmission(f.b, f.svcB, f.authB.ID))
	fcB := mustDeliveries(t, s, f.b.ID, subB.ID, 1)[0]

	following := func(kind delivery.Kind, limit int) []*delivery.Delivery {
		t.Helper()
		ds, err := s.Following(ctx, kind, limit)
		noErr(t, "Following", err)
		return ds
	}
	if ds := following(delivery.FITConnect, 10); len(ds) != 0 {
		t.Errorf("Following while pending = %q", ids(ds))
	}

	setState(t, s, fcA[0], delivery.Delivered)
	setState(t, s, fcB, delivery.Delivered)
	setState(t, s, whA, delivery.Delivered)
	setState(t, s, fcA[1], delivery.Accepted)
	setState(t, s, fcA[2], delivery.Failed)

	ds := following(delivery.FITConnect, 10)
	if want := []string{fcA[0].ID, fcB.ID}; !slices.Equal(ids(ds), want) {
		t.Fatalf("Following(fitconnect) = %q, want %q (oldest first)", ids(ds), want)
	}
	if ds[0].TenantID != f.a.ID || ds[1].TenantID != f.b.ID || ds[1].Target.DestinationID != destB ||
		ds[0].State != delivery.Delivered || ds[1].SubmissionID != subB.ID {
		t.Errorf("Following(fitconnect) = %+v, %+v", ds[0], ds[1])
	}
	if ds := following(delivery.Webhook, 10); !slices.Equal(ids(ds), []string{whA.ID}) {
		t.Errorf("Following(webhook) = %q, want %q", ids(ds), whA.ID)
	}
	if ds := following(delivery.Email, 10); len(ds) != 0 {
		t.Errorf("Following(email) = %q", ids(ds))
	}
	if ds := following(delivery.FITConnect, 1); !slices.Equal(ids(ds), []string{fcA[0].ID}) {
		t.Errorf("Following(fitconnect, 1) = %q, want %q", ids(ds), fcA[0].ID)
	}

	// Checking one makes it the most recently checked.
	noErr(t, "UpdateDelivery(touch)", s.UpdateDelivery(ctx, fcA[0], storedState(t, s, fcA[0]), nil))
	if want := []string{fcB.ID, fcA[0].ID}; !slices.Equal(ids(following(delivery.FITConnect, 10)), want) {
		t.Errorf("Following after touching the first = %q, want %q", ids(following(delivery.FITConnect, 10)), want)
	}

	// Once decided, it is no longer followed.
	setState(t, s, fcB, delivery.Rejected)
	if want := []string{fcA[0].ID}; !slices.Equal(ids(following(delivery.FITConnect, 10)), want) {
		t.Errorf("Following after rejection = %q, want %q", ids(following(delivery.FITConnect, 10)), want)
	}
}

func testRedeliver(t *testing.T, s Stores) {
	ctx := context.Background()
	f := newFixture(t, s)
	mustTargets(t, s, f.a.ID, f.svcA.ID, inboxTarget(), fitconnectTarget(destA), webhookTarget(delivery.NewWebhookSecret()))
	sub := f.mustSubmit(t, f.newSubmission(f.a, f.svcA, f.authA.ID))
	ds := mustDeliveries(t, s, f.a.ID, sub.ID, 3)
	in, fc, wh := ds[0], ds[1], ds[2]
	staff := func() *submission.Event {
		return &submission.Event{Actor: "Erika Mustermann", Action: "erneut zustellen", Detail: "Zustellung erneut angestoßen"}
	}
	events := countEvents(t, s, f.a.ID, sub.ID)

	wantKind(t, "Redeliver(pending)", s.Redeliver(ctx, f.a.ID, wh.ID, staff()), apperr.Conflict)
	setState(t, s, wh, delivery.Delivered)
	wantKind(t, "Redeliver(delivered)", s.Redeliver(ctx, f.a.ID, wh.ID, staff()), apperr.Conflict)
	setState(t, s, fc, delivery.Accepted)
	wantKind(t, "Redeliver(accepted)", s.Redeliver(ctx, f.a.ID, fc.ID, staff()), apperr.Conflict)
	wantKind(t, "Redeliver(inbox)", s.Redeliver(ctx, f.a.ID, in.ID, staff()), apperr.Conflict)
	setState(t, s, in, delivery.Failed)
	wantKind(t, "Redeliver(failed inbox)", s.Redeliver(ctx, f.a.ID, in.ID, staff()), apperr.Conflict)
	if got := mustDelivery(t, s, f.a.ID, in.ID); got.State != delivery.Failed {
		t.Errorf("inbox after refused Redeliver: state %q", got.State)
	}
	if n := countEvents(t, s, f.a.ID, sub.ID); n != events {
		t.Errorf("%d events after refused Redeliver, want %d", n, events)
	}

	// Failed: pending again, with the event.
	wh.State, wh.Attempts, wh.LastError = delivery.Failed, 7, "HTTP 500 Internal Server Error"
	wh.NextAttempt, wh.DoneAt = time.Time{}, time.Now().UTC()
	noErr(t, "UpdateDelivery(failed)", s.UpdateDelivery(ctx, wh, storedState(t, s, wh), nil))
	ev := staff()
	noErr(t, "Redeliver(failed)", s.Redeliver(ctx, f.a.ID, wh.ID, ev))
	got := mustDelivery(t, s, f.a.ID, wh.ID)
	if got.State != delivery.Pending || !got.DoneAt.IsZero() || got.Target != wh.Target || got.Round != wh.Round+1 || got.Attempts != 7 {
		t.Errorf("after Redeliver(failed) = %+v (round %d → want %d)", got, wh.Round, wh.Round+1)
	}
	recent(t, "NextAttempt after Redeliver", got.NextAttempt)
	evs, err := s.Events(ctx, f.a.ID, sub.ID)
	noErr(t, "Events", err)
	if len(evs) != events+1 {
		t.Fatalf("%d events after Redeliver, want %d", len(evs), events+1)
	}
	if last := evs[len(evs)-1]; last.Actor != ev.Actor || last.Action != ev.Action || last.Detail != ev.Detail || last.SubmissionID != sub.ID {
		t.Errorf("Redeliver event = %+v, want %+v", last, ev)
	}
	wantKind(t, "Redeliver(pending again)", s.Redeliver(ctx, f.a.ID, wh.ID, staff()), apperr.Conflict)

	// Rejected: pending again, and the remote ids and the reason cleared.
	fc.State, fc.RemoteID, fc.CaseID, fc.Reason = delivery.Rejected, "9d8c7b6a-5f4e-4d3c-2b1a-0f9e8d7c6b5a", "1a2b3c4d-5e6f-4a7b-8c9d-0e1f2a3b4c5d", "Formular veraltet"
	fc.NextAttempt, fc.DoneAt = time.Time{}, time.Now().UTC()
	noErr(t, "UpdateDelivery(rejected)", s.UpdateDelivery(ctx, fc, storedState(t, s, fc), nil))
	noErr(t, "Redeliver(rejected)", s.Redeliver(ctx, f.a.ID, fc.ID, staff()))
	got = mustDelivery(t, s, f.a.ID, fc.ID)
	if got.State != delivery.Pending || got.RemoteID != "" || got.CaseID != "" || got.Reason != "" || !got.DoneAt.IsZero() || got.Round != fc.Round+1 {
		t.Errorf("after Redeliver(rejected) = %+v", got)
	}
	recent(t, "NextAttempt after Redeliver(rejected)", got.NextAttempt)

	// Another tenant's, or an unknown one: not found.
	setState(t, s, wh, delivery.Failed)
	events = countEvents(t, s, f.a.ID, sub.ID)
	wantKind(t, "Redeliver(b, delivery of a)", s.Redeliver(ctx, f.b.ID, wh.ID, staff()), apperr.NotFound)
	wantKind(t, "Redeliver(unknown)", s.Redeliver(ctx, f.a.ID, unknownID, staff()), apperr.NotFound)
	if got := mustDelivery(t, s, f.a.ID, wh.ID); got.State != delivery.Failed {
		t.Errorf("after Redeliver(b, delivery of a): state %q", got.State)
	}
	if n := countEvents(t, s, f.a.ID, sub.ID); n != events {
		t.Errorf("%d events after refused Redeliver, want %d", n, events)
	}
}

// received returns an unsaved submission of the tenant for the service as
// it arrives from FIT-Connect.
func (f *fixture) received(tn *tenant.Tenant, svc *tenant.Service, authorityID, ref string) *submission.Submission {
	s := f.newSubmission(tn, svc, authorityID)
	s.Source = submission.SourceFITConnect
	s.ExternalRef = ref
	return s
}

func receivedEvent() *submission.Event {
	return &submission.Event{Actor: "System", Action: "empfangen", Detail: "über FIT-Connect"}
}

func testReceive(t *testing.T, s Stores) {
	ctx := context.Background()
	f := newFixture(t, s)
	count := func(tenantID string) int {
		t.Helper()
		list, err := s.ListSubmissions(ctx, tenantID, submission.Filter{})
		noErr(t, "ListSubmissions", err)
		return len(list)
	}
	mustTargets(t, s, f.a.ID, f.svcA.ID, fitconnectTarget(destA), webhookTarget(delivery.NewWebhookSecret()), emailTarget())

	const ref = "3f1c2b4a-6d5e-4f70-8a9b-1c2d3e4f5a6b"
	in := f.received(f.a, f.svcA, f.authA.ID, ref)
	atts := []*submission.Attachment{
		{TenantID: f.a.ID, Filename: "antrag.pdf", MediaType: "application/pdf", Size: 2048, SHA512: fmt.Sprintf("%0128x", 1), StorageKey: "received-1"},
		{TenantID: f.a.ID, Filename: "nachweis.jpg", MediaType: "image/jpeg", Size: 4096, SHA512: fmt.Sprintf("%0128x", 2), StorageKey: "received-2"},
	}
	got, created, err := s.Receive(ctx, in, atts, receivedEvent())
	noErr(t, "Receive", err)
	if !created || got == nil || got.ID == "" {
		t.Fatalf("Receive = %+v, created %v", got, created)
	}
	stored, err := s.Submission(ctx, f.a.ID, got.ID)
	noErr(t, "Submission", err)
	if stored.Source != submission.SourceFITConnect || stored.ExternalRef != ref || stored.Reference != in.Reference ||
		stored.ServiceID != f.svcA.ID || stored.Status != submission.Eingegangen || !bytes.Equal(stored.Data, in.Data) ||
		stored.DataSHA256 != in.DataSHA256 || stored.DraftID != "" || stored.IdempotencyKey != "" {
		t.Errorf("received submission = %+v\nwant %+v", stored, in)
	}
	list, err := s.ListAttachments(ctx, f.a.ID, got.ID)
	noErr(t, "ListAttachments", err)
	if len(list) != 2 {
		t.Fatalf("ListAttachments = %d, want 2", len(list))
	}
	slices.SortFunc(list, func(x, y *submission.Attachment) int { return strings.Compare(x.Filename, y.Filename) })
	for i, a := range list {
		w := atts[i]
		if a.ID == "" || a.Filename != w.Filename || a.MediaType != w.MediaType || a.Size != w.Size || a.SHA512 != w.SHA512 ||
			a.StorageKey != w.StorageKey || a.SubmissionID != got.ID || a.DraftID != "" || a.TenantID != f.a.ID {
			t.Errorf("attachment %d = %+v, want %+v", i, a, w)
		}
		if _, err := s.Attachment(ctx, f.b.ID, a.ID); err == nil {
			t.Errorf("Attachment(b, attachment of a): no error")
		}
	}
	evs, err := s.Events(ctx, f.a.ID, got.ID)
	noErr(t, "Events", err)
	if len(evs) != 1 || evs[0].Action != "empfangen" || evs[0].Actor != "System" {
		t.Errorf("Events = %s", plain(evs))
	}

	// Deliveries: the Inbox and the other targets, never FIT-Connect.
	ds := mustDeliveries(t, s, f.a.ID, got.ID, 3)
	kinds := map[delivery.Kind]int{}
	for _, d := range ds {
		kinds[d.Target.Kind]++
		switch d.Target.Kind {
		case delivery.Inbox:
			if d.State != delivery.Delivered {
				t.Errorf("inbox delivery of a received submission: state %q", d.State)
			}
		default:
			if d.State != delivery.Pending {
				t.Errorf("%s delivery of a received submission: state %q", d.Target.Kind, d.State)
			}
		}
	}
	if kinds[delivery.Inbox] != 1 || kinds[delivery.Webhook] != 1 || kinds[delivery.Email] != 1 || kinds[delivery.FITConnect] != 0 {
		t.Errorf("delivery kinds of a received submission = %v", kinds)
	}

	// The same reference again: the first submission, nothing stored.
	again := f.received(f.a, f.svcA, f.authA.ID, ref)
	got2, created, err := s.Receive(ctx, again, []*submission.Attachment{
		{TenantID: f.a.ID, Filename: "doppelt.pdf", MediaType: "application/pdf", Size: 1, SHA512: fmt.Sprintf("%0128x", 3), StorageKey: "received-3"},
	}, receivedEvent())
	noErr(t, "Receive(again)", err)
	if created || got2 == nil || got2.ID != got.ID || got2.ExternalRef != ref {
		t.Errorf("Receive(again) = %+v, created %v; want the first", got2, created)
	}
	if n := count(f.a.ID); n != 1 {
		t.Errorf("%d submissions of a after receiving twice, want 1", n)
	}
	_, err = s.SubmissionByReference(ctx, f.a.ID, again.Reference)
	wantKind(t, "SubmissionByReference(not stored)", err, apperr.NotFound)
	if list, err := s.ListAttachments(ctx, f.a.ID, got.ID); err != nil || len(list) != 2 {
		t.Errorf("ListAttachments after receiving twice = %d, %v", len(list), err)
	}
	mustDeliveries(t, s, f.a.ID, got.ID, 3)
	if n := countEvents(t, s, f.a.ID, got.ID); n != 1 {
		t.Errorf("%d events after receiving twice, want 1", n)
	}

	// The same reference for another tenant is another submission. With
	// an Inbox target and a FIT-Connect one, it is in the Inbox once.
	mustTargets(t, s, f.b.ID, f.svcB.ID, inboxTarget(), fitconnectTarget(destB))
	inB := f.received(f.b, f.svcB, f.authB.ID, ref)
	gotB, created, err := s.Receive(ctx, inB, nil, receivedEvent())
	noErr(t, "Receive(b)", err)
	if !created || gotB.ID == "" || gotB.ID == got.ID {
		t.Errorf("Receive(b, same reference) = %+v, created %v", gotB, created)
	}
	if n := count(f.b.ID); n != 1 {
		t.Errorf("%d submissions of b, want 1", n)
	}
	dsB := mustDeliveries(t, s, f.b.ID, gotB.ID, 1)
	if dsB[0].Target.Kind != delivery.Inbox || dsB[0].State != delivery.Delivered {
		t.Errorf("delivery of b's received submission = %+v", dsB[0])
	}

	// A service without targets: the Inbox alone.
	shared := f.received(f.a, f.sharedA, f.authA.ID, "ref-ohne-ziele")
	gotS, created, err := s.Receive(ctx, shared, nil, receivedEvent())
	noErr(t, "Receive(service without targets)", err)
	if !created {
		t.Error("Receive(service without targets): created = false")
	}
	if ds := mustDeliveries(t, s, f.a.ID, gotS.ID, 1); ds[0].Target.Kind != delivery.Inbox {
		t.Errorf("delivery of a received submission without targets: %q", ds[0].Target.Kind)
	}

	// A Vorgangsnummer that another submission has: ErrReferenceTaken,
	// nothing stored.
	before := count(f.a.ID)
	taken := f.received(f.a, f.svcA, f.authA.ID, "ref-vergebene-nummer")
	taken.Reference = got.Reference
	_, created, err = s.Receive(ctx, taken, nil, receivedEvent())
	if !errors.Is(err, submission.ErrReferenceTaken) || created {
		t.Errorf("Receive(taken Vorgangsnummer) = created %v, %v; want submission.ErrReferenceTaken", created, err)
	}
	if n := count(f.a.ID); n != before {
		t.Errorf("%d submissions of a after Receive with a taken Vorgangsnummer, want %d", n, before)
	}

	// Without a reference or a source: invalid, nothing stored.
	noRef := f.received(f.a, f.svcA, f.authA.ID, "")
	_, _, err = s.Receive(ctx, noRef, nil, receivedEvent())
	wantKind(t, "Receive(no external reference)", err, apperr.Invalid)
	noSource := f.received(f.a, f.svcA, f.authA.ID, "ref-ohne-quelle")
	noSource.Source = ""
	_, _, err = s.Receive(ctx, noSource, nil, receivedEvent())
	wantKind(t, "Receive(no source)", err, apperr.Invalid)
	if n := count(f.a.ID); n != before {
		t.Errorf("%d submissions of a after invalid Receive, want %d", n, before)
	}
}

func testFITConnectAccounts(t *testing.T, s Stores) {
	ctx := context.Background()
	f := newFixture(t, s)
	same := func(what string, got, want *delivery.FITConnectAccount) {
		t.Helper()
		if got.TenantID != want.TenantID || got.Role != want.Role || got.DestinationID != want.DestinationID ||
			got.ClientID != want.ClientID || got.ClientSecret != want.ClientSecret ||
			!bytes.Equal(got.CallbackSecret, want.CallbackSecret) || !bytes.Equal(got.PrivateKeys, want.PrivateKeys) {
			t.Errorf("%s = %+v\nwant %+v", what, got, want)
		}
		recent(t, what+" CreatedAt", got.CreatedAt)
	}
	subscriber := func(tenantID, dest, clientID string, fill byte) *delivery.FITConnectAccount {
		return &delivery.FITConnectAccount{
			TenantID: tenantID, Role: delivery.RoleSubscriber, DestinationID: dest,
			ClientID: clientID, ClientSecret: "secret-" + clientID,
			CallbackSecret: bytes.Repeat([]byte{fill}, 32),
			PrivateKeys:    []byte(`{"keys":[{"kty":"RSA","kid":"` + clientID + `","alg":"RSA-OAEP-256"}]}`),
		}
	}

	// Sender: round trip and replace.
	_, err := s.FITConnectSender(ctx, f.a.ID)
	wantKind(t, "FITConnectSender(none)", err, apperr.NotFound)
	sender := &delivery.FITConnectAccount{TenantID: f.a.ID, Role: delivery.RoleSender, ClientID: "client-a", ClientSecret: "secret-a"}
	noErr(t, "SetFITConnectAccount(sender)", s.SetFITConnectAccount(ctx, sender))
	got, err := s.FITConnectSender(ctx, f.a.ID)
	noErr(t, "FITConnectSender", err)
	same("FITConnectSender", got, sender)
	sender2 := &delivery.FITConnectAccount{TenantID: f.a.ID, Role: delivery.RoleSender, ClientID: "client-a2", ClientSecret: "secret-a2"}
	noErr(t, "SetFITConnectAccount(sender, replace)", s.SetFITConnectAccount(ctx, sender2))
	got, err = s.FITConnectSender(ctx, f.a.ID)
	noErr(t, "FITConnectSender", err)
	same("FITConnectSender after replace", got, sender2)
	_, err = s.FITConnectSender(ctx, f.b.ID)
	wantKind(t, "FITConnectSender(b)", err, apperr.NotFound)

	// Subscriber: round trip.
	subA := subscriber(f.a.ID, destA, "sub-a", 'a')
	noErr(t, "SetFITConnectAccount(subscriber)", s.SetFITConnectAccount(ctx, subA))
	got, err = s.FITConnectDestination(ctx, destA)
	noErr(t, "FITConnectDestination", err)
	same("FITConnectDestination", got, subA)
	got, err = s.FITConnectSender(ctx, f.a.ID)
	noErr(t, "FITConnectSender", err)
	same("FITConnectSender after adding a subscriber", got, sender2)

	// Another tenant's destination is found by its id alone.
	subB := subscriber(f.b.ID, destB, "sub-b", 'b')
	noErr(t, "SetFITConnectAccount(subscriber b)", s.SetFITConnectAccount(ctx, subB))
	got, err = s.FITConnectDestination(ctx, destB)
	noErr(t, "FITConnectDestination(b)", err)
	same("FITConnectDestination(b)", got, subB)

	// Replace A's subscriber.
	subA2 := subscriber(f.a.ID, destA, "sub-a2", 'c')
	noErr(t, "SetFITConnectAccount(subscriber, replace)", s.SetFITConnectAccount(ctx, subA2))
	got, err = s.FITConnectDestination(ctx, destA)
	noErr(t, "FITConnectDestination", err)
	same("FITConnectDestination after replace", got, subA2)

	list, err := s.FITConnectDestinations(ctx)
	noErr(t, "FITConnectDestinations", err)
	dests := map[string]string{}
	for _, a := range list {
		if a.Role != delivery.RoleSubscriber {
			t.Errorf("FITConnectDestinations lists a %q account", a.Role)
		}
		dests[a.DestinationID] = a.TenantID
	}
	if len(list) != 2 || dests[destA] != f.a.ID || dests[destB] != f.b.ID {
		t.Errorf("FITConnectDestinations = %v (%d accounts)", dests, len(list))
	}

	// A destination belongs to one tenant.
	wantKind(t, "SetFITConnectAccount(destination of another tenant)",
		s.SetFITConnectAccount(ctx, subscriber(f.b.ID, destA, "sub-b2", 'd')), apperr.Conflict)
	got, err = s.FITConnectDestination(ctx, destA)
	noErr(t, "FITConnectDestination", err)
	same("FITConnectDestination after conflict", got, subA2)

	// A sender of B leaves A's alone.
	senderB := &delivery.FITConnectAccount{TenantID: f.b.ID, Role: delivery.RoleSender, ClientID: "client-b", ClientSecret: "secret-b"}
	noErr(t, "SetFITConnectAccount(sender b)", s.SetFITConnectAccount(ctx, senderB))
	got, err = s.FITConnectSender(ctx, f.b.ID)
	noErr(t, "FITConnectSender(b)", err)
	same("FITConnectSender(b)", got, senderB)
	got, err = s.FITConnectSender(ctx, f.a.ID)
	noErr(t, "FITConnectSender(a)", err)
	same("FITConnectSender(a) after b's", got, sender2)

	// Invalid accounts.
	for _, c := range []struct {
		name string
		a    *delivery.FITConnectAccount
	}{
		{"unknown role", &delivery.FITConnectAccount{TenantID: f.a.ID, Role: "admin", ClientID: "x", ClientSecret: "y"}},
		{"no client secret", &delivery.FITConnectAccount{TenantID: f.a.ID, Role: delivery.RoleSender, ClientID: "x"}},
		{"no client id", &delivery.FITConnectAccount{TenantID: f.a.ID, Role: delivery.RoleSender, ClientSecret: "y"}},
		{"sender with destination", &delivery.FITConnectAccount{TenantID: f.a.ID, Role: delivery.RoleSender, DestinationID: destUnknown, ClientID: "x", ClientSecret: "y"}},
		{"subscriber without UUID", func() *delivery.FITConnectAccount {
			a := subscriber(f.a.ID, "zustellpunkt", "x", 'e')
			return a
		}()},
		{"subscriber without keys", func() *delivery.FITConnectAccount {
			a := subscriber(f.a.ID, destUnknown, "x", 'e')
			a.PrivateKeys = nil
			return a
		}()},
		{"subscriber with short callback secret", func() *delivery.FITConnectAccount {
			a := subscriber(f.a.ID, destUnknown, "x", 'e')
			a.CallbackSecret = a.CallbackSecret[:16]
			return a
		}()},
	} {
		wantKind(t, "SetFITConnectAccount("+c.name+")", s.SetFITConnectAccount(ctx, c.a), apperr.Invalid)
	}

	// Unknown.
	_, err = s.FITConnectDestination(ctx, destUnknown)
	wantKind(t, "FITConnectDestination(unknown)", err, apperr.NotFound)
	_, err = s.FITConnectDestination(ctx, "")
	wantKind(t, "FITConnectDestination(empty)", err, apperr.NotFound)
	list, err = s.FITConnectDestinations(ctx)
	noErr(t, "FITConnectDestinations", err)
	if len(list) != 2 {
		t.Errorf("FITConnectDestinations after refused changes = %d accounts, want 2", len(list))
	}
}

// storedState is the state of d as stored now (for UpdateDelivery's
// compare-and-set); "" when there is no such delivery.
func storedState(t *testing.T, s Stores, d *delivery.Delivery) delivery.State {
	t.Helper()
	got, err := s.Delivery(context.Background(), d.TenantID, d.ID)
	if err != nil {
		return ""
	}
	return got.State
}

// testUpdateDeliveryCompareAndSet: an update from a state the delivery is
// no longer in changes nothing and is a Conflict.
func testUpdateDeliveryCompareAndSet(t *testing.T, s Stores) {
	ctx := context.Background()
	f := newFixture(t, s)
	noErr(t, "SetTargets", s.SetTargets(ctx, f.a.ID, f.svcA.ID, []*delivery.Target{
		{Kind: delivery.Webhook, URL: "https://hook.example/x", Secret: delivery.NewWebhookSecret()}}))
	sub := f.mustSubmit(t, f.newSubmission(f.a, f.svcA, f.authA.ID))
	ds, err := s.Deliveries(ctx, f.a.ID, sub.ID)
	noErr(t, "Deliveries", err)
	d := ds[0]
	accepted := *d
	accepted.State = delivery.Accepted
	noErr(t, "UpdateDelivery(pending → angenommen)", s.UpdateDelivery(ctx, &accepted, delivery.Pending, &submission.Event{Actor: "System", Action: "angenommen"}))
	stale := *d
	stale.State, stale.LastError = delivery.Pending, "stale"
	wantKind(t, "UpdateDelivery(from a stale state)", s.UpdateDelivery(ctx, &stale, delivery.Pending, &submission.Event{Actor: "System", Action: "stale"}), apperr.Conflict)
	got, err := s.Delivery(ctx, f.a.ID, d.ID)
	noErr(t, "Delivery", err)
	if got.State != delivery.Accepted || got.LastError != "" {
		t.Errorf("a stale update changed the delivery: %+v", got)
	}
	evs, err := s.Events(ctx, f.a.ID, sub.ID)
	noErr(t, "Events", err)
	for _, ev := range evs {
		if ev.Action == "stale" {
			t.Error("a stale update recorded its event")
		}
	}
}

// testRedeliverTargets: a re-delivery uses the service's current settings
// for the same place, goes to the one replacement of a removed place, and
// is refused once the data is purged.
func testRedeliverTargets(t *testing.T, s Stores) {
	ctx := context.Background()
	f := newFixture(t, s)
	oldSecret := delivery.NewWebhookSecret()
	noErr(t, "SetTargets", s.SetTargets(ctx, f.a.ID, f.svcA.ID, []*delivery.Target{
		{Kind: delivery.Webhook, URL: "https://fv.example/a", Secret: oldSecret}}))
	fail := func(sub *submission.Submission) *delivery.Delivery {
		t.Helper()
		ds, err := s.Deliveries(ctx, f.a.ID, sub.ID)
		noErr(t, "Deliveries", err)
		d := ds[0]
		d.State = delivery.Failed
		noErr(t, "UpdateDelivery", s.UpdateDelivery(ctx, d, delivery.Pending, nil))
		return d
	}
	sub1 := f.mustSubmit(t, f.newSubmission(f.a, f.svcA, f.authA.ID))
	d1 := fail(sub1)
	// The secret was rotated: the same place keeps its new secret.
	newSecret := delivery.NewWebhookSecret()
	noErr(t, "SetTargets(rotated)", s.SetTargets(ctx, f.a.ID, f.svcA.ID, []*delivery.Target{
		{Kind: delivery.Webhook, URL: "HTTPS://FV.example/a", Secret: newSecret}}))
	noErr(t, "Redeliver", s.Redeliver(ctx, f.a.ID, d1.ID, &submission.Event{Actor: "sb", Action: "erneut zustellen", Detail: d1.Target.String()}))
	got, err := s.Delivery(ctx, f.a.ID, d1.ID)
	noErr(t, "Delivery", err)
	if got.Target.Secret != newSecret || got.State != delivery.Pending {
		t.Errorf("after rotation and re-delivery: secret new %v, state %s", got.Target.Secret == newSecret, got.State)
	}
	// The place was replaced by another: the re-delivery goes there.
	sub2 := f.mustSubmit(t, f.newSubmission(f.a, f.svcA, f.authA.ID))
	d2 := fail(sub2)
	noErr(t, "SetTargets(replaced)", s.SetTargets(ctx, f.a.ID, f.svcA.ID, []*delivery.Target{
		{Kind: delivery.Webhook, URL: "https://fv.example/b", Secret: newSecret}, {Kind: delivery.Email, Address: "amt@example.org"}}))
	ev := &submission.Event{Actor: "sb", Action: "erneut zustellen", Detail: d2.Target.String()}
	noErr(t, "Redeliver(replaced)", s.Redeliver(ctx, f.a.ID, d2.ID, ev))
	got, err = s.Delivery(ctx, f.a.ID, d2.ID)
	noErr(t, "Delivery", err)
	if got.Target.URL != "https://fv.example/b" || !strings.Contains(ev.Detail, "fv.example/b") || !strings.Contains(ev.Detail, "statt") {
		t.Errorf("re-delivery after replacement: target %q, event %q", got.Target.URL, ev.Detail)
	}
	// Purged data: nothing to deliver.
	sub3 := f.mustSubmit(t, f.newSubmission(f.a, f.svcA, f.authA.ID))
	ds3, err := s.Deliveries(ctx, f.a.ID, sub3.ID)
	noErr(t, "Deliveries", err)
	var wh *delivery.Delivery
	for _, d := range ds3 {
		if d.Target.Kind == delivery.Webhook {
			wh = d
		}
	}
	wh.State = delivery.Failed
	noErr(t, "UpdateDelivery", s.UpdateDelivery(ctx, wh, delivery.Pending, nil))
	noErr(t, "SetStatus", s.SetStatus(ctx, f.a.ID, sub3.ID, submission.Abgeschlossen, &submission.Event{Actor: "sb", Action: "Status"}))
	_, err = s.PurgeSubmissions(ctx, time.Now().Add(time.Hour))
	noErr(t, "PurgeSubmissions", err)
	wantKind(t, "Redeliver(purged)", s.Redeliver(ctx, f.a.ID, wh.ID, &submission.Event{Actor: "sb", Action: "x"}), apperr.Gone)
	failed, err := s.ListSubmissions(ctx, f.a.ID, submission.Filter{DeliveryState: string(delivery.Failed), HasData: true})
	noErr(t, "ListSubmissions", err)
	for _, x := range failed {
		if x.ID == sub3.ID {
			t.Error("a purged submission is listed among failed deliveries")
		}
	}
}
