package payment

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"

	"github.com/antrag/antrag/internal/apperr"
)

func fixed(id string, c Cents) FeeItem {
	return FeeItem{ID: id, Description: "Gebühr " + id, Amount: c}
}

func TestValidate(t *testing.T) {
	ok := Fee{Policy: Mandatory, Purpose: "Gebühr {vorgangsnummer}", Items: []FeeItem{fixed("a", 1000)}}
	many := make([]FeeItem, 100)
	for i := range many {
		many[i] = fixed(strings.Repeat("x", 1)+string(rune('a'+i%26))+strings.Repeat("y", i/26), 100)
	}
	tests := []struct {
		name  string
		mod   func(f *Fee)
		field string // part of the error; "" for valid
	}{
		{"valid", func(f *Fee) {}, ""},
		{"unknown policy", func(f *Fee) { f.Policy = "sometimes" }, "Zahlungsart"},
		{"no items", func(f *Fee) { f.Items = nil }, "mindestens eine Position"},
		{"deferred without items", func(f *Fee) { f.Policy, f.Items = Deferred, nil }, ""},
		{"too many items", func(f *Fee) { f.Items = many }, "höchstens 99"},
		{"no purpose", func(f *Fee) { f.Purpose = " " }, "Verwendungszweck fehlt"},
		{"purpose 27 with reference", func(f *Fee) { f.Purpose = "Gebühren Vg. {vorgangsnummer}" }, ""},
		{"purpose 28 with reference", func(f *Fee) { f.Purpose = "Gebühren Vrg. {vorgangsnummer}" }, "Verwendungszweck"},
		{"purpose 28 plain", func(f *Fee) { f.Purpose = strings.Repeat("ä", 28) }, "Verwendungszweck"},
		{"purpose control char", func(f *Fee) { f.Purpose = "a\nb" }, "Steuerzeichen"},
		{"description 251", func(f *Fee) { f.Description = strings.Repeat("x", 251) }, "Beschreibung der Gebühr"},
		{"item description 251", func(f *Fee) { f.Items[0].Description = strings.Repeat("x", 251) }, "Position 1: Beschreibung"},
		{"empty id", func(f *Fee) { f.Items[0].ID = "" }, "Kennung fehlt"},
		{"id 36", func(f *Fee) { f.Items[0].ID = strings.Repeat("a", 36) }, ""},
		{"id 37", func(f *Fee) { f.Items[0].ID = strings.Repeat("a", 37) }, "länger als 36"},
		{"id chars", func(f *Fee) { f.Items[0].ID = "a b" }, "nur Buchstaben"},
		{"duplicate id", func(f *Fee) { f.Items = append(f.Items, fixed("a", 5)) }, "doppelt"},
		{"no amount", func(f *Fee) { f.Items[0].Amount = 0 }, "Betrag fehlt"},
		{"negative amount", func(f *Fee) { f.Items[0].Amount = -1 }, "Betrag fehlt"},
		{"max amount", func(f *Fee) { f.Items[0].Amount = MaxAmount }, ""},
		{"too high", func(f *Fee) { f.Items[0].Amount = MaxAmount + 1 }, "höher als"},
		{"amount and rule", func(f *Fee) { f.Items[0].AmountRule = json.RawMessage(`1`) }, "schließen sich aus"},
		{"rule only", func(f *Fee) { f.Items[0].Amount, f.Items[0].AmountRule = 0, json.RawMessage(`{"var":"x"}`) }, ""},
		{"rule bad json", func(f *Fee) { f.Items[0].Amount, f.Items[0].AmountRule = 0, json.RawMessage(`{"var":`) }, "Betragsregel: kein gültiges JSON"},
		{"rule unknown op", func(f *Fee) { f.Items[0].Amount, f.Items[0].AmountRule = 0, json.RawMessage(`{"frobnicate":[1]}`) }, "Betragsregel: keine gültige JSON-Logic"},
		{"quantity rule bad", func(f *Fee) { f.Items[0].QuantityRule = json.RawMessage(`{"nope":1}`) }, "Mengenregel"},
		{"booking ok", func(f *Fee) { f.Items[0].BookingData = map[string]string{"Haushaltsstelle": "1.1100.100000"} }, ""},
		{"booking empty key", func(f *Fee) { f.Items[0].BookingData = map[string]string{" ": "x"} }, "Schlüssel ist leer"},
		{"booking long value", func(f *Fee) { f.Items[0].BookingData = map[string]string{"k": strings.Repeat("x", 251)} }, "Buchungsdaten"},
		{"booking control", func(f *Fee) { f.Items[0].BookingData = map[string]string{"k": "a\tb"} }, "Steuerzeichen"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := ok
			f.Items = append([]FeeItem(nil), ok.Items...)
			tt.mod(&f)
			err := f.Validate()
			if tt.field == "" {
				if err != nil {
					t.Fatalf("Validate: %v", err)
				}
				return
			}
			if err == nil {
				t.Fatalf("Validate accepted the fee; want an error about %q", tt.field)
			}
			if !errors.Is(err, apperr.Invalid) {
				t.Errorf("error %v does not wrap apperr.Invalid", err)
			}
			if !strings.Contains(err.Error(), tt.field) {
				t.Errorf("error %q does not mention %q", err, tt.field)
			}
		})
	}
	var nilFee *Fee
	if err := nilFee.Validate(); err != nil {
		t.Errorf("nil fee: %v", err)
	}
}

