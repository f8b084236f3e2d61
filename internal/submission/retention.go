package submission

import (
	"cmp"
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
	// Observer is told of each step of a Sweep; nil: none.
	Observer RetentionObserver
}

// RetentionObserver is told of each step of a Retention sweep (operator
// metrics): the step (RetentionDrafts, RetentionSubmissions,
// RetentionUnpaid), how many attachment contents it deleted, and its
// error (the store's or the first of the files'), nil when it succeeded.
type RetentionObserver interface {
	RetentionStep(step string, filesDeleted int, err error)
}

// The steps of a Retention sweep.
const (
	RetentionDrafts      = "drafts"      // expired drafts deleted
	RetentionSubmissions = "submissions" // closed applications purged after Period
	RetentionUnpaid      = "unpaid"      // never paid applications purged after Unpaid
)

// Sweep deletes what is due at now and returns how many attachment
// contents it deleted. It goes on after an error and returns the errors
// joined.
func (r *Retention) Sweep(ctx context.Context, now time.Time) (deleted int, err error) {
	var errs []error
	step := func(name string, purge func() ([]string, error)) {
		keys, err := purge()
		errs = append(errs, err)
		n := 0
		for _, k := range keys {
			if ferr := r.Files.Delete(ctx, k); ferr != nil {
				errs = append(errs, ferr)
				err = cmp.Or(err, ferr)
				continue
			}
			n++
		}
		deleted += n
		if r.Observer != nil {
			r.Observer.RetentionStep(name, n, err)
		}
	}
	step(RetentionDrafts, func() ([]string, error) { return r.Store.DeleteExpiredDrafts(ctx, now) })
	if r.Period > 0 {
		step(RetentionSubmissions, func() ([]string, error) { return r.Store.PurgeSubmissions(ctx, now.Add(-r.Period)) })
	}
	if r.Unpaid > 0 {
		step(RetentionUnpaid, func() ([]string, error) { return r.Store.PurgeUnpaid(ctx, now.Add(-r.Unpaid)) })
	}
	return deleted, errors.Join(errs...)
}
