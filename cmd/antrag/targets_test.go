package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/antrag/antrag/internal/delivery"
	"github.com/antrag/antrag/internal/delivery/deliverytest"
	"github.com/antrag/antrag/internal/delivery/email/smtptest"
	"github.com/antrag/antrag/internal/delivery/webhook"
)

// TestWebhookAndEmailTargets configures a service with the inbox, a
// webhook and an e-mail notice through the CLI, sends an application and
// checks what arrives: a signed webhook (after two 503 answers, once per
// webhook-id) and a mail without personal data.
func TestWebhookAndEmailTargets(t *testing.T) {
	mail, err := smtptest.Start()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { mail.Close() })

	var mu sync.Mutex
	var secret string
	var bodies [][]byte
	var ids []string
	failures := 2
	hook := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		mu.Lock()
		defer mu.Unlock()
		if failures > 0 {
			failures--
			w.WriteHeader(http.StatusServiceUnavailable)
			return
		}
		if err := webhook.Verify(secret, r.Header, body, time.Now(), 0); err != nil {
			t.Errorf("webhook signature: %v", err)
			w.WriteHeader(http.StatusUnauthorized)
			return
		}
		ids = append(ids, r.Header.Get("webhook-id"))
		bodies = append(bodies, body)
		w.WriteHeader(http.StatusNoContent)
	}))
	t.Cleanup(hook.Close)

	dataDir := t.TempDir()
	env := map[string]string{"ANTRAG_DATA": dataDir, "ANTRAG_DELIVERY_FIRST_RETRY": "50ms", "ANTRAG_DELIVERY_CHECK": "50ms"}
	s := startServe(t, env, "--demo")
	if err := s.stop(); err != nil {
		t.Fatal(err)
	}
	out, errOut, err := runCmd(t, env, "service", "targets", "--tenant", "musterstadt", "--slug", "gewerbeanmeldung",
		"--inbox", "--webhook", hook.URL+"/eingang", "--email", "gewerbeamt@musterstadt.example")
	if err != nil {
		t.Fatalf("service targets: %v\n%s", err, errOut)
	}
	m := regexp.MustCompile(`whsec_[A-Za-z0-9+/=]+`).FindString(out)
	if m == "" {
		t.Fatalf("no webhook secret printed:\n%s", out)
	}
	mu.Lock()
	secret = m
	mu.Unlock()
	for _, want := range []string{"inbox", "webhook  Webhook " + hook.URL + "/eingang", "email    E-Mail an gewerbeamt@musterstadt.example"} {
		if !strings.Contains(out, want) {
			t.Errorf("targets listing lacks %q:\n%s", want, out)
		}
	}

	s = startServe(t, env, "--demo", "--smtp-addr", mail.Addr(), "--smtp-from", "antrag@musterstadt.example", "--smtp-tls", "none")
	c := &http.Client{}
	status, sub, body := submitGewerbe(t, c, s.url, "")
	if status != 201 {
		t.Fatalf("submit: %d %s", status, body)
	}
	eventually(t, waitEvent, func() (bool, string) {
		mu.Lock()
		defer mu.Unlock()
		return len(bodies) == 1 && len(mail.Messages()) == 1,
			fmt.Sprintf("webhook and mail not both arrived: %d webhook bodies (%d refusals left), %d mails", len(bodies), failures, len(mail.Messages()))
	})
	// The webhook: the submission's canonical data, the reference, and the
	// same webhook-id as the refused attempts would have had.
	var p webhook.Payload
	if err := json.Unmarshal(bodies[0], &p); err != nil {
		t.Fatal(err)
	}
	if p.Data.Reference != sub.Reference || p.Data.SubmissionID != sub.ID || len(p.Data.Data) == 0 {
		t.Errorf("webhook payload: %+v", p.Data)
	}
	in := &fcInstallation{dataDir: dataDir}
	db := in.open(t)
	stadt, _ := db.TenantBySlug(context.Background(), "musterstadt")
	// The receivers have it; the deliveries are recorded just after.
	var ds []*delivery.Delivery
	eventually(t, waitEvent, func() (bool, string) {
		var err error
		ds, err = db.Deliveries(context.Background(), stadt.ID, sub.ID)
		return err == nil && len(ds) == 3 && ds[1].State == delivery.Delivered && ds[2].State == delivery.Delivered,
			fmt.Sprintf("deliveries: %s %v", deliverytest.Format(ds), err)
	})
	if ds[1].Target.Kind != delivery.Webhook || ids[0] != ds[1].ID || ds[1].Attempts != 3 || ds[1].State != delivery.Delivered {
		t.Errorf("webhook delivery %s, webhook-id %q", deliverytest.One(ds[1]), ids[0])
	}
	stored, err := db.Submission(context.Background(), stadt.ID, sub.ID)
	if err != nil {
		t.Fatal(err)
	}
	// The mail: a notice with the link, none of the data.
	msg := string(mail.Messages()[0].Data)
	if !strings.Contains(msg, s.url+"/intern/antraege/"+sub.ID) || !strings.Contains(msg, sub.Reference) {
		t.Errorf("mail lacks the inbox link or the reference:\n%s", msg)
	}
	var doc map[string]any
	json.Unmarshal(stored.Data, &doc)
	for _, v := range stringsOf(doc) {
		if len(v) >= 5 && strings.Contains(msg, v) {
			t.Errorf("the mail contains the applicant's value %q", v)
		}
	}
	if ds[2].State != delivery.Delivered {
		t.Errorf("mail delivery: %s", deliverytest.One(ds[2]))
	}

}

