package fitconnecttest

import (
	"net/http"
	"strings"
)

type failRule struct {
	any    bool
	method string // "" or "*": any
	segs   []string
	n      int
	status int
}

// Fail makes the next n requests whose route matches match get status with
// a problem document (503 → type …/problems/service-unavailable, 429 →
// too-many-requests, 500 → internal-server-error, …), before
// authentication is checked. match is "*" (every request to a route,
// /token included; requests matching no route are never refused) or "METHOD /path-pattern" compared segment-wise with the route
// patterns listed in the package doc: a {wildcard} segment in match matches
// any segment, so "PUT /v1/submissions/{id}" matches the submit route and
// "GET /{v}/destinations/{id}" matches v1 and v2. METHOD may be "*"; a match
// without a method matches any method. status outside 400–599 means 503;
// n ≤ 0 does nothing. Rules are used up in the order they were added.
// Refused reports how many requests were refused so far.
func (d *Double) Fail(match string, n int, status int) {
	if n <= 0 {
		return
	}
	if status < 400 || status > 599 {
		status = http.StatusServiceUnavailable
	}
	r := &failRule{n: n, status: status}
	match = strings.TrimSpace(match)
	if match == "*" || match == "" {
		r.any = true
	} else {
		path := match
		if i := strings.IndexByte(match, ' '); i >= 0 {
			r.method = strings.ToUpper(strings.TrimSpace(match[:i]))
			path = strings.TrimSpace(match[i+1:])
		}
		r.segs = splitPath(path)
	}
	d.mu.Lock()
	d.fails = append(d.fails, r)
	d.mu.Unlock()
}

// Refused returns the number of requests refused by Fail rules so far.
func (d *Double) Refused() int {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.refused
}

func splitPath(p string) []string {
	p = strings.Trim(p, "/")
	if p == "" {
		return nil
	}
	return strings.Split(p, "/")
}

func isWildcard(seg string) bool {
	return len(seg) >= 2 && seg[0] == '{' && seg[len(seg)-1] == '}'
}

// matches reports whether the rule matches the route pattern
// "METHOD /path".
func (r *failRule) matches(pattern string) bool {
	if r.any {
		return true
	}
	method, path, _ := strings.Cut(pattern, " ")
	if r.method != "" && r.method != "*" && r.method != method {
		return false
	}
	segs := splitPath(path)
	if len(segs) != len(r.segs) {
		return false
	}
	for i, s := range r.segs {
		if isWildcard(s) {
			continue
		}
		if s != segs[i] {
			return false
		}
	}
	return true
}

// takeFailure returns the status to refuse a request to pattern with, or 0.
// d.mu must be held.
func (d *Double) takeFailure(pattern string) int {
	for i, r := range d.fails {
		if r.n > 0 && r.matches(pattern) {
			r.n--
			if r.n == 0 {
				d.fails = append(d.fails[:i], d.fails[i+1:]...)
			}
			d.refused++
			return r.status
		}
	}
	return 0
}
