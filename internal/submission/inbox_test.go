package submission_test

import (
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/antrag/antrag/internal/apperr"
	"github.com/antrag/antrag/internal/submission"
)

func TestParseSearchReadsEverySpellingOfAReference(t *testing.T) {
	for _, tc := range []struct {
		typed       string
		reference   string
		externalRef string
		senderRefs  []string
	}{
		{"K7QM-2X9D-RTA4", "K7QM-2X9D-RTA4", "", []string{"K7QM-2X9D-RTA4"}},
		{"k7qm2x9drta4", "K7QM-2X9D-RTA4", "", []string{"k7qm2x9drta4", "K7QM-2X9D-RTA4"}},
		{"  Az. 32-1/2026 ", "", "", []string{"Az. 32-1/2026"}},
		{"5B0C1D2E-3F40-4A5B-8C6D-7E8F90A1B2C3", "", "fitconnect:5b0c1d2e-3f40-4a5b-8c6d-7e8f90a1b2c3", []string{"5B0C1D2E-3F40-4A5B-8C6D-7E8F90A1B2C3"}},
	} {
		s, err := submission.ParseSearch(tc.typed)
		if err != nil {
			t.Fatalf("ParseSearch(%q): %v", tc.typed, err)
		}
		if s.Reference != tc.reference || s.ExternalRef != tc.externalRef || !slices.Equal(s.SenderRefs, tc.senderRefs) {
			t.Errorf("ParseSearch(%q) = %+v", tc.typed, s)
		}
	}
	if s, err := submission.ParseSearch("   "); s != nil || err != nil {
		t.Errorf("blank search = %+v, %v; want none", s, err)
	}
	if _, err := submission.ParseSearch(strings.Repeat("x", 101)); !errors.Is(err, apperr.Invalid) {
		t.Errorf("101 characters: %v, want apperr.Invalid", err)
	}
}

func TestParseCursorRefusesMalformed(t *testing.T) {
	c := &submission.Cursor{SubmittedAt: time.Date(2026, 12, 7, 8, 30, 0, 123456000, time.UTC), ID: "019a0b1c-2d3e-7f40-8a5b-6c7d8e9f0a1b"}
	back, err := submission.ParseCursor(c.String())
	if err != nil || !back.SubmittedAt.Equal(c.SubmittedAt) || back.ID != c.ID {
		t.Fatalf("round trip of %s = %+v, %v", c, back, err)
	}
	for _, bad := range []string{"", "x", "2026-12-07T08:30:00Z", "2026-12-07T08:30:00Z_x", "gestern_" + c.ID,
		"2026-12-07T08:30:00Z_" + strings.ToUpper(c.ID), "2026-12-07T08:30:00Z_" + c.ID + "_"} {
		if _, err := submission.ParseCursor(bad); !errors.Is(err, apperr.Invalid) {
			t.Errorf("ParseCursor(%q): %v, want apperr.Invalid", bad, err)
		}
	}
}

func FuzzParseCursor(f *testing.F) {
	f.Add("2026-12-07T08:30:00.123456Z_019a0b1c-2d3e-7f40-8a5b-6c7d8e9f0a1b")
	f.Add("0001-01-01T00:00:00Z_00000000-0000-0000-0000-000000000000")
	f.Fuzz(func(t *testing.T, s string) {
		c, err := submission.ParseCursor(s)
		if err != nil {
			return
		}
		back, err := submission.ParseCursor(c.String())
		if err != nil || !back.SubmittedAt.Equal(c.SubmittedAt) || back.ID != c.ID {
			t.Errorf("%q parses to %+v, whose string %q parses to %+v, %v", s, c, c.String(), back, err)
		}
	})
}

func FuzzParseSearch(f *testing.F) {
	for _, s := range []string{"K7QM-2X9D-RTA4", "k7qm2x9drta4", "Az. 32-1/2026", "5b0c1d2e-3f40-4a5b-8c6d-7e8f90a1b2c3", "\x00"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, q string) {
		s, err := submission.ParseSearch(q)
		if err != nil || s == nil {
			return
		}
		if s.Reference != "" && submission.NormalizeReference(s.Reference) != s.Reference {
			t.Errorf("%q: reference %q is not canonical", q, s.Reference)
		}
		if len(s.SenderRefs) == 0 || s.SenderRefs[0] != strings.TrimSpace(q) {
			t.Errorf("%q: sender references %q lack what was typed", q, s.SenderRefs)
		}
	})
}

// TestParseSearchReadsReferencesWithTypographicDashes: a Vorgangsnummer
// copied from a letter or a mail often has en or em dashes, non-breaking
// hyphens, minus signs or non-breaking spaces instead of "-"; none was
// found.
func TestParseSearchReadsReferencesWithTypographicDashes(t *testing.T) {
	for _, typed := range []string{
		"MXJX\u2013PXV1\u2013PASV", // en dash
		"MXJX\u2014PXV1\u2014PASV", // em dash
		"MXJX\u2011PXV1\u2011PASV", // non-breaking hyphen
		"MXJX\u2212PXV1\u2212PASV", // minus sign
		"MXJX\u2010PXV1\u00adPASV", // hyphen, soft hyphen
		"MXJX PXV1 PASV",
		"MXJX\u00a0PXV1\u202fPASV", // no-break spaces
		"MXJX - PXV1 - PASV",
		"\tmxjx–pxvl–pasv\n", // lower case, l for 1
	} {
		s, err := submission.ParseSearch(typed)
		if err != nil || s == nil || s.Reference != "MXJX-PXV1-PASV" {
			t.Errorf("ParseSearch(%q) = %+v, %v; want the Vorgangsnummer MXJX-PXV1-PASV", typed, s, err)
		}
	}
}