// stringsOf returns every string value in a data document.
func stringsOf(v any) []string {
	switch x := v.(type) {
	case string:
		return []string{x}
	case map[string]any:
		var out []string
		for _, e := range x {
			out = append(out, stringsOf(e)...)
		}
		return out
	case []any:
		var out []string
		for _, e := range x {
			out = append(out, stringsOf(e)...)
		}
		return out
	}
	return nil
}

// TestTargetsKeepWebhookSecrets: changing a service's targets keeps the
// secret of a webhook that stays, unless --new-secrets; a place named
// twice is refused.
func TestTargetsKeepWebhookSecrets(t *testing.T) {
	dataDir := t.TempDir()
	env := map[string]string{"ANTRAG_DATA": dataDir}
	s := startServe(t, env, "--demo")
	if err := s.stop(); err != nil {
		t.Fatal(err)
	}
	secretRE := regexp.MustCompile(`whsec_[A-Za-z0-9+/=]+`)
	targets := func(args ...string) string {
		t.Helper()
		out, errOut, err := runCmd(t, env, append([]string{"service", "targets", "--tenant", "musterstadt", "--slug", "gewerbeanmeldung"}, args...)...)
		if err != nil {
			t.Fatalf("targets %q: %v\n%s", args, err, errOut)
		}
		return out
	}
	first := secretRE.FindString(targets("--webhook", "https://fv.example/a"))
	if first == "" {
		t.Fatal("no secret for a new webhook")
	}
	if out := targets("--webhook", "https://fv.example/a", "--email", "amt@musterstadt.example"); secretRE.MatchString(out) {
		t.Errorf("a staying webhook got a new secret:\n%s", out)
	}
	stored := func() string {
		in := &fcInstallation{dataDir: dataDir}
		db := in.open(t)
		defer db.Close()
		tn, _ := db.TenantBySlug(context.Background(), "musterstadt")
		svc, _ := db.ServiceBySlug(context.Background(), tn.ID, "gewerbeanmeldung")
		ts, err := db.Targets(context.Background(), tn.ID, svc.ID)
		if err != nil {
			t.Fatal(err)
		}
		for _, tg := range ts {
			if tg.Kind == delivery.Webhook {
				return tg.Secret
			}
		}
		return ""
	}
	if got := stored(); got != first {
		t.Errorf("stored secret changed")
	}
	rotated := secretRE.FindString(targets("--webhook", "https://fv.example/a", "--new-secrets"))
	if rotated == "" || rotated == first || stored() != rotated {
		t.Errorf("--new-secrets: printed %q, stored %q, first %q", rotated, stored(), first)
	}
	if _, _, err := runCmd(t, env, "service", "targets", "--tenant", "musterstadt", "--slug", "gewerbeanmeldung",
		"--email", "a@example.org", "--email", "A@example.org"); err == nil {
		t.Error("the same mailbox twice was accepted")
	}
}
