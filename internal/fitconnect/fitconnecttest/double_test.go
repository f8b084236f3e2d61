package fitconnecttest

import (
	"bytes"
	"crypto/hmac"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/go-jose/go-jose/v4"
	"github.com/google/uuid"
)

func TestTokenAndAuth(t *testing.T) {
	var now atomic.Int64
	now.Store(time.Date(2026, 5, 1, 12, 0, 0, 0, time.UTC).Unix())
	e := newEnv(t, Options{Now: func() time.Time { return time.Unix(now.Load(), 0) }, TokenTTL: 90 * time.Second}, nil)

	// Wrong secret → 401 invalid_client.
	resp, err := http.PostForm(e.base+"/token", url.Values{"grant_type": {"client_credentials"}, "client_id": {testClientID}, "client_secret": {"nope"}})
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 401 || !strings.Contains(string(b), `"invalid_client"`) {
		t.Fatalf("wrong secret: %d %s", resp.StatusCode, b)
	}

	// HTTP Basic with form-encoded credentials (RFC 6749 §2.3.1), as
	// golang.org/x/oauth2 sends them.
	req, _ := http.NewRequest("POST", e.base+"/token", strings.NewReader("grant_type=client_credentials"))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.SetBasicAuth(url.QueryEscape(testClientID), url.QueryEscape(testSecret))
	resp, err = http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	var tr map[string]any
	_ = json.NewDecoder(resp.Body).Decode(&tr)
	resp.Body.Close()
	if resp.StatusCode != 200 || tr["expires_in"] != float64(90) || tr["token_type"] != "Bearer" {
		t.Fatalf("basic: %d %v", resp.StatusCode, tr)
	}

	// Wrong grant type.
	resp, _ = http.PostForm(e.base+"/token", url.Values{"grant_type": {"password"}, "client_id": {testClientID}, "client_secret": {testSecret}})
	resp.Body.Close()
	if resp.StatusCode != 400 {
		t.Fatalf("grant_type password: %d", resp.StatusCode)
	}

	path := "/v1/destinations/" + testDestID
	e.doTok("", "GET", path, "", nil).problem(t, 401, "unauthorized")
	e.doTok("bogus", "GET", path, "", nil).problem(t, 401, "unauthorized")
	if r := e.do("GET", path, "", nil); r.status != 200 {
		t.Fatalf("valid token: %d %s", r.status, r.body)
	}
	now.Add(91)
	e.do("GET", path, "", nil).problem(t, 401, "unauthorized")

	// jwks.json needs no token.
	if r := e.doTok("", "GET", "/.well-known/jwks.json", "", nil); r.status != 200 || !bytes.Equal(r.body, e.d.PlatformJWKS()) {
		t.Fatalf("jwks: %d %s", r.status, r.body)
	}
}

func TestDestinationAndKeys(t *testing.T) {
	e := newEnv(t, Options{}, nil)
	for _, v := range []string{"v1", "v2"} {
		r := e.do("GET", "/"+v+"/destinations/"+testDestID, "", nil)
		if r.status != 200 {
			t.Fatalf("%s: %d %s", v, r.status, r.body)
		}
		var got destinationJSON
		if err := json.Unmarshal(r.body, &got); err != nil {
			t.Fatal(err)
		}
		if got.DestinationID != testDestID || got.Status != "active" || got.EncryptionKid != encKid ||
			len(got.Services) != 1 || got.Services[0].Identifier != testLeika ||
			len(got.Services[0].SubmissionSchemas) != 1 || got.Services[0].SubmissionSchemas[0].MimeType != "application/json" {
			t.Fatalf("%s destination %+v", v, got)
		}
		e.do("GET", "/"+v+"/destinations/"+uuid.NewString(), "", nil).problem(t, 404, "destination-not-found")
		e.do("GET", "/"+v+"/destinations/"+testDestID+"/keys/nope", "", nil).problem(t, 404, "key-not-found")

		r = e.do("GET", "/"+v+"/destinations/"+testDestID+"/keys/"+encKid, "", nil)
		if r.status != 200 || !bytes.Equal(r.body, encKeyJSON) {
			t.Fatalf("%s key: %d %s", v, r.status, r.body)
		}
		var k map[string]any
		_ = json.Unmarshal(r.body, &k)
		if k["x5c"] == nil || k["key_ops"].([]any)[0] != "wrapKey" {
			t.Fatalf("key lost x5c or key_ops: %s", r.body)
		}
		r = e.do("GET", "/"+v+"/destinations/"+testDestID+"/keys", "", nil)
		var set jose.JSONWebKeySet
		if err := json.Unmarshal(r.body, &set); err != nil || len(set.Keys) != 2 {
			t.Fatalf("%s keys: %v %s", v, err, r.body)
		}
	}
}

