package web

import (
	"bytes"
	"embed"
	"fmt"
	"html/template"
	"io/fs"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/antrag/antrag/internal/form"
	"github.com/antrag/antrag/internal/localtime"
	"github.com/antrag/antrag/internal/payment"
	"github.com/antrag/antrag/internal/tenant"
	"github.com/antrag/antrag/internal/web/static"
)

//go:embed templates/*.html
var templateFS embed.FS

// pages are the page templates; each is parsed with layout.html and
// partials.html.
var pages = []string{"error", "portal", "catalogue", "start", "routing", "step", "summary", "confirmation", "sent", "resume", "page", "login", "inbox", "submission",
	"login_code", "staff_users", "admin", "admin_services", "admin_import", "admin_preview", "admin_targets", "admin_audit",
	"admin_tenant", "admin_authorities", "admin_authority", "admin_service", "admin_jurisdictions", "admin_jurisdiction_remove", "admin_payment",
	"citizen_login", "citizen_forward", "citizen_area", "citizen_logged_out", "payment", "overview"}

var funcs = template.FuncMap{
	"static": func(name string) (string, error) {
		p, ok := static.Path(name)
		if !ok {
			return "", fmt.Errorf("static asset %q fehlt", name)
		}
		return p, nil
	},
	"inc": func(i int) int { return i + 1 },
	// jsonData writes JSON made by encoding/json into a <script
	// type="application/json"> element as it is; json.Marshal escapes <, >
	// and &, so it cannot end the element.
	"jsonData": func(s string) template.JS { return template.JS(s) },
	"lines": func(s string) template.HTML {
		parts := strings.Split(s, "\n")
		for i, p := range parts {
			parts[i] = template.HTMLEscapeString(p)
		}
		return template.HTML(strings.Join(parts, "<br>"))
	},
	"berlin": func(t time.Time) string {
		return t.In(localtime.Berlin).Format("02.01.2006, 15:04") + " Uhr"
	},
	"berlinDate":  berlinDate,
	"humanSize":   form.HumanSize,
	"methodLabel": payment.Method.Label,
	"mediaNames":  mediaNames,
	"duration":    staffDuration,
	"kindLabel":   kindLabel,
	"plural":      plural,
	// The inputs of a step (items.go).
	"stepItems": stepItems,
}

// parseTemplates parses every page with the layout, so that an error in any
// template stops the server at start-up.
func parseTemplates() (map[string]*template.Template, error) {
	out := map[string]*template.Template{}
	for _, name := range pages {
		t, err := template.New(name).Funcs(funcs).ParseFS(templateFS, "templates/layout.html", "templates/partials.html", "templates/"+name+".html")
		if err != nil {
			return nil, fmt.Errorf("Vorlage %s: %w", name, err)
		}
		out[name] = t
	}
	if _, err := fs.Stat(templateFS, "templates/layout.html"); err != nil {
		return nil, err
	}
	return out, nil
}

// render writes a page. It renders into a buffer first, so that a template
// error becomes a clean 500 instead of half a page.
func (s *Server) render(w http.ResponseWriter, r *http.Request, status int, name string, data map[string]any) {
	t, ok := s.tmpl[name]
	if !ok {
		http.Error(w, "Vorlage fehlt", http.StatusInternalServerError)
		return
	}
	if data == nil {
		data = map[string]any{}
	}
	if _, ok := data["Staff"]; !ok {
		data["Staff"] = nil
	}
	for _, k := range []string{"Tenant", "Scripts", "Errors", "Title"} {
		if _, ok := data[k]; !ok {
			data[k] = nil
		}
	}
	if _, ok := data["Citizen"]; !ok {
		data["Citizen"] = s.citizen(r)
	}
	if t, ok := data["Tenant"].(*tenant.Tenant); ok {
		allowLogo(w, t)
	}
	if _, ok := data["PageLinks"]; !ok {
		data["PageLinks"] = s.pageLinksFor(r, data)
	}
	buf := pageBuffers.Get().(*bytes.Buffer)
	defer putPageBuffer(buf)
	if err := t.ExecuteTemplate(buf, "layout", data); err != nil {
		s.deps.Logger.Error("template", "name", name, "error", err.Error())
		http.Error(w, "Interner Fehler bei der Darstellung", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.WriteHeader(status)
	_, _ = buf.WriteTo(w)
}

// pageBuffers hold pages while they are rendered, so that a page's buffer
// is not grown afresh for every request.
var pageBuffers = sync.Pool{New: func() any { return new(bytes.Buffer) }}

// putPageBuffer returns buf to pageBuffers, unless it grew past what an
// ordinary page needs (a long inbox list), which is left to the collector.
func putPageBuffer(buf *bytes.Buffer) {
	if buf.Cap() > 256<<10 {
		return
	}
	buf.Reset()
	pageBuffers.Put(buf)
}

// mediaNames turns "application/pdf,image/jpeg" into "PDF, JPEG".
func mediaNames(list string) string {
	var names []string
	for _, mt := range strings.Split(list, ",") {
		mt = strings.TrimSpace(mt)
		if mt == "" {
			continue
		}
		switch mt {
		case "application/pdf":
			names = append(names, "PDF")
		case "image/jpeg":
			names = append(names, "JPEG")
		case "image/png":
			names = append(names, "PNG")
		default:
			_, sub, _ := strings.Cut(mt, "/")
			names = append(names, strings.ToUpper(sub))
		}
	}
	return strings.Join(names, ", ")
}
