package web

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"runtime/debug"
	"strings"
	"time"
)

// contentSecurityPolicy allows only the installation's own scripts, styles
// and fonts; KERN's icons are data: SVGs in CSS.
const contentSecurityPolicy = "default-src 'none'; script-src 'self'; style-src 'self'; font-src 'self'; img-src 'self' data:; " +
	"connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'"

// secure sets the security headers every response carries; hsts adds
// Strict-Transport-Security (the installation's public URL is https, even
// when TLS ends at a reverse proxy).
func secure(hsts bool, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		h.Set("Content-Security-Policy", contentSecurityPolicy)
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("Referrer-Policy", "no-referrer")
		h.Set("X-Frame-Options", "DENY")
		h.Set("Cross-Origin-Opener-Policy", "same-origin")
		h.Set("Permissions-Policy", "camera=(), microphone=(), geolocation=()")
		if hsts || r.TLS != nil {
			h.Set("Strict-Transport-Security", "max-age=31536000")
		}
		next.ServeHTTP(w, r)
	})
}

// recoverPanics turns a panic into a 500 page instead of a dropped
// connection, and logs it.
func (s *Server) recoverPanics(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		defer func() {
			if v := recover(); v != nil {
				if v == http.ErrAbortHandler {
					panic(v)
				}
				s.deps.Logger.Error("panic", "method", r.Method, "path", redact(r.URL.Path), "panic", fmt.Sprint(v), "stack", string(debug.Stack()))
				title, text := publicMessage(http.StatusInternalServerError)
				s.render(w, r, http.StatusInternalServerError, "error", map[string]any{"Title": title, "Text": text, "Status": 500})
			}
		}()
		next.ServeHTTP(w, r)
	})
}

// logRequests logs method, route pattern, status and duration; never the
// path, which may hold a resume token, and never a query or body.
func (s *Server) logRequests(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		sw := &statusWriter{ResponseWriter: w, status: 200}
		route := new(string)
		next.ServeHTTP(sw, r.WithContext(context.WithValue(r.Context(), routeKey{}, route)))
		nameSpan(r.Context(), r.Method, *route)
		if strings.HasPrefix(r.URL.Path, "/static/") || r.URL.Path == "/healthz" || r.URL.Path == "/readyz" {
			return
		}
		s.deps.Logger.LogAttrs(r.Context(), slog.LevelInfo, "request",
			slog.String("method", r.Method), slog.String("route", *route),
			slog.Int("status", sw.status), slog.Duration("duration", time.Since(start)))
	})
}

// RequestObserver is told of each request the server answers (operator
// metrics): the route pattern that matched ("" for none; never the path),
// the status code and the duration. It must be quick and safe for
// concurrent use.
type RequestObserver interface {
	ObserveRequest(route string, status int, took time.Duration)
}

// observeRequests reports each request to Deps.Requests. It sits inside
// logRequests, whose route slot in the context it reads.
func (s *Server) observeRequests(next http.Handler) http.Handler {
	obs := s.deps.Requests
	if obs == nil {
		return next
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		sw := &statusWriter{ResponseWriter: w, status: http.StatusOK}
		next.ServeHTTP(sw, r)
		route := ""
		if p, ok := r.Context().Value(routeKey{}).(*string); ok {
			route = *p
		}
		obs.ObserveRequest(route, sw.status, time.Since(start))
	})
}

// routeKey holds, in a request's context, where the matched route pattern
// is reported back to logRequests: the muxes set Request.Pattern on the
// request they receive, which middleware in between has copied.
type routeKey struct{}

// reportRoute wraps the outermost mux: after it has served the request,
// r.Pattern is the pattern of the innermost mux that matched.
func reportRoute(mux http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mux.ServeHTTP(w, r)
		if p, ok := r.Context().Value(routeKey{}).(*string); ok {
			*p = r.Pattern
		}
	})
}

type statusWriter struct {
	http.ResponseWriter
	status int
}

func (w *statusWriter) WriteHeader(code int) {
	w.status = code
	w.ResponseWriter.WriteHeader(code)
}

func (w *statusWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

// limitBody caps a request body; reading past it fails with
// *http.MaxBytesError.
func limitBody(n int64, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		r.Body = http.MaxBytesReader(w, r.Body, n)
		next.ServeHTTP(w, r)
	})
}

// noStore marks responses with personal data as not to be cached.
func noStore(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Cache-Control", "no-store")
		next.ServeHTTP(w, r)
	})
}

// crossOriginDenied answers a request that http.CrossOriginProtection
// refused (a browser sent it from another site): 403, problem+json under
// /api/, the German error page elsewhere.
func (s *Server) crossOriginDenied() http.Handler {
	const text = "Die Anfrage kam von einer anderen Website und wurde deshalb abgelehnt. Bitte öffnen Sie das Formular direkt auf dieser Website und senden Sie es dort ab."
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.deps.Logger.Debug("cross-origin request refused", "method", r.Method)
		if strings.HasPrefix(r.URL.Path, "/api/") {
			writeProblem(w, http.StatusForbidden, Problem{Title: "Nicht erlaubt", Detail: "Die Anfrage kam von einer anderen Website; ein Browser darf die API nur von antrag selbst aus aufrufen."})
			return
		}
		title, _ := publicMessage(http.StatusForbidden)
		w.Header().Set("Cache-Control", "no-store")
		s.render(w, r, http.StatusForbidden, "error", map[string]any{"Title": title, "Text": text, "Status": http.StatusForbidden})
	})
}

// apiUnrouted serves api, a mux of API routes only, and answers what it
// does not route as a problem (RFC 9457): 405 with the mux's Allow header
// when another method of the path has a route, 404 otherwise.
func apiUnrouted(api *http.ServeMux) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h, pattern := api.Handler(r)
		if pattern != "" { // a route, or the mux's redirect to a clean path
			api.ServeHTTP(w, r)
			return
		}
		// h is the mux's own plain-text 404 or 405; keep its status and
		// Allow header, not its text.
		rec := &headerRecorder{header: http.Header{}}
		h.ServeHTTP(rec, r)
		if rec.status == http.StatusMethodNotAllowed {
			w.Header().Set("Allow", rec.header.Get("Allow"))
			writeProblem(w, http.StatusMethodNotAllowed, Problem{Title: "Methode nicht erlaubt",
				Detail: fmt.Sprintf("Diese Adresse nimmt nur %s an.", rec.header.Get("Allow"))})
			return
		}
		writeProblem(w, http.StatusNotFound, Problem{Title: "Nicht gefunden", Detail: "Unter dieser Adresse gibt es keine Operation der API; die Operationen beschreibt /api/v1/openapi.json."})
	})
}

// headerRecorder keeps a handler's status and header and drops its body.
type headerRecorder struct {
	header http.Header
	status int
}

func (r *headerRecorder) Header() http.Header         { return r.header }
func (r *headerRecorder) Write(p []byte) (int, error) { return len(p), nil }
func (r *headerRecorder) WriteHeader(status int)      { r.status = status }