func TestAddDestinationValidation(t *testing.T) {
	testKeys(t)
	d, err := New(Options{PlatformKey: platformKey})
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	good := Destination{ID: testDestID, PublicKeys: destJWKS, EncryptionKid: encKid, Services: []Service{{Identifier: testLeika}}}
	cases := map[string]func(*Destination){
		"bad id":       func(x *Destination) { x.ID = "x" },
		"not jwks":     func(x *Destination) { x.PublicKeys = []byte("{") },
		"enc kid":      func(x *Destination) { x.EncryptionKid = sigKid },
		"no services":  func(x *Destination) { x.Services = nil },
		"bad callback": func(x *Destination) { x.CallbackURL = "ftp://x" },
		"private key": func(x *Destination) {
			x.PublicKeys = []byte(`{"keys":[{"kty":"oct","k":"AAAA","kid":"a","key_ops":["wrapKey"]}]}`)
		},
		"empty service": func(x *Destination) { x.Services = []Service{{}} },
	}
	for name, mut := range cases {
		x := good
		mut(&x)
		if err := d.AddDestination(x); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
	if err := d.AddDestination(good); err != nil {
		t.Fatal(err)
	}
}

func TestAnnounceValidation(t *testing.T) {
	e := newEnv(t, Options{}, nil)
	post := func(v string, body any) reply {
		return e.do("POST", "/"+v+"/submissions", "application/json", mustJSON(t, body))
	}
	svc := map[string]string{"identifier": testLeika}
	post("v1", map[string]any{"destinationId": uuid.NewString(), "serviceType": svc}).problem(t, 404, "destination-not-found")
	post("v1", map[string]any{"destinationId": "nope", "serviceType": svc}).problem(t, 422, "invalid-request")
	post("v1", map[string]any{"destinationId": testDestID, "serviceType": svc, "announcedAttachments": []string{"x"}}).problem(t, 422, "invalid-request")
	a := uuid.NewString()
	post("v1", map[string]any{"destinationId": testDestID, "serviceType": svc, "announcedAttachments": []string{a, a}}).problem(t, 422, "invalid-request")
	post("v1", map[string]any{"destinationId": testDestID, "serviceType": map[string]string{"identifier": "urn:de:fim:leika:leistung:99000000000000"}}).problem(t, 422, "service-not-accepted")
	post("v2", map[string]any{"destinationId": testDestID, "serviceType": svc}).problem(t, 422, "invalid-request")
	if r := post("v2", map[string]any{"destinationId": testDestID, "publicService": svc}); r.status != 201 {
		t.Fatalf("v2 announce: %d %s", r.status, r.body)
	}
	e.do("POST", "/v1/submissions", "application/json", []byte("{")).problem(t, 400, "invalid-request")
}

func TestSenderFlow(t *testing.T) {
	for _, v := range []string{"v1", "v2"} {
		t.Run(v, func(t *testing.T) {
			e := newEnv(t, Options{}, nil)
			id, att := e.announce(v, 2)
			sub := "/" + v + "/submissions/" + id.SubmissionID
			meta := map[string]string{"encryptedMetadata": encrypt(t, "{}"), "encryptedData": encrypt(t, "{}")}

			e.do("PUT", sub, "application/json", mustJSON(t, meta)).problem(t, 422, "missing-attachments")
			e.do("PUT", sub+"/attachments/"+att[0], "application/jose", []byte("a.b.c.d.e")).problem(t, 422, "invalid-jwe")
			e.do("PUT", sub+"/attachments/"+att[0], "application/jose", []byte("not a jwe")).problem(t, 422, "invalid-jwe")
			e.do("PUT", sub+"/attachments/"+att[0], "text/plain", []byte(encrypt(t, "x"))).problem(t, 415, "unsupported-media-type")
			e.do("PUT", sub+"/attachments/"+uuid.NewString(), "application/jose", []byte(encrypt(t, "x"))).problem(t, 404, "attachment-not-found")
			e.do("PUT", "/"+v+"/submissions/"+uuid.NewString()+"/attachments/"+att[0], "application/jose", []byte(encrypt(t, "x"))).problem(t, 404, "submission-not-found")
			for _, a := range att {
				for i := 0; i < 2; i++ { // second upload replaces
					if r := e.do("PUT", sub+"/attachments/"+a, "application/jose", []byte(encrypt(t, "att"))); r.status != 204 {
						t.Fatalf("upload: %d %s", r.status, r.body)
					}
				}
			}
			// Not yet submitted: invisible to the subscriber.
			e.do("GET", sub, "", nil).problem(t, 404, "submission-not-found")

			e.do("PUT", sub, "application/json", []byte(`{"encryptedMetadata":"x"}`)).problem(t, 422, "invalid-jwe")
			r := e.do("PUT", sub, "application/json", mustJSON(t, meta))
			if r.status != 202 {
				t.Fatalf("submit: %d %s", r.status, r.body)
			}
			var got ids
			_ = json.Unmarshal(r.body, &got)
			if got != id {
				t.Fatalf("submit reply %+v, want %+v", got, id)
			}
			e.do("PUT", sub, "application/json", mustJSON(t, meta)).problem(t, 409, "submission-state-invalid")
			e.do("PUT", sub+"/attachments/"+att[0], "application/jose", []byte(encrypt(t, "x"))).problem(t, 409, "submission-state-invalid")

			views := e.d.Submissions(testDestID)
			if len(views) != 1 || views[0].State != StateSubmitted || len(views[0].Attachments) != 2 ||
				views[0].EncryptedMetadata != meta["encryptedMetadata"] || len(views[0].Events) != 2 {
				t.Fatalf("view %+v", views)
			}

			// Event log: create-submission, submit-submission, signed by the platform.
			logPath := "/v1/cases/" + id.CaseID + "/events"
			if v == "v2" {
				logPath = sub + "/events"
			}
			r = e.do("GET", logPath+"?offset=0&limit=10", "", nil)
			var log struct {
				Offset, Count, TotalCount int
				EventLog                  []string
			}
			if err := json.Unmarshal(r.body, &log); err != nil || r.status != 200 {
				t.Fatalf("events: %d %s", r.status, r.body)
			}
			if log.Count != 2 || log.TotalCount != 2 || len(log.EventLog) != 2 {
				t.Fatalf("log %+v", log)
			}
			for i, want := range []string{"create-submission", "submit-submission"} {
				c := setClaims(t, e.d.PlatformJWKS(), log.EventLog[i])
				if eventOf(t, c) != want || c["iss"] != e.base || c["sub"] != "submission:"+id.SubmissionID ||
					c["txn"] != "case:"+id.CaseID || !isUUID(c["jti"].(string)) || c["iat"] == nil {
					t.Fatalf("SET %d claims %v", i, c)
				}
			}
			e.do("GET", logPath+"?limit=501", "", nil).problem(t, 400, "invalid-request")
			r = e.do("GET", logPath+"?offset=1", "", nil)
			if err := json.Unmarshal(r.body, &log); err != nil || log.Count != 1 || log.Offset != 1 || log.TotalCount != 2 {
				t.Fatalf("paged log %+v", log)
			}
			e.do("GET", "/v1/cases/"+uuid.NewString()+"/events", "", nil).problem(t, 404, "case-not-found")
		})
	}
}

func TestFailInjection(t *testing.T) {
	e := newEnv(t, Options{}, nil)
	id, _ := e.announce("v1", 0)
	e.d.Fail("PUT /v1/submissions/{id}", 2, 503)
	body := mustJSON(t, map[string]string{"encryptedMetadata": encrypt(t, "{}")})
	for i := 0; i < 2; i++ {
		e.do("PUT", "/v1/submissions/"+id.SubmissionID, "application/json", body).problem(t, 503, "service-unavailable")
	}
	if r := e.do("PUT", "/v1/submissions/"+id.SubmissionID, "application/json", body); r.status != 202 {
		t.Fatalf("after failures: %d %s", r.status, r.body)
	}
	if n := e.d.Refused(); n != 2 {
		t.Fatalf("refused %d", n)
	}
	if n := e.d.Requests()["PUT /v1/submissions/{sid}"]; n != 3 {
		t.Fatalf("requests %v", e.d.Requests())
	}

	// "*" refuses everything, the token endpoint included; {v} matches both versions.
	e.d.Fail("*", 1, 500)
	e.do("GET", "/v2/destinations/"+testDestID, "", nil).problem(t, 500, "internal-server-error")
	e.d.Fail("GET /{v}/destinations/{id}", 2, 429)
	e.do("GET", "/v2/destinations/"+testDestID, "", nil).problem(t, 429, "too-many-requests")
	e.do("GET", "/v1/destinations/"+testDestID, "", nil).problem(t, 429, "too-many-requests")
	if r := e.do("GET", "/v1/destinations/"+testDestID, "", nil); r.status != 200 {
		t.Fatalf("after failures: %d", r.status)
	}
	e.d.Fail("POST /v1/submissions", 0, 503) // n ≤ 0: no effect
	e.announce("v1", 0)
}

func TestCallback(t *testing.T) {
	secret := []byte("callback-secret")
	type got struct {
		body []byte
		ts   string
		mac  string
	}
	ch := make(chan got, 10)
	var calls atomic.Int32
	cb := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		if calls.Add(1) == 1 { // first attempt fails: the double retries
			w.WriteHeader(http.StatusInternalServerError)
			return
		}
		ch <- got{b, r.Header.Get("callback-timestamp"), r.Header.Get("callback-authentication")}
		w.WriteHeader(http.StatusNoContent)
	}))
	defer cb.Close()
	e := newEnv(t, Options{CallbackBackoff: 10 * time.Millisecond}, func(d *Destination) {
		d.CallbackURL = cb.URL + "/hook"
		d.CallbackSecret = secret
	})
	before := time.Now()
	id, _ := e.submitted("v1", 1)
	var g got
	select {
	case g = <-ch:
	case <-time.After(time.Minute): // the callback comes at once; the deadline is for a loaded machine
		t.Fatalf("no callback within a minute; log %+v", e.d.CallbackLog())
	}
	// Verify as a receiver would, independently of CallbackMAC. The
	// timestamp is the time of the attempt, in unix seconds.
	ts, err := strconv.ParseInt(g.ts, 10, 64)
	if err != nil || ts < before.Unix() || ts > time.Now().Unix() {
		t.Fatalf("timestamp %q, want one between %d and now", g.ts, before.Unix())
	}
	want := hmacHex(secret, g.ts+"."+string(g.body))
	if !hmac.Equal([]byte(want), []byte(g.mac)) {
		t.Fatalf("HMAC mismatch: got %s want %s", g.mac, want)
	}
	var body struct {
		Type        string `json:"type"`
		Submissions []ids  `json:"submissions"`
	}
	if err := json.Unmarshal(g.body, &body); err != nil {
		t.Fatal(err)
	}
	if body.Type != CallbackTypeNewSubmissions || len(body.Submissions) != 1 || body.Submissions[0] != id {
		t.Fatalf("callback body %s", g.body)
	}
	// The double logs the attempt just after the answer arrived.
	deadline := time.Now().Add(time.Minute)
	for len(e.d.CallbackLog()) < 2 && time.Now().Before(deadline) {
		time.Sleep(5 * time.Millisecond)
	}
	e.d.Close()
	log := e.d.CallbackLog()
	if len(log) != 2 || log[0].Status != 500 || log[1].Status != 204 || log[1].Attempt != 2 {
		t.Fatalf("callback log %+v", log)
	}
}

