package web

import (
	"context"
	"errors"
	"net/http"
	"strings"

	"github.com/antrag/antrag/internal/apperr"
	"github.com/antrag/antrag/internal/payment"
	"github.com/antrag/antrag/internal/tenant"
)

// The admin pages under /intern/admin/ let a tenant's admins configure
// their own tenant without a developer or a shell: its portal settings
// (admin_tenant.go), authorities (admin_authorities.go), services
// (admin_service_edit.go) and jurisdictions (admin_jurisdictions.go).
// Every route passes requireStaff and requireAdmin; every change is
// written to the tenant's audit trail (tenant.AuditEvent) with the
// admin's name.

// adminStore is what the admin pages change beyond tenant.Store.
type adminStore interface {
	UpdateTenant(ctx context.Context, t *tenant.Tenant, evs ...*tenant.AuditEvent) error
	UpdateAuthority(ctx context.Context, a *tenant.Authority, evs ...*tenant.AuditEvent) error
	UpdateService(ctx context.Context, s *tenant.Service, evs ...*tenant.AuditEvent) error
	CreateJurisdiction(ctx context.Context, j *tenant.Jurisdiction, evs ...*tenant.AuditEvent) error
	DeleteJurisdiction(ctx context.Context, tenantID, id string, evs ...*tenant.AuditEvent) error
	Jurisdictions(ctx context.Context, tenantID string) ([]*tenant.Jurisdiction, error)
	RecordAudit(ctx context.Context, ev *tenant.AuditEvent) error
	AuditEvents(ctx context.Context, tenantID string, limit int) ([]*tenant.AuditEvent, error)
	PaymentAccount(ctx context.Context, tenantID, authorityID string) (*payment.Account, error)
	SetPaymentAccount(ctx context.Context, tenantID, authorityID string, a *payment.Account, evs ...*tenant.AuditEvent) error
}

// Actions of the admin audit trail (tenant.AuditEvent.Action).
const (
	auditCreated = "angelegt"
	auditChanged = "geändert"
	auditRemoved = "entfernt"
)

// auditEvent is the audit trail's entry for a change the admin of the
// request makes; the store records it in the change's transaction, so
// that no change stands without its entry (objectID "" for an object the
// change creates: the store sets its id).
func (s *Server) auditEvent(r *http.Request, object, objectID, action, detail string) *tenant.AuditEvent {
	sc := staffOf(r.Context())
	return &tenant.AuditEvent{TenantID: sc.tenant.ID, Actor: actorName(sc), Object: object, ObjectID: objectID, Action: action, Detail: detail}
}

// adminField is one input of an admin form, as the "adminfield" template
// shows it: label, hint, value and the field's error, linked from the
// error summary by ID.
type adminField struct {
	ID, Label, Hint, Value, Error string
	Type                          string // input type; "" text
	Rows                          int    // > 0: a textarea of so many rows
	Optional                      bool
	Autocomplete                  string
	Width                         string // a KERN width modifier, e.g. "width-10"
}

// adminForm collects the fields of an admin page and their problems.
type adminForm struct {
	Fields map[string]*adminField
	Errors []errLink
}

func newAdminForm(fields ...*adminField) *adminForm {
	f := &adminForm{Fields: map[string]*adminField{}}
	for _, fl := range fields {
		f.Fields[fl.ID] = fl
	}
	return f
}

// fail marks the field with the message, which the error summary links
// to.
func (f *adminForm) fail(id, msg string) {
	if fl, ok := f.Fields[id]; ok && fl.Error == "" {
		fl.Error = msg
	}
	f.Errors = append(f.Errors, errLink{Href: "#" + id, Message: msg})
}

// value returns the trimmed value of the field id, set from the post.
func (f *adminForm) value(id string) string { return f.Fields[id].Value }

// fill sets every field's value from the posted form (trimmed; line
// endings of a textarea as "\n").
func (f *adminForm) fill(r *http.Request) {
	for id, fl := range f.Fields {
		v := strings.ReplaceAll(r.PostForm.Get(id), "\r\n", "\n")
		fl.Value = strings.TrimSpace(v)
	}
}

// parseAdminForm reads a form post; a malformed body is apperr.Invalid.
func parseAdminForm(r *http.Request) error {
	if err := r.ParseForm(); err != nil {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			return err
		}
		return errors.Join(apperr.Invalid, err)
	}
	return nil
}

// tooLong reports whether s has more than n characters.
func tooLong(s string, n int) bool { return len([]rune(s)) > n }

// changed lists the German names of the values that differ between old
// and new (pairs of name, old, new), for an audit entry's Detail.
func changed(pairs ...string) []string {
	var out []string
	for i := 0; i+2 < len(pairs); i += 3 {
		if pairs[i+1] != pairs[i+2] {
			out = append(out, pairs[i])
		}
	}
	return out
}

// changeDetail is an audit Detail for a change, e.g. "Mandant Stadt
// Musterstadt, geändert: Name, Farbe".
func changeDetail(what string, fields []string) string {
	return what + ", geändert: " + strings.Join(fields, ", ")
}
