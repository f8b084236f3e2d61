package web

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"

	"github.com/antrag/antrag/internal/account"
	"github.com/antrag/antrag/internal/apperr"
	"github.com/antrag/antrag/internal/form"
	"github.com/antrag/antrag/internal/localtime"
	"github.com/antrag/antrag/internal/payment"
	"github.com/antrag/antrag/internal/submission"
	"github.com/antrag/antrag/internal/tenant"
)

// The caseworker inbox. Staff sign in with a local account (login.go);
// the session (scs, stored in the database) holds the user id and the
// account's session version. Every query is scoped by the user's tenant.

type staffKey struct{}

// staffCtx is the signed-in caseworker.
type staffCtx struct {
	user   *account.User
	tenant *tenant.Tenant
	access *account.Access // role and limits (access.go)
}

func staffOf(ctx context.Context) *staffCtx {
	sc, _ := ctx.Value(staffKey{}).(*staffCtx)
	return sc
}

// requireStaff sends visitors without a session to the login page. A
// session ends when its account is gone or disabled, or has another
// SessionVersion than at the login (a new password).
func (s *Server) requireStaff(h handlerFunc) handlerFunc {
	return func(w http.ResponseWriter, r *http.Request) error {
		uid := s.deps.Sessions.GetString(r.Context(), "userID")
		tid := s.deps.Sessions.GetString(r.Context(), "tenantID")
		if uid == "" || tid == "" {
			http.Redirect(w, r, "/intern/anmelden", http.StatusSeeOther)
			return nil
		}
		u, err := s.deps.Store.User(r.Context(), tid, uid)
		if err == nil && (u.Disabled || u.SessionVersion != s.deps.Sessions.GetInt(r.Context(), sessionVersionKey)) {
			// The account was disabled or got a new password since the
			// login.
			err = apperr.NotFound
		}
		if errors.Is(err, apperr.NotFound) {
			_ = s.deps.Sessions.Destroy(r.Context())
			http.Redirect(w, r, "/intern/anmelden", http.StatusSeeOther)
			return nil
		}
		if err != nil {
			return err
		}
		t, err := s.deps.Store.Tenant(r.Context(), tid)
		if err != nil {
			return err
		}
		acc, err := s.deps.Store.Access(r.Context(), tid, uid)
		if err != nil {
			return err
		}
		ctx := context.WithValue(r.Context(), staffKey{}, &staffCtx{user: u, tenant: t, access: acc})
		return h(w, r.WithContext(ctx))
	}
}

func (s *Server) loadSubmission(r *http.Request) (*staffCtx, *submission.Submission, error) {
	sc := staffOf(r.Context())
	sub, err := s.deps.Store.Submission(r.Context(), sc.tenant.ID, r.PathValue("id"))
	if err == nil && !sc.access.Admits(sub.AuthorityID, sub.ServiceID) {
		return sc, nil, errOutsideLimits
	}
	return sc, sub, err
}

func (s *Server) inboxSubmission(w http.ResponseWriter, r *http.Request) error {
	sc, sub, err := s.loadSubmission(r)
	if err != nil {
		return err
	}
	svc, err := s.deps.Store.Service(r.Context(), sc.tenant.ID, sub.ServiceID)
	if err != nil {
		return err
	}
	f, fv, err := s.form(r.Context(), sc.tenant.ID, svc, sub.FormVersionID)
	if err != nil {
		return err
	}
	atts, err := s.deps.Store.ListAttachments(r.Context(), sc.tenant.ID, sub.ID)
	if err != nil {
		return err
	}
	evs, err := s.deps.Store.Events(r.Context(), sc.tenant.ID, sub.ID)
	if err != nil {
		return err
	}
	dels, err := s.deps.Store.Deliveries(r.Context(), sc.tenant.ID, sub.ID)
	if err != nil {
		return err
	}
	var pv *paymentView
	if sub.Bill != nil {
		as, err := s.deps.Store.Attempts(r.Context(), sc.tenant.ID, sub.ID)
		if err != nil {
			return err
		}
		pv = paymentViewOf(sub, as)
	}
	data := s.staffPage(r, sc, map[string]any{"Title": "Antrag " + sub.Reference, "Submission": sub, "Payment": pv,
		"Service": svc, "Form": fv, "Attachments": atts, "Events": evs, "Statuses": submission.Statuses,
		"Purged": sub.Data == nil, "Deliveries": dels, "Evidence": sub.Evidence.Rows(localtime.Berlin)})
	switch {
	case r.URL.Query().Get("gespeichert") != "":
		data["Message"] = "Der Status wurde gespeichert."
	case r.URL.Query().Get("erneut") != "":
		data["Message"] = "Die Zustellung wird erneut versucht."
	case r.URL.Query().Get("zahlung") != "":
		data["Message"] = "Der Zahlungsstatus wurde beim Bezahldienst abgefragt."
	}
	if sub.Data != nil {
		doc, err := form.DecodeData(bytes.NewReader(sub.Data))
		if err != nil {
			return err
		}
		data["Sections"] = f.Answers(doc, nil, true)
	}
	s.render(w, r, http.StatusOK, "submission", data)
	return nil
}

