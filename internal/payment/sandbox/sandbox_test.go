package sandbox_test

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/PuerkitoBio/goquery"

	"github.com/antrag/antrag/internal/apperr"
	"github.com/antrag/antrag/internal/payment"
	"github.com/antrag/antrag/internal/payment/sandbox"
	"github.com/antrag/antrag/internal/payment/sandbox/sandboxtest"
)

const pair = "paymenttransaction/o-1/e-1"

// body is a valid create body; change edits it before it is sent.
func body(requestID string, change func(m map[string]any)) string {
	m := map[string]any{
		"requestId":        requestID,
		"requestTimestamp": "2026-12-07T10:00:00+01:00",
		"currency":         "EUR",
		"grosAmount":       json.Number("12.50"),
		"purpose":          "Gebühr V-1",
		"description":      "Führungszeugnis",
		"redirectUrl":      "https://antrag.example/zurueck?v=1",
		"items": []map[string]any{
			{"id": "a", "description": "Gebühr <b>", "taxRate": 0, "quantity": 1, "singleNetAmount": json.Number("10.00"),
				"totalNetAmount": json.Number("10.00"), "singleTaxAmount": 0, "totalTaxAmount": 0},
			{"id": "b", "description": "Porto", "quantity": 2, "singleNetAmount": json.Number("1.25"), "totalNetAmount": json.Number("2.50")},
		},
		"requestor": nil,
	}
	if change != nil {
		change(m)
	}
	b, _ := json.Marshal(m)
	return string(b)
}

type env struct {
	sb   *sandbox.Sandbox
	srv  *httptest.Server
	base string // absolute, ending with "/"
	c    *http.Client
}

func start(t *testing.T, cfg sandbox.Config) *env {
	t.Helper()
	sb, srv := sandboxtest.Start(t, cfg, nil)
	c := srv.Client()
	c.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	return &env{sb: sb, srv: srv, base: srv.URL + sandboxtest.Prefix, c: c}
}

