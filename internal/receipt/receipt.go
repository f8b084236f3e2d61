package receipt

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"

	"codeberg.org/go-pdf/fpdf"

	"github.com/antrag/antrag/internal/identity"
	"github.com/antrag/antrag/internal/localtime"
	"github.com/antrag/antrag/internal/payment"
)

// Receipt is the content of one Antragsbestätigung. All text may contain any
// Unicode; see Render for how characters the font cannot draw are shown.
type Receipt struct {
	// Title is the service name, e.g. "Antrag auf Zulassung zur
	// Jägerprüfung". Optional.
	Title string
	// Reference is the Vorgangsnummer, e.g. "A7K2-9QXM-4T". Required.
	Reference string
	// SubmittedAt is when the application was received. It is printed in
	// Europe/Berlin time as "17.05.2024, 09:30 Uhr" and is also used as the
	// PDF's creation and modification date, so that rendering the same
	// receipt twice gives the same bytes. Required (not the zero time).
	SubmittedAt time.Time
	// Authority is the responsible authority: its name, then address lines.
	// Optional; the first line also becomes the PDF's author.
	Authority []string
	// DataSHA256 is the SHA-256 of the canonical application data as 64
	// hexadecimal digits (either case; printed in lower case), so that the
	// citizen can prove what was sent. Required.
	DataSHA256 string
	// Sections are the answers, grouped as in the form.
	Sections []Section
	// Fee is the application's fee and its payment, printed after the
	// answers as a section "Gebühr" (payment.Statement.Rows: one row per
	// item with quantity, price per unit and amount, the total, the
	// payment state and, for a paid fee, Kassenzeichen, Zahlart and the
	// time of payment in Europe/Berlin; for a deferred fee the note that
	// it is invoiced). Optional: nil for an application without a fee.
	Fee *payment.Statement
	// Evidence is the identity proof given with the application
	// (Schriftformersatz, a service's minimum Vertrauensniveau), printed
	// as a last section "Identitätsnachweis". Optional.
	Evidence *identity.Evidence
}

// Section is a group of answers. Repeated groups appear as several sections
// ("Kind 1", "Kind 2").
type Section struct {
	// Title is the group's heading. An empty title prints no heading.
	Title string
	// Items are the group's answers and nested groups, printed in this
	// order (the schema's).
	Items []Item
}

// Item is one answered question, or a nested group.
type Item struct {
	// Label is the question as shown to the citizen (bezeichnungAusgabe).
	Label string
	// Value is the answer as text. It may contain newlines; an empty or
	// blank value is printed as "keine Angabe".
	Value string
	// Section, when set, makes the item a nested group, printed indented
	// (up to three levels deep; deeper levels keep the indentation of the
	// third); Label and Value are then not printed.
	Section *Section
}

// ErrInvalidReceipt is returned (wrapped) by Render when a required field of
// the Receipt is missing or malformed: an empty Reference, a zero
// SubmittedAt, or a DataSHA256 that is not 64 hexadecimal digits.
var ErrInvalidReceipt = errors.New("Antragsbestätigung unvollständig oder ungültig")

// producer is written to the PDF's Info dictionary and XMP metadata.
const producer = "antrag (codeberg.org/go-pdf/fpdf v0.12.0)"

// Render writes r as a PDF (A4, PDF/A-2b metadata; see the package doc) to w.
//
// It never panics on any input text: every character the embedded DejaVu
// Sans cannot draw (anything beyond U+FFFF such as emoji, and BMP characters
// without a glyph) is printed as its code point in brackets, e.g.
// "[U+1F44D]"; control and format characters other than newline and tab are
// shown the same way. Long labels and values wrap and continue on following
// pages; every page carries "Seite X von Y".
//
// Errors: ErrInvalidReceipt (wrapped) for missing required fields; otherwise
// an error from the PDF library or from w. Nothing is written to w unless the
// whole document was built successfully.
func Render(w io.Writer, r Receipt) error {
	pdf, err := build(r)
	if err != nil {
		return fmt.Errorf("receipt.Render(%q): %w", r.Reference, err)
	}
	if _, err := w.Write(pdf); err != nil {
		return fmt.Errorf("receipt.Render(%q): write: %w", r.Reference, err)
	}
	return nil
}

// build returns the finished PDF for r.
func build(r Receipt) (_ []byte, err error) {
	defer func() {
		// fpdf reports some failures by panicking (e.g. on text it cannot
		// encode, which clean should have removed); turn them into errors so
		// that one bad receipt cannot take down the caller.
		if p := recover(); p != nil {
			err = fmt.Errorf("PDF library panicked: %v", p)
		}
	}()
	a, err := loadAssets()
	if err != nil {
		return nil, err
	}
	if err := validate(r); err != nil {
		return nil, err
	}
	doc := a.prepare(r)
	meta := doc.metadata()
	pdf, err := newPDF(meta)
	if err != nil {
		return nil, err
	}
	pages := layoutDocument(pdf, doc)
	drawPages(pdf, doc, pages)

	var buf bytes.Buffer
	if err := pdf.Output(&buf); err != nil {
		return nil, fmt.Errorf("write PDF: %w", err)
	}
	out, err := finalize(buf.Bytes(), meta.pdfTimeZone())
	if err != nil {
		return nil, fmt.Errorf("finalize PDF: %w", err)
	}
	return out, nil
}

