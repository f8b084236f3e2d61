package blob_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/antrag/antrag/internal/apperr"
	"github.com/antrag/antrag/internal/blob"
	"github.com/antrag/antrag/internal/sealed"
)

func mustBox(tb testing.TB, b byte) *sealed.Box {
	tb.Helper()
	box, err := sealed.New(bytes.Repeat([]byte{b}, 32))
	if err != nil {
		tb.Fatal(err)
	}
	return box
}

func mustDir(tb testing.TB) (*blob.Dir, string) {
	tb.Helper()
	dir := filepath.Join(tb.TempDir(), "blobs")
	d, err := blob.NewDir(dir, mustBox(tb, 1))
	if err != nil {
		tb.Fatal(err)
	}
	return d, dir
}

func mustRead(tb testing.TB, s blob.Store, key string) []byte {
	tb.Helper()
	rc, err := s.Open(context.Background(), key)
	if err != nil {
		tb.Fatalf("Open(%q): %v", key, err)
	}
	defer rc.Close()
	b, err := io.ReadAll(rc)
	if err != nil {
		tb.Fatal(err)
	}
	return b
}

// files lists the names in dir.
func files(tb testing.TB, dir string) []string {
	tb.Helper()
	entries, err := os.ReadDir(dir)
	if err != nil {
		tb.Fatal(err)
	}
	var out []string
	for _, e := range entries {
		out = append(out, e.Name())
	}
	return out
}

