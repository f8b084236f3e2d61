package web

import (
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"time"

	"github.com/antrag/antrag/internal/account"
	"github.com/antrag/antrag/internal/delivery"
	"github.com/antrag/antrag/internal/localtime"
	"github.com/antrag/antrag/internal/submission"
	"github.com/antrag/antrag/internal/tenant"
)

// inboxPageSize is the number of applications on one inbox page.
const inboxPageSize = 50

// deliveryStates are the delivery states the inbox filters by, in the
// order of the way of a delivery.
var deliveryStates = []delivery.State{delivery.Pending, delivery.Delivered, delivery.Accepted, delivery.Rejected, delivery.Failed}

// inboxQuery is the inbox's GET form as typed: the fields keep what staff
// entered, so that the form shows it again and the page links carry it.
type inboxQuery struct {
	Search, Status, Service, Delivery, From, To string
}

// values is the query as URL parameters, without empty ones.
func (q inboxQuery) values() url.Values {
	v := url.Values{}
	for k, x := range map[string]string{"q": q.Search, "status": q.Status, "dienst": q.Service,
		"zustellung": q.Delivery, "von": q.From, "bis": q.To} {
		if x != "" {
			v.Set(k, x)
		}
	}
	return v
}

// Active reports whether any filter or search is set.
func (q inboxQuery) Active() bool { return len(q.values()) > 0 }

type inboxRow struct {
	*submission.Submission
	Service string
}

// inbox lists the tenant's applications, a page at a time, with search and
// filters from the GET form.
func (s *Server) inbox(w http.ResponseWriter, r *http.Request) error {
	sc := staffOf(r.Context())
	svcs, err := s.deps.Store.ListServices(r.Context(), sc.tenant.ID)
	if err != nil {
		return err
	}
	svcs = visibleServices(sc.access, svcs)
	q, f, problems := parseInboxQuery(r.URL.Query(), svcs)
	f.Within = within(sc.access)
	if f.After, err = cursorParam(r.URL.Query(), "nach"); err != nil {
		return err
	}
	if f.Before, err = cursorParam(r.URL.Query(), "vor"); err != nil {
		return err
	}
	if f.After != nil && f.Before != nil {
		return submission.ErrBadCursor
	}
	failed, err := s.deps.Store.ListSubmissions(r.Context(), sc.tenant.ID,
		submission.Filter{DeliveryState: string(delivery.Failed), HasData: true, Limit: 1, Within: within(sc.access)})
	if err != nil {
		return err
	}
	data := s.staffPage(r, sc, map[string]any{"Title": "Posteingang", "Query": q, "Statuses": submission.Statuses,
		"Services": svcs, "DeliveryStates": deliveryStates, "AnyFailed": len(failed) > 0,
		"StaffAdmin": sc.access.Role == account.RoleAdmin})
	if len(problems) > 0 {
		data["Errors"] = problems
		data["Invalid"] = invalidFields(problems)
		s.render(w, r, http.StatusBadRequest, "inbox", data)
		return nil
	}
	page, err := submission.ListPage(r.Context(), s.deps.Store, sc.tenant.ID, f, inboxPageSize)
	if err != nil {
		return err
	}
	names := map[string]string{}
	for _, svc := range svcs {
		names[svc.ID] = svc.Name
	}
	rows := make([]inboxRow, 0, len(page.Items))
	for _, sub := range page.Items {
		rows = append(rows, inboxRow{Submission: sub, Service: names[sub.ServiceID]})
	}
	data["Rows"] = rows
	if page.Next != nil {
		data["NextURL"] = inboxURL(q, "nach", page.Next)
	}
	if page.Prev != nil {
		data["PrevURL"] = inboxURL(q, "vor", page.Prev)
	}
	s.render(w, r, http.StatusOK, "inbox", data)
	return nil
}

// inboxURL is the inbox address of the page next to c in one direction
// ("nach": older, "vor": newer), with the query.
func inboxURL(q inboxQuery, dir string, c *submission.Cursor) string {
	v := q.values()
	v.Set(dir, c.String())
	return "/intern/?" + v.Encode()
}

