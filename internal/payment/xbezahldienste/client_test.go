package xbezahldienste_test

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/antrag/antrag/internal/apperr"
	"github.com/antrag/antrag/internal/payment"
	"github.com/antrag/antrag/internal/payment/sandbox"
	"github.com/antrag/antrag/internal/payment/sandbox/sandboxtest"
	"github.com/antrag/antrag/internal/payment/xbezahldienste"
)

const (
	originator = "99123456760610"
	endpoint   = "064350014014"
	user       = "kommune"
	password   = "geheim-123"
)

func request(id string) *payment.Request {
	return &payment.Request{
		RequestID:   id,
		Currency:    "EUR",
		GrossAmount: 1250,
		Purpose:     "Gebühr V-2026-000042",
		Description: "Führungszeugnis für private Zwecke",
		RedirectURL: "https://antrag.example/zahlung/zurueck?v=42",
		Items: []payment.Item{
			{ID: "gebuehr", Reference: "V-2026-000042", Description: "Gebühr", Quantity: 1, SingleNet: 1000, TotalNet: 1000},
			{ID: "porto", Description: "Porto", Quantity: 2, SingleNet: 125, TotalNet: 250},
		},
	}
}

// basicSandbox starts a sandbox with HTTP Basic and returns a client for it.
func basicSandbox(t *testing.T, opts xbezahldienste.Options) (*sandbox.Sandbox, *httptest.Server, *xbezahldienste.Client) {
	t.Helper()
	sb, srv := sandboxtest.Start(t, sandbox.Config{
		Accept: []sandbox.Pair{{OriginatorID: originator, EndpointID: endpoint}},
		Auth:   sandbox.AuthBasic, Username: user, Password: password,
	}, nil)
	return sb, srv, mustClient(t, basicAccount(srv.URL+sandboxtest.Prefix, password), opts)
}

func basicAccount(base, pass string) *payment.Account {
	return &payment.Account{Kind: payment.EPay21, BaseURL: base, OriginatorID: originator, EndpointID: endpoint, Username: user, Password: pass}
}

func mustClient(t *testing.T, acc *payment.Account, opts xbezahldienste.Options) *xbezahldienste.Client {
	t.Helper()
	c, err := xbezahldienste.New(acc, opts)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	return c
}

func providerError(t *testing.T, err error, code string, status int) {
	t.Helper()
	var pe *payment.ProviderError
	if !errors.As(err, &pe) {
		t.Fatalf("err = %v, want *payment.ProviderError %s", err, code)
	}
	if pe.Code != code || (status != 0 && pe.HTTPStatus != status) {
		t.Fatalf("ProviderError = %+v, want code %s, HTTP %d", pe, code, status)
	}
}

var kassenzeichen = regexp.MustCompile(`^KZ-\d{4}-\d{6}$`)

func TestCreateAndStatus(t *testing.T) {
	sb, srv, c := basicSandbox(t, xbezahldienste.Options{})
	ctx := context.Background()
	base := srv.URL + sandboxtest.Prefix

	info, err := c.Create(ctx, request(uuid.NewString()))
	if err != nil {
		t.Fatalf("Create: %v", err)
	}
	if _, err := uuid.Parse(info.TransactionID); err != nil {
		t.Errorf("transactionId %q is not a UUID", info.TransactionID)
	}
	if info.Status != payment.Initial || !kassenzeichen.MatchString(info.TransactionReference) {
		t.Errorf("Create = %+v; want INITIAL with a Kassenzeichen", info)
	}
	if info.TransactionRedirectURL != base+"bezahlen/"+info.TransactionID {
		t.Errorf("pay page = %q", info.TransactionRedirectURL)
	}
	if info.TransactionURL != base+"paymenttransaction/"+originator+"/"+endpoint+"/"+info.TransactionID {
		t.Errorf("transactionUrl = %q", info.TransactionURL)
	}

	got, err := c.Status(ctx, info.TransactionID)
	if err != nil || got.Status != payment.Initial || got.TransactionReference != info.TransactionReference {
		t.Fatalf("Status = %+v, %v; want INITIAL", got, err)
	}

	// A payment that failed may be booked later: the later PAYED wins.
	for _, st := range []payment.Status{payment.Failed, payment.Payed} {
		if err := sb.Set(info.TransactionID, st); err != nil {
			t.Fatal(err)
		}
		got, err = c.Status(ctx, info.TransactionID)
		if err != nil || got.Status != st {
			t.Fatalf("Status after Set(%s) = %+v, %v", st, got, err)
		}
		if got.TransactionRedirectURL != "" {
			t.Errorf("pay page %q offered for a %s transaction", got.TransactionRedirectURL, st)
		}
	}
	if got.Method != payment.Creditcard || got.TransactionTimestamp.IsZero() {
		t.Errorf("PAYED = %+v; want CREDITCARD with a timestamp", got)
	}
	if sb.Creates() != 1 || sb.Statuses() != 3 {
		t.Errorf("Creates, Statuses = %d, %d; want 1, 3", sb.Creates(), sb.Statuses())
	}

	_, err = c.Status(ctx, uuid.NewString())
	providerError(t, err, payment.CodeUnspecified, http.StatusNotFound)
	if _, err := c.Status(ctx, "../x"); !errors.Is(err, apperr.Invalid) {
		t.Errorf("Status(../x) = %v, want apperr.Invalid", err)
	}
}

