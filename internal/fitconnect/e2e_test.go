package fitconnect_test

import (
	"bytes"
	"context"
	"crypto/x509"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/go-jose/go-jose/v4"
	"github.com/google/uuid"

	"github.com/antrag/antrag/internal/apperr"
	"github.com/antrag/antrag/internal/delivery"
	"github.com/antrag/antrag/internal/fitconnect"
	"github.com/antrag/antrag/internal/fitconnect/fitconnecttest"
	"github.com/antrag/antrag/internal/submission"
	"github.com/antrag/antrag/internal/tenant"
)

const (
	e2eLeika     = "99018115001001"
	e2eSchemaURI = "https://schema.fitko.de/fim/s00000092_1.0.schema.json"
)

// memInbox is an Inbox in memory.
type memInbox struct {
	mu       sync.Mutex
	services map[string]*tenant.Service // LeiKa key → service
	schema   []byte
	stored   map[string]*fitconnect.Received // by RemoteID
	storeErr error
}

func (in *memInbox) Service(_ context.Context, tenantID, leika, schemaURI string) (*tenant.Service, func([]byte) error, error) {
	in.mu.Lock()
	defer in.mu.Unlock()
	svc, ok := in.services[leika]
	if !ok || svc.TenantID != tenantID {
		return nil, nil, fmt.Errorf("Leistung %s: %w", leika, apperr.NotFound)
	}
	if in.schema == nil {
		return svc, nil, nil
	}
	schema := in.schema
	return svc, func(data []byte) error { return fitconnect.ValidateJSON(schema, data) }, nil
}

func (in *memInbox) Store(_ context.Context, r *fitconnect.Received) (bool, error) {
	in.mu.Lock()
	defer in.mu.Unlock()
	if in.storeErr != nil {
		return false, in.storeErr
	}
	if _, ok := in.stored[r.RemoteID]; ok {
		return false, nil
	}
	in.stored[r.RemoteID] = r
	return true, nil
}

func (in *memInbox) Stored(_ context.Context, tenantID, remoteID string) (bool, error) {
	in.mu.Lock()
	defer in.mu.Unlock()
	_, ok := in.stored[remoteID]
	return ok, nil
}

func (in *memInbox) count() int {
	in.mu.Lock()
	defer in.mu.Unlock()
	return len(in.stored)
}

func (in *memInbox) get(remoteID string) *fitconnect.Received {
	in.mu.Lock()
	defer in.mu.Unlock()
	return in.stored[remoteID]
}

// env is a sender tenant and a receiving tenant connected through the
// FIT-Connect test double.
type env struct {
	t       *testing.T
	f       *fixture
	double  *fitconnecttest.Double
	srv     *httptest.Server
	version string
	destID  string
	sender  *fitconnect.Sender
	sub     *fitconnect.Subscriber
	inbox   *memInbox
	dest    *fitconnect.Destination
	cbSrv   *httptest.Server
}

type envOpts struct {
	version  string
	callback bool
	// callbackSecret registered with the double; default the destination's.
	callbackSecret []byte
	// maxBody is the double's limit of request bodies other than
	// attachments; 0 its default.
	maxBody int64
}

