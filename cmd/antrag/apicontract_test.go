package main

import (
	"errors"
	"net/http"
	"sync"

	"github.com/antrag/antrag/internal/web/apicontract"
)

// apiChecked returns a copy of c whose exchanges with the JSON API are
// checked against the API's OpenAPI document, and a function that returns
// the violations seen so far (nil if none), for helpers without a
// testing.T.
func apiChecked(c *http.Client) (*http.Client, func() error) {
	var mu sync.Mutex
	var errs []error
	cc := *c
	cc.Transport = &apicontract.Transport{Next: c.Transport, Fail: func(err error) {
		mu.Lock()
		defer mu.Unlock()
		errs = append(errs, err)
	}}
	return &cc, func() error {
		mu.Lock()
		defer mu.Unlock()
		return errors.Join(errs...)
	}
}
