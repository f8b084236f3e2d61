// Package blobtest is a conformance suite for blob.Store: every
// implementation (blob.Dir, s3.Store) runs the same tests of the contract
// in package blob — round trip, the maxBytes limit, missing keys, Delete,
// malformed keys, concurrent Puts, a large blob and cancelled contexts.
//
// Use it from a _test.go file:
//
//	func TestConformance(t *testing.T) {
//		blobtest.Run(t, func(t *testing.T) blob.Store { return newStore(t) })
//	}
//
// or, to let the suite also check that nothing is left behind in the
// backend, with Suite and a Names function.
package blobtest

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/antrag/antrag/internal/apperr"
	"github.com/antrag/antrag/internal/blob"
)

// Names lists every name the backend of one store holds: for a directory
// its entries including temporary files, for a bucket the object names
// under the store's prefix including incomplete uploads. The suite uses it
// to check that refused and concurrent Puts leave nothing behind.
type Names func(t *testing.T) []string

// Suite is the conformance suite for one implementation.
type Suite struct {
	// New returns a new, empty store and, if the backend can be listed,
	// its Names (else nil). It is called once per subtest; clean up with
	// t.Cleanup.
	New func(t *testing.T) (blob.Store, Names)
	// LargeSize is the size in bytes of the blob of the "Large" test,
	// which is streamed in and compared while read back, never held whole
	// by the test. 0 means 20 MiB; negative skips the test.
	LargeSize int64
}

// Run runs the suite on the stores newStore returns (each new and
// empty), without checks of the backend's names.
func Run(t *testing.T, newStore func(t *testing.T) blob.Store) {
	t.Helper()
	Suite{New: func(t *testing.T) (blob.Store, Names) { return newStore(t), nil }}.Run(t)
}

// Run runs the suite, each test as a subtest of t.
func (s Suite) Run(t *testing.T) {
	t.Helper()
	t.Run("RoundTrip", s.testRoundTrip)
	t.Run("TooLarge", s.testTooLarge)
	t.Run("Keys", s.testKeys)
	t.Run("Missing", s.testMissing)
	t.Run("ConcurrentPuts", s.testConcurrentPuts)
	t.Run("Large", s.testLarge)
	t.Run("Cancelled", s.testCancelled)
}

// ReadAll opens key in s and returns its bytes, failing t on an error.
func ReadAll(tb testing.TB, s blob.Store, key string) []byte {
	tb.Helper()
	rc, err := s.Open(context.Background(), key)
	if err != nil {
		tb.Fatalf("Open(%q): %v", key, err)
	}
	defer rc.Close()
	b, err := io.ReadAll(rc)
	if err != nil {
		tb.Fatalf("reading %q: %v", key, err)
	}
	return b
}

// names returns the backend's names sorted, or nil if it cannot be listed.
func names(t *testing.T, list Names) []string {
	t.Helper()
	if list == nil {
		return nil
	}
	n := list(t)
	slices.Sort(n)
	return n
}

func (s Suite) testRoundTrip(t *testing.T) {
	ctx := context.Background()
	st, list := s.New(t)
	for _, tc := range []struct {
		name    string
		content []byte
		max     int64
	}{
		{"empty", nil, 1},
		{"small", []byte("%PDF-1.7 Grüße 👍"), 1 << 20},
		{"exactly max", bytes.Repeat([]byte{0xAB}, 4096), 4096},
		{"1 MiB", bytes.Repeat([]byte("0123456789abcdef"), 1<<16), 1 << 20},
	} {
		t.Run(tc.name, func(t *testing.T) {
			key := blob.NewKey()
			n, err := st.Put(ctx, key, bytes.NewReader(tc.content), tc.max)
			if err != nil {
				t.Fatalf("Put: %v", err)
			}
			if n != int64(len(tc.content)) {
				t.Errorf("Put = %d bytes, want %d", n, len(tc.content))
			}
			if got := ReadAll(t, st, key); !bytes.Equal(got, tc.content) {
				t.Errorf("Open = %d bytes, want %d", len(got), len(tc.content))
			}
			// A second Open reads the same bytes.
			if got := ReadAll(t, st, key); !bytes.Equal(got, tc.content) {
				t.Errorf("second Open = %d bytes, want %d", len(got), len(tc.content))
			}
		})
	}

	// Put replaces.
	key := blob.NewKey()
	for _, c := range []string{"erste Fassung", "zweite"} {
		if _, err := st.Put(ctx, key, strings.NewReader(c), 100); err != nil {
			t.Fatal(err)
		}
	}
	if got := ReadAll(t, st, key); string(got) != "zweite" {
		t.Errorf("after a second Put: %q", got)
	}
	if list != nil {
		if got := len(names(t, list)); got != 5 {
			t.Errorf("backend holds %d names after 5 keys were put: %q", got, names(t, list))
		}
	}
}

