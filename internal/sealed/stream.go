package sealed

import (
	"bytes"
	"crypto/rand"
	"encoding/binary"
	"errors"
	"fmt"
	"io"

	"golang.org/x/crypto/nacl/secretbox"
)

// The stream format seals content of any length in fixed-size chunks, so
// that neither sealing nor opening holds more than one chunk in memory. It
// is the STREAM construction (Hoang, Reyhanitabar, Rogaway, Vizár 2015, as
// in age and Tink) with NaCl secretbox as the AEAD:
//
//	header  = magic (8 bytes, "antrag\x00\x01") || prefix (16 random bytes)
//	chunk i = secretbox.Seal(plain_i, nonce_i, key)   (ChunkSize plain bytes, the last 0…ChunkSize)
//	nonce_i = prefix || uint56 big-endian i || flag   (flag 1 for the last chunk, else 0)
//
// Every chunk but the last holds exactly ChunkSize plain bytes; the last
// holds the rest and is empty only when the content is. The index in the
// nonce makes a reordered or repeated chunk fail to open, the flag a
// stream cut at a chunk boundary (its new last chunk was sealed as not
// last) or extended after its last chunk; the random prefix keeps the
// nonces of two streams under one key apart (2^-128 per pair).
//
// A message of Seal (nonce || box) starts with 24 random bytes, which
// match the magic with probability 2^-64; NewReader reads both.

// ChunkSize is the number of plain bytes in each chunk of the stream
// format but the last.
const ChunkSize = 64 << 10

// streamMagic starts every stream; "\x00\x01" is the format's version.
var streamMagic = [8]byte{'a', 'n', 't', 'r', 'a', 'g', 0, 1}

const (
	prefixSize   = 16
	headerSize   = len(streamMagic) + prefixSize
	sealedChunk  = ChunkSize + secretbox.Overhead
	maxChunks    = 1 << 56
	lastChunkBit = 1
)

// SealedSize is the size in bytes of n plain bytes in the stream format.
func SealedSize(n int64) int64 {
	chunks := n/ChunkSize + 1
	if n > 0 && n%ChunkSize == 0 {
		chunks--
	}
	return int64(headerSize) + n + chunks*secretbox.Overhead
}

func chunkNonce(prefix *[prefixSize]byte, index uint64, last bool) *[24]byte {
	var n [24]byte
	copy(n[:prefixSize], prefix[:])
	binary.BigEndian.PutUint64(n[prefixSize:], index<<8)
	if last {
		n[23] = lastChunkBit
	}
	return &n
}

// NewWriter returns a writer that seals what is written to it into w in
// the stream format, one chunk at a time. Close seals the last chunk; it
// does not close w. Content that was not closed cannot be opened. The
// writer holds one chunk (about 128 KiB) and is not safe for concurrent
// use. Errors of w are returned as they are.
func (b *Box) NewWriter(w io.Writer) io.WriteCloser {
	sw := &streamWriter{box: b, dst: w, plain: make([]byte, 0, ChunkSize)}
	if _, err := rand.Read(sw.prefix[:]); err != nil {
		panic(err) // crypto/rand never fails on supported platforms
	}
	return sw
}

type streamWriter struct {
	box    *Box
	dst    io.Writer
	prefix [prefixSize]byte
	plain  []byte // the current chunk's plain bytes
	out    []byte // a sealed chunk
	index  uint64
	header bool // written
	err    error
	closed bool
}

func (w *streamWriter) Write(p []byte) (int, error) {
	if w.err != nil {
		return 0, w.err
	}
	if w.closed {
		return 0, errors.New("sealed: write after Close")
	}
	n := 0
	for len(p) > 0 {
		if len(w.plain) == ChunkSize {
			// More follows: the full chunk is not the last.
			if err := w.flush(false); err != nil {
				return n, err
			}
		}
		k := copy(w.plain[len(w.plain):ChunkSize], p)
		w.plain = w.plain[:len(w.plain)+k]
		p = p[k:]
		n += k
	}
	return n, nil
}

