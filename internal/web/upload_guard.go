package web

import (
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"os"
	"strconv"
	"strings"
	"sync"
	"time"
)

// Bounds on what a request may cost the server in time and connections.
// Uploads are streamed to storage (a few hundred KiB of memory each), so
// what is left to bound is how long a body may take and how many uploads
// run at once.

// pacedBodies makes every request body arrive at a minimum pace (see
// pacedBody): after Config.BodyGrace of waiting for it, it must average
// Config.BodyMinRate bytes a second, may pause at most
// Config.BodyIdleTimeout, and must end within Config.UploadTimeout for
// uploads and API requests and Config.FormTimeout for form posts. A body that falls behind is cut by a
// read deadline on the connection (http.ResponseController), and reading
// it fails with a *slowBodyError (408).
func (s *Server) pacedBodies(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Body == nil || r.Body == http.NoBody || r.ContentLength == 0 {
			next.ServeHTTP(w, r)
			return
		}
		limit := s.cfg.FormTimeout
		if isMultipart(r) || strings.HasPrefix(r.URL.Path, "/api/") {
			limit = s.cfg.UploadTimeout
		}
		start := time.Now()
		p := &pacedBody{body: r.Body, rc: http.NewResponseController(w), start: start,
			end: start.Add(limit), rate: s.cfg.BodyMinRate, grace: s.cfg.BodyGrace, idle: s.cfg.BodyIdleTimeout}
		r.Body = p
		next.ServeHTTP(w, r)
		p.finish()
	})
}

// pacedBody reads a request body under a read deadline that moves with
// the bytes that arrive. Only the time spent waiting for the client
// counts (not the time the handler spends between reads): waiting in all
// may take grace + bytes read / rate (the body averages at least rate
// bytes a second after the grace period), one wait at most idle, and the
// body must end by end.
//
// Without deadline support (a ResponseWriter that is no connection's) it
// checks the same bounds after each read.
type pacedBody struct {
	body        io.ReadCloser
	rc          *http.ResponseController // nil once deadlines are unsupported
	start, end  time.Time
	rate        int64
	grace, idle time.Duration
	n           int64         // bytes read
	waited      time.Duration // in Read
	err         error
	deadline    bool // a read deadline is set
	ended       bool // the body was read to its end (or failed)
}

// due is the deadline of a read that starts at now.
func (p *pacedBody) due(now time.Time) time.Time {
	budget := p.grace + time.Duration(float64(p.n)/float64(p.rate)*float64(time.Second)) - p.waited
	return earliest(now.Add(min(budget, p.idle)), p.end)
}

func earliest(t time.Time, ts ...time.Time) time.Time {
	for _, u := range ts {
		if u.Before(t) {
			t = u
		}
	}
	return t
}

func (p *pacedBody) Read(b []byte) (int, error) {
	if p.err != nil {
		return 0, p.err
	}
	now := time.Now()
	due := p.due(now)
	if !now.Before(due) {
		p.err = p.slow(now, os.ErrDeadlineExceeded)
		return 0, p.err
	}
	if p.rc != nil {
		if err := p.rc.SetReadDeadline(due); err != nil {
			p.rc = nil
		} else {
			p.deadline = true
		}
	}
	n, err := p.body.Read(b)
	p.n += int64(n)
	done := time.Now()
	p.waited += done.Sub(now)
	switch {
	case err != nil && errors.Is(err, os.ErrDeadlineExceeded):
		p.err = p.slow(done, err)
		return n, p.err
	case err != nil:
		p.ended = true
		p.clearDeadline() // the body ended: the server's own reads go on without it
	case p.rc == nil && done.After(due):
		p.err = p.slow(done, os.ErrDeadlineExceeded)
		return n, p.err
	}
	return n, err
}

func (p *pacedBody) slow(now time.Time, err error) error {
	return &slowBodyError{read: p.n, after: now.Sub(p.start), err: err}
}

// clearDeadline removes the read deadline once the body is done with, so
// that the server's own reads on the connection (it watches for the
// client going away) do not fail on it.
func (p *pacedBody) clearDeadline() {
	if p.deadline && p.rc != nil && p.err == nil {
		_ = p.rc.SetReadDeadline(time.Time{})
		p.deadline = false
	}
}

