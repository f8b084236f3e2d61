package payment

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"sort"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/diegoholiveira/jsonlogic/v3"

	"github.com/antrag/antrag/internal/apperr"
)

// Policy is how a service takes its fee (EFAST's payment policies per
// form; standards §9).
type Policy string

// Policies.
const (
	NoFee     Policy = ""          // nothing to pay online
	Optional  Policy = "optional"  // the citizen may pay online before sending, or later
	Mandatory Policy = "mandatory" // sent to the authority only once paid
	Deferred  Policy = "deferred"  // invoiced after the service; nothing paid online
)

// Policies lists the policies in the order the admin pages offer them.
var Policies = []Policy{NoFee, Optional, Mandatory, Deferred}

// Known reports whether p is one of the policies.
func (p Policy) Known() bool {
	switch p {
	case NoFee, Optional, Mandatory, Deferred:
		return true
	}
	return false
}

// Online reports whether the fee is paid online (Optional or Mandatory).
func (p Policy) Online() bool { return p == Optional || p == Mandatory }

// Label is the policy's German name for the admin pages.
func (p Policy) Label() string {
	switch p {
	case NoFee:
		return "keine Online-Zahlung"
	case Optional:
		return "Online-Zahlung freiwillig"
	case Mandatory:
		return "Online-Zahlung vor dem Absenden"
	case Deferred:
		return "Rechnung nach der Leistung"
	}
	return string(p)
}

// Limits of a fee (XBezahldienste 1.0.0, docs.fitko.de/xbezahldienste;
// standards §9), checked by Fee.Validate and Fee.Compute.
const (
	MaxItems          = 99       // items of one payment transaction
	MaxIDLen          = 36       // characters of an item id
	MaxPurposeLen     = 27       // characters of the purpose (Verwendungszweck)
	MaxDescriptionLen = 250      // characters of a description
	MaxAmount         = 99999999 // cents: an item's price per unit, an item's total and a bill's total
	MaxQuantity       = 9999     // units of one item
	MaxBookingKeyLen  = 64       // characters of a booking data key
	MaxBookingValLen  = 250      // characters of a booking data value
	MaxBookingEntries = 20       // booking data entries of one item
	MaxRuleBytes      = 16 << 10 // bytes of one JSON Logic rule
)

// ReferencePlaceholder is replaced by the application's Vorgangsnummer in
// a fee's purpose.
const ReferencePlaceholder = "{vorgangsnummer}"

// referenceLen is the length of a Vorgangsnummer ("K7QM-2X9D-RTA4", see
// submission.NewReference), used to check the purpose when configured.
const referenceLen = 14

// Fee is what a service costs, configured per service and, where an
// authority charges differently, per authority and service. Its JSON form
// is what services.fee and authority_fees.fee hold.
type Fee struct {
	Policy Policy `json:"policy"`
	// Purpose is the Verwendungszweck (at most 27 characters after the
	// Vorgangsnummer is put in for "{vorgangsnummer}").
	Purpose string `json:"purpose"`
	// Description describes the payment (at most 250 characters).
	Description string    `json:"description,omitempty"`
	Items       []FeeItem `json:"items"`
}

// FeeItem is one line of a fee.
type FeeItem struct {
	ID          string `json:"id"`          // at most 36 characters of A–Z, a–z, 0–9, "_" and "-", unique in the fee
	Description string `json:"description"` // at most 250 characters
	// Amount is the fixed price per unit in cents.
	Amount Cents `json:"amount,omitempty"`
	// AmountRule, if set, computes the price per unit from the form data
	// instead: a JSON Logic rule (jsonlogic.com) whose result is euros (a
	// number, or a string of digits with a decimal point), e.g. an amount
	// per code value with "if".
	AmountRule json.RawMessage `json:"amount_rule,omitempty"`
	// QuantityRule, if set, computes the number of units from the form
	// data (a JSON Logic rule whose result is a whole number from 0 to
	// 9999; 0 leaves the item out); unset means 1.
	QuantityRule json.RawMessage `json:"quantity_rule,omitempty"`
	// BookingData are the item's booking data (see Account.BookingData).
	BookingData map[string]string `json:"booking_data,omitempty"`
}

