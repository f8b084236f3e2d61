package oidc

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/antrag/antrag/internal/identity"
)

// maxAttrLen bounds an attribute value, in bytes; longer values are
// dropped, not cut.
const maxAttrLen = 512

// ErrClaims is the error for an ID token payload that is not a JSON object
// or has no usable subject.
var ErrClaims = errors.New("oidc: ID token claims unusable")

// MapClaims maps an ID token's claims (the JSON payload, already verified)
// to an Identity by the profile: subject ("sub", required), attributes,
// level, method and organisation flag, authentication time (auth_time,
// else iat) and assertion id (jti; the caller sets a hash of the token
// when there is none). Attribute values that are not strings, numbers or
// booleans, hold control characters or are longer than 512 bytes are
// left out; a birthdate that is not YYYY-MM-DD is left out. The profile
// must have been validated.
func (p *Profile) MapClaims(payload []byte) (*identity.Identity, error) {
	dec := json.NewDecoder(bytes.NewReader(payload))
	dec.UseNumber()
	var claims map[string]any
	if err := dec.Decode(&claims); err != nil || claims == nil {
		return nil, ErrClaims
	}
	sub, _ := claims["sub"].(string)
	if sub == "" || len(sub) > 255 {
		return nil, fmt.Errorf("%w: sub", ErrClaims)
	}
	iss, _ := claims["iss"].(string)
	id := &identity.Identity{Provider: p.ID, Issuer: iss, Subject: sub, Attributes: map[string]string{}}
	for key, claim := range p.Attributes {
		if v, ok := scalar(lookup(claims, claim)); ok && usable(v) {
			id.Attributes[key] = v
		}
	}
	if d, ok := id.Attributes[identity.AttrBirthdate]; ok {
		if _, err := time.Parse(time.DateOnly, d); err != nil {
			delete(id.Attributes, identity.AttrBirthdate)
		}
	}
	id.Level, id.RawLevel = p.level(claims)
	id.Method = p.method(claims)
	id.Organisation = p.organisation(claims)
	if jti, ok := claims["jti"].(string); ok && usable(jti) {
		id.AssertionID = jti
	}
	if t, ok := unixTime(claims["auth_time"]); ok {
		id.AuthnTime = t
	} else if t, ok := unixTime(claims["iat"]); ok {
		id.AuthnTime = t
	}
	return id, nil
}

// level returns the highest mapped level among the claim's values (the
// profile's default when the claim is missing) and the raw value(s) as
// sent, joined by spaces.
func (p *Profile) level(claims map[string]any) (identity.Level, string) {
	if p.Level.Claim == "" {
		return p.Level.def, ""
	}
	vals := stringsOf(lookup(claims, p.Level.Claim))
	if len(vals) == 0 {
		return p.Level.def, ""
	}
	best := identity.LevelNone
	for _, v := range vals {
		if l, ok := p.Level.values[v]; ok && l > best {
			best = l
		}
	}
	raw := strings.Join(vals, " ")
	if !usable(raw) {
		raw = ""
	}
	return best, raw
}

func (p *Profile) method(claims map[string]any) identity.Method {
	if p.Method.Claim != "" {
		for _, v := range stringsOf(lookup(claims, p.Method.Claim)) {
			if m, ok := p.Method.Values[v]; ok {
				return identity.Method(m)
			}
		}
	}
	return identity.Method(p.Method.Default)
}

func (p *Profile) organisation(claims map[string]any) bool {
	f := p.Organisation
	if f.Always {
		return true
	}
	if f.Claim == "" {
		return false
	}
	v := lookup(claims, f.Claim)
	if len(f.Values) == 0 {
		switch x := v.(type) {
		case bool:
			return x
		case string:
			return strings.TrimSpace(x) != "" && x != "false"
		}
		return false
	}
	for _, s := range stringsOf(v) {
		if slices.Contains(f.Values, s) {
			return true
		}
	}
	return false
}

// lookup finds a claim by name; dots reach into objects
// ("address.postal_code"). A claim whose own name has a dot is found too.
func lookup(claims map[string]any, name string) any {
	if v, ok := claims[name]; ok {
		return v
	}
	var cur any = claims
	for part := range strings.SplitSeq(name, ".") {
		m, ok := cur.(map[string]any)
		if !ok {
			return nil
		}
		cur = m[part]
	}
	return cur
}

// scalar returns a string, number or boolean claim as text, trimmed.
func scalar(v any) (string, bool) {
	switch x := v.(type) {
	case string:
		return strings.TrimSpace(x), strings.TrimSpace(x) != ""
	case json.Number:
		return x.String(), true
	case bool:
		return strconv.FormatBool(x), true
	}
	return "", false
}

// stringsOf returns a string claim or the strings of an array claim.
func stringsOf(v any) []string {
	switch x := v.(type) {
	case string:
		return []string{x}
	case []any:
		var out []string
		for _, e := range x {
			if s, ok := e.(string); ok {
				out = append(out, s)
			}
		}
		return out
	}
	return nil
}

// usable reports whether s may be kept: valid UTF-8, at most maxAttrLen
// bytes, no control characters.
func usable(s string) bool {
	if len(s) > maxAttrLen || !utf8.ValidString(s) {
		return false
	}
	return !strings.ContainsFunc(s, unicode.IsControl)
}

// unixTime reads a NumericDate claim (seconds since 1970).
func unixTime(v any) (time.Time, bool) {
	n, ok := v.(json.Number)
	if !ok {
		return time.Time{}, false
	}
	f, err := n.Float64()
	if err != nil || f <= 0 || f > 1e11 {
		return time.Time{}, false
	}
	return time.Unix(int64(f), 0).UTC(), true
}
