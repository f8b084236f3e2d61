package form_test

import (
	"bytes"
	"encoding/json"
	"testing"

	"github.com/antrag/antrag/internal/form"
)

// benchDoc is the example document of the largest sample, S05000001323.
func benchDoc(b *testing.B) (*form.Schema, []byte) {
	b.Helper()
	s := importSample(b, "xdf3/S05000001323_xdf3.xml")
	data, err := json.Marshal(s.Example())
	if err != nil {
		b.Fatal(err)
	}
	return s, data
}

// BenchmarkDecodeJSONOnly is the baseline: encoding/json alone, numbers
// kept as json.Number, no check of the text.
func BenchmarkDecodeJSONOnly(b *testing.B) {
	_, data := benchDoc(b)
	b.SetBytes(int64(len(data)))
	for b.Loop() {
		d := json.NewDecoder(bytes.NewReader(data))
		d.UseNumber()
		var v map[string]any
		if err := d.Decode(&v); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkDecodeData is DecodeData with its UTF-8 and surrogate check.
func BenchmarkDecodeData(b *testing.B) {
	_, data := benchDoc(b)
	b.SetBytes(int64(len(data)))
	for b.Loop() {
		if _, err := form.DecodeData(bytes.NewReader(data)); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkDecodeValidate is the baseline for normalisation: decode and
// validate, as before normalisation existed.
func BenchmarkDecodeValidate(b *testing.B) {
	s, data := benchDoc(b)
	b.SetBytes(int64(len(data)))
	for b.Loop() {
		doc, err := form.DecodeData(bytes.NewReader(data))
		if err != nil {
			b.Fatal(err)
		}
		if ps := s.Validate(doc); len(ps) > 0 {
			b.Fatal(ps)
		}
	}
}

// BenchmarkDecodeNormalizeValidate is what the API does with a document:
// decode, normalise, validate.
func BenchmarkDecodeNormalizeValidate(b *testing.B) {
	s, data := benchDoc(b)
	b.SetBytes(int64(len(data)))
	for b.Loop() {
		doc, err := form.DecodeData(bytes.NewReader(data))
		if err != nil {
			b.Fatal(err)
		}
		if ps := s.Normalize(doc).Merge(s.Validate(doc)); len(ps) > 0 {
			b.Fatal(ps)
		}
	}
}
