package rules

import (
	"testing"

	"github.com/antrag/antrag/internal/form/formtest"
)

// The benchmarks use S05000001323 (the largest sample, 16 rules) and
// S05000001162 (26 rules at 43 places). The baseline is form.Validate of the
// same document: checking the data against the schema without rules.

func benchSchema(b *testing.B, name string) *fixture {
	b.Helper()
	t := &testing.T{}
	s := importSample(b, name)
	return &fixture{t: t, s: s, p: Compile(s), base: formtest.Decode(b, s.Example())}
}

func BenchmarkCompile(b *testing.B) {
	for _, name := range []string{"xdf3/S05000001323_xdf3.xml", "xdf3/S05000001162_xdf3.xml"} {
		s := importSample(b, name)
		b.Run(name, func(b *testing.B) {
			for b.Loop() {
				Compile(s)
			}
		})
	}
}

func BenchmarkEvaluate(b *testing.B) {
	for _, name := range []string{"xdf3/S05000001323_xdf3.xml", "xdf3/S05000001162_xdf3.xml"} {
		f := benchSchema(b, name)
		ctx := Context{Today: testToday, Bundesland: "TH"}
		b.Run(name+"/baseline-form.Validate", func(b *testing.B) {
			for b.Loop() {
				f.s.Validate(f.base)
			}
		})
		b.Run(name+"/Evaluate", func(b *testing.B) {
			for b.Loop() {
				f.p.Evaluate(f.base, ctx)
			}
		})
		b.Run(name+"/Validate-with-rules", func(b *testing.B) {
			for b.Loop() {
				f.p.Validate(f.base, ctx)
			}
		})
	}
}
