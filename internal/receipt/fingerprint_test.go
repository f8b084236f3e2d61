package receipt

import (
	"errors"
	"regexp"
	"testing"
	"time"

	"github.com/antrag/antrag/internal/payment"
)

func mustFingerprint(t *testing.T, r Receipt) string {
	t.Helper()
	fp, err := Fingerprint(r)
	if err != nil {
		t.Fatalf("Fingerprint: %v", err)
	}
	return fp
}

// TestFingerprint: the fingerprint is stable for the same content and
// changes with everything the receipt prints, including the payment.
func TestFingerprint(t *testing.T) {
	base := sampleReceipt()
	fp := mustFingerprint(t, base)
	if !regexp.MustCompile(`^[0-9a-f]{64}$`).MatchString(fp) {
		t.Fatalf("Fingerprint = %q", fp)
	}
	same := sampleReceipt()
	same.SubmittedAt = same.SubmittedAt.In(time.FixedZone("X", 3*3600)) // the same instant
	same.DataSHA256 = "9F86D081884C7D659A2FEAA0C55AD015A3BF4F1B2B0B822CD15D6C15B0F00A08"
	if got := mustFingerprint(t, same); got != fp {
		t.Errorf("same content, other zone and hex case: fingerprint changed")
	}

	changes := map[string]func(r *Receipt){
		"title":     func(r *Receipt) { r.Title += " (neu)" },
		"authority": func(r *Receipt) { r.Authority[2] = "Schloßstraße 5" },
		"time":      func(r *Receipt) { r.SubmittedAt = r.SubmittedAt.Add(time.Minute) },
		"value":     func(r *Receipt) { r.Sections[0].Items[1].Value = "Zoe" },
		"label":     func(r *Receipt) { r.Sections[0].Items[1].Label = "Vornamen" },
		"nested":    func(r *Receipt) { r.Sections[1].Items[3].Section.Items[0].Value = "Lea" },
		// An answer moved into the label: the same text, other fields.
		"boundary": func(r *Receipt) {
			it := &r.Sections[0].Items[0]
			it.Label, it.Value = it.Label+"Müller", "-Lüdenscheidt"
		},
		// The fee while open, then paid (fee_test.go).
		"fee open": func(r *Receipt) { r.Fee = payment.NewStatement(payment.Open, feeBill(payment.Mandatory), nil) },
		"fee paid": func(r *Receipt) { r.Fee = paidReceipt().Fee },
	}
	seen := map[string]string{fp: "base"}
	for name, change := range changes {
		r := sampleReceipt()
		change(&r)
		got := mustFingerprint(t, r)
		if other, ok := seen[got]; ok {
			t.Errorf("%s: same fingerprint as %s", name, other)
		}
		seen[got] = name
	}

	bad := sampleReceipt()
	bad.Reference = ""
	if _, err := Fingerprint(bad); !errors.Is(err, ErrInvalidReceipt) {
		t.Errorf("Fingerprint without Vorgangsnummer = %v, want ErrInvalidReceipt", err)
	}
}