func decode(t *testing.T, s string) map[string]any {
	t.Helper()
	dec := json.NewDecoder(strings.NewReader(s))
	dec.UseNumber()
	var m map[string]any
	if err := dec.Decode(&m); err != nil {
		t.Fatal(err)
	}
	return m
}

func TestCompute(t *testing.T) {
	const ref = "K7QM-2X9D-RTA4"
	data := `{
		"G1": {"F_count": 3, "F_kind": "002"},
		"G_rep": [{"F_name": "A"}, {"F_name": "B"}, {"F_name": "C"}, {"F_name": "D"}],
		"F_price": "12.5",
		"F_float": 7.35
	}`
	perKind := json.RawMessage(`{"if": [
		{"==": [{"var": "G1.F_kind"}, "001"]}, "20.00",
		{"==": [{"var": "G1.F_kind"}, "002"]}, 35.5,
		0]}`)
	countRep := json.RawMessage(`{"reduce": [{"var": "G_rep"}, {"+": [{"var": "accumulator"}, 1]}, 0]}`)
	tests := []struct {
		name  string
		items []FeeItem
		want  []Item // ID, Quantity, SingleNet, TotalNet
		total Cents
	}{
		{"fixed", []FeeItem{fixed("grund", 2500)}, []Item{{ID: "grund", Quantity: 1, SingleNet: 2500, TotalNet: 2500}}, 2500},
		{"quantity from number field", []FeeItem{{ID: "kopie", Amount: 1000, QuantityRule: json.RawMessage(`{"var": "G1.F_count"}`)}},
			[]Item{{ID: "kopie", Quantity: 3, SingleNet: 1000, TotalNet: 3000}}, 3000},
		{"amount per code value", []FeeItem{{ID: "art", AmountRule: perKind}},
			[]Item{{ID: "art", Quantity: 1, SingleNet: 3550, TotalNet: 3550}}, 3550},
		{"repeated group counted", []FeeItem{{ID: "person", Amount: 750, QuantityRule: countRep}},
			[]Item{{ID: "person", Quantity: 4, SingleNet: 750, TotalNet: 3000}}, 3000},
		{"amount string", []FeeItem{{ID: "s", AmountRule: json.RawMessage(`{"var": "F_price"}`)}},
			[]Item{{ID: "s", Quantity: 1, SingleNet: 1250, TotalNet: 1250}}, 1250},
		{"amount float exact", []FeeItem{{ID: "f", AmountRule: json.RawMessage(`{"var": "F_float"}`)}},
			[]Item{{ID: "f", Quantity: 1, SingleNet: 735, TotalNet: 735}}, 735},
		{"amount float arithmetic", []FeeItem{{ID: "f", AmountRule: json.RawMessage(`{"*": [{"var": "F_float"}, 3]}`)}},
			[]Item{{ID: "f", Quantity: 1, SingleNet: 2205, TotalNet: 2205}}, 2205},
		{"quantity 0 leaves out", []FeeItem{fixed("a", 100), {ID: "b", Amount: 100, QuantityRule: json.RawMessage(`0`)}},
			[]Item{{ID: "a", Quantity: 1, SingleNet: 100, TotalNet: 100}}, 100},
		{"amount 0 leaves out", []FeeItem{{ID: "z", AmountRule: json.RawMessage(`"0.00"`)}}, nil, 0},
		{"sum", []FeeItem{fixed("a", 1999), {ID: "b", Amount: 1000, QuantityRule: json.RawMessage(`{"var": "G1.F_count"}`)}},
			[]Item{{ID: "a", Quantity: 1, SingleNet: 1999, TotalNet: 1999}, {ID: "b", Quantity: 3, SingleNet: 1000, TotalNet: 3000}}, 4999},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := &Fee{Policy: Optional, Purpose: "Antrag {vorgangsnummer}", Description: "Gebühr", Items: tt.items}
			b, err := f.Compute(decode(t, data), ref, nil)
			if err != nil {
				t.Fatalf("Compute: %v", err)
			}
			if b.Total != tt.total {
				t.Errorf("Total = %s, want %s", b.Total, tt.total)
			}
			if b.Purpose != "Antrag "+ref || b.Policy != Optional || b.Description != "Gebühr" {
				t.Errorf("bill head = %q %q %q", b.Policy, b.Purpose, b.Description)
			}
			if len(b.Items) != len(tt.want) {
				t.Fatalf("items = %+v, want %+v", b.Items, tt.want)
			}
			for i, w := range tt.want {
				g := b.Items[i]
				if g.ID != w.ID || g.Quantity != w.Quantity || g.SingleNet != w.SingleNet || g.TotalNet != w.TotalNet {
					t.Errorf("item %d = %+v, want %+v", i, g, w)
				}
				if g.Reference != ref {
					t.Errorf("item %d reference = %q", i, g.Reference)
				}
			}
		})
	}
}

