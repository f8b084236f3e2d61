package form

import (
	"crypto/sha256"
	"crypto/sha512"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"math/big"
	"strings"
	"unicode/utf8"
)

// Example returns a data document, in the generic form DecodeData returns,
// that passes Validate and the generated JSON Schema: every element that
// carries data is present (of top-level alternative groups, the first), as often as its
// Anzahl minimum demands and at least once; values respect type, length,
// pattern, range, code list and file limits. The result is deterministic.
//
// A field whose constraints admit no value (a pattern that contradicts its
// lengths, say) gets the closest value found; Validate then names the
// conflict.
func (s *Schema) Example() map[string]any {
	doc := exampleObject(nil, s.Struktur)
	// A field that chooses among alternatives names the one given.
	for _, alt := range Alternatives(s.Struktur) {
		if sel := cachedSelector(s.Struktur, alt); sel != nil {
			for code, i := range sel.Group {
				if i == alt[0] {
					setSelector(doc, sel.Path, code)
				}
			}
		}
	}
	return doc
}

// setSelector writes code at the key path p of doc where its groups exist.
func setSelector(doc map[string]any, p Path, code string) {
	cur := doc
	for _, seg := range p[:len(p)-1] {
		next, ok := cur[seg.Key].(map[string]any)
		if !ok {
			return
		}
		cur = next
	}
	if _, ok := cur[p[len(p)-1].Key]; ok {
		cur[p[len(p)-1].Key] = code
	}
}

func exampleObject(p Path, children []Child) map[string]any {
	obj := map[string]any{}
	// Of top-level alternative groups, the example gives the first.
	skip := map[int]bool{}
	if len(p) == 0 {
		for _, alt := range Alternatives(children) {
			for _, i := range alt[1:] {
				skip[i] = true
			}
		}
	}
	for i := range children {
		c := &children[i]
		if c.Element.CarriesData() && !c.Element.Unfillable() && !skip[i] {
			obj[c.Element.ID] = ExampleValue(p.Key(c.Element.ID), c)
		}
	}
	return obj
}

// ExampleValue returns the example data of one struktur entry at key path
// p, as Example builds it: a value, or a list for a repeated element.
func ExampleValue(p Path, c *Child) any {
	if !c.Anzahl.Repeats() {
		return exampleValue(p, c.Element)
	}
	arr := make([]any, max(c.Anzahl.Min, 1))
	for j := range arr {
		arr[j] = exampleValue(p.Index(j), c.Element)
	}
	return arr
}

func exampleValue(p Path, e *Element) any {
	if e.Kind == KindGroup {
		return exampleObject(p, e.Struktur)
	}
	if e.HasCodes() {
		return e.Codes()[0].Code
	}
	pr := &e.Praezisierung
	switch e.Datentyp {
	case DatentypBool:
		return true
	case DatentypNum, DatentypNumInt, DatentypNumCurrency:
		return exampleNumber(e.Datentyp, pr)
	case DatentypDate:
		d := "2024-05-17"
		if lo, ok := ParseDate(pr.MinValue); ok && d < lo.Format("2006-01-02") {
			d = pr.MinValue
		}
		if hi, ok := ParseDate(pr.MaxValue); ok && d > hi.Format("2006-01-02") {
			d = pr.MaxValue
		}
		return d
	case DatentypTime:
		return "09:30"
	case DatentypDateTime:
		return "2024-05-17T09:30:00+02:00"
	case DatentypFile, DatentypObj:
		return exampleFile(p, pr).Value()
	}
	if e.EmailAddress() {
		return "beispiel@example.de"
	}
	return exampleText(pr)
}

func exampleNumber(d Datentyp, pr *Praezisierung) json.Number {
	v := big.NewRat(1, 1)
	if d == DatentypNumCurrency {
		v = big.NewRat(1250, 100)
	}
	if lo, ok := new(big.Rat).SetString(pr.MinValue); ok && pr.MinValue != "" && v.Cmp(lo) < 0 {
		v = lo
	}
	if hi, ok := new(big.Rat).SetString(pr.MaxValue); ok && pr.MaxValue != "" && v.Cmp(hi) > 0 {
		v = hi
	}
	switch d {
	case DatentypNumInt:
		if !v.IsInt() {
			// Round up into the range: ceil(v).
			q := new(big.Int).Quo(v.Num(), v.Denom())
			if v.Sign() > 0 {
				q.Add(q, big.NewInt(1))
			}
			v = new(big.Rat).SetInt(q)
		}
		return json.Number(v.Num().String())
	case DatentypNumCurrency:
		return json.Number(strings.TrimRight(strings.TrimRight(v.FloatString(2), "0"), "."))
	}
	if v.IsInt() {
		return json.Number(v.Num().String())
	}
	return json.Number(strings.TrimRight(v.FloatString(10), "0"))
}

func exampleText(pr *Praezisierung) string {
	lo, hi := 1, -1
	if pr.MinLength != nil {
		lo = max(lo, *pr.MinLength)
	}
	if pr.MaxLength != nil {
		hi = *pr.MaxLength
	}
	fits := func(s string) bool {
		n := utf8.RuneCountInString(s)
		return n >= lo && (hi < 0 || n <= hi)
	}
	if re := pr.Regexp(); re != nil {
		if s, ok := MatchingString(re.String(), fits); ok {
			return s
		}
	}
	s := "Beispiel"
	for utf8.RuneCountInString(s) < lo {
		s += "x"
	}
	if hi >= 0 && utf8.RuneCountInString(s) > hi {
		s = string([]rune(s)[:hi])
	}
	return s
}

// exampleFile returns a FileRef whose attachment id is derived from the path,
// so that the example is stable and its attachment ids are unique.
func exampleFile(p Path, pr *Praezisierung) FileRef {
	sum := sha256.Sum256([]byte(p.String()))
	h := hex.EncodeToString(sum[:16])
	id := fmt.Sprintf("%s-%s-4%s-8%s-%s", h[0:8], h[8:12], h[13:16], h[17:20], h[20:32])
	mt := "application/pdf"
	if len(pr.MediaTypes) > 0 {
		mt = pr.MediaTypes[0]
	}
	size := int64(1024)
	if pr.MaxSize > 0 && pr.MaxSize < size {
		size = pr.MaxSize
	}
	content := sha512.Sum512([]byte(p.String()))
	return FileRef{
		AttachmentID: id,
		Filename:     "nachweis" + extensionFor(mt),
		MimeType:     mt,
		Size:         size,
		Hash:         FileHash{Type: "sha512", Content: hex.EncodeToString(content[:])},
	}
}

func extensionFor(mediaType string) string {
	switch mediaType {
	case "application/pdf":
		return ".pdf"
	case "image/jpeg":
		return ".jpg"
	case "image/png":
		return ".png"
	}
	return ""
}
