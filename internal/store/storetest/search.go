package storetest

import (
	"context"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/antrag/antrag/internal/delivery"
	"github.com/antrag/antrag/internal/submission"
)

// refsOf is the Vorgangsnummern of a list, in its order.
func refsOf(list []*submission.Submission) []string {
	var out []string
	for _, x := range list {
		out = append(out, x.Reference)
	}
	return out
}

// search lists the tenant's submissions that the typed text finds.
func search(t *testing.T, s Stores, tenantID, typed string) []string {
	t.Helper()
	q, err := submission.ParseSearch(typed)
	noErr(t, "ParseSearch("+typed+")", err)
	list, err := s.ListSubmissions(context.Background(), tenantID, submission.Filter{Search: q})
	noErr(t, "ListSubmissions(search "+typed+")", err)
	return refsOf(list)
}

// testInboxSearch: staff find an application by its Vorgangsnummer in any
// spelling, by the FIT-Connect submissionId and by the sender's own
// reference; never one of another tenant.
func testInboxSearch(t *testing.T, s Stores) {
	ctx := context.Background()
	f := newFixture(t, s)
	own := f.newSubmission(f.a, f.svcA, f.authA.ID)
	own.Reference = "K7QM-2X9D-RTA4"
	f.mustSubmit(t, own)
	noise := f.newSubmission(f.a, f.svcA, f.authA.ID)
	noise.Reference = "K7QM-2X9D-RTA5"
	f.mustSubmit(t, noise)

	const remoteID = "3f1c2b4a-6d5e-4f70-8a9b-1c2d3e4f5a6b"
	in := f.received(f.a, f.sharedA, f.authA.ID, "fitconnect:"+remoteID)
	in.Reference = "AB12-CD34-EF56"
	in.SenderRef = "Az. 32-1/2026"
	_, created, err := s.Receive(ctx, in, nil, receivedEvent())
	noErr(t, "Receive", err)
	if !created {
		t.Fatal("Receive: not created")
	}
	// Another sender's reference in Vorgangsnummer form (antrag sends its own).
	in2 := f.received(f.a, f.sharedA, f.authA.ID, "fitconnect:9a1c2b4a-6d5e-4f70-8a9b-1c2d3e4f5a6b")
	in2.Reference = "ZZ12-CD34-EF56"
	in2.SenderRef = "HJKM-NPQR-ST01"
	_, _, err = s.Receive(ctx, in2, nil, receivedEvent())
	noErr(t, "Receive", err)

	// B holds the same sender's reference and the same kind of numbers.
	inB := f.received(f.b, f.svcB, f.authB.ID, "fitconnect:"+remoteID)
	inB.Reference = "BB12-CD34-EF56"
	inB.SenderRef = "Az. 32-1/2026"
	_, _, err = s.Receive(ctx, inB, nil, receivedEvent())
	noErr(t, "Receive(B)", err)

	stored, err := s.Submission(ctx, f.a.ID, in.ID)
	noErr(t, "Submission", err)
	if stored.SenderRef != in.SenderRef {
		t.Errorf("stored SenderRef = %q, want %q", stored.SenderRef, in.SenderRef)
	}

	for _, tc := range []struct {
		typed  string
		tenant string
		want   []string
	}{
		{"K7QM-2X9D-RTA4", f.a.ID, []string{own.Reference}},
		{"k7qm2x9drta4", f.a.ID, []string{own.Reference}},
		{" k7qm 2x9d rta4 ", f.a.ID, []string{own.Reference}},
		{"K7QM-2X9D", f.a.ID, nil},
		{"Az. 32-1/2026", f.a.ID, []string{in.Reference}},
		{"Az. 32-1/2026", f.b.ID, []string{inB.Reference}},
		{"az. 32-1/2026", f.a.ID, nil}, // the sender's reference is exact
		{remoteID, f.a.ID, []string{in.Reference}},
		{strings.ToUpper(remoteID), f.a.ID, []string{in.Reference}},
		{"hjkmnpqrst01", f.a.ID, []string{in2.Reference}},
		// Tenant isolation: A's numbers are not found from B.
		{"K7QM-2X9D-RTA4", f.b.ID, nil},
		{"AB12-CD34-EF56", f.b.ID, nil},
		{"hjkm-npqr-st01", f.b.ID, nil},
		{"%", f.a.ID, nil},
	} {
		if got := search(t, s, tc.tenant, tc.typed); !slices.Equal(got, tc.want) {
			tenant := "A"
			if tc.tenant == f.b.ID {
				tenant = "B"
			}
			t.Errorf("search %q in %s = %q, want %q", tc.typed, tenant, got, tc.want)
		}
	}

	// The search combines with the other conditions.
	q, _ := submission.ParseSearch("k7qm2x9drta4")
	list, err := s.ListSubmissions(ctx, f.a.ID, submission.Filter{Search: q, Status: submission.Abgeschlossen})
	noErr(t, "ListSubmissions(search and status)", err)
	if len(list) != 0 {
		t.Errorf("search with a status it does not have = %q", refsOf(list))
	}
}

