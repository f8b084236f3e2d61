package receipt

import (
	_ "embed" // fonts and ICC profile
	"fmt"
	"strings"
	"sync"
	"unicode"
	"unicode/utf8"

	"golang.org/x/image/font/sfnt"
	"golang.org/x/text/unicode/norm"
)

// DejaVu Sans 2.37 from Debian's fonts-dejavu-core; licence in fonts/LICENSE
// (Bitstream Vera licence, DejaVu changes in the public domain).
var (
	//go:embed fonts/DejaVuSans.ttf
	fontRegular []byte
	//go:embed fonts/DejaVuSans-Bold.ttf
	fontBold []byte
	// sRGB2014.icc as shipped by codeberg.org/go-pdf/fpdf v0.12.0 (icc/);
	// made available by the International Color Consortium, see icc/LICENSE.
	//go:embed icc/sRGB2014.icc
	iccSRGB []byte
)

// assets is everything Render needs that is the same for every document.
// It is built once (see loadAssets) and read concurrently afterwards.
type assets struct {
	// drawable has bit r set when both DejaVu Sans faces have a glyph for
	// the BMP rune r. fpdf cannot output runes beyond U+FFFF at all.
	drawable [(0xFFFF + 1) / 64]uint64
}

// loadAssets parses the embedded fonts once and records which runes they can
// draw.
var loadAssets = sync.OnceValues(func() (*assets, error) {
	a := &assets{}
	regular, err := sfnt.Parse(fontRegular)
	if err != nil {
		return nil, fmt.Errorf("parse DejaVuSans.ttf: %w", err)
	}
	bold, err := sfnt.Parse(fontBold)
	if err != nil {
		return nil, fmt.Errorf("parse DejaVuSans-Bold.ttf: %w", err)
	}
	var buf sfnt.Buffer
	for r := rune(0); r <= 0xFFFF; r++ {
		if r >= 0xD800 && r <= 0xDFFF { // surrogates are no characters
			continue
		}
		gr, err := regular.GlyphIndex(&buf, r)
		if err != nil || gr == 0 {
			continue
		}
		gb, err := bold.GlyphIndex(&buf, r)
		if err != nil || gb == 0 {
			continue
		}
		a.drawable[r/64] |= 1 << (uint(r) % 64)
	}
	return a, nil
})

// canDraw reports whether the embedded fonts have a glyph for r and fpdf can
// output it.
func (a *assets) canDraw(r rune) bool {
	if r < 0 || r > 0xFFFF {
		return false
	}
	return a.drawable[r/64]&(1<<(uint(r)%64)) != 0
}

// replacement is the visible stand-in for a rune that cannot be drawn,
// e.g. "[U+1F44D]" for 👍.
func replacement(r rune) string {
	return fmt.Sprintf("[U+%04X]", r)
}

// clean makes s safe to draw with the embedded fonts:
//   - invalid UTF-8 becomes U+FFFD, then the text is put into Unicode
//     normalisation form C, so that "u" + combining diaeresis is drawn as "ü";
//   - CR LF, CR, NEL, U+2028 and U+2029 become "\n" when multiline is set and
//     a space otherwise; a tab becomes four spaces (one space when not
//     multiline);
//   - the soft hyphen U+00AD is removed: it is invisible by definition and
//     fpdf would draw it as a hyphen in the middle of a word;
//   - any other control (Cc) or format (Cf) character, such as U+0007 or the
//     bidi override U+202E, and every rune the fonts have no glyph for
//     (everything beyond the BMP, e.g. emoji) is replaced by its code point in
//     brackets, "[U+1F44D]", so nothing is dropped silently.
func (a *assets) clean(s string, multiline bool) string {
	if s == "" {
		return ""
	}
	s = norm.NFC.String(strings.ToValidUTF8(s, "\uFFFD"))
	newline, tab := " ", " "
	if multiline {
		newline, tab = "\n", "    "
	}
	var b strings.Builder
	b.Grow(len(s))
	for i := 0; i < len(s); {
		r, size := utf8.DecodeRuneInString(s[i:])
		i += size
		switch {
		case r == '\r':
			if i < len(s) && s[i] == '\n' {
				i++
			}
			b.WriteString(newline)
		case r == '\n' || r == '\u0085' || r == '\u2028' || r == '\u2029':
			b.WriteString(newline)
		case r == '\t':
			b.WriteString(tab)
		case r == '\u00AD':
			// soft hyphen: dropped on purpose, see above
		case unicode.Is(unicode.Cc, r) || unicode.Is(unicode.Cf, r) || !a.canDraw(r):
			b.WriteString(replacement(r))
		default:
			b.WriteRune(r)
		}
	}
	return b.String()
}
