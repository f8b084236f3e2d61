package web

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/antrag/antrag/internal/apperr"
	"github.com/antrag/antrag/internal/payment"
)

// The online fee of a service on its edit page: the policy (radio
// buttons), purpose and description, and the items as JSON in the form
// the catalogue uses (payment.ItemText).

// policyOption is one radio button of the fee's policy.
type policyOption struct {
	Value, Label string
	Checked      bool
}

func policyOptions(sel string) []policyOption {
	var out []policyOption
	for _, p := range payment.Policies {
		out = append(out, policyOption{Value: string(p), Label: p.Label(), Checked: string(p) == sel})
	}
	return out
}

// feeFields are the fee's fields of the service form.
func feeFields(f *payment.Fee) []*adminField {
	if f == nil {
		f = &payment.Fee{}
	}
	return []*adminField{
		{ID: "zahlungsart", Value: string(f.Policy)},
		{ID: "verwendungszweck", Label: "Verwendungszweck", Optional: true, Value: f.Purpose, Width: "width-30",
			Hint: "Höchstens 27 Zeichen; „{vorgangsnummer}“ wird durch die Vorgangsnummer (14 Zeichen) ersetzt, z. B. „Parken {vorgangsnummer}“."},
		{ID: "zahlungsbeschreibung", Label: "Beschreibung der Zahlung", Optional: true, Value: f.Description,
			Hint: "Höchstens 250 Zeichen; der Bezahldienst zeigt sie an."},
		{ID: "positionen", Label: "Positionen (JSON)", Optional: true, Rows: 10, Value: formatFeeItems(f.Items),
			Hint: `Eine Liste, z. B. [{"id": "grund", "description": "Grundgebühr", "amount": "12.50"}]. Beträge in Euro mit Dezimalpunkt; statt "amount" berechnet "amount_rule" den Betrag und "quantity_rule" die Anzahl aus den Formulardaten (JSON Logic, {"var": "G…F…"}); "booking_data" sind Buchungsdaten.`},
	}
}

// formatFeeItems writes the items as indented JSON ("" for none).
func formatFeeItems(items []payment.FeeItem) string {
	if len(items) == 0 {
		return ""
	}
	out := make([]payment.ItemText, 0, len(items))
	for i := range items {
		out = append(out, items[i].Text())
	}
	b, err := json.MarshalIndent(out, "", "  ")
	if err != nil {
		return ""
	}
	return string(b)
}

// parseFeeItems reads the items' JSON; the problem is German.
func parseFeeItems(text string) ([]payment.FeeItem, error) {
	if strings.TrimSpace(text) == "" {
		return nil, nil
	}
	dec := json.NewDecoder(strings.NewReader(text))
	dec.DisallowUnknownFields()
	var list []payment.ItemText
	if err := dec.Decode(&list); err != nil {
		return nil, fmt.Errorf("Die Positionen sind keine JSON-Liste wie im Beispiel: %s", jsonProblem(err))
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return nil, errors.New("Nach der Liste der Positionen steht noch etwas.")
	}
	items := make([]payment.FeeItem, 0, len(list))
	for i, j := range list {
		it, err := j.Item()
		if err != nil {
			return nil, fmt.Errorf("Position %d: Der Betrag %q ist kein Eurobetrag wie \"12.50\".", i+1, j.Amount)
		}
		it.AmountRule, it.QuantityRule = compactJSON(it.AmountRule), compactJSON(it.QuantityRule)
		items = append(items, it)
	}
	return items, nil
}

// jsonProblem phrases a JSON decoding error without Go's prefixes.
func jsonProblem(err error) string {
	var se *json.SyntaxError
	var te *json.UnmarshalTypeError
	switch {
	case errors.As(err, &se):
		return fmt.Sprintf("Syntaxfehler bei Zeichen %d.", se.Offset)
	case errors.As(err, &te):
		return fmt.Sprintf("falscher Typ bei „%s“.", te.Field)
	case strings.Contains(err.Error(), "unknown field"):
		return "unbekannte Angabe " + strings.TrimPrefix(err.Error(), "json: unknown field ") + "."
	}
	return "unvollständig."
}

func compactJSON(raw json.RawMessage) json.RawMessage {
	if len(raw) == 0 {
		return nil
	}
	var b bytes.Buffer
	if json.Compact(&b, raw) != nil {
		return raw
	}
	return b.Bytes()
}

// feeFromForm reads the fee's fields; nil for no fee (no policy, no
// items, no purpose). Problems are marked on their fields.
func feeFromForm(f *adminForm) *payment.Fee {
	fee := &payment.Fee{Policy: payment.Policy(f.value("zahlungsart")), Purpose: f.value("verwendungszweck"),
		Description: f.value("zahlungsbeschreibung")}
	items, err := parseFeeItems(f.value("positionen"))
	if err != nil {
		f.fail("positionen", err.Error())
		return nil
	}
	fee.Items = items
	if fee.Policy == payment.NoFee && len(items) == 0 && fee.Purpose == "" && fee.Description == "" {
		return nil
	}
	if err := fee.Validate(); err != nil {
		msg := strings.TrimSuffix(strings.ReplaceAll(err.Error(), ": "+apperr.Invalid.Error(), ""), ".") + "."
		switch {
		case strings.HasPrefix(msg, "Zahlungsart"):
			f.fail("zahlungsart", "Bitte wählen Sie eine der Zahlungsarten.")
		case strings.HasPrefix(msg, "Verwendungszweck"):
			f.fail("verwendungszweck", msg)
		case strings.HasPrefix(msg, "Beschreibung der Gebühr"):
			f.fail("zahlungsbeschreibung", msg)
		default:
			f.fail("positionen", msg)
		}
		return nil
	}
	return fee
}

// sameFee reports whether two fees are the same (nil: none).
func sameFee(a, b *payment.Fee) bool {
	x, err1 := json.Marshal(a)
	y, err2 := json.Marshal(b)
	return err1 == nil && err2 == nil && bytes.Equal(x, y)
}
