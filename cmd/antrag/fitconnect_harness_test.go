package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/antrag/antrag/internal/fitconnect"
	"github.com/antrag/antrag/internal/fitconnect/fitconnecttest"
	"github.com/antrag/antrag/internal/form"
	"github.com/antrag/antrag/internal/sealed"
	"github.com/antrag/antrag/internal/store"
	"github.com/antrag/antrag/internal/submission"
)

// An installation set up the way an operator does it, against a FIT-Connect
// test double running in the test process: the demo tenants, Musterstadt's
// service "mutterschutz-nachtarbeit" (S00000000371) delivering to a
// destination of Beispielkreis, which receives it into its inbox.

const (
	fcDestination = "0b6f6a3e-4d2c-4f19-9a57-3c8e2d1f7b40"
	fcForm        = "musterstadt.mutterschutz-nachtarbeit"
	fcSample      = "../../internal/fim/samples/xdf3/S00000000371_xdf3.xml"
	fcLeika       = "99006053006000"
)

type fcInstallation struct {
	dataDir   string
	keysDir   string
	env       map[string]string
	double    *fitconnecttest.Double
	doubleURL string
	callback  []byte
}

// newFCInstallation creates the data directory with tenants, accounts and
// targets, using the CLI as an operator would. extraEnv is added to the
// environment of every later command (timings).
func newFCInstallation(t *testing.T, extraEnv map[string]string) *fcInstallation {
	t.Helper()
	// antrag receives a submission while it answers the callback; on a
	// loaded machine that may take longer than the double's default limit
	// of a callback attempt.
	dbl, srv := fitconnecttest.NewServer(t, fitconnecttest.Options{MaxSubmissions: 100000, MaxStoredBytes: 8 << 30,
		CallbackTimeout: waitEvent})
	in := &fcInstallation{dataDir: t.TempDir(), keysDir: t.TempDir(), double: dbl, doubleURL: srv.URL}
	in.env = map[string]string{
		"ANTRAG_DATA":                      in.dataDir,
		"ANTRAG_FITCONNECT_TOKEN_URL":      srv.URL + "/token",
		"ANTRAG_FITCONNECT_SUBMISSION_API": srv.URL,
		"ANTRAG_FITCONNECT_TRUST_ANCHORS":  filepath.Join(in.keysDir, "ca.pem"),
		"ANTRAG_DELIVERY_FIRST_RETRY":      "50ms",
		"ANTRAG_DELIVERY_MAX_RETRY":        "200ms",
		"ANTRAG_DELIVERY_CHECK":            "50ms",
		"ANTRAG_FITCONNECT_FOLLOW":         "200ms",
		"ANTRAG_FITCONNECT_POLL":           "1h",
	}
	for k, v := range extraEnv {
		in.env[k] = v
	}
	mustCmd := func(env map[string]string, args ...string) string {
		t.Helper()
		out, errOut, err := runCmd(t, env, args...)
		if err != nil {
			t.Fatalf("antrag %s: %v\n%s%s", strings.Join(args, " "), err, out, errOut)
		}
		return out
	}
	mustCmd(nil, "fitconnect", "keys", "--out", in.keysDir, "--name", "Zustellpunkt Beispielkreis (Test)")
	// The first start creates the database and the demo tenants.
	s := startServe(t, in.env, "--demo")
	if err := s.stop(); err != nil {
		t.Fatalf("first start: %v\n%s", err, s.stderr.String())
	}
	mustCmd(in.env, "service", "publish", "--tenant", "musterstadt", "--slug", "mutterschutz-nachtarbeit", "--leika", fcLeika, fcSample)
	mustCmd(in.env, "service", "targets", "--tenant", "musterstadt", "--slug", "mutterschutz-nachtarbeit", "--fitconnect", fcDestination)
	dbl.AddClient("stadt-versand", "geheim-stadt")
	dbl.AddClient("kreis-empfang", "geheim-kreis")
	mustCmd(map[string]string{"ANTRAG_DATA": in.dataDir, "ANTRAG_DB": in.env["ANTRAG_DB"], "ANTRAG_FITCONNECT_CLIENT_SECRET": "geheim-stadt"},
		"fitconnect", "sender", "--tenant", "musterstadt", "--client-id", "stadt-versand")
	in.callback = []byte("callback-geheimnis-mit-mindestens-32-bytes")
	cbFile := filepath.Join(in.keysDir, "callback")
	if err := os.WriteFile(cbFile, in.callback, 0o600); err != nil {
		t.Fatal(err)
	}
	mustCmd(map[string]string{"ANTRAG_DATA": in.dataDir, "ANTRAG_DB": in.env["ANTRAG_DB"], "ANTRAG_FITCONNECT_CLIENT_SECRET": "geheim-kreis"},
		"fitconnect", "subscriber", "--tenant", "beispielkreis", "--destination", fcDestination, "--client-id", "kreis-empfang",
		"--keys", filepath.Join(in.keysDir, "zustellpunkt.private.jwks.json"), "--callback-secret-file", cbFile)
	return in
}

// register tells the double about the destination, with callbacks to
// base (none if base is "").
func (in *fcInstallation) register(t *testing.T, base string) {
	t.Helper()
	pub, err := os.ReadFile(filepath.Join(in.keysDir, "zustellpunkt.public.jwks.json"))
	if err != nil {
		t.Fatal(err)
	}
	keys, err := fitconnect.ParseJWKSet(pub)
	if err != nil {
		t.Fatal(err)
	}
	encKid := ""
	for _, k := range keys {
		if k.Algorithm == "RSA-OAEP-256" {
			encKid = k.KeyID
		}
	}
	d := fitconnecttest.Destination{ID: fcDestination, PublicKeys: pub, EncryptionKid: encKid,
		Services: []fitconnecttest.Service{{Identifier: fitconnect.LeikaURN(fcLeika), Name: "Mutterschutz",
			SubmissionSchemas: []fitconnecttest.Schema{{URI: form.DefaultSchemaURI("S00000000371", "1.0.0"), MimeType: "application/json"}}}},
		CallbackSecret: in.callback}
	if base != "" {
		d.CallbackURL = base + callbackPath + fcDestination
	}
	if err := in.double.AddDestination(d); err != nil {
		t.Fatal(err)
	}
}

