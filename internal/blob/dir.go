package blob

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"

	"github.com/antrag/antrag/internal/apperr"
	"github.com/antrag/antrag/internal/sealed"
)

var _ Store = (*Dir)(nil)

// Dir is a Store in a local directory: one file per key, named by the key,
// mode 0600, holding the sealed bytes. Writes are atomic (a temporary file
// is written, synced and renamed), so a reader sees the old blob or the new
// one, never a part. It is safe for concurrent use.
//
// Put holds the blob in memory (to seal it), so maxBytes bounds the memory
// a Put uses.
type Dir struct {
	dir string
	box *sealed.Box
}

// NewDir returns a Dir that stores blobs in dir, creating it (mode 0700) if
// needed, sealed with box.
func NewDir(dir string, box *sealed.Box) (*Dir, error) {
	if box == nil {
		return nil, errors.New("blob: NewDir: no sealed.Box")
	}
	if dir == "" {
		return nil, fmt.Errorf("blob: NewDir: %w: empty directory", apperr.Invalid)
	}
	abs, err := filepath.Abs(dir)
	if err != nil {
		return nil, fmt.Errorf("blob: NewDir(%q): %w", dir, err)
	}
	if err := os.MkdirAll(abs, 0o700); err != nil {
		return nil, fmt.Errorf("blob: NewDir(%q): %w", dir, err)
	}
	return &Dir{dir: abs, box: box}, nil
}

// path returns the file of a key, or apperr.Invalid.
func (d *Dir) path(key string) (string, error) {
	if !ValidKey(key) {
		return "", fmt.Errorf("%w: malformed blob key %q", apperr.Invalid, key)
	}
	return filepath.Join(d.dir, key), nil
}

// Put stores the bytes of r, sealed, under key. See Store.
func (d *Dir) Put(ctx context.Context, key string, r io.Reader, maxBytes int64) (n int64, err error) {
	defer wrap(&err, "Put", key)
	path, err := d.path(key)
	if err != nil {
		return 0, err
	}
	if maxBytes <= 0 {
		return 0, fmt.Errorf("%w: maxBytes %d", apperr.Invalid, maxBytes)
	}
	if err := ctx.Err(); err != nil {
		return 0, err
	}
	var buf bytes.Buffer
	n, err = io.Copy(&buf, io.LimitReader(r, maxBytes+1))
	if err != nil {
		return 0, err
	}
	if n > maxBytes {
		return 0, fmt.Errorf("%w: more than %d bytes", apperr.TooLarge, maxBytes)
	}
	if err := ctx.Err(); err != nil {
		return 0, err
	}
	if err := d.writeAtomic(path, d.box.Seal(buf.Bytes())); err != nil {
		return 0, err
	}
	return n, nil
}

// writeAtomic writes b to path through a synced temporary file in the same
// directory and a rename. Temporary names start with a dot, which no key
// does.
func (d *Dir) writeAtomic(path string, b []byte) (err error) {
	f, err := os.CreateTemp(d.dir, ".put-*") // mode 0600
	if err != nil {
		return err
	}
	tmp := f.Name()
	defer func() {
		if err != nil {
			f.Close()
			os.Remove(tmp)
		}
	}()
	if _, err := f.Write(b); err != nil {
		return err
	}
	if err := f.Sync(); err != nil {
		return err
	}
	if err := f.Close(); err != nil {
		return err
	}
	if err := os.Rename(tmp, path); err != nil {
		return err
	}
	return syncDir(d.dir)
}

// syncDir makes a rename in dir durable.
func syncDir(dir string) error {
	f, err := os.Open(dir)
	if err != nil {
		return err
	}
	err = f.Sync()
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	return err
}

// Open returns the opened bytes of the blob. See Store. A blob that was
// changed or sealed with another key is an error wrapping sealed.ErrOpen.
func (d *Dir) Open(ctx context.Context, key string) (_ io.ReadCloser, err error) {
	defer wrap(&err, "Open", key)
	path, err := d.path(key)
	if err != nil {
		return nil, err
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	b, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("%w: %w", apperr.NotFound, err)
	}
	if err != nil {
		return nil, err
	}
	plain, err := d.box.Open(b)
	if err != nil {
		return nil, err
	}
	return io.NopCloser(bytes.NewReader(plain)), nil
}

// Delete deletes the blob. See Store.
func (d *Dir) Delete(ctx context.Context, key string) (err error) {
	defer wrap(&err, "Delete", key)
	path, err := d.path(key)
	if err != nil {
		return err
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	if err := os.Remove(path); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return err
	}
	return nil
}

// wrap prefixes *errp with the operation.
func wrap(errp *error, op, key string) {
	if *errp != nil {
		*errp = fmt.Errorf("blob: %s(%q): %w", op, key, *errp)
	}
}
