package main

import (
	"bytes"
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/johannesboyne/gofakes3"
	"github.com/johannesboyne/gofakes3/backend/s3mem"

	"github.com/antrag/antrag/internal/delivery"
	"github.com/antrag/antrag/internal/delivery/deliverytest"
)

// TestServeWithS3Attachments: with ANTRAG_S3_* the attachments of an
// application are stored in the bucket (sealed), and the inbox serves them
// from there.
func TestServeWithS3Attachments(t *testing.T) {
	backend := s3mem.New()
	srv := httptest.NewServer(gofakes3.New(backend).Server())
	t.Cleanup(srv.Close)
	dataDir := t.TempDir()
	env := map[string]string{
		"ANTRAG_DATA": dataDir, "ANTRAG_S3_ENDPOINT": strings.TrimPrefix(srv.URL, "http://"), "ANTRAG_S3_BUCKET": "antrag",
		"ANTRAG_S3_ACCESS_KEY": "zugang", "ANTRAG_S3_SECRET_KEY": "geheim", "ANTRAG_S3_TLS": "false",
		"ANTRAG_S3_CREATE_BUCKET": "1", "ANTRAG_FITCONNECT_FOLLOW": "200ms", "ANTRAG_DELIVERY_CHECK": "50ms",
	}
	s := startServe(t, env, "--demo")
	content := "%PDF-1.4\nGeheimer Nachweis " + strings.Repeat("x", 3000)
	sub, err := sendFC(http.DefaultClient, s.url, [][2]string{{"Nachweis.pdf", content}})
	if err != nil {
		t.Fatal(err)
	}
	objects, err := backend.ListBucket("antrag", &gofakes3.Prefix{}, gofakes3.ListBucketPage{})
	if err != nil {
		t.Fatal(err)
	}
	if len(objects.Contents) == 0 {
		t.Fatal("no object in the bucket")
	}
	for _, o := range objects.Contents {
		obj, err := backend.GetObject("antrag", o.Key, nil)
		if err != nil {
			t.Fatal(err)
		}
		var b bytes.Buffer
		b.ReadFrom(obj.Contents)
		obj.Contents.Close()
		if strings.Contains(b.String(), "Geheimer Nachweis") {
			t.Errorf("object %s holds the attachment in plain text", o.Key)
		}
	}
	// The inbox serves it from the bucket.
	in := &fcInstallation{dataDir: dataDir}
	var attURL string
	eventually(t, waitEvent, func() (bool, string) {
		db := in.open(t)
		defer db.Close()
		stadt, _ := db.TenantBySlug(context.Background(), "musterstadt")
		atts, err := db.ListAttachments(context.Background(), stadt.ID, sub.ID)
		if err != nil || len(atts) != 1 {
			return false, fmt.Sprintf("attachments not listed: %d, %v", len(atts), err)
		}
		attURL = "/intern/antraege/" + sub.ID + "/anhaenge/" + atts[0].ID
		ds, err := db.Deliveries(context.Background(), stadt.ID, sub.ID)
		return len(ds) == 1 && ds[0].State == delivery.Accepted, fmt.Sprintf("not yet accepted: deliveries %s %v", deliverytest.Format(ds), err)
	})
	if body := staffPage(t, s.url, "musterstadt", attURL); body != content {
		t.Errorf("downloaded attachment differs (%d bytes)", len(body))
	}
}
