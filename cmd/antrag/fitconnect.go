package main

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"text/tabwriter"

	"github.com/antrag/antrag/internal/delivery"
	"github.com/antrag/antrag/internal/fitconnect"
)

// The FIT-Connect commands: `antrag fitconnect keys` creates a
// destination's key pairs; `sender` and `subscriber` store a tenant's API
// accounts; `list` shows them without secrets.
func runFitconnect(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		return usageError{"antrag fitconnect: Unterbefehl fehlt (keys, sender, subscriber, list)"}
	}
	switch args[0] {
	case "-h", "--help", "help":
		fmt.Fprint(stdout, fitconnectUsage)
		return nil
	case "keys":
		return fitconnectKeys(args[1:], stdout, stderr)
	case "sender", "subscriber":
		return fitconnectAccount(ctx, args[0], args[1:], getenv, stdout, stderr)
	case "list":
		return fitconnectList(ctx, args[1:], getenv, stdout, stderr)
	}
	return usageError{fmt.Sprintf("antrag fitconnect: unbekannter Unterbefehl %q (keys, sender, subscriber, list)", args[0])}
}

// fitconnectKeys writes a destination's key pairs: the private JWK set
// (mode 0600), the public JWK set to register with the destination, and,
// unless --ca-cert/--ca-key name an existing CA, a new CA that issued the
// keys' certificates.
func fitconnectKeys(args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("antrag fitconnect keys", flag.ContinueOnError)
	fs.SetOutput(stderr)
	out := fs.String("out", ".", "Verzeichnis für die Schlüsseldateien")
	name := fs.String("name", "Zustellpunkt", "Name im Zertifikat (CN)")
	caCert := fs.String("ca-cert", "", "Zertifikat der ausstellenden CA (PEM); ohne: neue CA")
	caKey := fs.String("ca-key", "", "privater Schlüssel der ausstellenden CA (PEM)")
	if err := parseFlags(fs, args, stdout); err != nil {
		return err
	}
	files := []string{"zustellpunkt.private.jwks.json", "zustellpunkt.public.jwks.json"}
	if *caCert == "" && *caKey == "" {
		files = append(files, "ca.pem", "ca.key.pem")
	}
	for _, f := range files {
		if _, err := os.Stat(filepath.Join(*out, f)); err == nil {
			return fmt.Errorf("%s gibt es schon: vorhandene Schlüssel werden nicht überschrieben", filepath.Join(*out, f))
		}
	}
	var ca *fitconnect.CA
	var err error
	if *caCert != "" || *caKey != "" {
		cp, err1 := os.ReadFile(*caCert)
		kp, err2 := os.ReadFile(*caKey)
		if err1 != nil || err2 != nil {
			return usageError{"--ca-cert und --ca-key: beide Dateien sind nötig"}
		}
		if ca, err = fitconnect.LoadCA(cp, kp); err != nil {
			return err
		}
	} else if ca, err = fitconnect.NewCA(*name + " CA"); err != nil {
		return err
	}
	keys, err := fitconnect.GenerateDestinationKeys(*name, ca)
	if err != nil {
		return err
	}
	if err := os.MkdirAll(*out, 0o700); err != nil {
		return err
	}
	write := func(file string, b []byte, mode os.FileMode) error {
		path := filepath.Join(*out, file)
		f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, mode)
		if err != nil {
			return fmt.Errorf("%s: %w (vorhandene Schlüssel werden nicht überschrieben)", path, err)
		}
		if _, err := f.Write(append(b, '\n')); err != nil {
			f.Close()
			return err
		}
		return f.Close()
	}
	if err := write("zustellpunkt.private.jwks.json", keys.PrivateJWKS, 0o600); err != nil {
		return err
	}
	if err := write("zustellpunkt.public.jwks.json", keys.PublicJWKS, 0o644); err != nil {
		return err
	}
	if *caCert == "" {
		kp, err := ca.KeyPEM()
		if err != nil {
			return err
		}
		if err := write("ca.pem", ca.CertPEM(), 0o644); err != nil {
			return err
		}
		if err := write("ca.key.pem", kp, 0o600); err != nil {
			return err
		}
	}
	fmt.Fprintf(stdout, "Schlüssel des Zustellpunkts in %s:\n", *out)
	fmt.Fprintf(stdout, "  zustellpunkt.private.jwks.json  privat (Entschlüsselung %s, Signatur %s); für antrag fitconnect subscriber --keys\n", keys.EncryptionKid, keys.SigningKid)
	fmt.Fprintln(stdout, "  zustellpunkt.public.jwks.json   öffentlich; beim Zustellpunkt im Self-Service-Portal hinterlegen")
	if *caCert == "" {
		fmt.Fprintln(stdout, "  ca.pem, ca.key.pem              eigene CA (nur für Tests: in Produktion stellt die Verwaltungs-PKI die Zertifikate aus)")
	}
	return nil
}