func TestComputeBookingData(t *testing.T) {
	own := map[string]string{"Haushaltsstelle": "1"}
	f := &Fee{Policy: Mandatory, Purpose: "X", Items: []FeeItem{
		{ID: "a", Amount: 100, BookingData: own},
		{ID: "b", Amount: 200},
		{ID: "c", Amount: 300},
	}}
	booking := map[string]map[string]string{
		"a": {"Haushaltsstelle": "account-a"},
		"b": {"Haushaltsstelle": "account-b", "Objektnummer": "7"},
	}
	b, err := f.Compute(nil, "R", booking)
	if err != nil {
		t.Fatal(err)
	}
	if got := b.Items[0].BookingData["Haushaltsstelle"]; got != "1" {
		t.Errorf("item a: own booking data should win, got %q", got)
	}
	if got := b.Items[1].BookingData; got["Haushaltsstelle"] != "account-b" || got["Objektnummer"] != "7" {
		t.Errorf("item b: account booking data expected, got %v", got)
	}
	if b.Items[2].BookingData != nil {
		t.Errorf("item c: no booking data expected, got %v", b.Items[2].BookingData)
	}
	b.Items[1].BookingData["Objektnummer"] = "changed"
	if booking["b"]["Objektnummer"] != "7" {
		t.Error("the bill shares the account's booking data map")
	}
	if b.Total != 600 {
		t.Errorf("Total = %s", b.Total)
	}
}