func (e *env) do(t *testing.T, method, path, body string, header map[string]string) (int, http.Header, []byte) {
	t.Helper()
	req, err := http.NewRequest(method, e.base+path, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	for k, v := range header {
		req.Header.Set(k, v)
	}
	res, err := e.c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	data, _ := io.ReadAll(res.Body)
	return res.StatusCode, res.Header, data
}

type reply struct {
	RequestID          string `json:"requestId"`
	Code               string `json:"code"`
	PaymentInformation struct {
		TransactionID          string `json:"transactionId"`
		TransactionURL         string `json:"transactionUrl"`
		TransactionRedirectURL string `json:"transactionRedirectUrl"`
		TransactionReference   string `json:"transactionReference"`
		TransactionTimestamp   string `json:"transactionTimestamp"`
		PaymentMethod          string `json:"paymentMethod"`
		Status                 string `json:"status"`
	} `json:"paymentInformation"`
}

func decode(t *testing.T, data []byte) reply {
	t.Helper()
	var r reply
	if err := json.Unmarshal(data, &r); err != nil {
		t.Fatalf("reply %s: %v", data, err)
	}
	return r
}

// create creates a transaction and returns its id.
func (e *env) create(t *testing.T, requestID string) string {
	t.Helper()
	status, _, data := e.do(t, "POST", pair, body(requestID, nil), nil)
	if status != http.StatusCreated {
		t.Fatalf("create: HTTP %d %s", status, data)
	}
	return decode(t, data).PaymentInformation.TransactionID
}

func TestCreateAndStatus(t *testing.T) {
	e := start(t, sandbox.Config{})
	status, _, data := e.do(t, "POST", pair, body("r-1", nil), nil)
	if status != http.StatusCreated {
		t.Fatalf("HTTP %d %s", status, data)
	}
	r := decode(t, data)
	pi := r.PaymentInformation
	if r.RequestID != "r-1" || pi.Status != "INITIAL" || pi.TransactionReference == "" {
		t.Errorf("create reply = %+v", r)
	}
	if pi.TransactionRedirectURL != e.base+"bezahlen/"+pi.TransactionID || pi.TransactionURL != e.base+pair+"/"+pi.TransactionID {
		t.Errorf("URLs = %q, %q", pi.TransactionRedirectURL, pi.TransactionURL)
	}
	if _, err := time.Parse(time.RFC3339, pi.TransactionTimestamp); err != nil {
		t.Errorf("transactionTimestamp %q: %v", pi.TransactionTimestamp, err)
	}

	second := e.create(t, "r-2")
	if second == pi.TransactionID {
		t.Fatal("two transactions share an id")
	}
	if a, _ := e.sb.Info(second); a.TransactionReference == pi.TransactionReference {
		t.Errorf("two transactions share the Kassenzeichen %s", a.TransactionReference)
	}

	status, _, data = e.do(t, "GET", pair+"/"+pi.TransactionID, "", nil)
	if got := decode(t, data); status != 200 || got.PaymentInformation != pi {
		t.Errorf("status = HTTP %d %+v, want %+v", status, got.PaymentInformation, pi)
	}
	// Only under the pair it was created for.
	if status, _, data = e.do(t, "GET", "paymenttransaction/o-2/e-1/"+pi.TransactionID, "", nil); status != 404 {
		t.Errorf("status under another pair: HTTP %d %s", status, data)
	}
	if e.sb.Creates() != 2 || e.sb.Statuses() != 2 {
		t.Errorf("Creates, Statuses = %d, %d; want 2, 2", e.sb.Creates(), e.sb.Statuses())
	}
}

func TestCreateRefuses(t *testing.T) {
	e := start(t, sandbox.Config{})
	e.create(t, "taken")
	tests := []struct {
		name   string
		body   string
		status int
		code   string
	}{
		{"same requestId", body("taken", nil), 400, payment.CodePaymentExists},
		{"not JSON", "{", 400, payment.CodeValidation},
		{"amount as string", body("x", func(m map[string]any) { m["grosAmount"] = "12.50" }), 400, payment.CodeValidation},
		{"three decimals", body("x", func(m map[string]any) { m["grosAmount"] = json.Number("12.500") }), 400, payment.CodeValidation},
		{"USD", body("x", func(m map[string]any) { m["currency"] = "USD" }), 400, payment.CodeValidation},
		{"purpose 28", body("x", func(m map[string]any) { m["purpose"] = strings.Repeat("ä", 28) }), 400, payment.CodeValidation},
		{"requestId 37", body(strings.Repeat("r", 37), nil), 400, payment.CodeValidation},
		{"no items", body("x", func(m map[string]any) { m["items"] = []any{} }), 400, payment.CodeValidation},
		{"no timestamp", body("x", func(m map[string]any) { delete(m, "requestTimestamp") }), 400, payment.CodeValidation},
		{"relative redirect", body("x", func(m map[string]any) { m["redirectUrl"] = "/zurueck" }), 400, payment.CodeValidation},
		{"sum differs", body("x", func(m map[string]any) { m["grosAmount"] = json.Number("13.00") }), 400, payment.CodeCalculation},
		{"item total wrong", body("x", func(m map[string]any) {
			m["items"].([]map[string]any)[1]["totalNetAmount"] = json.Number("2.00")
			m["grosAmount"] = json.Number("12.00")
		}), 400, payment.CodeCalculation},
		{"tax", body("x", func(m map[string]any) { m["items"].([]map[string]any)[0]["taxRate"] = 19 }), 400, payment.CodeCalculation},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			status, _, data := e.do(t, "POST", pair, tt.body, nil)
			if got := decode(t, data).Code; status != tt.status || got != tt.code {
				t.Errorf("HTTP %d %s; want %d %s", status, data, tt.status, tt.code)
			}
		})
	}
}

func TestCheckAndAcceptedPairs(t *testing.T) {
	e := start(t, sandbox.Config{Accept: []sandbox.Pair{{OriginatorID: "o-1", EndpointID: "e-1"}}})
	tests := []struct {
		path   string
		status int
	}{
		{"status/o-1/e-1", 200},
		{"status/o-1/e-2", 404},
		{"status/o-2/e-1", 404},
	}
	for _, tt := range tests {
		status, _, data := e.do(t, "GET", tt.path, "", nil)
		if status != tt.status {
			t.Errorf("%s: HTTP %d %s, want %d", tt.path, status, data, tt.status)
		}
		if status == 404 && decode(t, data).Code != payment.CodeNoValidEndpoint {
			t.Errorf("%s: %s, want %s", tt.path, data, payment.CodeNoValidEndpoint)
		}
	}
	if status, _, _ := e.do(t, "POST", "paymenttransaction/o-2/e-1", body("r", nil), nil); status != 404 {
		t.Errorf("create for an unknown pair: HTTP %d", status)
	}
}