// fitconnectAccount stores a tenant's sender account, or a subscriber
// account for one destination.
func fitconnectAccount(ctx context.Context, role string, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("antrag fitconnect "+role, flag.ContinueOnError)
	fs.SetOutput(stderr)
	sf := addStoreFlags(fs, getenv)
	tenantSlug := fs.String("tenant", "", "Mandant (Kurzname)")
	clientID := fs.String("client-id", "", "Client-ID des API-Clients")
	secretFile := fs.String("client-secret-file", "", "Datei mit dem Client-Secret (sonst ANTRAG_FITCONNECT_CLIENT_SECRET)")
	var dest, keysFile, callbackFile *string
	if role == "subscriber" {
		dest = fs.String("destination", "", "Zustellpunkt-ID (UUID)")
		keysFile = fs.String("keys", "", "private JWK-Menge des Zustellpunkts (von antrag fitconnect keys)")
		callbackFile = fs.String("callback-secret-file", "", "Datei mit dem Callback-Geheimnis (ohne: neu erzeugt und ausgegeben)")
	}
	if err := parseFlags(fs, args, stdout); err != nil {
		return err
	}
	if *tenantSlug == "" || *clientID == "" {
		return usageError{"antrag fitconnect " + role + ": --tenant und --client-id sind nötig"}
	}
	secret := getenv("ANTRAG_FITCONNECT_CLIENT_SECRET")
	if *secretFile != "" {
		b, err := os.ReadFile(*secretFile)
		if err != nil {
			return err
		}
		secret = strings.TrimSpace(string(b))
	}
	if secret == "" {
		return usageError{"Client-Secret fehlt: --client-secret-file oder ANTRAG_FITCONNECT_CLIENT_SECRET"}
	}
	acc := &delivery.FITConnectAccount{Role: delivery.RoleSender, ClientID: *clientID, ClientSecret: secret}
	newCallback := ""
	if role == "subscriber" {
		acc.Role, acc.DestinationID = delivery.RoleSubscriber, strings.ToLower(*dest)
		if *keysFile == "" {
			return usageError{"--keys ist nötig"}
		}
		b, err := os.ReadFile(*keysFile)
		if err != nil {
			return err
		}
		acc.PrivateKeys = b
		if _, err := fitconnect.DestinationOf(acc); err != nil {
			return err
		}
		if *callbackFile != "" {
			b, err := os.ReadFile(*callbackFile)
			if err != nil {
				return err
			}
			acc.CallbackSecret = []byte(strings.TrimSpace(string(b)))
		} else {
			raw := make([]byte, 32)
			rand.Read(raw)
			newCallback = base64.RawURLEncoding.EncodeToString(raw)
			acc.CallbackSecret = []byte(newCallback)
		}
	}
	st, t, closeFn, err := sf.openTenant(ctx, getenv, *tenantSlug)
	if err != nil {
		return err
	}
	defer closeFn()
	acc.TenantID = t.ID
	if err := st.SetFITConnectAccount(ctx, acc); err != nil {
		return err
	}
	if role == "sender" {
		fmt.Fprintf(stdout, "FIT-Connect-Senderkonto von %s gespeichert.\n", t.Slug)
		return nil
	}
	fmt.Fprintf(stdout, "Zustellpunkt %s für %s gespeichert.\nCallback-Adresse: <--base-url>%s%s\n", acc.DestinationID, t.Slug, callbackPath, acc.DestinationID)
	if newCallback != "" {
		fmt.Fprintf(stdout, "Callback-Geheimnis (nur jetzt angezeigt; im Self-Service-Portal eintragen):\n  %s\n", newCallback)
	}
	return nil
}

func fitconnectList(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("antrag fitconnect list", flag.ContinueOnError)
	fs.SetOutput(stderr)
	sf := addStoreFlags(fs, getenv)
	if err := parseFlags(fs, args, stdout); err != nil {
		return err
	}
	st, closeFn, err := sf.open(ctx, getenv)
	if err != nil {
		return err
	}
	defer closeFn()
	tenants, err := st.ListTenants(ctx)
	if err != nil {
		return err
	}
	slugs := map[string]string{}
	tw := tabwriter.NewWriter(stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "MANDANT\tROLLE\tZUSTELLPUNKT\tCLIENT-ID")
	for _, t := range tenants {
		slugs[t.ID] = t.Slug
		if acc, err := st.FITConnectSender(ctx, t.ID); err == nil {
			fmt.Fprintf(tw, "%s\tsender\t-\t%s\n", t.Slug, acc.ClientID)
		}
	}
	dests, err := st.FITConnectDestinations(ctx)
	if err != nil {
		return err
	}
	for _, acc := range dests {
		fmt.Fprintf(tw, "%s\tsubscriber\t%s\t%s\n", slugs[acc.TenantID], acc.DestinationID, acc.ClientID)
	}
	return tw.Flush()
}

const fitconnectUsage = `antrag fitconnect – FIT-Connect-Konten und Schlüssel

  antrag fitconnect keys [--out DIR] [--name CN] [--ca-cert PEM --ca-key PEM]
      Schlüsselpaare (Entschlüsselung RSA-OAEP-256, Signatur PS512) eines Zustellpunkts erzeugen
  antrag fitconnect sender --tenant MANDANT --client-id ID [--client-secret-file DATEI]
      Senderkonto eines Mandanten speichern
  antrag fitconnect subscriber --tenant MANDANT --destination UUID --client-id ID --keys PRIVATE-JWKS
                               [--client-secret-file DATEI] [--callback-secret-file DATEI]
      Zustellpunkt eines Mandanten (Empfang) speichern
  antrag fitconnect list
      Konten auflisten (ohne Geheimnisse)

Das Client-Secret kommt aus der Datei oder aus ANTRAG_FITCONNECT_CLIENT_SECRET.
`
