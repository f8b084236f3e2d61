package account

import (
	"crypto/rand"
	_ "embed"
	"errors"
	"fmt"
	"strings"
	"sync"
	"unicode"
	"unicode/utf8"

	"github.com/alexedwards/argon2id"
)

// MinPasswordLength is the shortest password accepted, in characters.
const MinPasswordLength = 12

// ErrWeakPassword is what every refusal of CheckPasswordPolicy is
// (errors.Is); its message says why, in German.
var ErrWeakPassword = errors.New("Das Passwort ist zu schwach")

// weakPassword is a refusal of the password policy.
type weakPassword struct{ reason string }

func (e *weakPassword) Error() string        { return e.reason }
func (e *weakPassword) Is(target error) bool { return target == ErrWeakPassword }

// The refusals, as the operator reads them.
var (
	errTooShort = &weakPassword{fmt.Sprintf("Das Passwort muss mindestens %d Zeichen haben", MinPasswordLength)}
	errCommon   = &weakPassword{"Das Passwort ist eines der häufigsten Passwörter oder eines davon mit " +
		"angehängten Ziffern oder Zeichen; bitte wählen Sie ein anderes"}
	errTrivial = &weakPassword{"Das Passwort besteht überwiegend aus Wiederholungen, Folgen wie „abcd“ oder " +
		"„4321“ oder Tastaturreihen wie „qwertz“"}
	errContainsName = &weakPassword{"Das Passwort darf den Benutzernamen nicht enthalten"}
)

// commonPasswordList is the list of common passwords: zxcvbn's (MIT, see
// commonpasswords.LICENSE) and some German ones; lines starting with #
// are comments.
//
//go:embed commonpasswords.txt
var commonPasswordList string

var commonPasswords = sync.OnceValue(func() map[string]bool {
	m := make(map[string]bool, 8000)
	for line := range strings.Lines(commonPasswordList) {
		line = strings.TrimSpace(line)
		if line != "" && !strings.HasPrefix(line, "#") {
			m[line] = true
		}
	}
	return m
})

// CheckPasswordPolicy returns nil if password may be set, else an error
// that is ErrWeakPassword and says why. A password
//   - has at least MinPasswordLength characters besides leading and
//     trailing spaces;
//   - is not one of the most common passwords (commonpasswords.txt), also
//     not with digits, spaces or punctuation before or after it
//     ("Sommer2026!"), in any case;
//   - does not consist mainly (more than half of its characters) of runs
//     of three or more repeated characters, steps through the alphabet or
//     the digits ("abcd", "4321") or along a keyboard row ("qwertz"), nor
//     of a repeated pattern ("abcabcabcabc"), nor of fewer than 5
//     different characters;
//   - does not contain any of avoid (the user name), in any case; words of
//     avoid shorter than 3 characters are ignored.
func CheckPasswordPolicy(password string, avoid ...string) error {
	pw := strings.ToLower(strings.TrimSpace(password))
	if utf8.RuneCountInString(pw) < MinPasswordLength {
		return errTooShort
	}
	common := commonPasswords()
	core := strings.TrimFunc(pw, func(r rune) bool { return !unicode.IsLetter(r) })
	if common[pw] || common[core] {
		return errCommon
	}
	if trivialPassword([]rune(pw)) {
		return errTrivial
	}
	for _, a := range avoid {
		if a = strings.ToLower(strings.TrimSpace(a)); utf8.RuneCountInString(a) >= 3 && strings.Contains(pw, a) {
			return errContainsName
		}
	}
	return nil
}

// keyboardRows are rows of German, US and French keyboards, for the
// policy's "along a keyboard row".
var keyboardRows = []string{"1234567890ß", "qwertzuiopü", "asdfghjklöä", "yxcvbnm", "qwertyuiop", "zxcvbnm", "azertyuiop", "qsdfghjklm", "wxcvbn"}

// nextOnKeyboard maps a key to the keys to its right.
var nextOnKeyboard = sync.OnceValue(func() map[[2]rune]bool {
	m := map[[2]rune]bool{}
	for _, row := range keyboardRows {
		r := []rune(row)
		for i := 1; i < len(r); i++ {
			m[[2]rune{r[i-1], r[i]}] = true
		}
	}
	return m
})

// trivialPassword reports whether p (lower case) consists mainly of
// repeats, sequences and keyboard runs, of a repeated pattern, or of
// fewer than 5 different characters.
func trivialPassword(p []rune) bool {
	distinct := map[rune]bool{}
	for _, r := range p {
		distinct[r] = true
	}
	if len(distinct) < 5 {
		return true
	}
	for period := 1; period <= len(p)/2; period++ {
		repeated := true
		for i := period; i < len(p) && repeated; i++ {
			repeated = p[i] == p[i-period]
		}
		if repeated {
			return true
		}
	}
	kb := nextOnKeyboard()
	steps := []func(a, b rune) bool{
		func(a, b rune) bool { return a == b },
		func(a, b rune) bool { return b == a+1 },
		func(a, b rune) bool { return b == a-1 },
		func(a, b rune) bool { return kb[[2]rune{a, b}] },
		func(a, b rune) bool { return kb[[2]rune{b, a}] },
	}
	marked := make([]bool, len(p))
	for _, step := range steps {
		start := 0
		for i := 1; i <= len(p); i++ {
			if i < len(p) && step(p[i-1], p[i]) {
				continue
			}
			if i-start >= 3 {
				for j := start; j < i; j++ {
					marked[j] = true
				}
			}
			start = i
		}
	}
	n := 0
	for _, m := range marked {
		if m {
			n++
		}
	}
	return 2*n > len(p)
}

// params are argon2id's parameters: 19 MiB memory, 2 passes, as OWASP's
// Password Storage Cheat Sheet (2023) recommends as a minimum. Each
// check of a password holds the 19 MiB while it runs (see Logins for the
// bound on checks at once).
var params = &argon2id.Params{Memory: 19 * 1024, Iterations: 2, Parallelism: 1, SaltLength: 16, KeyLength: 32}

// HashPassword checks password against the policy (CheckPasswordPolicy,
// with avoid) and returns its argon2id hash in PHC string format.
func HashPassword(password string, avoid ...string) (string, error) {
	if err := CheckPasswordPolicy(password, avoid...); err != nil {
		return "", err
	}
	return argon2id.CreateHash(password, params)
}

// CheckPassword reports whether password matches the hash. A malformed hash
// is an error.
func CheckPassword(hash, password string) (bool, error) {
	ok, err := argon2id.ComparePasswordAndHash(password, hash)
	if err != nil {
		return false, errors.Join(errors.New("Passwort-Hash nicht lesbar"), err)
	}
	return ok, nil
}

// dummyHash is the argon2id hash (same parameters as HashPassword's) of a
// random password that is then forgotten, checked when a login names no account, so that an
// unknown name costs what a known one does.
var dummyHash = sync.OnceValue(func() string {
	h, err := argon2id.CreateHash(rand.Text(), params)
	if err != nil {
		panic(err) // only crypto/rand can fail, and it does not
	}
	return h
})
