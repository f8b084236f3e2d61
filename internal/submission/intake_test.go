package submission_test

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"slices"
	"testing"

	"github.com/antrag/antrag/internal/apperr"
	"github.com/antrag/antrag/internal/submission"
)

// fakeStore answers Submit and Receive as the test says and records the
// references it was given.
type fakeStore struct {
	submission.Store
	refs    []string
	answers []error // per call; nil: stored
	orphans []string
}

func (f *fakeStore) answer() error {
	n := len(f.refs) - 1
	if n < len(f.answers) {
		return f.answers[n]
	}
	return nil
}

func (f *fakeStore) Submit(ctx context.Context, s *submission.Submission, ev *submission.Event, ids []string) (*submission.Submission, bool, []string, error) {
	f.refs = append(f.refs, s.Reference)
	if err := f.answer(); err != nil {
		return nil, false, nil, err
	}
	return s, true, f.orphans, nil
}

func (f *fakeStore) Receive(ctx context.Context, s *submission.Submission, atts []*submission.Attachment, ev *submission.Event) (*submission.Submission, bool, error) {
	f.refs = append(f.refs, s.Reference)
	if err := f.answer(); err != nil {
		return nil, false, err
	}
	return s, true, nil
}

type fakeFiles struct{ deleted []string }

func (f *fakeFiles) Delete(ctx context.Context, key string) error {
	f.deleted = append(f.deleted, key)
	return nil
}

// TestIntakeSubmitRetriesOnlyTakenReferences: a taken Vorgangsnummer is
// drawn again; any other conflict (the draft changed, say) is returned at
// once, not mistaken for a taken number.
func TestIntakeSubmitRetriesOnlyTakenReferences(t *testing.T) {
	data := []byte(`{"G1":{"F1":"x"}}`)
	sum := sha256.Sum256(data)
	st := &fakeStore{answers: []error{submission.ErrReferenceTaken, fmt.Errorf("wrapped: %w", submission.ErrReferenceTaken)},
		orphans: []string{"orphan-key-1"}}
	files := &fakeFiles{}
	in := &submission.Intake{Store: st, Files: files}
	s := &submission.Submission{TenantID: "t", Data: data}
	got, created, err := in.Submit(context.Background(), s, &submission.Event{}, nil)
	if err != nil || !created || got != s {
		t.Fatalf("Submit = %v, %v, %v", got, created, err)
	}
	if len(st.refs) != 3 || st.refs[0] == st.refs[1] || st.refs[1] == st.refs[2] || s.Reference != st.refs[2] {
		t.Errorf("references tried %v, stored %q: want three different draws, the last stored", st.refs, s.Reference)
	}
	if s.DataSHA256 != hex.EncodeToString(sum[:]) {
		t.Errorf("DataSHA256 = %q", s.DataSHA256)
	}
	if !slices.Equal(files.deleted, []string{"orphan-key-1"}) {
		t.Errorf("deleted %v, want the draft's orphaned attachment", files.deleted)
	}

	other := fmt.Errorf("Entwurf geändert: %w", apperr.Conflict)
	st = &fakeStore{answers: []error{other}}
	in = &submission.Intake{Store: st, Files: &fakeFiles{}}
	if _, _, err := in.Submit(context.Background(), &submission.Submission{}, &submission.Event{}, nil); !errors.Is(err, other) || len(st.refs) != 1 {
		t.Errorf("another conflict: %v after %d tries, want it returned after 1", err, len(st.refs))
	}

	st = &fakeStore{answers: slices.Repeat([]error{submission.ErrReferenceTaken}, 10)}
	in = &submission.Intake{Store: st, Files: &fakeFiles{}}
	if _, _, err := in.Submit(context.Background(), &submission.Submission{}, &submission.Event{}, nil); err == nil || len(st.refs) != 5 {
		t.Errorf("every number taken: %v after %d tries, want an error after 5", err, len(st.refs))
	}
}

// TestIntakeReceiveDeletesUnstoredContent: the attachment contents a
// receiver put are deleted unless the submission is stored.
func TestIntakeReceiveDeletesUnstoredContent(t *testing.T) {
	atts := []*submission.Attachment{{StorageKey: "key-aaaa-1"}, {StorageKey: "key-bbbb-2"}}
	for _, tc := range []struct {
		name        string
		answers     []error
		wantErr     bool
		wantDeleted bool
	}{
		{"stored", nil, false, false},
		{"stored after a taken number", []error{submission.ErrReferenceTaken}, false, false},
		{"store failed", []error{errors.New("database down")}, true, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			st, files := &fakeStore{answers: tc.answers}, &fakeFiles{}
			in := &submission.Intake{Store: st, Files: files}
			_, created, err := in.Receive(context.Background(), &submission.Submission{Data: []byte(`{}`)}, atts, &submission.Event{})
			if (err != nil) != tc.wantErr || created == tc.wantErr {
				t.Fatalf("Receive: created %v, %v", created, err)
			}
			if got := len(files.deleted) > 0; got != tc.wantDeleted {
				t.Errorf("deleted %v, want deleted: %v", files.deleted, tc.wantDeleted)
			}
			if tc.wantDeleted && !slices.Equal(files.deleted, []string{"key-aaaa-1", "key-bbbb-2"}) {
				t.Errorf("deleted %v, want both contents", files.deleted)
			}
		})
	}
}