func TestControls(t *testing.T) {
	e := start(t, sandbox.Config{})
	id := e.create(t, "r-1")

	e.sb.SetDown(true)
	for _, c := range []struct{ method, path string }{{"POST", pair}, {"GET", pair + "/" + id}, {"GET", "status/o-1/e-1"}} {
		if status, _, _ := e.do(t, c.method, c.path, body("r-2", nil), nil); status != http.StatusServiceUnavailable {
			t.Errorf("%s %s while down: HTTP %d", c.method, c.path, status)
		}
	}
	e.sb.SetDown(false)

	e.sb.FailNext(payment.CodeBookingData)
	if status, _, data := e.do(t, "POST", pair, body("r-2", nil), nil); status != 400 || decode(t, data).Code != payment.CodeBookingData {
		t.Errorf("FailNext: HTTP %d %s", status, data)
	}
	e.create(t, "r-2") // the failure was used up and made no transaction

	if err := e.sb.Set(id, "BOOKED"); !errors.Is(err, apperr.Invalid) {
		t.Errorf("Set(BOOKED) = %v, want apperr.Invalid", err)
	}
	if err := e.sb.Set("unbekannt", payment.Payed); !errors.Is(err, apperr.NotFound) {
		t.Errorf("Set(unknown) = %v, want apperr.NotFound", err)
	}
	if e.sb.Creates() != 4 || e.sb.Statuses() != 1 {
		t.Errorf("Creates, Statuses = %d, %d; want 4, 1", e.sb.Creates(), e.sb.Statuses())
	}

	// The same over HTTP.
	form := func(v url.Values) string { return v.Encode() }
	ct := map[string]string{"Content-Type": "application/x-www-form-urlencoded"}
	status, h, _ := e.do(t, "POST", "steuerung", form(url.Values{"ausfall": {"an"}, "naechster_fehler": {payment.CodeForbidden}}), ct)
	if status != http.StatusSeeOther || h.Get("Location") != sandboxtest.Prefix+"steuerung" {
		t.Fatalf("POST steuerung: HTTP %d to %q", status, h.Get("Location"))
	}
	if status, _, _ := e.do(t, "GET", "status/o-1/e-1", "", nil); status != 503 {
		t.Errorf("after ausfall=an: HTTP %d, want 503", status)
	}
	doc := page(t, e, "steuerung")
	if got := doc.Find("#down").Text(); !strings.Contains(got, "ausgefallen") {
		t.Errorf("control page says %q", got)
	}
	e.do(t, "POST", "steuerung", form(url.Values{"ausfall": {"aus"}}), ct)
	if status, _, data := e.do(t, "POST", pair, body("r-3", nil), nil); status != 403 || decode(t, data).Code != payment.CodeForbidden {
		t.Errorf("after naechster_fehler=FORBIDDEN: HTTP %d %s", status, data)
	}
	if status, _, _ := e.do(t, "POST", "steuerung", form(url.Values{"naechster_fehler": {"ERFUNDEN"}}), ct); status != 400 {
		t.Errorf("unknown code: HTTP %d, want 400", status)
	}
}

// page GETs path and parses the HTML.
func page(t *testing.T, e *env, path string) *goquery.Document {
	t.Helper()
	status, h, data := e.do(t, "GET", path, "", nil)
	if status != 200 || !strings.HasPrefix(h.Get("Content-Type"), "text/html") {
		t.Fatalf("GET %s: HTTP %d %s", path, status, h.Get("Content-Type"))
	}
	doc, err := goquery.NewDocumentFromReader(strings.NewReader(string(data)))
	if err != nil {
		t.Fatal(err)
	}
	return doc
}

