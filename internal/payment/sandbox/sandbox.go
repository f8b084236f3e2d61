// Package sandbox is an ePayment provider for the demo and for tests: it
// speaks XBezahldienste 1.0.0 (docs.fitko.de/xbezahldienste) as ePayBL,
// pmPayment and ePay21 do, keeps its transactions in memory, and serves a
// German pay page on which a tester decides how each payment ends.
//
// Handler serves everything under the path of Config.BaseURL (it does
// not strip the prefix, so it can be mounted as is on a server's mux at
// that path):
//
//	POST {base}paymenttransaction/{originatorId}/{endpointId}                 create
//	GET  {base}paymenttransaction/{originatorId}/{endpointId}/{transactionId} status
//	GET  {base}status/{originatorId}/{endPointId}                             check
//	POST {base}oauth/token                  OAuth2 client credentials (AuthOAuth2 only)
//	GET  {base}bezahlen/{transactionId}     the pay page; POST it to decide
//	POST {base}steuerung/{transactionId}    set a status later (form field status)
//	GET  {base}steuerung, POST {base}steuerung   test controls (outage, next error)
//
// Like real providers, a create with a requestId already used for the
// same originatorId and endpointId is refused with HTTP 400
// {"code":"PAYMENT_EXISTS"}, so a retried request never makes a second
// transaction.
package sandbox

import (
	"fmt"
	"html/template"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/google/uuid"

	"github.com/antrag/antrag/internal/apperr"
	"github.com/antrag/antrag/internal/payment"
)

// Auth is how the sandbox's API authenticates callers.
type Auth string

// Authentication schemes, one per provider kind.
const (
	AuthNone   Auth = ""       // anyone
	AuthBasic  Auth = "basic"  // HTTP Basic with Username and Password (ePay21)
	AuthOAuth2 Auth = "oauth2" // Bearer tokens from {base}oauth/token (pmPayment)
	// AuthMTLS requires a client certificate (ePayBL). The handler only
	// checks that the connection presented one; the TLS server must be
	// configured to verify it against its CA (tls.VerifyClientCertIfGiven
	// with ClientCAs; see sandboxtest).
	AuthMTLS Auth = "mtls"
)

// Pair is an originatorId with an endpointId.
type Pair struct {
	OriginatorID, EndpointID string
}

// Config configures a Sandbox.
type Config struct {
	// BaseURL is the absolute URL where Handler is served, ending with
	// "/" (e.g. http://localhost:8080/zahlung-sandbox/). Its path is the
	// prefix of every route; the pay page's and the transactions' URLs
	// are built from it.
	BaseURL string
	// Accept lists the valid originatorId/endpointId pairs; empty accepts
	// any pair of non-empty ids.
	Accept []Pair
	// Auth is the API's authentication, with its credentials:
	// Username/Password for AuthBasic, ClientID/ClientSecret for
	// AuthOAuth2.
	Auth                   Auth
	Username, Password     string
	ClientID, ClientSecret string
	// TokenTTL is the lifetime of an issued OAuth2 token (0: one hour).
	TokenTTL time.Duration
	// Now is the clock (nil: time.Now).
	Now func() time.Time
}

// Sandbox is an in-memory ePayment provider. It is safe for concurrent
// use.
type Sandbox struct {
	cfg    Config
	prefix string // path of BaseURL, ending with "/"
	origin string // scheme://host of BaseURL
	pages  *template.Template
	mux    *http.ServeMux

	mu        sync.Mutex
	txs       map[string]*transaction
	byRequest map[string]string // pair and requestId → transactionId
	tokens    map[string]time.Time
	seq       int
	down      bool
	failNext  string
	creates   int
	statuses  int
}

// transaction is a created payment transaction.
type transaction struct {
	pair        Pair
	requestID   string
	purpose     string
	description string
	redirectURL string
	gross       payment.Cents
	items       []item
	info        payment.Info // TransactionRedirectURL is set when answering
}

type item struct {
	Description string
	Quantity    int
	Single      payment.Cents
	Total       payment.Cents
}