// Bill is a fee computed for one application's data.
type Bill struct {
	Policy      Policy `json:"policy"`
	Purpose     string `json:"purpose"` // with the Vorgangsnummer put in (or ReferencePlaceholder)
	Description string `json:"description,omitempty"`
	// Items are the items with a quantity of at least 1 and a price above
	// 0, in the fee's order.
	Items []Item `json:"items"`
	Total Cents  `json:"total"` // the sum of the items' TotalNet; 0: nothing to pay
}

// Effective returns the fee that applies to a service at an authority:
// the authority's own if it has one, else the service's; nil if neither.
func Effective(service, authority *Fee) *Fee {
	if authority != nil {
		return authority
	}
	return service
}

// invalid returns an error wrapping apperr.Invalid.
func invalid(format string, args ...any) error {
	return fmt.Errorf("%s: %w", fmt.Sprintf(format, args...), apperr.Invalid)
}

// Validate checks a fee when it is configured: the policy is known; an
// online fee (Optional, Mandatory) has 1 to 99 items and a purpose; item
// ids are 1 to 36 characters of A–Z, a–z, 0–9, "_" and "-" and unique;
// descriptions have at most 250 characters; the purpose has at most 27
// characters with a Vorgangsnummer (14 characters) put in for
// "{vorgangsnummer}"; each item has either a fixed Amount above 0 or an
// AmountRule, not both; rules are JSON Logic; amounts are at most
// 99.999.999 cents; booking data are short printable text
// (XBezahldienste 1.0.0; standards §9). The error wraps apperr.Invalid
// and names the field in German.
func (f *Fee) Validate() error {
	if f == nil {
		return nil
	}
	if !f.Policy.Known() {
		return invalid("Zahlungsart %q ist unbekannt", string(f.Policy))
	}
	if f.Policy.Online() && len(f.Items) == 0 {
		return invalid("Gebühr: mindestens eine Position ist nötig")
	}
	if len(f.Items) > MaxItems {
		return invalid("Gebühr: höchstens %d Positionen, nicht %d", MaxItems, len(f.Items))
	}
	if f.Policy.Online() && strings.TrimSpace(f.Purpose) == "" {
		return invalid("Verwendungszweck fehlt")
	}
	if err := checkPurpose(f.Purpose, strings.Repeat("X", referenceLen)); err != nil {
		return err
	}
	if err := checkText("Beschreibung der Gebühr", f.Description, MaxDescriptionLen); err != nil {
		return err
	}
	seen := make(map[string]bool, len(f.Items))
	var fixed Cents // the items priced without rules, once each: the least the fee can be
	for i := range f.Items {
		it := &f.Items[i]
		if err := it.Validate(); err != nil {
			return fmt.Errorf("Position %d: %w", i+1, err)
		}
		if seen[it.ID] {
			return invalid("Position %d: Kennung %q kommt doppelt vor", i+1, it.ID)
		}
		seen[it.ID] = true
		if len(it.AmountRule) == 0 && len(it.QuantityRule) == 0 {
			fixed += it.Amount
		}
	}
	if fixed > MaxAmount {
		return invalid("Gebühr: die Summe der festen Beträge (%s) ist höher als %s", fixed, Cents(MaxAmount))
	}
	return nil
}