func TestPayPage(t *testing.T) {
	e := start(t, sandbox.Config{})
	id := e.create(t, "r-1")
	doc := page(t, e, "bezahlen/"+id)

	if lang, _ := doc.Find("html").Attr("lang"); lang != "de" {
		t.Errorf("lang = %q", lang)
	}
	if doc.Find("main").Length() != 1 || !strings.Contains(doc.Find("main h1").Text(), "Gebühr V-1") {
		t.Errorf("want one <main> with an <h1> naming the purpose, got %q", doc.Find("h1").Text())
	}
	if got := doc.Find("#gesamtbetrag").Text(); got != "12,50 €" {
		t.Errorf("Gesamtbetrag = %q", got)
	}
	if got := doc.Find("tbody tr").Length(); got != 2 {
		t.Errorf("%d item rows, want 2", got)
	}
	if got := doc.Find("tbody td").First().Text(); got != "Gebühr <b>" {
		t.Errorf("item description = %q (escaped text expected)", got)
	}
	var buttons []string
	doc.Find(`form[action$="bezahlen/` + id + `"] button[name=aktion]`).Each(func(_ int, s *goquery.Selection) {
		buttons = append(buttons, s.Text())
	})
	if want := []string{"Bezahlen (erfolgreich)", "Zahlung scheitert", "Abbrechen", "Später bezahlen"}; fmt.Sprint(buttons) != fmt.Sprint(want) {
		t.Errorf("buttons = %q, want %q", buttons, want)
	}
	doc.Find(`input[type=radio]`).Each(func(_ int, s *goquery.Selection) {
		id, _ := s.Attr("id")
		if doc.Find(`label[for="`+id+`"]`).Length() != 1 {
			t.Errorf("radio %s has no label", id)
		}
	})
	if doc.Find(`form[action$="steuerung/`+id+`"] input[name=status]`).Length() != 4 {
		t.Errorf("want the form \"Status nachträglich setzen\" with four statuses")
	}
	if doc.Find("script").Length() != 0 {
		t.Errorf("the pay page needs no script")
	}

	if status, _, _ := e.do(t, "GET", "bezahlen/unbekannt", "", nil); status != 404 {
		t.Errorf("unknown pay page: HTTP %d", status)
	}
}

func TestPayDecisions(t *testing.T) {
	e := start(t, sandbox.Config{})
	ct := map[string]string{"Content-Type": "application/x-www-form-urlencoded"}
	tests := []struct {
		aktion string
		want   payment.Status
	}{
		{"bezahlen", payment.Payed},
		{"scheitern", payment.Failed},
		{"abbrechen", payment.Canceled},
		{"spaeter", payment.Initial},
	}
	for i, tt := range tests {
		t.Run(tt.aktion, func(t *testing.T) {
			id := e.create(t, fmt.Sprintf("r-%d", i))
			status, h, _ := e.do(t, "POST", "bezahlen/"+id, "aktion="+tt.aktion, ct)
			if status != http.StatusSeeOther || h.Get("Location") != "https://antrag.example/zurueck?v=1" {
				t.Fatalf("HTTP %d to %q; want 303 to the redirectUrl", status, h.Get("Location"))
			}
			_, _, data := e.do(t, "GET", pair+"/"+id, "", nil)
			pi := decode(t, data).PaymentInformation
			if pi.Status != string(tt.want) {
				t.Fatalf("status = %s, want %s", pi.Status, tt.want)
			}
			if (pi.TransactionRedirectURL != "") != (tt.want == payment.Initial) {
				t.Errorf("transactionRedirectUrl = %q for %s", pi.TransactionRedirectURL, pi.Status)
			}
			if tt.want == payment.Payed && pi.PaymentMethod != "CREDITCARD" {
				t.Errorf("paymentMethod = %q", pi.PaymentMethod)
			}
			if tt.want != payment.Initial {
				if page(t, e, "bezahlen/"+id).Find("button[name=aktion]").Length() != 0 {
					t.Errorf("a finished payment offers to pay again")
				}
				// A second decision changes nothing.
				e.do(t, "POST", "bezahlen/"+id, "aktion=bezahlen", ct)
				if info, _ := e.sb.Info(id); info.Status != tt.want {
					t.Errorf("after a second decision: %s", info.Status)
				}
			}
		})
	}

	id := e.create(t, "r-x")
	if status, _, _ := e.do(t, "POST", "bezahlen/"+id, "aktion=zaubern", ct); status != 400 {
		t.Errorf("unknown aktion: HTTP %d", status)
	}
	cross := []map[string]string{
		{"Content-Type": ct["Content-Type"], "Sec-Fetch-Site": "cross-site"},
		{"Content-Type": ct["Content-Type"], "Origin": "https://evil.example"},
	}
	for _, h := range cross {
		if status, _, _ := e.do(t, "POST", "bezahlen/"+id, "aktion=bezahlen", h); status != http.StatusForbidden {
			t.Errorf("cross-site post %v: HTTP %d, want 403", h, status)
		}
		if status, _, _ := e.do(t, "POST", "steuerung/"+id, "status=PAYED", h); status != http.StatusForbidden {
			t.Errorf("cross-site control %v: HTTP %d, want 403", h, status)
		}
	}
	if info, _ := e.sb.Info(id); info.Status != payment.Initial {
		t.Errorf("a cross-site post changed the status to %s", info.Status)
	}
	same := map[string]string{"Content-Type": ct["Content-Type"], "Sec-Fetch-Site": "same-origin", "Origin": e.srv.URL}
	if status, _, _ := e.do(t, "POST", "bezahlen/"+id, "aktion=bezahlen", same); status != http.StatusSeeOther {
		t.Errorf("same-origin post: HTTP %d", status)
	}
}

