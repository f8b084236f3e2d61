package submission

import (
	"crypto/rand"
	"strings"
	"unicode"
)

// referenceAlphabet is Crockford's Base32 without I, L, O and U: easy to
// read aloud and to type, no letters that look like digits.
const referenceAlphabet = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"

// NewReference returns a new Vorgangsnummer: 12 random characters of
// Crockford's Base32 (60 bits) in three groups, e.g. "K7QM-2X9D-RTA4". It
// is not guessable from earlier ones; uniqueness is enforced by the store,
// and the caller retries on apperr.Conflict.
func NewReference() string {
	var b [12]byte
	if _, err := rand.Read(b[:]); err != nil {
		panic(err) // crypto/rand never fails on supported platforms
	}
	var s strings.Builder
	for i, x := range b {
		if i == 4 || i == 8 {
			s.WriteByte('-')
		}
		s.WriteByte(referenceAlphabet[x&31])
	}
	return s.String()
}

// NormalizeReference turns what a person typed into the canonical form:
// upper case, O read as 0, I and L as 1, without spaces and dashes of any
// kind (Unicode White_Space, dash punctuation such as U+2011 and U+2013,
// the minus sign U+2212 and the soft hyphen U+00AD, which word processors
// and mail programs put in); the dashes are put back. It returns "" if
// the input cannot be a reference.
func NormalizeReference(s string) string {
	s = strings.Map(func(r rune) rune {
		if unicode.IsSpace(r) || unicode.Is(unicode.Pd, r) || r == '\u2212' || r == '\u00AD' {
			return -1
		}
		return r
	}, s)
	s = strings.NewReplacer("O", "0", "I", "1", "L", "1").Replace(strings.ToUpper(s))
	if len(s) != 12 {
		return ""
	}
	for _, r := range s {
		if !strings.ContainsRune(referenceAlphabet, r) {
			return ""
		}
	}
	return s[:4] + "-" + s[4:8] + "-" + s[8:]
}
