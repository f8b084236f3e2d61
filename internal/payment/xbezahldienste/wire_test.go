package xbezahldienste

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/antrag/antrag/internal/localtime"
	"github.com/antrag/antrag/internal/payment"
)

func TestParseInfo(t *testing.T) {
	const full = `{"transactionUrl":"https://pay.example/paymenttransaction/o/e/T-1",
		"transactionRedirectUrl":"https://pay.example/bezahlen/T-1","transactionId":"T-1",
		"transactionReference":"KZ-2026-000001","transactionTimestamp":"2026-12-07T10:00:00+01:00",
		"paymentMethod":"PAYPAL","paymentMethodDetail":"d","status":"PAYED","statusDetail":"ok"}`
	want := payment.Info{
		TransactionID:          "T-1",
		TransactionReference:   "KZ-2026-000001",
		TransactionURL:         "https://pay.example/paymenttransaction/o/e/T-1",
		TransactionRedirectURL: "https://pay.example/bezahlen/T-1",
		TransactionTimestamp:   time.Date(2026, 12, 7, 9, 0, 0, 0, time.UTC),
		Method:                 payment.Paypal,
		MethodDetail:           "d",
		Status:                 payment.Payed,
		StatusDetail:           "ok",
	}
	tests := []struct {
		name string
		body string
		want *payment.Info
	}{
		{"top level", full, &want},
		{"nested", `{"requestId":"r","paymentInformation":` + full + `}`, &want},
		{"minimal", `{"transactionId":"a_B-9","status":"INITIAL"}`, &payment.Info{TransactionID: "a_B-9", Status: payment.Initial}},
		{"timestamp without zone is Berlin time", `{"transactionId":"x","status":"FAILED","transactionTimestamp":"2026-07-01T12:00:00"}`,
			&payment.Info{TransactionID: "x", Status: payment.Failed, TransactionTimestamp: time.Date(2026, 7, 1, 12, 0, 0, 0, localtime.Berlin)}},
		{"null paymentInformation reads the top level", `{"paymentInformation":null,"transactionId":"x","status":"CANCELED"}`,
			&payment.Info{TransactionID: "x", Status: payment.Canceled}},
		{"not JSON", `<html>`, nil},
		{"array", `[]`, nil},
		{"empty", ``, nil},
		{"missing transactionId", `{"status":"INITIAL"}`, nil},
		{"transactionId too long", `{"transactionId":"` + strings.Repeat("a", 37) + `","status":"INITIAL"}`, nil},
		{"transactionId with slash", `{"transactionId":"a/b","status":"INITIAL"}`, nil},
		{"transactionId with umlaut", `{"transactionId":"ä","status":"INITIAL"}`, nil},
		{"transactionId a number", `{"transactionId":5,"status":"INITIAL"}`, nil},
		{"unknown status", `{"transactionId":"x","status":"BOOKED"}`, nil},
		{"missing status", `{"transactionId":"x"}`, nil},
		{"javascript redirect", `{"transactionId":"x","status":"INITIAL","transactionRedirectUrl":"javascript:alert(1)"}`, nil},
		{"relative transactionUrl", `{"transactionId":"x","status":"INITIAL","transactionUrl":"/a"}`, nil},
		{"bad timestamp", `{"transactionId":"x","status":"INITIAL","transactionTimestamp":"gestern"}`, nil},
		{"paymentInformation not an object", `{"paymentInformation":"x"}`, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ParseInfo([]byte(tt.body))
			if tt.want == nil {
				if err == nil || !errors.Is(err, ErrInvalidReply) {
					t.Fatalf("ParseInfo = %+v, %v; want an error wrapping ErrInvalidReply", got, err)
				}
				return
			}
			if err != nil {
				t.Fatalf("ParseInfo: %v", err)
			}
			w := *tt.want
			if !got.TransactionTimestamp.Equal(w.TransactionTimestamp) {
				t.Errorf("TransactionTimestamp = %v, want %v", got.TransactionTimestamp, w.TransactionTimestamp)
			}
			g := *got
			g.TransactionTimestamp, w.TransactionTimestamp = time.Time{}, time.Time{}
			if g != w {
				t.Errorf("ParseInfo = %+v\nwant %+v", g, w)
			}
		})
	}
}

func TestDecodeInfoForStatus(t *testing.T) {
	info, err := decodeInfo([]byte(`{"status":"PAYED"}`), "T-9")
	if err != nil || info.TransactionID != "T-9" {
		t.Fatalf("decodeInfo without id = %+v, %v; want the asked id", info, err)
	}
	if _, err := parseInfo([]byte(`{"transactionId":"T-8","status":"PAYED"}`), "T-9"); !errors.Is(err, ErrInvalidReply) {
		t.Fatalf("reply for another transaction: err = %v, want ErrInvalidReply", err)
	}
}

