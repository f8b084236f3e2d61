package saml

import (
	"errors"

	crewjam "github.com/crewjam/saml"
)

// Reasons a SAML message is refused, for the log (they carry no personal
// data).
const (
	ReasonSize         = "size"
	ReasonMalformed    = "malformed"
	ReasonSignature    = "signature"
	ReasonIssuer       = "issuer"
	ReasonAudience     = "audience"
	ReasonDestination  = "destination"
	ReasonInResponseTo = "in_response_to"
	ReasonExpired      = "expired"
	ReasonNotYetValid  = "not_yet_valid"
	ReasonReplay       = "replay"
	ReasonDecrypt      = "decrypt"
	ReasonStatus       = "status" // the IdP reports a failure, e.g. the person cancelled
	ReasonLevel        = "level"
	ReasonSubject      = "subject"
	ReasonProfile      = "profile"
	ReasonOther        = "other"
)

// Error is a refused SAML message.
type Error struct {
	Reason string
	Err    error
}

func (e *Error) Error() string { return "saml: " + e.Reason + ": " + e.Err.Error() }
func (e *Error) Unwrap() error { return e.Err }

// ReasonOf returns the Reason of an *Error in err's chain, or ReasonOther.
func ReasonOf(err error) string {
	var e *Error
	if errors.As(err, &e) {
		return e.Reason
	}
	return ReasonOther
}

// classify turns the library's error into an *Error. The library hides
// the cause behind InvalidResponseError.PrivateErr; its sentinel errors
// say which check failed.
func classify(err error) error {
	cause := err
	var ivr *crewjam.InvalidResponseError
	if errors.As(err, &ivr) && ivr.PrivateErr != nil {
		cause = ivr.PrivateErr
	}
	var bad crewjam.ErrBadStatus
	reason := ReasonOther
	switch {
	case errors.Is(cause, crewjam.ErrAssertionReplayed):
		reason = ReasonReplay
	case errors.As(cause, &bad):
		reason = ReasonStatus
	case errors.Is(cause, crewjam.ErrDecryptionFailed):
		reason = ReasonDecrypt
	case errors.Is(cause, crewjam.ErrInvalidSignature), errors.Is(cause, crewjam.ErrUntrustedCertificate),
		cause.Error() == "signature element not present": // the library's unexported error for an unsigned message
		reason = ReasonSignature
	case errors.Is(cause, crewjam.ErrAudienceMismatch):
		reason = ReasonAudience
	case errors.Is(cause, crewjam.ErrDestinationMismatch):
		reason = ReasonDestination
	case errors.Is(cause, crewjam.ErrRequestIDMismatch):
		reason = ReasonInResponseTo
	case errors.Is(cause, crewjam.ErrExpired):
		reason = ReasonExpired
	case errors.Is(cause, crewjam.ErrNotYetValid):
		reason = ReasonNotYetValid
	case errors.Is(cause, crewjam.ErrIssuerMismatch):
		reason = ReasonIssuer
	case errors.Is(cause, crewjam.ErrMalformedMessage), errors.Is(cause, crewjam.ErrMissingElement):
		reason = ReasonMalformed
	}
	return &Error{Reason: reason, Err: cause}
}