func TestComputeErrors(t *testing.T) {
	data := `{"F_text": "abc", "F_neg": -2, "F_frac": 2.5, "G": {"F": 1}}`
	tests := []struct {
		name string
		item FeeItem
		want string
	}{
		{"negative amount", FeeItem{ID: "a", AmountRule: json.RawMessage(`"-1.00"`)}, "negativ"},
		{"negative amount number", FeeItem{ID: "a", AmountRule: json.RawMessage(`{"var":"F_neg"}`)}, "negativ"},
		{"three decimals", FeeItem{ID: "a", AmountRule: json.RawMessage(`"1.005"`)}, "2 Nachkommastellen"},
		{"three decimals number", FeeItem{ID: "a", AmountRule: json.RawMessage(`1.005`)}, "2 Nachkommastellen"},
		{"non-numeric", FeeItem{ID: "a", AmountRule: json.RawMessage(`{"var":"F_text"}`)}, "keine Zahl"},
		{"comma", FeeItem{ID: "a", AmountRule: json.RawMessage(`"12,50"`)}, "keine Zahl"},
		{"bool", FeeItem{ID: "a", AmountRule: json.RawMessage(`true`)}, "kein Betrag"},
		{"missing field", FeeItem{ID: "a", AmountRule: json.RawMessage(`{"var":"nope"}`)}, "kein Ergebnis"},
		{"too high", FeeItem{ID: "a", AmountRule: json.RawMessage(`"1000000.00"`)}, "zu hoch"},
		{"quantity fraction", FeeItem{ID: "a", Amount: 1, QuantityRule: json.RawMessage(`{"var":"F_frac"}`)}, "keine ganze Zahl"},
		{"quantity negative", FeeItem{ID: "a", Amount: 1, QuantityRule: json.RawMessage(`{"var":"F_neg"}`)}, "nicht zwischen 0"},
		{"quantity 10000", FeeItem{ID: "a", Amount: 1, QuantityRule: json.RawMessage(`10000`)}, "nicht zwischen 0"},
		{"quantity text", FeeItem{ID: "a", Amount: 1, QuantityRule: json.RawMessage(`{"var":"F_text"}`)}, "keine ganze Zahl"},
		{"total too high", FeeItem{ID: "a", Amount: MaxAmount, QuantityRule: json.RawMessage(`2`)}, "höher als"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := &Fee{Policy: Mandatory, Purpose: "X", Items: []FeeItem{tt.item}}
			_, err := f.Compute(decode(t, data), "R", nil)
			if err == nil {
				t.Fatalf("Compute accepted it; want an error about %q", tt.want)
			}
			if !errors.Is(err, apperr.Invalid) {
				t.Errorf("error %v does not wrap apperr.Invalid", err)
			}
			if !strings.Contains(err.Error(), tt.want) || !strings.Contains(err.Error(), `"a"`) {
				t.Errorf("error %q should name the item and say %q", err, tt.want)
			}
		})
	}
	long := &Fee{Policy: Mandatory, Purpose: "Gebühr {vorgangsnummer}", Items: []FeeItem{fixed("a", 1)}}
	if _, err := long.Compute(nil, strings.Repeat("R", 30), nil); !errors.Is(err, apperr.Invalid) {
		t.Errorf("a purpose over 27 characters with the reference: err = %v", err)
	}
}

func TestParseEuros(t *testing.T) {
	tests := []struct {
		in   string
		want Cents
		ok   bool
	}{
		{"12.5", 1250, true}, {"12.50", 1250, true}, {"12", 1200, true}, {"0.99", 99, true},
		{"7.35", 735, true}, {"007.05", 705, true}, {"999999.99", MaxAmount, true},
		{"", 0, false}, {".5", 0, false}, {"5.", 0, false}, {"1.234", 0, false}, {"-1", 0, false},
		{"+1", 0, false}, {"1e3", 0, false}, {"1,5", 0, false}, {"1 000", 0, false}, {"1000000", 0, false},
		{"NaN", 0, false},
	}
	for _, tt := range tests {
		got, err := ParseEuros(tt.in)
		if (err == nil) != tt.ok || got != tt.want {
			t.Errorf("ParseEuros(%q) = %d, %v; want %d, ok %v", tt.in, got, err, tt.want, tt.ok)
		}
		if err != nil && (!errors.Is(err, ErrAmount) || !errors.Is(err, apperr.Invalid)) {
			t.Errorf("ParseEuros(%q): error %v wraps neither ErrAmount nor apperr.Invalid", tt.in, err)
		}
		if err == nil {
			if back, _ := ParseEuros(got.Euros()); back != got {
				t.Errorf("Euros round trip of %d: %q", got, got.Euros())
			}
		}
	}
	if s := Cents(1250).Euros(); s != "12.50" {
		t.Errorf("Euros = %q", s)
	}
}

func TestEffective(t *testing.T) {
	s, a := &Fee{Purpose: "s"}, &Fee{Purpose: "a"}
	if Effective(s, a) != a || Effective(s, nil) != s || Effective(nil, a) != a || Effective(nil, nil) != nil {
		t.Error("Effective: the authority's fee should win, then the service's, else nil")
	}
}

