package delivery

import (
	"context"
	"fmt"
	"time"

	"github.com/antrag/antrag/internal/apperr"
)

// FIT-Connect account roles.
const (
	RoleSender     = "sender"
	RoleSubscriber = "subscriber"
)

// FITConnectAccount is a tenant's API client at FIT-Connect: the one it
// sends with (RoleSender), or the one it receives for a destination
// (Zustellpunkt) with (RoleSubscriber). The secrets are stored sealed.
type FITConnectAccount struct {
	TenantID      string
	Role          string // RoleSender or RoleSubscriber
	DestinationID string // RoleSubscriber: the destination (UUID); RoleSender: ""
	ClientID      string
	ClientSecret  string
	// CallbackSecret keys the HMAC-SHA512 of callbacks (RoleSubscriber).
	CallbackSecret []byte
	// PrivateKeys is the destination's private JWK set (RoleSubscriber):
	// the decryption key (RSA-OAEP-256) and the signature key (PS512), as
	// written by `antrag fitconnect keys`.
	PrivateKeys []byte
	CreatedAt   time.Time
}

// Validate checks the account's fields; the error wraps apperr.Invalid.
func (a *FITConnectAccount) Validate() error {
	switch {
	case a.Role != RoleSender && a.Role != RoleSubscriber:
		return fmt.Errorf("Rolle %q: sender oder subscriber: %w", a.Role, apperr.Invalid)
	case a.ClientID == "" || a.ClientSecret == "":
		return fmt.Errorf("Client-ID und Client-Secret sind nötig: %w", apperr.Invalid)
	case a.Role == RoleSender && a.DestinationID != "":
		return fmt.Errorf("ein Sender-Konto hat keinen Zustellpunkt: %w", apperr.Invalid)
	case a.Role == RoleSubscriber && !uuidRE.MatchString(a.DestinationID):
		return fmt.Errorf("Zustellpunkt %q ist keine UUID: %w", a.DestinationID, apperr.Invalid)
	case a.Role == RoleSubscriber && len(a.PrivateKeys) == 0:
		return fmt.Errorf("ein Empfänger-Konto braucht die privaten Schlüssel des Zustellpunkts: %w", apperr.Invalid)
	case a.Role == RoleSubscriber && len(a.CallbackSecret) < 32:
		return fmt.Errorf("das Callback-Geheimnis muss mindestens 32 Bytes haben: %w", apperr.Invalid)
	}
	return nil
}

// AccountStore keeps FIT-Connect accounts.
type AccountStore interface {
	// SetFITConnectAccount creates or replaces the account with the same
	// tenant, role and destination. A destination belongs to one tenant
	// (apperr.Conflict otherwise).
	SetFITConnectAccount(ctx context.Context, a *FITConnectAccount) error
	// FITConnectSender returns the tenant's sender account (apperr.NotFound).
	FITConnectSender(ctx context.Context, tenantID string) (*FITConnectAccount, error)
	// FITConnectDestination returns the subscriber account of a
	// destination, whichever tenant has it (apperr.NotFound).
	FITConnectDestination(ctx context.Context, destinationID string) (*FITConnectAccount, error)
	// FITConnectDestinations lists all subscriber accounts.
	FITConnectDestinations(ctx context.Context) ([]*FITConnectAccount, error)
}