func TestCreateSameRequestID(t *testing.T) {
	sb, _, c := basicSandbox(t, xbezahldienste.Options{})
	id := uuid.NewString()
	first, err := c.Create(context.Background(), request(id))
	if err != nil {
		t.Fatal(err)
	}
	_, err = c.Create(context.Background(), request(id))
	providerError(t, err, payment.CodePaymentExists, http.StatusBadRequest)
	if sb.Creates() != 2 {
		t.Errorf("Creates = %d, want 2", sb.Creates())
	}
	if info, err := sb.Info(first.TransactionID); err != nil || info.Status != payment.Initial {
		t.Errorf("first transaction = %+v, %v", info, err)
	}
}

func TestCheck(t *testing.T) {
	_, srv, c := basicSandbox(t, xbezahldienste.Options{})
	if err := c.Check(context.Background()); err != nil {
		t.Fatalf("Check: %v", err)
	}
	acc := basicAccount(srv.URL+sandboxtest.Prefix, password)
	acc.EndpointID = "000000000000"
	err := mustClient(t, acc, xbezahldienste.Options{}).Check(context.Background())
	providerError(t, err, payment.CodeNoValidEndpoint, http.StatusNotFound)
}

func TestProviderDown(t *testing.T) {
	sb, _, c := basicSandbox(t, xbezahldienste.Options{})
	ctx := context.Background()
	info, err := c.Create(ctx, request(uuid.NewString()))
	if err != nil {
		t.Fatal(err)
	}
	sb.SetDown(true)
	calls := map[string]func() error{
		"create": func() error { _, err := c.Create(ctx, request(uuid.NewString())); return err },
		"status": func() error { _, err := c.Status(ctx, info.TransactionID); return err },
		"check":  func() error { return c.Check(ctx) },
	}
	for name, call := range calls {
		if err := call(); !errors.Is(err, payment.ErrUnavailable) {
			t.Errorf("%s while down: err = %v, want ErrUnavailable", name, err)
		}
	}
	sb.SetDown(false)
	for name, call := range calls {
		if err := call(); err != nil {
			t.Errorf("%s after the outage: %v", name, err)
		}
	}
}

