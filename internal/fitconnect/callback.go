package fitconnect

import (
	"crypto/hmac"
	"crypto/sha512"
	"encoding/hex"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// Callback headers and limits (standards.md §1 "Callbacks"; git.fitko.de
// docs commits 647da0a5 and 0c6e2877).
const (
	HeaderCallbackTimestamp      = "callback-timestamp"
	HeaderCallbackAuthentication = "callback-authentication"
	// MaxCallbackAge is how far the callback timestamp may lie in the past
	// (or in the future, for clock skew).
	MaxCallbackAge = 5 * time.Minute
	// CallbackNewSubmissions is the type of a callback announcing new
	// submissions.
	CallbackNewSubmissions = "https://schema.fitko.de/fit-connect/submission-api/callbacks/new-submissions"
)

// Distinct callback errors, so that handlers and tests can tell them apart.
var (
	// ErrCallbackHeader: a header is missing or malformed.
	ErrCallbackHeader = errors.New("Callback: Header callback-timestamp oder callback-authentication fehlt oder ist ungültig")
	// ErrCallbackExpired: the timestamp is more than 5 minutes away from now.
	ErrCallbackExpired = errors.New("Callback: Zeitstempel ist älter als 5 Minuten oder liegt in der Zukunft")
	// ErrCallbackMAC: the HMAC does not match.
	ErrCallbackMAC = errors.New("Callback: Signatur (HMAC) ist ungültig")
)

// SignCallback returns the callback-timestamp header (unix seconds) and the
// callback-authentication header: the lower-case hex HMAC-SHA512, keyed with
// secret, over timestamp + "." + body (standards.md §1 "Callbacks").
func SignCallback(secret []byte, timestamp time.Time, body []byte) (tsHeader, macHeader string) {
	tsHeader = strconv.FormatInt(timestamp.Unix(), 10)
	return tsHeader, hex.EncodeToString(callbackMAC(secret, tsHeader, body))
}

func callbackMAC(secret []byte, ts string, body []byte) []byte {
	m := hmac.New(sha512.New, secret)
	m.Write([]byte(ts))
	m.Write([]byte{'.'})
	m.Write(body)
	return m.Sum(nil)
}

// VerifyCallback checks the callback headers against body: both must be
// present and well-formed (ErrCallbackHeader), the timestamp at most five
// minutes before or after now (ErrCallbackExpired), and the MAC must match,
// compared in constant time (ErrCallbackMAC). An empty secret fails.
func VerifyCallback(secret []byte, tsHeader, macHeader string, body []byte, now time.Time) error {
	tsHeader, macHeader = strings.TrimSpace(tsHeader), strings.TrimSpace(macHeader)
	if tsHeader == "" || macHeader == "" {
		return ErrCallbackHeader
	}
	sec, err := strconv.ParseInt(tsHeader, 10, 64)
	if err != nil || sec < 0 {
		return fmt.Errorf("%w: Zeitstempel ist keine Unix-Zeit in Sekunden", ErrCallbackHeader)
	}
	got, err := hex.DecodeString(strings.ToLower(macHeader))
	if err != nil || len(got) != sha512.Size {
		return fmt.Errorf("%w: HMAC ist kein Hex-Wert mit 128 Zeichen", ErrCallbackHeader)
	}
	if len(secret) == 0 {
		return fmt.Errorf("%w: kein Callback-Secret konfiguriert", ErrCallbackMAC)
	}
	d := now.Sub(time.Unix(sec, 0))
	if d > MaxCallbackAge || d < -MaxCallbackAge {
		return ErrCallbackExpired
	}
	if !hmac.Equal(got, callbackMAC(secret, tsHeader, body)) {
		return ErrCallbackMAC
	}
	return nil
}
