// Package deliverytest helps tests that look at deliveries.
package deliverytest

import (
	"fmt"
	"strings"
	"time"

	"github.com/antrag/antrag/internal/delivery"
)

// Format describes deliveries for a failure message: id, kind, state,
// attempts, last error (and the receiver's reason) and next attempt of
// each, in order. %v of a []*delivery.Delivery prints only addresses, and
// %+v of one delivery also its target's secret.
func Format(ds []*delivery.Delivery) string {
	if len(ds) == 0 {
		return "no deliveries"
	}
	parts := make([]string, len(ds))
	for i, d := range ds {
		parts[i] = One(d)
	}
	return "[" + strings.Join(parts, "; ") + "]"
}

// One describes one delivery as Format does.
func One(d *delivery.Delivery) string {
	if d == nil {
		return "<nil>"
	}
	var b strings.Builder
	fmt.Fprintf(&b, "%s %s %s, round %d, attempts %d", d.ID, d.Target.Kind, d.State, d.Round, d.Attempts)
	if d.LastError != "" {
		fmt.Fprintf(&b, ", last error %q", d.LastError)
	}
	if d.Reason != "" {
		fmt.Fprintf(&b, ", reason %q", d.Reason)
	}
	if d.NextAttempt.IsZero() {
		b.WriteString(", no next attempt")
	} else {
		fmt.Fprintf(&b, ", next attempt %s (%s)", d.NextAttempt.UTC().Format("2006-01-02T15:04:05.000Z"), relative(time.Until(d.NextAttempt)))
	}
	return b.String()
}

func relative(d time.Duration) string {
	d = d.Round(time.Millisecond)
	if d < 0 {
		return (-d).String() + " ago"
	}
	return "in " + d.String()
}
