package main

import (
	"fmt"
	"strconv"
	"time"
)

// requestLimits bound what one request may cost (web.Config): how many
// uploads run at once and how slowly a request body may come. They are
// set by environment only (ANTRAG_UPLOADS_*, ANTRAG_BODY_*,
// ANTRAG_UPLOAD_TIMEOUT); zero values are web's defaults.
type requestLimits struct {
	maxUploads, maxUploadsPerClient int
	bodyMinRate                     int64 // bytes a second
	bodyIdleTimeout, uploadTimeout  time.Duration
}

func parseRequestLimits(getenv func(string) string) (requestLimits, error) {
	var l requestLimits
	for _, x := range []struct {
		key string
		v   *int
	}{
		{"ANTRAG_UPLOADS_MAX", &l.maxUploads},
		{"ANTRAG_UPLOADS_PER_CLIENT", &l.maxUploadsPerClient},
	} {
		if v := getenv(x.key); v != "" {
			n, err := strconv.Atoi(v)
			if err != nil || n < 1 {
				return l, usageError{fmt.Sprintf("%s=%q: eine ganze Zahl größer als 0", x.key, v)}
			}
			*x.v = n
		}
	}
	if v := getenv("ANTRAG_BODY_MIN_RATE"); v != "" {
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil || n < 1 {
			return l, usageError{fmt.Sprintf("ANTRAG_BODY_MIN_RATE=%q: Bytes je Sekunde, eine ganze Zahl größer als 0", v)}
		}
		l.bodyMinRate = n
	}
	for _, x := range []struct {
		key string
		v   *time.Duration
	}{
		{"ANTRAG_BODY_IDLE_TIMEOUT", &l.bodyIdleTimeout},
		{"ANTRAG_UPLOAD_TIMEOUT", &l.uploadTimeout},
	} {
		if v := getenv(x.key); v != "" {
			d, err := parseDuration(v)
			if err != nil || d <= 0 {
				return l, usageError{fmt.Sprintf("%s=%q: eine Dauer größer als 0", x.key, v)}
			}
			*x.v = d
		}
	}
	return l, nil
}