func (s *Server) inboxPDF(w http.ResponseWriter, r *http.Request) error {
	sc, sub, err := s.loadSubmission(r)
	if err != nil {
		return err
	}
	return s.writeReceipt(w, r, sc.tenant, sub)
}

func (s *Server) inboxJSON(w http.ResponseWriter, r *http.Request) error {
	_, sub, err := s.loadSubmission(r)
	if err != nil {
		return err
	}
	if sub.Data == nil {
		return fmt.Errorf("Antragsdaten gelöscht: %w", apperr.Gone)
	}
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Content-Disposition", mime.FormatMediaType("attachment", map[string]string{"filename": "Antrag-" + sub.Reference + ".json"}))
	_, err = w.Write(sub.Data)
	return err
}

func (s *Server) inboxAttachment(w http.ResponseWriter, r *http.Request) error {
	sc, sub, err := s.loadSubmission(r)
	if err != nil {
		return err
	}
	a, err := s.deps.Store.Attachment(r.Context(), sc.tenant.ID, r.PathValue("att"))
	if err != nil {
		return err
	}
	if a.SubmissionID != sub.ID {
		return fmt.Errorf("Anhang gehört nicht zu diesem Antrag: %w", apperr.NotFound)
	}
	rc, err := s.deps.Blobs.Open(r.Context(), a.StorageKey)
	if err != nil {
		return err
	}
	defer rc.Close()
	w.Header().Set("Content-Type", a.MediaType)
	w.Header().Set("Content-Disposition", attachmentDisposition(a.Filename))
	_, err = io.Copy(w, rc)
	return err
}

func (s *Server) setStatus(w http.ResponseWriter, r *http.Request) error {
	sc, sub, err := s.loadSubmission(r)
	if err != nil {
		return err
	}
	if err := r.ParseForm(); err != nil {
		return errors.Join(apperr.Invalid, err)
	}
	st := submission.Status(r.PostForm.Get("status"))
	if !st.Valid() {
		return fmt.Errorf("Status %q: %w", st, apperr.Invalid)
	}
	if sub.Payment == payment.Open && st != sub.Status {
		return clientError(apperr.Conflict, "Die Gebühr dieses Antrags ist noch nicht bezahlt. Er ist erst nach bestätigter Zahlung zu bearbeiten.")
	}
	if st != sub.Status {
		ev := &submission.Event{TenantID: sc.tenant.ID, SubmissionID: sub.ID, Actor: sc.user.Username, Action: "Status geändert",
			Detail: sub.Status.Label() + " → " + st.Label()}
		if err := s.deps.Store.SetStatus(r.Context(), sc.tenant.ID, sub.ID, st, ev); err != nil {
			return err
		}
	}
	http.Redirect(w, r, "/intern/antraege/"+sub.ID+"?gespeichert=1", http.StatusSeeOther)
	return nil
}

// redeliver queues a failed or rejected delivery of the submission again.
func (s *Server) redeliver(w http.ResponseWriter, r *http.Request) error {
	sc, sub, err := s.loadSubmission(r)
	if err != nil {
		return err
	}
	d, err := s.deps.Store.Delivery(r.Context(), sc.tenant.ID, r.PathValue("delivery"))
	if err != nil {
		return err
	}
	if d.SubmissionID != sub.ID {
		return fmt.Errorf("Zustellung gehört nicht zu diesem Antrag: %w", apperr.NotFound)
	}
	ev := &submission.Event{Actor: sc.user.Username, Action: "erneut zustellen", Detail: d.Target.String()}
	if err := s.deps.Store.Redeliver(r.Context(), sc.tenant.ID, d.ID, ev); err != nil {
		return err
	}
	http.Redirect(w, r, "/intern/antraege/"+sub.ID+"?erneut=1", http.StatusSeeOther)
	return nil
}