func newEnv(t *testing.T, o envOpts) *env {
	t.Helper()
	f := getFixture(t)
	if o.version == "" {
		o.version = "v1"
	}
	e := &env{t: t, f: f, version: o.version, destID: uuid.NewString()}
	// The subscriber receives the submission while it answers a callback:
	// on a loaded machine that may take longer than the double's default
	// limit of an attempt.
	e.double, e.srv = fitconnecttest.NewServer(t, fitconnecttest.Options{CallbackBackoff: 10 * time.Millisecond, CallbackAttempts: 2,
		CallbackTimeout: time.Minute, MaxBodyBytes: o.maxBody})
	e.double.AddClient("sender-musterstadt", "sender-secret")
	e.double.AddClient("subscriber-kreis", "subscriber-secret")

	e.inbox = &memInbox{
		services: map[string]*tenant.Service{e2eLeika: {ID: "svc-recv", TenantID: "tenant-kreis", Name: "Bewohnerparkausweis", Leistungsschluessel: e2eLeika, FormVersionID: "fv-1"}},
		stored:   map[string]*fitconnect.Received{},
	}
	e.dest = &fitconnect.Destination{
		TenantID: "tenant-kreis", DestinationID: e.destID, ClientID: "subscriber-kreis", ClientSecret: "subscriber-secret",
		CallbackSecret: []byte("callback-secret-kreis"), PrivateKeys: f.private, SigningKid: f.keys.SigningKid,
	}
	var err error
	e.sub, err = fitconnect.NewSubscriber(fitconnect.SubscriberConfig{
		TokenURL: e.srv.URL + "/token", SubmissionAPI: e.srv.URL, Version: o.version, HTTPClient: e.srv.Client(),
		Destinations: func(_ context.Context, id string) (*fitconnect.Destination, error) {
			if strings.EqualFold(id, e.destID) {
				return e.dest, nil
			}
			return nil, fmt.Errorf("Zustellpunkt %s: %w", id, apperr.NotFound)
		},
		ListDestinations: func(context.Context) ([]*fitconnect.Destination, error) {
			return []*fitconnect.Destination{e.dest}, nil
		},
		Inbox: e.inbox,
	})
	if err != nil {
		t.Fatal(err)
	}
	reg := fitconnecttest.Destination{
		ID: e.destID, PublicKeys: f.keys.PublicJWKS, EncryptionKid: f.keys.EncryptionKid,
		Services: []fitconnecttest.Service{{Identifier: fitconnect.LeikaURN(e2eLeika), Name: "Bewohnerparkausweis",
			SubmissionSchemas: []fitconnecttest.Schema{{URI: e2eSchemaURI, MimeType: "application/json"}}}},
	}
	if o.callback {
		mux := http.NewServeMux()
		mux.Handle("POST /fit-connect/callback/{destination}", e.sub.CallbackHandler())
		e.cbSrv = httptest.NewServer(mux)
		t.Cleanup(e.cbSrv.Close)
		reg.CallbackURL = e.cbSrv.URL + "/fit-connect/callback/" + e.destID
		reg.CallbackSecret = e.dest.CallbackSecret
		if o.callbackSecret != nil {
			reg.CallbackSecret = o.callbackSecret
		}
	}
	if err := e.double.AddDestination(reg); err != nil {
		t.Fatal(err)
	}
	e.sender = e.newSender(f.ca.Pool())
	return e
}

func (e *env) newSender(roots *x509.CertPool) *fitconnect.Sender {
	e.t.Helper()
	s, err := fitconnect.NewSender(fitconnect.SenderConfig{
		TokenURL: e.srv.URL + "/token", SubmissionAPI: e.srv.URL, Version: e.version, HTTPClient: e.srv.Client(),
		Roots: roots,
		Credentials: func(_ context.Context, tenantID string) (string, string, error) {
			if tenantID != "tenant-musterstadt" {
				return "", "", apperr.NotFound
			}
			return "sender-musterstadt", "sender-secret", nil
		},
	})
	if err != nil {
		e.t.Fatal(err)
	}
	return s
}

// parcel is an application with two attachments whose FileRefs the data
// holds.
type parcel struct {
	p        *delivery.Parcel
	content  map[string][]byte
	progress []string // "remoteID/caseID" per Progress call
	states   []fitconnecttest.State
}

func (e *env) newParcel() *parcel {
	pc := &parcel{content: map[string][]byte{}}
	atts := []*submission.Attachment{
		{ID: uuid.NewString(), Filename: "meldebescheinigung.pdf", MediaType: "application/pdf"},
		{ID: uuid.NewString(), Filename: "fahrzeugschein.jpg", MediaType: "image/jpeg"},
	}
	pc.content[atts[0].ID] = []byte("%PDF-1.7 Meldebescheinigung Max Mustermann")
	pc.content[atts[1].ID] = bytes.Repeat([]byte{0xff, 0xd8, 0xff, 0xe0}, 5000)
	var refs []map[string]any
	for _, a := range atts {
		a.SHA512 = fitconnect.SHA512Hex(pc.content[a.ID])
		a.Size = int64(len(pc.content[a.ID]))
		refs = append(refs, map[string]any{"attachmentId": a.ID, "filename": a.Filename, "mimeType": a.MediaType,
			"size": a.Size, "hash": map[string]any{"type": "sha512", "content": a.SHA512}})
	}
	data, err := json.Marshal(map[string]any{
		"G60000000086": map[string]any{"F60000000243": "Hauptstraße 1", "F60000000244": 12.5},
		"F60000000300": refs[0],
		"G60000000099": map[string]any{"F60000000301": []any{refs[1]}},
	})
	if err != nil {
		e.t.Fatal(err)
	}
	subID := uuid.NewString()
	pc.p = &delivery.Parcel{
		Delivery: &delivery.Delivery{ID: uuid.NewString(), TenantID: "tenant-musterstadt", SubmissionID: subID,
			Target: delivery.Target{Kind: delivery.FITConnect, DestinationID: e.destID}, State: delivery.Pending},
		Tenant:      &tenant.Tenant{ID: "tenant-musterstadt", Name: "Stadt Musterstadt"},
		Service:     &tenant.Service{ID: "svc-send", TenantID: "tenant-musterstadt", Name: "Bewohnerparkausweis", Leistungsschluessel: e2eLeika},
		Submission:  &submission.Submission{ID: subID, TenantID: "tenant-musterstadt", Data: data, SubmittedAt: time.Date(2026, 11, 28, 23, 30, 0, 0, time.UTC)},
		Attachments: atts,
		Open: func(_ context.Context, a *submission.Attachment) (io.ReadCloser, error) {
			return io.NopCloser(bytes.NewReader(pc.content[a.ID])), nil
		},
		SchemaURI: e2eSchemaURI,
		Progress: func(_ context.Context, remoteID, caseID string) error {
			pc.progress = append(pc.progress, remoteID+"/"+caseID)
			v, _ := e.double.Submission(remoteID)
			pc.states = append(pc.states, v.State)
			pc.p.Delivery.RemoteID, pc.p.Delivery.CaseID = remoteID, caseID
			return nil
		},
	}
	return pc
}