// Validate checks one item as Fee.Validate does (all but uniqueness of
// its id). The error wraps apperr.Invalid.
func (it *FeeItem) Validate() error {
	if err := CheckItemID(it.ID); err != nil {
		return err
	}
	if err := checkText("Beschreibung", it.Description, MaxDescriptionLen); err != nil {
		return err
	}
	hasRule := len(bytes.TrimSpace(it.AmountRule)) > 0
	switch {
	case hasRule && it.Amount != 0:
		return invalid("Betrag und Betragsregel schließen sich aus")
	case !hasRule && it.Amount <= 0:
		return invalid("Betrag fehlt (größer als 0 oder eine Betragsregel)")
	case it.Amount > MaxAmount:
		return invalid("Betrag %s ist höher als %s", it.Amount, Cents(MaxAmount))
	}
	if hasRule {
		if _, err := parseRule(it.AmountRule); err != nil {
			return fmt.Errorf("Betragsregel: %w", err)
		}
	}
	if len(bytes.TrimSpace(it.QuantityRule)) > 0 {
		if _, err := parseRule(it.QuantityRule); err != nil {
			return fmt.Errorf("Mengenregel: %w", err)
		}
	}
	return CheckBookingData(it.BookingData)
}

// CheckItemID checks a fee item id: 1 to 36 characters of A–Z, a–z, 0–9,
// "_" and "-" (an XBezahldienste item id). The error wraps apperr.Invalid.
func CheckItemID(id string) error {
	if id == "" {
		return invalid("Kennung fehlt")
	}
	if len(id) > MaxIDLen {
		return invalid("Kennung %q ist länger als %d Zeichen", id, MaxIDLen)
	}
	for _, r := range id {
		if !(r >= 'A' && r <= 'Z' || r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || r == '_' || r == '-') {
			return invalid("Kennung %q: nur Buchstaben A–Z, Ziffern, „_“ und „-“ sind erlaubt", id)
		}
	}
	return nil
}

// CheckBookingData checks booking data: at most 20 entries, keys of 1 to
// 64 and values of at most 250 printable characters. The error wraps
// apperr.Invalid.
func CheckBookingData(m map[string]string) error {
	if len(m) > MaxBookingEntries {
		return invalid("Buchungsdaten: höchstens %d Einträge", MaxBookingEntries)
	}
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		if strings.TrimSpace(k) == "" {
			return invalid("Buchungsdaten: ein Schlüssel ist leer")
		}
		if err := checkText("Buchungsdaten-Schlüssel", k, MaxBookingKeyLen); err != nil {
			return err
		}
		if err := checkText(fmt.Sprintf("Buchungsdaten %q", k), m[k], MaxBookingValLen); err != nil {
			return err
		}
	}
	return nil
}

// checkText checks that s is valid UTF-8 of printable characters (spaces
// allowed, no control characters) and at most max characters.
func checkText(field, s string, max int) error {
	if !utf8.ValidString(s) {
		return invalid("%s: ungültige Zeichenkodierung", field)
	}
	if n := utf8.RuneCountInString(s); n > max {
		return invalid("%s ist %d Zeichen lang, höchstens %d sind erlaubt", field, n, max)
	}
	for _, r := range s {
		if !unicode.IsPrint(r) && r != ' ' {
			return invalid("%s enthält ein Steuerzeichen", field)
		}
	}
	return nil
}

// checkPurpose checks the purpose with reference put in for the
// placeholder.
func checkPurpose(purpose, reference string) error {
	p := strings.ReplaceAll(purpose, ReferencePlaceholder, reference)
	if err := checkText("Verwendungszweck", p, MaxPurposeLen); err != nil {
		if strings.Contains(purpose, ReferencePlaceholder) {
			return fmt.Errorf("%w (mit der Vorgangsnummer eingesetzt)", err)
		}
		return err
	}
	return nil
}

