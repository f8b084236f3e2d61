package web

import (
	"database/sql/driver"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"strings"

	"github.com/antrag/antrag/internal/apperr"
	"github.com/antrag/antrag/internal/form"
)

// handlerFunc is a handler that returns its error; one adapter renders it.
type handlerFunc func(w http.ResponseWriter, r *http.Request) error

// statusOf maps error kinds to HTTP status codes, in one place.
func statusOf(err error) int {
	var mbe *http.MaxBytesError
	var slow *slowBodyError
	switch {
	case errors.As(err, &slow): // first: whatever read the body failed on it
		return http.StatusRequestTimeout
	case errors.Is(err, apperr.TooLarge), errors.As(err, &mbe): // first: a parser fails on the cut body too
		return http.StatusRequestEntityTooLarge
	case errors.Is(err, apperr.NotFound):
		return http.StatusNotFound
	case errors.Is(err, apperr.Gone):
		return http.StatusGone
	case errors.Is(err, apperr.Conflict):
		return http.StatusConflict
	case errors.Is(err, apperr.Invalid):
		return http.StatusBadRequest
	case errors.Is(err, apperr.Unauthorized):
		return http.StatusUnauthorized
	case errors.Is(err, apperr.Unavailable), unreachable(err):
		return http.StatusServiceUnavailable
	case errors.Is(err, apperr.Forbidden):
		return http.StatusForbidden
	}
	return http.StatusInternalServerError
}

// unreachable reports whether err is a failed connection (to the
// database) that no store has classified: the session store's, say.
func unreachable(err error) bool {
	var oe *net.OpError
	return errors.As(err, &oe) || errors.Is(err, driver.ErrBadConn)
}

// sessionError answers a request whose session could not be loaded or
// saved (scs.SessionManager.ErrorFunc) with the error page: 503 while the
// database is unreachable.
func (s *Server) sessionError(w http.ResponseWriter, r *http.Request, err error) {
	s.html(func(http.ResponseWriter, *http.Request) error { return err }).ServeHTTP(w, r)
}

// retryAfter is the Retry-After (seconds) of a 503 answer: about how long
// a database restart or fail-over takes.
const retryAfter = "30"

// publicMessage is what a citizen reads for an error of that status.
func publicMessage(status int) (title, text string) {
	switch status {
	case http.StatusNotFound:
		return "Seite nicht gefunden", "Diese Seite gibt es nicht. Bitte prüfen Sie die Adresse oder beginnen Sie auf der Startseite."
	case http.StatusGone:
		return "Nicht mehr verfügbar", "Diese Seite ist nicht mehr verfügbar. Nicht abgesendete Anträge werden nach Ablauf der Aufbewahrungsfrist gelöscht."
	case http.StatusConflict:
		return "Nicht möglich", "Diese Aktion ist im aktuellen Zustand nicht möglich."
	case http.StatusBadRequest:
		return "Ungültige Anfrage", "Die Anfrage konnte nicht verarbeitet werden."
	case http.StatusUnauthorized:
		return "Anmeldung erforderlich", "Bitte melden Sie sich an."
	case http.StatusForbidden:
		return "Nicht erlaubt", "Die Anfrage wurde abgelehnt."
	case http.StatusRequestEntityTooLarge:
		return "Zu groß", "Die gesendeten Daten sind zu groß. Bitte laden Sie kleinere Dateien hoch."
	case http.StatusServiceUnavailable:
		return "Vorübergehend nicht verfügbar", "Der Dienst ist gerade nicht erreichbar. Ihre bereits gespeicherten Angaben sind nicht verloren. Bitte versuchen Sie es in einer Minute noch einmal."
	case http.StatusRequestTimeout:
		return "Übertragung abgebrochen", slowBodyText
	}
	return "Technischer Fehler", "Es ist ein technischer Fehler aufgetreten. Ihre bereits gespeicherten Angaben sind nicht verloren. Bitte versuchen Sie es später noch einmal."
}

// clientError is an error of kind (an apperr kind) whose text is meant for
// the citizen or API client; other errors show only a generic message.
func clientError(kind error, text string) error {
	return &publicError{text: text, err: fmt.Errorf("%s: %w", text, kind)}
}

// apiMessage is the title and detail of an API problem of that status
// when the error has no public text.
func apiMessage(status int) (title, detail string) {
	switch status {
	case http.StatusNotFound:
		return "Nicht gefunden", "Diese Ressource gibt es nicht."
	case http.StatusBadRequest:
		return "Ungültige Anfrage", "Die Anfrage ist ungültig."
	case http.StatusConflict:
		return "Konflikt", "Die Anfrage passt nicht zum aktuellen Zustand."
	case http.StatusRequestEntityTooLarge:
		return "Anfrage zu groß", "Die Anfrage ist zu groß."
	case http.StatusRequestTimeout:
		return "Übertragung zu langsam", slowBodyText
	case http.StatusGone:
		return "Nicht mehr verfügbar", "Diese Ressource wurde gelöscht."
	case http.StatusUnauthorized:
		return "Nicht angemeldet", "Anmeldung erforderlich."
	case http.StatusForbidden:
		return "Nicht erlaubt", "Diese Anfrage ist nicht erlaubt."
	case http.StatusServiceUnavailable:
		return "Vorübergehend nicht verfügbar", "Der Dienst ist vorübergehend nicht erreichbar. Bitte versuchen Sie es nach der in Retry-After genannten Zeit noch einmal."
	}
	return "Technischer Fehler", "Es ist ein technischer Fehler aufgetreten. Bitte versuchen Sie es später noch einmal."
}

