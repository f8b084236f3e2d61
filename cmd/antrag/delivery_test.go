package main

import (
	"context"
	"crypto/sha512"
	"encoding/hex"
	"fmt"
	"io"
	"net/http"
	"net/http/cookiejar"
	"strings"
	"testing"
	"time"

	"github.com/antrag/antrag/internal/delivery"
	"github.com/antrag/antrag/internal/delivery/deliverytest"
	"github.com/antrag/antrag/internal/demo"
	"github.com/antrag/antrag/internal/fitconnect"
	"github.com/antrag/antrag/internal/fitconnect/fitconnecttest"
	"github.com/antrag/antrag/internal/submission"
)

// deliveriesOf returns the deliveries of Musterstadt's submission.
func deliveriesOf(t *testing.T, in *fcInstallation, id string) []*delivery.Delivery {
	t.Helper()
	db := in.open(t)
	stadt, err := db.TenantBySlug(context.Background(), "musterstadt")
	if err != nil {
		t.Fatal(err)
	}
	ds, err := db.Deliveries(context.Background(), stadt.ID, id)
	if err != nil {
		t.Fatal(err)
	}
	db.Close()
	return ds
}

func staffPage(t *testing.T, base, tenant, path string) string {
	t.Helper()
	jar, _ := cookiejar.New(nil)
	c := &http.Client{Jar: jar}
	if resp := login(t, c, base, demo.Users[tenant], demo.Password); resp.StatusCode != 200 {
		t.Fatalf("login %s: %d", tenant, resp.StatusCode)
	}
	resp, body := get(t, c, base+path)
	if resp.StatusCode != 200 {
		t.Fatalf("GET %s: %d", path, resp.StatusCode)
	}
	return body
}

// TestFITConnectAccept sends an application with two attachments from
// Musterstadt through FIT-Connect (the test double) to Beispielkreis,
// which decrypts it, checks the hashes, stores it in its inbox and
// accepts it; Musterstadt's inbox then shows "zugestellt/angenommen".
func TestFITConnectAccept(t *testing.T) {
	in := newFCInstallation(t, nil)
	s := startServe(t, in.env)
	in.register(t, s.url)
	files := [][2]string{{"Nachweis.pdf", "%PDF-1.4\n" + strings.Repeat("Nachweis ", 5000)}, {"Foto.png", "\x89PNG\r\n\x1a\n" + strings.Repeat("\x00\x01", 20000)}}
	sub, err := sendFC(http.DefaultClient, s.url, files)
	if err != nil {
		t.Fatal(err)
	}
	var ds []*delivery.Delivery
	eventually(t, waitEvent, func() (bool, string) {
		ds = deliveriesOf(t, in, sub.ID)
		return len(ds) == 1 && ds[0].State == delivery.Accepted, "deliveries " + deliverytest.Format(ds)
	})
	if ds[0].Target.Kind != delivery.FITConnect || ds[0].RemoteID == "" || ds[0].Attempts != 1 {
		t.Errorf("delivery = %s, remote id %q", deliverytest.One(ds[0]), ds[0].RemoteID)
	}
	db := in.open(t)
	got := received(t, db)
	if len(got) != 1 {
		t.Fatalf("Beispielkreis received %d submissions, want 1", len(got))
	}
	// Musterstadt only forwarded it: handed over, it is closed there (just
	// after the acceptance is recorded).
	eventually(t, waitEvent, func() (bool, string) {
		sent, err := db.Submission(context.Background(), ds[0].TenantID, sub.ID)
		if err != nil {
			return false, err.Error()
		}
		return sent.Status == submission.Abgeschlossen, "sender's submission is " + string(sent.Status)
	})
	r, err := db.Submission(context.Background(), got[0].TenantID, got[0].ID)
	if err != nil {
		t.Fatal(err)
	}
	if r.ExternalRef != "fitconnect:"+ds[0].RemoteID || r.Reference == sub.Reference {
		t.Errorf("received %+v", r)
	}
	atts, err := db.ListAttachments(context.Background(), r.TenantID, r.ID)
	if err != nil || len(atts) != 2 {
		t.Fatalf("received attachments = %d, %v", len(atts), err)
	}
	content := map[string]string{}
	for _, f := range files {
		content[f[0]] = f[1]
	}
	for i, a := range atts {
		want, ok := content[a.Filename]
		sum := sha512.Sum512([]byte(want))
		if !ok || a.SHA512 != hex.EncodeToString(sum[:]) || a.Size != int64(len(want)) {
			t.Errorf("attachment %d = %+v", i, a)
		}
		delete(content, a.Filename)
		// The data refers to the receiver's own attachment ids.
		if !strings.Contains(string(r.Data), a.ID) {
			t.Errorf("received data does not refer to attachment %s", a.ID)
		}
	}
	db.Close()
	// What staff see on both sides.
	page := staffPage(t, s.url, "musterstadt", "/intern/antraege/"+sub.ID)
	if !strings.Contains(page, "zugestellt/angenommen") || !strings.Contains(page, "FIT-Connect "+fcDestination) {
		t.Errorf("Musterstadt's page does not show the accepted delivery:\n%s", page)
	}
	page = staffPage(t, s.url, "beispielkreis", "/intern/antraege/"+r.ID)
	if !strings.Contains(page, "über FIT-Connect") || !strings.Contains(page, "Nachweis.pdf") ||
		!strings.Contains(page, "Zeichen des Absenders "+sub.Reference) {
		t.Errorf("Beispielkreis's page does not show the received application:\n%s", page)
	}
	// The double saw exactly one submission, accepted.
	views := in.double.Submissions(fcDestination)
	if len(views) != 1 || views[0].State != fitconnecttest.StateAccepted {
		t.Errorf("double: %+v", views)
	}
}

