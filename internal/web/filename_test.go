package web

import (
	"testing"
	"time"
)

func TestGermanDuration(t *testing.T) {
	for d, want := range map[time.Duration]string{
		30 * 24 * time.Hour: "30 Tage", 24 * time.Hour: "1 Tag", 36 * time.Hour: "1 Tag", 12 * time.Hour: "12 Stunden",
		time.Hour: "1 Stunde", 45 * time.Minute: "45 Minuten", time.Second: "1 Minute",
	} {
		if got := germanDuration(d); got != want {
			t.Errorf("germanDuration(%s) = %q, want %q", d, got, want)
		}
	}
}
