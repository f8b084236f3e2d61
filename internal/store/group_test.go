package store_test

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"

	"github.com/antrag/antrag/internal/store/storetest"
	"github.com/antrag/antrag/internal/submission"
	"github.com/antrag/antrag/internal/tenant"
)

// TestConcurrentSubmitsShareCommits sends many submissions at once, some of
// them with a Vorgangsnummer already taken, so that on SQLite they share
// group commits (store/group.go) with the ones that succeed: each of those
// fails alone, with its own error, and every other one is stored once,
// with its event.
func TestConcurrentSubmitsShareCommits(t *testing.T) {
	forEachDialect(t, func(t *testing.T, dsn string) {
		ctx := context.Background()
		db := storetest.Open(t, dsn)
		tn := &tenant.Tenant{Slug: "gruppe", Name: "Gruppe", Kind: tenant.Gemeinde}
		must(t, db.CreateTenant(ctx, tn))
		svc := &tenant.Service{TenantID: tn.ID, Slug: "parken", Name: "Parken"}
		must(t, db.CreateService(ctx, svc))
		ev := func() *submission.Event { return &submission.Event{Actor: "Antragsteller", Action: "eingereicht"} }
		taken := &submission.Submission{TenantID: tn.ID, ServiceID: svc.ID, Reference: "TAKEN-0001", Data: []byte(`{}`)}
		if _, _, _, err := db.Submit(ctx, taken, ev(), nil); err != nil {
			t.Fatal(err)
		}

		const n = 120
		errs := make([]error, n)
		var wg sync.WaitGroup
		for i := range n {
			wg.Add(1)
			go func() {
				defer wg.Done()
				ref := fmt.Sprintf("GRP-%04d", i)
				if i%10 == 3 {
					ref = taken.Reference
				}
				s := &submission.Submission{TenantID: tn.ID, ServiceID: svc.ID, Reference: ref, Data: []byte(fmt.Sprintf(`{"n":%d}`, i))}
				_, _, _, errs[i] = db.Submit(ctx, s, ev(), nil)
			}()
		}
		wg.Wait()
		ok := 0
		for i, err := range errs {
			switch {
			case i%10 == 3:
				if !errors.Is(err, submission.ErrReferenceTaken) {
					t.Errorf("submission %d with a taken Vorgangsnummer: %v, want ErrReferenceTaken", i, err)
				}
			case err != nil:
				t.Errorf("submission %d: %v", i, err)
			default:
				ok++
			}
		}
		var stored, events int
		must(t, db.SQL().QueryRowContext(ctx, `SELECT count(*) FROM submissions WHERE tenant_id = $1 AND reference LIKE 'GRP-%'`, tn.ID).Scan(&stored))
		must(t, db.SQL().QueryRowContext(ctx, `SELECT count(*) FROM events e JOIN submissions s ON s.id = e.submission_id
			WHERE s.tenant_id = $1 AND s.reference LIKE 'GRP-%'`, tn.ID).Scan(&events))
		if stored != ok || events != ok || ok != n-n/10 {
			t.Errorf("%d submissions succeeded, %d stored with %d events; want %d", ok, stored, events, n-n/10)
		}
	})
}
