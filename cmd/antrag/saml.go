package main

import (
	"fmt"
	"log/slog"
	"net/http"
	"path/filepath"
	"sort"
	"strings"

	crewjam "github.com/crewjam/saml"

	"github.com/antrag/antrag/internal/identity/devidp"
	"github.com/antrag/antrag/internal/identity/saml"
	"github.com/antrag/antrag/internal/store"
)

// samlConfig is the citizen login's configuration, from ANTRAG_SAML_*.
type samlConfig struct {
	profilesDir string   // ANTRAG_SAML_PROFILES: profile *.json and <id>.metadata.xml files
	idps        []string // ANTRAG_SAML_IDPS: the profiles offered; empty: all with metadata
	keyFile     string   // ANTRAG_SAML_KEY: the SP's private key (PEM); default <data>/saml-sp.key
	certFile    string   // ANTRAG_SAML_CERT: its certificate (PEM); default <data>/saml-sp.crt
}

func samlFromEnv(getenv func(string) string) samlConfig {
	c := samlConfig{profilesDir: getenv("ANTRAG_SAML_PROFILES"), keyFile: getenv("ANTRAG_SAML_KEY"), certFile: getenv("ANTRAG_SAML_CERT")}
	for _, id := range strings.Split(getenv("ANTRAG_SAML_IDPS"), ",") {
		if id = strings.TrimSpace(id); id != "" {
			c.idps = append(c.idps, id)
		}
	}
	return c
}

// devIdPPath is where `antrag serve --demo` mounts the development IdP.
const devIdPPath = "/api/demo-idp"

// setupCitizenLogin builds the SAML service provider from the profiles
// with IdP metadata, and with --demo the development IdP (returned as a
// handler to mount at devIdPPath). Without any usable profile it returns
// nil: no citizen login.
func setupCitizenLogin(c *serveConfig, db *store.DB, logger *slog.Logger) (*saml.ServiceProvider, http.Handler, error) {
	sc := c.saml
	all, err := saml.LoadProfiles(sc.profilesDir)
	if err != nil {
		return nil, nil, err
	}
	var profiles []*saml.Profile
	if len(sc.idps) > 0 {
		for _, id := range sc.idps {
			p, ok := all[id]
			if !ok {
				return nil, nil, fmt.Errorf("ANTRAG_SAML_IDPS: kein Anmeldeprofil %q", id)
			}
			if !p.Usable() {
				return nil, nil, fmt.Errorf("ANTRAG_SAML_IDPS: Anmeldeprofil %q hat keine IdP-Metadaten (%s/%s.metadata.xml)", id, sc.profilesDir, id)
			}
			profiles = append(profiles, p)
		}
	} else {
		for _, p := range all {
			if p.Usable() {
				profiles = append(profiles, p)
			}
		}
	}
	var sp *saml.ServiceProvider
	var idp *devidp.IdP
	if c.demo {
		idp, err = devidp.New(devidp.Config{BaseURL: strings.TrimSuffix(c.baseURL, "/") + devIdPPath, Logger: logger,
			ServiceProvider: func(r *http.Request, id string) (*crewjam.EntityDescriptor, error) { return sp.Descriptor(id) }})
		if err != nil {
			return nil, nil, err
		}
		profiles = append(profiles, idp.Profile())
		logger.Warn("development identity provider enabled: anyone can log in as a test person; never in production", "url", idp.EntityID())
	}
	if len(profiles) == 0 {
		return nil, nil, nil
	}
	keyFile, certFile := sc.keyFile, sc.certFile
	if keyFile == "" {
		keyFile = filepath.Join(c.dataDir, "saml-sp.key")
	}
	if certFile == "" {
		certFile = filepath.Join(c.dataDir, "saml-sp.crt")
	}
	key, cert, err := saml.LoadOrCreateKeyPair(keyFile, certFile, "antrag SAML SP")
	if err != nil {
		return nil, nil, fmt.Errorf("SAML-Schlüssel: %w", err)
	}
	sp, err = saml.New(saml.Config{Key: key, Certificate: cert, Replay: db}, profiles)
	if err != nil {
		return nil, nil, err
	}
	ids := make([]string, 0, len(profiles))
	for _, p := range profiles {
		ids = append(ids, p.ID)
	}
	sort.Strings(ids)
	logger.Info("citizen login", "idps", strings.Join(ids, ","))
	if idp == nil {
		return sp, nil, nil
	}
	return sp, idp, nil
}
