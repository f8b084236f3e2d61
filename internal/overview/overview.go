// Package overview computes the figures of a tenant's overview page for
// its administrators: applications per day and service, delivery
// outcomes by target kind, the time from submission to delivery (median
// and 95th percentile) and the deliveries that failed or are still
// pending. Days are calendar days in Europe/Berlin (package localtime).
//
// The store answers bounded aggregate queries, each scoped by tenant
// (Store); what counts as delivered, retrying or open, the day buckets
// and the percentiles are decided here.
package overview

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"time"

	"github.com/antrag/antrag/internal/delivery"
	"github.com/antrag/antrag/internal/localtime"
)

// HourCount is the number of a tenant's applications for one service
// submitted within one hour.
type HourCount struct {
	ServiceID   string
	ServiceName string
	Hour        time.Time // the start of the hour, UTC
	Count       int
}

// DeliveryTally is the number of deliveries of one kind in one state,
// split by whether an attempt was made (Tried: attempts > 0).
type DeliveryTally struct {
	Kind  delivery.Kind
	State delivery.State
	Tried bool
	Count int
}

// DeliveryTime is when one delivery's application was submitted and when
// the delivery reached its state (delivery.Delivery.DoneAt).
type DeliveryTime struct {
	Kind      delivery.Kind
	Submitted time.Time // UTC
	Done      time.Time // UTC
}

// OpenDelivery is a delivery that needs attention, with what identifies
// its application in the inbox.
type OpenDelivery struct {
	ID           string
	SubmissionID string
	Reference    string // the application's Vorgangsnummer
	ServiceName  string
	Kind         delivery.Kind
	State        delivery.State
	Attempts     int
	LastError    string // phrased for staff, without personal data
	Submitted    time.Time
	Updated      time.Time
	NextAttempt  time.Time // zero unless pending
}

// Store is what Build reads. Every method takes the tenant explicitly and
// counts that tenant's rows only; from and to bound the submission time
// of the applications (from inclusive, to exclusive).
type Store interface {
	// SubmissionsByHour counts the tenant's applications by service and
	// UTC hour of submission (at most one row per service and hour).
	SubmissionsByHour(ctx context.Context, tenantID string, from, to time.Time) ([]HourCount, error)
	// DeliveryTallies counts the deliveries of the tenant's applications
	// by kind, state and whether an attempt was made.
	DeliveryTallies(ctx context.Context, tenantID string, from, to time.Time) ([]DeliveryTally, error)
	// DeliveryTimes lists the submission and done times of the deliveries
	// of one of kinds in one of states, latest submissions first, at most
	// limit; more reports that there were more.
	DeliveryTimes(ctx context.Context, tenantID string, from, to time.Time, kinds []delivery.Kind, states []delivery.State, limit int) (_ []DeliveryTime, more bool, _ error)
	// DeliveriesInStates lists the tenant's deliveries in one of states,
	// whatever their applications' submission time, most recently
	// changed first, at most limit, and how many there are in all.
	DeliveriesInStates(ctx context.Context, tenantID string, states []delivery.State, limit int) (_ []OpenDelivery, total int, _ error)
}

// Limits of the queries Build makes.
const (
	// MaxTimes is how many delivery times the percentiles are computed
	// over at most (those of the latest applications).
	MaxTimes = 100_000
	// MaxOpen is how many open deliveries the overview lists.
	MaxOpen = 100
)

// Overview is the tenant's overview for a period of whole days.
type Overview struct {
	From, To time.Time   // the period: midnight of the first day in Berlin, and the time of Build
	Days     []time.Time // midnight in Berlin of each day of the period, in order
	Services []Series    // applications per day, most applications first
	Total    int         // applications in the period
	// Outcomes has one row per target kind with deliveries (in
	// delivery.Kinds order), then their sum (Kind "").
	Outcomes []Outcome
	// Times are the times to delivery per kind with delivered
	// deliveries, inbox excepted (Inbox deliveries are delivered when
	// the application is stored); TimesPartial says they are computed
	// over the MaxTimes latest only.
	Times        []Times
	TimesPartial bool
	Open         []OpenDelivery // failed, rejected and pending deliveries, most recently changed first
	OpenTotal    int            // all of them, when there are more than MaxOpen
}

// Series is one service's applications per day of the period.
type Series struct {
	Name   string
	Counts []int // per Overview.Days
	Total  int
}

// Outcome counts the deliveries of one kind by outcome.
type Outcome struct {
	Kind      delivery.Kind // "" for the sum of all kinds
	Delivered int           // delivered or accepted by the receiver
	Rejected  int           // refused by the receiving Fachverfahren
	Failed    int           // failed for good (staff can deliver again)
	Pending   int           // queued, not yet attempted
	Retrying  int           // pending after a failed attempt
}

// Total is the number of deliveries counted.
func (o Outcome) Total() int { return o.Delivered + o.Rejected + o.Failed + o.Pending + o.Retrying }

// Times are the times from submission to delivery of one kind's
// deliveries: the median and the 95th percentile, by the nearest-rank
// method.
type Times struct {
	Kind   delivery.Kind
	Count  int
	Median time.Duration
	P95    time.Duration
}

// delivered are the states in which a delivery reached its receiver.
var delivered = []delivery.State{delivery.Delivered, delivery.Accepted}

// timed are the kinds whose times to delivery count: all but the inbox,
// whose deliveries are delivered when the application is stored.
var timed = slices.DeleteFunc(slices.Clone(delivery.Kinds), func(k delivery.Kind) bool { return k == delivery.Inbox })

