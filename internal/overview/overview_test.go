package overview_test

import (
	"context"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/antrag/antrag/internal/delivery"
	"github.com/antrag/antrag/internal/overview"
)

// fakeStore answers with fixed rows and records the arguments.
type fakeStore struct {
	hours     []overview.HourCount
	tallies   []overview.DeliveryTally
	times     []overview.DeliveryTime
	more      bool
	open      []overview.OpenDelivery
	total     int
	from, to  time.Time
	tenantIDs []string
	timeState []delivery.State
	timeKinds []delivery.Kind
	openState []delivery.State
}

func (f *fakeStore) SubmissionsByHour(_ context.Context, tenantID string, from, to time.Time) ([]overview.HourCount, error) {
	f.tenantIDs, f.from, f.to = append(f.tenantIDs, tenantID), from, to
	return f.hours, nil
}

func (f *fakeStore) DeliveryTallies(_ context.Context, tenantID string, from, to time.Time) ([]overview.DeliveryTally, error) {
	f.tenantIDs = append(f.tenantIDs, tenantID)
	return f.tallies, nil
}

func (f *fakeStore) DeliveryTimes(_ context.Context, tenantID string, from, to time.Time, kinds []delivery.Kind, states []delivery.State, limit int) ([]overview.DeliveryTime, bool, error) {
	f.tenantIDs, f.timeState, f.timeKinds = append(f.tenantIDs, tenantID), states, kinds
	return f.times, f.more, nil
}

func (f *fakeStore) DeliveriesInStates(_ context.Context, tenantID string, states []delivery.State, limit int) ([]overview.OpenDelivery, int, error) {
	f.tenantIDs, f.openState = append(f.tenantIDs, tenantID), states
	return f.open, f.total, nil
}

// TestBuildDaysInBerlin: the period's days are Berlin calendar days, also
// across the end of summer time (25 October 2026 has 25 hours), and each
// UTC hour counts on its Berlin day.
func TestBuildDaysInBerlin(t *testing.T) {
	now := time.Date(2026, 10, 26, 10, 0, 0, 0, time.UTC)
	utc := func(d, h int) time.Time { return time.Date(2026, 10, d, h, 0, 0, 0, time.UTC) }
	st := &fakeStore{hours: []overview.HourCount{
		{ServiceID: "a", ServiceName: "Anwohnerparken", Hour: utc(24, 21), Count: 1}, // 23:00 on the 24th in Berlin (CEST)
		{ServiceID: "a", ServiceName: "Anwohnerparken", Hour: utc(24, 22), Count: 2}, // 00:00 on the 25th
		{ServiceID: "b", ServiceName: "Hundesteuer", Hour: utc(25, 22), Count: 4},    // 23:00 on the 25th (CET)
		{ServiceID: "b", ServiceName: "Hundesteuer", Hour: utc(25, 23), Count: 8},    // 00:00 on the 26th
		{ServiceID: "c", ServiceName: "Alt", Hour: utc(23, 21), Count: 16},           // before the period
	}}
	o, err := overview.Build(context.Background(), st, "t1", now, 3)
	if err != nil {
		t.Fatal(err)
	}
	var days []string
	for _, d := range o.Days {
		days = append(days, d.Format("2006-01-02 15:04 MST"))
	}
	if want := []string{"2026-10-24 00:00 CEST", "2026-10-25 00:00 CEST", "2026-10-26 00:00 CET"}; !slices.Equal(days, want) {
		t.Errorf("days %q, want %q", days, want)
	}
	if !o.From.Equal(o.Days[0]) || !st.from.Equal(time.Date(2026, 10, 23, 22, 0, 0, 0, time.UTC)) || !st.to.Equal(now) {
		t.Errorf("period %v – %v, asked %v – %v", o.From, o.To, st.from, st.to)
	}
	got := fmt.Sprint(o.Services)
	if want := "[{Hundesteuer [0 4 8] 12} {Anwohnerparken [1 2 0] 3}]"; got != want {
		t.Errorf("services %s, want %s (most applications first)", got, want)
	}
	if o.Total != 15 {
		t.Errorf("total %d", o.Total)
	}
	for _, id := range st.tenantIDs {
		if id != "t1" {
			t.Errorf("store asked for tenant %q", id)
		}
	}
	if len(st.tenantIDs) != 4 {
		t.Errorf("%d store calls", len(st.tenantIDs))
	}
}

