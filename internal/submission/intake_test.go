package submission_test

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/antrag/antrag/internal/apperr"
	"github.com/antrag/antrag/internal/form"
	"github.com/antrag/antrag/internal/submission"
)

// fakeStore answers Submit and Receive as the test says and records the
// references it was given.
type fakeStore struct {
	submission.Store
	refs    []string
	answers []error // per call; nil: stored
	orphans []string
	// existing, if set, is the submission the key or draft already made.
	existing *submission.Submission
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
	if f.existing != nil {
		return f.existing, false, nil, nil
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

// TestIntakeRefusesDataItCannotReadBack: data above form.MaxDataBytes
// (the most DecodeData reads back) is refused before the store sees it,
// and a received submission's contents are deleted.
func TestIntakeRefusesDataItCannotReadBack(t *testing.T) {
	big := make([]byte, form.MaxDataBytes+1)
	st, files := &fakeStore{}, &fakeFiles{}
	in := &submission.Intake{Store: st, Files: files}
	if _, _, err := in.Submit(context.Background(), &submission.Submission{Data: big}, &submission.Event{}, nil); !errors.Is(err, form.ErrDataTooLarge) ||
		!errors.Is(err, apperr.TooLarge) || len(st.refs) != 0 {
		t.Errorf("Submit: %v after %d store calls", err, len(st.refs))
	}
	atts := []*submission.Attachment{{StorageKey: "key-aaaa-1"}}
	if _, _, err := in.Receive(context.Background(), &submission.Submission{Data: big}, atts, &submission.Event{}); !errors.Is(err, form.ErrDataTooLarge) ||
		len(st.refs) != 0 || !slices.Equal(files.deleted, []string{"key-aaaa-1"}) {
		t.Errorf("Receive: %v after %d store calls, deleted %v", err, len(st.refs), files.deleted)
	}
	// Exactly at the bound is taken.
	at := make([]byte, form.MaxDataBytes)
	if _, created, err := in.Submit(context.Background(), &submission.Submission{Data: at}, &submission.Event{}, nil); err != nil || !created {
		t.Errorf("Submit at the bound: %v, %v", created, err)
	}
}

func TestSameRequest(t *testing.T) {
	for _, tc := range []struct {
		name      string
		prev, req submission.Submission
		want      error
	}{
		{"the journey submits its draft again", submission.Submission{RequestSHA256: "a"}, submission.Submission{}, nil},
		{"a retry with key", submission.Submission{IdempotencyKey: "k", RequestSHA256: "a"}, submission.Submission{IdempotencyKey: "k", RequestSHA256: "a"}, nil},
		{"other data with the key", submission.Submission{IdempotencyKey: "k", RequestSHA256: "a"}, submission.Submission{IdempotencyKey: "k", RequestSHA256: "b"}, submission.ErrRequestMismatch},
		{"a key used before hashes were kept", submission.Submission{IdempotencyKey: "k"}, submission.Submission{IdempotencyKey: "k", RequestSHA256: "b"}, nil},
		{"a retry of a session without key", submission.Submission{RequestSHA256: "a"}, submission.Submission{RequestSHA256: "a"}, nil},
		{"other data in a used session", submission.Submission{RequestSHA256: "a"}, submission.Submission{RequestSHA256: "b"}, submission.ErrDraftSubmitted},
		{"another key in a used session", submission.Submission{IdempotencyKey: "k", RequestSHA256: "a"}, submission.Submission{IdempotencyKey: "l", RequestSHA256: "a"}, submission.ErrDraftSubmitted},
		{"a key in a session used without", submission.Submission{RequestSHA256: "a"}, submission.Submission{IdempotencyKey: "k", RequestSHA256: "a"}, submission.ErrDraftSubmitted},
		{"a session used before hashes were kept", submission.Submission{}, submission.Submission{RequestSHA256: "a"}, submission.ErrDraftSubmitted},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := submission.SameRequest(&tc.prev, &tc.req); got != tc.want {
				t.Errorf("SameRequest = %v, want %v", got, tc.want)
			}
		})
	}
}

// TestIntakeSubmitBindsTheKeyToTheRequest: the submission a key already
// made answers the same request only.
func TestIntakeSubmitBindsTheKeyToTheRequest(t *testing.T) {
	prev := &submission.Submission{ID: "s1", IdempotencyKey: "k", RequestSHA256: "a"}
	in := &submission.Intake{Store: &fakeStore{existing: prev}, Files: &fakeFiles{}}
	got, created, err := in.Submit(context.Background(), &submission.Submission{IdempotencyKey: "k", RequestSHA256: "a", Data: []byte(`{}`)}, &submission.Event{}, nil)
	if err != nil || created || got != prev {
		t.Errorf("same request: %v, %v, %v", got, created, err)
	}
	_, _, err = in.Submit(context.Background(), &submission.Submission{IdempotencyKey: "k", RequestSHA256: "b", Data: []byte(`{}`)}, &submission.Event{}, nil)
	if !errors.Is(err, submission.ErrRequestMismatch) || !errors.Is(err, apperr.Conflict) {
		t.Errorf("other request: %v", err)
	}
}

func TestRequestHash(t *testing.T) {
	doc := func(s string) map[string]any {
		d, err := form.DecodeData(strings.NewReader(s))
		if err != nil {
			t.Fatal(err)
		}
		return d
	}
	hash := func(method, path string, d map[string]any) string {
		h, err := submission.RequestHash(method, path, d)
		if err != nil || len(h) != 64 {
			t.Fatalf("RequestHash = %q, %v", h, err)
		}
		return h
	}
	const path = "/api/v1/forms/a.b/submissions"
	base := hash("POST", path, doc(`{"G1": {"F1": "x&y", "F2": 1.50}, "F3": true}`))
	if got := hash("POST", path, doc(`{"F3":true,"G1":{"F2":1.50,"F1":"x\u0026y"}}`)); got != base {
		t.Error("the same data in another order and spelling hashes differently")
	}
	for name, got := range map[string]string{
		"other data":   hash("POST", path, doc(`{"G1": {"F1": "x&y ", "F2": 1.50}, "F3": true}`)),
		"other form":   hash("POST", "/api/v1/forms/a.c/submissions", doc(`{"G1": {"F1": "x&y", "F2": 1.50}, "F3": true}`)),
		"other method": hash("PUT", path, doc(`{"G1": {"F1": "x&y", "F2": 1.50}, "F3": true}`)),
	} {
		if got == base {
			t.Errorf("%s hashes the same", name)
		}
	}
}