// publicError is an error with a message of its own for the citizen.
type publicError struct {
	title, text string
	err         error
}

func (e *publicError) Error() string { return e.err.Error() }
func (e *publicError) Unwrap() error { return e.err }

// html adapts a handlerFunc for pages: an error renders the error page.
func (s *Server) html(h handlerFunc) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if err := h(w, r); err != nil {
			status := statusOf(err)
			s.logError(r, status, err)
			title, text := publicMessage(status)
			var pe *publicError
			if errors.As(err, &pe) {
				text = pe.text
				if pe.title != "" {
					title = pe.title
				}
			}
			w.Header().Set("Cache-Control", "no-store")
			if status == http.StatusServiceUnavailable {
				w.Header().Set("Retry-After", retryAfter)
			}
			s.render(w, r, status, "error", map[string]any{"Title": title, "Text": text, "Status": status})
		}
	})
}

// api adapts a handlerFunc for the JSON API: an error is RFC 9457
// problem+json.
func (s *Server) api(h handlerFunc) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if err := h(w, r); err != nil {
			status := statusOf(err)
			s.logError(r, status, err)
			title, text := apiMessage(status)
			var pe *publicError
			if errors.As(err, &pe) {
				text = pe.text
				if pe.title != "" {
					title = pe.title
				}
			}
			if status == http.StatusServiceUnavailable {
				w.Header().Set("Retry-After", retryAfter)
			}
			writeProblem(w, status, Problem{Title: title, Detail: text})
		}
	})
}

// Problem is an RFC 9457 problem details object.
type Problem struct {
	Type   string        `json:"type,omitempty"`
	Title  string        `json:"title"`
	Status int           `json:"status"`
	Detail string        `json:"detail,omitempty"`
	Errors form.Problems `json:"errors,omitempty"` // field-level problems, keyed by element path
	// ErrorCount is the number of field-level problems, of which Errors
	// lists at most the first 100.
	ErrorCount int            `json:"errorCount,omitempty"`
	Extra      map[string]any `json:"-"`
}

func writeProblem(w http.ResponseWriter, status int, p Problem) {
	p.Status = status
	if p.Type == "" {
		p.Type = "about:blank"
	}
	w.Header().Set("Content-Type", "application/problem+json")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	_ = enc.Encode(p)
}

// logError logs server errors; client errors at debug level. Requests are
// logged by method and route pattern only: paths may hold resume tokens and
// no personal data may reach the log.
func (s *Server) logError(r *http.Request, status int, err error) {
	level := slog.LevelDebug
	if status >= 500 {
		level = slog.LevelError
	}
	s.deps.Logger.Log(r.Context(), level, "request failed", "method", r.Method, "route", r.Pattern, "status", status, "error", redact(err.Error()))
}

// redact removes what might be a resume token from a log message.
func redact(s string) string {
	if i := strings.Index(s, "/antrag/"); i >= 0 {
		return s[:i] + "/antrag/…"
	}
	return s
}

// bodyReader reads a request body and keeps the first read error other
// than io.EOF. Any such error is the client's: its body broke off before
// its Content-Length or last chunk (io.ErrUnexpectedEOF), a chunk or a
// multipart part is malformed, the connection went away, or the body
// passed its limit (*http.MaxBytesError). Whoever reads through it tells
// these apart from the server's own errors (storage) by checking err.
type bodyReader struct {
	r   io.Reader
	err error
}

func (b *bodyReader) Read(p []byte) (int, error) {
	n, err := b.r.Read(p)
	if err != nil && err != io.EOF && b.err == nil {
		b.err = err
	}
	return n, err
}

// brokenBody is the client error for a request body that could not be
// read to its end: 400 with a text that says so, or the
// *http.MaxBytesError (413) of a body over its limit.
func brokenBody(err error) error {
	var mbe *http.MaxBytesError
	var slow *slowBodyError
	if errors.As(err, &mbe) {
		return err
	}
	if errors.As(err, &slow) {
		return &publicError{title: "Übertragung abgebrochen", text: slowBodyText, err: fmt.Errorf("request body: %w", err)}
	}
	return &publicError{text: "Die Anfrage wurde nicht vollständig übertragen. Bitte senden Sie sie noch einmal.",
		err: fmt.Errorf("request body: %w", errors.Join(apperr.Invalid, err))}
}
