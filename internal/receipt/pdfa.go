package receipt

import (
	"bytes"
	"crypto/sha256"
	"encoding/xml"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"codeberg.org/go-pdf/fpdf"

	"github.com/antrag/antrag/internal/localtime"
)

// metadata is the document metadata, written identically to the Info
// dictionary and to the XMP packet (PDF/A wants the two to agree).
type metadata struct {
	title, author, subject, creator, producer string
	date                                      time.Time // creation = modification date
}

func (d *document) metadata() metadata {
	title := "Antragsbestätigung"
	if d.title != "" {
		title += " – " + d.title
	}
	author := d.authorName
	if author == "" {
		author = "antrag"
	}
	return metadata{
		title:    title,
		author:   author,
		subject:  "Vorgangsnummer " + d.reference,
		creator:  "antrag",
		producer: producer,
		// Whole seconds: the PDF date format has no fractions.
		date: d.submitted.In(localtime.Berlin).Truncate(time.Second),
	}
}

// apply sets the Info dictionary, XMP metadata, language, output intent and
// the fixed dates and catalogue order that make the output deterministic.
func (m metadata) apply(pdf *fpdf.Fpdf) {
	pdf.SetTitle(m.title, true)
	pdf.SetAuthor(m.author, true)
	pdf.SetSubject(m.subject, true)
	pdf.SetCreator(m.creator, true)
	pdf.SetProducer(m.producer, true)
	pdf.SetLang("de-DE")
	pdf.SetCreationDate(m.date)
	pdf.SetModificationDate(m.date)
	pdf.SetCatalogSort(true)
	pdf.SetXmpMetadata(m.xmp())
	pdf.AddOutputIntent(fpdf.OutputIntentType{
		SubtypeIdent:              fpdf.OutputIntent_GTS_PDFA1, // also the subtype for PDF/A-2
		OutputConditionIdentifier: "sRGB IEC61966-2.1",
		Info:                      "sRGB IEC61966-2.1",
		ICCProfile:                iccSRGB,
	})
}

// pdfTimeZone is the UTC offset of the dates in PDF date syntax, "+02'00'".
// fpdf writes Info dates without one; finalize adds it.
func (m metadata) pdfTimeZone() string {
	z := m.date.Format("-07:00")
	return z[:3] + "'" + z[4:] + "'"
}

func (m metadata) xmp() []byte {
	esc := func(s string) string {
		var b strings.Builder
		_ = xml.EscapeText(&b, []byte(s)) // writing to a strings.Builder cannot fail
		return b.String()
	}
	date := m.date.Format("2006-01-02T15:04:05-07:00")
	var b strings.Builder
	b.WriteString("<?xpacket begin=\"\uFEFF\" id=\"W5M0MpCehiHzreSzNTczkc9d\"?>\n")
	b.WriteString(`<x:xmpmeta xmlns:x="adobe:ns:meta/">
 <rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">
  <rdf:Description rdf:about=""
    xmlns:dc="http://purl.org/dc/elements/1.1/"
    xmlns:xmp="http://ns.adobe.com/xap/1.0/"
    xmlns:pdf="http://ns.adobe.com/pdf/1.3/"
    xmlns:pdfaid="http://www.aiim.org/pdfa/ns/id/">
   <dc:format>application/pdf</dc:format>
`)
	fmt.Fprintf(&b, "   <dc:title><rdf:Alt><rdf:li xml:lang=\"x-default\">%s</rdf:li></rdf:Alt></dc:title>\n", esc(m.title))
	fmt.Fprintf(&b, "   <dc:creator><rdf:Seq><rdf:li>%s</rdf:li></rdf:Seq></dc:creator>\n", esc(m.author))
	fmt.Fprintf(&b, "   <dc:description><rdf:Alt><rdf:li xml:lang=\"x-default\">%s</rdf:li></rdf:Alt></dc:description>\n", esc(m.subject))
	fmt.Fprintf(&b, "   <xmp:CreateDate>%s</xmp:CreateDate>\n", date)
	fmt.Fprintf(&b, "   <xmp:ModifyDate>%s</xmp:ModifyDate>\n", date)
	fmt.Fprintf(&b, "   <xmp:MetadataDate>%s</xmp:MetadataDate>\n", date)
	fmt.Fprintf(&b, "   <xmp:CreatorTool>%s</xmp:CreatorTool>\n", esc(m.creator))
	fmt.Fprintf(&b, "   <pdf:Producer>%s</pdf:Producer>\n", esc(m.producer))
	b.WriteString(`   <pdfaid:part>2</pdfaid:part>
   <pdfaid:conformance>B</pdfaid:conformance>
  </rdf:Description>
 </rdf:RDF>
</x:xmpmeta>
<?xpacket end="r"?>`)
	return []byte(b.String())
}

