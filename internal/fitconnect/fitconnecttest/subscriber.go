package fitconnecttest

import (
	"cmp"
	"fmt"
	"net/http"
	"slices"
	"strings"
)

func (d *Double) handleList(w http.ResponseWriter, r *http.Request, _ string) {
	offset, limit, ok := pageParams(w, r)
	if !ok {
		return
	}
	destID := r.URL.Query().Get("destinationId")
	if destID != "" && d.destination(destID) == nil {
		destinationNotFound(w, destID)
		return
	}
	d.mu.Lock()
	var subs []*submission
	for _, s := range d.order {
		if s.state == StateSubmitted && (destID == "" || strings.EqualFold(s.destID, destID)) {
			subs = append(subs, s)
		}
	}
	slices.SortFunc(subs, func(a, b *submission) int { return cmp.Compare(a.submittedSeq, b.submittedSeq) })
	ids := make([]submissionIDs, len(subs))
	for i, s := range subs {
		ids[i] = s.ids()
	}
	d.mu.Unlock()
	items := page(ids, offset, limit)
	writeJSON(w, http.StatusOK, map[string]any{
		"offset":      offset,
		"count":       len(items),
		"totalCount":  len(ids),
		"submissions": items,
	})
}

// submittedSubmission finds submission sid that was submitted (possibly
// accepted or rejected since); d.mu must be held. It writes a 404 problem
// and returns nil otherwise.
func (d *Double) submittedSubmission(w http.ResponseWriter, sid string) *submission {
	s := d.lookupSubmission(sid)
	if s == nil || s.state == StateAnnounced {
		submissionNotFound(w, sid)
		return nil
	}
	return s
}

func (d *Double) handleGetSubmission(w http.ResponseWriter, r *http.Request, v string) {
	d.mu.Lock()
	s := d.submittedSubmission(w, r.PathValue("sid"))
	if s == nil {
		d.mu.Unlock()
		return
	}
	out := map[string]any{
		"destinationId":     s.destID,
		"submissionId":      s.id,
		"caseId":            s.caseID,
		"attachments":       slices.Clone(s.announced),
		"encryptedMetadata": s.metadata,
	}
	if s.data != "" {
		out["encryptedData"] = s.data
	}
	svc := serviceRef{Name: s.serviceName, Identifier: s.serviceIdentifier}
	if v == "v2" {
		out["publicService"] = svc
	} else {
		out["serviceType"] = svc
	}
	d.mu.Unlock()
	writeJSON(w, http.StatusOK, out)
}

func (d *Double) handleGetAttachment(w http.ResponseWriter, r *http.Request, _ string) {
	aid := r.PathValue("aid")
	d.mu.Lock()
	s := d.submittedSubmission(w, r.PathValue("sid"))
	if s == nil {
		d.mu.Unlock()
		return
	}
	jwe, ok := s.attachments[strings.ToLower(aid)]
	if !ok || !s.isAnnounced(strings.ToLower(aid)) {
		d.mu.Unlock()
		writeProblem(w, http.StatusNotFound, ProblemAttachmentNotFound, fmt.Sprintf("submission %s has no attachment %q", s.id, aid))
		return
	}
	d.mu.Unlock()
	w.Header().Set("Content-Type", "application/jose")
	w.WriteHeader(http.StatusOK)
	_, _ = w.Write([]byte(jwe))
}

func (d *Double) handleSubmissionEvents(w http.ResponseWriter, r *http.Request, _ string) {
	d.writeEventLog(w, r, func() *submission { return d.lookupSubmission(r.PathValue("sid")) }, "submission", ProblemSubmissionNotFound)
}

func (d *Double) handleCaseEvents(w http.ResponseWriter, r *http.Request, _ string) {
	d.writeEventLog(w, r, func() *submission { return d.cases[strings.ToLower(r.PathValue("caseId"))] }, "case", ProblemCaseNotFound)
}

// writeEventLog answers {offset,count,totalCount,eventLog}; find runs with
// d.mu held.
func (d *Double) writeEventLog(w http.ResponseWriter, r *http.Request, find func() *submission, what, problem string) {
	offset, limit, ok := pageParams(w, r)
	if !ok {
		return
	}
	d.mu.Lock()
	s := find()
	if s == nil {
		d.mu.Unlock()
		writeProblem(w, http.StatusNotFound, problem, fmt.Sprintf("%s not found", what))
		return
	}
	events := slices.Clone(s.events)
	d.mu.Unlock()
	items := page(events, offset, limit)
	writeJSON(w, http.StatusOK, map[string]any{
		"offset":     offset,
		"count":      len(items),
		"totalCount": len(events),
		"eventLog":   items,
	})
}

func (d *Double) handlePostEvent(w http.ResponseWriter, r *http.Request, _ string) {
	caseID := r.PathValue("caseId")
	if !requireMediaType(w, r, "application/jose") {
		return
	}
	body, ok := readBody(w, r, d.opts.MaxBodyBytes)
	if !ok {
		return
	}
	set := strings.TrimSpace(string(body))
	d.mu.Lock()
	defer d.mu.Unlock()
	s := d.cases[strings.ToLower(caseID)]
	if s == nil {
		writeProblem(w, http.StatusNotFound, ProblemCaseNotFound, fmt.Sprintf("case %q not found", caseID))
		return
	}
	if slices.Contains(s.events, set) {
		// A retry of a SET already in the log: idempotent.
		w.WriteHeader(http.StatusNoContent)
		return
	}
	if s.state != StateSubmitted {
		stateInvalid(w, s, StateSubmitted)
		return
	}
	dest := d.dests[strings.ToLower(s.destID)]
	if dest == nil {
		destinationNotFound(w, s.destID)
		return
	}
	ev, err := verifySubscriberSET(set, dest, s)
	if err != nil {
		writeProblem(w, http.StatusUnprocessableEntity, ProblemInvalidEvent, err.Error())
		return
	}
	s.events = append(s.events, set)
	if ev.event == EventAcceptSubmission {
		s.state = StateAccepted
	} else {
		s.state = StateRejected
	}
	w.WriteHeader(http.StatusNoContent)
}