func TestCallbackStopsOnClose(t *testing.T) {
	cb := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(http.StatusServiceUnavailable)
	}))
	defer cb.Close()
	e := newEnv(t, Options{CallbackBackoff: time.Hour}, func(d *Destination) { d.CallbackURL = cb.URL })
	e.submitted("v1", 0)
	done := make(chan struct{})
	go func() { e.d.Close(); close(done) }()
	select {
	case <-done:
	case <-time.After(time.Minute): // Close returns at once; the deadline is for a loaded machine
		t.Fatal("Close did not stop the callback retries within a minute")
	}
	e.submitted("v1", 0) // after Close: no callback, no panic
}

func TestSubscriberAndSETVerification(t *testing.T) {
	for _, v := range []string{"v1", "v2"} {
		t.Run(v, func(t *testing.T) {
			e := newEnv(t, Options{}, nil)
			id, att := e.submitted(v, 1)
			other, _ := e.submitted(v, 0)
			e.announce(v, 0) // announced only: not listed

			r := e.do("GET", "/"+v+"/submissions?destinationId="+testDestID, "", nil)
			var list struct {
				Offset, Count, TotalCount int
				Submissions               []ids
			}
			if err := json.Unmarshal(r.body, &list); err != nil || list.TotalCount != 2 || list.Submissions[0] != id {
				t.Fatalf("list: %d %s", r.status, r.body)
			}
			e.do("GET", "/"+v+"/submissions?destinationId="+uuid.NewString(), "", nil).problem(t, 404, "destination-not-found")

			r = e.do("GET", "/"+v+"/submissions/"+id.SubmissionID, "", nil)
			m := r.json(t)
			svcField := map[string]string{"v1": "serviceType", "v2": "publicService"}[v]
			svc, _ := m[svcField].(map[string]any)
			view, _ := e.d.Submission(id.SubmissionID)
			if svc["identifier"] != testLeika || m["encryptedMetadata"] != view.EncryptedMetadata ||
				m["encryptedData"] != view.EncryptedData || m["caseId"] != id.CaseID {
				t.Fatalf("submission %s", r.body)
			}
			if a, _ := m["attachments"].([]any); len(a) != 1 || a[0] != att[0] {
				t.Fatalf("attachments %v", m["attachments"])
			}
			r = e.do("GET", "/"+v+"/submissions/"+id.SubmissionID+"/attachments/"+att[0], "", nil)
			if r.status != 200 || r.header.Get("Content-Type") != "application/jose" || string(r.body) != view.Attachments[att[0]] {
				t.Fatalf("attachment %d %s", r.status, r.body)
			}

			events := "/" + v + "/cases/" + id.CaseID + "/events"
			post := func(set string) reply { return e.do("POST", events, "application/jose", []byte(set)) }
			accept := acceptClaims(id, EventAcceptSubmission)

			p := post(signSET(t, jose.RS256, sigPriv, sigKid, SETType, accept)).problem(t, 422, "invalid-event")
			if !strings.Contains(p.Detail, "PS512") {
				t.Fatalf("RS256 detail %q", p.Detail)
			}
			p = post(signSET(t, jose.PS512, encPriv, encKid, SETType, accept)).problem(t, 422, "invalid-event")
			if !strings.Contains(p.Detail, "verify") {
				t.Fatalf("encryption kid detail %q", p.Detail)
			}
			post(signSET(t, jose.PS512, sigPriv, "unknown", SETType, accept)).problem(t, 422, "invalid-event")
			post(signSET(t, jose.PS512, encPriv, sigKid, SETType, accept)).problem(t, 422, "invalid-event") // wrong key under the right kid
			post(signSET(t, jose.PS512, sigPriv, sigKid, "JWT", accept)).problem(t, 422, "invalid-event")
			post("garbage").problem(t, 422, "invalid-event")
			bad := acceptClaims(id, EventAcceptSubmission)
			bad["iss"] = uuid.NewString()
			post(signSET(t, jose.PS512, sigPriv, sigKid, SETType, bad)).problem(t, 422, "invalid-event")
			bad = acceptClaims(other, EventAcceptSubmission) // other case's sub/txn
			post(signSET(t, jose.PS512, sigPriv, sigKid, SETType, bad)).problem(t, 422, "invalid-event")
			bad = acceptClaims(id, EventAcceptSubmission)
			bad["events"] = map[string]any{EventAcceptSubmission: map[string]any{}, EventRejectSubmission: map[string]any{}}
			post(signSET(t, jose.PS512, sigPriv, sigKid, SETType, bad)).problem(t, 422, "invalid-event")
			bad = acceptClaims(id, EventSubmitSubmission)
			post(signSET(t, jose.PS512, sigPriv, sigKid, SETType, bad)).problem(t, 422, "invalid-event")
			bad = acceptClaims(id, EventAcceptSubmission)
			bad["events"] = map[string]any{EventAcceptSubmission: map[string]any{"authenticationTags": map[string]any{"metadata": "wrong"}}}
			post(signSET(t, jose.PS512, sigPriv, sigKid, SETType, bad)).problem(t, 422, "invalid-event")
			e.do("POST", events, "application/json", []byte("x")).problem(t, 415, "unsupported-media-type")
			e.do("POST", "/"+v+"/cases/"+uuid.NewString()+"/events", "application/jose", []byte("x")).problem(t, 404, "case-not-found")

			// Valid, with correct authentication tags.
			accept["events"] = map[string]any{EventAcceptSubmission: map[string]any{"authenticationTags": map[string]any{
				"metadata":    authTag(view.EncryptedMetadata),
				"data":        authTag(view.EncryptedData),
				"attachments": map[string]string{att[0]: authTag(view.Attachments[att[0]])},
			}}}
			good := signSET(t, jose.PS512, sigPriv, sigKid, SETType, accept)
			if r := post(good); r.status != 204 {
				t.Fatalf("valid SET: %d %s", r.status, r.body)
			}
			if r := post(good); r.status != 204 { // retry is idempotent
				t.Fatalf("retried SET: %d %s", r.status, r.body)
			}
			post(signSET(t, jose.PS512, sigPriv, sigKid, SETType, acceptClaims(id, EventRejectSubmission))).problem(t, 409, "submission-state-invalid")

			view, _ = e.d.Submission(id.SubmissionID)
			if view.State != StateAccepted || len(view.Events) != 3 || view.Events[2] != good {
				t.Fatalf("after accept: %s %d", view.State, len(view.Events))
			}
			r = e.do("GET", "/"+v+"/submissions", "", nil)
			if err := json.Unmarshal(r.body, &list); err != nil || list.TotalCount != 1 || list.Submissions[0] != other {
				t.Fatalf("list after accept: %s", r.body)
			}
			// Reject the other one.
			rej := signSET(t, jose.PS512, sigPriv, sigKid, SETType, acceptClaims(other, EventRejectSubmission))
			if r := e.do("POST", "/"+v+"/cases/"+other.CaseID+"/events", "application/jose", []byte(rej)); r.status != 204 {
				t.Fatalf("reject: %d %s", r.status, r.body)
			}
			if view, _ := e.d.Submission(other.SubmissionID); view.State != StateRejected {
				t.Fatalf("state %s", view.State)
			}
		})
	}
}

