package declared

import (
	"context"
	"encoding/json"
	"io/fs"
	"path"

	"github.com/antrag/antrag/internal/catalog"
	"github.com/antrag/antrag/internal/rules"
	"github.com/antrag/antrag/internal/tenant"
)

// readFile reads a file the document names by a relative path.
func (p *planner) readFile(name string, loc ...any) ([]byte, bool) {
	if p.files.FS == nil || !fs.ValidPath(name) {
		p.err("Datei "+name+": nur Pfade relativ zur Katalogdatei und ohne .. sind erlaubt", loc...)
		return nil, false
	}
	b, err := fs.ReadFile(p.files.FS, name)
	if err != nil {
		p.err("Datei "+name+" ist nicht lesbar: "+cause(err), loc...)
		return nil, false
	}
	return b, true
}

// form prepares the service's form and plans a publication when the file
// or the rule sources differ from the current version's.
func (p *planner) form(ctx context.Context, ts *tstate, ss *sstate, loc []any) {
	fd := ss.doc.Form
	xdf, ok := p.readFile(fd.File, append(loc, "file")...)
	if !ok {
		return
	}
	src := &rules.Sources{}
	if fd.Translations != "" {
		b, ok := p.readFile(fd.Translations, append(loc, "translations")...)
		if !ok {
			return
		}
		if err := json.Unmarshal(b, &src.Translations); err != nil {
			p.err("Übersetzungen "+fd.Translations+": kein JSON-Objekt aus Element-Schlüsseln und Listen: "+cause(err), append(loc, "translations")...)
			return
		}
	}
	if len(fd.Corrections) > 0 {
		raw := []byte(fd.Corrections)
		var name string
		if json.Unmarshal(raw, &name) == nil {
			b, ok := p.readFile(name, append(loc, "corrections")...)
			if !ok {
				return
			}
			raw = b
		}
		list, err := catalog.DecodeCorrections(raw)
		if err != nil {
			p.err("Korrekturen: "+cause(err), append(loc, "corrections")...)
			return
		}
		src.Corrections = list
	}
	cand, err := catalog.Import(xdf, path.Base(fd.File), p.cat)
	if err != nil {
		p.err(cause(err), append(loc, "file")...)
		return
	}
	if err := cand.Compile(src); err != nil {
		where := "corrections"
		if len(fd.Corrections) == 0 {
			where = "translations"
		}
		p.err(cause(err), append(loc, where)...)
		return
	}
	acked, err := cand.Acknowledge(catalog.Acknowledgement{Rules: fd.Acknowledged}, nil)
	if err != nil {
		p.err(cause(err), append(loc, "acknowledged")...)
		return
	}
	svc := ss.svc
	var from string
	if ss.exists && svc.FormVersionID != "" {
		cur, err := p.st.FormVersion(ctx, ts.t.ID, svc.FormVersionID)
		if err != nil {
			p.storeFailed(err)
			return
		}
		if string(cur.XDF) == string(xdf) && sameSources(cur.RuleSources, cand.Sources) {
			return
		}
		from = cur.ID
	}
	note := cand.Note("", acked)
	step := &Step{Tenant: ts.t.Slug, Object: tenant.ObjectService, Name: svc.Slug, Action: "veröffentlicht",
		Detail: note, tenantID: ts.t.ID, objectID: svc.ID}
	step.run = func(ctx context.Context, st Store, actor string) error {
		ev := &tenant.ServiceEvent{Actor: actor, Action: tenant.ActionPublished, FromVersionID: from, Note: "Katalog: " + note}
		_, err := catalog.Publish(ctx, st, ts.t.ID, svc.ID, cand, acked, ev)
		return err
	}
	p.plan.Steps = append(p.plan.Steps, step)
}

// sameSources compares stored rule sources with a candidate's.
func sameSources(stored []byte, src *rules.Sources) bool {
	old, err := catalog.DecodeSources(stored)
	if err != nil {
		return false
	}
	if old == nil || src == nil {
		return old == nil && src == nil
	}
	return sameJSON(old, src)
}