func (e *env) send(pc *parcel) delivery.Outcome {
	e.t.Helper()
	out, err := e.sender.Send(context.Background(), pc.p)
	if err != nil {
		e.t.Fatalf("Send: %v", err)
	}
	pc.p.Delivery.RemoteID, pc.p.Delivery.CaseID, pc.p.Delivery.State = out.RemoteID, out.CaseID, out.State
	return out
}

func (e *env) follow(pc *parcel) delivery.Outcome {
	e.t.Helper()
	out, err := e.sender.Follow(context.Background(), pc.p.Delivery)
	if err != nil {
		e.t.Fatalf("Follow: %v", err)
	}
	return out
}

func (e *env) state(remoteID string) fitconnecttest.State {
	v, ok := e.double.Submission(remoteID)
	if !ok {
		e.t.Fatalf("double has no submission %s", remoteID)
	}
	return v.State
}

// lastSET returns the verified last event of a submission's log.
func (e *env) lastSET(remoteID string) *fitconnect.SET {
	e.t.Helper()
	v, _ := e.double.Submission(remoteID)
	if len(v.Events) == 0 {
		e.t.Fatal("no events")
	}
	s, err := fitconnect.VerifySET(v.Events[len(v.Events)-1], keyForDest(e.f, e.destID), time.Now())
	if err != nil {
		e.t.Fatal(err)
	}
	return s
}

func keyForDest(f *fixture, destID string) func(iss, kid string) (*jose.JSONWebKey, error) {
	return func(iss, kid string) (*jose.JSONWebKey, error) {
		if iss == destID && kid == f.keys.SigningKid {
			return &f.sig.JSONWebKey, nil
		}
		return nil, errors.New("unbekannt")
	}
}