// cursorParam parses a page position parameter; absent is nil, malformed
// is apperr.Invalid.
func cursorParam(v url.Values, name string) (*submission.Cursor, error) {
	raw := v.Get(name)
	if raw == "" {
		return nil, nil
	}
	return submission.ParseCursor(raw)
}

// parseInboxQuery reads the inbox form into the filter. Values that are
// not one of the choices (status, service, delivery state) are ignored as
// if not given; a search term or date that cannot be read is a problem
// for the error summary, keyed by the field's id.
func parseInboxQuery(v url.Values, svcs []*tenant.Service) (inboxQuery, submission.Filter, []errLink) {
	q := inboxQuery{Search: strings.TrimSpace(v.Get("q")), Status: v.Get("status"), Service: v.Get("dienst"),
		Delivery: v.Get("zustellung"), From: strings.TrimSpace(v.Get("von")), To: strings.TrimSpace(v.Get("bis"))}
	var f submission.Filter
	var problems []errLink
	if st := submission.Status(q.Status); st.Valid() {
		f.Status = st
	} else {
		q.Status = ""
	}
	q.Service = ""
	for _, svc := range svcs {
		if svc.ID == v.Get("dienst") {
			f.ServiceID, q.Service = svc.ID, svc.ID
		}
	}
	q.Delivery = ""
	for _, st := range deliveryStates {
		if string(st) == v.Get("zustellung") {
			f.DeliveryState, q.Delivery = string(st), string(st)
		}
	}
	search, err := submission.ParseSearch(q.Search)
	if err != nil {
		problems = append(problems, errLink{Href: "#q", Message: "Der Suchbegriff ist zu lang (höchstens 100 Zeichen)."})
	}
	f.Search = search
	if q.From != "" {
		d, ok := parseGermanDate(q.From)
		if !ok {
			problems = append(problems, errLink{Href: "#von", Message: "Eingegangen ab: Bitte geben Sie ein Datum wie 31.12.2026 ein."})
		}
		f.ReceivedFrom = d
		if ok {
			q.From = d.Format(time.DateOnly) // what a date input shows again
		}
	}
	if q.To != "" {
		d, ok := parseGermanDate(q.To)
		if !ok {
			problems = append(problems, errLink{Href: "#bis", Message: "Eingegangen bis: Bitte geben Sie ein Datum wie 31.12.2026 ein."})
		}
		f.ReceivedBefore = d.AddDate(0, 0, 1) // the whole day
		if ok {
			q.To = d.Format(time.DateOnly)
		}
		if ok && !f.ReceivedFrom.IsZero() && f.ReceivedBefore.Before(f.ReceivedFrom) {
			problems = append(problems, errLink{Href: "#bis", Message: "Eingegangen bis: Das Datum darf nicht vor „Eingegangen ab“ liegen."})
		}
	}
	return q, f, problems
}

// germanDateRE is a date as staff type it, "31.12.2026" (day and month
// with one or two digits), or as a date input sends it, "2026-12-31".
var germanDateRE = regexp.MustCompile(`^(?:([0-9]{1,2})\.([0-9]{1,2})\.([0-9]{4})|([0-9]{4})-([0-9]{2})-([0-9]{2}))$`)

// parseGermanDate returns the start of the day in Europe/Berlin (the
// civil time of the authority), and whether s is a real calendar date.
func parseGermanDate(s string) (time.Time, bool) {
	m := germanDateRE.FindStringSubmatch(s)
	if m == nil {
		return time.Time{}, false
	}
	day, month, year := m[1], m[2], m[3]
	if m[4] != "" {
		year, month, day = m[4], m[5], m[6]
	}
	t, err := time.ParseInLocation("2006-1-2", year+"-"+month+"-"+day, localtime.Berlin)
	if err != nil {
		return time.Time{}, false
	}
	return t, true
}

// invalidFields is the set of field ids the problems link to.
func invalidFields(problems []errLink) map[string]bool {
	out := map[string]bool{}
	for _, p := range problems {
		out[strings.TrimPrefix(p.Href, "#")] = true
	}
	return out
}
