package receipt

import (
	"strconv"
	"strings"
	"unicode/utf8"

	"codeberg.org/go-pdf/fpdf"
)

// Page geometry in millimetres (A4 portrait).
const (
	pageWidth     = 210.0
	pageHeight    = 297.0
	marginLeft    = 20.0
	marginRight   = 20.0
	marginTop     = 18.0
	contentWidth  = pageWidth - marginLeft - marginRight
	contentBottom = pageHeight - 24.0 // no content line ends below this
	footerRuleY   = pageHeight - 19.0
	footerY       = pageHeight - 14.0 // top of the footer line

	fontFamily = "DejaVuSans"
	ptToMM     = 25.4 / 72

	// keepTogether is the tallest item row (mm) that is moved to the next
	// page as a whole instead of being split across pages.
	keepTogether = 45.0
	// maxIndentLevel is the deepest nesting level that is indented further.
	maxIndentLevel = 3
	indentStep     = 5.0
)

// face is a font style, size (pt) and grey level (0 black … 255 white).
type face struct {
	style string // "" or "B"
	size  float64
	grey  int
}

var (
	faceDocTitle = face{"B", 18, 0}
	faceService  = face{"B", 13, 0}
	faceIntro    = face{"", 9.5, 60}
	faceLabel    = face{"", 9, 70}
	faceValue    = face{"", 10, 0}
	faceRef      = face{"B", 11, 0}
	faceEmpty    = face{"", 10, 110}
	faceHeading  = face{"B", 13, 0}
	faceSection  = face{"B", 11.5, 0}
	faceSubsect  = face{"B", 10.5, 40}
	faceFooter   = face{"", 8, 90}
)

const (
	lineValue    = 5.0 // line height of item rows
	lineIntro    = 4.6
	rowGap       = 2.6 // between item rows, with a hairline in the middle
	noAnswer     = "keine Angabe"
	noAnswers    = "keine Angaben"
	labelShare   = 0.40 // share of the width for the label column
	columnGap    = 4.0
	hairlineGrey = 205
)

// op is one drawing operation on a page: a text line with its baseline at y,
// or a horizontal rule from x to x2 at y.
type op struct {
	face face
	x, y float64
	text string
	rule bool
	x2   float64
}

// layouter places text on pages. It measures with the fpdf document's fonts
// but draws nothing; drawPages does that once the page count is known, so
// that "Seite X von Y" needs no alias (fpdf's alias replacement bypasses
// its font subsetting).
type layouter struct {
	pdf     *fpdf.Fpdf
	current face
	pages   [][]op
	y       float64
}

func (l *layouter) setFont(f face) {
	if l.current != f {
		l.pdf.SetFont(fontFamily, f.style, f.size)
		l.current = f
	}
}

// width returns the width of s in millimetres in face f.
func (l *layouter) width(f face, s string) float64 {
	l.setFont(f)
	return float64(l.pdf.GetStringSymbolWidth(s)) * f.size / 1000 * ptToMM
}

// wrap breaks text (which may contain "\n") into lines no wider than w.
// Lines break at spaces; a word wider than w is broken between characters.
// An empty text gives no lines.
func (l *layouter) wrap(f face, w float64, text string) []string {
	if text == "" {
		return nil
	}
	l.setFont(f)
	unit := f.size / 1000 * ptToMM
	limit := int(w / unit) // width in glyph units
	space := l.pdf.GetStringSymbolWidth(" ")
	var lines []string
	for _, para := range strings.Split(text, "\n") {
		var line strings.Builder
		lineW := 0
		started := false
		for _, word := range strings.Split(para, " ") {
			ww := l.pdf.GetStringSymbolWidth(word)
			if started && lineW+space+ww <= limit {
				line.WriteByte(' ')
				line.WriteString(word)
				lineW += space + ww
				continue
			}
			if started {
				lines = append(lines, line.String())
				line.Reset()
				lineW = 0
			}
			started = true
			for ww > limit {
				// Break an over-long word between characters.
				cut, cutW := 0, 0
				for i, r := range word {
					rw := l.pdf.GetStringSymbolWidth(word[i : i+utf8.RuneLen(r)])
					if cutW+rw > limit && cut > 0 {
						break
					}
					cut, cutW = i+utf8.RuneLen(r), cutW+rw
				}
				if cut >= len(word) {
					break
				}
				lines = append(lines, word[:cut])
				word = word[cut:]
				ww -= cutW
			}
			line.WriteString(word)
			lineW = ww
		}
		lines = append(lines, line.String())
	}
	return lines
}

func (l *layouter) newPage() {
	l.pages = append(l.pages, nil)
	l.y = marginTop
}

func (l *layouter) atTop() bool { return l.y <= marginTop }

func (l *layouter) room() float64 { return contentBottom - l.y }

