package account

import (
	"crypto/subtle"
	"time"

	"github.com/pquerna/otp"
	"github.com/pquerna/otp/totp"
)

// The second factor of local accounts: TOTP (RFC 6238) with 6 digits,
// SHA-1 and 30-second steps, the parameters every authenticator app
// understands, through github.com/pquerna/otp.

// TOTPPeriod is the length of a TOTP step.
const TOTPPeriod = 30 * time.Second

var totpOpts = totp.ValidateOpts{Period: uint(TOTPPeriod / time.Second), Digits: otp.DigitsSix, Algorithm: otp.AlgorithmSHA1}

// NewTOTP makes a new secret for a user; the key's URL (otpauth://…) is
// what an authenticator app reads. issuer is what the app shows, e.g.
// "antrag Stadt Musterstadt".
func NewTOTP(issuer, username string) (*otp.Key, error) {
	return totp.Generate(totp.GenerateOpts{Issuer: issuer, AccountName: username, Period: totpOpts.Period,
		Digits: totpOpts.Digits, Algorithm: totpOpts.Algorithm, SecretSize: 20})
}

// MatchTOTP returns the step (Unix time / 30 s) a code is valid for at
// now, allowing one step of clock difference either way; ok is false for
// a wrong code. The caller refuses a step not later than the last one
// used (AccessStore.UseTOTPStep), since a code may be used once.
func MatchTOTP(secret, code string, now time.Time) (step int64, ok bool) {
	if len(code) != 6 {
		return 0, false
	}
	for _, d := range []time.Duration{0, -TOTPPeriod, TOTPPeriod} {
		t := now.Add(d)
		want, err := totp.GenerateCodeCustom(secret, t, totpOpts)
		if err != nil {
			return 0, false
		}
		if subtle.ConstantTimeCompare([]byte(want), []byte(code)) == 1 {
			return t.Unix() / int64(TOTPPeriod/time.Second), true
		}
	}
	return 0, false
}
