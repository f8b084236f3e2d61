package web

import (
	"fmt"
	"testing"
	"time"
)

// TestLoginThrottleIsBounded: a flood of failed logins with distinct names
// does not grow the throttle's memory beyond loginMaxNames.
func TestLoginThrottleIsBounded(t *testing.T) {
	var th loginThrottle
	now := time.Date(2026, 1, 15, 10, 0, 0, 0, time.UTC)
	for i := range loginMaxNames + 500 {
		th.failed(fmt.Sprintf("name-%d", i), now)
	}
	if n := len(th.m); n > loginMaxNames {
		t.Fatalf("%d names tracked, at most %d allowed", n, loginMaxNames)
	}
	// Counting still works for a name under attack.
	for range loginBurst {
		th.failed("Opfer", now)
	}
	if !th.blocked("opfer ", now) {
		t.Errorf("a name with %d failures is not blocked", loginBurst)
	}
	if th.blocked("opfer", now.Add(loginInterval)) {
		t.Errorf("still blocked after %s", loginInterval)
	}
}
