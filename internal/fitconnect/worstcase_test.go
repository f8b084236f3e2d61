package fitconnect_test

import (
	"context"
	"strings"
	"testing"

	"github.com/antrag/antrag/internal/delivery"
	"github.com/antrag/antrag/internal/form"
)

// Canonical data of any size antrag accepts (up to form.MaxDataBytes),
// made of what expands most (HTML-special characters, which the
// canonical form keeps as one byte each, quotes, U+2028, emoji, combining
// marks), is delivered and received byte for byte: the sender does not
// grow it, the receiver does not escape it. The largest data document
// travels as a JWE of about 22 MiB: the double is given room for it
// (a 413 from a FIT-Connect service fails the delivery with "Die Daten
// sind für FIT-Connect zu groß" for staff).
func TestE2EWorstCaseData(t *testing.T) {
	unit := "&<>\"'\\\u2028😀q\u0301"
	for name, size := range map[string]int{"mixed": 1 << 20, "at the limit": form.MaxDataBytes} {
		t.Run(name, func(t *testing.T) {
			e := newEnv(t, envOpts{maxBody: 32 << 20})
			pc := e.newParcel()
			doc, err := form.DecodeData(strings.NewReader(string(pc.p.Submission.Data)))
			if err != nil {
				t.Fatal(err)
			}
			base, _ := form.MarshalData(doc)
			text := strings.Repeat(unit, (size-len(base))/(len(unit)+8))
			if name == "at the limit" {
				text = strings.Repeat("&", size-len(base)-len(`,"F60000000999":""`))
			}
			doc["F60000000999"] = text
			data, err := form.MarshalData(doc)
			if err != nil {
				t.Fatal(err)
			}
			t.Logf("%d bytes of data", len(data))
			pc.p.Submission.Data = data
			out := e.send(pc)
			if out.State != delivery.Delivered {
				t.Fatalf("outcome %+v", out)
			}
			if n, err := e.sub.Poll(context.Background()); err != nil || n != 1 {
				t.Fatalf("Poll = %d, %v", n, err)
			}
			r := e.inbox.get(out.RemoteID)
			if r == nil {
				t.Fatal("nothing stored")
			}
			want := string(data)
			for old, nw := range r.AttachmentIDs {
				want = strings.ReplaceAll(want, old, nw)
			}
			if string(r.Data) != want {
				t.Fatalf("received %d bytes of data, sent %d", len(r.Data), len(want))
			}
		})
	}
}
