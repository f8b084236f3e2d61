package main

import (
	"errors"
	"io"
	"strings"
	"testing"
	"time"
)

func TestParseServeRequestLimits(t *testing.T) {
	c := mustParseServe(t, map[string]string{
		"ANTRAG_UPLOADS_MAX": "200", "ANTRAG_UPLOADS_PER_CLIENT": "8", "ANTRAG_BODY_MIN_RATE": "4096",
		"ANTRAG_BODY_IDLE_TIMEOUT": "1m", "ANTRAG_UPLOAD_TIMEOUT": "2h",
	})
	want := requestLimits{maxUploads: 200, maxUploadsPerClient: 8, bodyMinRate: 4096, bodyIdleTimeout: time.Minute, uploadTimeout: 2 * time.Hour}
	if c.limits != want {
		t.Errorf("limits = %+v, want %+v", c.limits, want)
	}
	for k, v := range map[string]string{
		"ANTRAG_UPLOADS_MAX": "0", "ANTRAG_UPLOADS_PER_CLIENT": "viele", "ANTRAG_BODY_MIN_RATE": "-1",
		"ANTRAG_BODY_IDLE_TIMEOUT": "0s", "ANTRAG_UPLOAD_TIMEOUT": "bald",
	} {
		_, err := parseServe(nil, envMap(map[string]string{k: v}), io.Discard, io.Discard)
		var ue usageError
		if !errors.As(err, &ue) || !strings.Contains(err.Error(), k) {
			t.Errorf("%s=%q: want a usageError naming the variable, got %v", k, v, err)
		}
	}
}
