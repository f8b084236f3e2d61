package main

import (
	"io"
	"testing"
)

func TestServeLoginFlags(t *testing.T) {
	c, err := parseServe([]string{"--login-hashes", "3", "--metrics-addr", "127.0.0.1:9090"}, envMap(nil), io.Discard, io.Discard)
	if err != nil || c.loginHashes != 3 || c.metricsAddr != "127.0.0.1:9090" {
		t.Errorf("parseServe: %+v, %v", c, err)
	}
	if c, err := parseServe(nil, envMap(map[string]string{"ANTRAG_LOGIN_HASHES": "2"}), io.Discard, io.Discard); err != nil || c.loginHashes != 2 {
		t.Errorf("ANTRAG_LOGIN_HASHES=2: %v", err)
	}
	for _, env := range []map[string]string{{"ANTRAG_LOGIN_HASHES": "zwei"}, {"ANTRAG_LOGIN_HASHES": "-1"}} {
		if _, err := parseServe(nil, envMap(env), io.Discard, io.Discard); err == nil {
			t.Errorf("%v accepted", env)
		}
	}
}