// finish runs when the handler has returned. The server reads what the
// handler left of a body (up to 256 KiB) before it reuses the connection:
// that too must come at the pace, and not pause longer than idle.
func (p *pacedBody) finish() {
	if p.ended || p.err != nil {
		return
	}
	if p.rc != nil {
		_ = p.rc.SetReadDeadline(p.due(time.Now()))
	}
}

func (p *pacedBody) Close() error { return p.body.Close() }

// slowBodyError is the error of a request body that came too slowly,
// paused too long or took too long in all: 408 Request Timeout.
type slowBodyError struct {
	read  int64
	after time.Duration
	err   error
}

func (e *slowBodyError) Error() string {
	return fmt.Sprintf("request body too slow: %d bytes in %s: %v", e.read, e.after.Round(time.Millisecond), e.err)
}

func (e *slowBodyError) Unwrap() error { return e.err }

// slowBodyText is what a client whose body was cut reads.
const slowBodyText = "Die Daten kamen zu langsam an, und die Übertragung wurde abgebrochen. Bitte senden Sie sie noch einmal, wenn Ihre Verbindung schneller ist."

func isMultipart(r *http.Request) bool {
	ct, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
	return ct == "multipart/form-data"
}

// uploadGate bounds the uploads one process receives at a time: in all,
// and from one client (by clientAddr, which honours the trusted proxies).
// Each upload holds a connection, a copy buffer and a sealing chunk
// (about 200 KiB) and a temporary file until it ends.
type uploadGate struct {
	mu        sync.Mutex
	max       int // in all
	perClient int
	total     int
	clients   map[string]int
}

// take reserves a place for an upload from client; ok false with the
// status that says why: 503 when all places are taken, 429 when the
// client's are.
func (g *uploadGate) take(client string) (release func(), status int) {
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.total >= g.max {
		return nil, http.StatusServiceUnavailable
	}
	if g.clients[client] >= g.perClient {
		return nil, http.StatusTooManyRequests
	}
	g.total++
	g.clients[client]++
	var once sync.Once
	return func() {
		once.Do(func() {
			g.mu.Lock()
			defer g.mu.Unlock()
			g.total--
			if g.clients[client]--; g.clients[client] <= 0 {
				delete(g.clients, client)
			}
		})
	}, 0
}

// Retry-After of the answers of a full uploadGate, in seconds.
const (
	retryBusy   = 30
	retryClient = 10
)

// uploads admits next's uploads through the gate: a multipart post on an
// HTML route (a step with file fields), and every request on an API route
// (api). Beyond the gate's bounds it answers at once, without reading the
// body: 503 or 429 with Retry-After, as the error page or problem+json.
func (s *Server) uploads(api bool, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !api && !isMultipart(r) {
			next.ServeHTTP(w, r)
			return
		}
		release, status := s.gate.take(clientAddr(r, s.cfg.TrustedProxies))
		if release != nil {
			defer release()
			next.ServeHTTP(w, r)
			return
		}
		title, text, retry := "Zu viele gleichzeitige Uploads",
			"Von Ihrem Anschluss werden gerade zu viele Dateien gleichzeitig hochgeladen. Bitte warten Sie, bis diese fertig sind, und versuchen Sie es dann noch einmal.", retryClient
		if status == http.StatusServiceUnavailable {
			title, text, retry = "Gerade ausgelastet",
				"Es werden gerade sehr viele Dateien hochgeladen. Bitte versuchen Sie es in einer Minute noch einmal. Ihre bisherigen Angaben sind gespeichert.", retryBusy
		}
		s.deps.Logger.Debug("upload refused", "status", status)
		w.Header().Set("Retry-After", strconv.Itoa(retry))
		w.Header().Set("Connection", "close") // the body is not read
		if api {
			writeProblem(w, status, Problem{Title: title, Detail: text})
			return
		}
		w.Header().Set("Cache-Control", "no-store")
		s.render(w, r, status, "error", map[string]any{"Title": title, "Text": text, "Status": status})
	})
}
