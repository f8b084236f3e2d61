package email

import (
	"context"
	"net"
	"strings"
	"testing"

	"github.com/antrag/antrag/internal/delivery"
)

func TestCheckSendsNothing(t *testing.T) {
	srv := startServer(t, true)
	srv.RequireAuth("antrag", "s3cret")
	s := plainSender(srv.Addr())
	s.TLS, s.TLSConfig = StartTLS, srv.ClientTLSConfig()
	s.Username, s.Password = "antrag", "s3cret"
	target := &delivery.Target{Kind: delivery.Email, Address: "buergeramt@musterstadt.example"}
	note, err := s.Check(context.Background(), "t1", nil, target)
	if err != nil || !strings.Contains(note, "erreichbar") {
		t.Fatalf("Check: %q, %v", note, err)
	}
	if n := len(srv.Messages()); n != 0 {
		t.Errorf("the check sent %d messages", n)
	}
	s.Password = "falsch"
	if _, err := s.Check(context.Background(), "t1", nil, target); err == nil || strings.Contains(err.Error(), "falsch") {
		t.Errorf("wrong password: %v", err)
	}

	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	if _, err := plainSender(addr).Check(context.Background(), "t1", nil, target); err == nil || !strings.Contains(err.Error(), "nicht erreichbar") {
		t.Errorf("no server: %v", err)
	}
}
