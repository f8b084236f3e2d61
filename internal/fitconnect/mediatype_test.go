package fitconnect_test

import (
	"archive/zip"
	"bytes"
	"errors"
	"strings"
	"testing"

	"github.com/antrag/antrag/internal/fitconnect"
)

// zipped returns a ZIP archive holding the named files.
func zipped(t *testing.T, files map[string]string) []byte {
	t.Helper()
	var buf bytes.Buffer
	w := zip.NewWriter(&buf)
	for name, content := range files {
		f, err := w.Create(name)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := f.Write([]byte(content)); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

const (
	docxType = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
	odtType  = "application/vnd.oasis.opendocument.text"
)

// TestAttachmentMediaTypeConsistency: a declared type is accepted when the
// content fits it, even where content sniffing gives another name for the
// same content, and refused, naming both types, when the content is
// something else.
func TestAttachmentMediaTypeConsistency(t *testing.T) {
	docx := zipped(t, map[string]string{"[Content_Types].xml": "<Types/>", "word/document.xml": "<w:document/>"})
	odt := zipped(t, map[string]string{"mimetype": odtType, "content.xml": "<office:document-content/>"})
	exe := []byte("MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff\x00\x00 This program cannot be run in DOS mode.")
	html := []byte("<!DOCTYPE html><html><head><meta charset=utf-8><title>Bescheid</title></head><body><script>alert(1)</script></body></html>")
	for _, tc := range []struct {
		name, declared string
		content        []byte
		want           string // the returned type; "" means refused
	}{
		{"XML as application/xml", "application/xml", []byte(`<?xml version="1.0" encoding="UTF-8"?><antrag><name>Müller</name></antrag>`), "application/xml"},
		{"XML as text/xml", "text/xml", []byte(`<antrag/>`), "text/xml"},
		{"XML in ISO-8859-1", "application/xml", []byte("<?xml version=\"1.0\" encoding=\"ISO-8859-1\"?><name>M\xfcller</name>"), "application/xml"},
		{"XÖV message as +xml", "application/vnd.xoev+xml", []byte("\xef\xbb\xbf<nachricht xmlns=\"urn:xoev-de\"/>"), "application/vnd.xoev+xml"},
		{"JSON", "application/json", []byte(`{"name": "Müller", "kinder": [1, 2]}`), "application/json"},
		{"JSON as +json with parameter", "application/geo+json; charset=utf-8", []byte(`{"type":"Point","coordinates":[11.0,50.9]}`), "application/geo+json"},
		{"DOCX", docxType, docx, docxType},
		{"ODT", odtType, odt, odtType},
		{"CSV", "text/csv", []byte("Name;Betrag\nMüller;12,50\r\n"), "text/csv"},
		{"CSV upper case", "Text/CSV", []byte("a,b\n1,2\n"), "text/csv"},
		{"plain text", "text/plain", []byte("Sehr geehrte Damen und Herren,\n\tanbei …"), "text/plain"},
		{"PDF", "application/pdf", []byte("%PDF-1.7\n%âãÏÓ\n1 0 obj"), "application/pdf"},
		{"PNG", "image/png", []byte("\x89PNG\r\n\x1a\n\x00\x00\x00\x0dIHDR"), "image/png"},
		{"JPEG", "image/jpeg", bytes.Repeat([]byte{0xff, 0xd8, 0xff, 0xe0}, 10), "image/jpeg"},
		{"GIF by detection", "image/gif", []byte("GIF89a\x01\x00\x01\x00"), "image/gif"},

		{"executable as PDF", "application/pdf", exe, ""},
		{"HTML as PDF", "application/pdf", html, ""},
		{"executable as DOCX", docxType, exe, ""},
		{"executable as CSV", "text/csv", exe, ""},
		{"executable as XML", "application/xml", exe, ""},
		{"HTML as XML", "application/xml", html, ""},
		{"text as XML", "application/xml", []byte("kein XML"), ""},
		{"unclosed XML", "application/xml", []byte("<antrag><name>"), ""},
		{"invalid JSON", "application/json", []byte(`{"name": "Müller",}`), ""},
		{"Latin-1 as CSV", "text/csv", []byte("M\xfcller;12\n"), ""},
		{"PDF as PNG", "image/png", []byte("%PDF-1.7"), ""},
		{"ZIP as GIF", "image/gif", docx, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := fitconnect.AttachmentMediaType(tc.declared, tc.content)
			if tc.want != "" {
				if err != nil || got != tc.want {
					t.Fatalf("AttachmentMediaType(%q) = %q, %v; want %q", tc.declared, got, err, tc.want)
				}
				return
			}
			me, ok := errors.AsType[*fitconnect.MediaTypeError](err)
			if !ok {
				t.Fatalf("AttachmentMediaType(%q) = %q, %v; want a MediaTypeError", tc.declared, got, err)
			}
			named := me.Detected != "" && !strings.EqualFold(me.Detected, tc.declared) && strings.Contains(err.Error(), me.Detected) ||
				me.Detected == "" && strings.Contains(err.Error(), "kein gültiges "+tc.declared)
			if me.Declared != tc.declared || !named || !strings.Contains(err.Error(), "als "+tc.declared) {
				t.Errorf("error %q (declared %q, detected %q)", err, me.Declared, me.Detected)
			}
		})
	}
	if _, err := fitconnect.AttachmentMediaType("pdf", []byte("%PDF-1.7")); err == nil {
		t.Error("a declared type without subtype was accepted")
	}
}

// FuzzAttachmentMediaType: any declared type and content gives a type or
// an error, never a panic, and an accepted type is lower case.
func FuzzAttachmentMediaType(f *testing.F) {
	f.Add("application/xml", []byte(`<?xml version="1.0" encoding="windows-1252"?><a/>`))
	f.Add("application/json", []byte(`{"a":[1]}`))
	f.Add(docxType, []byte("PK\x03\x04"))
	f.Add("text/csv; charset=utf-8", []byte("a;b\n"))
	f.Add("image/gif", []byte("GIF89a"))
	f.Fuzz(func(t *testing.T, declared string, content []byte) {
		mt, err := fitconnect.AttachmentMediaType(declared, content)
		if err == nil && mt != strings.ToLower(mt) {
			t.Errorf("type %q not lower case", mt)
		}
	})
}
