package payment

// Kind is the kind of an ePayment provider: the three speak the same
// XBezahldienste 1.0.0 API and differ in authentication (standards:
// ePayBL mutual TLS with a PKCS#12 client certificate, pmPayment OAuth2
// client credentials, ePay21 HTTP Basic).
type Kind string

// Provider kinds.
const (
	EPayBL    Kind = "epaybl"
	PMPayment Kind = "pmpayment"
	EPay21    Kind = "epay21"
)

// Kinds lists the provider kinds.
var Kinds = []Kind{EPayBL, PMPayment, EPay21}

// Account is an authority's access to its ePayment provider. Secrets
// (CertificatePassword, ClientSecret, Password) are held in clear here;
// stores seal the whole account.
type Account struct {
	Kind Kind `json:"kind"`
	// BaseURL is the provider's XBezahldienste base, ending with "/"
	// (e.g. https://epayment-stage.dataport.de/konnektor/epayment/).
	BaseURL      string `json:"base_url"`
	OriginatorID string `json:"originator_id"` // at most 36 characters
	EndpointID   string `json:"endpoint_id"`   // at most 36 characters

	// ePayBL: the client certificate and key as PKCS#12 (DER bytes) and
	// its password.
	Certificate         []byte `json:"certificate,omitempty"`
	CertificatePassword string `json:"certificate_password,omitempty"`
	// pmPayment: OAuth2 client credentials (RFC 6749, 4.4).
	TokenURL     string `json:"token_url,omitempty"`
	ClientID     string `json:"client_id,omitempty"`
	ClientSecret string `json:"client_secret,omitempty"`
	// ePay21: HTTP Basic (RFC 7617).
	Username string `json:"username,omitempty"`
	Password string `json:"password,omitempty"`
	// RootCAs are extra PEM trust roots for the provider's TLS server
	// certificate (a test stage's own CA); empty for the system roots.
	RootCAs []byte `json:"root_cas,omitempty"`

	// BookingData maps a fee item's ID to the booking data the
	// authority's cash system needs for it (e.g. "Haushaltsstelle",
	// "Objektnummer"); an item's own booking data wins.
	BookingData map[string]map[string]string `json:"booking_data,omitempty"`
}

// Endpoint returns where the account's transactions are kept.
func (a *Account) Endpoint() Endpoint {
	return Endpoint{BaseURL: a.BaseURL, OriginatorID: a.OriginatorID, EndpointID: a.EndpointID}
}