// FuzzFee feeds fees in their JSON form (as stored and as the catalogue
// and admin pages take them) and data documents to Validate and Compute:
// no panic, and an error always wraps apperr.Invalid.
func FuzzFee(f *testing.F) {
	f.Add(`{"policy":"mandatory","purpose":"X {vorgangsnummer}","items":[{"id":"a","description":"d","amount":100}]}`, `{}`)
	f.Add(`{"policy":"optional","purpose":"X","items":[{"id":"a","amount_rule":{"if":[{"==":[{"var":"k"},"1"]},"2.50",1]},"quantity_rule":{"var":"n"}}]}`, `{"k":"1","n":3}`)
	f.Add(`{"policy":"optional","purpose":"X","items":[{"id":"a","amount_rule":{"var":"x.0.y"},"quantity_rule":{"reduce":[{"var":"x"},{"+":[{"var":"accumulator"},1]},0]}}]}`, `{"x":[{"y":1.5}]}`)
	f.Add(`{"policy":"optional","purpose":"X","items":[{"id":"a","amount_rule":{"substr":[{"var":"s"},5,1]}}]}`, `{"s":[1]}`)
	f.Fuzz(func(t *testing.T, feeJSON, dataJSON string) {
		var fee Fee
		if json.Unmarshal([]byte(feeJSON), &fee) != nil {
			return
		}
		if err := fee.Validate(); err != nil {
			if !errors.Is(err, apperr.Invalid) {
				t.Fatalf("Validate: %v does not wrap apperr.Invalid", err)
			}
			return
		}
		dec := json.NewDecoder(strings.NewReader(dataJSON))
		dec.UseNumber()
		var data map[string]any
		if dec.Decode(&data) != nil {
			return
		}
		b, err := fee.Compute(data, "K7QM-2X9D-RTA4", nil)
		if err != nil {
			if !errors.Is(err, apperr.Invalid) {
				t.Fatalf("Compute: %v does not wrap apperr.Invalid", err)
			}
			return
		}
		var sum Cents
		for _, it := range b.Items {
			if it.Quantity < 1 || it.SingleNet <= 0 || it.TotalNet != it.SingleNet*Cents(it.Quantity) {
				t.Fatalf("bad item %+v", it)
			}
			sum += it.TotalNet
		}
		if sum != b.Total || b.Total > MaxAmount {
			t.Fatalf("total %d, items sum %d", b.Total, sum)
		}
	})
}

func FuzzParseEuros(f *testing.F) {
	for _, s := range []string{"12.50", "0", "1.2.3", "-1", "99999999"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		c, err := ParseEuros(s)
		if err != nil {
			return
		}
		if c < 0 || c > MaxAmount {
			t.Fatalf("ParseEuros(%q) = %d", s, c)
		}
		if back, err := ParseEuros(c.Euros()); err != nil || back != c {
			t.Fatalf("round trip %d: %v", c, err)
		}
	})
}

func TestValidateAccount(t *testing.T) {
	good := Account{Kind: EPayBL, BaseURL: "https://epayment-stage.dataport.de/konnektor/epayment/", OriginatorID: "o1", EndpointID: "e1",
		BookingData: map[string]map[string]string{"grund": {"Haushaltsstelle": "1.1"}}}
	tests := []struct {
		name string
		mod  func(a *Account)
		want string
	}{
		{"valid", func(a *Account) {}, ""},
		{"kind", func(a *Account) { a.Kind = "paypal" }, "Art des Bezahldienstes"},
		{"no base", func(a *Account) { a.BaseURL = "" }, "Basis-URL"},
		{"relative base", func(a *Account) { a.BaseURL = "/x/" }, "Basis-URL"},
		{"ftp base", func(a *Account) { a.BaseURL = "ftp://h/" }, "Basis-URL"},
		{"no slash", func(a *Account) { a.BaseURL = "https://h/x" }, "mit „/“ enden"},
		{"token url", func(a *Account) { a.Kind, a.TokenURL = PMPayment, "nope" }, "Token-URL"},
		{"no originator", func(a *Account) { a.OriginatorID = "" }, "originatorId fehlt"},
		{"long endpoint", func(a *Account) { a.EndpointID = strings.Repeat("e", 37) }, "endpointId"},
		{"booking id", func(a *Account) { a.BookingData = map[string]map[string]string{"a b": {"k": "v"}} }, "Kennung"},
		{"booking value", func(a *Account) { a.BookingData = map[string]map[string]string{"a": {"k": "v\x00"}} }, "Steuerzeichen"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a := good
			tt.mod(&a)
			err := ValidateAccount(&a)
			if tt.want == "" {
				if err != nil {
					t.Fatal(err)
				}
				return
			}
			if err == nil || !errors.Is(err, apperr.Invalid) || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("err = %v, want apperr.Invalid about %q", err, tt.want)
			}
		})
	}
}
