package form_test

import (
	"bytes"
	"errors"
	"strings"
	"testing"

	"github.com/antrag/antrag/internal/apperr"
	"github.com/antrag/antrag/internal/form"
)

// TestMarshalData: the canonical JSON keeps "<", ">" and "&" as one byte
// each (encoding/json's default writes six), and whatever MarshalData
// returns, DecodeData reads back; above the bound it refuses.
func TestMarshalData(t *testing.T) {
	doc, err := form.DecodeData(strings.NewReader(`{"b": "<a href=\"x\">&amp;</a>", "a": [1.50, true, null], "c": "\u2028😀"}`))
	if err != nil {
		t.Fatal(err)
	}
	got, err := form.MarshalData(doc)
	if err != nil {
		t.Fatal(err)
	}
	if want := `{"a":[1.50,true,null],"b":"<a href=\"x\">&amp;</a>","c":"\u2028😀"}`; string(got) != want {
		t.Errorf("MarshalData = %s, want %s", got, want)
	}

	// The largest document it returns is read back.
	frame, _ := form.MarshalData(map[string]any{"F": ""})
	amps := map[string]any{"F": strings.Repeat("&", form.MaxDataBytes-len(frame))}
	b, err := form.MarshalData(amps)
	if err != nil || len(b) != form.MaxDataBytes {
		t.Fatalf("MarshalData at the bound: %d bytes, %v", len(b), err)
	}
	back, err := form.DecodeData(bytes.NewReader(b))
	if err != nil || back["F"] != amps["F"] {
		t.Fatalf("DecodeData of MarshalData at the bound: %v", err)
	}
	// One more byte, or characters JSON writes longer than UTF-8 does
	// (U+2028: 3 bytes, 6 in JSON), and it is refused.
	amps["F"] = amps["F"].(string) + "&"
	if _, err := form.MarshalData(amps); !errors.Is(err, form.ErrDataTooLarge) || !errors.Is(err, apperr.TooLarge) {
		t.Errorf("one byte above the bound: %v", err)
	}
	seps := map[string]any{"F": strings.Repeat("\u2028", form.MaxDataBytes/6+1)}
	if _, err := form.MarshalData(seps); !errors.Is(err, form.ErrDataTooLarge) {
		t.Errorf("%d bytes of U+2028: %v", len(seps["F"].(string)), err)
	}
}

func FuzzMarshalDataReadsBack(f *testing.F) {
	f.Add(`{"a": "<&>", "b": [1, 2.50, "\u2028"]}`)
	f.Fuzz(func(t *testing.T, s string) {
		doc, err := form.DecodeData(strings.NewReader(s))
		if err != nil {
			return
		}
		b, err := form.MarshalData(doc)
		if err != nil {
			return
		}
		back, err := form.DecodeData(bytes.NewReader(b))
		if err != nil {
			t.Fatalf("DecodeData(MarshalData(%q)): %v", s, err)
		}
		again, err := form.MarshalData(back)
		if err != nil || !bytes.Equal(again, b) {
			t.Fatalf("not canonical: %s, then %s (%v)", b, again, err)
		}
	})
}
