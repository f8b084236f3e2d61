// Package sealed encrypts personal data at rest: application data in the
// database and attachments in blob storage. It uses NaCl secretbox
// (XSalsa20-Poly1305, golang.org/x/crypto/nacl/secretbox): Seal and Open
// with a random 24-byte nonce per message, and for content of any length
// (attachments) NewWriter and NewReader, which seal it in chunks of
// ChunkSize in the STREAM construction, with nonces from a random prefix,
// the chunk's index and a last-chunk flag (see stream.go).
package sealed

import (
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"golang.org/x/crypto/nacl/secretbox"
)

// Box seals and opens messages with one key.
type Box struct{ key [32]byte }

// ErrOpen is returned for a message that was not sealed with this key or
// was changed.
var ErrOpen = errors.New("verschlüsselte Daten nicht lesbar (falscher Schlüssel oder verändert)")

// New returns a Box for a 32-byte key.
func New(key []byte) (*Box, error) {
	if len(key) != 32 {
		return nil, fmt.Errorf("Schlüssel muss 32 Bytes haben, nicht %d", len(key))
	}
	b := &Box{}
	copy(b.key[:], key)
	return b, nil
}

// Seal encrypts and authenticates msg. The result is nonce || box.
func (b *Box) Seal(msg []byte) []byte {
	var nonce [24]byte
	if _, err := rand.Read(nonce[:]); err != nil {
		panic(err) // crypto/rand never fails on supported platforms
	}
	return secretbox.Seal(nonce[:], msg, &nonce, &b.key)
}

// Open decrypts a message from Seal.
func (b *Box) Open(sealed []byte) ([]byte, error) {
	if len(sealed) < 24+secretbox.Overhead {
		return nil, ErrOpen
	}
	var nonce [24]byte
	copy(nonce[:], sealed[:24])
	out, ok := secretbox.Open(nil, sealed[24:], &nonce, &b.key)
	if !ok {
		return nil, ErrOpen
	}
	return out, nil
}

// LoadOrCreateKey reads a base64 key from path, or creates the file with a
// new random key (mode 0600) if it does not exist.
func LoadOrCreateKey(path string) ([]byte, error) {
	b, err := os.ReadFile(path)
	if err == nil {
		return ParseKey(string(b))
	}
	if !errors.Is(err, os.ErrNotExist) {
		return nil, err
	}
	key := make([]byte, 32)
	if _, err := rand.Read(key); err != nil {
		return nil, err
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return nil, err
	}
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return nil, err
	}
	if _, err := f.WriteString(base64.StdEncoding.EncodeToString(key) + "\n"); err != nil {
		f.Close()
		return nil, err
	}
	return key, f.Close()
}

// ParseKey decodes a base64 key of 32 bytes.
func ParseKey(s string) ([]byte, error) {
	key, err := base64.StdEncoding.DecodeString(strings.TrimSpace(s))
	if err != nil || len(key) != 32 {
		return nil, errors.New("Schlüssel muss 32 Bytes in Base64 sein")
	}
	return key, nil
}
