package demo

import (
	"context"
	"crypto/x509"
	"encoding/json"
	"errors"
	"net/http"

	"github.com/antrag/antrag/internal/apperr"
	"github.com/antrag/antrag/internal/delivery"
	"github.com/antrag/antrag/internal/fitconnect"
	"github.com/antrag/antrag/internal/fitconnect/fitconnecttest"
	"github.com/antrag/antrag/internal/form"
	"github.com/antrag/antrag/internal/tenant"
)

// FITConnect is the demo's FIT-Connect: antrag's in-process test double of
// the Submission API (package fitconnecttest; in memory, lost on
// restart), so that `serve --demo` runs the whole delivery cycle without
// the real platform. It is not a FIT-Connect implementation; production
// code reaches it only through this type.
type FITConnect struct {
	// Handler serves the double's API at BaseURL.
	Handler http.Handler
	// TokenURL, SubmissionAPI and DestinationAPI are the double's
	// endpoints for the sender and subscriber configuration.
	TokenURL, SubmissionAPI, DestinationAPI string
	// Roots are the trust anchors of the destinations' certificate chains.
	Roots *x509.CertPool
	// RoutingAPI and PortalJWKS are the double's Routing API and the JWK
	// set of its self-service portal, which signs the routes; PortalRoots
	// holds the portal key's certificate.
	RoutingAPI, PortalJWKS string
	PortalRoots            *x509.CertPool
	double                 *fitconnecttest.Double
}

// DoubleStore is what StartFITConnect reads.
type DoubleStore interface {
	tenant.Store
	delivery.AccountStore
}

// StartFITConnect starts the double, served at baseURL (the address of
// Handler), and tells it about the installation's FIT-Connect accounts:
// every account is a client, every subscriber account a destination
// offering its tenant's services, with its callback at callbackURL +
// destination id.
func StartFITConnect(ctx context.Context, st DoubleStore, baseURL, callbackURL string) (*FITConnect, error) {
	dbl, err := fitconnecttest.New(fitconnecttest.Options{BaseURL: baseURL})
	if err != nil {
		return nil, err
	}
	roots, err := register(ctx, st, dbl, callbackURL)
	if err != nil {
		dbl.Close()
		return nil, err
	}
	portal, err := dbl.PortalCertificate()
	if err != nil {
		dbl.Close()
		return nil, err
	}
	portalRoots := x509.NewCertPool()
	portalRoots.AddCert(portal)
	for _, r := range Routes {
		if err := dbl.AddRoute(r); err != nil {
			dbl.Close()
			return nil, err
		}
	}
	return &FITConnect{Handler: dbl.Handler(), TokenURL: baseURL + "/token", SubmissionAPI: baseURL,
		DestinationAPI: baseURL, Roots: roots, RoutingAPI: dbl.RoutingAPIURL(), PortalJWKS: dbl.PortalJWKSURL(),
		PortalRoots: portalRoots, double: dbl}, nil
}

// Close stops the double.
func (f *FITConnect) Close() { f.double.Close() }

// register adds the installation's accounts to the double and returns the
// roots of the destinations' certificate chains.
func register(ctx context.Context, st DoubleStore, dbl *fitconnecttest.Double, callbackURL string) (*x509.CertPool, error) {
	roots := x509.NewCertPool()
	dests, err := st.FITConnectDestinations(ctx)
	if err != nil {
		return nil, err
	}
	tenants, err := st.ListTenants(ctx)
	if err != nil {
		return nil, err
	}
	for _, t := range tenants {
		if acc, err := st.FITConnectSender(ctx, t.ID); err == nil {
			dbl.AddClient(acc.ClientID, acc.ClientSecret)
		} else if !errors.Is(err, apperr.NotFound) {
			return nil, err
		}
	}
	for _, acc := range dests {
		dbl.AddClient(acc.ClientID, acc.ClientSecret)
		pub, err := publicJWKS(acc.PrivateKeys)
		if err != nil {
			return nil, err
		}
		root, err := chainRoot(acc.PrivateKeys)
		if err != nil {
			return nil, err
		}
		roots.AddCert(root)
		dst, err := fitconnect.DestinationOf(acc)
		if err != nil {
			return nil, err
		}
		encKid := ""
		for _, k := range dst.PrivateKeys.Keys {
			if k.KeyID != dst.SigningKid {
				encKid = k.KeyID
			}
		}
		offered, err := offeredServices(ctx, st, acc.TenantID)
		if err != nil {
			return nil, err
		}
		if err := dbl.AddDestination(fitconnecttest.Destination{
			ID: acc.DestinationID, PublicKeys: pub, EncryptionKid: encKid, Services: offered,
			CallbackURL: callbackURL + acc.DestinationID, CallbackSecret: acc.CallbackSecret,
		}); err != nil {
			return nil, err
		}
	}
	return roots, nil
}

// offeredServices are the tenant's own published services with a
// Leistungsschlüssel, as a destination offers them.
func offeredServices(ctx context.Context, st DoubleStore, tenantID string) ([]fitconnecttest.Service, error) {
	svcs, err := st.ListServices(ctx, tenantID)
	if err != nil {
		return nil, err
	}
	var offered []fitconnecttest.Service
	for _, s := range svcs {
		if s.TenantID != tenantID || s.Leistungsschluessel == "" || s.FormVersionID == "" {
			continue
		}
		fv, err := st.FormVersion(ctx, s.TenantID, s.FormVersionID)
		if err != nil {
			return nil, err
		}
		offered = append(offered, fitconnecttest.Service{Identifier: fitconnect.LeikaURN(s.Leistungsschluessel), Name: s.Name,
			SubmissionSchemas: []fitconnecttest.Schema{{URI: form.DefaultSchemaURI(fv.FIMID, fv.FIMVersion), MimeType: "application/json"}}})
	}
	return offered, nil
}

// publicJWKS derives the public JWK set of a destination from its private
// one: each key's public half, with key_ops unwrapKey → wrapKey and sign →
// verify, and the same x5c chain.
func publicJWKS(private []byte) ([]byte, error) {
	keys, err := fitconnect.ParseJWKSet(private)
	if err != nil {
		return nil, err
	}
	var pub []fitconnect.Key
	for _, k := range keys {
		ops := []string{}
		for _, op := range k.KeyOps {
			switch op {
			case "unwrapKey":
				ops = append(ops, "wrapKey")
			case "sign":
				ops = append(ops, "verify")
			}
		}
		pub = append(pub, fitconnect.Key{JSONWebKey: k.JSONWebKey.Public(), KeyOps: ops})
	}
	return json.Marshal(struct {
		Keys []fitconnect.Key `json:"keys"`
	}{pub})
}

// chainRoot returns the last certificate of the first key's x5c chain of a
// private JWK set (the demo CA).
func chainRoot(private []byte) (*x509.Certificate, error) {
	keys, err := fitconnect.ParseJWKSet(private)
	if err != nil {
		return nil, err
	}
	for _, k := range keys {
		if n := len(k.Certificates); n > 0 {
			return k.Certificates[n-1], nil
		}
	}
	return nil, errors.New("keine Zertifikatskette (x5c) in den Schlüsseln")
}