// testInboxPagesStable: pages follow the inbox order (newest first, ties
// by id) and stay the same while a newer application arrives.
func testInboxPagesStable(t *testing.T, s Stores) {
	ctx := context.Background()
	f := newFixture(t, s)
	base := time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC)
	var all []*submission.Submission
	for i := range 7 {
		sub := f.newSubmission(f.a, f.svcA, f.authA.ID)
		// Three share one time: the id orders them.
		sub.SubmittedAt = base.Add(time.Duration(min(i, 4)) * time.Minute)
		all = append(all, f.mustSubmit(t, sub))
	}
	f.mustSubmit(t, f.newSubmission(f.b, f.svcB, f.authB.ID))
	want := slices.Clone(all)
	slices.SortFunc(want, func(x, y *submission.Submission) int {
		if c := y.SubmittedAt.Compare(x.SubmittedAt); c != 0 {
			return c
		}
		return strings.Compare(y.ID, x.ID)
	})
	whole, err := s.ListSubmissions(ctx, f.a.ID, submission.Filter{})
	noErr(t, "ListSubmissions", err)
	if g, w := refsOf(whole), refsOf(want); !slices.Equal(g, w) {
		t.Fatalf("inbox order %q, want %q (newest first, ties by id descending)", g, w)
	}

	first, err := submission.ListPage(ctx, s, f.a.ID, submission.Filter{}, 3)
	noErr(t, "ListPage(1)", err)
	if g, w := refsOf(first.Items), refsOf(want[:3]); !slices.Equal(g, w) || first.Prev != nil || first.Next == nil {
		t.Fatalf("page 1 = %q (prev %v, next %v), want %q with a next page only", g, first.Prev, first.Next, w)
	}
	second, err := submission.ListPage(ctx, s, f.a.ID, submission.Filter{After: first.Next}, 3)
	noErr(t, "ListPage(2)", err)
	if g, w := refsOf(second.Items), refsOf(want[3:6]); !slices.Equal(g, w) || second.Prev == nil || second.Next == nil {
		t.Fatalf("page 2 = %q, want %q with both neighbours", g, w)
	}

	// A new application arrives; page 2 and the way back stay the same.
	newest := f.newSubmission(f.a, f.svcA, f.authA.ID)
	newest.SubmittedAt = base.Add(time.Hour)
	f.mustSubmit(t, newest)
	again, err := submission.ListPage(ctx, s, f.a.ID, submission.Filter{After: first.Next}, 3)
	noErr(t, "ListPage(2 again)", err)
	if g, w := refsOf(again.Items), refsOf(second.Items); !slices.Equal(g, w) {
		t.Errorf("page 2 after a new application = %q, want %q", g, w)
	}
	back, err := submission.ListPage(ctx, s, f.a.ID, submission.Filter{Before: second.Prev}, 3)
	noErr(t, "ListPage(back)", err)
	if g, w := refsOf(back.Items), refsOf(want[:3]); !slices.Equal(g, w) || back.Prev == nil {
		t.Errorf("back from page 2 = %q (prev %v), want %q and a page before it with the new one", g, back.Prev, w)
	}
	last, err := submission.ListPage(ctx, s, f.a.ID, submission.Filter{After: second.Next}, 3)
	noErr(t, "ListPage(3)", err)
	if g, w := refsOf(last.Items), refsOf(want[6:]); !slices.Equal(g, w) || last.Next != nil {
		t.Errorf("page 3 = %q (next %v), want %q and no next page", g, last.Next, w)
	}

	// A cursor through a URL gives the same page.
	c, err := submission.ParseCursor(first.Next.String())
	noErr(t, "ParseCursor", err)
	viaURL, err := submission.ListPage(ctx, s, f.a.ID, submission.Filter{After: c}, 3)
	noErr(t, "ListPage(parsed cursor)", err)
	if g, w := refsOf(viaURL.Items), refsOf(second.Items); !slices.Equal(g, w) {
		t.Errorf("page 2 through the URL cursor = %q, want %q", g, w)
	}
}