func TestUnreachable(t *testing.T) {
	// A server that never answers until the test ends.
	release := make(chan struct{})
	hang := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-release:
		case <-r.Context().Done():
		}
	}))
	t.Cleanup(hang.Close)
	t.Cleanup(func() { close(release) })

	closed := httptest.NewServer(http.NotFoundHandler())
	closedURL := closed.URL
	closed.Close()

	tests := []struct {
		name string
		base string
		opts xbezahldienste.Options
		ctx  func() (context.Context, context.CancelFunc)
	}{
		{"client timeout", hang.URL + "/", xbezahldienste.Options{Timeout: 50 * time.Millisecond}, nil},
		{"context deadline", hang.URL + "/", xbezahldienste.Options{}, func() (context.Context, context.CancelFunc) {
			return context.WithTimeout(context.Background(), 50*time.Millisecond)
		}},
		{"connection refused", closedURL + "/", xbezahldienste.Options{}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := mustClient(t, basicAccount(tt.base, password), tt.opts)
			ctx, cancel := context.Background(), context.CancelFunc(func() {})
			if tt.ctx != nil {
				ctx, cancel = tt.ctx()
			}
			defer cancel()
			if _, err := c.Create(ctx, request(uuid.NewString())); !errors.Is(err, payment.ErrUnavailable) {
				t.Errorf("Create: err = %v, want ErrUnavailable", err)
			}
			if err := c.Check(ctx); !errors.Is(err, payment.ErrUnavailable) {
				t.Errorf("Check: err = %v, want ErrUnavailable", err)
			}
		})
	}

	t.Run("caller cancels", func(t *testing.T) {
		ctx, cancel := context.WithCancel(context.Background())
		cancel()
		c := mustClient(t, basicAccount(hang.URL+"/", password), xbezahldienste.Options{})
		_, err := c.Create(ctx, request(uuid.NewString()))
		if !errors.Is(err, context.Canceled) || errors.Is(err, payment.ErrUnavailable) {
			t.Errorf("err = %v, want context.Canceled and not ErrUnavailable", err)
		}
	})
}

func TestProviderErrorCodes(t *testing.T) {
	sb, _, c := basicSandbox(t, xbezahldienste.Options{})
	tests := []struct {
		code   string
		status int
	}{
		{payment.CodeCalculation, 400},
		{payment.CodeBookingData, 400},
		{payment.CodeValidation, 400},
		{payment.CodeForbidden, 403},
		{payment.CodeNoValidEndpoint, 404},
		{payment.CodeUnspecified, 400},
	}
	for _, tt := range tests {
		t.Run(tt.code, func(t *testing.T) {
			sb.FailNext(tt.code)
			_, err := c.Create(context.Background(), request(uuid.NewString()))
			providerError(t, err, tt.code, tt.status)
			if _, err := c.Create(context.Background(), request(uuid.NewString())); err != nil {
				t.Errorf("the create after: %v", err)
			}
		})
	}
}

// fixed serves every request with status and body, and records the last
// request's escaped path.
type fixed struct {
	mu     sync.Mutex
	status int
	body   string
	path   string
}

func (f *fixed) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.path = r.URL.EscapedPath()
	w.WriteHeader(f.status)
	_, _ = io.WriteString(w, f.body)
}

func TestReplies(t *testing.T) {
	f := &fixed{}
	srv := httptest.NewServer(f)
	t.Cleanup(srv.Close)
	acc := basicAccount(srv.URL+"/konnektor/epayment/", password)
	acc.OriginatorID, acc.EndpointID = "Form/1 ä", "ARS?064"
	c := mustClient(t, acc, xbezahldienste.Options{})

	tests := []struct {
		name    string
		status  int
		body    string
		wantErr func(error) bool
	}{
		{"201 nested", 201, `{"paymentInformation":{"transactionId":"T-1","status":"INITIAL"}}`, nil},
		{"200 top level", 200, `{"transactionId":"T-1","status":"INITIAL"}`, nil},
		{"500", 500, `{"code":"UNSPECIFIED"}`, unavailable},
		{"502 HTML", 502, `<html>Bad Gateway</html>`, unavailable},
		{"400 errorCode", 400, `{"errorCode":"BOOKING_DATA_MISSING"}`, code(payment.CodeBookingData)},
		{"422 nested", 422, `{"error":{"code":"VALIDATION_ERROR","message":"purpose"}}`, code(payment.CodeValidation)},
		{"409 unknown shape", 409, `{"was":"anderes"}`, code(payment.CodeUnspecified)},
		{"302 redirect", 302, ``, code(payment.CodeUnspecified)},
		{"not JSON", 200, `<html>`, invalidReply},
		{"unknown status", 200, `{"transactionId":"T-1","status":"BOOKED"}`, invalidReply},
		{"transactionId 37", 200, `{"transactionId":"` + strings.Repeat("a", 37) + `","status":"INITIAL"}`, invalidReply},
		{"transactionId with dot", 200, `{"transactionId":"a.b","status":"INITIAL"}`, invalidReply},
		{"missing transactionId", 200, `{"paymentInformation":{"status":"INITIAL"}}`, invalidReply},
		{"more than 1 MiB", 200, `{"transactionId":"T-1","status":"INITIAL","statusDetail":"` + strings.Repeat("x", 1<<20) + `"}`, invalidReply},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f.mu.Lock()
			f.status, f.body = tt.status, tt.body
			f.mu.Unlock()
			info, err := c.Create(context.Background(), request("r-1"))
			if tt.wantErr == nil {
				if err != nil || info.TransactionID != "T-1" {
					t.Fatalf("Create = %+v, %v", info, err)
				}
			} else if !tt.wantErr(err) {
				t.Fatalf("Create: err = %v", err)
			}
			if want := "/konnektor/epayment/paymenttransaction/Form%2F1%20%C3%A4/ARS%3F064"; f.path != want {
				t.Errorf("path = %s, want %s", f.path, want)
			}
		})
	}
}