// TestFITConnectReject tampers with the encrypted data at FIT-Connect;
// the receiver cannot decrypt it, stores nothing and rejects it, and the
// sender shows the reason.
func TestFITConnectReject(t *testing.T) {
	in := newFCInstallation(t, nil)
	s := startServe(t, in.env)
	in.register(t, "") // no callback: the test delivers it after tampering
	sub, err := sendFC(http.DefaultClient, s.url, [][2]string{{"a.pdf", "%PDF-1.4 a"}, {"b.pdf", "%PDF-1.4 b"}})
	if err != nil {
		t.Fatal(err)
	}
	var remote string
	eventually(t, waitEvent, func() (bool, string) {
		ds := deliveriesOf(t, in, sub.ID)
		if len(ds) == 1 && ds[0].State == delivery.Delivered {
			remote = ds[0].RemoteID
			return true, ""
		}
		return false, "deliveries " + deliverytest.Format(ds)
	})
	err = in.double.Tamper(remote, func(st *fitconnecttest.Stored) {
		parts := strings.Split(st.EncryptedData, ".")
		c := []byte(parts[3])
		c[len(c)/2] ^= 'A' ^ 'B' // stays base64url
		if c[len(c)/2] == parts[3][len(c)/2] {
			c[len(c)/2] = 'Q'
		}
		parts[3] = string(c)
		st.EncryptedData = strings.Join(parts, ".")
	})
	if err != nil {
		t.Fatal(err)
	}
	body := fmt.Sprintf(`{"type":"https://schema.fitko.de/fit-connect/submission-api/callbacks/new-submissions","submissions":[{"destinationId":%q,"submissionId":%q,"caseId":"x"}]}`, fcDestination, remote)
	resp := postCallback(t, s.url, fcDestination, in.callback, time.Now(), body)
	if resp.StatusCode/100 != 2 {
		t.Fatalf("callback: %d", resp.StatusCode)
	}
	var ds []*delivery.Delivery
	eventually(t, waitEvent, func() (bool, string) {
		ds = deliveriesOf(t, in, sub.ID)
		return len(ds) == 1 && ds[0].State == delivery.Rejected, "deliveries " + deliverytest.Format(ds)
	})
	if ds[0].Reason == "" {
		t.Error("rejected without a reason")
	}
	db := in.open(t)
	if got := received(t, db); len(got) != 0 {
		t.Errorf("a tampered submission was stored: %s", submissionRefs(got))
	}
	db.Close()
	page := staffPage(t, s.url, "musterstadt", "/intern/antraege/"+sub.ID)
	if !strings.Contains(page, "abgelehnt") || !strings.Contains(page, "Begründung: ") || !strings.Contains(page, "Erneut zustellen") {
		t.Errorf("Musterstadt's page does not show the rejection with its reason:\n%s", page)
	}
}