func TestTamper(t *testing.T) {
	e := newEnv(t, Options{}, nil)
	id, att := e.submitted("v1", 1)
	forged := encrypt(t, "forged")
	if err := e.d.Tamper(id.SubmissionID, func(s *Stored) { s.Attachments[att[0]] = forged }); err != nil {
		t.Fatal(err)
	}
	r := e.do("GET", "/v1/submissions/"+id.SubmissionID+"/attachments/"+att[0], "", nil)
	if string(r.body) != forged {
		t.Fatal("tampered attachment not served")
	}
	if err := e.d.Tamper(uuid.NewString(), nil); err == nil {
		t.Fatal("unknown submission accepted")
	}
}

func TestLimitsAndUnmatched(t *testing.T) {
	e := newEnv(t, Options{MaxAttachmentBytes: 300, MaxBodyBytes: 2000, MaxSubmissions: 3}, nil)
	id, att := e.announce("v1", 1)
	e.do("PUT", "/v1/submissions/"+id.SubmissionID+"/attachments/"+att[0], "application/jose", []byte(encrypt(t, "x"))).problem(t, 413, "payload-too-large")
	e.do("POST", "/v1/submissions", "application/json", bytes.Repeat([]byte(" "), 3000)).problem(t, 413, "payload-too-large")
	e.announce("v1", 0)
	e.announce("v1", 0)
	e.do("POST", "/v1/submissions", "application/json", mustJSON(t, map[string]any{"destinationId": testDestID, "serviceType": map[string]string{"identifier": testLeika}})).problem(t, 507, "insufficient-storage")

	e.do("GET", "/v3/nothing", "", nil).problem(t, 404, "not-found")
	r := e.do("DELETE", "/v1/submissions", "", nil)
	r.problem(t, 405, "method-not-allowed")
	if r.header.Get("Allow") == "" {
		t.Fatal("405 without Allow")
	}
	if e.d.Requests()["unmatched"] != 2 {
		t.Fatalf("requests %v", e.d.Requests())
	}
	e.do("GET", "/v1/submissions?limit=abc", "", nil).problem(t, 400, "invalid-request")
	e.do("GET", "/v1/submissions?offset=-1", "", nil).problem(t, 400, "invalid-request")
}

