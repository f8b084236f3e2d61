package identity

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"slices"
	"strings"
	"testing"
	"time"
)

func TestOwnerKey(t *testing.T) {
	k1, err := DeriveOwnerKeys(bytes.Repeat([]byte{1}, 32))
	if err != nil {
		t.Fatal(err)
	}
	k1b, _ := DeriveOwnerKeys(bytes.Repeat([]byte{1}, 32))
	k2, _ := DeriveOwnerKeys(bytes.Repeat([]byte{2}, 32))
	alice := &Identity{Provider: "bundid", Subject: "bPK2-alice"}
	a1, err := k1.OwnerKey(alice)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(a1, "o1:") || len(a1) != 67 || strings.Contains(a1, "alice") {
		t.Errorf("owner key %q", a1)
	}
	if again, _ := k1b.OwnerKey(alice); again != a1 {
		t.Errorf("same data key, other key: %q, %q", again, a1)
	}
	for name, other := range map[string]func() (string, error){
		"other data key": func() (string, error) { return k2.OwnerKey(alice) },
		"other subject":  func() (string, error) { return k1.OwnerKey(&Identity{Provider: "bundid", Subject: "bPK2-bob"}) },
		"other provider": func() (string, error) { return k1.OwnerKey(&Identity{Provider: "bayernid", Subject: "bPK2-alice"}) },
		"shifted parts":  func() (string, error) { return k1.OwnerKey(&Identity{Provider: "bundidb", Subject: "PK2-alice"}) },
	} {
		got, err := other()
		if err != nil || got == a1 {
			t.Errorf("%s: %q, %v (alice %q)", name, got, err, a1)
		}
	}
	if _, err := k1.OwnerKey(&Identity{Provider: "bundid"}); err == nil {
		t.Error("no subject: no error")
	}
	if _, err := DeriveOwnerKeys(make([]byte, 16)); err == nil {
		t.Error("16-byte data key accepted")
	}
}

func TestNewEvidence(t *testing.T) {
	id := &Identity{Provider: "devidp", Issuer: "https://idp/", Subject: "s", Level: Hoch, RawLevel: "STORK-QAA-Level-4",
		Method: MethodEID, AssertionID: "_x", AuthnTime: time.Date(2026, 12, 7, 9, 0, 0, 0, time.UTC),
		Attributes: map[string]string{AttrSurname: "Mustermann"}}
	data := []byte(`{"G1":{"F2":"Mustermann","F3":"Erika"},"F4":"","F5":null,"G6":[{"F7":1},{"F7":2}],"F8":{"attachmentId":"a","filename":"x.pdf"},"F9":true}`)
	ev, err := NewEvidence(id, true, time.Date(2026, 12, 7, 10, 0, 0, 0, time.UTC), data, []string{"G1.F2", "F4", "G1.F99"})
	if err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256(data)
	if ev.DataSHA256 != hex.EncodeToString(sum[:]) || !ev.Schriftformersatz || ev.Method != MethodEID || ev.Level != Hoch ||
		ev.AssertionID != "_x" || ev.Issuer != "https://idp/" || !ev.AuthnTime.Equal(id.AuthnTime) {
		t.Errorf("evidence %+v", ev)
	}
	if !slices.Equal(ev.Proved, []string{"G1.F2"}) {
		t.Errorf("proved %v", ev.Proved)
	}
	if want := []string{"F8", "F9", "G1.F3", "G6[0].F7", "G6[1].F7"}; !slices.Equal(ev.Typed, want) {
		t.Errorf("typed %v, want %v", ev.Typed, want)
	}
	b, _ := json.Marshal(ev)
	if strings.Contains(string(b), "Mustermann") || strings.Contains(string(b), "Erika") {
		t.Errorf("evidence holds personal data: %s", b)
	}
	if got := ev.Summary(); got != "eID, Vertrauensniveau hoch (STORK-QAA-Level-4), über devidp" {
		t.Errorf("Summary = %q", got)
	}
	if _, err := NewEvidence(nil, false, time.Now(), data, nil); err == nil {
		t.Error("no identity: no error")
	}
}