func unavailable(err error) bool  { return errors.Is(err, payment.ErrUnavailable) }
func invalidReply(err error) bool { return errors.Is(err, xbezahldienste.ErrInvalidReply) }
func code(c string) func(error) bool {
	return func(err error) bool {
		var pe *payment.ProviderError
		return errors.As(err, &pe) && pe.Code == c
	}
}

func TestCreateRefusesInvalidRequest(t *testing.T) {
	sb, _, c := basicSandbox(t, xbezahldienste.Options{})
	r := request(uuid.NewString())
	r.Purpose = strings.Repeat("x", 28)
	if _, err := c.Create(context.Background(), r); !errors.Is(err, apperr.Invalid) {
		t.Fatalf("Create = %v, want apperr.Invalid", err)
	}
	if sb.Creates() != 0 {
		t.Errorf("an invalid request reached the provider")
	}
}

func TestNewRefusesIncompleteAccounts(t *testing.T) {
	ok := &payment.Account{Kind: payment.EPay21, BaseURL: "https://pay.example/", OriginatorID: "o", EndpointID: "e", Username: "u", Password: "p"}
	tests := []struct {
		name   string
		change func(*payment.Account)
	}{
		{"no base URL", func(a *payment.Account) { a.BaseURL = "" }},
		{"relative base URL", func(a *payment.Account) { a.BaseURL = "/konnektor/" }},
		{"ftp base URL", func(a *payment.Account) { a.BaseURL = "ftp://pay.example/" }},
		{"no originatorId", func(a *payment.Account) { a.OriginatorID = "" }},
		{"endpointId 37", func(a *payment.Account) { a.EndpointID = strings.Repeat("1", 37) }},
		{"unknown kind", func(a *payment.Account) { a.Kind = "paypal" }},
		{"ePay21 without password", func(a *payment.Account) { a.Password = "" }},
		{"ePayBL without certificate", func(a *payment.Account) { a.Kind = payment.EPayBL }},
		{"ePayBL with garbage", func(a *payment.Account) { a.Kind, a.Certificate = payment.EPayBL, []byte("kein PKCS#12") }},
		{"pmPayment without secret", func(a *payment.Account) {
			a.Kind, a.TokenURL, a.ClientID = payment.PMPayment, "https://pay.example/oauth/token", "id"
		}},
		{"pmPayment with relative token URL", func(a *payment.Account) {
			a.Kind, a.TokenURL, a.ClientID, a.ClientSecret = payment.PMPayment, "/oauth/token", "id", "s"
		}},
		{"root CAs not PEM", func(a *payment.Account) { a.RootCAs = []byte("kein PEM") }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			acc := *ok
			tt.change(&acc)
			if _, err := xbezahldienste.New(&acc, xbezahldienste.Options{}); !errors.Is(err, apperr.Invalid) {
				t.Fatalf("New = %v, want apperr.Invalid", err)
			}
		})
	}
	if _, err := xbezahldienste.New(ok, xbezahldienste.Options{}); err != nil {
		t.Fatalf("New(complete account): %v", err)
	}
	if _, err := xbezahldienste.New(nil, xbezahldienste.Options{}); !errors.Is(err, apperr.Invalid) {
		t.Fatalf("New(nil) = %v, want apperr.Invalid", err)
	}
}
