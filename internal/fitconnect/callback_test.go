package fitconnect_test

import (
	"errors"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/antrag/antrag/internal/fitconnect"
)

func TestSignCallbackKnownAnswer(t *testing.T) {
	// Expected value computed independently with Python's hmac module:
	// hmac.new(b"geheim-1234", b'1700000000.{"type":"x"}', hashlib.sha512).hexdigest()
	ts, mac := fitconnect.SignCallback([]byte("geheim-1234"), time.Unix(1_700_000_000, 0), []byte(`{"type":"x"}`))
	if ts != "1700000000" {
		t.Errorf("timestamp header %q", ts)
	}
	const want = "ce7a14babc455e316fafba531257e3ac7df7c54f38453dc8b9e31e68c6cdff865a68d91a6b6227a62ffc95926907c4183e8c8a5bab414d9fcbf9d3bfacbf2c49"
	if mac != want {
		t.Errorf("mac %s", mac)
	}
}

func TestVerifyCallback(t *testing.T) {
	secret := []byte("callback-secret-0123456789")
	body := []byte(`{"type":"https://schema.fitko.de/fit-connect/submission-api/callbacks/new-submissions","submissions":[]}`)
	now := time.Unix(1_800_000_000, 0)
	ts, mac := fitconnect.SignCallback(secret, now.Add(-time.Minute), body)

	if err := fitconnect.VerifyCallback(secret, ts, mac, body, now); err != nil {
		t.Fatalf("valid callback: %v", err)
	}
	if err := fitconnect.VerifyCallback(secret, ts, strings.ToUpper(mac), body, now); err != nil {
		t.Errorf("upper-case hex refused: %v", err)
	}

	oldTS, oldMAC := fitconnect.SignCallback(secret, now.Add(-5*time.Minute-time.Second), body)
	if err := fitconnect.VerifyCallback(secret, oldTS, oldMAC, body, now); !errors.Is(err, fitconnect.ErrCallbackExpired) {
		t.Errorf("5 min 1 s old: %v", err)
	}
	edgeTS, edgeMAC := fitconnect.SignCallback(secret, now.Add(-5*time.Minute), body)
	if err := fitconnect.VerifyCallback(secret, edgeTS, edgeMAC, body, now); err != nil {
		t.Errorf("exactly 5 min old refused: %v", err)
	}
	futTS, futMAC := fitconnect.SignCallback(secret, now.Add(6*time.Minute), body)
	if err := fitconnect.VerifyCallback(secret, futTS, futMAC, body, now); !errors.Is(err, fitconnect.ErrCallbackExpired) {
		t.Errorf("6 min ahead: %v", err)
	}

	for name, tc := range map[string]struct {
		secret []byte
		ts     string
		mac    string
		body   []byte
	}{
		"other body":      {secret, ts, mac, append([]byte(nil), append(body[:len(body)-1], ' ', '}')...)},
		"other secret":    {[]byte("anderes-secret"), ts, mac, body},
		"other timestamp": {secret, strconv.FormatInt(now.Unix()-30, 10), mac, body},
		"flipped mac":     {secret, ts, flipHex(mac), body},
		"empty secret":    {nil, ts, mac, body},
	} {
		if err := fitconnect.VerifyCallback(tc.secret, tc.ts, tc.mac, tc.body, now); !errors.Is(err, fitconnect.ErrCallbackMAC) {
			t.Errorf("%s: %v, want ErrCallbackMAC", name, err)
		}
	}
	for name, tc := range map[string][2]string{
		"no timestamp":    {"", mac},
		"no mac":          {ts, ""},
		"timestamp text":  {"gestern", mac},
		"timestamp float": {ts + ".5", mac},
		"mac not hex":     {ts, "zz" + mac[2:]},
		"mac short":       {ts, mac[:64]},
	} {
		if err := fitconnect.VerifyCallback(secret, tc[0], tc[1], body, now); !errors.Is(err, fitconnect.ErrCallbackHeader) {
			t.Errorf("%s: %v, want ErrCallbackHeader", name, err)
		}
	}
	if errors.Is(fitconnect.ErrCallbackMAC, fitconnect.ErrCallbackExpired) || errors.Is(fitconnect.ErrCallbackExpired, fitconnect.ErrCallbackMAC) {
		t.Error("callback errors are not distinct")
	}
}

func flipHex(s string) string {
	b := []byte(s)
	if b[0] == '0' {
		b[0] = '1'
	} else {
		b[0] = '0'
	}
	return string(b)
}
