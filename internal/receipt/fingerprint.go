package receipt

import (
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"hash"
	"time"
)

// layoutVersion names the way Render lays out a receipt. Change it with
// any change that makes the same Receipt render differently (layout,
// wording, fonts, metadata, PDF library), so that stored receipts with an
// older Fingerprint are rendered again.
const layoutVersion = "2026-12-07"

// Fingerprint returns a SHA-256, as 64 lower-case hexadecimal digits, of
// everything Render prints for r (the text after cleaning, the fee and
// identity rows as formatted in Europe/Berlin, the PDF metadata) and of
// the layout's version. Receipts with the same fingerprint render to the
// same bytes, so a stored rendering is current as long as the fingerprint
// of the receipt as it would be made now is unchanged: a payment that is
// completed, or an authority's new address, changes it.
//
// Errors: ErrInvalidReceipt (wrapped), as Render.
func Fingerprint(r Receipt) (string, error) {
	a, err := loadAssets()
	if err != nil {
		return "", fmt.Errorf("receipt.Fingerprint(%q): %w", r.Reference, err)
	}
	if err := validate(r); err != nil {
		return "", fmt.Errorf("receipt.Fingerprint(%q): %w", r.Reference, err)
	}
	d := a.prepare(r)
	m := d.metadata()
	h := sha256.New()
	for _, s := range []string{layoutVersion, m.title, m.author, m.subject, m.creator, m.producer,
		m.date.Format(time.RFC3339), d.title, d.reference, d.submitted.Format(time.RFC3339Nano),
		d.authority, d.authorName, d.sha256} {
		writeField(h, s)
	}
	writeSections(h, d.sections)
	return hex.EncodeToString(h.Sum(nil)), nil
}

// writeField writes s with its length before it, so that no two lists of
// fields hash alike.
func writeField(h hash.Hash, s string) {
	h.Write(binary.AppendUvarint(nil, uint64(len(s))))
	h.Write([]byte(s))
}

func writeSections(h hash.Hash, secs []Section) {
	writeField(h, fmt.Sprint("sections ", len(secs)))
	for _, s := range secs {
		writeField(h, s.Title)
		writeField(h, fmt.Sprint("items ", len(s.Items)))
		for _, it := range s.Items {
			if it.Section != nil {
				writeField(h, "group")
				writeSections(h, []Section{*it.Section})
				continue
			}
			writeField(h, "item")
			writeField(h, it.Label)
			writeField(h, it.Value)
		}
	}
}
