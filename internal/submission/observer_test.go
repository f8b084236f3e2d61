package submission_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/antrag/antrag/internal/submission"
)

// counted is a submission.Observer and RetentionObserver that writes
// down what it is told.
type counted struct{ log []string }

func (c *counted) Submitted(s *submission.Submission) {
	c.log = append(c.log, "stored "+s.Reference)
}

func (c *counted) RetentionStep(step string, files int, err error) {
	c.log = append(c.log, fmt.Sprintf("%s %d %v", step, files, err != nil))
}

// TestIntakeObserver: the Observer hears of each application stored, by
// Submit and by Receive, once; not of one answered with an existing
// submission, nor of one not stored.
func TestIntakeObserver(t *testing.T) {
	ctx := context.Background()
	obs := &counted{}
	st := &fakeStore{answers: []error{submission.ErrReferenceTaken}}
	in := &submission.Intake{Store: st, Files: &fakeFiles{}, Observer: obs}
	s := &submission.Submission{Data: []byte(`{}`)}
	if _, _, err := in.Submit(ctx, s, &submission.Event{}, nil); err != nil {
		t.Fatal(err)
	}
	r := &submission.Submission{Data: []byte(`{}`)}
	if _, _, err := in.Receive(ctx, r, nil, &submission.Event{}); err != nil {
		t.Fatal(err)
	}
	// Answered with the submission the draft already made.
	in.Store = &fakeStore{existing: s}
	if _, created, err := in.Submit(ctx, &submission.Submission{Data: []byte(`{}`)}, &submission.Event{}, nil); err != nil || created {
		t.Fatalf("again: %v, %v", created, err)
	}
	in.Store = &fakeStore{answers: []error{errors.New("database down")}}
	in.Submit(ctx, &submission.Submission{Data: []byte(`{}`)}, &submission.Event{}, nil)
	want := "stored " + s.Reference + "\nstored " + r.Reference
	if got := strings.Join(obs.log, "\n"); got != want {
		t.Errorf("observed:\n%s\nwant:\n%s", got, want)
	}
}

// retentionStore answers the retention's purges with storage keys or an
// error.
type retentionStore struct {
	submission.Store
	drafts, purged []string
	unpaidErr      error
}

func (r *retentionStore) DeleteExpiredDrafts(context.Context, time.Time) ([]string, error) {
	return r.drafts, nil
}

func (r *retentionStore) PurgeSubmissions(context.Context, time.Time) ([]string, error) {
	return r.purged, nil
}

func (r *retentionStore) PurgeUnpaid(context.Context, time.Time) ([]string, error) {
	return nil, r.unpaidErr
}

// TestRetentionObserver: each step of a sweep is reported with the files
// it deleted and whether it failed; a step that is off is not run.
func TestRetentionObserver(t *testing.T) {
	obs := &counted{}
	st := &retentionStore{drafts: []string{"a", "b"}, purged: []string{"c"}, unpaidErr: errors.New("database down")}
	r := &submission.Retention{Store: st, Files: &fakeFiles{}, Period: time.Hour, Unpaid: time.Hour, Observer: obs}
	deleted, err := r.Sweep(context.Background(), time.Now())
	if deleted != 3 || err == nil {
		t.Errorf("Sweep: %d deleted, %v", deleted, err)
	}
	want := "drafts 2 false\nsubmissions 1 false\nunpaid 0 true"
	if got := strings.Join(obs.log, "\n"); got != want {
		t.Errorf("observed:\n%s\nwant:\n%s", got, want)
	}
	obs.log = nil
	r.Period, r.Unpaid = 0, 0
	if _, err := r.Sweep(context.Background(), time.Now()); err != nil {
		t.Fatal(err)
	}
	if got := strings.Join(obs.log, "\n"); got != "drafts 2 false" {
		t.Errorf("with retention off, observed:\n%s", got)
	}
}
