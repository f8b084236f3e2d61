package postgres_test

import (
	"context"
	"fmt"
	"slices"
	"sync"
	"testing"

	"github.com/antrag/antrag/internal/submission"
	"github.com/antrag/antrag/internal/tenant"
)

// TestConcurrentWritesSerialize: concurrent writers that SQLite's single
// writer would run one after the other behave the same here (the
// serializable transactions are retried), not as unique violations.
func TestConcurrentWritesSerialize(t *testing.T) {
	ctx := context.Background()
	db := mustOpenNew(t)
	tn := &tenant.Tenant{Slug: "musterstadt", Name: "Stadt Musterstadt", Kind: tenant.Gemeinde}
	must(t, db.CreateTenant(ctx, tn))
	svc := &tenant.Service{TenantID: tn.ID, Slug: "anwohnerparken", Name: "Anwohnerparken"}
	must(t, db.CreateService(ctx, svc))
	const n = 8

	t.Run("IdempotencyKey", func(t *testing.T) {
		type result struct {
			got     *submission.Submission
			created bool
			err     error
		}
		results := make([]result, n)
		var wg sync.WaitGroup
		start := make(chan struct{})
		for i := range n {
			wg.Go(func() {
				<-start
				s := &submission.Submission{TenantID: tn.ID, ServiceID: svc.ID, Reference: fmt.Sprintf("R-%d", i),
					IdempotencyKey: "key-1", Data: []byte(`{}`)}
				got, created, _, err := db.Submit(ctx, s, &submission.Event{Actor: "API", Action: "eingereicht"}, nil)
				results[i] = result{got, created, err}
			})
		}
		close(start)
		wg.Wait()
		var ids []string
		created := 0
		for i, r := range results {
			if r.err != nil {
				t.Errorf("Submit #%d: %v", i, r.err)
				continue
			}
			if r.created {
				created++
			}
			ids = append(ids, r.got.ID)
		}
		slices.Sort(ids)
		if created != 1 || len(slices.Compact(ids)) != 1 {
			t.Errorf("%d created, ids %v; want 1 created and one id", created, ids)
		}
	})

	t.Run("PublishFormVersion", func(t *testing.T) {
		versions := make([]int, n)
		var wg sync.WaitGroup
		start := make(chan struct{})
		for i := range n {
			wg.Go(func() {
				<-start
				fv := &tenant.FormVersion{ServiceID: svc.ID, Name: "Antrag"}
				if err := db.PublishFormVersion(ctx, tn.ID, fv); err != nil {
					t.Errorf("PublishFormVersion #%d: %v", i, err)
				}
				versions[i] = fv.Version
			})
		}
		close(start)
		wg.Wait()
		slices.Sort(versions)
		for i, v := range versions {
			if v != i+1 {
				t.Fatalf("versions %v, want 1…%d", versions, n)
			}
		}
	})
}
