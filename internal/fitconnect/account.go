package fitconnect

import (
	"fmt"

	"github.com/go-jose/go-jose/v4"

	"github.com/antrag/antrag/internal/delivery"
)

// DestinationOf turns a stored subscriber account into the Subscriber's
// view of it. Keys that are public, or a set without a decryption key
// (RSA-OAEP-256) and a signing key (PS512), are errors.
func DestinationOf(acc *delivery.FITConnectAccount) (*Destination, error) {
	keys, err := ParseJWKSet(acc.PrivateKeys)
	if err != nil {
		return nil, fmt.Errorf("Zustellpunkt %s: %w", acc.DestinationID, err)
	}
	d := &Destination{TenantID: acc.TenantID, DestinationID: acc.DestinationID, ClientID: acc.ClientID,
		ClientSecret: acc.ClientSecret, CallbackSecret: acc.CallbackSecret}
	decrypt := false
	for _, k := range keys {
		if k.IsPublic() {
			return nil, fmt.Errorf("Zustellpunkt %s: Schlüssel %s ist öffentlich; nötig sind die privaten Schlüssel (zustellpunkt.private.jwks.json)", acc.DestinationID, k.KeyID)
		}
		d.PrivateKeys.Keys = append(d.PrivateKeys.Keys, k.JSONWebKey)
		switch k.Algorithm {
		case string(jose.PS512):
			d.SigningKid = k.KeyID
		case string(jose.RSA_OAEP_256):
			decrypt = true
		}
	}
	if d.SigningKid == "" || !decrypt {
		return nil, fmt.Errorf("Zustellpunkt %s: die privaten Schlüssel brauchen einen Entschlüsselungsschlüssel (RSA-OAEP-256) und einen Signaturschlüssel (PS512)", acc.DestinationID)
	}
	return d, nil
}
