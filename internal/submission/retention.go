package submission

import (
	"context"
	"errors"
	"log/slog"
	"time"
)

// Retention deletes personal data that is due: drafts whose ExpiresAt has
// passed (the citizen never sent them), and, Period after their last status
// change, the data and attachments of submissions that are abgeschlossen,
// and, Unpaid after they were sent, those of applications whose fee was
// never paid (Store.DeleteExpiredDrafts, Store.PurgeSubmissions,
// Store.PurgeUnpaid; what stays of a
// purged submission is its Vorgangsnummer, status, times, the SHA-256 of
// its data and its audit trail). The content of the attachments and of
// the stored receipt PDF goes with them.
type Retention struct {
	Store Store
	Files Files
	// Period is how long the data of a closed submission is kept after
	// its last status change; 0 keeps it.
	Period time.Duration
	// Unpaid is how long an application held for a fee that was never
	// paid is kept after it was sent, once no payment attempt is asked
	// about any more (Store.PurgeUnpaid); 0 keeps it.
	Unpaid time.Duration
	Logger *slog.Logger
}

// Sweep deletes what is due at now and returns how many attachment
// contents it deleted. It goes on after an error and returns the errors
// joined.
func (r *Retention) Sweep(ctx context.Context, now time.Time) (deleted int, err error) {
	keys, err := r.Store.DeleteExpiredDrafts(ctx, now)
	errs := []error{err}
	if r.Period > 0 {
		more, err := r.Store.PurgeSubmissions(ctx, now.Add(-r.Period))
		keys = append(keys, more...)
		errs = append(errs, err)
	}
	if r.Unpaid > 0 {
		more, err := r.Store.PurgeUnpaid(ctx, now.Add(-r.Unpaid))
		keys = append(keys, more...)
		errs = append(errs, err)
	}
	for _, k := range keys {
		if err := r.Files.Delete(ctx, k); err != nil {
			errs = append(errs, err)
			continue
		}
		deleted++
	}
	return deleted, errors.Join(errs...)
}
