package delivery

import (
	"testing"
	"time"
)

func TestFairnessLimits(t *testing.T) {
	var f fairness
	l := Limits{PerTenant: 2, PerTarget: 1}
	now := time.Now()
	ok := func(tenant, place string) bool {
		got, wait := f.acquire(l, tenant, place, now)
		if !got && (wait < busyWait || wait > 2*busyWait) {
			t.Errorf("busy %s/%s: wait %v, want within [%v, %v]", tenant, place, wait, busyWait, 2*busyWait)
		}
		return got
	}
	if !ok("a", "webhook https://x") {
		t.Fatal("first attempt refused")
	}
	if ok("a", "webhook https://x") {
		t.Error("a second attempt to the same place was allowed (PerTarget 1)")
	}
	if !ok("a", "webhook https://y") {
		t.Error("a second place of the tenant was refused")
	}
	if ok("a", "webhook https://z") {
		t.Error("a third attempt of the tenant was allowed (PerTenant 2)")
	}
	if !ok("b", "webhook https://z") {
		t.Error("another tenant was refused")
	}
	f.release("a", "webhook https://x", now, placeOK, nil)
	if !ok("a", "webhook https://x") {
		t.Error("refused after a release")
	}
}

func TestFairnessBackoff(t *testing.T) {
	var f fairness
	l := Limits{PerTenant: 4, PerTarget: 4}
	now := time.Now()
	place := "webhook https://schwarzes-loch.example"
	if got, _ := f.acquire(l, "a", place, now); !got {
		t.Fatal("refused")
	}
	f.release("a", place, now, placeFailed, func(n int) time.Duration { return time.Duration(n) * 10 * time.Second })
	got, wait := f.acquire(l, "a", place, now.Add(time.Second))
	if got || wait < 9*time.Second || wait > 9*time.Second+busyWait {
		t.Errorf("during the back-off: %v, wait %v; want refused for about 9 s", got, wait)
	}
	// After the back-off one attempt probes the failing place.
	later := now.Add(11 * time.Second)
	if got, _ := f.acquire(l, "a", place, later); !got {
		t.Fatal("no probe after the back-off")
	}
	if got, _ := f.acquire(l, "b", place, later); got {
		t.Error("a second attempt while probing a failing place")
	}
	// A second failure backs off longer; capped at maxTargetBackoff.
	f.release("a", place, later, placeFailed, func(n int) time.Duration { return time.Duration(n) * time.Hour })
	if _, wait := f.acquire(l, "a", place, later); wait < maxTargetBackoff || wait > maxTargetBackoff+busyWait {
		t.Errorf("back-off %v, want capped at %v", wait, maxTargetBackoff)
	}
	// A success ends the back-off; an interrupted attempt changes nothing.
	later = later.Add(maxTargetBackoff)
	if got, _ := f.acquire(l, "a", place, later); !got {
		t.Fatal("no probe after the capped back-off")
	}
	f.release("a", place, later, placeUnknown, nil)
	if got, _ := f.acquire(l, "a", place, later); !got {
		t.Fatal("refused after an interrupted attempt")
	}
	f.release("a", place, later, placeOK, nil)
	for range 4 {
		if got, _ := f.acquire(l, "a", place, later); !got {
			t.Fatal("the place is still limited to probes after a success")
		}
	}
}

func TestTargetKey(t *testing.T) {
	for _, c := range []struct {
		t    Target
		want string
	}{
		{Target{Kind: Webhook, URL: "https://Fach.Example:8443/a/b?x=1"}, "webhook https://fach.example:8443"},
		{Target{Kind: Webhook, URL: "https://fach.example/c"}, "webhook https://fach.example"},
		{Target{Kind: Email, Address: "Amt@Musterstadt.example"}, "email musterstadt.example"},
		{Target{Kind: FITConnect, DestinationID: "7B5E1A4E-0000-4000-8000-000000000001"}, "fitconnect 7b5e1a4e-0000-4000-8000-000000000001"},
	} {
		if got := TargetKey(&c.t); got != c.want {
			t.Errorf("TargetKey(%+v) = %q, want %q", c.t, got, c.want)
		}
	}
}
