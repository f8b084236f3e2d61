package journey

import (
	"fmt"
	"path/filepath"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/santhosh-tekuri/jsonschema/v6"
	"github.com/santhosh-tekuri/jsonschema/v6/kind"

	"github.com/antrag/antrag/internal/fim/samples"
	"github.com/antrag/antrag/internal/form/formtest"
	"github.com/antrag/antrag/internal/rules"
)

// exampleLands are the contexts every example is checked in: no Land, then
// each Land.
func exampleLands() []string { return append([]string{""}, rules.LandCodes()...) }

// checkExample builds the example of f for the Land and returns what is
// wrong with it, "" if nothing: it must pass sch, the JSON Schema antrag
// publishes (Form.JSONSchema, compiled by formtest), and the validation of
// the JSON API (form.Schema.Normalize, then rules.Program.Validate), and
// hold nothing that validation would change or leave out. Where the
// example could not avoid a problem, the rules acting on it are named.
func checkExample(t *testing.T, f *Form, sch *jsonschema.Schema, land string) string {
	t.Helper()
	ctx := testCtx
	ctx.Bundesland = land
	ex, conflicts := f.ExampleConflicts(ctx)
	var b strings.Builder
	if err := formtest.Validate(t, sch, ex); err != nil {
		fmt.Fprintf(&b, "\n  JSON Schema: %v", err)
		// The rules acting on a value the JSON Schema refuses, or on a
		// group enclosing it.
		for _, sp := range failedPaths(err) {
			for _, r := range f.actingOn([]string{sp}) {
				if slices.ContainsFunc(r.Effects, func(e rules.Effect) bool { return e.Target == sp || strings.HasPrefix(sp, e.Target+"/") }) {
					fmt.Fprintf(&b, "\n    %s: rule %s %s %q: %s", sp, r.ID, r.Version, r.Name, oneLine(r.Text))
				}
			}
		}
	}
	doc := formtest.Decode(t, ex)
	want := formtest.Decode(t, ex)
	ps := f.Schema.Normalize(doc)
	more, clean := f.Rules.Validate(doc, ctx)
	for _, p := range ps.Merge(more) {
		fmt.Fprintf(&b, "\n  %s (%s): %s", p.Path, p.Code, p.Message)
	}
	if b.Len() == 0 && !reflect.DeepEqual(clean, want) {
		b.WriteString("\n  the example holds values that validation changes or leaves out")
	}
	for _, c := range conflicts {
		fmt.Fprintf(&b, "\n  not avoidable: %s (%s): %s", c.Problem.Path, c.Problem.Code, c.Problem.Message)
		if len(c.Rules) == 0 {
			b.WriteString("\n    no compiled rule acts on it: the schema alone admits no value")
		}
		for _, r := range c.Rules {
			fmt.Fprintf(&b, "\n    rule %s %s %q at %q: %s", r.ID, r.Version, r.Name, r.Scope, oneLine(r.Text))
		}
	}
	return b.String()
}

// failedPaths returns the schema paths of the values a JSON Schema
// validation error is about: where a leaf error is, and the properties a
// "required" misses there.
func failedPaths(err error) []string {
	var out []string
	var walk func(e *jsonschema.ValidationError)
	walk = func(e *jsonschema.ValidationError) {
		if len(e.Causes) > 0 {
			for _, c := range e.Causes {
				walk(c)
			}
			return
		}
		var ids []string
		for _, s := range e.InstanceLocation {
			if _, err := strconv.Atoi(s); err != nil {
				ids = append(ids, s)
			}
		}
		if req, ok := e.ErrorKind.(*kind.Required); ok {
			for _, m := range req.Missing {
				out = append(out, strings.Join(append(slices.Clone(ids), m), "/"))
			}
			return
		}
		if len(ids) > 0 {
			out = append(out, strings.Join(ids, "/"))
		}
	}
	if ve, ok := err.(*jsonschema.ValidationError); ok {
		walk(ve)
	}
	return out
}

func oneLine(s string) string {
	s = strings.Join(strings.Fields(s), " ")
	if r := []rune(s); len(r) > 300 {
		return string(r[:300]) + "…"
	}
	return s
}

// TestExampleFixtures checks the example of every schema of the fixture
// set, for no Land and for each Land (checkExample).
func TestExampleFixtures(t *testing.T) {
	var files []string
	for _, dir := range []string{"xdf1", "xdf2", "xdf3"} {
		m, err := filepath.Glob(filepath.Join(fixtureDir, dir, "*.xml"))
		if err != nil {
			t.Fatal(err)
		}
		files = append(files, m...)
	}
	if len(files) == 0 {
		t.Skipf("%s not present", fixtureDir)
	}
	passed := 0
	for _, file := range files {
		name := filepath.Base(file)
		t.Run(name, func(t *testing.T) {
			f := loadSchemaFile(t, file)
			sch := formtest.Compile(t, f.Schema.ID, f.JSONSchema(""))
			for _, land := range exampleLands() {
				if msg := checkExample(t, f, sch, land); msg != "" {
					t.Errorf("%s, Land %q: the example of fim example fails:%s", name, land, msg)
					continue
				}
				passed++
			}
		})
	}
	t.Logf("%d schemas × %d contexts (no Land and %d Länder): %d examples pass", len(files), len(exampleLands()), len(rules.LandCodes()), passed)
}

// TestExampleSamples does the same for the sample schemas shipped with
// antrag, which run without the fixture set.
func TestExampleSamples(t *testing.T) {
	for _, name := range samples.Files() {
		t.Run(name, func(t *testing.T) {
			f := loadForm(t, name)
			sch := formtest.Compile(t, f.Schema.ID, f.JSONSchema(""))
			for _, land := range exampleLands() {
				if msg := checkExample(t, f, sch, land); msg != "" {
					t.Errorf("%s, Land %q: the example fails:%s", name, land, msg)
				}
			}
		})
	}
}
