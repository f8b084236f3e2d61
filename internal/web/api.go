package web

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/antrag/antrag/internal/apperr"
	"github.com/antrag/antrag/internal/form"
	"github.com/antrag/antrag/internal/identity"
	"github.com/antrag/antrag/internal/journey"
	"github.com/antrag/antrag/internal/payment"
	"github.com/antrag/antrag/internal/rules"
	"github.com/antrag/antrag/internal/submission"
	"github.com/antrag/antrag/internal/tenant"
)

// The JSON API. A form id names a service's form across its versions:
// "<tenant>.<service>", e.g. "musterstadt.bewohnerparken"; submissions go
// to the current version.

// apiService is one entry of GET /api/v1/services.
type apiService struct {
	ID                  string  `json:"id"`
	Tenant              string  `json:"tenant"`
	Name                string  `json:"name"`
	Shared              bool    `json:"shared"`
	Form                apiForm `json:"form"`
	Leistungsschluessel string  `json:"leistungsschluessel,omitempty"`
	// Vertrauensniveau is the login level the service needs ("keins",
	// "niedrig", "substantiell", "hoch"); a service that needs one takes
	// no submissions through this API.
	Vertrauensniveau  string `json:"vertrauensniveau"`
	Schriftformersatz bool   `json:"schriftformersatz"`
}

type apiForm struct {
	ID         string `json:"id"`
	Version    int    `json:"version"`
	FIMID      string `json:"fimId"`
	FIMVersion string `json:"fimVersion,omitempty"`
	SchemaURL  string `json:"schema"`
}

func writeJSON(w http.ResponseWriter, status int, v any) error {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	return enc.Encode(v)
}

func (s *Server) apiServices(w http.ResponseWriter, r *http.Request) error {
	svcs, err := s.deps.Store.ListAllServices(r.Context())
	if err != nil {
		return err
	}
	ts, err := s.deps.Store.ListTenants(r.Context())
	if err != nil {
		return err
	}
	slugs := map[string]string{}
	for _, t := range ts {
		slugs[t.ID] = t.Slug
	}
	out := []apiService{}
	for _, svc := range svcs {
		if svc.FormVersionID == "" {
			continue
		}
		fv, err := s.deps.Store.FormVersion(r.Context(), svc.TenantID, svc.FormVersionID)
		if err != nil {
			return err
		}
		id := slugs[svc.TenantID] + "." + svc.Slug
		out = append(out, apiService{ID: id, Tenant: slugs[svc.TenantID], Name: svc.Name, Shared: svc.Shared,
			Leistungsschluessel: svc.Leistungsschluessel, Vertrauensniveau: svc.RequiredLevel().String(), Schriftformersatz: svc.Schriftformersatz,
			Form: apiForm{ID: id, Version: fv.Version, FIMID: fv.FIMID, FIMVersion: fv.FIMVersion, SchemaURL: "/api/v1/forms/" + id + "/schema"}})
	}
	return writeJSON(w, http.StatusOK, out)
}

// apiResolve resolves the request's form id (<tenant>.<service>) to the
// tenant, the service and its current form version, prepared.
func (s *Server) apiResolve(r *http.Request) (*tenant.Tenant, *tenant.Service, *journey.Form, *tenant.FormVersion, error) {
	id := r.PathValue("formId")
	slug, svcSlug, ok := strings.Cut(id, ".")
	if !ok {
		return nil, nil, nil, nil, clientError(apperr.NotFound, fmt.Sprintf("Formular-ID %q: erwartet <Mandant>.<Dienst>, z. B. musterstadt.gewerbeanmeldung.", id))
	}
	var svc *tenant.Service
	t, err := s.deps.Store.TenantBySlug(r.Context(), slug)
	if err == nil {
		svc, err = s.deps.Store.ServiceBySlug(r.Context(), t.ID, svcSlug)
	}
	if errors.Is(err, apperr.NotFound) || err == nil && svc.FormVersionID == "" {
		return nil, nil, nil, nil, clientError(apperr.NotFound, fmt.Sprintf("Das Formular %q gibt es nicht.", id))
	}
	if err != nil {
		return nil, nil, nil, nil, err
	}
	f, fv, err := s.form(r.Context(), t.ID, svc, svc.FormVersionID)
	if err != nil {
		return nil, nil, nil, nil, err
	}
	return t, svc, f, fv, nil
}

