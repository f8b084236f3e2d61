package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"time"

	"github.com/antrag/antrag/internal/loadgen"
)

// runLoad drives a running installation with simulated citizens and
// reports throughput and latencies. It exits with status 1 when an
// application failed.
func runLoad(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("antrag load", flag.ContinueOnError)
	fs.SetOutput(stderr)
	rawURL := fs.String("url", "http://127.0.0.1:8080", "Adresse der laufenden Installation")
	mode := fs.String("mode", loadgen.ModeMixed, "api (JSON-API), html (Formulare wie ein Browser ohne JavaScript), mixed (abwechselnd) oder page (Vergleichsmaß: je Einheit ein Abruf der Katalogseite des Mandanten)")
	citizens := fs.Int("citizens", 10, "Bürger gleichzeitig (parallele Anträge)")
	count := fs.Int("count", 100, "Anträge insgesamt (höchstens)")
	duration := fs.Duration("duration", time.Minute, "Zeitlimit; danach werden laufende Anträge abgebrochen")
	service := fs.String("service", "musterstadt.gewerbeanmeldung", "Dienst als MANDANT.DIENST")
	schema := fs.String("schema", "", "FIM-Schema (XDF) des Dienstes, wenn er keines der Beispielschemata nutzt")
	land := fs.String("land", "", "Land der zuständigen Behörde für Regeln, die davon abhängen (Standard: das des Demo-Mandanten)")
	timeout := fs.Duration("timeout", 30*time.Second, "Zeitlimit einer Anfrage")
	allowRemote := fs.Bool("allow-remote", false, "auch andere Hosts als 127.0.0.0/8, ::1 und localhost belasten")
	asJSON := fs.Bool("json", false, "Bericht als JSON")
	if err := parseFlags(fs, args, stdout); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return usageError{fmt.Sprintf("antrag load: unerwartetes Argument %q", fs.Arg(0))}
	}
	switch *mode {
	case loadgen.ModeAPI, loadgen.ModeHTML, loadgen.ModeMixed, loadgen.ModePage:
	default:
		return usageError{fmt.Sprintf("antrag load: --mode %q: erwartet api, html, mixed oder page", *mode)}
	}
	if *citizens < 1 || *count < 0 || *duration <= 0 || *timeout <= 0 {
		return usageError{"antrag load: --citizens mindestens 1, --count nicht negativ, --duration und --timeout positiv"}
	}
	u, err := loadgen.CheckURL(*rawURL, *allowRemote)
	if err != nil {
		return usageError{"antrag load: " + err.Error()}
	}
	base := u.String()
	client := loadgen.NewClient(*citizens, *timeout)
	defer client.CloseIdleConnections()

	prepCtx, cancel := context.WithTimeout(ctx, *timeout)
	svc, err := loadgen.PrepareService(prepCtx, client, base, *service, *schema, *land)
	cancel()
	if err != nil {
		return fmt.Errorf("load: %w", err)
	}
	fimID := svc.FIMID
	if svc.FIMVersion != "" {
		fimID += " " + svc.FIMVersion
	}
	fmt.Fprintf(stderr, "antrag load: %s (Schema %s aus %s, %d Schritte), %d Anträge, %d Bürger, Modus %s\n",
		svc.ID, fimID, svc.Source, len(svc.Form.Steps), *count, *citizens, *mode)

	rep, err := loadgen.Run(ctx, loadgen.Config{BaseURL: base, Mode: *mode, Citizens: *citizens, Count: *count,
		Duration: *duration, Service: svc, Client: client, Timeout: *timeout})
	if err != nil {
		return fmt.Errorf("load: %w", err)
	}
	if *asJSON {
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		enc.SetEscapeHTML(false)
		err = enc.Encode(rep)
	} else {
		err = rep.WriteText(stdout)
	}
	if err != nil {
		return err
	}
	if rep.Failed > 0 {
		fmt.Fprintf(stderr, "antrag load: %d von %d Anträgen fehlgeschlagen\n", rep.Failed, rep.Attempted)
		return exitError{1}
	}
	return nil
}
