package fitconnecttest

import (
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"strings"

	"github.com/google/uuid"
)

// Event URIs (standards.md §1 "Events").
const (
	EventCreateSubmission = "https://schema.fitko.de/fit-connect/events/create-submission"
	EventSubmitSubmission = "https://schema.fitko.de/fit-connect/events/submit-submission"
	EventAcceptSubmission = "https://schema.fitko.de/fit-connect/events/accept-submission"
	EventRejectSubmission = "https://schema.fitko.de/fit-connect/events/reject-submission"
)

type schemaJSON struct {
	SchemaURI string `json:"schemaUri"`
	MimeType  string `json:"mimeType"`
}

type serviceJSON struct {
	Identifier        string       `json:"identifier"`
	Name              string       `json:"name,omitempty"`
	SubmissionSchemas []schemaJSON `json:"submissionSchemas"`
}

type destinationJSON struct {
	DestinationID string        `json:"destinationId"`
	Status        string        `json:"status"`
	EncryptionKid string        `json:"encryptionKid"`
	Services      []serviceJSON `json:"services"`
}

type serviceRef struct {
	Name       string `json:"name,omitempty"`
	Identifier string `json:"identifier"`
}

type submissionIDs struct {
	DestinationID string `json:"destinationId"`
	SubmissionID  string `json:"submissionId"`
	CaseID        string `json:"caseId"`
}

func (s *submission) ids() submissionIDs {
	return submissionIDs{DestinationID: s.destID, SubmissionID: s.id, CaseID: s.caseID}
}

func (d *Double) destination(id string) *destination {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.dests[strings.ToLower(id)]
}

func destinationNotFound(w http.ResponseWriter, id string) {
	writeProblem(w, http.StatusNotFound, ProblemDestinationNotFound, fmt.Sprintf("destination %q not found", id))
}

func (d *Double) handleDestination(w http.ResponseWriter, r *http.Request, _ string) {
	id := r.PathValue("id")
	dest := d.destination(id)
	if dest == nil {
		destinationNotFound(w, id)
		return
	}
	out := destinationJSON{
		DestinationID: dest.cfg.ID,
		Status:        "active",
		EncryptionKid: dest.cfg.EncryptionKid,
		Services:      make([]serviceJSON, 0, len(dest.cfg.Services)),
	}
	for _, s := range dest.cfg.Services {
		sj := serviceJSON{Identifier: s.Identifier, Name: s.Name, SubmissionSchemas: make([]schemaJSON, 0, len(s.SubmissionSchemas))}
		for _, sc := range s.SubmissionSchemas {
			sj.SubmissionSchemas = append(sj.SubmissionSchemas, schemaJSON{SchemaURI: sc.URI, MimeType: sc.MimeType})
		}
		out.Services = append(out.Services, sj)
	}
	writeJSON(w, http.StatusOK, out)
}

