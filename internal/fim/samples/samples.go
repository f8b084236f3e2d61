// Package samples embeds real FIM Stammdatenschemata in XDatenfelder 1, 2
// and 3.0.0 (see SOURCES.md for each file's origin and licence). Tests
// import all of them; the demo catalogue publishes them as services.
package samples

import (
	"embed"
	"io/fs"
	"path"
	"slices"
)

//go:embed xdf1/*.xml xdf2/*.xml xdf3/*.xml leika.tsv SOURCES.md
var FS embed.FS

// Files returns the paths of all sample schemas in FS, sorted: "xdf1/…",
// "xdf2/…", "xdf3/…".
func Files() []string {
	var out []string
	for _, dir := range []string{"xdf1", "xdf2", "xdf3"} {
		entries, err := fs.ReadDir(FS, dir)
		if err != nil {
			panic(err) // the directories are embedded at build time
		}
		for _, e := range entries {
			out = append(out, path.Join(dir, e.Name()))
		}
	}
	slices.Sort(out)
	return out
}