func TestE2EAccept(t *testing.T) {
	for _, v := range []string{"v1", "v2"} {
		t.Run(v, func(t *testing.T) {
			e := newEnv(t, envOpts{version: v})
			pc := e.newParcel()
			out := e.send(pc)
			if out.State != delivery.Delivered || out.RemoteID == "" || out.CaseID == "" {
				t.Fatalf("outcome %+v", out)
			}
			// Progress ran once, right after the announce.
			if len(pc.progress) != 1 || pc.progress[0] != out.RemoteID+"/"+out.CaseID || pc.states[0] != fitconnecttest.StateAnnounced {
				t.Fatalf("progress %v in states %v", pc.progress, pc.states)
			}
			view, _ := e.double.Submission(out.RemoteID)
			if view.State != fitconnecttest.StateSubmitted || view.ServiceIdentifier != "urn:de:fim:leika:leistung:"+e2eLeika {
				t.Fatalf("double: %+v", view.State)
			}
			if len(view.AnnouncedAttachments) != 2 || view.AnnouncedAttachments[0] != pc.p.Attachments[0].ID {
				t.Fatalf("announced %v", view.AnnouncedAttachments)
			}
			if got := e.follow(pc); got.State != delivery.Delivered {
				t.Fatalf("Follow before the receiver decided: %+v", got)
			}

			n, err := e.sub.Poll(context.Background())
			if err != nil || n != 1 {
				t.Fatalf("Poll = %d, %v", n, err)
			}
			r := e.inbox.get(out.RemoteID)
			if r == nil {
				t.Fatal("nothing stored")
			}
			if r.TenantID != "tenant-kreis" || r.ServiceID != "svc-recv" || r.FormVersionID != "fv-1" || r.CaseID != out.CaseID ||
				r.SenderReference != pc.p.Submission.ID || r.ApplicationDate != "2026-11-29" || r.DestinationID != e.destID {
				t.Fatalf("received %+v", r)
			}
			if len(r.Attachments) != 2 {
				t.Fatalf("%d attachments", len(r.Attachments))
			}
			for i, a := range r.Attachments {
				orig := pc.p.Attachments[i]
				if a.RemoteID != orig.ID || a.ID == orig.ID || r.AttachmentIDs[orig.ID] != a.ID || uuid.Validate(a.ID) != nil {
					t.Errorf("attachment %d ids: %+v", i, a)
				}
				if !bytes.Equal(a.Content, pc.content[orig.ID]) || a.SHA512 != orig.SHA512 || a.Filename != orig.Filename || a.MediaType != orig.MediaType {
					t.Errorf("attachment %d content/meta differs", i)
				}
			}
			// The data is the sender's, with attachment ids rewritten.
			want := string(pc.p.Submission.Data)
			for old, nw := range r.AttachmentIDs {
				want = strings.ReplaceAll(want, old, nw)
			}
			if string(r.Data) != want {
				t.Fatalf("data\n%s\nwant\n%s", r.Data, want)
			}
			for old := range r.AttachmentIDs {
				if strings.Contains(string(r.Data), old) {
					t.Error("data still references the sender's attachment id")
				}
			}
			if r.Metadata.PublicServiceType.Identifier != fitconnect.LeikaURN(e2eLeika) || r.Metadata.ContentStructure.Data.SubmissionSchema.SchemaURI != e2eSchemaURI {
				t.Errorf("metadata %+v", r.Metadata)
			}
			if r.Metadata.ReplyChannel != nil {
				t.Error("reply channel invented")
			}

			if st := e.state(out.RemoteID); st != fitconnecttest.StateAccepted {
				t.Fatalf("double state %s", st)
			}
			set := e.lastSET(out.RemoteID)
			ap, _ := set.Accept()
			view, _ = e.double.Submission(out.RemoteID)
			wantMeta, _ := fitconnect.AuthTag(view.EncryptedMetadata)
			wantData, _ := fitconnect.AuthTag(view.EncryptedData)
			if set.Event != fitconnect.EventAcceptSubmission || ap.AuthenticationTags == nil ||
				ap.AuthenticationTags.Metadata != wantMeta || ap.AuthenticationTags.Data != wantData || len(ap.AuthenticationTags.Attachments) != 2 {
				t.Fatalf("accept SET %+v %+v", set, ap)
			}
			for id, jwe := range view.Attachments {
				if tag, _ := fitconnect.AuthTag(jwe); ap.AuthenticationTags.Attachments[id] != tag {
					t.Errorf("tag of %s", id)
				}
			}

			if got := e.follow(pc); got.State != delivery.Accepted || got.RemoteID != out.RemoteID {
				t.Fatalf("Follow after accept: %+v", got)
			}
			// A second poll finds nothing new.
			if n, err := e.sub.Poll(context.Background()); err != nil || n != 0 {
				t.Fatalf("second Poll = %d, %v", n, err)
			}
			// Receiving the same submission again (a callback racing a
			// poll) never stores it twice.
			_ = e.sub.Receive(context.Background(), e.destID, out.RemoteID)
			if e.inbox.count() != 1 {
				t.Fatal("stored twice")
			}
		})
	}
}

func TestE2ERejectSchemaViolation(t *testing.T) {
	e := newEnv(t, envOpts{})
	// The receiver's form requires a field the sender does not fill.
	e.inbox.schema = []byte(`{"$schema":"https://json-schema.org/draft/2020-12/schema","type":"object","required":["F99999999999"]}`)
	pc := e.newParcel()
	out := e.send(pc)
	n, err := e.sub.Poll(context.Background())
	if err != nil || n != 0 {
		t.Fatalf("Poll = %d, %v", n, err)
	}
	if e.inbox.count() != 0 {
		t.Fatal("stored a rejected submission")
	}
	if st := e.state(out.RemoteID); st != fitconnecttest.StateRejected {
		t.Fatalf("double state %s", st)
	}
	set := e.lastSET(out.RemoteID)
	rp, _ := set.Reject()
	if set.Event != fitconnect.EventRejectSubmission || len(rp.Problems) != 1 || rp.Problems[0].Type != fitconnect.RejectSchemaViolation ||
		rp.Problems[0].Instance != "data" || rp.AuthenticationTags == nil || rp.AuthenticationTags.Metadata == "" {
		t.Fatalf("reject SET %+v %+v", set, rp)
	}
	got := e.follow(pc)
	if got.State != delivery.Rejected || !strings.Contains(got.Reason, "Schema") || !strings.Contains(got.Reason, "/F99999999999") {
		t.Fatalf("Follow: %+v", got)
	}
	// The reason carries no application content.
	if strings.Contains(got.Reason, "Hauptstraße") {
		t.Fatal("reason leaks data")
	}
}