// testInboxFilters: the date range, the delivery state and HasData each
// select what they say, scoped by tenant.
func testInboxFilters(t *testing.T, s Stores) {
	ctx := context.Background()
	f := newFixture(t, s)
	mustTargets(t, s, f.a.ID, f.svcA.ID, webhookTarget(delivery.NewWebhookSecret()))
	day := time.Date(2026, 5, 10, 0, 0, 0, 0, time.UTC)
	var subs []*submission.Submission
	for i := range 4 {
		sub := f.newSubmission(f.a, f.svcA, f.authA.ID)
		sub.SubmittedAt = day.Add(time.Duration(i) * 24 * time.Hour)
		subs = append(subs, f.mustSubmit(t, sub))
	}
	bSub := f.newSubmission(f.b, f.svcB, f.authB.ID)
	bSub.SubmittedAt = day.Add(24 * time.Hour)
	f.mustSubmit(t, bSub)

	setState := func(sub *submission.Submission, st delivery.State) {
		t.Helper()
		ds, err := s.Deliveries(ctx, f.a.ID, sub.ID)
		noErr(t, "Deliveries", err)
		d := ds[0]
		d.State = st
		noErr(t, "UpdateDelivery", s.UpdateDelivery(ctx, d, delivery.Pending, nil))
	}
	setState(subs[1], delivery.Failed)
	setState(subs[2], delivery.Accepted)
	setState(subs[3], delivery.Rejected)
	noErr(t, "SetStatus", s.SetStatus(ctx, f.a.ID, subs[1].ID, submission.Abgeschlossen, &submission.Event{Actor: "sb", Action: "Status"}))
	_, err := s.PurgeSubmissions(ctx, time.Now().Add(time.Hour))
	noErr(t, "PurgeSubmissions", err)

	pick := func(idx ...int) []string {
		var out []string
		for _, i := range idx {
			out = append(out, subs[i].Reference)
		}
		return out
	}
	for _, tc := range []struct {
		name   string
		filter submission.Filter
		want   []string
	}{
		{"from", submission.Filter{ReceivedFrom: day.Add(24 * time.Hour)}, pick(3, 2, 1)},
		{"before", submission.Filter{ReceivedBefore: day.Add(24 * time.Hour)}, pick(0)},
		{"from and before", submission.Filter{ReceivedFrom: day.Add(24 * time.Hour), ReceivedBefore: day.Add(72 * time.Hour)}, pick(2, 1)},
		{"empty range", submission.Filter{ReceivedFrom: day.Add(72 * time.Hour), ReceivedBefore: day.Add(72 * time.Hour)}, nil},
		{"pending", submission.Filter{DeliveryState: string(delivery.Pending)}, pick(0)},
		{"failed", submission.Filter{DeliveryState: string(delivery.Failed)}, pick(1)},
		{"failed with data", submission.Filter{DeliveryState: string(delivery.Failed), HasData: true}, nil},
		{"accepted", submission.Filter{DeliveryState: string(delivery.Accepted)}, pick(2)},
		{"rejected", submission.Filter{DeliveryState: string(delivery.Rejected)}, pick(3)},
		{"with data", submission.Filter{HasData: true}, pick(3, 2, 0)},
		{"range and state", submission.Filter{ReceivedFrom: day.Add(48 * time.Hour), DeliveryState: string(delivery.Rejected)}, pick(3)},
	} {
		list, err := s.ListSubmissions(ctx, f.a.ID, tc.filter)
		noErr(t, "ListSubmissions("+tc.name+")", err)
		if got := refsOf(list); !slices.Equal(got, tc.want) {
			t.Errorf("ListSubmissions(%s) = %q, want %q", tc.name, got, tc.want)
		}
	}
	list, err := s.ListSubmissions(ctx, f.b.ID, submission.Filter{ReceivedFrom: day, DeliveryState: string(delivery.Delivered)})
	noErr(t, "ListSubmissions(B)", err)
	if got := refsOf(list); !slices.Equal(got, []string{bSub.Reference}) {
		t.Errorf("B's inbox with A's filters = %q, want only B's own", got)
	}
}