func postCallback(t *testing.T, base, dest string, secret []byte, at time.Time, body string) *http.Response {
	t.Helper()
	ts, mac := fitconnect.SignCallback(secret, at, []byte(body))
	req, _ := http.NewRequest("POST", base+callbackPath+dest, strings.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("callback-timestamp", ts)
	req.Header.Set("callback-authentication", mac)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	return resp
}

// TestFITConnectOutage: FIT-Connect answers 503 to the first submits; the
// submission is delivered after recovery, exactly once in the receiver's
// inbox.
func TestFITConnectOutage(t *testing.T) {
	in := newFCInstallation(t, nil)
	s := startServe(t, in.env)
	in.register(t, s.url)
	const n = 4
	in.double.Fail("PUT /{v}/submissions/{id}", n, http.StatusServiceUnavailable)
	sub, err := sendFC(http.DefaultClient, s.url, [][2]string{{"a.pdf", "%PDF-1.4 a"}, {"b.pdf", "%PDF-1.4 b"}})
	if err != nil {
		t.Fatal(err)
	}
	var ds []*delivery.Delivery
	eventually(t, waitEvent, func() (bool, string) {
		ds = deliveriesOf(t, in, sub.ID)
		return len(ds) == 1 && ds[0].State == delivery.Accepted, "deliveries " + deliverytest.Format(ds)
	})
	if ds[0].Attempts != n+1 {
		t.Errorf("attempts = %d, want %d", ds[0].Attempts, n+1)
	}
	if in.double.Refused() != n {
		t.Errorf("double refused %d requests, want %d", in.double.Refused(), n)
	}
	db := in.open(t)
	if got := received(t, db); len(got) != 1 {
		t.Errorf("received %d, want exactly 1", len(got))
	}
	db.Close()
	if views := in.double.Submissions(fcDestination); len(views) != 1 {
		t.Errorf("double holds %d submissions, want 1 (retries continue the announced one)", len(views))
	}
}

// TestFITConnectCallbackRejectsBadInput: the callback endpoint refuses a
// wrong HMAC, an old timestamp and an unknown destination, and nothing is
// stored.
func TestFITConnectCallbackRejectsBadInput(t *testing.T) {
	in := newFCInstallation(t, nil)
	s := startServe(t, in.env)
	in.register(t, "")
	sub, err := sendFC(http.DefaultClient, s.url, nil)
	if err != nil {
		t.Fatal(err)
	}
	var remote string
	eventually(t, waitEvent, func() (bool, string) {
		ds := deliveriesOf(t, in, sub.ID)
		if len(ds) == 1 && ds[0].State == delivery.Delivered {
			remote = ds[0].RemoteID
			return true, ""
		}
		return false, "deliveries " + deliverytest.Format(ds)
	})
	body := fmt.Sprintf(`{"type":"https://schema.fitko.de/fit-connect/submission-api/callbacks/new-submissions","submissions":[{"destinationId":%q,"submissionId":%q,"caseId":"x"}]}`, fcDestination, remote)
	for _, tc := range []struct {
		name   string
		dest   string
		secret []byte
		at     time.Time
		want   int
	}{
		{"invalid HMAC", fcDestination, []byte("ein-anderes-geheimnis-mit-32-bytes-oder-mehr"), time.Now(), http.StatusUnauthorized},
		{"expired timestamp", fcDestination, in.callback, time.Now().Add(-6 * time.Minute), http.StatusUnauthorized},
		{"unknown destination", "11111111-2222-4333-8444-555555555555", in.callback, time.Now(), http.StatusNotFound},
	} {
		if resp := postCallback(t, s.url, tc.dest, tc.secret, tc.at, body); resp.StatusCode != tc.want {
			t.Errorf("%s: status %d, want %d", tc.name, resp.StatusCode, tc.want)
		}
	}
	db := in.open(t)
	if got := received(t, db); len(got) != 0 {
		t.Errorf("stored after refused callbacks: %d", len(got))
	}
	db.Close()
	// The genuine callback is taken.
	if resp := postCallback(t, s.url, fcDestination, in.callback, time.Now(), body); resp.StatusCode/100 != 2 {
		t.Fatalf("genuine callback: %d", resp.StatusCode)
	}
	db = in.open(t)
	if got := received(t, db); len(got) != 1 || got[0].Status != submission.Eingegangen {
		t.Errorf("after the genuine callback: %d received", len(got))
	}
}

// TestFITConnectProblemShownToStaff: FIT-Connect does not know the
// destination; the delivery fails at once and staff read what the problem
// document means.
func TestFITConnectProblemShownToStaff(t *testing.T) {
	in := newFCInstallation(t, nil)
	s := startServe(t, in.env) // the destination is never registered with FIT-Connect
	sub, err := sendFC(http.DefaultClient, s.url, nil)
	if err != nil {
		t.Fatal(err)
	}
	var ds []*delivery.Delivery
	eventually(t, waitEvent, func() (bool, string) {
		ds = deliveriesOf(t, in, sub.ID)
		return len(ds) == 1 && ds[0].State == delivery.Failed, "deliveries " + deliverytest.Format(ds)
	})
	if ds[0].Attempts != 1 || !strings.Contains(ds[0].LastError, "destination-not-found") {
		t.Errorf("delivery = %s", deliverytest.One(ds[0]))
	}
	page := staffPage(t, s.url, "musterstadt", "/intern/antraege/"+sub.ID)
	if !strings.Contains(page, "Zustellung fehlgeschlagen") || !strings.Contains(page, "destination-not-found") ||
		!strings.Contains(page, "Erneut zustellen") {
		t.Errorf("staff page lacks the failure and its meaning:\n%s", page)
	}
	list := staffPage(t, s.url, "musterstadt", "/intern/?zustellung=fehlgeschlagen")
	if !strings.Contains(list, sub.Reference) || !strings.Contains(list, "konnte nicht zugestellt werden") {
		t.Errorf("the inbox does not point to the failed delivery:\n%s", list)
	}
	// Once the destination exists, staff deliver it again.
	in.register(t, s.url)
	jar, _ := cookiejar.New(nil)
	c := &http.Client{Jar: jar}
	login(t, c, s.url, demo.Users["musterstadt"], demo.Password)
	req, _ := http.NewRequest("POST", s.url+"/intern/antraege/"+sub.ID+"/zustellungen/"+ds[0].ID, nil)
	req.Header.Set("Origin", s.url)
	req.Header.Set("Sec-Fetch-Site", "same-origin")
	if resp, body := do(t, c, req); resp.StatusCode != 200 || !strings.Contains(body, "erneut versucht") {
		t.Fatalf("re-delivery: %d\n%s", resp.StatusCode, body)
	}
	eventually(t, waitEvent, func() (bool, string) {
		ds = deliveriesOf(t, in, sub.ID)
		return len(ds) == 1 && ds[0].State == delivery.Accepted, "deliveries " + deliverytest.Format(ds)
	})
	db := in.open(t)
	if got := received(t, db); len(got) != 1 {
		t.Errorf("received %d after re-delivery, want 1: %s", len(got), submissionRefs(got))
	}
}
