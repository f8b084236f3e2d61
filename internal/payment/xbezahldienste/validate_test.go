package xbezahldienste

import (
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/antrag/antrag/internal/apperr"
	"github.com/antrag/antrag/internal/payment"
)

func validRequest() *payment.Request {
	return &payment.Request{
		RequestID:   "11111111-2222-3333-4444-555555555555",
		Currency:    "EUR",
		GrossAmount: 1250,
		Purpose:     "Gebühr Führungszeugnis",
		Description: "Führungszeugnis für private Zwecke",
		RedirectURL: "https://antrag.example/zahlung/zurueck",
		Items: []payment.Item{
			{ID: "gebuehr", Description: "Gebühr", Quantity: 1, SingleNet: 1000, TotalNet: 1000},
			{ID: "porto", Description: "Porto", Quantity: 2, SingleNet: 125, TotalNet: 250},
		},
	}
}

// items returns n items of one cent each.
func items(n int) []payment.Item {
	its := make([]payment.Item, n)
	for i := range its {
		its[i] = payment.Item{ID: fmt.Sprintf("pos-%d", i), Quantity: 1, SingleNet: 1, TotalNet: 1}
	}
	return its
}

func TestValidate(t *testing.T) {
	tests := []struct {
		name   string
		change func(*payment.Request)
		want   string // "" for valid; else a part of the error
	}{
		{"valid", func(*payment.Request) {}, ""},
		{"empty currency is EUR", func(r *payment.Request) { r.Currency = "" }, ""},
		{"27 characters with umlauts", func(r *payment.Request) { r.Purpose = strings.Repeat("ä", 27) }, ""},
		{"99 items", func(r *payment.Request) { r.Items, r.GrossAmount = items(99), 99 }, ""},
		{"requestId missing", func(r *payment.Request) { r.RequestID = "" }, "requestId"},
		{"requestId 37", func(r *payment.Request) { r.RequestID = strings.Repeat("a", 37) }, "requestId"},
		{"currency", func(r *payment.Request) { r.Currency = "USD" }, "Währung"},
		{"purpose 28", func(r *payment.Request) { r.Purpose = strings.Repeat("a", 28) }, "Verwendungszweck"},
		{"purpose empty", func(r *payment.Request) { r.Purpose = "" }, "Verwendungszweck"},
		{"description 251", func(r *payment.Request) { r.Description = strings.Repeat("a", 251) }, "Beschreibung"},
		{"redirect relative", func(r *payment.Request) { r.RedirectURL = "/zurueck" }, "redirectUrl"},
		{"redirect javascript", func(r *payment.Request) { r.RedirectURL = "javascript:alert(1)" }, "redirectUrl"},
		{"no items", func(r *payment.Request) { r.Items = nil }, "Positionen"},
		{"100 items", func(r *payment.Request) { r.Items, r.GrossAmount = items(100), 100 }, "Positionen"},
		{"gross zero", func(r *payment.Request) { r.GrossAmount = 0 }, "Gesamtbetrag"},
		{"sum differs", func(r *payment.Request) { r.GrossAmount = 1300 }, "Summe der Positionen"},
		{"item total wrong", func(r *payment.Request) { r.Items[1].TotalNet = 200; r.GrossAmount = 1200 }, "Menge × Einzelbetrag"},
		{"item amount zero", func(r *payment.Request) { r.Items[0].SingleNet, r.Items[0].TotalNet = 0, 0; r.GrossAmount = 250 }, "Einzelbetrag"},
		{"item negative", func(r *payment.Request) { r.Items[0].SingleNet, r.Items[0].TotalNet = -1000, -1000 }, "Einzelbetrag"},
		{"quantity zero", func(r *payment.Request) { r.Items[0].Quantity = 0 }, "Menge"},
		{"item id missing", func(r *payment.Request) { r.Items[0].ID = "" }, "id"},
		{"item id twice", func(r *payment.Request) { r.Items[1].ID = r.Items[0].ID }, "doppelt"},
		{"item description 251", func(r *payment.Request) { r.Items[0].Description = strings.Repeat("b", 251) }, "Beschreibung"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := validRequest()
			tt.change(r)
			err := Validate(r)
			if tt.want == "" {
				if err != nil {
					t.Fatalf("Validate: %v", err)
				}
				return
			}
			if !errors.Is(err, apperr.Invalid) || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("Validate = %v; want apperr.Invalid naming %q", err, tt.want)
			}
		})
	}
	if err := Validate(nil); !errors.Is(err, apperr.Invalid) {
		t.Errorf("Validate(nil) = %v, want apperr.Invalid", err)
	}
}
