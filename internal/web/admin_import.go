package web

import (
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"path"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/antrag/antrag/internal/apperr"
	"github.com/antrag/antrag/internal/fim"
	"github.com/antrag/antrag/internal/tenant"
)

// The upload of an XDatenfelder file (admin_publish.go describes the
// import as a whole).

// adminImportForm is the upload form.
func (s *Server) adminImportForm(w http.ResponseWriter, r *http.Request) error {
	sc, svc, err := s.adminService(r)
	if err != nil {
		return err
	}
	s.renderImportForm(w, r, sc, svc, http.StatusOK, "")
	return nil
}

func (s *Server) renderImportForm(w http.ResponseWriter, r *http.Request, sc *staffCtx, svc *tenant.Service, status int, problem string) {
	data := map[string]any{"Title": "Neue Formularversion: " + svc.Name, "Service": svc, "MaxSize": int64(maxXDFBytes)}
	if problem != "" {
		data["Errors"] = []errLink{{Href: "#datei", Message: problem}}
		data["Problem"] = problem
	}
	s.render(w, r, status, "admin_import", s.staffPage(r, sc, data))
}

// adminImportUpload reads the uploaded file, imports it and keeps it for
// the preview. A file that does not import re-renders the form with the
// reason.
func (s *Server) adminImportUpload(w http.ResponseWriter, r *http.Request) error {
	sc, svc, err := s.adminService(r)
	if err != nil {
		return err
	}
	xdf, name, status, problem := readXDF(r)
	if problem == "" {
		if _, _, err := s.prepareImport(r, sc, svc, xdf, name); err != nil {
			status, problem = http.StatusUnprocessableEntity, importProblem(err)
		}
	}
	if problem != "" {
		s.renderImportForm(w, r, sc, svc, status, problem)
		return nil
	}
	id := make([]byte, 16)
	_, _ = rand.Read(id) // never fails
	p := pendingImport{ID: base64.RawURLEncoding.EncodeToString(id), ServiceID: svc.ID, Base: svc.FormVersionID, File: name, XDF: xdf}
	b, err := json.Marshal(p)
	if err != nil {
		return err
	}
	s.deps.Sessions.Put(r.Context(), pendingImportKey, b)
	http.Redirect(w, r, "/intern/admin/dienste/"+svc.ID+"/import/"+p.ID, http.StatusSeeOther)
	return nil
}

// readXDF reads the form's file "datei": its bytes and a safe name, or
// the status and German reason it was refused.
func readXDF(r *http.Request) (xdf []byte, name string, status int, problem string) {
	tooLarge := fmt.Sprintf("Die Datei ist größer als %d MB.", maxXDFBytes>>20)
	if err := r.ParseMultipartForm(1 << 20); err != nil {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			return nil, "", http.StatusRequestEntityTooLarge, tooLarge
		}
		return nil, "", http.StatusBadRequest, "Bitte wählen Sie eine XDatenfelder-Datei (XML) aus."
	}
	defer r.MultipartForm.RemoveAll()
	f, fh, err := r.FormFile("datei")
	if err != nil {
		return nil, "", http.StatusUnprocessableEntity, "Bitte wählen Sie eine XDatenfelder-Datei (XML) aus."
	}
	defer f.Close()
	xdf, err = io.ReadAll(io.LimitReader(f, maxXDFBytes+1))
	switch {
	case err != nil:
		return nil, "", http.StatusBadRequest, "Die Datei konnte nicht gelesen werden. Bitte laden Sie sie erneut hoch."
	case len(xdf) > maxXDFBytes:
		return nil, "", http.StatusRequestEntityTooLarge, tooLarge
	case len(xdf) == 0:
		return nil, "", http.StatusUnprocessableEntity, "Die Datei ist leer."
	}
	return xdf, safeFileName(fh.Filename), 0, ""
}

// safeFileName is the base name of an uploaded file for messages: valid
// UTF-8 without control and format characters (such as bidi overrides), at most 100 bytes; "schema.xml" if
// nothing is left.
func safeFileName(n string) string {
	n = path.Base(strings.ReplaceAll(n, "\\", "/"))
	n = strings.Map(func(r rune) rune {
		if r < 0x20 || r == 0x7f || r == utf8.RuneError || unicode.Is(unicode.Cf, r) {
			return -1
		}
		return r
	}, strings.ToValidUTF8(n, ""))
	for len(n) > 100 {
		_, size := utf8.DecodeLastRuneInString(n)
		n = n[:len(n)-size]
	}
	if n == "" || n == "." || n == ".." || n == "/" {
		return "schema.xml"
	}
	return n
}

// importProblem is the German reason a file was not taken.
func importProblem(err error) string {
	var fe *fim.Error
	if errors.As(err, &fe) {
		return "Die Datei ist keine gültige XDatenfelder-Datei: " + fe.Error()
	}
	msg := err.Error()
	for _, kind := range []error{apperr.Invalid, apperr.NotFound, apperr.Conflict} {
		msg = strings.ReplaceAll(msg, kind.Error()+": ", "")
	}
	return "Die Datei ließ sich nicht übernehmen: " + msg
}
