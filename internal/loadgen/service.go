package loadgen

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"path"
	"sort"
	"strings"
	"time"

	"github.com/antrag/antrag/internal/fim"
	"github.com/antrag/antrag/internal/fim/samples"
	"github.com/antrag/antrag/internal/form"
	"github.com/antrag/antrag/internal/journey"
	"github.com/antrag/antrag/internal/rules"
)

// Service is the online service the simulated citizens apply for, with the
// form prepared from its FIM schema and the example data they enter.
type Service struct {
	ID         string // form id: <tenant>.<service>
	Tenant     string
	Slug       string
	FIMID      string
	FIMVersion string
	Source     string // where the schema came from: a sample path or a file
	Form       *journey.Form
	Example    map[string]any // as `antrag fim example` makes it
}

// demoLaender are the Länder of the demo tenants (from their ARS), for the
// rules that depend on the Land of the responsible authority.
var demoLaender = map[string]string{"musterstadt": "TH", "beispielkreis": "RP"}

// apiService is the part of an entry of GET /api/v1/services used here.
type apiService struct {
	ID     string `json:"id"`
	Tenant string `json:"tenant"`
	Form   struct {
		FIMID      string `json:"fimId"`
		FIMVersion string `json:"fimVersion"`
	} `json:"form"`
}

// PrepareService looks the service up on the server (GET /api/v1/services)
// and builds its form from the FIM schema: schemaFile if given, else the
// sample schema of internal/fim/samples with the published FIM id and
// version (the schemas the demo catalogue publishes). land is the Land for
// Land-dependent rules; "" takes the demo tenant's.
func PrepareService(ctx context.Context, c *http.Client, baseURL, id, schemaFile, land string) (*Service, error) {
	tenantSlug, slug, ok := strings.Cut(id, ".")
	if !ok || tenantSlug == "" || slug == "" {
		return nil, fmt.Errorf("Dienst %q: erwartet MANDANT.DIENST, z. B. musterstadt.gewerbeanmeldung", id)
	}
	svcs, err := listServices(ctx, c, baseURL)
	if err != nil {
		return nil, err
	}
	var found *apiService
	var ids []string
	for i := range svcs {
		ids = append(ids, svcs[i].ID)
		if svcs[i].ID == id {
			found = &svcs[i]
		}
	}
	if found == nil {
		sort.Strings(ids)
		return nil, fmt.Errorf("Dienst %q ist auf %s nicht veröffentlicht (vorhanden: %s)", id, baseURL, strings.Join(ids, ", "))
	}
	cat, err := fim.DefaultCatalog()
	if err != nil {
		return nil, err
	}
	var s *form.Schema
	var source string
	if schemaFile != "" {
		s, _, err = fim.ImportFile(schemaFile, fim.Options{Catalog: cat})
		if err != nil {
			return nil, err
		}
		if s.ID != found.Form.FIMID {
			return nil, fmt.Errorf("%s ist das Schema %s, der Dienst %s nutzt %s", schemaFile, s.ID, id, found.Form.FIMID)
		}
		source = schemaFile
	} else {
		s, source, err = sampleSchema(cat, found.Form.FIMID, found.Form.FIMVersion)
		if err != nil {
			return nil, fmt.Errorf("Dienst %s: %w", id, err)
		}
	}
	if land == "" {
		land = demoLaender[tenantSlug]
	}
	f := journey.NewForm(s)
	return &Service{
		ID: id, Tenant: tenantSlug, Slug: slug, FIMID: found.Form.FIMID, FIMVersion: found.Form.FIMVersion,
		Source: source, Form: f,
		Example: f.Example(rules.Context{Today: time.Now(), Bundesland: strings.ToUpper(land)}),
	}, nil
}

func listServices(ctx context.Context, c *http.Client, baseURL string) ([]apiService, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, baseURL+"/api/v1/services", nil)
	if err != nil {
		return nil, err
	}
	req.Header.Set("Accept", "application/json")
	resp, err := c.Do(req)
	if err != nil {
		return nil, fmt.Errorf("Dienste abfragen: %w", err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, 16<<20))
	if err != nil {
		return nil, fmt.Errorf("Dienste abfragen: %w", err)
	}
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("GET /api/v1/services: Status %d", resp.StatusCode)
	}
	var out []apiService
	if err := json.Unmarshal(body, &out); err != nil {
		return nil, fmt.Errorf("GET /api/v1/services: %w", err)
	}
	return out, nil
}

// sampleSchema imports the sample schema with the FIM id and version:
// first the files named after the id, then all.
func sampleSchema(cat *fim.Catalog, fimID, fimVersion string) (*form.Schema, string, error) {
	files := samples.Files()
	var named, rest []string
	for _, f := range files {
		base := path.Base(f)
		if strings.HasPrefix(base, fimID+"_") || base == fimID+".xml" {
			named = append(named, f)
		} else {
			rest = append(rest, f)
		}
	}
	var idOnly *form.Schema
	var idOnlyFile string
	for _, f := range append(named, rest...) {
		b, err := samples.FS.ReadFile(f)
		if err != nil {
			return nil, "", err
		}
		s, _, err := fim.Import(bytes.NewReader(b), f, fim.Options{Catalog: cat})
		if err != nil || s.ID != fimID {
			continue
		}
		if fimVersion == "" || s.Version == fimVersion {
			return s, f, nil
		}
		if idOnly == nil {
			idOnly, idOnlyFile = s, f
		}
	}
	if idOnly != nil {
		return nil, "", fmt.Errorf("das Beispielschema %s hat die Version %s, veröffentlicht ist %s; Schema mit --schema angeben", idOnlyFile, idOnly.Version, fimVersion)
	}
	return nil, "", fmt.Errorf("kein Beispielschema für %s; Schema mit --schema angeben", fimID)
}

// fileContent is a small file of the media type that the server's content
// sniffing accepts as such.
func fileContent(mediaType, tag string) []byte {
	switch mediaType {
	case "image/png":
		return append([]byte("\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR"), tag...)
	case "image/jpeg":
		return append([]byte("\xff\xd8\xff\xe0\x00\x10JFIF\x00"), tag...)
	}
	return []byte("%PDF-1.4\n% " + tag + "\n1 0 obj << >> endobj\ntrailer << >>\n%%EOF\n")
}
