package main

import (
	"bytes"
	"context"
	"encoding/base64"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/antrag/antrag/internal/store/storetest"
)

// emptyInstallation creates an installation without tenants on the
// database dsn names ("" for SQLite in the data directory) and returns
// the environment that selects it.
func emptyInstallation(t *testing.T, dsn string) map[string]string {
	t.Helper()
	dir := t.TempDir()
	if dsn == "" {
		dsn = "sqlite:" + filepath.Join(dir, "antrag.db")
	}
	key := base64.StdEncoding.EncodeToString(bytes.Repeat([]byte{9}, 32))
	c := &serveConfig{dataDir: dir, db: dsn, dataKey: key}
	box, err := openBox(c)
	if err != nil {
		t.Fatal(err)
	}
	st, err := openDB(context.Background(), c, box)
	if err != nil {
		t.Fatal(err)
	}
	st.Close()
	return map[string]string{"ANTRAG_DATA": dir, "ANTRAG_DB": dsn, "ANTRAG_DATA_KEY": key, "USER": "test-operator"}
}

const cliCatalogue = `version: 1
tenants:
  - slug: erfurt
    name: Stadt Erfurt
    kind: gemeinde
    ars: "160510000000"
    authorities:
      - name: Bürgeramt Erfurt
        phone: "0361 000"
        efa: {zahlung.kennung: "E-1"}
    services:
      - slug: asbest
        name: Asbest-Anzeige
        authority: Bürgeramt Erfurt
        shared: true
        fee: Die Gebühr beträgt 26,00 Euro.
        form:
          file: formulare/asbest.xml
          corrections: [{rule: R00001192, version: "1.0", note: "widersprüchlich, ohne Wirkung"}]
          acknowledged: [R00001343]
        targets:
          - kind: inbox
          - kind: webhook
            url: https://fachverfahren.example/eingang
            secret: {file: geheim/webhook}
    jurisdictions:
      - service: asbest
        authority: Bürgeramt Erfurt
        ars: "16051"
  - slug: gotha
    name: Landkreis Gotha
    kind: landkreis
    authorities:
      - name: Landratsamt Gotha
    offers:
      - service: erfurt/asbest
        authority_targets:
          - authority: Landratsamt Gotha
            targets:
              - kind: email
                address: asbest@gotha.example
    jurisdictions:
      - service: erfurt/asbest
        authority: Landratsamt Gotha
        ars: "16067"
`

