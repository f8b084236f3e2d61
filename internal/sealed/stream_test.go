package sealed_test

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"testing"

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

// sealStream seals plain in the stream format, writing it in pieces of
// step bytes.
func sealStream(tb testing.TB, box *sealed.Box, plain []byte, step int) []byte {
	tb.Helper()
	var buf bytes.Buffer
	w := box.NewWriter(&buf)
	for len(plain) > 0 {
		k := min(step, len(plain))
		if n, err := w.Write(plain[:k]); err != nil || n != k {
			tb.Fatalf("Write = %d, %v", n, err)
		}
		plain = plain[k:]
	}
	if err := w.Close(); err != nil {
		tb.Fatal(err)
	}
	return buf.Bytes()
}

// openAll opens sealed content whole through NewReader.
func openAll(box *sealed.Box, b []byte) ([]byte, error) {
	r, err := box.NewReader(bytes.NewReader(b))
	if err != nil {
		return nil, err
	}
	return io.ReadAll(r)
}

func content(n int) []byte {
	b := make([]byte, n)
	for i := range b {
		b[i] = byte(i*7 + i/251)
	}
	return b
}

const (
	header = 24
	chunk  = sealed.ChunkSize + 16
)

func TestStreamRoundTrip(t *testing.T) {
	box := mustBox(t, 1)
	for _, n := range []int{0, 1, 100, sealed.ChunkSize - 1, sealed.ChunkSize, sealed.ChunkSize + 1, 3 * sealed.ChunkSize, 3*sealed.ChunkSize + 5} {
		for _, step := range []int{1 << 30, 1000, sealed.ChunkSize} {
			if n > 100_000 && step == 1 {
				continue
			}
			t.Run(fmt.Sprintf("%d bytes in writes of %d", n, step), func(t *testing.T) {
				plain := content(n)
				s := sealStream(t, box, plain, step)
				if int64(len(s)) != sealed.SealedSize(int64(n)) {
					t.Errorf("sealed %d bytes, SealedSize says %d", len(s), sealed.SealedSize(int64(n)))
				}
				got, err := openAll(box, s)
				if err != nil {
					t.Fatal(err)
				}
				if !bytes.Equal(got, plain) {
					t.Errorf("opened %d bytes, differ from the %d sealed", len(got), n)
				}
				if n > 20 && bytes.Contains(s, plain[:20]) {
					t.Error("the sealed stream contains plain text")
				}
			})
		}
	}
}

// TestStreamOpensOldMessages: content sealed as one message (the format
// before streams) still opens.
func TestStreamOpensOldMessages(t *testing.T) {
	box := mustBox(t, 1)
	for _, n := range []int{0, 1, 23, 24, 1000, 3 * sealed.ChunkSize} {
		plain := content(n)
		got, err := openAll(box, box.Seal(plain))
		if err != nil || !bytes.Equal(got, plain) {
			t.Errorf("old message of %d bytes: %d bytes, %v", n, len(got), err)
		}
	}
	for _, b := range [][]byte{nil, {1, 2, 3}, bytes.Repeat([]byte{9}, 39)} {
		if _, err := openAll(box, b); !errors.Is(err, sealed.ErrOpen) {
			t.Errorf("%d bytes of no message: %v, want ErrOpen", len(b), err)
		}
	}
}

// TestStreamRefusesChangedStreams: every change an attacker with write
// access to the storage could make is an error wrapping ErrOpen, and no
// byte of a changed chunk is returned.
func TestStreamRefusesChangedStreams(t *testing.T) {
	box := mustBox(t, 1)
	plain := content(3*sealed.ChunkSize + 100) // chunks 0, 1, 2 full; 3 short and last
	s := sealStream(t, box, plain, 1<<30)
	chunkAt := func(i int) []byte { return s[header+i*chunk : min(header+(i+1)*chunk, len(s))] }
	cat := func(parts ...[]byte) []byte { return bytes.Join(parts, nil) }
	flip := func(at int) []byte {
		c := bytes.Clone(s)
		c[at] ^= 0x80
		return c
	}
	full2 := sealStream(t, box, content(2*sealed.ChunkSize), 1<<30) // last chunk full
	cases := map[string][]byte{
		"chunks swapped":                   cat(s[:header], chunkAt(1), chunkAt(0), chunkAt(2), chunkAt(3)),
		"chunk repeated":                   cat(s[:header], chunkAt(0), chunkAt(0), chunkAt(1), chunkAt(2), chunkAt(3)),
		"chunk left out":                   cat(s[:header], chunkAt(0), chunkAt(2), chunkAt(3)),
		"cut after a full chunk":           s[:header+2*chunk],
		"last chunk dropped":               s[:header+3*chunk],
		"cut inside the last chunk":        s[:len(s)-1],
		"cut inside a chunk":               s[:header+chunk+100],
		"cut to the header":                s[:header],
		"a byte appended":                  append(bytes.Clone(s), 0),
		"a chunk appended":                 cat(s, chunkAt(0)),
		"last full chunk cut off":          full2[:header+chunk],
		"byte of the prefix changed":       flip(10),
		"byte of the first chunk changed":  flip(header + 5),
		"byte of a middle chunk changed":   flip(header + chunk + 5),
		"tag of the last chunk changed":    flip(len(s) - 1),
		"chunk of another stream inserted": cat(s[:header], chunkAt(0), sealStream(t, box, plain, 1<<30)[header+chunk:header+2*chunk], chunkAt(2), chunkAt(3)),
	}
	for name, c := range cases {
		t.Run(name, func(t *testing.T) {
			r, err := box.NewReader(bytes.NewReader(c))
			var got []byte
			if err == nil {
				got, err = io.ReadAll(r)
			}
			if !errors.Is(err, sealed.ErrOpen) {
				t.Fatalf("err = %v, want ErrOpen", err)
			}
			// What was returned is a prefix of the content: whole chunks
			// that were authentic where they stood.
			if len(got)%sealed.ChunkSize != 0 || !bytes.Equal(got, plain[:len(got)]) {
				t.Errorf("returned %d bytes that are not whole authentic chunks", len(got))
			}
		})
	}
	if _, err := mustBox(t, 2).NewReader(bytes.NewReader(s)); !errors.Is(err, sealed.ErrOpen) {
		t.Errorf("another key: %v, want ErrOpen at once", err)
	}
}