func TestRoundTrip(t *testing.T) {
	ctx := context.Background()
	d, dir := mustDir(t)
	for _, tc := range []struct {
		name    string
		content []byte
		max     int64
	}{
		{"empty", nil, 1},
		{"small", []byte("%PDF-1.7 Grüße 👍"), 1 << 20},
		{"exactly max", bytes.Repeat([]byte{0xAB}, 4096), 4096},
		{"large", bytes.Repeat([]byte("0123456789abcdef"), 1<<16), 1 << 20},
	} {
		t.Run(tc.name, func(t *testing.T) {
			key := blob.NewKey()
			n, err := d.Put(ctx, key, bytes.NewReader(tc.content), tc.max)
			if err != nil {
				t.Fatalf("Put: %v", err)
			}
			if n != int64(len(tc.content)) {
				t.Errorf("Put = %d bytes, want %d", n, len(tc.content))
			}
			if got := mustRead(t, d, key); !bytes.Equal(got, tc.content) {
				t.Errorf("Open = %d bytes, want %d", len(got), len(tc.content))
			}
			fi, err := os.Stat(filepath.Join(dir, key))
			if err != nil {
				t.Fatal(err)
			}
			if mode := fi.Mode().Perm(); mode != 0o600 {
				t.Errorf("file mode %v, want 0600", mode)
			}
		})
	}
	fi, err := os.Stat(dir)
	if err != nil {
		t.Fatal(err)
	}
	if mode := fi.Mode().Perm(); mode != 0o700 {
		t.Errorf("dir mode %v, want 0700", mode)
	}

	// Put replaces.
	key := blob.NewKey()
	for _, s := range []string{"erste Fassung", "zweite"} {
		if _, err := d.Put(ctx, key, strings.NewReader(s), 100); err != nil {
			t.Fatal(err)
		}
	}
	if got := mustRead(t, d, key); string(got) != "zweite" {
		t.Errorf("after a second Put: %q", got)
	}
	for _, name := range files(t, dir) {
		if strings.HasPrefix(name, ".") {
			t.Errorf("temporary file %s left behind", name)
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

func TestTooLarge(t *testing.T) {
	ctx := context.Background()
	d, dir := mustDir(t)
	key := blob.NewKey()
	_, err := d.Put(ctx, key, bytes.NewReader(make([]byte, 1025)), 1024)
	if !errors.Is(err, apperr.TooLarge) {
		t.Fatalf("Put(1025 of 1024) = %v, want apperr.TooLarge", err)
	}
	if names := files(t, dir); len(names) != 0 {
		t.Errorf("files after a refused Put: %q", names)
	}
	_, err = d.Open(ctx, key)
	if !errors.Is(err, apperr.NotFound) {
		t.Errorf("Open after a refused Put = %v, want apperr.NotFound", err)
	}

	// Put stops reading an endless stream soon after the limit.
	r := &endless{}
	_, err = d.Put(ctx, key, r, 1<<20)
	if !errors.Is(err, apperr.TooLarge) {
		t.Fatalf("Put(endless) = %v, want apperr.TooLarge", err)
	}
	if r.n > 2<<20 {
		t.Errorf("Put read %d bytes of an endless stream with a limit of 1 MiB", r.n)
	}

	// A refused Put keeps the blob already stored under the key.
	if _, err := d.Put(ctx, key, strings.NewReader("alt"), 10); err != nil {
		t.Fatal(err)
	}
	if _, err := d.Put(ctx, key, strings.NewReader("viel zu lang für zehn"), 10); !errors.Is(err, apperr.TooLarge) {
		t.Errorf("Put(too long) = %v", err)
	}
	if got := mustRead(t, d, key); string(got) != "alt" {
		t.Errorf("after a refused Put the blob is %q", got)
	}

	if _, err := d.Put(ctx, blob.NewKey(), strings.NewReader("x"), 0); !errors.Is(err, apperr.Invalid) {
		t.Errorf("Put(maxBytes 0) = %v, want apperr.Invalid", err)
	}
}

func TestKeys(t *testing.T) {
	ctx := context.Background()
	parent := t.TempDir()
	dir := filepath.Join(parent, "blobs")
	d, err := blob.NewDir(dir, mustBox(t, 1))
	if err != nil {
		t.Fatal(err)
	}
	// A file beside the store that a traversal would reach.
	secret := filepath.Join(parent, "secret-file")
	if err := os.WriteFile(secret, []byte("geheim"), 0o600); err != nil {
		t.Fatal(err)
	}
	bad := []string{
		"", "short", "../secret-file", "..%2fsecret-file", "../../etc/passwd", "/etc/passwd",
		"abc/defgh", `abc\defgh`, "abcdefgh.pdf", ".hiddenkey", "abcdefgh\x00", "abc defgh",
		"äbcdefghi", strings.Repeat("a", 129), "abcdefgh\n",
	}
	for _, key := range bad {
		if _, err := d.Put(ctx, key, strings.NewReader("x"), 10); !errors.Is(err, apperr.Invalid) {
			t.Errorf("Put(%q) = %v, want apperr.Invalid", key, err)
		}
		if _, err := d.Open(ctx, key); !errors.Is(err, apperr.Invalid) {
			t.Errorf("Open(%q) = %v, want apperr.Invalid", key, err)
		}
		if err := d.Delete(ctx, key); !errors.Is(err, apperr.Invalid) {
			t.Errorf("Delete(%q) = %v, want apperr.Invalid", key, err)
		}
	}
	if _, err := os.Stat(secret); err != nil {
		t.Errorf("the file beside the store: %v", err)
	}
	if names := files(t, dir); len(names) != 0 {
		t.Errorf("files after bad keys: %q", names)
	}

	good := []string{blob.NewKey(), "abcdefgh", "ABC-123-xyz", strings.Repeat("Z", 128)}
	for _, key := range good {
		if !blob.ValidKey(key) {
			t.Errorf("ValidKey(%q) = false", key)
		}
		if _, err := d.Put(ctx, key, strings.NewReader(key), 200); err != nil {
			t.Errorf("Put(%q): %v", key, err)
		}
	}
	seen := map[string]bool{}
	for range 1000 {
		k := blob.NewKey()
		if !blob.ValidKey(k) || seen[k] {
			t.Fatalf("NewKey = %q (valid %v, repeated %v)", k, blob.ValidKey(k), seen[k])
		}
		seen[k] = true
	}
}

func TestMissing(t *testing.T) {
	ctx := context.Background()
	d, _ := mustDir(t)
	key := blob.NewKey()
	if _, err := d.Open(ctx, key); !errors.Is(err, apperr.NotFound) {
		t.Errorf("Open(missing) = %v, want apperr.NotFound", err)
	}
	if err := d.Delete(ctx, key); err != nil {
		t.Errorf("Delete(missing) = %v", err)
	}
	if _, err := d.Put(ctx, key, strings.NewReader("x"), 10); err != nil {
		t.Fatal(err)
	}
	if err := d.Delete(ctx, key); err != nil {
		t.Fatalf("Delete: %v", err)
	}
	if _, err := d.Open(ctx, key); !errors.Is(err, apperr.NotFound) {
		t.Errorf("Open(deleted) = %v, want apperr.NotFound", err)
	}
	if err := d.Delete(ctx, key); err != nil {
		t.Errorf("Delete(deleted) = %v", err)
	}
}

func TestEncryptedAtRest(t *testing.T) {
	ctx := context.Background()
	d, dir := mustDir(t)
	const secret = "Personalausweis L01X00T47 Erika Mustermann"
	key := blob.NewKey()
	if _, err := d.Put(ctx, key, strings.NewReader(strings.Repeat(secret, 10)), 1<<20); err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(filepath.Join(dir, key))
	if err != nil {
		t.Fatal(err)
	}
	if bytes.Contains(b, []byte("Personalausweis")) || bytes.Contains(b, []byte("Mustermann")) {
		t.Error("the stored file contains the plain text")
	}

	// Another key cannot open it; a changed file is an error.
	other, err := blob.NewDir(dir, mustBox(t, 2))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := other.Open(ctx, key); !errors.Is(err, sealed.ErrOpen) {
		t.Errorf("Open with another key = %v, want sealed.ErrOpen", err)
	}
	b[len(b)-1] ^= 1
	if err := os.WriteFile(filepath.Join(dir, key), b, 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := d.Open(ctx, key); !errors.Is(err, sealed.ErrOpen) {
		t.Errorf("Open of a changed file = %v, want sealed.ErrOpen", err)
	}
}

func TestConcurrentPuts(t *testing.T) {
	ctx := context.Background()
	d, dir := mustDir(t)
	const n = 16
	keys := make([]string, n)
	for i := range keys {
		keys[i] = blob.NewKey()
	}
	shared := blob.NewKey()
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			content := bytes.Repeat([]byte(fmt.Sprintf("blob %02d;", i)), 10000)
			if _, err := d.Put(ctx, keys[i], bytes.NewReader(content), 1<<20); err != nil {
				t.Errorf("Put #%d: %v", i, err)
			}
			// all write the same key too
			if _, err := d.Put(ctx, shared, bytes.NewReader(content), 1<<20); err != nil {
				t.Errorf("Put(shared) #%d: %v", i, err)
			}
		})
	}
	wg.Wait()
	for i, key := range keys {
		want := bytes.Repeat([]byte(fmt.Sprintf("blob %02d;", i)), 10000)
		if got := mustRead(t, d, key); !bytes.Equal(got, want) {
			t.Errorf("blob #%d differs", i)
		}
	}
	// The shared key holds one complete writer's content.
	got := mustRead(t, d, shared)
	ok := false
	for i := range n {
		if bytes.Equal(got, bytes.Repeat([]byte(fmt.Sprintf("blob %02d;", i)), 10000)) {
			ok = true
		}
	}
	if !ok {
		t.Errorf("shared key holds %d bytes that no single Put wrote", len(got))
	}
	if names := files(t, dir); len(names) != n+1 {
		t.Errorf("%d files, want %d (no temporary files left)", len(names), n+1)
	}
}

func TestNewDir(t *testing.T) {
	if _, err := blob.NewDir(t.TempDir(), nil); err == nil {
		t.Error("NewDir without a box: no error")
	}
	if _, err := blob.NewDir("", mustBox(t, 1)); err == nil {
		t.Error("NewDir(\"\"): no error")
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	d, _ := mustDir(t)
	if _, err := d.Put(ctx, blob.NewKey(), strings.NewReader("x"), 10); !errors.Is(err, context.Canceled) {
		t.Errorf("Put with a cancelled context = %v", err)
	}
}
