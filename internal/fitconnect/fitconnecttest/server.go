package fitconnecttest

import (
	"net/http/httptest"
)

// Start returns a Double served by a new httptest.Server (plain HTTP on
// 127.0.0.1). If opts.BaseURL is empty it is set to the server's URL. The
// caller must call srv.Close and then d.Close. It does not import testing,
// so demo code may use it. The error is New's.
func Start(opts Options) (*Double, *httptest.Server, error) {
	d, err := New(opts)
	if err != nil {
		return nil, nil, err
	}
	srv := httptest.NewServer(d.Handler())
	if opts.BaseURL == "" {
		d.SetBaseURL(srv.URL)
	}
	return d, srv, nil
}

// TB is the part of testing.TB that NewServer uses.
type TB interface {
	Helper()
	Fatalf(format string, args ...any)
	Cleanup(func())
}

// NewServer is Start for tests: it fails tb on error and registers
// srv.Close and d.Close with tb.Cleanup.
func NewServer(tb TB, opts Options) (*Double, *httptest.Server) {
	tb.Helper()
	d, srv, err := Start(opts)
	if err != nil {
		tb.Fatalf("fitconnecttest: %v", err)
		return nil, nil
	}
	tb.Cleanup(func() {
		srv.Close()
		d.Close()
	})
	return d, srv
}
