package form

import (
	"encoding/json"
	"testing"
)

func TestParsePathRoundTrip(t *testing.T) {
	for _, p := range []Path{
		nil,
		Path{}.Key("F1"),
		Path{}.Key("G1").Index(0).Key("F2"),
		Path{}.Key("G1").Index(12).Key("G2").Index(3).Key("F00-4cb0dd14"),
	} {
		if got := ParsePath(p.String()); got.String() != p.String() || len(got) != len(p) {
			t.Errorf("ParsePath(%q) = %v", p.String(), got)
		}
	}
	if got := ParsePath("G1[x].F2").String(); got != "G1.F2" {
		t.Errorf("a malformed index: %q", got)
	}
}

func TestFileRefs(t *testing.T) {
	a := FileRef{AttachmentID: "a", Filename: "a.pdf", MimeType: "application/pdf", Size: 3, Hash: FileHash{Type: "sha512", Content: "ff"}}
	b := FileRef{AttachmentID: "b", Filename: "b.png", MimeType: "image/png", Size: 4}
	doc := map[string]any{"F1": a.Value(), "G1": []any{map[string]any{"F2": []any{b.Value()}}}, "F3": "attachmentId", "F4": json.Number("1")}
	got := map[string]FileRef{}
	for _, r := range FileRefs(doc) {
		got[r.AttachmentID] = r
	}
	if len(got) != 2 || got["a"] != a || got["b"].Filename != "b.png" || got["b"].Size != 4 {
		t.Errorf("FileRefs = %+v", got)
	}
	if _, ok := FileRefOf(map[string]any{"filename": "x"}); ok {
		t.Errorf("a map without attachmentId is a file reference")
	}
}