func TestParseError(t *testing.T) {
	tests := []struct {
		name     string
		status   int
		body     string
		code     string
		contains string
	}{
		{"code and message", 400, `{"code":"PAYMENT_EXISTS","message":"schon da"}`, payment.CodePaymentExists, "schon da"},
		{"errorCode", 400, `{"errorCode":"CALCULATION_ERROR","errorMessage":"Summe"}`, payment.CodeCalculation, "Summe"},
		{"nested error", 404, `{"error":{"code":"NO_VALID_ORIGINATOR_OR_ENDPOINT","message":"unbekannt"}}`, payment.CodeNoValidEndpoint, "unbekannt"},
		{"error string", 400, `{"error":"VALIDATION_ERROR","description":"purpose"}`, payment.CodeValidation, "purpose"},
		{"numeric code", 400, `{"code":4711}`, "4711", "Bad Request"},
		{"unknown shape", 400, `{"foo":"bar"}`, payment.CodeUnspecified, "Bad Request"},
		{"not JSON", 400, `<h1>Fehler</h1>`, payment.CodeUnspecified, "Bad Request"},
		{"401 without body", 401, ``, payment.CodeForbidden, "Unauthorized"},
		{"403 HTML", 403, `<html>`, payment.CodeForbidden, "Forbidden"},
		{"long message clipped", 400, `{"code":"X","message":"` + strings.Repeat("ü", 400) + `"}`, "X", "ü"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			pe := ParseError(tt.status, []byte(tt.body))
			if pe.HTTPStatus != tt.status || pe.Code != tt.code || !strings.Contains(pe.Message, tt.contains) {
				t.Errorf("ParseError = %+v; want status %d, code %q, message with %q", *pe, tt.status, tt.code, tt.contains)
			}
			if len(pe.Message) > 500 {
				t.Errorf("message has %d bytes, want at most 500", len(pe.Message))
			}
		})
	}
}

func TestEncodeRequest(t *testing.T) {
	now := time.Date(2026, 12, 7, 10, 30, 0, 0, time.UTC)
	r := &payment.Request{
		RequestID: "req-1", GrossAmount: 1250, Purpose: "Gebühr", Description: "Beschreibung",
		RedirectURL: "https://antrag.example/zurueck",
		Items: []payment.Item{
			{ID: "a", Reference: "V-1", Description: "Ausweis", Quantity: 1, SingleNet: 1000, TotalNet: 1000,
				BookingData: map[string]string{"Objektnummer": "eigen"}},
			{ID: "b", Description: "Porto", Quantity: 2, SingleNet: 125, TotalNet: 250},
			{ID: "c", Description: "ohne Buchungsdaten", Quantity: 1, SingleNet: 1, TotalNet: 1},
		},
	}
	booking := map[string]map[string]string{
		"a": {"Haushaltsstelle": "1.100", "Objektnummer": "konto"},
		"b": {"Haushaltsstelle": "1.200"},
	}
	body, err := encodeRequest(r, booking, now)
	if err != nil {
		t.Fatal(err)
	}
	for _, lit := range []string{`"grosAmount":12.50`, `"totalNetAmount":2.50`, `"singleNetAmount":1.25`, `"singleNetAmount":0.01`,
		`"taxRate":0`, `"totalTaxAmount":0.00`, `"requestor":null`, `"currency":"EUR"`, `"requestTimestamp":"2026-12-07T10:30:00Z"`} {
		if !strings.Contains(string(body), lit) {
			t.Errorf("body lacks %s:\n%s", lit, body)
		}
	}
	var got struct {
		Items []struct {
			ID          string            `json:"id"`
			BookingData map[string]string `json:"bookingData"`
		} `json:"items"`
	}
	if err := json.Unmarshal(body, &got); err != nil {
		t.Fatal(err)
	}
	want := []map[string]string{
		{"Haushaltsstelle": "1.100", "Objektnummer": "eigen"},
		{"Haushaltsstelle": "1.200"},
		nil,
	}
	for i, it := range got.Items {
		if len(it.BookingData) != len(want[i]) {
			t.Errorf("item %s bookingData = %v, want %v", it.ID, it.BookingData, want[i])
		}
		for k, v := range want[i] {
			if it.BookingData[k] != v {
				t.Errorf("item %s bookingData[%s] = %q, want %q", it.ID, k, it.BookingData[k], v)
			}
		}
	}
	if strings.Count(string(body), "bookingData") != 2 {
		t.Errorf("empty bookingData not omitted:\n%s", body)
	}

	r.Requestor = &payment.Requestor{Name: "Muster", FirstName: "Erika"}
	body, _ = encodeRequest(r, nil, now)
	if !strings.Contains(string(body), `"requestor":{"name":"Muster","firstName":"Erika","isOrganization":false}`) {
		t.Errorf("requestor not encoded:\n%s", body)
	}
}

func FuzzParseInfo(f *testing.F) {
	for _, s := range []string{
		`{"transactionId":"T-1","status":"INITIAL","transactionRedirectUrl":"https://p.example/x"}`,
		`{"paymentInformation":{"transactionId":"T-1","status":"PAYED","transactionTimestamp":"2026-12-07T10:00:00Z"}}`,
		`{"code":"PAYMENT_EXISTS","message":"x"}`,
		`{"error":{"code":"X"}}`,
		`[]`, `null`, `"x"`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		info, err := ParseInfo(body)
		if err == nil {
			if !validTransactionID(info.TransactionID) || !info.Status.Known() {
				t.Fatalf("ParseInfo accepted %+v", info)
			}
		} else if !errors.Is(err, ErrInvalidReply) {
			t.Fatalf("error %v does not wrap ErrInvalidReply", err)
		}
		pe := ParseError(400, body)
		if pe.Code == "" || len(pe.Code) > 64 || len(pe.Message) > 500 || pe.HTTPStatus != 400 {
			t.Fatalf("ParseError = %+v", pe)
		}
	})
}
