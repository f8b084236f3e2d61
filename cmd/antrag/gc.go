package main

import (
	"runtime/debug"
)

// Garbage collection of `antrag serve`. The Go runtime's default (GOGC=100:
// collect when the heap has doubled since the last collection) made
// collection about a quarter of the CPU of a busy server, whose live heap
// is small (tens of MiB) and churns fast (each request's data, pages and
// JSON). Unless the environment sets them, serve lets the heap grow to five
// times the live heap between collections (serveGCPercent), which took
// JSON API submissions on SQLite from about 900 to about 1,150 a second on
// 2 cores (BENCHMARKS.md) for about 70 MiB more resident memory, and caps
// the heap softly at serveMemoryLimit, near which the runtime collects
// more often. GOGC and GOMEMLIMIT (package runtime) override both.
const (
	serveGCPercent   = 400
	serveMemoryLimit = 1 << 30 // bytes
)

// tuneGC applies serveGCPercent and serveMemoryLimit where the environment
// does not set GOGC and GOMEMLIMIT.
func tuneGC(getenv func(string) string) {
	if getenv("GOGC") == "" {
		debug.SetGCPercent(serveGCPercent)
	}
	if getenv("GOMEMLIMIT") == "" {
		debug.SetMemoryLimit(serveMemoryLimit)
	}
}