// TestBuildOutcomes: deliveries are classed by state and attempt, per
// kind in delivery.Kinds order and summed; the times leave the inbox out;
// the open list asks for failed, rejected and pending deliveries.
func TestBuildOutcomes(t *testing.T) {
	now := time.Date(2026, 12, 7, 12, 0, 0, 0, time.UTC)
	sub := now.Add(-time.Hour)
	st := &fakeStore{tallies: []overview.DeliveryTally{
		{Kind: delivery.Webhook, State: delivery.Delivered, Tried: true, Count: 5},
		{Kind: delivery.FITConnect, State: delivery.Accepted, Tried: true, Count: 2},
		{Kind: delivery.FITConnect, State: delivery.Rejected, Tried: true, Count: 1},
		{Kind: delivery.Webhook, State: delivery.Failed, Tried: true, Count: 3},
		{Kind: delivery.Webhook, State: delivery.Pending, Tried: false, Count: 4},
		{Kind: delivery.Webhook, State: delivery.Pending, Tried: true, Count: 6},
		{Kind: delivery.Inbox, State: delivery.Delivered, Count: 7},
	}, more: true, total: 42}
	for i, secs := range []int{1, 2, 3, 4, 5, 6, 7, 8, 9, 100} {
		st.times = append(st.times, overview.DeliveryTime{Kind: delivery.Webhook, Submitted: sub, Done: sub.Add(time.Duration(secs) * time.Second)})
		if i < 2 {
			st.times = append(st.times, overview.DeliveryTime{Kind: delivery.Inbox, Submitted: sub, Done: sub})
		}
	}
	o, err := overview.Build(context.Background(), st, "t1", now, 30)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, x := range o.Outcomes {
		got = append(got, fmt.Sprintf("%s %d/%d/%d/%d/%d=%d", x.Kind, x.Delivered, x.Rejected, x.Failed, x.Pending, x.Retrying, x.Total()))
	}
	want := []string{"inbox 7/0/0/0/0=7", "fitconnect 2/1/0/0/0=3", "webhook 5/0/3/4/6=18", " 14/1/3/4/6=28"}
	if !slices.Equal(got, want) {
		t.Errorf("outcomes %q, want %q", got, want)
	}
	if len(o.Times) != 1 || o.Times[0].Kind != delivery.Webhook || o.Times[0].Count != 10 ||
		o.Times[0].Median != 5*time.Second || o.Times[0].P95 != 100*time.Second || !o.TimesPartial {
		t.Errorf("times %+v (partial %v)", o.Times, o.TimesPartial)
	}
	if !slices.Equal(st.timeState, []delivery.State{delivery.Delivered, delivery.Accepted}) || slices.Contains(st.timeKinds, delivery.Inbox) ||
		!slices.Contains(st.timeKinds, delivery.Webhook) {
		t.Errorf("times asked for %v of %v", st.timeState, st.timeKinds)
	}
	if !slices.Equal(st.openState, []delivery.State{delivery.Failed, delivery.Rejected, delivery.Pending}) || o.OpenTotal != 42 {
		t.Errorf("open asked for %v; total %d", st.openState, o.OpenTotal)
	}
}

func TestNearestRank(t *testing.T) {
	d := func(xs ...int) []time.Duration {
		var out []time.Duration
		for _, x := range xs {
			out = append(out, time.Duration(x))
		}
		return out
	}
	for _, tc := range []struct {
		vals []time.Duration
		p    int
		want time.Duration
	}{
		{nil, 50, 0},
		{d(7), 50, 7},
		{d(7), 95, 7},
		{d(1, 2), 50, 1},
		{d(1, 2, 3), 50, 2},
		{d(1, 2, 3, 4), 50, 2},
		{d(1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20), 95, 19},
		{d(1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20, 21), 95, 20},
		{d(1, 2, 3), 100, 3},
	} {
		if got := overview.NearestRank(tc.vals, tc.p); got != tc.want {
			t.Errorf("NearestRank(%v, %d) = %v, want %v", tc.vals, tc.p, got, tc.want)
		}
	}
}

func TestBuildRefusesNoDays(t *testing.T) {
	if _, err := overview.Build(context.Background(), &fakeStore{}, "t1", time.Now(), 0); err == nil {
		t.Error("Build with 0 days")
	}
}
