package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/antrag/antrag/internal/fitconnect"
)

func TestFitconnectKeys(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "keys")
	out, errOut, err := runCmd(t, nil, "fitconnect", "keys", "--out", dir, "--name", "Zustellpunkt Test")
	if err != nil {
		t.Fatalf("%v\n%s", err, errOut)
	}
	if !strings.Contains(out, "zustellpunkt.public.jwks.json") {
		t.Errorf("output:\n%s", out)
	}
	for file, mode := range map[string]os.FileMode{
		"zustellpunkt.private.jwks.json": 0o600, "zustellpunkt.public.jwks.json": 0o644, "ca.pem": 0o644, "ca.key.pem": 0o600,
	} {
		fi, err := os.Stat(filepath.Join(dir, file))
		if err != nil {
			t.Fatal(err)
		}
		if fi.Mode().Perm() != mode {
			t.Errorf("%s: mode %v, want %v", file, fi.Mode().Perm(), mode)
		}
	}
	// The public keys pass FIT-Connect's key checks against the CA written.
	pub, _ := os.ReadFile(filepath.Join(dir, "zustellpunkt.public.jwks.json"))
	caPEM, _ := os.ReadFile(filepath.Join(dir, "ca.pem"))
	caKey, _ := os.ReadFile(filepath.Join(dir, "ca.key.pem"))
	ca, err := fitconnect.LoadCA(caPEM, caKey)
	if err != nil {
		t.Fatal(err)
	}
	keys, err := fitconnect.ParseJWKSet(pub)
	if err != nil || len(keys) != 2 {
		t.Fatalf("public keys: %d, %v", len(keys), err)
	}
	for _, k := range keys {
		check := fitconnect.CheckEncryptionKey
		if k.Algorithm == "PS512" {
			check = fitconnect.CheckSignatureKey
		}
		if err := check(k, ca.Pool(), ca.Certificate().NotBefore.AddDate(0, 0, 1)); err != nil {
			t.Errorf("key %s: %v", k.KeyID, err)
		}
		if !k.IsPublic() {
			t.Errorf("key %s in the public set is private", k.KeyID)
		}
	}
	// Existing keys are never overwritten.
	before, _ := os.ReadFile(filepath.Join(dir, "zustellpunkt.private.jwks.json"))
	if _, _, err := runCmd(t, nil, "fitconnect", "keys", "--out", dir); err == nil {
		t.Error("a second run into the same directory succeeded")
	}
	after, _ := os.ReadFile(filepath.Join(dir, "zustellpunkt.private.jwks.json"))
	if string(before) != string(after) {
		t.Error("the private keys were overwritten")
	}
	// The same CA issues a second destination's keys.
	dir2 := filepath.Join(t.TempDir(), "zwei")
	if _, errOut, err := runCmd(t, nil, "fitconnect", "keys", "--out", dir2, "--ca-cert", filepath.Join(dir, "ca.pem"), "--ca-key", filepath.Join(dir, "ca.key.pem")); err != nil {
		t.Fatalf("with --ca-cert: %v\n%s", err, errOut)
	}
	if _, err := os.Stat(filepath.Join(dir2, "ca.key.pem")); err == nil {
		t.Error("a CA key was written although an existing CA issued the keys")
	}
}

func TestFitconnectAccountErrors(t *testing.T) {
	dataDir := t.TempDir()
	s := startServe(t, map[string]string{"ANTRAG_DATA": dataDir}, "--demo")
	if err := s.stop(); err != nil {
		t.Fatal(err)
	}
	env := map[string]string{"ANTRAG_DATA": dataDir, "ANTRAG_FITCONNECT_CLIENT_SECRET": "geheim"}
	for _, tc := range []struct {
		name string
		args []string
		want string
	}{
		{"no tenant", []string{"fitconnect", "sender", "--client-id", "x"}, "--tenant"},
		{"unknown tenant", []string{"fitconnect", "sender", "--tenant", "nirgendwo", "--client-id", "x"}, "nirgendwo"},
		{"subscriber without keys", []string{"fitconnect", "subscriber", "--tenant", "beispielkreis", "--client-id", "x", "--destination", "0b6f6a3e-4d2c-4f19-9a57-3c8e2d1f7b40"}, "--keys"},
	} {
		_, errOut, err := runCmd(t, env, tc.args...)
		if err == nil || !strings.Contains(err.Error()+errOut, tc.want) {
			t.Errorf("%s: err %v, stderr %q; want a message naming %q", tc.name, err, errOut, tc.want)
		}
	}
	if _, _, err := runCmd(t, map[string]string{"ANTRAG_DATA": dataDir}, "fitconnect", "sender", "--tenant", "musterstadt", "--client-id", "x"); err == nil {
		t.Error("a sender account without a client secret was accepted")
	}
	out, errOut, err := runCmd(t, env, "fitconnect", "sender", "--tenant", "musterstadt", "--client-id", "stadt")
	if err != nil {
		t.Fatalf("%v\n%s", err, errOut)
	}
	out, _, _ = runCmd(t, env, "fitconnect", "list")
	if !strings.Contains(out, "musterstadt") || !strings.Contains(out, "stadt") || strings.Contains(out, "geheim") {
		t.Errorf("fitconnect list:\n%s", out)
	}
}
