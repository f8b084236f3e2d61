package web_test

import (
	"fmt"
	"mime"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"testing"

	"golang.org/x/net/html"

	"github.com/antrag/antrag/internal/journey"
)

// The accessibility faults of the citizen journey that automated checkers
// (axe, pa11y, Lighthouse) do not see, checked on the rendered HTML.

// doc is a parsed page.
type doc struct{ root *html.Node }

func parseHTML(t *testing.T, body string) doc {
	t.Helper()
	n, err := html.Parse(strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	return doc{n}
}

func attr(n *html.Node, key string) (string, bool) {
	for _, a := range n.Attr {
		if a.Key == key {
			return a.Val, true
		}
	}
	return "", false
}

func hasClass(n *html.Node, class string) bool {
	v, _ := attr(n, "class")
	return slices.Contains(strings.Fields(v), class)
}

// all returns the elements below n (n included) for which match holds, in
// document order.
func all(n *html.Node, match func(*html.Node) bool) []*html.Node {
	var out []*html.Node
	var walk func(*html.Node)
	walk = func(n *html.Node) {
		if n.Type == html.ElementNode && match(n) {
			out = append(out, n)
		}
		for c := n.FirstChild; c != nil; c = c.NextSibling {
			walk(c)
		}
	}
	walk(n)
	return out
}

func tag(name string) func(*html.Node) bool {
	return func(n *html.Node) bool { return n.Data == name }
}

func (d doc) byID(id string) *html.Node {
	els := all(d.root, func(n *html.Node) bool { v, ok := attr(n, "id"); return ok && v == id })
	if len(els) == 0 {
		return nil
	}
	return els[0]
}

func text(n *html.Node) string {
	var b strings.Builder
	var walk func(*html.Node)
	walk = func(n *html.Node) {
		if n.Type == html.TextNode {
			b.WriteString(n.Data)
		}
		for c := n.FirstChild; c != nil; c = c.NextSibling {
			walk(c)
		}
	}
	walk(n)
	return strings.Join(strings.Fields(b.String()), " ")
}

// focusable reports whether an element can receive focus: a form control
// or link, or an element with tabindex; never inside a hidden element.
func focusable(n *html.Node) bool {
	for p := n; p != nil; p = p.Parent {
		if _, hidden := attr(p, "hidden"); hidden && p.Type == html.ElementNode {
			return false
		}
	}
	if _, ok := attr(n, "tabindex"); ok {
		return true
	}
	switch n.Data {
	case "select", "textarea", "button":
		return true
	case "input":
		typ, _ := attr(n, "type")
		return typ != "hidden"
	case "a":
		_, ok := attr(n, "href")
		return ok
	}
	return false
}

// isControl reports whether n is an input the citizen fills in.
func isControl(n *html.Node) bool {
	switch n.Data {
	case "select", "textarea":
		return true
	case "input":
		typ, _ := attr(n, "type")
		return typ != "hidden" && typ != "submit"
	}
	return false
}

// orphanLabels lists the label[for] of a page whose control does not exist.
func (d doc) orphanLabels() []string {
	var out []string
	for _, l := range all(d.root, tag("label")) {
		if f, ok := attr(l, "for"); ok {
			if target := d.byID(f); target == nil || !isControl(target) && target.Data != "progress" {
				out = append(out, f)
			}
		}
	}
	return out
}

// stepPages visits every step of a demo service with an empty post, so
// that required fields are in error, and calls fn with the page (and the
// step). Steps the rules hide are left out.
func stepPages(t *testing.T, h *harness, sv *service, fn func(st *journey.Step, page doc, body string)) {
	t.Helper()
	base := h.start(sv)
	for _, st := range sv.form.Steps {
		path := fmt.Sprintf("%s/schritt/%d", base, st.Index+1)
		resp := h.postMultipart(path, url.Values{"aktion": {"weiter"}}, nil)
		if resp.status == http.StatusSeeOther {
			resp = h.get(path) // no problems on this step: see it as it is
			if resp.status != http.StatusOK {
				continue // hidden by the rules
			}
		}
		fn(st, parseHTML(t, resp.body), resp.body)
	}
}

// TestErrorSummaryLinksReachFocusableTargets: every link of a step's error
// summary must point to an element that exists and takes focus. A select
// (a code list with more than journey.MaxRadios values) was linked as
// "#f-…-0", an id its options never had.
func TestErrorSummaryLinksReachFocusableTargets(t *testing.T) {
	h := newHarness(t)
	links := 0
	for _, ts := range demoServices(t, h) {
		t.Run(ts[0]+"/"+ts[1], func(t *testing.T) {
			h.t = t
			sv := h.service(ts[0], ts[1])
			stepPages(t, h, sv, func(st *journey.Step, page doc, _ string) {
				summary := page.byID("fehler")
				if summary == nil {
					return
				}
				for _, a := range all(summary, tag("a")) {
					href, _ := attr(a, "href")
					links++
					target := page.byID(strings.TrimPrefix(href, "#"))
					switch {
					case !strings.HasPrefix(href, "#"):
						t.Errorf("step %d: error link %q is not to this page", st.Index+1, href)
					case target == nil:
						t.Errorf("step %d: error link %q (%s) goes nowhere", st.Index+1, href, text(a))
					case !focusable(target):
						t.Errorf("step %d: error link %q (%s) leads to a <%s> that takes no focus", st.Index+1, href, text(a), target.Data)
					}
				}
			})
		})
	}
	if links == 0 {
		t.Fatal("no error summary link checked")
	}
}

// TestSummaryErrorLinksReachFocusableTargets: the error summary of the
// "Angaben prüfen" page linked to the container of a field on its step
// (…-feld), a <div> that takes no focus.
func TestSummaryErrorLinksReachFocusableTargets(t *testing.T) {
	h := newHarness(t)
	links := 0
	for _, ts := range demoServices(t, h) {
		t.Run(ts[0]+"/"+ts[1], func(t *testing.T) {
			h.t = t
			sv := h.service(ts[0], ts[1])
			base := h.start(sv)
			r := h.do(h.client, "POST", base+"/absenden", url.Values{})
			if r.status != http.StatusUnprocessableEntity {
				t.Fatalf("empty submission: %d", r.status)
			}
			summary := parseHTML(t, r.body).byID("fehler")
			if summary == nil {
				t.Fatal("no error summary")
			}
			pages := map[string]doc{}
			for _, a := range all(summary, tag("a")) {
				href, _ := attr(a, "href")
				path, frag, _ := strings.Cut(href, "#")
				page, ok := pages[path]
				if !ok {
					resp := h.get(path)
					if resp.status != http.StatusOK {
						t.Errorf("error link %q: step answers %d", href, resp.status)
						continue
					}
					page = parseHTML(t, resp.body)
					pages[path] = page
				}
				links++
				if target := page.byID(frag); target == nil || !focusable(target) {
					t.Errorf("error link %q (%s) leads to no focusable element", href, text(a))
				}
			}
		})
	}
	if links == 0 {
		t.Fatal("no link checked")
	}
}

// TestAriaInvalidOnEveryInputOfAFieldInError: date and time parts,
// repeated simple fields and checkbox groups in error lacked
// aria-invalid="true", and their fieldset must be described by the error.
func TestAriaInvalidOnEveryInputOfAFieldInError(t *testing.T) {
	h := newHarness(t)
	fieldsets := 0
	for _, ts := range demoServices(t, h) {
		t.Run(ts[0]+"/"+ts[1], func(t *testing.T) {
			h.t = t
			sv := h.service(ts[0], ts[1])
			stepPages(t, h, sv, func(st *journey.Step, page doc, _ string) {
				for _, fs := range all(page.root, tag("fieldset")) {
					if hasClass(fs, "app-group") || hasClass(fs, "app-repeat") || hasClass(fs, "app-entry") {
						continue
					}
					var errID string
					for _, p := range all(fs, func(n *html.Node) bool { return hasClass(n, "kern-error") }) {
						errID, _ = attr(p, "id")
					}
					if errID == "" {
						continue
					}
					fieldsets++
					id, _ := attr(fs, "id")
					if desc, _ := attr(fs, "aria-describedby"); !slices.Contains(strings.Fields(desc), errID) {
						t.Errorf("step %d, %s: fieldset aria-describedby %q lacks the error %s", st.Index+1, id, desc, errID)
					}
					for _, in := range all(fs, isControl) {
						if v, _ := attr(in, "aria-invalid"); v != "true" {
							name, _ := attr(in, "name")
							t.Errorf("step %d, %s: input %s in a field in error without aria-invalid", st.Index+1, id, name)
						}
					}
				}
			})
		})
	}
	if fieldsets == 0 {
		t.Fatal("no fieldset in error checked")
	}
}

// TestStepTitlesNameTheirOwnHeading: the steps of a split group were all
// titled after the group ("Person (Schritt 7 von 22)"); a consent was a
// single radio button that cannot be unchecked; and no label may point to
// nothing. Checked on every step of every demo service.
func TestStepTitlesNameTheirOwnHeading(t *testing.T) {
	h := newHarness(t)
	subtitles := 0
	for _, ts := range demoServices(t, h) {
		t.Run(ts[0]+"/"+ts[1], func(t *testing.T) {
			h.t = t
			sv := h.service(ts[0], ts[1])
			base := h.start(sv)
			for _, st := range sv.form.Steps {
				resp := h.get(fmt.Sprintf("%s/schritt/%d", base, st.Index+1))
				if resp.status != http.StatusOK {
					continue
				}
				page := parseHTML(t, resp.body)
				title := text(all(page.root, tag("title"))[0])
				h1 := text(all(page.root, tag("h1"))[0])
				if st.Subtitle != "" {
					subtitles++
				}
				if !strings.HasPrefix(title, st.Heading()) || h1 != st.Heading() {
					t.Errorf("step %d (%s / %s): title %q, h1 %q", st.Index+1, st.Title, st.Subtitle, title, h1)
				}
				if o := page.orphanLabels(); len(o) > 0 {
					t.Errorf("step %d: labels for missing controls %v", st.Index+1, o)
				}
				for _, fs := range all(page.root, tag("fieldset")) {
					radios := all(fs, func(n *html.Node) bool { typ, _ := attr(n, "type"); return n.Data == "input" && typ == "radio" })
					if len(radios) == 1 {
						name, _ := attr(radios[0], "name")
						t.Errorf("step %d: %s is a single radio button", st.Index+1, name)
					}
				}
			}
		})
	}
	if subtitles == 0 {
		t.Fatal("no demo service has a split group")
	}
}

var titleRE = regexp.MustCompile(`<title>([^<]*)</title>`)

// TestSentAnswersPageMatchesTheReceipt: after sending, the confirmation
// links to an HTML copy of what was sent, with the receipt's content (the
// answers with their output labels, the Vorgangsnummer, the checksum) in
// the schema's order, and the service named in every title.
func TestSentAnswersPageMatchesTheReceipt(t *testing.T) {
	h := newHarness(t)
	sv := h.service("musterstadt", "bewohnerparkausweis")
	ex := sv.form.Example(sv.ctx)
	base := h.start(sv)
	if resp := h.get(base + "/angaben"); resp.status != http.StatusNotFound {
		t.Errorf("before sending: %d, want 404", resp.status)
	}
	h.fill(sv, base, ex)
	summary := h.get(base + "/pruefen")
	if m := titleRE.FindStringSubmatch(summary.body); m == nil || !strings.Contains(html.UnescapeString(m[1]), sv.svc.Name) {
		t.Errorf("summary title %q lacks the service %q", m, sv.svc.Name)
	}
	ref, conf := h.submit(base)
	if m := titleRE.FindStringSubmatch(conf); m == nil || !strings.Contains(html.UnescapeString(m[1]), sv.svc.Name) {
		t.Errorf("confirmation title %q lacks the service %q", m, sv.svc.Name)
	}
	cp := parseHTML(t, conf)
	if len(all(cp.root, func(n *html.Node) bool { v, _ := attr(n, "href"); return n.Data == "a" && v == base+"/angaben" })) != 1 {
		t.Fatalf("confirmation does not link to %s/angaben", base)
	}
	resp := h.get(base + "/angaben")
	if resp.status != http.StatusOK {
		t.Fatalf("angaben: %d", resp.status)
	}
	page := parseHTML(t, resp.body)
	if title := text(all(page.root, tag("title"))[0]); !strings.Contains(title, sv.svc.Name) {
		t.Errorf("title %q lacks the service", title)
	}
	main := text(all(page.root, tag("main"))[0])
	sub, stored := h.storedAs(t, sv, ref, ex)
	for _, w := range []string{ref, sub.DataSHA256} {
		if !strings.Contains(main, w) {
			t.Errorf("page lacks %q", w)
		}
	}
	inOrder(t, "Ihre übermittelten Angaben", main, answerTexts(sv.form.Answers(stored, nil, true)))

	// The summary before sending and the caseworker's view list the same
	// answers in the same order.
	inOrder(t, "Angaben prüfen", text(all(parseHTML(t, summary.body).root, tag("main"))[0]), answerTexts(sv.form.Answers(stored, nil, false)))
	staff := h.send(h.staffClient("musterstadt"), mustRequest(t, "GET", h.srv.URL+"/intern/antraege/"+sub.ID))
	inOrder(t, "Posteingang", text(all(parseHTML(t, staff.body).root, tag("main"))[0]), answerTexts(sv.form.Answers(stored, nil, true)))
}

// answerTexts lists the titles, labels and values of sections in reading
// order, with white space as text() leaves it.
func answerTexts(secs []journey.Section) []string {
	var out []string
	squeeze := func(s string) string { return strings.Join(strings.Fields(s), " ") }
	var walk func(items []journey.Answer)
	walk = func(items []journey.Answer) {
		for _, it := range items {
			if it.Section != nil {
				out = append(out, squeeze(it.Section.Title))
				walk(it.Section.Items)
				continue
			}
			out = append(out, squeeze(it.Label))
			for _, line := range strings.Split(it.Value, "\n") {
				out = append(out, squeeze(line))
			}
		}
	}
	for _, s := range secs {
		out = append(out, squeeze(s.Title))
		walk(s.Items)
	}
	return out
}

// inOrder fails t unless every want occurs in text after the one before.
func inOrder(t *testing.T, page, text string, wants []string) {
	t.Helper()
	if len(wants) < 5 {
		t.Fatalf("%s: only %d texts to look for", page, len(wants))
	}
	at := 0
	for _, w := range wants {
		i := strings.Index(text[at:], w)
		if i < 0 {
			t.Errorf("%s: %q missing, or out of the schema's order", page, w)
			continue
		}
		at += i
	}
}

// TestNoOrphanLabelWhenTheUploadsAreComplete: once a file field holds its
// maximum, the file input is gone; its label[for] stayed behind, and the
// file list was tied to no question.
func TestNoOrphanLabelWhenTheUploadsAreComplete(t *testing.T) {
	h := newHarness(t)
	sv := h.service("musterstadt", "bewohnerparkausweis")
	ex := sv.form.Example(sv.ctx)
	base := h.start(sv)
	checked := 0
	for _, st := range sv.form.Steps {
		vals, refs := sv.form.FormValues(st, ex)
		if len(refs) == 0 {
			continue
		}
		var files []upload
		for field, rs := range refs {
			for _, r := range rs {
				files = append(files, upload{field: field, name: r.Filename, content: pdfFile(field + r.AttachmentID)})
			}
		}
		vals.Set("aktion", "aktualisieren")
		path := fmt.Sprintf("%s/schritt/%d", base, st.Index+1)
		if resp := h.postMultipart(path, vals, files); resp.status != http.StatusSeeOther {
			t.Fatalf("upload: %d\n%s", resp.status, problemsOf(resp.body))
		}
		resp := h.get(path)
		page := parseHTML(t, resp.body)
		if o := page.orphanLabels(); len(o) > 0 {
			t.Errorf("step %d: labels for missing controls %v", st.Index+1, o)
		}
		for _, list := range all(page.root, func(n *html.Node) bool { return hasClass(n, "app-files") }) {
			checked++
			var group *html.Node
			for p := list.Parent; p != nil && group == nil; p = p.Parent {
				if r, _ := attr(p, "role"); r == "group" || p.Data == "fieldset" {
					group = p
				}
			}
			if group == nil {
				t.Errorf("step %d: file list outside any group", st.Index+1)
				continue
			}
			lid, _ := attr(group, "aria-labelledby")
			label := page.byID(lid)
			if label == nil || text(label) == "" {
				t.Errorf("step %d: the file group is named by nothing (%q)", st.Index+1, lid)
				continue
			}
			if n := len(all(list, tag("button"))); n == 0 {
				t.Errorf("step %d: file list without remove buttons", st.Index+1)
			}
		}
	}
	if checked == 0 {
		t.Fatal("no file list checked")
	}
}

// TestUploadedFileNamesKeepQuotesAndExtension: a '"' in a file name, which
// browsers send as %22, was shown as "%22"; a name longer than the limit
// lost its extension; and the caseworker's download must give the exact
// name back (RFC 6266 filename*).
func TestUploadedFileNamesKeepQuotesAndExtension(t *testing.T) {
	h := newHarness(t)
	sv := h.service("musterstadt", "bewohnerparkausweis")
	ex := sv.form.Example(sv.ctx)
	long := strings.Repeat("Nutzungsüberlassungserklärung-", 12) + ".pdf" // 364 characters
	quoted := `Erklärung "Mieter" 2026.pdf`
	n := 0
	replaceFiles(ex, func(m map[string]any) map[string]any {
		// The harness posts the name as it is: as a browser encodes a
		// '"' (HTML Living Standard, multipart/form-data encoding).
		m["filename"] = []string{strings.ReplaceAll(quoted, `"`, "%22"), long}[n%2]
		n++
		return m
	})
	if n < 2 {
		t.Fatalf("the service takes %d files, want 2", n)
	}
	base := h.start(sv)
	h.fill(sv, base, ex)
	for _, st := range sv.form.Steps {
		if _, refs := sv.form.FormValues(st, ex); len(refs) == 0 {
			continue
		}
		page := h.get(fmt.Sprintf("%s/schritt/%d", base, st.Index+1)).body
		if !strings.Contains(html.UnescapeString(page), quoted) || strings.Contains(page, "%22") {
			t.Errorf("step %d does not show %q", st.Index+1, quoted)
		}
	}
	if summary := h.get(base + "/pruefen").body; !strings.Contains(html.UnescapeString(summary), quoted) {
		t.Errorf("summary does not show %q", quoted)
	}
	ref, _ := h.submit(base)
	sub, err := h.db.SubmissionByReference(t.Context(), sv.tenant.ID, ref)
	if err != nil {
		t.Fatal(err)
	}
	atts, err := h.db.ListAttachments(t.Context(), sv.tenant.ID, sub.ID)
	if err != nil {
		t.Fatal(err)
	}
	staff := h.staffClient("musterstadt")
	var names []string
	for _, a := range atts {
		names = append(names, a.Filename)
		if n := len([]rune(a.Filename)); n > 255 {
			t.Errorf("name of %d characters", n)
		}
		if strings.HasPrefix(a.Filename, "Nutzungs") && (!strings.HasSuffix(a.Filename, ".pdf") || len([]rune(a.Filename)) != 255 ||
			!strings.HasPrefix(long, strings.TrimSuffix(a.Filename, ".pdf"))) {
			t.Errorf("long name not cut in its stem: %q", a.Filename)
		}
		resp := h.send(staff, mustRequest(t, "GET", fmt.Sprintf("%s/intern/antraege/%s/anhaenge/%s", h.srv.URL, sub.ID, a.ID)))
		_, params, err := mime.ParseMediaType(resp.header.Get("Content-Disposition"))
		if err != nil || params["filename"] != a.Filename {
			t.Errorf("download of %q: Content-Disposition %q gives %q (%v)", a.Filename, resp.header.Get("Content-Disposition"), params["filename"], err)
		}
	}
	if !slices.Contains(names, quoted) {
		t.Errorf("stored names %q lack %q", names, quoted)
	}
}

func mustRequest(t *testing.T, method, u string) *http.Request {
	t.Helper()
	req, err := http.NewRequest(method, u, nil)
	if err != nil {
		t.Fatal(err)
	}
	return req
}
