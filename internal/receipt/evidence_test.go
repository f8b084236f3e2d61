package receipt

import (
	"strings"
	"testing"
	"time"

	"github.com/antrag/antrag/internal/identity"
)

func TestRenderEvidence(t *testing.T) {
	r := sampleReceipt()
	r.Evidence = sampleEvidence()
	text := pdfText(t, render(t, r))
	wantText(t, text, "Identitätsnachweis", "Schriftformersatz", "ja (§ 3a Abs. 3 Nr. 1 VwVfG", "Verfahren", "eID",
		"hoch (gemeldet: STORK-QAA-Level-4)", "https://id.bund.de/idp", "_a9f3c2", "17.05.2024, 09:28:00 Uhr",
		"17.05.2024, 09:30:00 Uhr", "G60000000086.F60000000227", "F60000000001")
	if t.Failed() {
		t.Logf("extracted text:\n%s", text)
	}
	// Without evidence, no such section.
	if plain := pdfText(t, render(t, sampleReceipt())); strings.Contains(plain, "Identitätsnachweis") {
		t.Error("receipt without evidence has an Identitätsnachweis")
	}
}

func sampleEvidence() *identity.Evidence {
	return &identity.Evidence{Schriftformersatz: true, Provider: "bundid", Issuer: "https://id.bund.de/idp",
		Method: identity.MethodEID, Level: identity.Hoch, RawLevel: "STORK-QAA-Level-4", AssertionID: "_a9f3c2",
		AuthnTime: time.Date(2024, 5, 17, 7, 28, 0, 0, time.UTC), DeclaredAt: time.Date(2024, 5, 17, 7, 30, 0, 0, time.UTC),
		DataSHA256: testSHA, Proved: []string{"G60000000086.F60000000227"}, Typed: []string{"F60000000001"}}
}
