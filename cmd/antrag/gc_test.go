package main

import (
	"math"
	"runtime/debug"
	"testing"
)

// TestTuneGC checks that serve's collector settings apply only where the
// environment sets none.
func TestTuneGC(t *testing.T) {
	prevPercent := debug.SetGCPercent(100)
	prevLimit := debug.SetMemoryLimit(math.MaxInt64)
	t.Cleanup(func() {
		debug.SetGCPercent(prevPercent)
		debug.SetMemoryLimit(prevLimit)
	})
	tuneGC(envMap(nil))
	if got := debug.SetGCPercent(100); got != serveGCPercent {
		t.Errorf("GC percent without GOGC: %d, want %d", got, serveGCPercent)
	}
	if got := debug.SetMemoryLimit(math.MaxInt64); got != serveMemoryLimit {
		t.Errorf("memory limit without GOMEMLIMIT: %d, want %d", got, serveMemoryLimit)
	}
	tuneGC(envMap(map[string]string{"GOGC": "150", "GOMEMLIMIT": "2GiB"}))
	if got := debug.SetGCPercent(100); got != 100 {
		t.Errorf("GC percent with GOGC set: %d, want the runtime's (100 here)", got)
	}
	if got := debug.SetMemoryLimit(-1); got != math.MaxInt64 {
		t.Errorf("memory limit with GOMEMLIMIT set: %d, want the runtime's", got)
	}
}
