package blob_test

import (
	"bytes"
	"context"
	"errors"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	"github.com/antrag/antrag/internal/apperr"
	"github.com/antrag/antrag/internal/blob"
	"github.com/antrag/antrag/internal/blob/blobtest"
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

// TestDirConformance runs the shared Store suite on Dir; its Names are the
// directory's entries, temporary files included.
func TestDirConformance(t *testing.T) {
	blobtest.Suite{New: func(t *testing.T) (blob.Store, blobtest.Names) {
		d, dir := mustDir(t)
		return d, func(t *testing.T) []string { return files(t, dir) }
	}}.Run(t)
}

func TestDirModes(t *testing.T) {
	ctx := context.Background()
	d, dir := mustDir(t)
	for _, content := range [][]byte{nil, []byte("%PDF-1.7 Grüße 👍")} {
		key := blob.NewKey()
		if _, err := d.Put(ctx, key, bytes.NewReader(content), 100); err != nil {
			t.Fatal(err)
		}
		fi, err := os.Stat(filepath.Join(dir, key))
		if err != nil {
			t.Fatal(err)
		}
		if mode := fi.Mode().Perm(); mode != 0o600 {
			t.Errorf("file mode %v, want 0600", mode)
		}
	}
	fi, err := os.Stat(dir)
	if err != nil {
		t.Fatal(err)
	}
	if mode := fi.Mode().Perm(); mode != 0o700 {
		t.Errorf("dir mode %v, want 0700", mode)
	}
	for _, name := range files(t, dir) {
		if strings.HasPrefix(name, ".") {
			t.Errorf("temporary file %s left behind", name)
		}
	}
}

func TestDirKeysStayInside(t *testing.T) {
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
	for _, key := range blobtest.BadKeys {
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
	if b, err := os.ReadFile(secret); err != nil || string(b) != "geheim" {
		t.Errorf("the file beside the store: %q, %v", b, err)
	}
}

func TestNewKey(t *testing.T) {
	seen := map[string]bool{}
	for range 1000 {
		k := blob.NewKey()
		if !blob.ValidKey(k) || seen[k] {
			t.Fatalf("NewKey = %q (valid %v, repeated %v)", k, blob.ValidKey(k), seen[k])
		}
		seen[k] = true
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

func TestNewDir(t *testing.T) {
	if _, err := blob.NewDir(t.TempDir(), nil); err == nil {
		t.Error("NewDir without a box: no error")
	}
	if _, err := blob.NewDir("", mustBox(t, 1)); err == nil {
		t.Error("NewDir(\"\"): no error")
	}
}

// TestDirOpensOldFiles: files sealed as one message, as Put wrote them
// before the stream format, still open.
func TestDirOpensOldFiles(t *testing.T) {
	d, dir := mustDir(t)
	for _, n := range []int{0, 10, 200_000} {
		plain := bytes.Repeat([]byte("Altbestand "), n/11+1)[:n]
		key := blob.NewKey()
		if err := os.WriteFile(filepath.Join(dir, key), mustBox(t, 1).Seal(plain), 0o600); err != nil {
			t.Fatal(err)
		}
		if got := blobtest.ReadAll(t, d, key); !bytes.Equal(got, plain) {
			t.Errorf("old file of %d bytes opened to %d bytes", n, len(got))
		}
	}
}

// TestDirPutAndOpenHoldOneChunk: a 48 MiB blob passes through Put and
// Open with a few hundred KiB allocated, not the blob's size (a Put held
// the whole blob and its sealed copy before).
func TestDirPutAndOpenHoldOneChunk(t *testing.T) {
	ctx := context.Background()
	d, _ := mustDir(t)
	const size = 48 << 20
	key := blob.NewKey()
	alloc := allocated(func() {
		if _, err := d.Put(ctx, key, io.LimitReader(zeros{}, size), size); err != nil {
			t.Fatal(err)
		}
	})
	t.Logf("Put of %d MiB allocated %d KiB", size>>20, alloc>>10)
	if alloc > 4<<20 {
		t.Errorf("Put of %d MiB allocated %d KiB", size>>20, alloc>>10)
	}
	alloc = allocated(func() {
		rc, err := d.Open(ctx, key)
		if err != nil {
			t.Fatal(err)
		}
		defer rc.Close()
		if n, err := io.Copy(io.Discard, rc); err != nil || n != size {
			t.Fatalf("read %d bytes, %v", n, err)
		}
	})
	t.Logf("Open and read of %d MiB allocated %d KiB", size>>20, alloc>>10)
	if alloc > 4<<20 {
		t.Errorf("Open and read of %d MiB allocated %d KiB", size>>20, alloc>>10)
	}
}

// allocated returns the bytes the process allocated while fn ran.
func allocated(fn func()) uint64 {
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	fn()
	runtime.ReadMemStats(&after)
	return after.TotalAlloc - before.TotalAlloc
}

type zeros struct{}

func (zeros) Read(p []byte) (int, error) {
	clear(p)
	return len(p), nil
}
