package fitconnect

import (
	"bytes"
	"encoding/json"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"mime"
	"strings"
	"unicode/utf8"

	"github.com/gabriel-vasile/mimetype"
	"golang.org/x/text/encoding/ianaindex"
)

// MediaTypeError is returned by AttachmentMediaType when an attachment's
// content does not fit the media type its sender declared.
type MediaTypeError struct {
	Declared string // the declared type as sent
	// Detected is the type detected from the content, e.g.
	// "application/vnd.microsoft.portable-executable"; "" when detection
	// names the declared type although the content does not fit it (such
	// as JSON with a syntax error).
	Detected string
}

// Error says, in German for the sender, "als <declared> angegeben, ihr
// Inhalt ist aber <detected>" (or "kein gültiges <declared>").
func (e *MediaTypeError) Error() string {
	if e.Detected == "" {
		return fmt.Sprintf("als %s angegeben, ihr Inhalt ist aber kein gültiges %s", e.Declared, e.Declared)
	}
	return fmt.Sprintf("als %s angegeben, ihr Inhalt ist aber %s", e.Declared, e.Detected)
}

// AttachmentMediaType checks that an attachment's content is consistent
// with the media type its sender declared (metadata
// contentStructure.attachments[].mimeType, standards.md §1 "Metadata
// schema") and returns the declared type's essence in lower case without
// parameters, e.g. "text/csv" for "text/CSV; charset=utf-8".
//
// Consistent, not equal to what content sniffing reports, because one
// content has several correct names (an XML file sniffs as text/xml, a
// DOCX as application/zip). The content is consistent with:
//
//   - application/xml, text/xml and every "+xml" type (RFC 7303): well-formed
//     XML with a root element, in UTF-8 or the encoding its declaration names;
//   - application/json and every "+json" type (RFC 8259, RFC 6839): valid JSON;
//   - application/zip, every "+zip" type, the Office Open XML types
//     (application/vnd.openxmlformats-officedocument.*) and the
//     OpenDocument types (application/vnd.oasis.opendocument.*): a ZIP
//     container;
//   - application/pdf, image/png and image/jpeg: their magic numbers;
//   - every other text/* type (text/plain, text/csv, …): valid UTF-8 text
//     without binary control characters;
//   - any other type: content that github.com/gabriel-vasile/mimetype
//     detects as that type, an alias of it or a type derived from it.
//
// It returns a *MediaTypeError naming both types when the content is
// something else, and an error when declared is no media type.
func AttachmentMediaType(declared string, content []byte) (string, error) {
	mt, _, err := mime.ParseMediaType(declared)
	if err != nil || !strings.Contains(mt, "/") {
		return "", fmt.Errorf("%q ist kein Medientyp", declared)
	}
	mt = strings.ToLower(mt)
	if !contentFits(mt, content) {
		detected, _, _ := mime.ParseMediaType(mimetype.Detect(content).String())
		if strings.EqualFold(detected, mt) {
			detected = ""
		}
		return "", &MediaTypeError{Declared: declared, Detected: detected}
	}
	return mt, nil
}

var (
	bom        = []byte("\xef\xbb\xbf")
	zipMagic   = [][]byte{[]byte("PK\x03\x04"), []byte("PK\x05\x06")} // local file header; empty archive
	magicBytes = map[string][]byte{
		"application/pdf": []byte("%PDF-"),
		"image/png":       []byte("\x89PNG\r\n\x1a\n"),
		"image/jpeg":      []byte("\xff\xd8\xff"),
	}
)

// contentFits applies the rules of AttachmentMediaType to a lower-case
// media type essence.
func contentFits(mt string, content []byte) bool {
	switch {
	case mt == "application/xml" || mt == "text/xml" || strings.HasSuffix(mt, "+xml"):
		return isXML(content)
	case mt == "application/json" || strings.HasSuffix(mt, "+json"):
		return json.Valid(bytes.TrimPrefix(content, bom))
	case mt == "application/zip" || strings.HasSuffix(mt, "+zip") ||
		strings.HasPrefix(mt, "application/vnd.openxmlformats-officedocument.") ||
		strings.HasPrefix(mt, "application/vnd.oasis.opendocument."):
		for _, m := range zipMagic {
			if bytes.HasPrefix(content, m) {
				return true
			}
		}
		return false
	case magicBytes[mt] != nil:
		return bytes.HasPrefix(content, magicBytes[mt])
	case strings.HasPrefix(mt, "text/"):
		return isText(content)
	}
	for m := mimetype.Detect(content); m != nil; m = m.Parent() {
		if m.Is(mt) {
			return true
		}
	}
	return false
}

// isText reports whether b is UTF-8 text: valid UTF-8 without control
// characters other than tab, line feed, form feed and carriage return.
func isText(b []byte) bool {
	if !utf8.Valid(b) {
		return false
	}
	for _, c := range b {
		if c < 0x20 && c != '\t' && c != '\n' && c != '\f' && c != '\r' || c == 0x7f {
			return false
		}
	}
	return true
}

// isXML reports whether b is a well-formed XML document with a root
// element. An encoding other than UTF-8 is read through its IANA name.
func isXML(b []byte) bool {
	b = bytes.TrimPrefix(b, bom)
	if t := bytes.TrimLeft(b, " \t\r\n"); len(t) == 0 || t[0] != '<' {
		return false
	}
	d := xml.NewDecoder(bytes.NewReader(b))
	d.CharsetReader = func(label string, in io.Reader) (io.Reader, error) {
		enc, err := ianaindex.IANA.Encoding(label)
		if err != nil || enc == nil {
			return nil, fmt.Errorf("encoding %q unknown", label)
		}
		return enc.NewDecoder().Reader(in), nil
	}
	root := false
	for {
		tok, err := d.Token()
		if errors.Is(err, io.EOF) {
			return root
		}
		if err != nil {
			return false
		}
		if _, ok := tok.(xml.StartElement); ok {
			root = true
		}
	}
}
