package payment

import (
	"testing"
	"time"
)

// TestNext walks every pair of an attempt's status and a reported one:
// PAYED is never left, a reported PAYED always wins (C10), a refused
// attempt (no transaction) takes no provider status but PAYED, and
// nothing goes back to INITIAL.
func TestNext(t *testing.T) {
	all := []Status{New, Initial, Payed, Failed, Canceled, Refused, Abandoned}
	reported := []Status{Initial, Payed, Failed, Canceled, "UNBEKANNT"}
	for _, cur := range all {
		for _, rep := range reported {
			got := Next(cur, rep)
			switch {
			case cur == Payed && got != Payed:
				t.Errorf("Next(%s, %s) = %s: left PAYED", cur, rep, got)
			case rep == Payed && got != Payed:
				t.Errorf("Next(%s, %s) = %s: a reported PAYED must win", cur, rep, got)
			case got == Initial && cur != Initial && cur != New:
				t.Errorf("Next(%s, %s) = INITIAL: went back", cur, rep)
			case cur == Refused && rep != Payed && got != Refused:
				t.Errorf("Next(%s, %s) = %s: a refused attempt has no transaction", cur, rep, got)
			case !rep.Known() && got != cur:
				t.Errorf("Next(%s, %s) = %s: an unknown status changed it", cur, rep, got)
			}
		}
	}
}

// TestSchedule: the checks thin out with age; past maxAge an open attempt
// is ABANDONED and asked about daily; past twice maxAge, or once paid, it
// is no longer asked about.
func TestSchedule(t *testing.T) {
	start := time.Date(2026, 12, 7, 9, 0, 0, 0, time.UTC)
	const maxAge = 24 * time.Hour
	for _, c := range []struct {
		status Status
		age    time.Duration
		want   Status
		wait   time.Duration // 0: closed
	}{
		{Initial, 0, Initial, time.Minute},
		{Initial, 10 * time.Minute, Initial, 2 * time.Minute},
		{Failed, 30 * time.Minute, Failed, 5 * time.Minute},
		{Initial, 2 * time.Hour, Initial, 15 * time.Minute},
		{Canceled, 7 * time.Hour, Canceled, time.Hour},
		{Initial, 25 * time.Hour, Abandoned, 24 * time.Hour},
		{Failed, 25 * time.Hour, Failed, 24 * time.Hour},
		{Initial, 49 * time.Hour, Abandoned, 0},
		{Payed, time.Minute, Payed, 0},
		{Refused, time.Minute, Refused, 0},
	} {
		a := &Attempt{Status: c.status, CreatedAt: start}
		now := start.Add(c.age)
		a.Schedule(now, maxAge)
		wait := time.Duration(0)
		if !a.NextCheck.IsZero() {
			wait = a.NextCheck.Sub(now)
		}
		if a.Status != c.want || wait != c.wait {
			t.Errorf("%s at %v: %s, next check in %v; want %s, %v", c.status, c.age, a.Status, wait, c.want, c.wait)
		}
		if c.wait == 0 && a.ClosedAt.IsZero() {
			t.Errorf("%s at %v: not closed", c.status, c.age)
		}
	}
}
