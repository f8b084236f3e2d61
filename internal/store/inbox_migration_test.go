package store_test

import (
	"context"
	"testing"

	"github.com/antrag/antrag/internal/store"
	"github.com/antrag/antrag/internal/store/storetest"
	"github.com/antrag/antrag/internal/submission"
	"github.com/antrag/antrag/internal/tenant"
)

// TestMigrationFillsSenderRef: migration 00009 takes the sender's reference
// of the submissions received before it from their audit trail, where it
// was kept so far, so that the inbox search finds them too.
func TestMigrationFillsSenderRef(t *testing.T) {
	forEachDialect(t, func(t *testing.T, dsn string) {
		ctx := context.Background()
		db := storetest.Open(t, dsn)
		tn := &tenant.Tenant{Slug: "beispielkreis", Name: "Landkreis Beispielkreis", Kind: tenant.Landkreis}
		must(t, db.CreateTenant(ctx, tn))
		svc := &tenant.Service{TenantID: tn.ID, Slug: "heimarbeit", Name: "Heimarbeit"}
		must(t, db.CreateService(ctx, svc))
		receive := func(ref, remoteID, detail string) *submission.Submission {
			t.Helper()
			s := &submission.Submission{TenantID: tn.ID, ServiceID: svc.ID, Reference: ref, Data: []byte(`{}`),
				Source: submission.SourceFITConnect, ExternalRef: "fitconnect:" + remoteID}
			_, _, err := db.Receive(ctx, s, nil, &submission.Event{Actor: "System", Action: "eingegangen über FIT-Connect", Detail: detail})
			must(t, err)
			return s
		}
		with := receive("AAAA-BBBB-CCC1", "r-1", "Zustellpunkt d-1, Einreichung r-1, Zeichen des Absenders Az. 7/2026, Nr. 3")
		without := receive("AAAA-BBBB-CCC2", "r-2", "Zustellpunkt d-1, Einreichung r-2")

		p, err := store.GooseProvider(db)
		must(t, err)
		if _, err := p.DownTo(ctx, 8); err != nil {
			t.Fatalf("migrate down to 8: %v", err)
		}
		if _, err := p.Up(ctx); err != nil {
			t.Fatalf("migrate up: %v", err)
		}
		for _, c := range []struct {
			s    *submission.Submission
			want string
		}{{with, "Az. 7/2026, Nr. 3"}, {without, ""}} {
			got, err := db.Submission(ctx, tn.ID, c.s.ID)
			must(t, err)
			if got.SenderRef != c.want {
				t.Errorf("%s: SenderRef after the migration = %q, want %q", c.s.Reference, got.SenderRef, c.want)
			}
		}
	})
}