// newPDF returns an empty A4 document with the fonts loaded and the
// metadata set.
func newPDF(meta metadata) (*fpdf.Fpdf, error) {
	pdf := fpdf.NewCustom(&fpdf.InitType{OrientationStr: "P", UnitStr: "mm", SizeStr: "A4"})
	pdf.SetMargins(marginLeft, marginTop, marginRight)
	pdf.SetAutoPageBreak(false, 0) // page breaks are decided by the layout
	pdf.AddUTF8FontFromBytes(fontFamily, "", fontRegular)
	pdf.AddUTF8FontFromBytes(fontFamily, "B", fontBold)
	// fpdf only prints font parse errors; SetFont then reports the font as
	// undefined.
	pdf.SetFont(fontFamily, "B", 10)
	pdf.SetFont(fontFamily, "", 10)
	if err := pdf.Error(); err != nil {
		return nil, fmt.Errorf("load fonts: %w", err)
	}
	meta.apply(pdf)
	return pdf, nil
}

func validate(r Receipt) error {
	if strings.TrimSpace(r.Reference) == "" {
		return fmt.Errorf("%w: Vorgangsnummer fehlt", ErrInvalidReceipt)
	}
	if r.SubmittedAt.IsZero() {
		return fmt.Errorf("%w: Eingangszeitpunkt fehlt", ErrInvalidReceipt)
	}
	if !isSHA256Hex(r.DataSHA256) {
		return fmt.Errorf("%w: Prüfsumme ist kein SHA-256-Wert mit 64 Hexadezimalziffern: %q", ErrInvalidReceipt, r.DataSHA256)
	}
	return nil
}

func isSHA256Hex(s string) bool {
	if len(s) != 64 {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !('0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F') {
			return false
		}
	}
	return true
}

// document is a Receipt with every text cleaned for drawing (see
// assets.clean) and the date formatted.
type document struct {
	title      string // cleaned Title, single line
	reference  string
	submitted  time.Time // in Europe/Berlin
	authority  string    // lines joined with "\n"
	authorName string    // first authority line, single line
	sha256     string    // lower-case hex
	sections   []Section // cleaned copy
}

func (a *assets) prepare(r Receipt) *document {
	d := &document{
		title:     strings.TrimSpace(a.clean(r.Title, false)),
		reference: strings.TrimSpace(a.clean(r.Reference, false)),
		submitted: r.SubmittedAt.In(localtime.Berlin),
		sha256:    strings.ToLower(r.DataSHA256),
		sections:  a.cleanSections(r.Sections),
	}
	if rows := r.Fee.Rows(localtime.Berlin); len(rows) > 0 {
		sec := Section{Title: "Gebühr"}
		for _, row := range rows {
			sec.Items = append(sec.Items, Item{Label: row.Label, Value: row.Value})
		}
		d.sections = append(d.sections, a.cleanSections([]Section{sec})...)
	}
	if rows := r.Evidence.Rows(localtime.Berlin); len(rows) > 0 {
		sec := Section{Title: "Identitätsnachweis"}
		for _, row := range rows {
			sec.Items = append(sec.Items, Item{Label: row.Label, Value: row.Value})
		}
		d.sections = append(d.sections, a.cleanSections([]Section{sec})...)
	}
	lines := make([]string, 0, len(r.Authority))
	for _, l := range r.Authority {
		if l = strings.TrimSpace(a.clean(l, true)); l != "" {
			lines = append(lines, l)
		}
	}
	d.authority = strings.Join(lines, "\n")
	if len(lines) > 0 {
		d.authorName = strings.ReplaceAll(lines[0], "\n", " ")
	}
	return d
}

func (a *assets) cleanSections(in []Section) []Section {
	if len(in) == 0 {
		return nil
	}
	out := make([]Section, len(in))
	for i, s := range in {
		out[i].Title = strings.TrimSpace(a.clean(s.Title, true))
		if len(s.Items) > 0 {
			out[i].Items = make([]Item, len(s.Items))
			for j, it := range s.Items {
				if it.Section != nil {
					sub := a.cleanSections([]Section{*it.Section})
					out[i].Items[j] = Item{Section: &sub[0]}
					continue
				}
				out[i].Items[j] = Item{
					Label: strings.TrimSpace(a.clean(it.Label, true)),
					Value: strings.TrimRight(a.clean(it.Value, true), " \n"),
				}
			}
		}
	}
	return out
}

// formatBerlin formats t (already in Europe/Berlin) as "17.05.2024, 09:30 Uhr".
func formatBerlin(t time.Time) string {
	return t.Format("02.01.2006, 15:04") + " Uhr"
}
