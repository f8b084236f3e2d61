// Package apperr defines the kinds of error that cross antrag's layers. A
// store or service wraps one of the sentinel errors below; the web layer
// maps the kind to an HTTP status in one place. Test with errors.Is.
package apperr

import "errors"

// Error kinds.
var (
	// NotFound: the thing does not exist, or not for this tenant.
	NotFound = errors.New("nicht gefunden")
	// Conflict: a unique value is taken, or the state does not allow the
	// change (a submitted draft, say).
	Conflict = errors.New("Konflikt")
	// Invalid: the input is malformed; the message says how.
	Invalid = errors.New("ungültige Eingabe")
	// Gone: it existed but has expired or been deleted by the retention
	// schedule.
	Gone = errors.New("nicht mehr vorhanden")
	// Unauthorized: no or wrong credentials.
	Unauthorized = errors.New("nicht angemeldet")
	// Forbidden: signed in, but the role does not allow it.
	Forbidden = errors.New("nicht erlaubt")
	// TooLarge: more data than allowed.
	TooLarge = errors.New("zu groß")
	// Unavailable: a service it depends on (the database) cannot be
	// reached or is overloaded for now; trying again later may succeed.
	Unavailable = errors.New("vorübergehend nicht verfügbar")
)
