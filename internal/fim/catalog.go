package fim

import (
	"embed"
	"fmt"
	"io/fs"
	"os"
	"path"
	"slices"
	"strings"
	"sync"

	"github.com/antrag/antrag/internal/form"
)

// Catalog holds code lists by canonical version URI and resolves the
// codelisteReferenz elements of a schema against them. It is safe for
// concurrent use once filled.
type Catalog struct {
	mu    sync.RWMutex
	lists map[string]*form.Codeliste // canonical version URI → list
}

// NewCatalog returns an empty catalogue.
func NewCatalog() *Catalog { return &Catalog{lists: map[string]*form.Codeliste{}} }

//go:embed codelists/*.xml
var embeddedCodelists embed.FS

var (
	defaultOnce    sync.Once
	defaultCatalog *Catalog
	defaultErr     error
)

// DefaultCatalog returns a catalogue of the code lists shipped inside the
// binary (internal/fim/codelists; see SOURCES.md there). It is read once;
// callers that add lists must Clone it first.
func DefaultCatalog() (*Catalog, error) {
	defaultOnce.Do(func() {
		c := NewCatalog()
		if err := c.AddFS(embeddedCodelists, "codelists"); err != nil {
			defaultErr = err
			return
		}
		defaultCatalog = c
	})
	return defaultCatalog, defaultErr
}

// Clone returns a copy that can be extended without changing c.
func (c *Catalog) Clone() *Catalog {
	c.mu.RLock()
	defer c.mu.RUnlock()
	n := NewCatalog()
	for k, v := range c.lists {
		n.lists[k] = v
	}
	return n
}

// Add puts a list into the catalogue, replacing one with the same canonical
// version URI.
func (c *Catalog) Add(cl *form.Codeliste) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.lists[cl.CanonicalVersionURI] = cl
}

// AddDir adds every *.xml genericode file in dir (not its subdirectories),
// the operator's own code lists. An unreadable file is an error naming it.
func (c *Catalog) AddDir(dir string) error {
	return c.AddFS(os.DirFS(dir), ".")
}

// AddFS adds every *.xml genericode file in the directory dir of fsys.
func (c *Catalog) AddFS(fsys fs.FS, dir string) error {
	entries, err := fs.ReadDir(fsys, dir)
	if err != nil {
		return fmt.Errorf("Codelisten-Verzeichnis: %w", err)
	}
	for _, ent := range entries {
		if ent.IsDir() || !strings.EqualFold(path.Ext(ent.Name()), ".xml") {
			continue
		}
		name := path.Join(dir, ent.Name())
		f, err := fsys.Open(name)
		if err != nil {
			return fmt.Errorf("Codeliste %s: %w", name, err)
		}
		cl, err := ReadGenericode(f)
		f.Close()
		if err != nil {
			return fmt.Errorf("Codeliste %s: %w", name, err)
		}
		c.Add(cl)
	}
	return nil
}

// Resolve finds the list a reference names, by its canonical version URI
// (surrounding white space ignored). A list of another version does not
// resolve: its codes may differ.
func (c *Catalog) Resolve(ref form.CodelisteRef) (*form.Codeliste, bool) {
	c.mu.RLock()
	defer c.mu.RUnlock()
	cl, ok := c.lists[strings.TrimSpace(ref.CanonicalVersionURI)]
	return cl, ok
}

// Versions returns the canonical version URIs the catalogue holds for a
// canonical URI, sorted.
func (c *Catalog) Versions(canonicalURI string) []string {
	c.mu.RLock()
	defer c.mu.RUnlock()
	var out []string
	for k, v := range c.lists {
		if v.CanonicalURI == strings.TrimSpace(canonicalURI) {
			out = append(out, k)
		}
	}
	slices.Sort(out)
	return out
}

// Len returns the number of lists.
func (c *Catalog) Len() int {
	c.mu.RLock()
	defer c.mu.RUnlock()
	return len(c.lists)
}