// endless is an infinite reader that counts what was read.
type endless struct{ n int64 }

func (e *endless) Read(p []byte) (int, error) {
	for i := range p {
		p[i] = 'x'
	}
	e.n += int64(len(p))
	return len(p), nil
}

func (s Suite) testTooLarge(t *testing.T) {
	ctx := context.Background()
	st, list := s.New(t)
	key := blob.NewKey()
	_, err := st.Put(ctx, key, bytes.NewReader(make([]byte, 1025)), 1024)
	if !errors.Is(err, apperr.TooLarge) {
		t.Fatalf("Put(1025 of 1024) = %v, want apperr.TooLarge", err)
	}
	if n := names(t, list); len(n) != 0 {
		t.Errorf("backend holds %q after a refused Put", n)
	}
	if _, err = st.Open(ctx, key); !errors.Is(err, apperr.NotFound) {
		t.Errorf("Open after a refused Put = %v, want apperr.NotFound", err)
	}

	// Put stops reading an endless stream soon after the limit.
	r := &endless{}
	_, err = st.Put(ctx, key, r, 1<<20)
	if !errors.Is(err, apperr.TooLarge) {
		t.Fatalf("Put(endless) = %v, want apperr.TooLarge", err)
	}
	if r.n > 2<<20 {
		t.Errorf("Put read %d bytes of an endless stream with a limit of 1 MiB", r.n)
	}
	if n := names(t, list); len(n) != 0 {
		t.Errorf("backend holds %q after a refused Put", n)
	}

	// A refused Put keeps the blob already stored under the key.
	if _, err := st.Put(ctx, key, strings.NewReader("alt"), 10); err != nil {
		t.Fatal(err)
	}
	if _, err := st.Put(ctx, key, strings.NewReader("viel zu lang für zehn"), 10); !errors.Is(err, apperr.TooLarge) {
		t.Errorf("Put(too long) = %v, want apperr.TooLarge", err)
	}
	if got := ReadAll(t, st, key); string(got) != "alt" {
		t.Errorf("after a refused Put the blob is %q", got)
	}

	for _, max := range []int64{0, -1} {
		if _, err := st.Put(ctx, blob.NewKey(), strings.NewReader("x"), max); !errors.Is(err, apperr.Invalid) {
			t.Errorf("Put(maxBytes %d) = %v, want apperr.Invalid", max, err)
		}
	}
	if n := names(t, list); len(n) != 1 {
		t.Errorf("backend holds %q, want one name", n)
	}
}

// BadKeys are malformed keys every Store refuses with apperr.Invalid.
var BadKeys = []string{
	"", "short", "../secret-file", "..%2fsecret-file", "../../etc/passwd", "/etc/passwd",
	"abc/defgh", `abc\defgh`, "abcdefgh.pdf", ".hiddenkey", "abcdefgh\x00", "abc defgh",
	"äbcdefghi", strings.Repeat("a", 129), "abcdefgh\n", "abcdefgh?x=1", "abcdefgh#x",
	"abcdefgh%00", "ABCDEFGH/../x",
}