func TestE2ERejectUnknownService(t *testing.T) {
	e := newEnv(t, envOpts{})
	e.inbox.services = map[string]*tenant.Service{} // the receiver offers nothing
	pc := e.newParcel()
	out := e.send(pc)
	err := e.sub.Receive(context.Background(), e.destID, out.RemoteID)
	var rej *fitconnect.RejectedError
	if !errors.As(err, &rej) || rej.Problem.Type != fitconnect.RejectUnsupportedService {
		t.Fatalf("Receive: %v", err)
	}
	if got := e.follow(pc); got.State != delivery.Rejected || !strings.Contains(got.Reason, "Leistung nicht angeboten") {
		t.Fatalf("Follow: %+v", got)
	}
}

func TestE2ERejectWrongHash(t *testing.T) {
	e := newEnv(t, envOpts{})
	pc := e.newParcel()
	out := e.send(pc)
	victim := pc.p.Attachments[1].ID
	// The platform swaps an attachment for another, correctly encrypted
	// one: it decrypts, but its hash is not the one in the metadata.
	swapped, err := fitconnect.Encrypt(&e.f.enc.JSONWebKey, []byte("ausgetauscht"), "image/jpeg")
	if err != nil {
		t.Fatal(err)
	}
	if err := e.double.Tamper(out.RemoteID, func(s *fitconnecttest.Stored) { s.Attachments[victim] = swapped }); err != nil {
		t.Fatal(err)
	}
	err = e.sub.Receive(context.Background(), e.destID, out.RemoteID)
	var rej *fitconnect.RejectedError
	if !errors.As(err, &rej) || rej.Problem.Type != fitconnect.RejectHashMismatch || rej.Problem.Instance != "attachment:"+victim {
		t.Fatalf("Receive: %v", err)
	}
	if e.inbox.count() != 0 {
		t.Fatal("stored a submission with a wrong hash")
	}
	if st := e.state(out.RemoteID); st != fitconnecttest.StateRejected {
		t.Fatalf("double state %s", st)
	}
	if got := e.follow(pc); got.State != delivery.Rejected || !strings.Contains(got.Reason, "Prüfsumme") {
		t.Fatalf("Follow: %+v", got)
	}
}

func TestE2ERejectDataHash(t *testing.T) {
	e := newEnv(t, envOpts{})
	pc := e.newParcel()
	out := e.send(pc)
	other, _ := fitconnect.Encrypt(&e.f.enc.JSONWebKey, []byte(`{"G60000000086":{"F60000000243":"Nebenstraße 2"}}`), "application/json")
	_ = e.double.Tamper(out.RemoteID, func(s *fitconnecttest.Stored) { s.EncryptedData = other })
	err := e.sub.Receive(context.Background(), e.destID, out.RemoteID)
	var rej *fitconnect.RejectedError
	if !errors.As(err, &rej) || rej.Problem.Type != fitconnect.RejectHashMismatch || rej.Problem.Instance != "data" {
		t.Fatalf("Receive: %v", err)
	}
	if e.inbox.count() != 0 {
		t.Fatal("stored")
	}
}

func TestE2ERejectTamperedJWE(t *testing.T) {
	e := newEnv(t, envOpts{})
	pc := e.newParcel()
	out := e.send(pc)
	_ = e.double.Tamper(out.RemoteID, func(s *fitconnecttest.Stored) {
		p := strings.Split(s.EncryptedData, ".")
		c := []byte(p[3])
		if c[0] == 'A' {
			c[0] = 'B'
		} else {
			c[0] = 'A'
		}
		p[3] = string(c)
		s.EncryptedData = strings.Join(p, ".")
	})
	err := e.sub.Receive(context.Background(), e.destID, out.RemoteID)
	var rej *fitconnect.RejectedError
	if !errors.As(err, &rej) || rej.Problem.Type != fitconnect.RejectEncryptionIssue {
		t.Fatalf("Receive: %v", err)
	}
	if e.inbox.count() != 0 {
		t.Fatal("stored")
	}
	if got := e.follow(pc); got.State != delivery.Rejected {
		t.Fatalf("Follow: %+v", got)
	}
}

