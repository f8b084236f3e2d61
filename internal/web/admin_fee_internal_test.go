package web

import (
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
)

// FuzzFeeFromForm feeds the fee fields of the service page (an admin's
// post) to feeFromForm: no panic; a fee it returns validates, and a
// problem is marked on one of the fee's fields.
func FuzzFeeFromForm(f *testing.F) {
	f.Add("mandatory", "Gebühr {vorgangsnummer}", `[{"id": "grund", "description": "Grundgebühr", "amount": "12.50"}]`)
	f.Add("optional", "X", `[{"id": "a", "amount_rule": {"if": [{"==": [{"var": "G1.F1"}, "1"]}, "2.50", 1]}, "quantity_rule": {"var": "n"}}]`)
	f.Add("", "", "")
	f.Add("deferred", "", `[{"id": "a", "amount": "1", "booking_data": {"k": "v"}}] x`)
	f.Fuzz(func(t *testing.T, policy, purpose, items string) {
		r := httptest.NewRequest("POST", "/", strings.NewReader(url.Values{"zahlungsart": {policy}, "verwendungszweck": {purpose},
			"positionen": {items}}.Encode()))
		r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		if err := r.ParseForm(); err != nil {
			t.Skip()
		}
		form := newAdminForm(feeFields(nil)...)
		form.fill(r)
		fee := feeFromForm(form)
		if len(form.Errors) > 0 {
			if fee != nil {
				t.Fatalf("a fee and problems %v", form.Errors)
			}
			return
		}
		if err := fee.Validate(); err != nil {
			t.Fatalf("feeFromForm returned a fee that does not validate: %v", err)
		}
		if fee != nil && formatFeeItems(fee.Items) == "" && len(fee.Items) > 0 {
			t.Fatal("items not shown again")
		}
	})
}