// writeCatalogue writes cliCatalogue with its form and secret into a new
// directory and returns the file's path.
func writeCatalogue(t *testing.T, doc string) string {
	t.Helper()
	dir := t.TempDir()
	xdf, err := os.ReadFile(filepath.Join("..", "..", "internal", "fim", "samples", "xdf2", "S00000186_V1.0_xdf2.xml"))
	if err != nil {
		t.Fatal(err)
	}
	for name, data := range map[string][]byte{
		"katalog.yaml":         []byte(doc),
		"formulare/asbest.xml": xdf,
		"geheim/webhook":       []byte("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw\n"),
	} {
		p := filepath.Join(dir, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, data, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	return filepath.Join(dir, "katalog.yaml")
}

// TestCatalogApplyAndExport: dry run changes nothing; apply, and again
// (nothing to do); export with the secrets; the export applied to an empty
// installation exports the same catalogue and the same files. On SQLite
// and on PostgreSQL (ANTRAG_TEST_POSTGRES).
func TestCatalogApplyAndExport(t *testing.T) {
	for _, d := range storetest.Dialects() {
		t.Run(d.Name, func(t *testing.T) {
			dsn := func() string { return "" }
			if d.Name == "postgres" {
				dsn = func() string { return storetest.NewPostgresDatabase(t) }
			}
			env := emptyInstallation(t, dsn())
			file := writeCatalogue(t, cliCatalogue)

			out, stderr, err := runCmd(t, env, "catalog", "apply", "--dry-run", file)
			if err != nil || !strings.Contains(out, "erfurt: Mandant erfurt angelegt") || !strings.Contains(out, "Probelauf") {
				t.Fatalf("dry run: %v\n%s%s", err, out, stderr)
			}
			if out, _, _ := runCmd(t, env, "tenant", "list"); strings.Contains(out, "erfurt") {
				t.Fatalf("the dry run created a tenant:\n%s", out)
			}
			out, stderr, err = runCmd(t, env, "catalog", "apply", file)
			if err != nil || !strings.Contains(out, "Katalog angewendet") || !strings.Contains(out, "erfurt: Dienst asbest veröffentlicht") ||
				!strings.Contains(out, "als test-operator") {
				t.Fatalf("apply: %v\n%s%s", err, out, stderr)
			}
			out, _, err = runCmd(t, env, "catalog", "apply", file)
			if err != nil || !strings.Contains(out, "Keine Änderungen") {
				t.Fatalf("second apply: %v\n%s", err, out)
			}
			out, _, err = runCmd(t, env, "service", "list")
			if err != nil || !strings.Contains(out, "asbest") || !strings.Contains(out, "ja") {
				t.Errorf("service list: %v\n%s", err, out)
			}

			exported := t.TempDir()
			secrets := filepath.Join(t.TempDir(), "geheim.env")
			out, stderr, err = runCmd(t, env, "catalog", "export", "--dir", exported, "--secrets-file", secrets)
			if err != nil || !strings.Contains(out, "ANTRAG_SECRET_ERFURT_ERFURT_ASBEST") {
				t.Fatalf("export: %v\n%s%s", err, out, stderr)
			}
			fi, err := os.Stat(secrets)
			if err != nil || fi.Mode().Perm() != 0o600 {
				t.Fatalf("secrets file: %v %v", fi, err)
			}
			katalog, err := os.ReadFile(filepath.Join(exported, "katalog.yaml"))
			if err != nil {
				t.Fatal(err)
			}
			if strings.Contains(string(katalog), "whsec_") {
				t.Errorf("the export holds the secret:\n%s", katalog)
			}

			// Promotion: the export applied to an empty installation, with
			// the variables of the secrets file.
			env2 := emptyInstallation(t, dsn())
			lines, _ := os.ReadFile(secrets)
			for _, l := range strings.Split(strings.TrimSpace(string(lines)), "\n") {
				k, v, _ := strings.Cut(l, "=")
				env2[k] = v
			}
			out, stderr, err = runCmd(t, env2, "catalog", "apply", filepath.Join(exported, "katalog.yaml"))
			if err != nil {
				t.Fatalf("apply the export: %v\n%s%s", err, out, stderr)
			}
			again := t.TempDir()
			if _, stderr, err := runCmd(t, env2, "catalog", "export", "--dir", again); err != nil {
				t.Fatalf("second export: %v\n%s", err, stderr)
			}
			for _, name := range []string{"katalog.yaml", "forms/erfurt/asbest.xml", "forms/erfurt/asbest.corrections.json"} {
				a, errA := os.ReadFile(filepath.Join(exported, name))
				b, errB := os.ReadFile(filepath.Join(again, name))
				if errA != nil || errB != nil || !bytes.Equal(a, b) {
					t.Errorf("%s differs after export, apply, export (%v, %v):\n%s\n---\n%s", name, errA, errB, a, b)
				}
			}
		})
	}
}

// TestCatalogApplyRefuses: a hostile or broken file changes nothing and
// says where the problem is.
func TestCatalogApplyRefuses(t *testing.T) {
	t.Parallel()
	env := emptyInstallation(t, "")
	for _, c := range []struct {
		name, doc, want string
	}{
		{"inline secret", strings.Replace(cliCatalogue, "secret: {file: geheim/webhook}", "secret: whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", 1),
			"/tenants/0/services/0/targets/1/secret (Zeile 25): Geheimnisse stehen nicht in der Katalogdatei"},
		{"missing form", strings.Replace(cliCatalogue, "formulare/asbest.xml", "formulare/fehlt.xml", 1), "/tenants/0/services/0/form/file"},
		{"unknown authority", strings.Replace(cliCatalogue, "authority: Landratsamt Gotha\n        ars", "authority: Bauamt\n        ars", 1),
			"/tenants/1/jurisdictions/0/authority"},
		{"bad yaml", "tenants: [", "kein gültiges YAML"},
	} {
		out, _, err := runCmd(t, env, "catalog", "apply", writeCatalogue(t, c.doc))
		if err == nil || !strings.Contains(err.Error(), "nichts geändert") || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: %v\n%s", c.name, err, out)
		}
	}
	// A symbolic link out of the catalogue's directory is not followed.
	file := writeCatalogue(t, cliCatalogue)
	form := filepath.Join(filepath.Dir(file), "formulare", "asbest.xml")
	outside := filepath.Join(t.TempDir(), "asbest.xml")
	if err := os.Rename(form, outside); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(outside, form); err != nil {
		t.Fatal(err)
	}
	if out, _, err := runCmd(t, env, "catalog", "apply", file); err == nil || !strings.Contains(err.Error(), "/tenants/0/services/0/form/file") {
		t.Errorf("form behind a symbolic link out of the directory: %v\n%s", err, out)
	}
	if out, _, _ := runCmd(t, env, "tenant", "list"); strings.Contains(out, "erfurt") || strings.Contains(out, "gotha") {
		t.Errorf("a refused file created tenants:\n%s", out)
	}
	if _, _, err := runCmd(t, env, "catalog", "export"); err == nil {
		t.Error("export without --dir or -o accepted")
	}
}

func TestCatalogSchema(t *testing.T) {
	t.Parallel()
	out, _, err := runCmd(t, nil, "catalog", "schema")
	if err != nil || !strings.Contains(out, `"$schema": "https://json-schema.org/draft/2020-12/schema"`) {
		t.Errorf("catalog schema: %v\n%.200s", err, out)
	}
}