func (d *Double) handleKey(w http.ResponseWriter, r *http.Request, _ string) {
	id, kid := r.PathValue("id"), r.PathValue("kid")
	dest := d.destination(id)
	if dest == nil {
		destinationNotFound(w, id)
		return
	}
	k := dest.key(kid)
	if k == nil {
		writeProblem(w, http.StatusNotFound, ProblemKeyNotFound, fmt.Sprintf("destination %s has no key %q", dest.cfg.ID, kid))
		return
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(http.StatusOK)
	_, _ = w.Write(k.raw)
}

func (d *Double) handleKeys(w http.ResponseWriter, r *http.Request, _ string) {
	id := r.PathValue("id")
	dest := d.destination(id)
	if dest == nil {
		destinationNotFound(w, id)
		return
	}
	keys := make([]json.RawMessage, 0, len(dest.keys))
	for _, k := range dest.keys {
		keys = append(keys, k.raw)
	}
	writeJSON(w, http.StatusOK, map[string]any{"keys": keys})
}

func (d *Double) handleAnnounce(w http.ResponseWriter, r *http.Request, v string) {
	body, ok := readBody(w, r, d.opts.MaxBodyBytes)
	if !ok {
		return
	}
	var req struct {
		DestinationID        string      `json:"destinationId"`
		AnnouncedAttachments []string    `json:"announcedAttachments"`
		ServiceType          *serviceRef `json:"serviceType"`
		PublicService        *serviceRef `json:"publicService"`
	}
	if !decodeJSON(w, body, &req) {
		return
	}
	if !isUUID(req.DestinationID) {
		writeProblem(w, http.StatusUnprocessableEntity, ProblemInvalidRequest, "destinationId must be a UUID")
		return
	}
	svc, field := req.ServiceType, "serviceType"
	if v == "v2" {
		svc, field = req.PublicService, "publicService"
	}
	if svc == nil || svc.Identifier == "" {
		writeProblem(w, http.StatusUnprocessableEntity, ProblemInvalidRequest, fmt.Sprintf("%s.identifier is required in %s", field, v))
		return
	}
	if len(req.AnnouncedAttachments) > MaxAnnouncedAttachments {
		writeProblem(w, http.StatusUnprocessableEntity, ProblemInvalidRequest, fmt.Sprintf("at most %d attachments may be announced", MaxAnnouncedAttachments))
		return
	}
	announced := make([]string, 0, len(req.AnnouncedAttachments))
	for _, a := range req.AnnouncedAttachments {
		if !isUUID(a) {
			writeProblem(w, http.StatusUnprocessableEntity, ProblemInvalidRequest, fmt.Sprintf("announced attachment id %q is not a UUID", a))
			return
		}
		a = strings.ToLower(a)
		if slices.Contains(announced, a) {
			writeProblem(w, http.StatusUnprocessableEntity, ProblemInvalidRequest, fmt.Sprintf("attachment id %s is announced twice", a))
			return
		}
		announced = append(announced, a)
	}
	dest := d.destination(req.DestinationID)
	if dest == nil {
		destinationNotFound(w, req.DestinationID)
		return
	}
	if !dest.service(svc.Identifier) {
		writeProblem(w, http.StatusUnprocessableEntity, ProblemServiceNotAccepted, fmt.Sprintf("destination %s does not accept service %q", dest.cfg.ID, svc.Identifier))
		return
	}
	s := &submission{
		id:                uuid.NewString(),
		caseID:            uuid.NewString(),
		destID:            dest.cfg.ID,
		serviceIdentifier: svc.Identifier,
		serviceName:       svc.Name,
		announced:         announced,
		attachments:       map[string]string{},
		state:             StateAnnounced,
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	if len(d.order) >= d.opts.MaxSubmissions {
		writeProblem(w, http.StatusInsufficientStorage, ProblemInsufficientStorage, fmt.Sprintf("the test double holds at most %d submissions", d.opts.MaxSubmissions))
		return
	}
	set, err := d.signEvent(EventCreateSubmission, s)
	if err != nil {
		writeProblem(w, http.StatusInternalServerError, "", "signing the create-submission event failed")
		return
	}
	s.events = append(s.events, set)
	d.subs[s.id] = s
	d.cases[s.caseID] = s
	d.order = append(d.order, s)
	writeJSON(w, http.StatusCreated, s.ids())
}

// lookupSubmission finds a submission; d.mu must be held.
func (d *Double) lookupSubmission(id string) *submission {
	return d.subs[strings.ToLower(id)]
}

func submissionNotFound(w http.ResponseWriter, id string) {
	writeProblem(w, http.StatusNotFound, ProblemSubmissionNotFound, fmt.Sprintf("submission %q not found", id))
}

func stateInvalid(w http.ResponseWriter, s *submission, want State) {
	writeProblem(w, http.StatusConflict, ProblemSubmissionStateInvalid, fmt.Sprintf("submission %s is %s, not %s", s.id, s.state, want))
}

// checkUpload checks that attachment aid of submission sid may be
// uploaded; d.mu must be held. It writes the problem and returns nil
// otherwise.
func (d *Double) checkUpload(w http.ResponseWriter, sid, aid string) *submission {
	s := d.lookupSubmission(sid)
	if s == nil {
		submissionNotFound(w, sid)
		return nil
	}
	if !s.isAnnounced(strings.ToLower(aid)) {
		writeProblem(w, http.StatusNotFound, ProblemAttachmentNotFound, fmt.Sprintf("attachment %q was not announced for submission %s", aid, s.id))
		return nil
	}
	if s.state != StateAnnounced {
		stateInvalid(w, s, StateAnnounced)
		return nil
	}
	return s
}

func (d *Double) handleUpload(w http.ResponseWriter, r *http.Request, _ string) {
	sid, aid := r.PathValue("sid"), r.PathValue("aid")
	d.mu.Lock()
	s := d.checkUpload(w, sid, aid)
	d.mu.Unlock()
	if s == nil {
		return
	}
	if !requireMediaType(w, r, "application/jose") {
		return
	}
	body, ok := readBody(w, r, d.opts.MaxAttachmentBytes)
	if !ok {
		return
	}
	jwe := strings.TrimSpace(string(body))
	if err := checkCompactJWE(jwe); err != nil {
		writeProblem(w, http.StatusUnprocessableEntity, ProblemInvalidJWE, "attachment: "+err.Error())
		return
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	if s = d.checkUpload(w, sid, aid); s == nil {
		return
	}
	aid = strings.ToLower(aid)
	delta := int64(len(jwe) - len(s.attachments[aid]))
	if d.storedBytes+delta > d.opts.MaxStoredBytes {
		writeProblem(w, http.StatusInsufficientStorage, ProblemInsufficientStorage, fmt.Sprintf("the test double stores at most %d bytes", d.opts.MaxStoredBytes))
		return
	}
	s.attachments[aid] = jwe
	s.bytes += delta
	d.storedBytes += delta
	w.WriteHeader(http.StatusNoContent)
}

func (d *Double) handleSubmit(w http.ResponseWriter, r *http.Request, _ string) {
	sid := r.PathValue("sid")
	body, ok := readBody(w, r, d.opts.MaxBodyBytes)
	if !ok {
		return
	}
	var req struct {
		EncryptedMetadata string `json:"encryptedMetadata"`
		EncryptedData     string `json:"encryptedData"`
	}
	if !decodeJSON(w, body, &req) {
		return
	}
	req.EncryptedMetadata = strings.TrimSpace(req.EncryptedMetadata)
	req.EncryptedData = strings.TrimSpace(req.EncryptedData)
	if err := checkCompactJWE(req.EncryptedMetadata); err != nil {
		writeProblem(w, http.StatusUnprocessableEntity, ProblemInvalidJWE, "encryptedMetadata: "+err.Error())
		return
	}
	if req.EncryptedData != "" {
		if err := checkCompactJWE(req.EncryptedData); err != nil {
			writeProblem(w, http.StatusUnprocessableEntity, ProblemInvalidJWE, "encryptedData: "+err.Error())
			return
		}
	}
	d.mu.Lock()
	s := d.lookupSubmission(sid)
	if s == nil {
		d.mu.Unlock()
		submissionNotFound(w, sid)
		return
	}
	if s.state != StateAnnounced {
		d.mu.Unlock()
		stateInvalid(w, s, StateAnnounced)
		return
	}
	var missing []string
	for _, a := range s.announced {
		if _, ok := s.attachments[a]; !ok {
			missing = append(missing, a)
		}
	}
	if len(missing) > 0 {
		d.mu.Unlock()
		writeProblem(w, http.StatusUnprocessableEntity, ProblemMissingAttachments, "announced attachments not uploaded: "+strings.Join(missing, ", "))
		return
	}
	delta := int64(len(req.EncryptedMetadata)+len(req.EncryptedData)) - int64(len(s.metadata)+len(s.data))
	if d.storedBytes+delta > d.opts.MaxStoredBytes {
		d.mu.Unlock()
		writeProblem(w, http.StatusInsufficientStorage, ProblemInsufficientStorage, fmt.Sprintf("the test double stores at most %d bytes", d.opts.MaxStoredBytes))
		return
	}
	set, err := d.signEvent(EventSubmitSubmission, s)
	if err != nil {
		d.mu.Unlock()
		writeProblem(w, http.StatusInternalServerError, "", "signing the submit-submission event failed")
		return
	}
	s.metadata, s.data = req.EncryptedMetadata, req.EncryptedData
	s.bytes += delta
	d.storedBytes += delta
	s.state = StateSubmitted
	d.seq++
	s.submittedSeq = d.seq
	s.events = append(s.events, set)
	ids := s.ids()
	dest := d.dests[strings.ToLower(s.destID)]
	d.mu.Unlock()
	if dest != nil && dest.cfg.CallbackURL != "" {
		d.enqueueCallback(dest.cfg, ids)
	}
	writeJSON(w, http.StatusAccepted, ids)
}