func TestStripPrefix(t *testing.T) {
	testKeys(t)
	d, err := New(Options{PlatformKey: platformKey})
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	mux := http.NewServeMux()
	mux.Handle("/demo/fitconnect/", http.StripPrefix("/demo/fitconnect", d.Handler()))
	srv := httptest.NewServer(mux)
	defer srv.Close()
	d.SetBaseURL(srv.URL + "/demo/fitconnect/")
	if d.BaseURL() != srv.URL+"/demo/fitconnect" {
		t.Fatalf("base %q", d.BaseURL())
	}
	resp, err := http.Get(srv.URL + "/demo/fitconnect/.well-known/jwks.json")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Fatalf("jwks under prefix: %d", resp.StatusCode)
	}
}

// TestConcurrent runs full flows in parallel; run with -race.
func TestConcurrent(t *testing.T) {
	e := newEnv(t, Options{}, nil)
	e.d.Fail("GET /v1/submissions", 5, 503)
	var wg sync.WaitGroup
	for i := 0; i < 8; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for j := 0; j < 3; j++ {
				id, _ := e.submitted("v1", 1)
				set := signSET(t, jose.PS512, sigPriv, sigKid, SETType, acceptClaims(id, EventAcceptSubmission))
				if r := e.do("POST", "/v1/cases/"+id.CaseID+"/events", "application/jose", []byte(set)); r.status != 204 {
					t.Errorf("accept: %d %s", r.status, r.body)
				}
				e.do("GET", "/v1/submissions", "", nil)
				_ = e.d.Submissions("")
				_ = e.d.Requests()
			}
		}()
	}
	wg.Wait()
	n := 0
	for _, s := range e.d.Submissions(testDestID) {
		if s.State == StateAccepted {
			n++
		}
	}
	if n != 24 || e.d.Refused() != 5 {
		t.Fatalf("accepted %d refused %d", n, e.d.Refused())
	}
}

