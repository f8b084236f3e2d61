package webhook

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/antrag/antrag/internal/delivery"
)

func TestCheck(t *testing.T) {
	var methods []string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		methods = append(methods, r.Method)
		switch r.URL.Path {
		case "/hook":
			w.WriteHeader(http.StatusMethodNotAllowed)
		case "/weg":
			http.Redirect(w, r, "/hook", http.StatusFound)
		case "/kaputt":
			w.WriteHeader(http.StatusBadGateway)
		default:
			http.NotFound(w, r)
		}
	}))
	defer srv.Close()
	s := &Sender{}
	target := func(path string) *delivery.Target {
		return &delivery.Target{Kind: delivery.Webhook, URL: srv.URL + path, Secret: delivery.NewWebhookSecret()}
	}
	note, err := s.Check(context.Background(), "t", nil, target("/hook"))
	if err != nil || !strings.Contains(note, "HTTP 405") {
		t.Errorf("reachable: %q, %v", note, err)
	}
	for path, want := range map[string]string{"/weg": "leitet um", "/fehlt": "gibt es beim Empfänger nicht", "/kaputt": "Serverfehler"} {
		if _, err := s.Check(context.Background(), "t", nil, target(path)); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%s: %v, want %q", path, err, want)
		}
	}
	for _, m := range methods {
		if m != http.MethodHead {
			t.Errorf("the check sent %s", m)
		}
	}
	srv.Close()
	if _, err := s.Check(context.Background(), "t", nil, target("/hook")); err == nil || !strings.Contains(err.Error(), "nicht erreichbar") {
		t.Errorf("closed: %v", err)
	}
}