func TestControlSetOverHTTP(t *testing.T) {
	e := start(t, sandbox.Config{})
	ct := map[string]string{"Content-Type": "application/x-www-form-urlencoded"}
	id := e.create(t, "r-1")
	for _, st := range []payment.Status{payment.Failed, payment.Payed} {
		status, h, _ := e.do(t, "POST", "steuerung/"+id, "status="+string(st), ct)
		if status != http.StatusSeeOther || h.Get("Location") != sandboxtest.Prefix+"bezahlen/"+id {
			t.Fatalf("HTTP %d to %q", status, h.Get("Location"))
		}
		if info, _ := e.sb.Info(id); info.Status != st {
			t.Fatalf("status = %s, want %s", info.Status, st)
		}
	}
	if status, _, _ := e.do(t, "POST", "steuerung/"+id, "status=BOOKED", ct); status != 400 {
		t.Errorf("unknown status: HTTP %d", status)
	}
	if status, _, _ := e.do(t, "POST", "steuerung/unbekannt", "status=PAYED", ct); status != 404 {
		t.Errorf("unknown transaction: HTTP %d", status)
	}
}

func TestAuthentication(t *testing.T) {
	t.Run("basic", func(t *testing.T) {
		e := start(t, sandbox.Config{Auth: sandbox.AuthBasic, Username: "u", Password: "p"})
		req, _ := http.NewRequest("GET", e.base+"status/o/e", nil)
		req.SetBasicAuth("u", "p")
		if res, err := e.c.Do(req); err != nil || res.StatusCode != 200 {
			t.Fatalf("right password: %v %v", res, err)
		}
		req.SetBasicAuth("u", "x")
		res, err := e.c.Do(req)
		if err != nil || res.StatusCode != 401 || res.Header.Get("WWW-Authenticate") == "" {
			t.Fatalf("wrong password: %v %v", res, err)
		}
	})

	t.Run("oauth2", func(t *testing.T) {
		now := time.Date(2026, 12, 7, 10, 0, 0, 0, time.UTC)
		var mu sync.Mutex
		clock := func() time.Time { mu.Lock(); defer mu.Unlock(); return now }
		e := start(t, sandbox.Config{Auth: sandbox.AuthOAuth2, ClientID: "id", ClientSecret: "geheim", TokenTTL: time.Minute, Now: clock})
		ct := map[string]string{"Content-Type": "application/x-www-form-urlencoded"}
		tests := []struct {
			name   string
			body   string
			header map[string]string
			status int
		}{
			{"secret in body", "grant_type=client_credentials&client_id=id&client_secret=geheim", ct, 200},
			{"wrong secret", "grant_type=client_credentials&client_id=id&client_secret=falsch", ct, 401},
			{"wrong grant", "grant_type=password&client_id=id&client_secret=geheim", ct, 400},
		}
		var token string
		for _, tt := range tests {
			status, _, data := e.do(t, "POST", "oauth/token", tt.body, tt.header)
			if status != tt.status {
				t.Errorf("%s: HTTP %d %s, want %d", tt.name, status, data, tt.status)
			}
			if status == 200 {
				var v struct {
					AccessToken string `json:"access_token"`
					TokenType   string `json:"token_type"`
					ExpiresIn   int    `json:"expires_in"`
				}
				if err := json.Unmarshal(data, &v); err != nil || v.AccessToken == "" || v.TokenType != "Bearer" || v.ExpiresIn != 60 {
					t.Fatalf("token reply %s: %v", data, err)
				}
				token = v.AccessToken
			}
		}
		bearer := map[string]string{"Authorization": "Bearer " + token}
		if status, _, _ := e.do(t, "GET", "status/o/e", "", bearer); status != 200 {
			t.Errorf("with the token: HTTP %d", status)
		}
		if status, _, _ := e.do(t, "GET", "status/o/e", "", map[string]string{"Authorization": "Bearer falsch"}); status != 401 {
			t.Errorf("with a made-up token: HTTP %d", status)
		}
		mu.Lock()
		now = now.Add(2 * time.Minute)
		mu.Unlock()
		if status, _, _ := e.do(t, "GET", "status/o/e", "", bearer); status != 401 {
			t.Errorf("with an expired token: HTTP %d", status)
		}
	})

	t.Run("mtls over plain HTTP", func(t *testing.T) {
		e := start(t, sandbox.Config{Auth: sandbox.AuthMTLS})
		if status, _, _ := e.do(t, "GET", "status/o/e", "", nil); status != 403 {
			t.Errorf("without TLS: HTTP %d, want 403", status)
		}
	})
}

