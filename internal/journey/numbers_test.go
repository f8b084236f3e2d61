package journey

import (
	"errors"
	"testing"
)

// Case C11: German notation, with a documented rule for the rest.
func TestParseNumberC11(t *testing.T) {
	tests := []struct {
		in, want string
		err      error
	}{
		{"1.234,56", "1234.56", nil},
		{"1234.56", "1234.56", nil},
		{" 42 ", "42", nil},
		{"42", "42", nil},
		{"1234,5", "1234.5", nil},
		{"0,5", "0.5", nil},
		{",5", "0.5", nil},
		{"1 234,56 €", "1234.56", nil},
		{"1.234.567", "1234567", nil},
		{"1.234.567,89", "1234567.89", nil},
		{"-12,50", "-12.5", nil},
		{"+7", "7", nil},
		{"3.5", "3.5", nil},
		{"1234,500", "1234.5", nil},
		{"1.234", "", ErrAmbiguousNumber},
		{"12.345", "", ErrAmbiguousNumber},
		{"1,234.56", "", ErrNotANumber},
		{"12.34.56", "", ErrNotANumber},
		{"1,2,3", "", ErrNotANumber},
		{"abc", "", ErrNotANumber},
		{"", "", ErrNotANumber},
		{"12a", "", ErrNotANumber},
		{"1e5", "", ErrNotANumber},
		{"1.", "", ErrNotANumber},
	}
	for _, tt := range tests {
		got, err := ParseNumber(tt.in)
		if !errors.Is(err, tt.err) || got != tt.want {
			t.Errorf("ParseNumber(%q) = %q, %v; want %q, %v", tt.in, got, err, tt.want, tt.err)
		}
	}
}

func TestFormatNumber(t *testing.T) {
	for _, tt := range []struct {
		in       string
		currency bool
		want     string
	}{
		{"1234.56", true, "1.234,56"}, {"1234.5", true, "1.234,50"}, {"42", false, "42"}, {"1234567", false, "1234567"}, {"1850", false, "1850"}, {"1234567.5", true, "1.234.567,50"},
		{"-12.5", false, "-12,5"}, {"0.1", false, "0,1"},
		// An amount with more than two decimals (invalid) is shown exactly, never rounded.
		{"12.345", true, "12,345"}, {"1234.567", true, "1.234,567"}, {"12", true, "12,00"},
	} {
		if got := FormatNumber(tt.in, tt.currency); got != tt.want {
			t.Errorf("FormatNumber(%q, %v) = %q, want %q", tt.in, tt.currency, got, tt.want)
		}
	}
}