// open are the states of deliveries that need attention.
var open = []delivery.State{delivery.Failed, delivery.Rejected, delivery.Pending}

// Build computes the overview of the tenant for the days calendar days in
// Berlin up to and including now's (days ≥ 1).
func Build(ctx context.Context, st Store, tenantID string, now time.Time, days int) (*Overview, error) {
	if days < 1 {
		return nil, fmt.Errorf("overview: %d days", days)
	}
	o := &Overview{To: now}
	y, m, d := now.In(localtime.Berlin).Date()
	for i := days - 1; i >= 0; i-- {
		o.Days = append(o.Days, time.Date(y, m, d-i, 0, 0, 0, 0, localtime.Berlin))
	}
	o.From = o.Days[0]
	hours, err := st.SubmissionsByHour(ctx, tenantID, o.From, o.To)
	if err != nil {
		return nil, err
	}
	o.Services, o.Total = perDay(o.Days, hours)
	counts, err := st.DeliveryTallies(ctx, tenantID, o.From, o.To)
	if err != nil {
		return nil, err
	}
	o.Outcomes = outcomes(counts)
	times, more, err := st.DeliveryTimes(ctx, tenantID, o.From, o.To, timed, delivered, MaxTimes)
	if err != nil {
		return nil, err
	}
	o.Times, o.TimesPartial = percentiles(times), more
	if o.Open, o.OpenTotal, err = st.DeliveriesInStates(ctx, tenantID, open, MaxOpen); err != nil {
		return nil, err
	}
	return o, nil
}

// perDay buckets the hourly counts into the days (Berlin's offset is a
// whole number of hours, so each UTC hour lies in one Berlin day).
func perDay(days []time.Time, hours []HourCount) ([]Series, int) {
	index := map[time.Time]int{}
	for i, d := range days {
		index[d] = i
	}
	byID := map[string]*Series{}
	var out []*Series
	total := 0
	for _, h := range hours {
		y, m, d := h.Hour.In(localtime.Berlin).Date()
		i, ok := index[time.Date(y, m, d, 0, 0, 0, 0, localtime.Berlin)]
		if !ok {
			continue
		}
		s := byID[h.ServiceID]
		if s == nil {
			s = &Series{Name: h.ServiceName, Counts: make([]int, len(days))}
			byID[h.ServiceID] = s
			out = append(out, s)
		}
		s.Counts[i] += h.Count
		s.Total += h.Count
		total += h.Count
	}
	slices.SortStableFunc(out, func(a, b *Series) int {
		return cmp.Or(cmp.Compare(b.Total, a.Total), cmp.Compare(a.Name, b.Name))
	})
	series := make([]Series, len(out))
	for i, s := range out {
		series[i] = *s
	}
	return series, total
}

// outcomes sums the counts by kind and outcome.
func outcomes(counts []DeliveryTally) []Outcome {
	byKind := map[delivery.Kind]*Outcome{}
	var sum Outcome
	for _, c := range counts {
		o := byKind[c.Kind]
		if o == nil {
			o = &Outcome{Kind: c.Kind}
			byKind[c.Kind] = o
		}
		for _, x := range []*Outcome{o, &sum} {
			switch {
			case c.State == delivery.Delivered || c.State == delivery.Accepted:
				x.Delivered += c.Count
			case c.State == delivery.Rejected:
				x.Rejected += c.Count
			case c.State == delivery.Failed:
				x.Failed += c.Count
			case c.State == delivery.Pending && c.Tried:
				x.Retrying += c.Count
			case c.State == delivery.Pending:
				x.Pending += c.Count
			}
		}
	}
	var out []Outcome
	for _, k := range kindOrder(byKind) {
		out = append(out, *byKind[k])
	}
	if len(out) > 0 {
		out = append(out, sum)
	}
	return out
}

// kindOrder lists the kinds of m in delivery.Kinds order, unknown ones
// after them by name.
func kindOrder[V any](m map[delivery.Kind]V) []delivery.Kind {
	var ks []delivery.Kind
	for k := range m {
		ks = append(ks, k)
	}
	rank := func(k delivery.Kind) int {
		if i := slices.Index(delivery.Kinds, k); i >= 0 {
			return i
		}
		return len(delivery.Kinds)
	}
	slices.SortFunc(ks, func(a, b delivery.Kind) int { return cmp.Or(cmp.Compare(rank(a), rank(b)), cmp.Compare(a, b)) })
	return ks
}

// percentiles computes the times per kind, inbox excepted.
func percentiles(times []DeliveryTime) []Times {
	byKind := map[delivery.Kind][]time.Duration{}
	for _, t := range times {
		if t.Kind == delivery.Inbox {
			continue
		}
		byKind[t.Kind] = append(byKind[t.Kind], max(t.Done.Sub(t.Submitted), 0))
	}
	var out []Times
	for _, k := range kindOrder(byKind) {
		ds := byKind[k]
		slices.Sort(ds)
		out = append(out, Times{Kind: k, Count: len(ds), Median: NearestRank(ds, 50), P95: NearestRank(ds, 95)})
	}
	return out
}

// NearestRank is the p-th percentile (0 < p ≤ 100) of the sorted values
// by the nearest-rank method: the value at rank ⌈p/100 · n⌉; 0 for none.
func NearestRank(sorted []time.Duration, p int) time.Duration {
	n := len(sorted)
	if n == 0 {
		return 0
	}
	rank := (p*n + 99) / 100
	return sorted[min(max(rank, 1), n)-1]
}
