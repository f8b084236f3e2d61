package saml_test

import (
	"testing"

	"github.com/antrag/antrag/internal/identity"
	"github.com/antrag/antrag/internal/identity/saml"
)

// BenchmarkFinishLogin measures the SP's side of a login: base64, XML
// parsing, two RSA-PSS verifications (Response and assertion), RSA-OAEP
// and AES-GCM decryption, the checks and the replay cache (in memory).
func BenchmarkFinishLogin(b *testing.B) {
	f := newFixture(b)
	type login struct {
		resp string
		p    saml.Pending
	}
	logins := make([]login, b.N)
	for i := range logins {
		r, p := f.login(identity.Substantiell, choice{"erika", "STORK-QAA-Level-3", identity.MethodEID})
		logins[i] = login{r, p}
	}
	b.ResetTimer()
	for i := range b.N {
		if _, err := f.finish(logins[i].resp, logins[i].p); err != nil {
			b.Fatal(err)
		}
	}
}
