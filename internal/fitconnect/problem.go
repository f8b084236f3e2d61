package fitconnect

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"strings"
)

// ProblemPrefix is the type prefix of Submission API problems (standards.md
// §1 "Sender flow"; codedust/fitconnect-sdk-python fitconnect/fitconnect.py).
const ProblemPrefix = "https://schema.fitko.de/fit-connect/submission-api/problems/"

// Known Submission API problem types. Only destination-not-found and
// destination-state-invalid are documented in standards.md §1; the others
// follow the same pattern and are treated as likely, not verified.
const (
	ProblemDestinationNotFound     = ProblemPrefix + "destination-not-found"
	ProblemDestinationStateInvalid = ProblemPrefix + "destination-state-invalid"
	ProblemSubmissionNotFound      = ProblemPrefix + "submission-not-found"
	ProblemSubmissionStateInvalid  = ProblemPrefix + "submission-state-invalid"
	ProblemAttachmentNotFound      = ProblemPrefix + "attachment-not-found"
	ProblemAttachmentsMismatch     = ProblemPrefix + "attachments-mismatch"
	ProblemInvalidRequest          = ProblemPrefix + "invalid-request"
	ProblemUnauthorized            = ProblemPrefix + "unauthorized"
	ProblemForbidden               = ProblemPrefix + "forbidden"
)

// Problem types antrag puts into reject-submission events, all in this one
// table. FITKO's catalogue of these types is the page "Einreichung
// überprüfen" of the FIT-Connect documentation (docs.fitko.de
// fit-connect/docs/receiving/verification; source git.fitko.de
// fit-connect/docs, docs/receiving/verification.mdx, added in commit
// 7263d583 of 2022-02-03). It says that subscribers MUST take type and
// instance over exactly, but its list could not be read when this was
// written: the types below are NOT verified against it and should be
// aligned when it is. Uses (subscriber.go):
//
//	RejectEncryptionIssue      a part does not decrypt (malformed, alg/enc/zip, kid missing or unknown, tag)
//	RejectSyntaxViolation      metadata invalid or of an unknown schema version; data not a JSON object
//	RejectHashMismatch         SHA-512 of data or an attachment differs from the metadata
//	RejectSchemaViolation      data do not fit the form
//	RejectMissingAttachment    announced, described and referenced attachments differ
//	RejectUnsupportedService   the tenant does not offer the service with that schema
//	RejectSubmissionValidation other checks: no or non-JSON data, too large, duplicate or mistyped attachment
const (
	RejectPrefix               = "https://schema.fitko.de/fit-connect/events/problems/"
	RejectEncryptionIssue      = RejectPrefix + "encryption-issue"
	RejectSyntaxViolation      = RejectPrefix + "syntax-violation"
	RejectHashMismatch         = RejectPrefix + "hash-mismatch"
	RejectSchemaViolation      = RejectPrefix + "schema-violation"
	RejectMissingAttachment    = RejectPrefix + "missing-attachment"
	RejectUnsupportedService   = RejectPrefix + "unsupported-service"
	RejectSubmissionValidation = RejectPrefix + "submission-validation-failed"
)

// Problem is an RFC 9457 (formerly RFC 7807) problem document, as the
// FIT-Connect APIs answer errors with (Content-Type application/problem+json)
// and as reject-submission events carry reasons.
type Problem struct {
	Type     string `json:"type,omitempty"`
	Title    string `json:"title,omitempty"`
	Status   int    `json:"status,omitempty"`
	Detail   string `json:"detail,omitempty"`
	Instance string `json:"instance,omitempty"`
}

// Error describes the problem for staff in German, with the HTTP status and
// the problem type's last segment.
func (p *Problem) Error() string {
	var b strings.Builder
	b.WriteString("FIT-Connect: ")
	b.WriteString(p.Meaning())
	var tags []string
	if p.Status != 0 {
		tags = append(tags, fmt.Sprintf("HTTP %d", p.Status))
	}
	if p.Type != "" && p.Type != "about:blank" {
		tags = append(tags, p.Type[strings.LastIndex(p.Type, "/")+1:])
	}
	if len(tags) > 0 {
		b.WriteString(" (" + strings.Join(tags, ", ") + ")")
	}
	return b.String()
}

