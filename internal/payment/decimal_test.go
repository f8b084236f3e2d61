package payment

import (
	"math"
	"testing"
)

func TestCentsDecimal(t *testing.T) {
	tests := []struct {
		in   Cents
		want string
	}{
		{0, "0.00"},
		{5, "0.05"},
		{1250, "12.50"},
		{100000, "1000.00"},
		{-310, "-3.10"},
		{math.MinInt64, "-92233720368547758.08"},
	}
	for _, tt := range tests {
		if got := tt.in.Decimal(); got != tt.want {
			t.Errorf("Cents(%d).Decimal() = %q, want %q", int64(tt.in), got, tt.want)
		}
	}
}

func TestParseDecimal(t *testing.T) {
	tests := []struct {
		in      string
		want    Cents
		wantErr bool
	}{
		{"12.50", 1250, false},
		{"12.5", 1250, false},
		{"12", 1200, false},
		{"0.05", 5, false},
		{"-3.10", -310, false},
		{"9999999999.99", 999999999999, false},
		{"10000000000", 0, true},
		{"12.505", 0, true},
		{"1e3", 0, true},
		{"12.", 0, true},
		{".5", 0, true},
		{"+1", 0, true},
		{"", 0, true},
		{"-", 0, true},
		{"1,50", 0, true},
		{"99999999999999999999", 0, true},
	}
	for _, tt := range tests {
		got, err := ParseDecimal(tt.in)
		if (err != nil) != tt.wantErr || got != tt.want {
			t.Errorf("ParseDecimal(%q) = %d, %v; want %d, error %v", tt.in, got, err, tt.want, tt.wantErr)
		}
	}
}

func FuzzParseDecimal(f *testing.F) {
	for _, s := range []string{"12.50", "0", "-1.5", "1e3", "9999999999.99"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		c, err := ParseDecimal(s)
		if err != nil {
			return
		}
		back, err := ParseDecimal(c.Decimal())
		if err != nil || back != c {
			t.Fatalf("ParseDecimal(%q) = %d; its Decimal %q reads back as %d, %v", s, c, c.Decimal(), back, err)
		}
	})
}
