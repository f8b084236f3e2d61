// Package loadgen drives a running antrag installation with simulated
// citizens: concurrent applications through the JSON API or through the
// HTML journey as a browser without JavaScript sends them, and a report of
// what succeeded and how long it took.
package loadgen

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/netip"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// Modes of simulated citizens.
const (
	ModeAPI   = "api"
	ModeHTML  = "html"
	ModeMixed = "mixed" // every other application through the API
	// ModePage is the baseline of the others: each unit is one GET of
	// the tenant's catalogue page, a page read from the database and
	// rendered, nothing stored.
	ModePage = "page"
)

// Config is a load run.
type Config struct {
	BaseURL  string        // the installation, e.g. http://127.0.0.1:8080
	Mode     string        // ModeAPI, ModeHTML or ModeMixed
	Citizens int           // applications in flight at once
	Count    int           // applications at most
	Duration time.Duration // the run stops after this time, in-flight applications too
	Service  *Service
	// Client sends the requests; it must not follow redirects. Nil for a
	// client sized for Citizens.
	Client *http.Client
	// Timeout bounds one request; 0 for 30 s.
	Timeout time.Duration
}

// CheckURL parses an installation URL. Unless remote is allowed, its host
// must be a loopback address or localhost: load belongs on one's own
// machine, not on someone else's installation by mistake.
func CheckURL(raw string, allowRemote bool) (*url.URL, error) {
	u, err := url.Parse(raw)
	if err != nil {
		return nil, fmt.Errorf("--url %q: %v", raw, err)
	}
	if u.Scheme != "http" && u.Scheme != "https" || u.Host == "" {
		return nil, fmt.Errorf("--url %q: erwartet http://HOST[:PORT] oder https://…", raw)
	}
	if u.User != nil || u.RawQuery != "" || u.Fragment != "" || strings.Trim(u.Path, "/") != "" {
		return nil, fmt.Errorf("--url %q: nur Schema, Host und Port angeben", raw)
	}
	u.Path = ""
	if !allowRemote && !IsLoopback(u.Hostname()) {
		return nil, fmt.Errorf("--url %s: %q ist kein Loopback-Host (127.0.0.0/8, ::1, localhost); Last auf andere Rechner nur mit --allow-remote", raw, u.Hostname())
	}
	return u, nil
}

// IsLoopback reports whether host (without port) is localhost or a
// loopback address.
func IsLoopback(host string) bool {
	h := strings.TrimSuffix(strings.ToLower(host), ".")
	if h == "localhost" || strings.HasSuffix(h, ".localhost") {
		return true
	}
	a, err := netip.ParseAddr(h)
	return err == nil && a.Unmap().IsLoopback()
}

// modeOf is the way application i is made.
func (c *Config) modeOf(i int) string {
	if c.Mode == ModeMixed {
		if i%2 == 0 {
			return ModeAPI
		}
		return ModeHTML
	}
	return c.Mode
}

// NewClient is an HTTP client for n citizens against one host: it keeps
// up to n connections open and does not follow redirects.
func NewClient(n int, timeout time.Duration) *http.Client {
	tr := http.DefaultTransport.(*http.Transport).Clone()
	tr.MaxIdleConns = max(n, 2) * 2
	tr.MaxIdleConnsPerHost = max(n, 2)
	tr.DialContext = (&net.Dialer{Timeout: 10 * time.Second, KeepAlive: 30 * time.Second}).DialContext
	return &http.Client{Transport: tr, Timeout: timeout,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
}

// Run makes up to c.Count applications with c.Citizens at once and reports
// on them. It stops at c.Duration or when ctx ends; applications in flight
// then are counted as cancelled, not failed.
func Run(ctx context.Context, c Config) (*Report, error) {
	switch c.Mode {
	case ModeAPI, ModeHTML, ModeMixed, ModePage:
	default:
		return nil, fmt.Errorf("Modus %q: erwartet api, html, mixed oder page", c.Mode)
	}
	if c.Service == nil {
		return nil, errors.New("kein Dienst")
	}
	if c.Count < 0 || c.Citizens < 1 {
		return nil, fmt.Errorf("--citizens %d, --count %d: erwartet mindestens einen Bürger und keine negative Anzahl", c.Citizens, c.Count)
	}
	if c.Timeout <= 0 {
		c.Timeout = 30 * time.Second
	}
	if c.Client == nil {
		c.Client = NewClient(c.Citizens, c.Timeout)
	}
	c.BaseURL = strings.TrimRight(c.BaseURL, "/")
	citizens := min(c.Citizens, c.Count)

	runID := make([]byte, 6)
	if _, err := rand.Read(runID); err != nil {
		return nil, err
	}
	rec := newRecorder()
	runCtx := ctx
	var cancelRun context.CancelFunc
	if c.Duration > 0 {
		runCtx, cancelRun = context.WithTimeout(ctx, c.Duration)
		defer cancelRun()
	}
	var next atomic.Int64
	var wg sync.WaitGroup
	start := time.Now()
	for range citizens {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for runCtx.Err() == nil {
				i := int(next.Add(1) - 1)
				if i >= c.Count {
					return
				}
				mode := c.modeOf(i)
				ci := &citizen{cfg: &c, rec: rec, key: fmt.Sprintf("antrag-load-%s-%d", hex.EncodeToString(runID), i)}
				t0 := time.Now()
				var ref string
				var err error
				switch mode {
				case ModeAPI:
					ref, err = ci.viaAPI(runCtx)
				case ModePage:
					ref, err = ci.page(runCtx)
				default:
					ref, err = ci.viaHTML(runCtx)
				}
				rec.application(mode, time.Since(t0), ref, err, runCtx.Err() != nil, i)
			}
		}()
	}
	wg.Wait()
	wall := time.Since(start)
	stopped := ""
	switch {
	case ctx.Err() != nil:
		stopped = "abgebrochen"
	case runCtx.Err() != nil:
		stopped = "Zeitlimit"
	}
	return rec.report(&c, wall, stopped), nil
}
