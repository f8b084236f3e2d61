package main

import (
	"context"
	"fmt"
	"net/http"
	"path/filepath"
	"strings"
	"testing"

	"github.com/antrag/antrag/internal/delivery"
	"github.com/antrag/antrag/internal/delivery/deliverytest"
	"github.com/antrag/antrag/internal/sealed"
	"github.com/antrag/antrag/internal/store"
	"github.com/antrag/antrag/internal/store/storetest"
)

// TestServePostgres runs the demo on PostgreSQL (ANTRAG_TEST_POSTGRES):
// an application with attachments goes through the journey's API, over
// FIT-Connect (the demo's double) into the other tenant's inbox, is
// accepted, and the caseworker's page (session in PostgreSQL) shows it.
func TestServePostgres(t *testing.T) {
	url := storetest.NewPostgresDatabase(t)
	dataDir := t.TempDir()
	env := map[string]string{"ANTRAG_DATA": dataDir, "ANTRAG_DB": url, "ANTRAG_FITCONNECT_FOLLOW": "200ms", "ANTRAG_DELIVERY_CHECK": "50ms"}
	s := startServe(t, env, "--demo")
	sub, err := sendFC(http.DefaultClient, s.url, [][2]string{{"a.pdf", "%PDF-1.4 a"}, {"b.pdf", "%PDF-1.4 b"}})
	if err != nil {
		t.Fatal(err)
	}
	key, err := sealed.LoadOrCreateKey(filepath.Join(dataDir, "schluessel"))
	if err != nil {
		t.Fatal(err)
	}
	box, _ := sealed.New(key)
	db, err := store.Open(context.Background(), url, box)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	stadt, err := db.TenantBySlug(context.Background(), "musterstadt")
	if err != nil {
		t.Fatal(err)
	}
	eventually(t, waitEvent, func() (bool, string) {
		ds, err := db.Deliveries(context.Background(), stadt.ID, sub.ID)
		return err == nil && len(ds) == 1 && ds[0].State == delivery.Accepted, fmt.Sprintf("deliveries %s %v", deliverytest.Format(ds), err)
	})
	page := staffPage(t, s.url, "musterstadt", "/intern/antraege/"+sub.ID)
	if !strings.Contains(page, "zugestellt/angenommen") {
		t.Errorf("staff page lacks the accepted delivery")
	}
	out, errOut, err := runCmd(t, env, "migrate", "status")
	if err != nil || !strings.Contains(out, "0 ausstehend") {
		t.Errorf("migrate status: %v\n%s%s", err, out, errOut)
	}
}
