package form

import "testing"

// TestHumanSizeNeverInBytesAboveAKilobyte: sizes that are not round
// multiples of 100 bytes were printed as "1234567 Byte".
func TestHumanSizeNeverInBytesAboveAKilobyte(t *testing.T) {
	tests := []struct {
		n    int64
		want string
	}{
		{0, "0 Byte"},
		{900, "900 Byte"},
		{999, "999 Byte"},
		{1_000, "1 kB"},
		{1_234, "1,2 kB"},
		{1_250, "1,3 kB"},
		{512_000, "512 kB"},
		{512_345, "512,3 kB"},
		{999_949, "999,9 kB"},
		{999_950, "1 MB"},
		{1_234_567, "1,2 MB"},
		{2_000_000, "2 MB"},
		{10_000_000, "10 MB"},
		{10_485_760, "10,5 MB"},
		{2_000_000_000, "2000 MB"},
		{-5, "0 Byte"},
	}
	for _, tt := range tests {
		if got := HumanSize(tt.n); got != tt.want {
			t.Errorf("HumanSize(%d) = %q, want %q", tt.n, got, tt.want)
		}
	}
}