// New returns a sandbox for cfg. Errors wrap apperr.Invalid: BaseURL
// must be an absolute http(s) URL whose path ends with "/" and has only
// letters, digits and "-._~/"; AuthBasic needs Username and Password,
// AuthOAuth2 ClientID and ClientSecret.
func New(cfg Config) (*Sandbox, error) {
	u, err := url.Parse(cfg.BaseURL)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.RawQuery != "" || u.Fragment != "" {
		return nil, fmt.Errorf("%w: sandbox BaseURL %q is not an absolute http(s) URL", apperr.Invalid, cfg.BaseURL)
	}
	if !strings.HasPrefix(u.Path, "/") || !strings.HasSuffix(u.Path, "/") || strings.Trim(u.Path, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-._~/") != "" {
		return nil, fmt.Errorf("%w: sandbox BaseURL path %q must end with \"/\" and have only letters, digits and -._~/", apperr.Invalid, u.Path)
	}
	switch cfg.Auth {
	case AuthNone, AuthMTLS:
	case AuthBasic:
		if cfg.Username == "" || cfg.Password == "" {
			return nil, fmt.Errorf("%w: sandbox Basic authentication needs Username and Password", apperr.Invalid)
		}
	case AuthOAuth2:
		if cfg.ClientID == "" || cfg.ClientSecret == "" {
			return nil, fmt.Errorf("%w: sandbox OAuth2 needs ClientID and ClientSecret", apperr.Invalid)
		}
	default:
		return nil, fmt.Errorf("%w: sandbox authentication %q unknown", apperr.Invalid, cfg.Auth)
	}
	if cfg.TokenTTL <= 0 {
		cfg.TokenTTL = time.Hour
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	s := &Sandbox{
		cfg:       cfg,
		prefix:    u.Path,
		origin:    u.Scheme + "://" + u.Host,
		pages:     pages,
		txs:       make(map[string]*transaction),
		byRequest: make(map[string]string),
		tokens:    make(map[string]time.Time),
	}
	s.routes()
	return s, nil
}

// Handler returns the sandbox's HTTP handler (routes in the package
// documentation).
func (s *Sandbox) Handler() http.Handler { return s.mux }

func (s *Sandbox) routes() {
	p := s.prefix
	m := http.NewServeMux()
	m.HandleFunc("POST "+p+"paymenttransaction/{originatorId}/{endpointId}", s.api(countCreates, s.create))
	m.HandleFunc("GET "+p+"paymenttransaction/{originatorId}/{endpointId}/{transactionId}", s.api(countStatuses, s.status))
	m.HandleFunc("GET "+p+"status/{originatorId}/{endpointId}", s.api(nil, s.check))
	m.HandleFunc("POST "+p+"oauth/token", s.token)
	m.HandleFunc("GET "+p+"bezahlen/{transactionId}", s.payPage)
	// The forms are protected against cross-site posts by the
	// browser's Sec-Fetch-Site or Origin header.
	csrf := http.NewCrossOriginProtection()
	m.Handle("POST "+p+"bezahlen/{transactionId}", csrf.Handler(http.HandlerFunc(s.payDecide)))
	m.Handle("POST "+p+"steuerung/{transactionId}", csrf.Handler(http.HandlerFunc(s.controlSet)))
	m.HandleFunc("GET "+p+"steuerung", s.controlPage)
	m.Handle("POST "+p+"steuerung", csrf.Handler(http.HandlerFunc(s.controlUpdate)))
	m.HandleFunc("GET "+p+"{$}", func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, p+"steuerung", http.StatusSeeOther)
	})
	s.mux = m
}

