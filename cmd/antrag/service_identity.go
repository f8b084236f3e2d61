package main

import (
	"context"
	"flag"
	"fmt"
	"io"

	"github.com/antrag/antrag/internal/identity"
)

// serviceIdentity shows or sets a service's minimum Vertrauensniveau and
// its Schriftformersatz flag.
func serviceIdentity(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("antrag service identity", flag.ContinueOnError)
	fs.SetOutput(stderr)
	sf := addStoreFlags(fs, getenv)
	tenantSlug := fs.String("tenant", "", "Mandant (Kurzname)")
	slug := fs.String("slug", "", "Kurzname des Dienstes")
	niveau := fs.String("niveau", "", "verlangtes Vertrauensniveau: keins, niedrig, substantiell oder hoch")
	sfe := fs.Bool("schriftformersatz", false, "der Antrag ersetzt die Schriftform: Absenden nur mit eID-Anmeldung auf „hoch“ (--schriftformersatz=false schaltet ab)")
	if err := parseFlags(fs, args, stdout); err != nil {
		return err
	}
	if *tenantSlug == "" || *slug == "" {
		return usageError{"antrag service identity: --tenant und --slug sind nötig"}
	}
	set := map[string]bool{}
	fs.Visit(func(f *flag.Flag) { set[f.Name] = true })
	var level identity.Level
	if set["niveau"] {
		var err error
		if level, err = identity.ParseLevel(*niveau); err != nil {
			return usageError{"antrag service identity: " + err.Error()}
		}
	}
	st, t, closeFn, err := sf.openTenant(ctx, getenv, *tenantSlug)
	if err != nil {
		return err
	}
	defer closeFn()
	svc, err := st.ServiceBySlug(ctx, t.ID, *slug)
	if err != nil {
		return fmt.Errorf("Dienst %q: %w", *slug, err)
	}
	if set["niveau"] || set["schriftformersatz"] {
		if svc.TenantID != t.ID {
			return fmt.Errorf("Dienst %q gehört einem anderen Mandanten (geteilter Dienst): nur dieser kann ihn ändern", *slug)
		}
		if !set["niveau"] {
			level = svc.MinLevel
		}
		on := svc.Schriftformersatz
		if set["schriftformersatz"] {
			on = *sfe
		}
		if err := st.SetServiceIdentity(ctx, t.ID, svc.ID, level, on); err != nil {
			return err
		}
		svc.MinLevel, svc.Schriftformersatz = level, on
	}
	yes := "nein"
	if svc.Schriftformersatz {
		yes = "ja (Absenden nur mit Online-Ausweis auf „hoch“)"
	}
	fmt.Fprintf(stdout, "Dienst %s: Vertrauensniveau %s, Schriftformersatz %s\n", svc.Slug, svc.MinLevel, yes)
	return nil
}
