package blob

import (
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
// Put seals the bytes as they arrive (sealed.Box.NewWriter) and Open opens
// them as they are read, so either holds one chunk of 64 KiB in memory,
// whatever the blob's size. Files written before the stream format (one
// sealed message each) are read whole.
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

// Put stores the bytes of r, sealed, under key. See Store. The bytes are
// sealed and written to a temporary file as they are read, and the file is
// renamed to the key when r ends within maxBytes.
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
	f, err := os.CreateTemp(d.dir, ".put-*") // mode 0600; no key starts with a dot
	if err != nil {
		return 0, err
	}
	tmp := f.Name()
	defer func() {
		if err != nil {
			f.Close()
			os.Remove(tmp)
		}
	}()
	n, err = SealTo(ctx, d.box, f, r, maxBytes)
	if err != nil {
		return 0, err
	}
	if err := f.Sync(); err != nil {
		return 0, err
	}
	if err := f.Close(); err != nil {
		return 0, err
	}
	if err := os.Rename(tmp, path); err != nil {
		return 0, err
	}
	return n, syncDir(d.dir)
}

// SealTo seals what r yields, up to its end, into w in the stream format
// (sealed.Box.NewWriter), and returns the number of plain bytes. More than
// maxBytes bytes are apperr.TooLarge; a done ctx ends it between reads
// with ctx.Err(). On an error w holds a part. It holds one chunk and a
// copy buffer in memory.
func SealTo(ctx context.Context, box *sealed.Box, w io.Writer, r io.Reader, maxBytes int64) (int64, error) {
	sw := box.NewWriter(w)
	n, err := io.Copy(sw, &ctxReader{ctx: ctx, r: io.LimitReader(r, maxBytes+1)})
	if err != nil {
		return n, err
	}
	if n > maxBytes {
		return n, fmt.Errorf("%w: more than %d bytes", apperr.TooLarge, maxBytes)
	}
	return n, sw.Close()
}

// ctxReader ends reading when its context is done.
type ctxReader struct {
	ctx context.Context
	r   io.Reader
}

func (c *ctxReader) Read(p []byte) (int, error) {
	if err := c.ctx.Err(); err != nil {
		return 0, err
	}
	return c.r.Read(p)
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

// Open returns a reader of the opened bytes of the blob. See Store. A
// blob that was changed or sealed with another key is an error wrapping
// sealed.ErrOpen, from Open when its first chunk is affected, else from
// a Read.
func (d *Dir) Open(ctx context.Context, key string) (_ io.ReadCloser, err error) {
	defer wrap(&err, "Open", key)
	path, err := d.path(key)
	if err != nil {
		return nil, err
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	f, err := os.Open(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("%w: %w", apperr.NotFound, err)
	}
	if err != nil {
		return nil, err
	}
	plain, err := d.box.NewReader(f)
	if err != nil {
		f.Close()
		return nil, err
	}
	return ReadCloser{Reader: plain, Closer: f}, nil
}

// ReadCloser reads from its Reader and closes its Closer.
type ReadCloser struct {
	io.Reader
	io.Closer
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