func TestE2EStoreFailureIsRetried(t *testing.T) {
	e := newEnv(t, envOpts{})
	pc := e.newParcel()
	out := e.send(pc)
	e.inbox.storeErr = errors.New("Datenbank gesperrt")
	n, err := e.sub.Poll(context.Background())
	if err == nil || n != 0 {
		t.Fatalf("Poll = %d, %v", n, err)
	}
	if st := e.state(out.RemoteID); st != fitconnecttest.StateSubmitted {
		t.Fatalf("a storage failure must leave the submission for later, state %s", st)
	}
	e.inbox.storeErr = nil
	if n, err := e.sub.Poll(context.Background()); err != nil || n != 1 {
		t.Fatalf("Poll = %d, %v", n, err)
	}
	if e.follow(pc).State != delivery.Accepted {
		t.Fatal("not accepted")
	}
}

func TestE2ESenderRetryAfterCrash(t *testing.T) {
	e := newEnv(t, envOpts{})
	pc := e.newParcel()
	// The submit fails once with 503: a retryable error, ids already kept.
	e.double.Fail("PUT /{v}/submissions/{sid}", 1, 503)
	_, err := e.sender.Send(context.Background(), pc.p)
	if err == nil || delivery.IsPermanent(err) || !fitconnect.Retryable(err) {
		t.Fatalf("first Send: %v (permanent %v)", err, delivery.IsPermanent(err))
	}
	if len(pc.progress) != 1 || pc.p.Delivery.RemoteID == "" {
		t.Fatalf("progress %v", pc.progress)
	}
	remote := pc.p.Delivery.RemoteID
	// The retry continues the same remote submission.
	out, err := e.sender.Send(context.Background(), pc.p)
	if err != nil || out.RemoteID != remote || out.State != delivery.Delivered {
		t.Fatalf("retry: %+v %v", out, err)
	}
	if len(pc.progress) != 1 || len(e.double.Submissions(e.destID)) != 1 {
		t.Fatalf("retry announced again: %v", pc.progress)
	}
	// Another retry after a crash between submit and recording success:
	// the API refuses (409), the event log shows the submit.
	out, err = e.sender.Send(context.Background(), pc.p)
	if err != nil || out.RemoteID != remote || out.State != delivery.Delivered {
		t.Fatalf("second retry: %+v %v", out, err)
	}
	if st := e.state(remote); st != fitconnecttest.StateSubmitted {
		t.Fatalf("state %s", st)
	}
}

func TestE2ESenderErrors(t *testing.T) {
	e := newEnv(t, envOpts{})
	ctx := context.Background()

	pc := e.newParcel()
	pc.p.Service.Leistungsschluessel = ""
	if _, err := e.sender.Send(ctx, pc.p); !delivery.IsPermanent(err) || !strings.Contains(err.Error(), "Leistungsschlüssel") {
		t.Errorf("no LeiKa key: %v", err)
	}
	pc = e.newParcel()
	pc.p.Service.Leistungsschluessel = "99999999999999" // not offered by the destination
	if _, err := e.sender.Send(ctx, pc.p); !delivery.IsPermanent(err) {
		t.Errorf("service not offered: %v", err)
	}
	pc = e.newParcel()
	pc.p.Delivery.Target.DestinationID = uuid.NewString()
	_, err := e.sender.Send(ctx, pc.p)
	var p *fitconnect.Problem
	if !delivery.IsPermanent(err) || !errors.As(err, &p) || p.Status != 404 {
		t.Errorf("unknown destination: %v", err)
	}
	pc = e.newParcel()
	pc.p.Delivery.TenantID = "tenant-ohne-zugang"
	if _, err := e.sender.Send(ctx, pc.p); !delivery.IsPermanent(err) {
		t.Errorf("no credentials: %v", err)
	}
	// The destination key is certified by a CA the sender does not trust.
	other, _ := fitconnect.NewCA("fremde CA")
	untrusting := e.newSender(other.Pool())
	pc = e.newParcel()
	if _, err := untrusting.Send(ctx, pc.p); !delivery.IsPermanent(err) || !errors.Is(err, fitconnect.ErrKeyInvalid) {
		t.Errorf("untrusted key: %v", err)
	}
	if len(pc.progress) != 0 {
		t.Error("announced despite a bad key")
	}
	// A temporary outage is retryable, not permanent.
	e.double.Fail("GET /{v}/destinations/{id}", 1, 503)
	pc = e.newParcel()
	if _, err := e.sender.Send(ctx, pc.p); err == nil || delivery.IsPermanent(err) {
		t.Errorf("503: %v", err)
	}
	// A changed attachment is caught before anything is sent.
	pc = e.newParcel()
	pc.content[pc.p.Attachments[0].ID] = []byte("anderer Inhalt")
	if _, err := e.sender.Send(ctx, pc.p); !delivery.IsPermanent(err) || !strings.Contains(err.Error(), "Prüfsumme") {
		t.Errorf("changed attachment: %v", err)
	}
	if len(e.double.Submissions(e.destID)) == 0 {
		return
	}
	for _, v := range e.double.Submissions(e.destID) {
		if v.State == fitconnecttest.StateSubmitted {
			t.Errorf("a failed parcel reached state submitted")
		}
	}
}

