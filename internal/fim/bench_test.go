package fim_test

import (
	"bytes"
	"encoding/xml"
	"io"
	"testing"

	"github.com/antrag/antrag/internal/fim"
	"github.com/antrag/antrag/internal/fim/samples"
)

// largestSample is the largest real Stammdatenschema among the samples
// (1.4 MB, XDatenfelder 3.0.0).
const largestSample = "xdf3/S05000001323_xdf3.xml"

func benchBytes(b *testing.B) []byte {
	data, err := samples.FS.ReadFile(largestSample)
	if err != nil {
		b.Fatal(err)
	}
	b.SetBytes(int64(len(data)))
	return data
}

// BenchmarkTokenScan is the baseline: a bare encoding/xml token scan of the
// same bytes, with namespace resolution, building nothing.
func BenchmarkTokenScan(b *testing.B) {
	data := benchBytes(b)
	for b.Loop() {
		d := xml.NewDecoder(bytes.NewReader(data))
		for {
			_, err := d.Token()
			if err == io.EOF {
				break
			}
			if err != nil {
				b.Fatal(err)
			}
		}
	}
}

// BenchmarkImport imports the largest sample: XML to model, code lists
// resolved, report built.
func BenchmarkImport(b *testing.B) {
	data := benchBytes(b)
	if _, err := fim.DefaultCatalog(); err != nil {
		b.Fatal(err)
	}
	for b.Loop() {
		if _, _, err := fim.Import(bytes.NewReader(data), largestSample, fim.Options{}); err != nil {
			b.Fatal(err)
		}
	}
}
