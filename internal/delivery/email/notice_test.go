package email

import (
	"strings"
	"testing"

	"github.com/antrag/antrag/internal/tenant"
)

// TestNoticeNamesTenantForAnyName: the sentence that names the tenant is
// correct German whatever the name ("bei Landkreis Beispielkreis" lacked
// the article): the name stands quoted after "im Mandanten".
func TestNoticeNamesTenantForAnyName(t *testing.T) {
	for _, name := range []string{"Landkreis Beispielkreis", "Stadt Musterstadt", "Freistaat Bayern", "Kreisverwaltung Beispielkreis"} {
		t.Run(name, func(t *testing.T) {
			p := newParcel()
			p.Tenant = &tenant.Tenant{ID: "t1", Slug: "x", Name: name, Kind: tenant.Landkreis}
			want := "im Mandanten „" + name + "“ ist am 29.11.2026 um 13:00 Uhr ein neuer Antrag für die Leistung „Führungszeugnis beantragen“ eingegangen."
			body := Body(p)
			if lines := strings.Split(body, "\n"); len(lines) < 3 || lines[2] != want {
				t.Errorf("sentence naming the tenant: want line 3 %q, body:\n%s", want, body)
			}
			if strings.Contains(body, "bei "+name) {
				t.Errorf("body has %q", "bei "+name)
			}
		})
	}
}