func TestConcurrentCreates(t *testing.T) {
	e := start(t, sandbox.Config{})
	const requests, tries = 10, 4
	var wg sync.WaitGroup
	results := make(chan int, requests*tries)
	for i := range requests * tries {
		wg.Add(1)
		go func() {
			defer wg.Done()
			res, err := e.c.Post(e.base+pair, "application/json", strings.NewReader(body(fmt.Sprintf("r-%d", i%requests), nil)))
			if err != nil {
				t.Error(err)
				return
			}
			res.Body.Close()
			results <- res.StatusCode
		}()
	}
	wg.Wait()
	close(results)
	count := map[int]int{}
	for s := range results {
		count[s]++
	}
	if count[201] != requests || count[400] != requests*(tries-1) {
		t.Errorf("answers = %v; want %d created and %d PAYMENT_EXISTS", count, requests, requests*(tries-1))
	}
}

func TestNewRefuses(t *testing.T) {
	tests := []sandbox.Config{
		{BaseURL: ""},
		{BaseURL: "/zahlung-sandbox/"},
		{BaseURL: "http://localhost:8080/zahlung-sandbox"},
		{BaseURL: "http://localhost:8080/{x}/"},
		{BaseURL: "http://localhost:8080/", Auth: sandbox.AuthBasic},
		{BaseURL: "http://localhost:8080/", Auth: sandbox.AuthOAuth2, ClientID: "id"},
		{BaseURL: "http://localhost:8080/", Auth: "kerberos"},
	}
	for _, cfg := range tests {
		if _, err := sandbox.New(cfg); !errors.Is(err, apperr.Invalid) {
			t.Errorf("New(%+v) = %v, want apperr.Invalid", cfg, err)
		}
	}
	if _, err := sandbox.New(sandbox.Config{BaseURL: "http://localhost:8080/"}); err != nil {
		t.Errorf("New at the root: %v", err)
	}
}

// FuzzCreate sends arbitrary bodies to the create endpoint: the sandbox
// answers 201 or an error code, never panics.
func FuzzCreate(f *testing.F) {
	f.Add(body("r-1", nil))
	f.Add(body("r-2", func(m map[string]any) { m["grosAmount"] = json.Number("1e3") }))
	f.Add(`{"items":[{}]}`)
	f.Add(`[]`)
	sb, err := sandbox.New(sandbox.Config{BaseURL: "http://sandbox.example/z/"})
	if err != nil {
		f.Fatal(err)
	}
	h := sb.Handler()
	f.Fuzz(func(t *testing.T, b string) {
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, httptest.NewRequest("POST", "http://sandbox.example/z/"+pair, strings.NewReader(b)))
		switch rec.Code {
		case http.StatusCreated:
			var r reply
			if err := json.Unmarshal(rec.Body.Bytes(), &r); err != nil || r.PaymentInformation.Status != "INITIAL" {
				t.Fatalf("created reply %s: %v", rec.Body, err)
			}
		case http.StatusBadRequest:
			var r reply
			if err := json.Unmarshal(rec.Body.Bytes(), &r); err != nil || r.Code == "" {
				t.Fatalf("error reply %s: %v", rec.Body, err)
			}
		default:
			t.Fatalf("HTTP %d %s", rec.Code, rec.Body)
		}
	})
}