func (s Suite) testKeys(t *testing.T) {
	ctx := context.Background()
	st, list := s.New(t)
	for _, key := range BadKeys {
		if _, err := st.Put(ctx, key, strings.NewReader("x"), 10); !errors.Is(err, apperr.Invalid) {
			t.Errorf("Put(%q) = %v, want apperr.Invalid", key, err)
		}
		if _, err := st.Open(ctx, key); !errors.Is(err, apperr.Invalid) {
			t.Errorf("Open(%q) = %v, want apperr.Invalid", key, err)
		}
		if err := st.Delete(ctx, key); !errors.Is(err, apperr.Invalid) {
			t.Errorf("Delete(%q) = %v, want apperr.Invalid", key, err)
		}
	}
	if n := names(t, list); len(n) != 0 {
		t.Errorf("backend holds %q after bad keys", n)
	}

	good := []string{blob.NewKey(), "abcdefgh", "ABC-123-xyz", strings.Repeat("Z", 128), "--------"}
	for _, key := range good {
		if !blob.ValidKey(key) {
			t.Errorf("ValidKey(%q) = false", key)
		}
		if _, err := st.Put(ctx, key, strings.NewReader(key), 200); err != nil {
			t.Errorf("Put(%q): %v", key, err)
			continue
		}
		if got := ReadAll(t, st, key); string(got) != key {
			t.Errorf("Open(%q) = %q", key, got)
		}
	}
	// Keys differing in case are different blobs.
	if got := ReadAll(t, st, "abcdefgh"); string(got) != "abcdefgh" {
		t.Errorf("Open(abcdefgh) = %q", got)
	}
	if _, err := st.Open(ctx, "ABCDEFGH"); !errors.Is(err, apperr.NotFound) {
		t.Errorf("Open(ABCDEFGH) = %v, want apperr.NotFound", err)
	}
}

func (s Suite) testMissing(t *testing.T) {
	ctx := context.Background()
	st, list := s.New(t)
	key := blob.NewKey()
	if _, err := st.Open(ctx, key); !errors.Is(err, apperr.NotFound) {
		t.Errorf("Open(missing) = %v, want apperr.NotFound", err)
	}
	if err := st.Delete(ctx, key); err != nil {
		t.Errorf("Delete(missing) = %v, want nil", err)
	}
	other := blob.NewKey()
	if _, err := st.Put(ctx, other, strings.NewReader("bleibt"), 10); err != nil {
		t.Fatal(err)
	}
	if _, err := st.Put(ctx, key, strings.NewReader("x"), 10); err != nil {
		t.Fatal(err)
	}
	if err := st.Delete(ctx, key); err != nil {
		t.Fatalf("Delete: %v", err)
	}
	if _, err := st.Open(ctx, key); !errors.Is(err, apperr.NotFound) {
		t.Errorf("Open(deleted) = %v, want apperr.NotFound", err)
	}
	if err := st.Delete(ctx, key); err != nil {
		t.Errorf("Delete(deleted) = %v, want nil", err)
	}
	if got := ReadAll(t, st, other); string(got) != "bleibt" {
		t.Errorf("another blob after Delete: %q", got)
	}
	if n := names(t, list); len(n) != 1 {
		t.Errorf("backend holds %q, want one name", n)
	}
	// A deleted key can be used again.
	if _, err := st.Put(ctx, key, strings.NewReader("neu"), 10); err != nil {
		t.Fatal(err)
	}
	if got := ReadAll(t, st, key); string(got) != "neu" {
		t.Errorf("Put after Delete: %q", got)
	}
}

func (s Suite) testConcurrentPuts(t *testing.T) {
	ctx := context.Background()
	st, list := s.New(t)
	const n = 16
	content := func(i int) []byte { return bytes.Repeat(fmt.Appendf(nil, "blob %02d;", i), 10000) }
	keys := make([]string, n)
	for i := range keys {
		keys[i] = blob.NewKey()
	}
	shared := blob.NewKey()
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			if _, err := st.Put(ctx, keys[i], bytes.NewReader(content(i)), 1<<20); err != nil {
				t.Errorf("Put #%d: %v", i, err)
			}
			// all write the same key too
			if _, err := st.Put(ctx, shared, bytes.NewReader(content(i)), 1<<20); err != nil {
				t.Errorf("Put(shared) #%d: %v", i, err)
			}
		})
	}
	wg.Wait()
	for i, key := range keys {
		if got := ReadAll(t, st, key); !bytes.Equal(got, content(i)) {
			t.Errorf("blob #%d differs", i)
		}
	}
	// The shared key holds one complete writer's content.
	got := ReadAll(t, st, shared)
	ok := false
	for i := range n {
		if bytes.Equal(got, content(i)) {
			ok = true
		}
	}
	if !ok {
		t.Errorf("shared key holds %d bytes that no single Put wrote", len(got))
	}
	if list != nil {
		if got := names(t, list); len(got) != n+1 {
			t.Errorf("backend holds %d names, want %d (nothing temporary left): %q", len(got), n+1, got)
		}
	}

	// Concurrent Opens and Deletes.
	for i, key := range keys {
		wg.Go(func() {
			if got := ReadAll(t, st, key); !bytes.Equal(got, content(i)) {
				t.Errorf("blob #%d differs", i)
			}
			if err := st.Delete(ctx, key); err != nil {
				t.Errorf("Delete #%d: %v", i, err)
			}
		})
	}
	wg.Wait()
	if list != nil {
		if got := names(t, list); len(got) != 1 {
			t.Errorf("backend holds %q after deleting all but one", got)
		}
	}
}

