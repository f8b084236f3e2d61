package store_test

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/antrag/antrag/internal/apperr"
	"github.com/antrag/antrag/internal/store"
	"github.com/antrag/antrag/internal/store/storetest"
)

func TestConsumeOnce(t *testing.T) {
	for _, d := range storetest.Dialects() {
		t.Run(d.Name, func(t *testing.T) {
			dsn := d.NewDSN(t)
			a := storetest.Open(t, dsn)
			b := storetest.Open(t, dsn) // another process on the same database
			ctx := context.Background()
			now := time.Date(2026, 12, 7, 10, 0, 0, 0, time.UTC)
			exp := now.Add(5 * time.Minute)
			if err := a.ConsumeOnce(ctx, "https://id.bund.de/idp _a1", exp, now); err != nil {
				t.Fatal(err)
			}
			for name, db := range map[string]*store.DB{"same": a, "other": b} {
				if err := db.ConsumeOnce(ctx, "https://id.bund.de/idp _a1", exp, now.Add(time.Minute)); !errors.Is(err, apperr.Conflict) {
					t.Errorf("%s process: replay gave %v, want apperr.Conflict", name, err)
				}
			}
			if err := b.ConsumeOnce(ctx, "https://id.bund.de/idp _a2", exp, now); err != nil {
				t.Errorf("another id: %v", err)
			}
			// After expiry the record no longer blocks (the assertion
			// itself has expired by then and is refused for that).
			if err := b.ConsumeOnce(ctx, "https://id.bund.de/idp _a1", exp.Add(time.Hour), exp); err != nil {
				t.Errorf("after expiry: %v", err)
			}
			if err := a.ReplayPurge(ctx, exp.Add(2*time.Hour)); err != nil {
				t.Fatal(err)
			}
			if err := a.ConsumeOnce(ctx, "https://id.bund.de/idp _a2", exp, now); err != nil {
				t.Errorf("after purge: %v", err)
			}
		})
	}
}

// TestConsumeOnceConcurrent: of many processes taking the same id at once,
// exactly one succeeds.
func TestConsumeOnceConcurrent(t *testing.T) {
	for _, d := range storetest.Dialects() {
		t.Run(d.Name, func(t *testing.T) {
			dsn := d.NewDSN(t)
			dbs := []*store.DB{storetest.Open(t, dsn), storetest.Open(t, dsn)}
			now := time.Now()
			var wg sync.WaitGroup
			var mu sync.Mutex
			ok, replays := 0, 0
			for i := range 8 {
				wg.Add(1)
				go func() {
					defer wg.Done()
					err := dbs[i%2].ConsumeOnce(context.Background(), "idp _same", now.Add(time.Minute), now)
					mu.Lock()
					defer mu.Unlock()
					switch {
					case err == nil:
						ok++
					case errors.Is(err, apperr.Conflict):
						replays++
					default:
						t.Error(err)
					}
				}()
			}
			wg.Wait()
			if ok != 1 || replays != 7 {
				t.Errorf("%d accepted, %d refused; want 1 and 7", ok, replays)
			}
		})
	}
}
