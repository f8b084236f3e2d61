package fitconnect

import (
	"strings"
	"testing"
)

// TestXMLDataRefusedWithReason: data announced as XML is refused with a
// detail that names the announced type and what the destination's
// services expect, not only that JSON is accepted.
func TestXMLDataRefusedWithReason(t *testing.T) {
	_, p := openData(nil, &DataInfo{SubmissionSchema: SubmissionSchema{SchemaURI: "urn:xoev-de:xfall:standard:xfall-container_1.0", MimeType: "application/xml"}}, "x.y.z.a.b")
	if p == nil || p.Type != RejectSubmissionValidation || p.Instance != "data" {
		t.Fatalf("problem = %+v", p)
	}
	for _, want := range []string{`"application/xml"`, "JSON Schema", "XML-Fachdaten"} {
		if !strings.Contains(p.Detail, want) {
			t.Errorf("detail %q lacks %q", p.Detail, want)
		}
	}
}
