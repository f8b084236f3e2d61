package rules

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/antrag/antrag/internal/fim"
)

// sharedFixtures is the directory of real FIM schemas beside the
// repository; corpus tests skip where it is absent.
const sharedFixtures = "../../../shared/fixtures/fim"

// corpusFiles lists the XDatenfelder files of the shared fixtures.
func corpusFiles(t testing.TB) []string {
	t.Helper()
	var files []string
	for _, dir := range []string{"xdf1", "xdf2", "xdf3"} {
		entries, err := os.ReadDir(filepath.Join(sharedFixtures, dir))
		if err != nil {
			t.Skip("shared fixtures not available:", err)
		}
		for _, e := range entries {
			if strings.HasSuffix(e.Name(), ".xml") {
				files = append(files, filepath.Join(sharedFixtures, dir, e.Name()))
			}
		}
	}
	return files
}

// TestCorpusRules compiles the rules of every shared fixture: at least 98%
// are compiled or informational, every informational and every
// unsupported rule says why, and every compiled rule evaluates for every
// Land without fault. The per-file counts are logged (go test -v).
func TestCorpusRules(t *testing.T) {
	cat, err := fim.DefaultCatalog()
	if err != nil {
		t.Fatal(err)
	}
	var total Summary
	for _, file := range corpusFiles(t) {
		s, _, err := fim.ImportFile(file, fim.Options{Catalog: cat})
		if err != nil {
			t.Errorf("%s: %v", file, err)
			continue
		}
		p := Compile(s)
		sum := p.Summary()
		total.Compiled += sum.Compiled
		total.Informational += sum.Informational
		total.Unsupported += sum.Unsupported
		origins := map[Origin]int{}
		for _, r := range p.Distinct() {
			origins[r.Origin]++
			if r.Status != Compiled && strings.TrimSpace(r.Reason) == "" {
				t.Errorf("%s: %s %s without a reason", filepath.Base(file), r.ID, r.Status)
			}
		}
		t.Logf("%-52s compiled %3d  informational %2d  unsupported %2d  origin %v", filepath.Base(file), sum.Compiled, sum.Informational, sum.Unsupported, origins)
		for _, land := range append(LandCodes(), "") {
			p.Evaluate(map[string]any{}, Context{Today: testToday, Bundesland: land})
		}
	}
	n := total.Total()
	t.Logf("all: %d rules, compiled %d, informational %d, unsupported %d", n, total.Compiled, total.Informational, total.Unsupported)
	if n == 0 {
		t.Fatal("no rules in the corpus")
	}
	if ok := total.Compiled + total.Informational; ok*100 < n*98 {
		t.Errorf("%d of %d rules compiled or informational (%.1f%%), want at least 98%%", ok, n, float64(ok)*100/float64(n))
	}
}

// BenchmarkCompileLargest compiles all rules of the largest shared fixture
// beside importing the same file (the baseline).
func BenchmarkCompileLargest(b *testing.B) {
	files := corpusFiles(b)
	largest, size := "", int64(0)
	for _, f := range files {
		if fi, err := os.Stat(f); err == nil && fi.Size() > size {
			largest, size = f, fi.Size()
		}
	}
	data, err := os.ReadFile(largest)
	if err != nil {
		b.Fatal(err)
	}
	cat, err := fim.DefaultCatalog()
	if err != nil {
		b.Fatal(err)
	}
	opts := fim.Options{Catalog: cat}
	b.Logf("%s, %d bytes", filepath.Base(largest), size)
	b.Run("import(baseline)", func(b *testing.B) {
		b.SetBytes(size)
		for b.Loop() {
			if _, _, err := fim.Import(strings.NewReader(string(data)), largest, opts); err != nil {
				b.Fatal(err)
			}
		}
	})
	s, _, err := fim.Import(strings.NewReader(string(data)), largest, opts)
	if err != nil {
		b.Fatal(err)
	}
	b.Run("compile", func(b *testing.B) {
		for b.Loop() {
			Compile(s)
		}
	})
}