func (s *Server) apiSchema(w http.ResponseWriter, r *http.Request) error {
	_, _, f, _, err := s.apiResolve(r)
	if err != nil {
		return err
	}
	w.Header().Set("Content-Type", "application/schema+json")
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	return enc.Encode(f.JSONSchema(""))
}

// apiSubmission is the answer to a successful submission.
type apiSubmission struct {
	ID        string            `json:"id"`
	Reference string            `json:"reference"`
	Status    submission.Status `json:"status"`
	// Evidence is the identity proof the citizen gave with the
	// application (Schriftformersatz, a service's minimum level); absent
	// when none was given.
	Evidence *identity.Evidence `json:"evidence,omitempty"`
	// Payment is the application's fee and payment; absent without a fee.
	Payment *apiPayment `json:"payment,omitempty"`
}

// apiSubmit accepts {"data": {…}} in the canonical data shape. It runs the
// same validation and rules as the HTML journey. An Idempotency-Key header
// makes retries safe: the same key with the same request gives the same
// submission, the same key with another request a 422 problem
// (submission.SameRequest); so does the same upload session without a
// key.
func (s *Server) apiSubmit(w http.ResponseWriter, r *http.Request) error {
	t, svc, f, fv, err := s.apiResolve(r)
	if err != nil {
		return err
	}
	if err := apiIdentityRefusal(svc); err != nil {
		return err
	}
	var body struct {
		Data json.RawMessage `json:"data"`
		// Place is where the applicant lives, for a routed service.
		Place *tenant.Query `json:"place"`
		// Payment says how a fee is paid (payment.go).
		Payment *apiPaymentRequest `json:"payment"`
	}
	rd := &bodyReader{r: r.Body}
	dec := json.NewDecoder(rd)
	dec.DisallowUnknownFields()
	if err := dec.Decode(&body); err != nil {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			return clientError(apperr.TooLarge, fmt.Sprintf("Die Anfrage ist größer als %s.", form.HumanSize(s.cfg.MaxAPIBytes)))
		}
		if rd.err != nil {
			return brokenBody(rd.err)
		}
		return clientError(apperr.Invalid, "Die Anfrage ist kein JSON-Objekt der Form {\"data\": {…}} (andere Schlüssel als \"data\", \"place\" und \"payment\" sind nicht erlaubt).")
	}
	if _, err := dec.Token(); err != io.EOF {
		if rd.err != nil {
			return brokenBody(rd.err)
		}
		return clientError(apperr.Invalid, "Nach dem JSON-Objekt der Anfrage folgt noch etwas.")
	}
	if len(body.Data) == 0 {
		return clientError(apperr.Invalid, "Die Anfrage hat kein \"data\".")
	}
	doc, err := form.DecodeData(strings.NewReader(string(body.Data)))
	var textErr *form.TextError
	if errors.As(err, &textErr) {
		// Unreadable text is a problem of the value it is in.
		writeInvalid(w, form.Problems{textErr.Problem(f.Schema)})
		return nil
	}
	if errors.Is(err, form.ErrDataTooLarge) {
		return clientError(apperr.TooLarge, fmt.Sprintf("Die Antragsdaten sind größer als %s.", form.HumanSize(form.MaxDataBytes)))
	}
	if err != nil {
		return clientError(apperr.Invalid, err.Error()+".") // form.DecodeData's messages are for clients
	}
	formID := t.Slug + "." + svc.Slug
	// The request as received, before normalising: a retry must send the
	// same data.
	// How a fee is to be paid belongs to the request too: a retry that
	// asks otherwise is another request.
	hashPath := "/api/v1/forms/" + formID + "/submissions"
	if p := body.Payment; p != nil && (p.Later || p.ReturnURL != "") {
		b, err := json.Marshal(p)
		if err != nil {
			return err
		}
		hashPath += "\npayment " + string(b)
	}
	reqHash, err := submission.RequestHash(r.Method, hashPath, doc)
	if err != nil {
		return err
	}
	// The canonical form, as the HTML journey reads its inputs: trimmed
	// text, postcodes, codes in the list's spelling (form.Normalize).
	inputProblems := f.Schema.Normalize(doc)
	key := strings.TrimSpace(r.Header.Get("Idempotency-Key"))
	if len(key) > 200 {
		return clientError(apperr.Invalid, "Der Idempotency-Key ist länger als 200 Zeichen.")
	}
	tok := r.Header.Get(draftHeader)
	// A retry: answer as the first time. found reports whether it did.
	retried := func() (found bool, err error) {
		prev, err := s.previousSubmission(r, t, key, tok)
		if err != nil || prev == nil {
			return false, err
		}
		byKey := key != "" && prev.IdempotencyKey == key
		if byKey && prev.ServiceID != svc.ID {
			return true, clientError(apperr.Conflict, "Dieser Idempotency-Key wurde schon für ein anderes Formular verwendet.")
		}
		if prev.ServiceID != svc.ID {
			return false, nil // the session's form: apiDraft says so
		}
		switch err := submission.SameRequest(prev, &submission.Submission{IdempotencyKey: key, RequestSHA256: reqHash}); {
		case errors.Is(err, submission.ErrRequestMismatch):
			writeRequestMismatch(w)
			return true, nil
		case err != nil:
			return false, nil // another application in a used session: apiDraft says so
		}
		return true, s.writeCreated(w, r, formID, prev)
	}
	if found, err := retried(); found || err != nil {
		return err
	}
	ctx := rules.Context{Today: s.now(), Bundesland: t.Bundesland(), Years: s.cfg.Years}
	problems, clean := f.Rules.Validate(doc, ctx)
	problems = inputProblems.Merge(problems)
	// Files must have been uploaded to this upload session (header
	// Antrag-Entwurf), with the size and hash the data claims.
	var draft *submission.Draft
	if tok != "" {
		if draft, err = s.apiDraft(r, t, svc, tok); err != nil {
			// The first request with this key or session may have used
			// the upload session meanwhile (a retry sent to another
			// process while the first still ran): then it answers as the
			// first.
			if found, rerr := retried(); found || rerr != nil {
				return rerr
			}
			return err
		}
	}
	for _, id := range attachmentIDs(clean) {
		if msg := s.checkAPIAttachment(r, t, draft, clean, id); msg != "" {
			problems = append(problems, form.Problem{Path: pathOfAttachment(clean, id), Code: form.CodeFile, Message: msg})
		}
	}
	if len(problems) > 0 {
		if found, err := retried(); found || err != nil {
			return err
		}
		if draft != nil {
			// Submitted meanwhile by another application: its files moved
			// with it, which is not this request's fault.
			if _, err := s.apiDraft(r, t, svc, tok); err != nil {
				return err
			}
		}
		writeInvalid(w, problems)
		return nil
	}
	if body.Payment != nil && body.Payment.ReturnURL != "" && !validReturnURL(body.Payment.ReturnURL) {
		writeInvalid(w, form.Problems{{Path: "payment.returnUrl", Code: form.CodeFormat,
			Message: "Die Rücksprungadresse muss eine absolute http(s)-Adresse von höchstens 2000 Zeichen sein."}})
		return nil
	}
	rt, err := s.apiRouted(r, t, svc, body.Place)
	var pe *placeError
	if errors.As(err, &pe) {
		writeInvalid(w, form.Problems{{Path: "place", Code: codePlace, Message: pe.msg}})
		return nil
	}
	if err != nil {
		return err
	}
	auth, err := s.draftAuthority(r, t, svc, rt)
	if err != nil {
		return err
	}
	sub := &submission.Submission{TenantID: t.ID, ServiceID: svc.ID, FormVersionID: fv.ID, AuthorityID: auth.ID,
		IdempotencyKey: key, RequestSHA256: reqHash, Routing: rt}
	if draft != nil {
		sub.DraftID = draft.ID
	}
	if sub.Bill, err = s.billOf(r.Context(), t, svc, auth, clean); err != nil {
		return err
	}
	sub.Payment = apiPaymentChoice(sub.Bill, body.Payment)
	if sub.Payment == payment.Open && s.deps.Payments == nil {
		return errNoPayments
	}
	ev := &submission.Event{TenantID: t.ID, Actor: "Antragsteller", Action: "eingereicht", Detail: "über die JSON-Schnittstelle"}
	got, err := s.store(r, sub, ev, clean)
	switch {
	case errors.Is(err, submission.ErrRequestMismatch):
		writeRequestMismatch(w)
		return nil
	case errors.Is(err, submission.ErrDraftSubmitted):
		if _, derr := s.apiDraft(r, t, svc, tok); derr != nil {
			return derr // names the Vorgangsnummer
		}
		return clientError(apperr.Conflict, "Mit der Sitzung im Kopf "+draftHeader+" wurde schon ein Antrag gestellt.")
	case err != nil:
		return err
	}
	if got.Payment == payment.Open {
		ret := ""
		if body.Payment != nil {
			ret = body.Payment.ReturnURL
		}
		if got, err = s.startAPIPayment(r, formID, got, ret); err != nil && !errors.Is(err, payment.ErrPaid) {
			return err
		}
	}
	return s.writeCreated(w, r, formID, got)
}