// text adds one line of text whose line box starts at the current y and is
// lh high.
func (l *layouter) text(f face, x, lh float64, s string) {
	if s == "" {
		return
	}
	p := &l.pages[len(l.pages)-1]
	*p = append(*p, l.textOp(f, x, lh, s))
}

// textOp is the operation for a line of text whose line box starts at the
// current y and is lh high.
func (l *layouter) textOp(f face, x, lh float64, s string) op {
	// Baseline as fpdf's Cell places it: middle of the box plus 0.3 em.
	return op{face: f, x: x, y: l.y + lh/2 + 0.3*f.size*ptToMM, text: s}
}

func (l *layouter) rule(x, x2, y float64, grey int) {
	p := &l.pages[len(l.pages)-1]
	*p = append(*p, op{face: face{grey: grey}, x: x, x2: x2, y: y, rule: true})
}

// column is the wrapped text of one column of a row, starting at x.
type column struct {
	face  face
	x     float64
	lines []string
}

// paragraph adds lines with line height lh, breaking pages between lines.
func (l *layouter) paragraph(f face, x, lh float64, lines []string) {
	for _, s := range lines {
		if l.room() < lh {
			l.newPage()
		}
		l.text(f, x, lh, s)
		l.y += lh
	}
}

// row adds a two-column row: label lines on the left, value lines on the
// right, line by line, so that a row taller than a page continues on the
// next one. Rows up to keepTogether high are not split, nor are labels that
// fit on a page. With separator set, a hairline is drawn above the row
// unless it starts a page; x2 is where the hairline ends.
func (l *layouter) row(label, value column, lh float64, separator bool, x2 float64) {
	n := max(len(label.lines), len(value.lines), 1)
	h := float64(n) * lh
	if separator {
		h += rowGap
	}
	// Move the row to the next page if it is short, if hardly any of it
	// would fit here, or if its label would be split although it fits on
	// one page: a question should be readable in one piece.
	labelH := float64(len(label.lines)) * lh
	if h > l.room() && !l.atTop() &&
		(h <= keepTogether || l.room() < 2*lh ||
			labelH > l.room()-rowGap && labelH <= contentBottom-marginTop-rowGap) {
		l.newPage()
	}
	if separator && !l.atTop() {
		l.rule(label.x, x2, l.y+rowGap/2, hairlineGrey)
		l.y += rowGap
	}
	// Within each page, the label's lines are emitted before the value's, so
	// that text extraction and copy & paste read each column as a whole.
	var values []op
	flush := func() {
		p := &l.pages[len(l.pages)-1]
		*p = append(*p, values...)
		values = values[:0]
	}
	for i := range n {
		if l.room() < lh {
			flush()
			l.newPage()
		}
		if i < len(label.lines) {
			l.text(label.face, label.x, lh, label.lines[i])
		}
		if i < len(value.lines) && value.lines[i] != "" {
			values = append(values, l.textOp(value.face, value.x, lh, value.lines[i]))
		}
		l.y += lh
	}
	flush()
}

// heading adds a heading that is kept on the same page as the first line
// that follows it (of height next).
func (l *layouter) heading(f face, x, w, lh float64, s string, next float64) {
	lines := l.wrap(f, w, s)
	if h := float64(len(lines))*lh + next; h > l.room() && !l.atTop() {
		l.newPage()
	}
	l.paragraph(f, x, lh, lines)
}

// layoutDocument lays out the whole receipt and returns the pages' drawing
// operations. It always returns at least one page.
func layoutDocument(pdf *fpdf.Fpdf, d *document) [][]op {
	l := &layouter{pdf: pdf}
	l.newPage()
	x, w := marginLeft, contentWidth

	l.paragraph(faceDocTitle, x, 9, l.wrap(faceDocTitle, w, "Antragsbestätigung"))
	if d.title != "" {
		l.y += 1
		l.paragraph(faceService, x, 6.2, l.wrap(faceService, w, d.title))
	}
	l.y += 3
	l.paragraph(faceIntro, x, lineIntro, l.wrap(faceIntro, w,
		"Ihr Antrag ist bei uns eingegangen. Diese Bestätigung führt alle Angaben auf, "+
			"die Sie übermittelt haben. Bitte bewahren Sie sie auf und geben Sie bei "+
			"Rückfragen die Vorgangsnummer an."))
	l.y += 4

	labelW := 52.0
	vx, vw := x+labelW+columnGap, w-labelW-columnGap
	meta := func(label string, vf face, value string, sep bool) {
		if value == "" {
			vf, value = faceEmpty, noAnswer
		}
		l.row(column{faceLabel, x, l.wrap(faceLabel, labelW, label)},
			column{vf, vx, l.wrap(vf, vw, value)}, 5.6, sep, x+w)
	}
	meta("Vorgangsnummer", faceRef, d.reference, false)
	meta("Eingegangen am", faceValue, formatBerlin(d.submitted), true)
	meta("Zuständige Behörde", faceValue, d.authority, true)
	l.row(column{faceLabel, x, l.wrap(faceLabel, w, "Prüfsumme der Antragsdaten (SHA-256)")},
		column{}, 5.6, true, x+w)
	l.paragraph(faceValue, x, 5.6, l.wrap(faceValue, w, d.sha256))
	l.paragraph(faceIntro, x, lineIntro, l.wrap(faceIntro, w,
		"Die Prüfsumme wird aus den übermittelten Antragsdaten berechnet. "+
			"Mit ihr lässt sich später nachweisen, welche Daten gesendet wurden."))
	l.y += 7

	l.heading(faceHeading, x, w, 7, "Ihre Angaben", 2+lineValue)
	l.rule(x, x+w, l.y+0.5, 0)
	l.y += 3
	if len(d.sections) == 0 {
		l.paragraph(faceEmpty, x, lineValue, []string{noAnswers})
	}
	for _, s := range d.sections {
		l.section(s, 0)
	}
	return l.pages
}

