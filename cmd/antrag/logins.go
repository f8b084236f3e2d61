package main

import (
	"fmt"
	"strconv"

	"github.com/antrag/antrag/internal/account"
)

// newLogins returns the caseworker login checker: its keys derived from
// the data key, so that every process sharing the database counts the
// same throttle buckets and accepts the same known-device cookies.
func (a *app) newLogins(c *serveConfig) (*account.Logins, error) {
	key, err := loadDataKey(c)
	if err != nil {
		return nil, err
	}
	keys, err := account.DeriveKeys(key)
	if err != nil {
		return nil, err
	}
	return account.NewLogins(a.db, keys, account.LoginsConfig{MaxHashing: c.loginHashes, Metrics: a.metrics.Logins(), Logger: a.logger}), nil
}

// intEnv returns the whole number in the environment variable k, 0 if it
// is unset.
func intEnv(getenv func(string) string, k string) (int, error) {
	v := getenv(k)
	if v == "" {
		return 0, nil
	}
	n, err := strconv.Atoi(v)
	if err != nil {
		return 0, usageError{fmt.Sprintf("%s=%q: eine ganze Zahl", k, v)}
	}
	return n, nil
}