// TestGarbage throws malformed requests at every route; none may panic or
// answer 5xx.
func TestGarbage(t *testing.T) {
	e := newEnv(t, Options{}, nil)
	id, att := e.announce("v1", 1)
	paths := []string{
		"/v1/destinations/%00", "/v2/destinations/" + testDestID + "/keys/%2F..",
		"/v1/submissions", "/v2/submissions?destinationId=%zz",
		"/v1/submissions/" + id.SubmissionID, "/v1/submissions/" + id.SubmissionID + "/attachments/" + att[0],
		"/v1/submissions/x/events?offset=99999999999999999999", "/v1/cases/" + id.CaseID + "/events",
		"/token",
	}
	bodies := [][]byte{nil, []byte("null"), []byte(`{"destinationId":1}`), []byte(`[]`), []byte("\x00\xff"), []byte(`{"encryptedMetadata":"....."}`), []byte("a.b.c.d.e.f")}
	for _, p := range paths {
		for _, m := range []string{"GET", "POST", "PUT"} {
			for _, b := range bodies {
				for _, ct := range []string{"", "application/json", "application/jose", "application/x-www-form-urlencoded", ";;"} {
					r := e.do(m, p, ct, b)
					if r.status >= 500 {
						t.Fatalf("%s %s %q %q: %d %s", m, p, ct, b, r.status, r.body)
					}
				}
			}
		}
	}
}

// BenchmarkSenderFlow measures announce + 1 upload + submit against the
// double over loopback HTTP.
func BenchmarkSenderFlow(b *testing.B) {
	e := newEnv(b, Options{}, nil)
	jwe := []byte(encrypt(b, "attachment"))
	meta := mustJSON(b, map[string]string{"encryptedMetadata": encrypt(b, "{}"), "encryptedData": encrypt(b, "{}")})
	b.ResetTimer()
	for b.Loop() {
		id, att := e.announce("v1", 1)
		e.do("PUT", "/v1/submissions/"+id.SubmissionID+"/attachments/"+att[0], "application/jose", jwe)
		if r := e.do("PUT", "/v1/submissions/"+id.SubmissionID, "application/json", meta); r.status != 202 {
			b.Fatalf("submit: %d", r.status)
		}
	}
	b.ReportMetric(float64(e.d.Requests()["PUT /v1/submissions/{sid}"])/float64(b.N), "submits/op")
}