// section lays out s and its nested sections at nesting depth.
func (l *layouter) section(s Section, depth int) {
	indent := float64(min(depth, maxIndentLevel)) * indentStep
	x, w := marginLeft+indent, contentWidth-indent
	if s.Title != "" {
		f, lh := faceSection, 6.0
		if depth > 0 {
			f, lh = faceSubsect, 5.6
		}
		l.y += 2.5
		l.heading(f, x, w, lh, s.Title, 1.5+lineValue)
		if depth == 0 {
			l.rule(x, x+w, l.y+0.3, 150)
		}
		l.y += 1.5
	}
	// The value column stays where it is at depth 0; nesting narrows the
	// label column.
	vx := marginLeft + contentWidth*labelShare + columnGap
	labelW, vw := vx-columnGap-x, marginLeft+contentWidth-vx
	if len(s.Items) == 0 {
		l.row(column{x: x}, column{faceEmpty, vx, []string{noAnswers}}, lineValue, false, x+w)
	}
	// A rule separates consecutive answers, not the first after a heading.
	prevAnswer := false
	for _, it := range s.Items {
		if it.Section != nil {
			l.section(*it.Section, depth+1)
			prevAnswer = false
			continue
		}
		vf, value := faceValue, it.Value
		if strings.TrimSpace(value) == "" {
			vf, value = faceEmpty, noAnswer
		}
		l.row(column{faceLabel, x, l.wrap(faceLabel, labelW, it.Label)},
			column{vf, vx, l.wrap(vf, vw, value)}, lineValue, prevAnswer, x+w)
		prevAnswer = true
	}
}

// drawPages draws the laid-out pages with a footer on each.
func drawPages(pdf *fpdf.Fpdf, d *document, pages [][]op) {
	// Measure the footers first: measuring switches fpdf's current font.
	l := &layouter{pdf: pdf}
	total := strconv.Itoa(len(pages))
	footers := make([][2]op, len(pages))
	baseline := footerY + 2 + 0.3*faceFooter.size*ptToMM
	for i := range pages {
		page := "Seite " + strconv.Itoa(i+1) + " von " + total
		pw := l.width(faceFooter, page)
		left := fitWidth(l, faceFooter, contentWidth-pw-6,
			"Antragsbestätigung · Vorgangsnummer "+d.reference)
		footers[i] = [2]op{
			{face: faceFooter, x: marginLeft, y: baseline, text: left},
			{face: faceFooter, x: pageWidth - marginRight - pw, y: baseline, text: page},
		}
	}
	for i, ops := range pages {
		pdf.AddPage()
		current := face{size: -1}
		draw := func(o op) {
			if o.rule {
				pdf.SetDrawColor(o.face.grey, o.face.grey, o.face.grey)
				pdf.SetLineWidth(0.15)
				pdf.Line(o.x, o.y, o.x2, o.y)
				return
			}
			if o.face != current {
				pdf.SetFont(fontFamily, o.face.style, o.face.size)
				pdf.SetTextColor(o.face.grey, o.face.grey, o.face.grey)
				current = o.face
			}
			pdf.Text(o.x, o.y, o.text)
		}
		for _, o := range ops {
			draw(o)
		}
		draw(op{face: face{grey: 150}, rule: true,
			x: marginLeft, x2: pageWidth - marginRight, y: footerRuleY})
		draw(footers[i][0])
		draw(footers[i][1])
	}
}

// fitWidth shortens s with "…" until it is at most w wide.
func fitWidth(l *layouter, f face, w float64, s string) string {
	if l.width(f, s) <= w {
		return s
	}
	runes := []rune(s)
	for len(runes) > 0 {
		runes = runes[:len(runes)-1]
		if t := string(runes) + "…"; l.width(f, t) <= w {
			return t
		}
	}
	return ""
}