// open opens the installation's database from the test (read and check).
func (in *fcInstallation) open(t *testing.T) *store.DB {
	t.Helper()
	key, err := sealed.LoadOrCreateKey(filepath.Join(in.dataDir, "schluessel"))
	if err != nil {
		t.Fatal(err)
	}
	box, err := sealed.New(key)
	if err != nil {
		t.Fatal(err)
	}
	dsn := "sqlite:" + filepath.Join(in.dataDir, "antrag.db")
	if v := in.env["ANTRAG_DB"]; v != "" {
		dsn = v
	}
	db, err := store.Open(context.Background(), dsn, box)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

var fcExample = sync.OnceValues(func() (map[string]any, error) {
	var out, errb bytes.Buffer
	if err := run(context.Background(), []string{"fim", "example", fcSample}, envMap(nil), strings.NewReader(""), &out, &errb); err != nil {
		return nil, fmt.Errorf("%v: %s", err, errb.String())
	}
	var doc map[string]any
	err := json.Unmarshal(out.Bytes(), &doc)
	return doc, err
})

// fcFileFields are the file fields of S00000000371's group G00000002195.
var fcFileFields = []string{"F00000003392", "F00000003393", "F00000003395"}

// sendFC submits the example application with the given attachments
// (name → content, at most three) through the JSON API and returns the
// answer.
func sendFC(c *http.Client, base string, files [][2]string) (apiSubmission, error) {
	c, violations := apiChecked(c)
	ex, err := fcExample()
	if err != nil {
		return apiSubmission{}, err
	}
	var doc map[string]any
	b, _ := json.Marshal(ex)
	json.Unmarshal(b, &doc)
	group, _ := doc["G00000002195"].(map[string]any)
	if group == nil {
		return apiSubmission{}, fmt.Errorf("example has no G00000002195")
	}
	for _, k := range fcFileFields[len(files):] {
		delete(group, k)
	}
	draft := ""
	for i, f := range files {
		req, _ := http.NewRequest("POST", base+"/api/v1/forms/"+fcForm+"/attachments?filename="+f[0], strings.NewReader(f[1]))
		if draft != "" {
			req.Header.Set("Antrag-Entwurf", draft)
		}
		resp, err := c.Do(req)
		if err != nil {
			return apiSubmission{}, err
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != 201 {
			return apiSubmission{}, fmt.Errorf("upload: %d %s", resp.StatusCode, body)
		}
		var up struct {
			Draft string         `json:"draft"`
			File  map[string]any `json:"file"`
		}
		if err := json.Unmarshal(body, &up); err != nil {
			return apiSubmission{}, err
		}
		draft = up.Draft
		group[fcFileFields[i]] = []any{up.File}
	}
	body, _ := json.Marshal(map[string]any{"data": doc})
	req, _ := http.NewRequest("POST", base+"/api/v1/forms/"+fcForm+"/submissions", bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	if draft != "" {
		req.Header.Set("Antrag-Entwurf", draft)
	}
	resp, err := c.Do(req)
	if err != nil {
		return apiSubmission{}, err
	}
	defer resp.Body.Close()
	rb, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != 201 {
		return apiSubmission{}, fmt.Errorf("submit: %d %s", resp.StatusCode, rb)
	}
	if err := violations(); err != nil {
		return apiSubmission{}, err
	}
	var s apiSubmission
	err = json.Unmarshal(rb, &s)
	return s, err
}

// Deadlines of the waits for an event. They are far longer than the event
// takes on an idle machine, so that a loaded one (CI, a second go test
// beside this one) does not miss them; a generous deadline costs nothing
// when the event comes early.
const (
	// waitEvent: a delivery, a state change, an answer, which take a
	// second or two.
	waitEvent = 60 * time.Second
	// waitLong: a server start-up, a flow of several processes.
	waitLong = 120 * time.Second
)

// eventually polls cond every 20 ms until it is true or the deadline
// passes; then it fails with cond's last message, which should show the
// state waited for.
func eventually(t *testing.T, within time.Duration, cond func() (bool, string)) {
	t.Helper()
	deadline := time.Now().Add(within)
	for {
		ok, msg := cond()
		if ok {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("not within %v: %s", within, msg)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// received lists Beispielkreis's submissions that came over FIT-Connect.
func received(t *testing.T, db *store.DB) []*submission.Submission {
	t.Helper()
	kreis, err := db.TenantBySlug(context.Background(), "beispielkreis")
	if err != nil {
		t.Fatal(err)
	}
	subs, err := db.ListSubmissions(context.Background(), kreis.ID, submission.Filter{Limit: 100000})
	if err != nil {
		t.Fatal(err)
	}
	var out []*submission.Submission
	for _, s := range subs {
		if s.Source == submission.SourceFITConnect {
			out = append(out, s)
		}
	}
	return out
}

// submissionRefs lists the ids and references of submissions for a failure message.
func submissionRefs(subs []*submission.Submission) string {
	var b strings.Builder
	for i, s := range subs {
		if i > 0 {
			b.WriteString(", ")
		}
		fmt.Fprintf(&b, "%s (%s, %s)", s.ID, s.Reference, s.Status)
	}
	return "[" + b.String() + "]"
}