// finalize patches two things into fpdf's output that PDF/A requires and
// fpdf cannot write: the file identifier /ID in the trailer (fpdf writes it
// only for encrypted files) and the UTC offset tz of the Info dictionary's
// /CreationDate and /ModDate, so that they equal the XMP dates. It also
// corrects the trailer's /Info reference, which fpdf v0.12.0 points at the
// output intent's ICC profile instead of the Info dictionary. The ID is
// derived from the unpatched bytes, so it is deterministic. Byte offsets in
// the cross-reference table and after startxref are adjusted.
//
// It relies on the layout fpdf v0.12.0 writes (a classic xref table, then
// "trailer\n<<\n…/Info N 0 R…>>\nstartxref\nOFFSET\n%%EOF") and returns an
// error, rather than guessing, if the file does not look like that.
func finalize(pdf []byte, tz string) ([]byte, error) {
	errLayout := func(what string) error {
		return fmt.Errorf("unexpected PDF structure: %s", what)
	}
	// startxref
	sx := bytes.LastIndex(pdf, []byte("\nstartxref\n"))
	if sx < 0 {
		return nil, errLayout("no startxref")
	}
	sxNum := sx + len("\nstartxref\n")
	sxEnd := bytes.IndexByte(pdf[sxNum:], '\n')
	if sxEnd < 0 {
		return nil, errLayout("startxref without offset")
	}
	sxEnd += sxNum
	xref, err := strconv.Atoi(string(pdf[sxNum:sxEnd]))
	if err != nil || xref < 0 || xref >= sx {
		return nil, errLayout("bad startxref offset")
	}
	// xref table: a single subsection "0 N" of 20-byte entries.
	rest := pdf[xref:sx]
	if !bytes.HasPrefix(rest, []byte("xref\n0 ")) {
		return nil, errLayout("no xref table at startxref")
	}
	nl := bytes.IndexByte(rest[len("xref\n"):], '\n')
	if nl < 0 {
		return nil, errLayout("xref without entries")
	}
	count, err := strconv.Atoi(string(rest[len("xref\n0 ") : len("xref\n")+nl]))
	if err != nil || count < 1 || count > len(pdf)/20 {
		return nil, errLayout("bad xref subsection")
	}
	entries := xref + len("xref\n") + nl + 1
	trailer := entries + 20*count
	if trailer > sx || !bytes.HasPrefix(pdf[trailer:], []byte("trailer\n<<\n")) {
		return nil, errLayout("no trailer after xref table")
	}
	offsets := make([]int, count)
	for j := range count {
		e := pdf[entries+20*j : entries+20*j+20]
		if e[18] != ' ' && e[18] != '\r' || e[19] != '\n' && e[19] != '\r' {
			return nil, errLayout("bad xref entry")
		}
		if e[17] == 'n' {
			if offsets[j], err = strconv.Atoi(string(e[:10])); err != nil || offsets[j] < 0 || offsets[j] >= xref {
				return nil, errLayout("bad xref offset")
			}
		}
	}
	// The Info dictionary. fpdf v0.12.0 names the wrong object in the
	// trailer when there is an output intent (the ICC stream written
	// between Info and Catalog), so look for it: the nearest object below
	// /Root that is a plain dictionary with a /CreationDate. (fpdf escapes
	// "(" in strings, so "/CreationDate (D:" cannot occur inside a title.)
	tr := pdf[trailer:sx]
	objRef := func(key string) (num, at, end int, err error) {
		i := bytes.Index(tr, []byte(key))
		if i < 0 {
			return 0, 0, 0, errLayout("no " + key + "in trailer")
		}
		at = trailer + i + len(key)
		end = at + bytes.IndexByte(pdf[at:sx], ' ')
		if end < at {
			return 0, 0, 0, errLayout("bad " + key + "reference")
		}
		num, err = strconv.Atoi(string(pdf[at:end]))
		if err != nil || num <= 0 || num >= count || offsets[num] == 0 || !bytes.HasPrefix(pdf[end:], []byte(" 0 R\n")) {
			return 0, 0, 0, errLayout("bad " + key + "reference")
		}
		return num, at, end, nil
	}
	root, _, _, err := objRef("/Root ")
	if err != nil {
		return nil, err
	}
	info, infoRefAt, infoRefEnd, err := objRef("/Info ")
	if err != nil {
		return nil, err
	}
	object := func(num int) []byte {
		end := xref
		if num+1 < count && offsets[num+1] > offsets[num] {
			end = offsets[num+1]
		}
		return pdf[offsets[num]:end]
	}
	isInfo := func(num int) bool {
		obj := object(num)
		return bytes.HasPrefix(obj, fmt.Appendf(nil, "%d 0 obj\n<<\n", num)) &&
			bytes.HasSuffix(obj, []byte("\n>>\nendobj\n")) && // a dictionary, not a stream
			bytes.Contains(obj, []byte("\n/CreationDate (D:"))
	}
	if !isInfo(info) {
		info = 0
		for num := root - 1; num > 0 && num >= root-8; num-- {
			if isInfo(num) {
				info = num
				break
			}
		}
		if info == 0 {
			return nil, errLayout("no Info dictionary")
		}
	}
	infoStart := offsets[info]
	infoEnd := infoStart + len(object(info))

	type edit struct {
		at, del int
		text    []byte
	}
	var edits []edit
	for _, key := range []string{"\n/CreationDate (D:", "\n/ModDate (D:"} {
		k := bytes.LastIndex(pdf[infoStart:infoEnd], []byte(key))
		if k < 0 {
			return nil, errLayout("Info without" + key[1:])
		}
		at := infoStart + k + len(key) + len("20060102150405")
		if at >= infoEnd || pdf[at] != ')' {
			return nil, errLayout("Info date not in D:YYYYMMDDHHmmSS form")
		}
		edits = append(edits, edit{at: at, text: []byte(tz)})
	}
	if n := strconv.Itoa(info); n != string(pdf[infoRefAt:infoRefEnd]) {
		edits = append(edits, edit{at: infoRefAt, del: infoRefEnd - infoRefAt, text: []byte(n)})
	}
	sum := sha256.Sum256(pdf)
	id := fmt.Sprintf("/ID [<%x> <%x>]\n", sum[:16], sum[:16])
	edits = append(edits, edit{at: trailer + len("trailer\n<<\n"), text: []byte(id)})
	slices.SortFunc(edits, func(a, b edit) int { return a.at - b.at })
	shift := func(off int) int {
		moved := off
		for _, e := range edits {
			if e.at < off {
				moved += len(e.text) - e.del
			}
		}
		return moved
	}
	// Rewrite the xref table in place (same length) and startxref.
	table := make([]byte, 0, 20*count)
	for j := range count {
		e := pdf[entries+20*j : entries+20*j+20]
		if e[17] == 'n' {
			table = fmt.Appendf(table, "%010d", shift(offsets[j]))
			table = append(table, e[10:]...)
		} else {
			table = append(table, e...)
		}
	}
	edits = append(edits,
		edit{at: entries, del: 20 * count, text: table},
		edit{at: sxNum, del: sxEnd - sxNum, text: []byte(strconv.Itoa(shift(xref)))},
	)
	slices.SortFunc(edits, func(a, b edit) int { return a.at - b.at })

	out := make([]byte, 0, len(pdf)+len(id)+2*len(tz))
	last := 0
	for _, e := range edits {
		if e.at < last {
			return nil, errors.New("overlapping edits") // cannot happen: positions checked above
		}
		out = append(out, pdf[last:e.at]...)
		out = append(out, e.text...)
		last = e.at + e.del
	}
	return append(out, pdf[last:]...), nil
}
