package web

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"

	"github.com/antrag/antrag/internal/apperr"
	"github.com/antrag/antrag/internal/catalog"
	"github.com/antrag/antrag/internal/fim"
	"github.com/antrag/antrag/internal/rules"
	"github.com/antrag/antrag/internal/tenant"
)

// Importing a new form version: the admin uploads an XDatenfelder file,
// sees the preview and the import report, ticks the unsupported Regeln
// to accept and publishes (catalog.Import, Compile, Acknowledge, Publish,
// as `antrag service publish` does).
//
// Between preview and publication the file is kept in the staff session
// (pendingImport), which lives on the server (the session store; the
// cookie carries only the session's random token): one import at a time
// per session, at most maxXDFBytes, bound to the service and to a random
// id in the preview's address, so that an old tab cannot publish a newer
// upload. Publishing removes it; a new upload replaces it; the session's
// end takes it away. The file itself never travels back to the browser.

// maxXDFBytes limits an uploaded XDatenfelder file (the largest FIM
// samples have about 1.4 MB).
const maxXDFBytes = 4 << 20

// pendingImportKey is the staff session's key of the pending import.
const pendingImportKey = "adminImport"

// pendingImport is an uploaded file waiting for publication (JSON in the
// session).
type pendingImport struct {
	ID        string `json:"id"`      // random, in the preview's address
	ServiceID string `json:"service"` // the service it is for
	// Base is the form version current at the upload: a publication in
	// between (by another admin or the CLI) makes the preview stale.
	Base string `json:"base"`
	File string `json:"file"` // the uploaded file's name, for messages
	XDF  []byte `json:"xdf"`
}

func (s *Server) pendingImport(r *http.Request, svc *tenant.Service) (*pendingImport, error) {
	b, _ := s.deps.Sessions.Get(r.Context(), pendingImportKey).([]byte)
	var p pendingImport
	if len(b) == 0 || json.Unmarshal(b, &p) != nil || p.ID != r.PathValue("import") || p.ServiceID != svc.ID {
		return nil, clientError(apperr.NotFound, "Diesen Import gibt es nicht (mehr). Bitte laden Sie die Datei erneut hoch.")
	}
	return &p, nil
}

// prepareImport imports xdf and compiles its Regeln with the rule sources
// of the service's current version that fit the new schema: its
// translations of the schema's elements and its corrections, if all of
// them still fit. notice says what was left behind.
func (s *Server) prepareImport(r *http.Request, sc *staffCtx, svc *tenant.Service, xdf []byte, name string) (c *catalog.Candidate, notice string, err error) {
	cat := s.deps.Catalog
	if cat == nil {
		if cat, err = fim.DefaultCatalog(); err != nil {
			return nil, "", err
		}
	}
	c, err = catalog.Import(xdf, name, cat)
	if err != nil {
		return nil, "", err
	}
	var src *rules.Sources
	if svc.FormVersionID != "" {
		cur, err := s.deps.Store.FormVersion(r.Context(), sc.tenant.ID, svc.FormVersionID)
		if err != nil {
			return nil, "", err
		}
		if src, err = catalog.DecodeSources(cur.RuleSources); err != nil {
			return nil, "", err
		}
	}
	if src != nil {
		src = &rules.Sources{Translations: src.ForSchema(c.Schema).Translations, Corrections: src.Corrections}
		if c.Compile(src) == nil {
			return c, "", nil
		}
		src.Corrections = nil
		notice = "Die Korrekturen der bisherigen Version passen nicht zu dieser Datei und werden nicht übernommen."
		if c.Compile(src) == nil {
			return c, notice, nil
		}
		notice = "Die Übersetzungen und Korrekturen der bisherigen Version passen nicht zu dieser Datei und werden nicht übernommen."
	}
	return c, notice, c.Compile(nil)
}

// adminImportPreview shows the pending import.
func (s *Server) adminImportPreview(w http.ResponseWriter, r *http.Request) error {
	sc, svc, err := s.adminService(r)
	if err != nil {
		return err
	}
	p, err := s.pendingImport(r, svc)
	if err != nil {
		return err
	}
	return s.renderPreview(w, r, sc, svc, p, http.StatusOK, nil, "")
}