// waitFor polls cond until it is true. The deadline is far longer than
// the event takes on an idle machine, for a loaded one; log describes the
// state waited for in the failure message.
func waitFor(t *testing.T, what string, cond func() bool, log func() string) {
	t.Helper()
	const within = time.Minute
	deadline := time.Now().Add(within)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("gave up waiting %v for %s: %s", within, what, log())
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// callbackLog describes the double's callback attempts.
func (e *env) callbackLog() string {
	return fmt.Sprintf("callback log %+v", e.double.CallbackLog())
}

func TestE2ECallback(t *testing.T) {
	e := newEnv(t, envOpts{callback: true})
	pc := e.newParcel()
	out := e.send(pc)
	// The double logs the attempt once our handler has answered.
	waitFor(t, "callback to be answered", func() bool { return len(e.double.CallbackLog()) > 0 }, e.callbackLog)
	log := e.double.CallbackLog()
	if log[0].Status != http.StatusNoContent || log[0].SubmissionID != out.RemoteID {
		t.Fatalf("callback log %+v", log)
	}
	if e.inbox.count() != 1 || e.state(out.RemoteID) != fitconnecttest.StateAccepted {
		t.Fatal("callback did not receive the submission")
	}
	if e.follow(pc).State != delivery.Accepted {
		t.Fatal("not accepted")
	}
}

func TestE2ECallbackWrongSecret(t *testing.T) {
	e := newEnv(t, envOpts{callback: true, callbackSecret: []byte("falsches-secret")})
	pc := e.newParcel()
	out := e.send(pc)
	waitFor(t, "callback attempts", func() bool {
		for _, a := range e.double.CallbackLog() {
			if a.Status != 0 {
				return true
			}
		}
		return false
	}, e.callbackLog)
	for _, a := range e.double.CallbackLog() {
		if a.Status != 0 && a.Status != http.StatusUnauthorized {
			t.Fatalf("callback with wrong MAC answered %d", a.Status)
		}
	}
	if e.inbox.count() != 0 || e.state(out.RemoteID) != fitconnecttest.StateSubmitted {
		t.Fatal("a callback with a wrong MAC triggered a receipt")
	}
}

func TestE2ERejectDanglingFileRef(t *testing.T) {
	e := newEnv(t, envOpts{})
	pc := e.newParcel()
	// The data references a third attachment that is never sent.
	var doc map[string]any
	_ = json.Unmarshal(pc.p.Submission.Data, &doc)
	doc["F60000000999"] = map[string]any{"attachmentId": uuid.NewString(), "filename": "x.pdf", "mimeType": "application/pdf",
		"size": 1, "hash": map[string]any{"type": "sha512", "content": fitconnect.SHA512Hex([]byte("x"))}}
	pc.p.Submission.Data, _ = json.Marshal(doc)
	out := e.send(pc)
	err := e.sub.Receive(context.Background(), e.destID, out.RemoteID)
	var rej *fitconnect.RejectedError
	if !errors.As(err, &rej) || rej.Problem.Type != fitconnect.RejectMissingAttachment {
		t.Fatalf("Receive: %v", err)
	}
	if e.inbox.count() != 0 {
		t.Fatal("stored")
	}
}

func signedCallback(t *testing.T, secret []byte, at time.Time, body string) *http.Request {
	t.Helper()
	req := httptest.NewRequest(http.MethodPost, "/cb/x", strings.NewReader(body))
	ts, mac := fitconnect.SignCallback(secret, at, []byte(body))
	req.Header.Set(fitconnect.HeaderCallbackTimestamp, ts)
	req.Header.Set(fitconnect.HeaderCallbackAuthentication, mac)
	return req
}

func TestCallbackHandler(t *testing.T) {
	e := newEnv(t, envOpts{})
	h := e.sub.CallbackHandler()
	empty := `{"type":"` + fitconnect.CallbackNewSubmissions + `","submissions":[]}`
	serve := func(req *http.Request, dest string) (*httptest.ResponseRecorder, fitconnect.Problem) {
		req.SetPathValue("destination", dest)
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		var p fitconnect.Problem
		if rec.Code >= 400 {
			if ct := rec.Header().Get("Content-Type"); ct != "application/problem+json" {
				t.Errorf("status %d with Content-Type %q", rec.Code, ct)
			}
			if err := json.Unmarshal(rec.Body.Bytes(), &p); err != nil || p.Status != rec.Code || p.Title == "" {
				t.Errorf("problem document %q", rec.Body.String())
			}
		}
		return rec, p
	}
	now := time.Now()
	secret := e.dest.CallbackSecret

	if rec, _ := serve(signedCallback(t, secret, now, empty), e.destID); rec.Code != http.StatusNoContent {
		t.Errorf("valid: %d %s", rec.Code, rec.Body)
	}
	if rec, _ := serve(signedCallback(t, secret, now, empty), uuid.NewString()); rec.Code != http.StatusNotFound {
		t.Errorf("unknown destination: %d", rec.Code)
	}
	if rec, _ := serve(signedCallback(t, secret, now, empty), "nicht-uuid"); rec.Code != http.StatusNotFound {
		t.Errorf("bad destination id: %d", rec.Code)
	}
	rec, p := serve(signedCallback(t, []byte("falsch"), now, empty), e.destID)
	if rec.Code != http.StatusUnauthorized || !strings.Contains(p.Title, "Signatur") {
		t.Errorf("wrong MAC: %d %+v", rec.Code, p)
	}
	rec, p = serve(signedCallback(t, secret, now.Add(-10*time.Minute), empty), e.destID)
	if rec.Code != http.StatusUnauthorized || !strings.Contains(p.Title, "abgelaufen") {
		t.Errorf("expired: %d %+v", rec.Code, p)
	}
	req := signedCallback(t, secret, now, empty)
	req.Header.Del(fitconnect.HeaderCallbackAuthentication)
	if rec, _ := serve(req, e.destID); rec.Code != http.StatusUnauthorized {
		t.Errorf("no MAC header: %d", rec.Code)
	}
	req = httptest.NewRequest(http.MethodGet, "/cb/x", nil)
	if rec, _ := serve(req, e.destID); rec.Code != http.StatusMethodNotAllowed {
		t.Errorf("GET: %d", rec.Code)
	}
	big := `{"type":"` + fitconnect.CallbackNewSubmissions + `","pad":"` + strings.Repeat("x", fitconnect.MaxCallbackBody) + `"}`
	if rec, _ := serve(signedCallback(t, secret, now, big), e.destID); rec.Code != http.StatusRequestEntityTooLarge {
		t.Errorf("too large: %d", rec.Code)
	}
	if rec, _ := serve(signedCallback(t, secret, now, "kein json"), e.destID); rec.Code != http.StatusBadRequest {
		t.Errorf("not JSON: %d", rec.Code)
	}

	// A signed callback for a real submission receives it; a listed
	// submission of another destination is ignored.
	pc := e.newParcel()
	out := e.send(pc)
	body := mustJSON(t, map[string]any{"type": fitconnect.CallbackNewSubmissions, "submissions": []any{
		map[string]any{"destinationId": e.destID, "submissionId": out.RemoteID, "caseId": out.CaseID},
		map[string]any{"destinationId": uuid.NewString(), "submissionId": uuid.NewString(), "caseId": uuid.NewString()},
	}})
	if rec, _ := serve(signedCallback(t, secret, now, string(body)), e.destID); rec.Code != http.StatusNoContent {
		t.Fatalf("callback: %d %s", rec.Code, rec.Body)
	}
	if e.inbox.count() != 1 || e.state(out.RemoteID) != fitconnecttest.StateAccepted {
		t.Fatal("callback did not receive the submission")
	}
	// A listed submission that cannot be fetched asks for a retry.
	body = mustJSON(t, map[string]any{"type": fitconnect.CallbackNewSubmissions, "submissions": []any{
		map[string]any{"destinationId": e.destID, "submissionId": uuid.NewString(), "caseId": uuid.NewString()},
	}})
	if rec, _ := serve(signedCallback(t, secret, now, string(body)), e.destID); rec.Code != http.StatusServiceUnavailable {
		t.Fatalf("unknown submission: %d %s", rec.Code, rec.Body)
	}
}
