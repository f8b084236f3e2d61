package declared_test

import (
	"context"
	"os"
	"slices"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/antrag/antrag/internal/catalog/declared"
	"github.com/antrag/antrag/internal/demo"
	"github.com/antrag/antrag/internal/fim/samples"
	"github.com/antrag/antrag/internal/store/storetest"
)

// TestDemoCatalogueIdempotentAndRoundTrip applies the demo catalogue
// twice (the second plan is empty, the store unchanged), exports it, and
// applies the export to an empty database: the catalogue is the same. On
// SQLite and, with ANTRAG_TEST_POSTGRES, on PostgreSQL.
func TestDemoCatalogueIdempotentAndRoundTrip(t *testing.T) {
	for _, d := range storetest.Dialects() {
		t.Run(d.Name, func(t *testing.T) {
			ctx := context.Background()
			st := storetest.Open(t, d.NewDSN(t))
			first := apply(t, st, demo.Catalog, declared.Files{FS: samples.FS})
			if first.Empty() {
				t.Fatal("the first plan is empty")
			}
			before, events := snapshot(t, st, true), auditCount(t, st)
			if events < len(first.Steps) {
				t.Errorf("%d audit events for %d steps", events, len(first.Steps))
			}
			for _, want := range []string{
				"jurisdiction beispielkreis/krankheitserreger \"Bürgeramt Musterstadt\" 16051",
				"jurisdiction beispielkreis/krankheitserreger \"Kreisverwaltung Beispielkreis\" 07339",
				"R00001192@1.0",
			} {
				if !strings.Contains(before, want) {
					t.Errorf("after the demo catalogue, no %q in\n%s", want, before)
				}
			}
			second := apply(t, st, demo.Catalog, declared.Files{FS: samples.FS})
			if !second.Empty() {
				t.Errorf("second plan not empty: %v", second.Steps)
			}
			if after := snapshot(t, st, true); after != before {
				t.Errorf("second apply changed the store:\n%s\nwant\n%s", after, before)
			}
			if n := auditCount(t, st); n != events {
				t.Errorf("second apply recorded %d audit events", n-events)
			}

			x, err := declared.Export(ctx, st)
			if err != nil {
				t.Fatal(err)
			}
			doc, err := x.Document.YAML()
			if err != nil {
				t.Fatal(err)
			}
			fsys := fstest.MapFS{}
			for _, f := range x.Files {
				fsys[f.Path] = &fstest.MapFile{Data: f.Data}
			}
			fresh := storetest.Open(t, d.NewDSN(t))
			apply(t, fresh, doc, declared.Files{FS: fsys})
			if got, want := snapshot(t, fresh, false), snapshot(t, st, false); got != want {
				t.Errorf("export applied to an empty database:\n%s\nwant\n%s", got, want)
			}
			// Authority ids travel with the export.
			if got, want := authorityIDs(t, fresh), authorityIDs(t, st); !slices.Equal(got, want) {
				t.Errorf("authority ids %v, want %v", got, want)
			}
			if p := plan(t, fresh, doc, declared.Files{FS: fsys}); !p.Empty() {
				t.Errorf("export applied again plans %v", p.Steps)
			}
		})
	}
}

// TestREADMEExample: the example of README's section "Katalog als Code"
// is a valid document.
func TestREADMEExample(t *testing.T) {
	b, err := os.ReadFile("../../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	_, section, ok := strings.Cut(string(b), "### Katalog als Code")
	if !ok {
		t.Fatal("README has no section Katalog als Code")
	}
	_, block, ok := strings.Cut(section, "```yaml\n")
	if !ok {
		t.Fatal("the section has no YAML example")
	}
	block, _, _ = strings.Cut(block, "```")
	if _, err := declared.Decode([]byte(block)); err != nil {
		t.Errorf("README example: %v", err)
	}
}