// previousSubmission returns the submission that an earlier request made
// with the idempotency key, or else with the upload session token; nil if
// neither made one.
func (s *Server) previousSubmission(r *http.Request, t *tenant.Tenant, key, tok string) (*submission.Submission, error) {
	if key != "" {
		prev, err := s.deps.Store.SubmissionByIdempotencyKey(r.Context(), t.ID, key)
		if err == nil || !errors.Is(err, apperr.NotFound) {
			return prev, err
		}
	}
	if tok == "" {
		return nil, nil
	}
	d, err := s.deps.Store.DraftByToken(r.Context(), t.ID, tokenHash(tok), s.now())
	if errors.Is(err, apperr.NotFound) || err == nil && d.SubmissionID == "" {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	prev, err := s.deps.Store.Submission(r.Context(), t.ID, d.SubmissionID)
	if errors.Is(err, apperr.NotFound) {
		return nil, nil
	}
	return prev, err
}

// writeCreated answers a submission with 201, its Location (the address
// of apiSubmissionStatus) and its id, Vorgangsnummer, status and payment;
// a retry gets the same answer as the request that made it (with the
// payment as it stands now).
func (s *Server) writeCreated(w http.ResponseWriter, r *http.Request, formID string, sub *submission.Submission) error {
	w.Header().Set("Location", "/api/v1/forms/"+url.PathEscape(formID)+"/submissions/"+url.PathEscape(sub.ID))
	return s.writeSubmission(w, r, http.StatusCreated, sub)
}

// writeRequestMismatch answers a request whose Idempotency-Key already
// made a submission from other data: 422, as the IETF draft "The
// Idempotency-Key HTTP Header Field" (section 2.7) describes.
func writeRequestMismatch(w http.ResponseWriter) {
	writeProblem(w, http.StatusUnprocessableEntity, Problem{Title: "Idempotency-Key schon verwendet",
		Detail: "Mit diesem Idempotency-Key wurde schon ein Antrag mit anderen Daten eingereicht. " +
			"Eine Wiederholung muss dieselben Daten senden; ein neuer Antrag braucht einen neuen Schlüssel."})
}

// maxProblems is the most field-level problems a 422 lists; errorCount
// gives how many there are in all.
const maxProblems = 100

// writeInvalid answers 422 with the field-level problems of a submission,
// at most maxProblems of them, and their number.
func writeInvalid(w http.ResponseWriter, problems form.Problems) {
	n := len(problems)
	detail := "1 Angabe ist zu korrigieren."
	if n > 1 {
		detail = fmt.Sprintf("%d Angaben sind zu korrigieren.", n)
	}
	if n > maxProblems {
		detail += fmt.Sprintf(" Die ersten %d stehen in errors.", maxProblems)
		problems = problems[:maxProblems]
	}
	writeProblem(w, http.StatusUnprocessableEntity, Problem{Title: "Antrag unvollständig oder fehlerhaft",
		Detail: detail, Errors: problems, ErrorCount: n})
}

// apiSubmissionStatus answers GET …/submissions/{id}, the address the
// 201 of a submission names in Location: the submission's id,
// Vorgangsnummer and status. A submission of another form, or of another
// tenant, is not found. The id (a UUID with 74 random bits) is known only
// to whoever made the submission.
func (s *Server) apiSubmissionStatus(w http.ResponseWriter, r *http.Request) error {
	t, sub, err := s.apiSubmissionOf(r)
	if err != nil {
		return err
	}
	if sub.Payment == payment.Open && s.deps.Payments != nil {
		// The pay page may have sent the applicant back here: ask the
		// provider now (there is no push), as the HTML journey does.
		if _, _, err := s.deps.Payments.CheckApplication(r.Context(), t.ID, sub.ID, payment.Citizen); err != nil {
			s.deps.Logger.Warn("payment status not read", "tenant", t.Slug, "error", payment.ErrorCode(err))
		}
		if sub, err = s.deps.Store.Submission(r.Context(), t.ID, sub.ID); err != nil {
			return err
		}
	}
	return s.writeSubmission(w, r, http.StatusOK, sub)
}

// pathOfAttachment finds the path of the FileRef with the attachment id.
func pathOfAttachment(doc map[string]any, id string) string {
	var found string
	var walk func(p form.Path, v any)
	walk = func(p form.Path, v any) {
		switch x := v.(type) {
		case map[string]any:
			if x["attachmentId"] == id {
				found = p.String()
				return
			}
			for k, e := range x {
				walk(p.Key(k), e)
			}
		case []any:
			for i, e := range x {
				walk(p.Index(i), e)
			}
		}
	}
	walk(nil, doc)
	return found
}

// apiUploadTTL is the longest an API upload session is kept.
const apiUploadTTL = 24 * time.Hour

// draftHeader carries the token of an API upload session: attachments
// uploaded with it belong together and are submitted with it.
const draftHeader = "Antrag-Entwurf"

// apiDraft loads the upload session of a token.
func (s *Server) apiDraft(r *http.Request, t *tenant.Tenant, svc *tenant.Service, tok string) (*submission.Draft, error) {
	d, err := s.deps.Store.DraftByToken(r.Context(), t.ID, tokenHash(tok), s.now())
	if err != nil {
		if errors.Is(err, apperr.NotFound) {
			return nil, clientError(apperr.NotFound, "Die Sitzung im Kopf "+draftHeader+" ist unbekannt, abgelaufen oder schon abgesendet.")
		}
		return nil, err
	}
	if d.ServiceID != svc.ID {
		return nil, clientError(apperr.Invalid, "Die Sitzung im Kopf "+draftHeader+" gehört zu einem anderen Formular.")
	}
	if d.SubmissionID != "" {
		ref := ""
		if sub, err := s.deps.Store.Submission(r.Context(), t.ID, d.SubmissionID); err == nil {
			ref = " (Vorgangsnummer " + sub.Reference + ")"
		}
		return nil, clientError(apperr.Conflict, "Mit der Sitzung im Kopf "+draftHeader+" wurde schon ein Antrag gestellt"+ref+
			"; für einen weiteren Antrag laden Sie die Dateien ohne diesen Kopf neu hoch.")
	}
	return d, nil
}

// checkAPIAttachment returns a problem if the FileRef with the id is not an
// upload of the session with the same name, type, size and hash.
func (s *Server) checkAPIAttachment(r *http.Request, t *tenant.Tenant, d *submission.Draft, doc map[string]any, id string) string {
	if d == nil {
		return "Dateien werden zuerst hochgeladen (POST …/attachments); senden Sie dann den Kopf " + draftHeader + " mit."
	}
	a, err := s.deps.Store.Attachment(r.Context(), t.ID, id)
	if err != nil || a.DraftID != d.ID {
		return "Die Datei " + id + " wurde in dieser Sitzung nicht hochgeladen."
	}
	for _, ref := range form.FileRefs(doc) {
		if ref.AttachmentID == id && (ref.Size != a.Size || ref.Hash.Content != a.SHA512 || ref.MimeType != a.MediaType) {
			return "Größe, Typ oder Prüfsumme der Datei " + id + " stimmen nicht mit der hochgeladenen Datei überein."
		}
	}
	return ""
}

// apiUpload stores one file for a later API submission: the request body
// is the file, ?filename= its name. It answers 201 with the FileRef to put
// into the data and the session token (header and body).
func (s *Server) apiUpload(w http.ResponseWriter, r *http.Request) error {
	t, svc, f, _, err := s.apiResolve(r)
	if err != nil {
		return err
	}
	if err := apiIdentityRefusal(svc); err != nil {
		return err
	}
	var d *submission.Draft
	tok := r.Header.Get(draftHeader)
	if tok != "" {
		if d, err = s.apiDraft(r, t, svc, tok); err != nil {
			return err
		}
	} else {
		var hash []byte
		tok, hash = newToken()
		now := s.now()
		// An upload session is for a submission that follows at once: it
		// lives a day at most.
		d = &submission.Draft{TenantID: t.ID, ServiceID: svc.ID, FormVersionID: svc.FormVersionID, TokenHash: hash,
			Data: map[string]any{}, CreatedAt: now, UpdatedAt: now, ExpiresAt: now.Add(min(s.cfg.DraftTTL, apiUploadTTL))}
		if err := s.deps.Store.CreateDraft(r.Context(), d); err != nil {
			return err
		}
	}
	limit, types := uploadLimits(f.Schema)
	if len(types) == 0 {
		writeProblem(w, http.StatusUnprocessableEntity, Problem{Title: "Datei abgelehnt", Detail: "Dieses Formular nimmt keine Dateien an."})
		return nil
	}
	dc := &draftCtx{tenant: t, svc: svc, draft: d, form: f}
	ref, problem, err := s.receiveFile(r, dc, &form.Element{Praezisierung: form.Praezisierung{MaxSize: limit, MediaTypes: types}},
		r.Body, r.URL.Query().Get("filename"))
	if err != nil {
		return err
	}
	if problem != "" {
		writeProblem(w, http.StatusUnprocessableEntity, Problem{Title: "Datei abgelehnt", Detail: problem})
		return nil
	}
	w.Header().Set(draftHeader, tok)
	return writeJSON(w, http.StatusCreated, map[string]any{"draft": tok, "file": ref})
}

// uploadLimits are the largest maxSize and all media types of the form's
// file fields; no types if it has none.
func uploadLimits(s *form.Schema) (int64, []string) {
	var limit int64
	var types []string
	s.Walk(func(_ form.Path, c *form.Child) bool {
		e := c.Element
		if e.Kind == form.KindField && e.Datentyp.Attachment() {
			limit = max(limit, journey.MaxFileSize(e))
			for _, mt := range journey.AllowedMediaTypes(e) {
				if !slices.Contains(types, mt) {
					types = append(types, mt)
				}
			}
		}
		return true
	})
	if limit == 0 {
		limit = journey.DefaultMaxFileSize
	}
	return limit, types
}
