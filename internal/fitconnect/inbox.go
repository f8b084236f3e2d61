package fitconnect

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"strings"
	"time"
	"unicode"

	"github.com/antrag/antrag/internal/apperr"
	"github.com/antrag/antrag/internal/blob"
	"github.com/antrag/antrag/internal/journey"
	"github.com/antrag/antrag/internal/submission"
	"github.com/antrag/antrag/internal/tenant"
)

// StoreInbox is the Inbox of an antrag installation: a received submission
// becomes a submission of the receiving tenant's service, in its
// caseworker inbox, with a Vorgangsnummer of its own.
type StoreInbox struct {
	DB interface {
		tenant.Store
		submission.Store
	}
	Blobs blob.Store
	Forms *journey.Forms
	// Observer is told of each submission stored (submission.Intake);
	// nil: none.
	Observer submission.Observer
}

var _ Inbox = (*StoreInbox)(nil)

// Service finds the tenant's service with the Leistungsschlüssel whose form
// has the schema URI; with no match on the URI, the first service with the
// Leistungsschlüssel (its form then checks the data). With no LeiKa key,
// only the schema URI decides. apperr.NotFound when none fits.
func (in *StoreInbox) Service(ctx context.Context, tenantID, leikaKey, schemaURI string) (*tenant.Service, func([]byte) error, error) {
	t, err := in.DB.Tenant(ctx, tenantID)
	if err != nil {
		return nil, nil, err
	}
	svcs, err := in.DB.ListServices(ctx, tenantID)
	if err != nil {
		return nil, nil, err
	}
	var byKey *tenant.Service
	for _, svc := range svcs {
		if svc.TenantID != tenantID || svc.FormVersionID == "" {
			continue // a shared service of another tenant, or unpublished
		}
		if leikaKey != "" && svc.Leistungsschluessel != leikaKey {
			continue
		}
		fv, err := in.Forms.Get(ctx, tenantID, svc.FormVersionID)
		if err != nil {
			return nil, nil, err
		}
		if fv.SchemaURI == schemaURI {
			return svc, in.check(fv, t), nil
		}
		if byKey == nil && leikaKey != "" {
			byKey = svc
		}
	}
	if byKey != nil {
		fv, err := in.Forms.Get(ctx, tenantID, byKey.FormVersionID)
		if err != nil {
			return nil, nil, err
		}
		return byKey, in.check(fv, t), nil
	}
	return nil, nil, fmt.Errorf("Leistung %q mit Schema %q wird hier nicht angeboten: %w", leikaKey, schemaURI, apperr.NotFound)
}

// check checks data against a form version with its rules, today.
func (in *StoreInbox) check(fv *journey.Prepared, t *tenant.Tenant) func([]byte) error {
	return func(data []byte) error { return fv.Check(data, t.Bundesland(), time.Now()) }
}

// Stored reports whether the tenant holds the FIT-Connect submission.
func (in *StoreInbox) Stored(ctx context.Context, tenantID, remoteID string) (bool, error) {
	_, err := in.DB.SubmissionByExternalRef(ctx, tenantID, "fitconnect:"+remoteID)
	if errors.Is(err, apperr.NotFound) {
		return false, nil
	}
	return err == nil, err
}

// Store writes the attachments to the blob store and the submission with
// them to the store, once per FIT-Connect submission (ExternalRef
// "fitconnect:<submissionId>": a sender that retries continues its own
// submission, so one application has one submissionId).
func (in *StoreInbox) Store(ctx context.Context, r *Received) (created bool, err error) {
	// The Subscriber asked Stored first; a submission stored meanwhile
	// (callback and poll at once) is found by Receive, which then stores
	// nothing.
	ref := "fitconnect:" + r.RemoteID
	svc, err := in.DB.Service(ctx, r.TenantID, r.ServiceID)
	if err != nil {
		return false, err
	}
	var atts []*submission.Attachment
	intake := &submission.Intake{Store: in.DB, Files: in.Blobs, Observer: in.Observer}
	for _, a := range r.Attachments {
		key := blob.NewKey()
		// Put before the attachment is listed: Receive deletes the listed
		// ones' content unless it stores the submission.
		n, err := in.Blobs.Put(ctx, key, bytes.NewReader(a.Content), int64(len(a.Content)))
		if err != nil {
			for _, done := range atts {
				_ = in.Blobs.Delete(context.WithoutCancel(ctx), done.StorageKey)
			}
			return false, err
		}
		atts = append(atts, &submission.Attachment{ID: a.ID, Filename: a.Filename, MediaType: a.MediaType,
			Size: n, SHA512: a.SHA512, StorageKey: key})
	}
	sub := &submission.Submission{
		TenantID: r.TenantID, ServiceID: svc.ID, FormVersionID: r.FormVersionID, AuthorityID: svc.AuthorityID,
		Data: r.Data, Source: submission.SourceFITConnect, ExternalRef: ref, SubmittedAt: r.ReceivedAt,
	}
	sub.SenderRef = printable(r.SenderReference, 100)
	detail := "Zustellpunkt " + r.DestinationID + ", Einreichung " + r.RemoteID
	if sub.SenderRef != "" {
		detail += ", Zeichen des Absenders " + sub.SenderRef
	}
	ev := &submission.Event{At: r.ReceivedAt, Actor: "System", Action: "eingegangen über FIT-Connect", Detail: detail}
	_, created, err = intake.Receive(ctx, sub, atts, ev)
	return created, err
}

// printable is s without control and format characters, at most n runes
// (the sender's reference is the sender's text).
func printable(s string, n int) string {
	s = strings.Map(func(r rune) rune {
		if unicode.IsControl(r) || unicode.Is(unicode.Cf, r) {
			return -1
		}
		return r
	}, s)
	if r := []rune(strings.TrimSpace(s)); len(r) > n {
		return string(r[:n])
	}
	return strings.TrimSpace(s)
}
