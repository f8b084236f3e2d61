package main

import (
	"strings"
	"testing"
)

// TestMigrate: an operator migrates before starting with --no-migrate; a
// database that lacks migrations is refused by serve --no-migrate.
func TestMigrate(t *testing.T) {
	dataDir := t.TempDir()
	env := map[string]string{"ANTRAG_DATA": dataDir}
	if _, _, err := runCmd(t, env, "migrate", "status"); err == nil {
		t.Error("status of a missing database succeeded")
	}
	// serve --no-migrate refuses a database without the schema.
	err, stderr := startServeErr(t, env, "--no-migrate")
	if err == nil || !strings.Contains(err.Error()+stderr, "antrag migrate up") {
		t.Errorf("serve --no-migrate on an empty database: %v\n%s", err, stderr)
	}
	out, errOut, err := runCmd(t, env, "migrate", "up")
	if err != nil {
		t.Fatalf("migrate up: %v\n%s", err, errOut)
	}
	if !strings.Contains(out, "angewandt: antrag 00001_init.sql") || !strings.Contains(out, "angewandt: river") {
		t.Errorf("migrate up:\n%s", out)
	}
	out, _, err = runCmd(t, env, "migrate", "status")
	if err != nil || !strings.Contains(out, "0 ausstehend") || !strings.Contains(out, "00005_sealed_filenames.sql") {
		t.Errorf("migrate status: %v\n%s", err, out)
	}
	if out, _, _ := runCmd(t, env, "migrate", "up"); !strings.Contains(out, "auf dem neuesten Stand") {
		t.Errorf("second migrate up:\n%s", out)
	}
	s := startServe(t, env, "--no-migrate", "--demo")
	if err := s.stop(); err != nil {
		t.Fatalf("serve --no-migrate after migrate up: %v\n%s", err, s.stderr.String())
	}
	if _, _, err := runCmd(t, env, "migrate", "sideways"); err == nil {
		t.Error("an unknown subcommand was accepted")
	}
}