// Pattern is a reader of size pseudo-random bytes (xorshift64 from seed),
// so a large blob can be streamed in and compared without being held.
type Pattern struct {
	state uint64
	left  int64
}

// NewPattern returns a Pattern of size bytes from seed (not 0).
func NewPattern(seed uint64, size int64) *Pattern {
	if seed == 0 {
		seed = 1
	}
	return &Pattern{state: seed, left: size}
}

func (p *Pattern) Read(b []byte) (int, error) {
	if p.left <= 0 {
		return 0, io.EOF
	}
	if int64(len(b)) > p.left {
		b = b[:p.left]
	}
	x := p.state
	for i := range b {
		x ^= x << 13
		x ^= x >> 7
		x ^= x << 17
		b[i] = byte(x >> 32)
	}
	p.state = x
	p.left -= int64(len(b))
	return len(b), nil
}

// Equal reports the first offset where r and want differ, or -1 if they
// are the same stream, reading both in chunks of 64 KiB.
func Equal(r, want io.Reader) (int64, error) {
	a, b := make([]byte, 64<<10), make([]byte, 64<<10)
	var off int64
	for {
		na, erra := io.ReadFull(r, a)
		nb, errb := io.ReadFull(want, b)
		if erra != nil && erra != io.EOF && erra != io.ErrUnexpectedEOF {
			return off, erra
		}
		if errb != nil && errb != io.EOF && errb != io.ErrUnexpectedEOF {
			return off, errb
		}
		for i := range min(na, nb) {
			if a[i] != b[i] {
				return off + int64(i), nil
			}
		}
		if na != nb {
			return off + int64(min(na, nb)), nil
		}
		if na < len(a) {
			return -1, nil
		}
		off += int64(na)
	}
}

func (s Suite) testLarge(t *testing.T) {
	size := s.LargeSize
	switch {
	case size < 0:
		t.Skip("LargeSize < 0")
	case size == 0:
		size = 20 << 20
	}
	ctx := context.Background()
	st, _ := s.New(t)
	key := blob.NewKey()
	n, err := st.Put(ctx, key, NewPattern(42, size), size)
	if err != nil {
		t.Fatalf("Put(%d bytes): %v", size, err)
	}
	if n != size {
		t.Errorf("Put = %d bytes, want %d", n, size)
	}
	rc, err := st.Open(ctx, key)
	if err != nil {
		t.Fatal(err)
	}
	defer rc.Close()
	off, err := Equal(rc, NewPattern(42, size))
	if err != nil {
		t.Fatal(err)
	}
	if off >= 0 {
		t.Errorf("the large blob differs at byte %d", off)
	}
	// One byte more than the limit is refused.
	if _, err := st.Put(ctx, blob.NewKey(), NewPattern(7, size+1), size); !errors.Is(err, apperr.TooLarge) {
		t.Errorf("Put(%d of %d) = %v, want apperr.TooLarge", size+1, size, err)
	}
}

func (s Suite) testCancelled(t *testing.T) {
	st, _ := s.New(t)
	key := blob.NewKey()
	if _, err := st.Put(context.Background(), key, strings.NewReader("x"), 10); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := st.Put(ctx, blob.NewKey(), strings.NewReader("x"), 10); !errors.Is(err, context.Canceled) {
		t.Errorf("Put with a cancelled context = %v, want context.Canceled", err)
	}
	if _, err := st.Open(ctx, key); !errors.Is(err, context.Canceled) {
		t.Errorf("Open with a cancelled context = %v, want context.Canceled", err)
	}
	if err := st.Delete(ctx, key); !errors.Is(err, context.Canceled) {
		t.Errorf("Delete with a cancelled context = %v, want context.Canceled", err)
	}
	if got := ReadAll(t, st, key); string(got) != "x" {
		t.Errorf("after a cancelled Delete the blob is %q", got)
	}
}
