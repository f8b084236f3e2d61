package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"

	"github.com/antrag/antrag/internal/delivery"
)

// serviceTargets shows or sets where a service's submissions are
// delivered: `antrag service targets --tenant T --slug S [--inbox]
// [--fitconnect DEST]… [--webhook URL]… [--email ADDR]…`. Without a target
// flag it lists the current targets. A new webhook target gets a fresh
// signing secret, printed once; a webhook that stays keeps its secret
// unless --new-secrets.
func serviceTargets(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("antrag service targets", flag.ContinueOnError)
	fs.SetOutput(stderr)
	sf := addStoreFlags(fs, getenv)
	tenantSlug := fs.String("tenant", "", "Mandant (Kurzname)")
	slug := fs.String("slug", "", "Kurzname des Dienstes")
	inbox := fs.Bool("inbox", false, "in den Posteingang von antrag zustellen")
	var targets []*delivery.Target
	fs.Func("fitconnect", "an diesen FIT-Connect-Zustellpunkt (UUID) zustellen; wiederholbar", func(s string) error {
		targets = append(targets, &delivery.Target{Kind: delivery.FITConnect, DestinationID: strings.ToLower(strings.TrimSpace(s))})
		return nil
	})
	fs.Func("webhook", "an diese Adresse (https://…) per Webhook zustellen; wiederholbar", func(s string) error {
		targets = append(targets, &delivery.Target{Kind: delivery.Webhook, URL: strings.TrimSpace(s)})
		return nil
	})
	fs.Func("email", "einen Hinweis (ohne Antragsdaten) an diese E-Mail-Adresse senden; wiederholbar", func(s string) error {
		targets = append(targets, &delivery.Target{Kind: delivery.Email, Address: strings.TrimSpace(s)})
		return nil
	})
	rotate := fs.Bool("new-secrets", false, "auch bleibenden Webhooks ein neues Signaturgeheimnis geben")
	if err := parseFlags(fs, args, stdout); err != nil {
		return err
	}
	if *tenantSlug == "" || *slug == "" {
		return usageError{"antrag service targets: --tenant und --slug sind nötig"}
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
	if *inbox {
		targets = append([]*delivery.Target{{Kind: delivery.Inbox}}, targets...)
	}
	if len(targets) > 0 {
		// A webhook that stays keeps its secret (unless --new-secrets):
		// its receiver verifies with it.
		old, err := st.Targets(ctx, t.ID, svc.ID)
		if err != nil {
			return err
		}
		kept := map[string]string{}
		for _, tg := range old {
			if tg.Kind == delivery.Webhook {
				kept[tg.URL] = tg.Secret
			}
		}
		var secrets []string
		for _, tg := range targets {
			if tg.Kind != delivery.Webhook {
				continue
			}
			if s, ok := kept[tg.URL]; ok && !*rotate {
				tg.Secret = s
				continue
			}
			tg.Secret = delivery.NewWebhookSecret()
			secrets = append(secrets, tg.URL+"  "+tg.Secret)
		}
		if err := st.SetTargets(ctx, t.ID, svc.ID, targets); err != nil {
			return err
		}
		fmt.Fprintf(stdout, "Zustellung für %s/%s gespeichert; sie gilt für Anträge, die ab jetzt eingehen.\n", t.Slug, svc.Slug)
		if len(secrets) > 0 {
			fmt.Fprintln(stdout, "Signaturgeheimnis des Webhooks (nur jetzt angezeigt; dem Empfänger geben):")
			for _, s := range secrets {
				fmt.Fprintln(stdout, "  "+s)
			}
		}
	}
	current, err := st.Targets(ctx, t.ID, svc.ID)
	if err != nil {
		return err
	}
	tw := tabwriter.NewWriter(stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "ART\tZIEL")
	if len(current) == 0 {
		fmt.Fprintln(tw, "inbox\tPosteingang (Standard, keine Ziele eingerichtet)")
	}
	for _, tg := range current {
		fmt.Fprintf(tw, "%s\t%s\n", tg.Kind, tg.String())
	}
	return tw.Flush()
}