// TestStreamWriterErrors: an error of the destination is returned, and
// the writer refuses to go on.
func TestStreamWriterErrors(t *testing.T) {
	broken := errors.New("disk full")
	w := mustBox(t, 1).NewWriter(failingWriter{broken})
	_, err := w.Write(content(2 * sealed.ChunkSize))
	if !errors.Is(err, broken) {
		t.Errorf("Write = %v, want the destination's error", err)
	}
	if err := w.Close(); !errors.Is(err, broken) {
		t.Errorf("Close = %v, want the destination's error", err)
	}
}

type failingWriter struct{ err error }

func (f failingWriter) Write([]byte) (int, error) { return 0, f.err }

// FuzzStreamReader: no input makes the opener panic or return bytes that
// were not sealed; sealed content opens to itself.
func FuzzStreamReader(f *testing.F) {
	box := mustBox(f, 1)
	f.Add([]byte{}, false)
	f.Add([]byte("antrag\x00\x01"), false)
	f.Add(content(100), true)
	f.Add(content(sealed.ChunkSize+1), true)
	f.Add(sealStream(f, box, content(100), 1<<30), false)
	f.Add(sealStream(f, box, content(sealed.ChunkSize), 1<<30), false)
	f.Add(box.Seal(content(50)), false)
	f.Fuzz(func(t *testing.T, b []byte, seal bool) {
		if seal {
			got, err := openAll(box, sealStream(t, box, b, 777))
			if err != nil || !bytes.Equal(got, b) {
				t.Fatalf("round trip of %d bytes: %d bytes, %v", len(b), len(got), err)
			}
			return
		}
		got, err := openAll(box, b)
		if err != nil {
			return
		}
		// Whatever opens was sealed with the key: sealing it again must
		// give content of the same size.
		if want := sealed.SealedSize(int64(len(got))); int64(len(b)) != want && int64(len(b)) != int64(len(got))+40 {
			t.Fatalf("%d bytes opened to %d bytes", len(b), len(got))
		}
	})
}

// BenchmarkSeal compares sealing and opening 10 MiB as one message (the
// old format, held whole) with the stream format (one chunk held).
func BenchmarkSeal(b *testing.B) {
	box := mustBox(b, 1)
	plain := content(10 << 20)
	b.Run("message/seal", func(b *testing.B) {
		b.SetBytes(int64(len(plain)))
		for b.Loop() {
			_ = box.Seal(plain)
		}
	})
	msg := box.Seal(plain)
	b.Run("message/open", func(b *testing.B) {
		b.SetBytes(int64(len(plain)))
		for b.Loop() {
			if _, err := box.Open(msg); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("stream/seal", func(b *testing.B) {
		b.SetBytes(int64(len(plain)))
		for b.Loop() {
			w := box.NewWriter(io.Discard)
			if _, err := w.Write(plain); err != nil {
				b.Fatal(err)
			}
			if err := w.Close(); err != nil {
				b.Fatal(err)
			}
		}
	})
	s := sealStream(b, box, plain, 1<<30)
	b.Run("stream/open", func(b *testing.B) {
		b.SetBytes(int64(len(plain)))
		for b.Loop() {
			r, err := box.NewReader(bytes.NewReader(s))
			if err != nil {
				b.Fatal(err)
			}
			if _, err := io.Copy(io.Discard, r); err != nil {
				b.Fatal(err)
			}
		}
	})
}