func (w *streamWriter) flush(last bool) error {
	if w.index >= maxChunks {
		w.err = errors.New("sealed: stream too long")
		return w.err
	}
	if !w.header {
		if _, err := w.dst.Write(append(streamMagic[:], w.prefix[:]...)); err != nil {
			w.err = err
			return err
		}
		w.header = true
	}
	w.out = secretbox.Seal(w.out[:0], w.plain, chunkNonce(&w.prefix, w.index, last), &w.box.key)
	clear(w.plain)
	w.plain = w.plain[:0]
	w.index++
	if _, err := w.dst.Write(w.out); err != nil {
		w.err = err
		return err
	}
	return nil
}

// Close seals the last chunk and writes it.
func (w *streamWriter) Close() error {
	if w.err != nil {
		return w.err
	}
	if w.closed {
		return nil
	}
	w.closed = true
	return w.flush(true)
}

// NewReader returns a reader of the plain content sealed in r, in the
// stream format (NewWriter) or as one message (Seal), which it tells apart
// by the stream's magic. A stream is opened one chunk at a time, holding
// one chunk; a message is read whole. NewReader opens the first chunk (or
// the message) before it returns, so that a wrong key or a changed start
// shows at once.
//
// Content sealed with another key, changed, truncated, reordered or
// extended is an error wrapping ErrOpen, from NewReader or from a later
// Read; no byte of a chunk is returned before the chunk is authenticated.
// Errors reading r are returned as they are.
func (b *Box) NewReader(r io.Reader) (io.Reader, error) {
	var head [headerSize]byte
	n, err := io.ReadFull(r, head[:])
	if err != nil && err != io.ErrUnexpectedEOF && err != io.EOF {
		return nil, err
	}
	if n < headerSize || !bytes.Equal(head[:len(streamMagic)], streamMagic[:]) {
		// A message of Seal: read whole.
		rest, err := io.ReadAll(r)
		if err != nil {
			return nil, err
		}
		plain, err := b.Open(append(head[:n:n], rest...))
		if err != nil {
			return nil, err
		}
		return bytes.NewReader(plain), nil
	}
	sr := &streamReader{box: b, src: r, in: make([]byte, sealedChunk)}
	copy(sr.prefix[:], head[len(streamMagic):])
	if err := sr.next(); err != nil {
		return nil, err
	}
	return sr, nil
}

type streamReader struct {
	box     *Box
	src     io.Reader
	prefix  [prefixSize]byte
	in      []byte // a sealed chunk
	plain   []byte // the current chunk's unread plain bytes
	buf     []byte // backing store of plain
	index   uint64
	peek    [1]byte // the byte read after a full chunk
	hasPeek bool
	done    bool // the last chunk was opened
	err     error
}

func (r *streamReader) Read(p []byte) (int, error) {
	for len(r.plain) == 0 {
		if r.err != nil {
			return 0, r.err
		}
		if r.done {
			return 0, io.EOF
		}
		if err := r.next(); err != nil {
			return 0, err
		}
	}
	n := copy(p, r.plain)
	r.plain = r.plain[n:]
	return n, nil
}

// next reads and opens the next chunk into r.plain, or sets r.err.
func (r *streamReader) next() error {
	in := r.in[:0]
	if r.hasPeek {
		in = append(in, r.peek[0])
		r.hasPeek = false
	}
	n, err := io.ReadFull(r.src, r.in[len(in):sealedChunk])
	in = r.in[:len(in)+n]
	last := false
	switch {
	case err == io.EOF || err == io.ErrUnexpectedEOF:
		last = true // a short chunk ends the stream
	case err != nil:
		r.err = err
		return err
	default:
		// A full chunk is the last when nothing follows.
		m, perr := io.ReadFull(r.src, r.peek[:])
		switch {
		case perr == io.EOF:
			last = true
		case perr != nil:
			r.err = perr
			return perr
		default:
			r.hasPeek = m == 1
		}
	}
	fail := func(why string) error {
		r.err = fmt.Errorf("%w: chunk %d: %s", ErrOpen, r.index, why)
		return r.err
	}
	if len(in) < secretbox.Overhead {
		return fail("truncated")
	}
	if r.index >= maxChunks {
		return fail("stream too long")
	}
	plain, ok := secretbox.Open(r.buf[:0], in, chunkNonce(&r.prefix, r.index, last), &r.box.key)
	if !ok {
		return fail("not authentic (changed, truncated, reordered or another key)")
	}
	if last && len(plain) == 0 && r.index > 0 {
		return fail("empty last chunk")
	}
	r.buf = plain[:0:cap(plain)]
	r.plain = plain
	r.index++
	r.done = last
	return nil
}
