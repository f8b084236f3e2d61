package account

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"io"
	"time"

	"golang.org/x/crypto/hkdf"
)

// Keys are the login's secrets, derived from the installation's data key
// so that every process sharing a database has the same ones and no
// further secret needs keeping.
type Keys struct {
	throttle []byte // HMAC-SHA256 key of the throttle's bucket keys
	device   []byte // HMAC-SHA256 key of known-device cookies
}

// The HKDF purposes (info) of the keys. A new purpose gets a new label;
// changing one forgets every throttle bucket or known device.
const (
	throttleKeyLabel = "antrag/account/login-throttle/v1"
	deviceKeyLabel   = "antrag/account/known-device/v1"
)

// DeriveKeys derives the login's keys from the data key (32 bytes) with
// HKDF-SHA256 (RFC 5869), one purpose label each.
func DeriveKeys(dataKey []byte) (Keys, error) {
	if len(dataKey) != 32 {
		return Keys{}, fmt.Errorf("Datenschlüssel muss 32 Bytes haben, nicht %d", len(dataKey))
	}
	derive := func(label string) ([]byte, error) {
		k := make([]byte, 32)
		_, err := io.ReadFull(hkdf.New(sha256.New, dataKey, nil, []byte(label)), k)
		return k, err
	}
	t, err := derive(throttleKeyLabel)
	if err != nil {
		return Keys{}, err
	}
	d, err := derive(deviceKeyLabel)
	if err != nil {
		return Keys{}, err
	}
	return Keys{throttle: t, device: d}, nil
}

func (k Keys) valid() bool { return len(k.throttle) == 32 && len(k.device) == 32 }

// bucketKey is the throttle bucket key of a kind of bucket and its parts
// (user name, client address, device): hex HMAC-SHA256, so that the
// store holds neither names nor addresses.
func (k Keys) bucketKey(kind string, parts ...string) string {
	m := hmac.New(sha256.New, k.throttle)
	m.Write([]byte(kind))
	for _, p := range parts {
		m.Write([]byte{0})
		m.Write([]byte(p))
	}
	return hex.EncodeToString(m.Sum(nil))
}

// A known-device cookie says that a browser has logged in to an account
// before. Its value is base64url (no padding) of
//
//	version (1 byte, 1) | name tag (16) | device id (16) | expiry (8, Unix seconds, big endian) | MAC (32)
//
// where the name tag is HMAC-SHA256(device key, "name" 0 name)[:16] and
// the MAC is HMAC-SHA256(device key, "cookie" 0 everything before it).
const (
	deviceVersion = 1
	devicePayload = 1 + 16 + 16 + 8
	deviceLen     = devicePayload + sha256.Size
)

func (k Keys) deviceMAC(parts ...[]byte) []byte {
	m := hmac.New(sha256.New, k.device)
	for _, p := range parts {
		m.Write(p)
	}
	return m.Sum(nil)
}

func (k Keys) nameTag(name string) []byte {
	return k.deviceMAC([]byte("name\x00"), []byte(name))[:16]
}

// deviceToken returns the cookie value for the device id and the user
// name (normalised), valid until expires.
func (k Keys) deviceToken(name string, id [16]byte, expires time.Time) string {
	b := make([]byte, 0, deviceLen)
	b = append(b, deviceVersion)
	b = append(b, k.nameTag(name)...)
	b = append(b, id[:]...)
	b = binary.BigEndian.AppendUint64(b, uint64(expires.Unix()))
	b = append(b, k.deviceMAC([]byte("cookie\x00"), b)...)
	return base64.RawURLEncoding.EncodeToString(b)
}

// knownDevice returns the device id of a cookie value if it is intact,
// for the user name (normalised) and not expired at now.
func (k Keys) knownDevice(token, name string, now time.Time) (id [16]byte, ok bool) {
	if token == "" || len(token) > base64.RawURLEncoding.EncodedLen(deviceLen) {
		return id, false
	}
	b, err := base64.RawURLEncoding.DecodeString(token)
	if err != nil || len(b) != deviceLen || b[0] != deviceVersion {
		return id, false
	}
	if !hmac.Equal(b[devicePayload:], k.deviceMAC([]byte("cookie\x00"), b[:devicePayload])) {
		return id, false
	}
	if !hmac.Equal(b[1:17], k.nameTag(name)) {
		return id, false
	}
	if exp := int64(binary.BigEndian.Uint64(b[33:41])); now.Unix() >= exp {
		return id, false
	}
	copy(id[:], b[17:33])
	return id, true
}