// Meaning explains the problem to staff in German: a fixed text for known
// types under ProblemPrefix, otherwise one by HTTP status, followed by the
// API's title when no fixed text exists.
func (p *Problem) Meaning() string {
	switch p.Type {
	case ProblemDestinationNotFound:
		return "Der Zustellpunkt ist bei FIT-Connect nicht bekannt. Bitte die Zustellpunkt-ID in der Dienst-Konfiguration prüfen."
	case ProblemDestinationStateInvalid:
		return "Der Zustellpunkt nimmt derzeit keine Einreichungen an (nicht aktiv). Bitte die empfangende Behörde kontaktieren."
	case ProblemSubmissionNotFound:
		return "Die Einreichung ist bei FIT-Connect nicht (mehr) vorhanden."
	case ProblemSubmissionStateInvalid:
		return "Die Einreichung ist bei FIT-Connect in einem Zustand, der diesen Schritt nicht erlaubt (z. B. bereits abgeschickt)."
	case ProblemAttachmentNotFound:
		return "Eine Anlage ist bei FIT-Connect nicht vorhanden."
	case ProblemAttachmentsMismatch:
		return "Die hochgeladenen Anlagen stimmen nicht mit den angekündigten überein."
	case ProblemInvalidRequest:
		return "FIT-Connect hat die Anfrage als ungültig abgelehnt."
	case ProblemUnauthorized:
		return "Anmeldung bei FIT-Connect fehlgeschlagen. Bitte Client-ID und Client-Secret prüfen."
	case ProblemForbidden:
		return "Der FIT-Connect-Zugang darf diesen Zustellpunkt oder diese Einreichung nicht verwenden."
	}
	var m string
	switch {
	case p.Status == http.StatusUnauthorized:
		m = "Anmeldung bei FIT-Connect fehlgeschlagen. Bitte Client-ID und Client-Secret prüfen."
	case p.Status == http.StatusForbidden:
		m = "Der FIT-Connect-Zugang hat dafür keine Berechtigung."
	case p.Status == http.StatusNotFound:
		m = "Bei FIT-Connect nicht gefunden."
	case p.Status == http.StatusConflict:
		m = "Konflikt mit dem Zustand bei FIT-Connect."
	case p.Status == http.StatusRequestEntityTooLarge:
		m = "Die Daten sind für FIT-Connect zu groß."
	case p.Status == http.StatusTooManyRequests:
		m = "FIT-Connect begrenzt gerade die Anfragen; es wird später erneut versucht."
	case p.Status >= 500:
		m = "FIT-Connect ist gerade gestört; es wird später erneut versucht."
	case p.Status >= 400:
		m = "FIT-Connect hat die Anfrage abgelehnt."
	default:
		m = "Fehler bei FIT-Connect."
	}
	if p.Title != "" {
		m += " Meldung: " + p.Title
	}
	return m
}

// Retryable reports whether trying again later can help: 5xx and 429 yes,
// other 4xx no.
func (p *Problem) Retryable() bool {
	return p.Status >= 500 || p.Status == http.StatusTooManyRequests
}

// Retryable reports whether err is worth retrying: a Problem that is
// Retryable, or a network error or timeout. Other errors (bad keys, invalid
// metadata, a 4xx Problem) are not.
func Retryable(err error) bool {
	if err == nil {
		return false
	}
	var p *Problem
	if errors.As(err, &p) {
		return p.Retryable()
	}
	var ne net.Error
	if errors.As(err, &ne) {
		return true
	}
	var oe *net.OpError
	if errors.As(err, &oe) {
		return true
	}
	return errors.Is(err, context.DeadlineExceeded)
}

// RejectedError is returned by Subscriber.Receive when it rejected a
// submission (reject-submission sent). Problem is the reason given.
type RejectedError struct {
	SubmissionID string
	Problem      Problem
}

func (e *RejectedError) Error() string {
	msg := "Einreichung " + e.SubmissionID + " abgelehnt: " + e.Problem.Title
	if e.Problem.Detail != "" {
		msg += " – " + e.Problem.Detail
	}
	return msg
}

// decryptProblem turns a Decrypt error for a part ("Metadaten",
// "Fachdaten" or "Anlage") into the problem to reject with: a part too
// large after inflating is a size problem, every other reason an
// encryption issue; the detail names the precise reason (DecryptDetail).
func decryptProblem(part, instance string, err error) *Problem {
	if errors.Is(err, ErrJWETooLarge) {
		return problem(RejectSubmissionValidation, part+" zu groß", part+": "+DecryptDetail(err)+".", instance)
	}
	return problem(RejectEncryptionIssue, part+" nicht entschlüsselbar", part+": "+DecryptDetail(err)+".", instance)
}