// parseRule decodes a JSON Logic rule (at most MaxRuleBytes) and checks
// that it uses only known operations.
func parseRule(raw json.RawMessage) (any, error) {
	if len(raw) > MaxRuleBytes {
		return nil, invalid("die Regel ist größer als %d Bytes", MaxRuleBytes)
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	var rule any
	if err := dec.Decode(&rule); err != nil {
		return nil, invalid("kein gültiges JSON: %v", err)
	}
	if dec.More() {
		return nil, invalid("kein gültiges JSON: Daten nach der Regel")
	}
	if !jsonlogic.ValidateJsonLogic(rule) {
		return nil, invalid("keine gültige JSON-Logic-Regel (unbekannte Operation?)")
	}
	return rule, nil
}

// Compute computes the fee for one application: data is the canonical
// form data (package form: keys are element ids, groups nested objects,
// repeated elements arrays, numbers json.Number or float64); rules read
// it with "var" and dotted paths, e.g. {"var": "G60000000086.F60000000243"}
// or "G1.0.F2" for the first repetition. reference is the Vorgangsnummer:
// it is put in for "{vorgangsnummer}" in the purpose and is every item's
// Reference (ReferencePlaceholder keeps the placeholder, for a bill made
// before the Vorgangsnummer is drawn). An item's booking data are its own, else booking[item id]
// (the authority account's BookingData).
//
// A quantity rule's result must be a whole number from 0 to 9999 (a
// number or a string of digits); 0 leaves the item out. An amount rule's
// result is euros per unit: a number or a decimal string with a point
// ("12.5", "7.35"), converted to cents exactly; a number's shortest
// decimal form counts, and one off a whole cent only by binary floating
// point noise (as 3 × 7.35 gives 22.049999999999997) is taken as that
// cent. Negative, non-numeric results, or more than 2 decimals are
// errors. Items priced 0 are left out. A bill without items has Total 0:
// nothing to pay. Errors wrap apperr.Invalid and name the item.
func (f *Fee) Compute(data map[string]any, reference string, booking map[string]map[string]string) (*Bill, error) {
	if err := f.Validate(); err != nil {
		return nil, err
	}
	// Before the Vorgangsnummer is drawn, the bill keeps the placeholder
	// (Collector.Start puts it in); the length counts a Vorgangsnummer.
	stand := reference
	if reference == ReferencePlaceholder {
		stand = strings.Repeat("X", referenceLen)
	}
	if err := checkPurpose(f.Purpose, stand); err != nil {
		return nil, err
	}
	doc := plainData(data)
	b := &Bill{
		Policy:      f.Policy,
		Purpose:     strings.ReplaceAll(f.Purpose, ReferencePlaceholder, reference),
		Description: f.Description,
	}
	for i := range f.Items {
		it := &f.Items[i]
		line, err := it.compute(doc, reference, booking)
		if err != nil {
			return nil, fmt.Errorf("Gebührenposition %q: %w", it.ID, err)
		}
		if line == nil {
			continue
		}
		b.Items = append(b.Items, *line)
		b.Total += line.TotalNet
		if b.Total > MaxAmount {
			return nil, invalid("Gebühr: die Summe ist höher als %s", Cents(MaxAmount))
		}
	}
	return b, nil
}

func (it *FeeItem) compute(doc any, reference string, booking map[string]map[string]string) (*Item, error) {
	qty := 1
	if len(bytes.TrimSpace(it.QuantityRule)) > 0 {
		v, err := evalRule(it.QuantityRule, doc)
		if err != nil {
			return nil, fmt.Errorf("Mengenregel: %w", err)
		}
		if qty, err = quantityOf(v); err != nil {
			return nil, fmt.Errorf("Mengenregel: %w", err)
		}
	}
	if qty == 0 {
		return nil, nil
	}
	price := it.Amount
	if len(bytes.TrimSpace(it.AmountRule)) > 0 {
		v, err := evalRule(it.AmountRule, doc)
		if err != nil {
			return nil, fmt.Errorf("Betragsregel: %w", err)
		}
		if price, err = centsOf(v); err != nil {
			return nil, fmt.Errorf("Betragsregel: %w", err)
		}
	}
	if price > MaxAmount {
		return nil, invalid("Betrag %s ist höher als %s", price, Cents(MaxAmount))
	}
	if price == 0 {
		return nil, nil
	}
	total := price * Cents(qty)
	if total > MaxAmount {
		return nil, invalid("%d × %s ist höher als %s", qty, price, Cents(MaxAmount))
	}
	bd := it.BookingData
	if len(bd) == 0 {
		bd = booking[it.ID]
	}
	if err := CheckBookingData(bd); err != nil {
		return nil, err
	}
	return &Item{
		ID:          it.ID,
		Reference:   reference,
		Description: it.Description,
		Quantity:    qty,
		SingleNet:   price,
		TotalNet:    total,
		BookingData: copyMap(bd),
	}, nil
}

func copyMap(m map[string]string) map[string]string {
	if len(m) == 0 {
		return nil
	}
	out := make(map[string]string, len(m))
	for k, v := range m {
		out[k] = v
	}
	return out
}

// evalRule applies a JSON Logic rule to doc. The library may panic on
// input it does not expect; that becomes an error.
func evalRule(raw json.RawMessage, doc any) (out any, err error) {
	rule, err := parseRule(raw)
	if err != nil {
		return nil, err
	}
	defer func() {
		if r := recover(); r != nil {
			out, err = nil, invalid("die Regel ließ sich nicht auswerten")
		}
	}()
	out, err = jsonlogic.ApplyInterface(rule, doc)
	if err != nil {
		return nil, invalid("die Regel ließ sich nicht auswerten: %v", err)
	}
	return out, nil
}

// plainData copies a data document with json.Number values as float64, the
// numbers JSON Logic computes with.
func plainData(v any) any {
	switch x := v.(type) {
	case map[string]any:
		out := make(map[string]any, len(x))
		for k, e := range x {
			out[k] = plainData(e)
		}
		return out
	case []any:
		out := make([]any, len(x))
		for i, e := range x {
			out[i] = plainData(e)
		}
		return out
	case json.Number:
		f, err := x.Float64()
		if err != nil {
			return nil
		}
		return f
	case int:
		return float64(x)
	case int64:
		return float64(x)
	}
	return v
}

// quantityOf reads a quantity rule's result.
func quantityOf(v any) (int, error) {
	var f float64
	switch x := v.(type) {
	case float64:
		f = x
	case int:
		f = float64(x)
	case string:
		s := strings.TrimSpace(x)
		if s == "" || len(s) > 9 || strings.Trim(s, "0123456789") != "" {
			return 0, invalid("Ergebnis %q ist keine ganze Zahl von 0 bis %d", x, MaxQuantity)
		}
		n, _ := strconv.Atoi(s)
		f = float64(n)
	case nil:
		return 0, invalid("die Regel hat kein Ergebnis (fehlt ein Feld?)")
	default:
		return 0, invalid("Ergebnis %v ist keine Zahl", v)
	}
	if math.IsNaN(f) || f != math.Trunc(f) {
		return 0, invalid("Ergebnis %v ist keine ganze Zahl", v)
	}
	if f < 0 || f > MaxQuantity {
		return 0, invalid("Menge %v liegt nicht zwischen 0 und %d", v, MaxQuantity)
	}
	return int(f), nil
}

// centsOf reads an amount rule's result (euros) as cents.
func centsOf(v any) (Cents, error) {
	switch x := v.(type) {
	case string:
		return ParseEuros(strings.TrimSpace(x))
	case float64:
		if math.IsNaN(x) || math.IsInf(x, 0) {
			return 0, invalid("Ergebnis ist keine Zahl")
		}
		if x < 0 {
			return 0, invalid("Betrag %v ist negativ", x)
		}
		if x > MaxAmount/100.0 {
			return 0, invalid("Betrag %v € ist höher als %s", x, Cents(MaxAmount))
		}
		if c, err := ParseEuros(strconv.FormatFloat(x, 'f', -1, 64)); err == nil {
			return c, nil
		}
		// Binary floating point noise of arithmetic in the rule.
		if h := x * 100; math.Abs(h-math.Round(h)) < 1e-6 {
			return Cents(math.Round(h)), nil
		}
		return 0, invalid("Betrag %v € hat mehr als 2 Nachkommastellen", x)
	case int:
		return centsOf(float64(x))
	case nil:
		return 0, invalid("die Regel hat kein Ergebnis (fehlt ein Feld?)")
	}
	return 0, invalid("Ergebnis %v ist kein Betrag", v)
}

// ErrAmount is wrapped by ParseEuros's errors (with apperr.Invalid).
var ErrAmount = errors.New("kein Betrag in Euro")

// ParseEuros reads an amount of euros written with a decimal point and at
// most 2 decimals ("12", "12.5", "12.50", "0.99") as cents, exactly. It
// refuses signs, exponents, grouping and amounts above MaxAmount. The
// error wraps ErrAmount and apperr.Invalid.
func ParseEuros(s string) (Cents, error) {
	bad := func(why string) (Cents, error) {
		return 0, fmt.Errorf("%q %s: %w: %w", s, why, ErrAmount, apperr.Invalid)
	}
	if s == "" {
		return bad("ist leer")
	}
	whole, frac, hasPoint := strings.Cut(s, ".")
	if whole == "" || hasPoint && frac == "" {
		return bad("ist keine Zahl")
	}
	if len(frac) > 2 {
		return bad("hat mehr als 2 Nachkommastellen")
	}
	for _, r := range whole + frac {
		if r < '0' || r > '9' {
			if r == '-' {
				return bad("ist negativ")
			}
			return bad("ist keine Zahl")
		}
	}
	whole = strings.TrimLeft(whole, "0")
	if len(whole) > 6 {
		return bad("ist zu hoch")
	}
	var c int64
	for _, r := range whole {
		c = c*10 + int64(r-'0')
	}
	frac += strings.Repeat("0", 2-len(frac))
	c = c*100 + int64(frac[0]-'0')*10 + int64(frac[1]-'0')
	if c > MaxAmount {
		return bad("ist zu hoch")
	}
	return Cents(c), nil
}

// Euros formats c as a decimal string with a point and two decimals
// ("12.50"), the form ParseEuros reads.
func (c Cents) Euros() string {
	sign := ""
	if c < 0 {
		sign, c = "-", -c
	}
	return fmt.Sprintf("%s%d.%02d", sign, int64(c)/100, int64(c)%100)
}

// ItemText is a fee item as people write it, in the catalogue and on the
// admin page: the amount per unit in euros as a decimal string with a
// point and at most two decimals ("12.50"), the rules as JSON Logic.
type ItemText struct {
	ID           string            `json:"id"`
	Description  string            `json:"description,omitempty"`
	Amount       string            `json:"amount,omitempty"`
	AmountRule   json.RawMessage   `json:"amount_rule,omitempty"`
	QuantityRule json.RawMessage   `json:"quantity_rule,omitempty"`
	BookingData  map[string]string `json:"booking_data,omitempty"`
}

// Text returns the item as people write it.
func (it *FeeItem) Text() ItemText {
	t := ItemText{ID: it.ID, Description: it.Description, AmountRule: it.AmountRule,
		QuantityRule: it.QuantityRule, BookingData: it.BookingData}
	if it.Amount != 0 {
		t.Amount = it.Amount.Euros()
	}
	return t
}

// Item reads the item; an amount that is not a euro amount is ParseEuros'
// error (apperr.Invalid). It does not validate the item (FeeItem.Validate).
func (t *ItemText) Item() (FeeItem, error) {
	it := FeeItem{ID: t.ID, Description: t.Description, AmountRule: t.AmountRule,
		QuantityRule: t.QuantityRule, BookingData: t.BookingData}
	if t.Amount != "" {
		c, err := ParseEuros(t.Amount)
		if err != nil {
			return it, err
		}
		it.Amount = c
	}
	return it, nil
}