// Set sets a transaction's status, as a provider does when the citizen
// finishes or the payment is booked later (a FAILED one may turn PAYED).
// PAYED records the method CREDITCARD; every change records the time as
// transactionTimestamp. Errors: apperr.NotFound for an unknown
// transaction, apperr.Invalid for an unknown status.
func (s *Sandbox) Set(transactionID string, status payment.Status) error {
	if !status.Known() {
		return fmt.Errorf("%w: status %q unknown", apperr.Invalid, status)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	tx, ok := s.txs[transactionID]
	if !ok {
		return fmt.Errorf("%w: transaction %q", apperr.NotFound, transactionID)
	}
	s.setLocked(tx, status)
	return nil
}

func (s *Sandbox) setLocked(tx *transaction, status payment.Status) {
	tx.info.Status = status
	tx.info.TransactionTimestamp = s.cfg.Now().UTC().Truncate(time.Second)
	tx.info.Method, tx.info.MethodDetail, tx.info.StatusDetail = "", "", ""
	switch status {
	case payment.Payed:
		tx.info.Method = payment.Creditcard
		tx.info.MethodDetail = "Testkarte (Sandbox)"
		tx.info.StatusDetail = "Zahlung erfolgreich"
	case payment.Failed:
		tx.info.StatusDetail = "Zahlung abgelehnt"
	case payment.Canceled:
		tx.info.StatusDetail = "Zahlung abgebrochen"
	}
}

// SetDown makes the API (create, status, check, token) answer 503 while
// down is true: the provider is down.
func (s *Sandbox) SetDown(down bool) {
	s.mu.Lock()
	s.down = down
	s.mu.Unlock()
}

// FailNext makes the next create answer with the error code code
// (HTTP 403 for FORBIDDEN, 404 for NO_VALID_ORIGINATOR_OR_ENDPOINT, 400
// otherwise); "" clears it.
func (s *Sandbox) FailNext(code string) {
	s.mu.Lock()
	s.failNext = code
	s.mu.Unlock()
}

// Creates is the number of create requests received (also those refused).
func (s *Sandbox) Creates() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.creates
}

// Statuses is the number of status requests received (also those refused).
func (s *Sandbox) Statuses() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.statuses
}

// Info returns a transaction's paymentInformation as the API answers it.
// Errors: apperr.NotFound.
func (s *Sandbox) Info(transactionID string) (payment.Info, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	tx, ok := s.txs[transactionID]
	if !ok {
		return payment.Info{}, fmt.Errorf("%w: transaction %q", apperr.NotFound, transactionID)
	}
	return s.infoLocked(tx), nil
}

// infoLocked is tx's paymentInformation with the pay page while INITIAL.
func (s *Sandbox) infoLocked(tx *transaction) payment.Info {
	info := tx.info
	if info.Status == payment.Initial {
		info.TransactionRedirectURL = s.payURL(info.TransactionID)
	}
	return info
}

func (s *Sandbox) payURL(id string) string { return s.cfg.BaseURL + "bezahlen/" + id }

// newTransactionLocked stores a new INITIAL transaction.
func (s *Sandbox) newTransactionLocked(tx *transaction) {
	s.seq++
	now := s.cfg.Now()
	id := uuid.NewString()
	tx.info = payment.Info{
		TransactionID:        id,
		TransactionReference: fmt.Sprintf("KZ-%d-%06d", now.Year(), s.seq),
		TransactionURL:       s.cfg.BaseURL + "paymenttransaction/" + url.PathEscape(tx.pair.OriginatorID) + "/" + url.PathEscape(tx.pair.EndpointID) + "/" + id,
		TransactionTimestamp: now.UTC().Truncate(time.Second),
		Status:               payment.Initial,
	}
	s.txs[id] = tx
	s.byRequest[requestKey(tx.pair, tx.requestID)] = id
}

func requestKey(p Pair, requestID string) string {
	return p.OriginatorID + "\x00" + p.EndpointID + "\x00" + requestID
}

// accepts reports whether p is a configured pair.
func (s *Sandbox) accepts(p Pair) bool {
	if p.OriginatorID == "" || p.EndpointID == "" {
		return false
	}
	if len(s.cfg.Accept) == 0 {
		return true
	}
	for _, a := range s.cfg.Accept {
		if a == p {
			return true
		}
	}
	return false
}