func (s *Server) renderPreview(w http.ResponseWriter, r *http.Request, sc *staffCtx, svc *tenant.Service, p *pendingImport, status int, acked []string, problem string) error {
	c, notice, err := s.prepareImport(r, sc, svc, p.XDF, p.File)
	if err != nil {
		return err
	}
	data := map[string]any{"Title": "Vorschau: " + svc.Name, "Service": svc, "Wide": true, "Import": p, "Report": c.Report,
		"Schema": c.Schema, "Steps": previewSteps(c), "Rules": previewRules(c, acked), "Unsupported": len(c.Unsupported()),
		"Notice": notice, "Stale": p.Base != svc.FormVersionID}
	if c.Sources != nil {
		data["Corrections"] = c.Sources.Corrections
	}
	if problem != "" {
		href := "#bestaetigung"
		if len(c.Unsupported()) == 0 {
			href = "#veroeffentlichen"
		}
		data["Errors"] = []errLink{{Href: href, Message: problem}}
	}
	s.render(w, r, status, "admin_preview", s.staffPage(r, sc, data))
	return nil
}

// adminPublish publishes the pending import with the Regeln ticked as
// acknowledged ("bestaetigt", by key "id@version"), recording the admin's
// name in the audit trail. Unsupported Regeln left unticked re-render the
// preview.
func (s *Server) adminPublish(w http.ResponseWriter, r *http.Request) error {
	sc, svc, err := s.adminService(r)
	if err != nil {
		return err
	}
	p, err := s.pendingImport(r, svc)
	if err != nil {
		return err
	}
	if err := r.ParseForm(); err != nil {
		return errors.Join(apperr.Invalid, err)
	}
	acked := r.PostForm["bestaetigt"]
	if p.Base != svc.FormVersionID {
		return s.renderPreview(w, r, sc, svc, p, http.StatusConflict, acked,
			"Seit dem Hochladen wurde eine andere Version veröffentlicht. Bitte laden Sie die Datei erneut hoch.")
	}
	c, _, err := s.prepareImport(r, sc, svc, p.XDF, p.File)
	if err != nil {
		return err
	}
	keys, err := c.Acknowledge(catalog.Acknowledgement{Rules: acked}, nil)
	var ue *catalog.UnacknowledgedError
	switch {
	case errors.As(err, &ue):
		return s.renderPreview(w, r, sc, svc, p, http.StatusUnprocessableEntity, acked, fmt.Sprintf(
			"Bitte bestätigen Sie alle %d nicht unterstützten Regeln: Sie hätten im Formular keine Wirkung.", len(c.Unsupported())))
	case errors.Is(err, apperr.Invalid):
		return s.renderPreview(w, r, sc, svc, p, http.StatusUnprocessableEntity, nil, "Die Bestätigung nennt eine Regel, die es im Schema nicht gibt.")
	case err != nil:
		return err
	}
	ev := &tenant.ServiceEvent{Actor: actorName(sc), Action: tenant.ActionPublished, FromVersionID: svc.FormVersionID, Note: c.Note(p.File+", Administration", keys)}
	fv, err := catalog.Publish(r.Context(), s.deps.Store, sc.tenant.ID, svc.ID, c, keys, ev)
	if err != nil {
		return err
	}
	s.deps.Sessions.Remove(r.Context(), pendingImportKey)
	s.deps.Sessions.Put(r.Context(), "adminMessage", fmt.Sprintf("Formularversion %d von „%s“ ist veröffentlicht. Neue Anträge beginnen mit ihr; begonnene behalten ihre Version.", fv.Version, svc.Name))
	http.Redirect(w, r, "/intern/admin/protokoll", http.StatusSeeOther)
	return nil
}

// actorName is the admin's name for the audit trail: the account's name,
// else its user name.
func actorName(sc *staffCtx) string {
	if n := strings.Join(strings.Fields(sc.user.Name), " "); n != "" {
		return n
	}
	return sc.user.Username
}
