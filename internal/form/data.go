package form

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/big"
	"strconv"

	"github.com/antrag/antrag/internal/apperr"
)

// The canonical data document (the JSON that antrag stores and delivers, and
// that FIT-Connect receivers get as submission data) has this shape:
//
//   - keys are element ids without version: {"G60000000086": {"F60000000243": "Hauptstraße"}};
//   - a Datenfeldgruppe is a nested object;
//   - an element whose Anzahl maximum is above 1 is an array, even with one entry;
//   - a code (Feldart select) is a string;
//   - num, num_int and num_currency are JSON numbers;
//   - bool is a JSON boolean;
//   - date is "YYYY-MM-DD" with no time and no offset; time is "hh:mm" or
//     "hh:mm:ss" local time; datetime is RFC 3339 with an offset;
//   - file and obj are a FileRef object;
//   - label fields, and groups holding only labels, have no key;
//   - an absent optional value has no key: empty strings are not values.

// FileRef is the data value of a file (or obj) Datenfeld: a reference to an
// attachment delivered beside the data. Names follow the FIT-Connect
// metadata schema 1.0.0 (contentStructure.attachments[]).
type FileRef struct {
	AttachmentID string   `json:"attachmentId"` // UUID, lower case
	Filename     string   `json:"filename"`     // the citizen's original file name
	MimeType     string   `json:"mimeType"`     // media type, e.g. application/pdf
	Size         int64    `json:"size"`         // bytes
	Hash         FileHash `json:"hash"`
}

// Value returns the reference in the generic form of a decoded data
// document (see DecodeData), as Validate reads it.
func (f FileRef) Value() map[string]any {
	return map[string]any{
		"attachmentId": f.AttachmentID,
		"filename":     f.Filename,
		"mimeType":     f.MimeType,
		"size":         json.Number(strconv.FormatInt(f.Size, 10)),
		"hash":         map[string]any{"type": f.Hash.Type, "content": f.Hash.Content},
	}
}

// FileRefOf reads a file reference from its generic form (a map with
// "attachmentId"); ok is false for anything else. Missing or mistyped
// members stay zero (Validate reports them).
func FileRefOf(v any) (ref FileRef, ok bool) {
	m, isMap := v.(map[string]any)
	if !isMap {
		return ref, false
	}
	if ref.AttachmentID, ok = m["attachmentId"].(string); !ok {
		return ref, false
	}
	ref.Filename, _ = m["filename"].(string)
	ref.MimeType, _ = m["mimeType"].(string)
	if n, isNum := m["size"].(json.Number); isNum {
		ref.Size, _ = n.Int64()
	}
	if h, isHash := m["hash"].(map[string]any); isHash {
		ref.Hash.Type, _ = h["type"].(string)
		ref.Hash.Content, _ = h["content"].(string)
	}
	return ref, true
}

// FileRefs returns every file reference in a decoded data document, in no
// particular order.
func FileRefs(doc any) []FileRef {
	var out []FileRef
	var walk func(v any)
	walk = func(v any) {
		if ref, ok := FileRefOf(v); ok {
			out = append(out, ref)
			return
		}
		switch x := v.(type) {
		case map[string]any:
			for _, e := range x {
				walk(e)
			}
		case []any:
			for _, e := range x {
				walk(e)
			}
		}
	}
	walk(doc)
	return out
}

// FileHash is the digest of an attachment: Type "sha512" and Content the
// lower-case hex SHA-512 of the attachment's bytes (128 characters).
type FileHash struct {
	Type    string `json:"type"`
	Content string `json:"content"`
}

// MaxDataBytes is the largest canonical data document (MarshalData) in
// bytes: the bound antrag accepts an application with, and the one
// DecodeData reads back, so that whatever was accepted can be read.
const MaxDataBytes = 16 << 20

// ErrDataTooLarge is returned (wrapping apperr.TooLarge) by DecodeData
// and MarshalData for a document above MaxDataBytes.
var ErrDataTooLarge = fmt.Errorf("Datendokument ist größer als 16 MiB: %w", apperr.TooLarge)

// MarshalData returns the canonical JSON of a data document, the bytes
// antrag hashes, stores and delivers: object keys sorted, numbers as their
// json.Number text, no insignificant space, and no HTML escaping ("<",
// ">" and "&" stay one byte each; encoding/json's default would make them
// six). Errors: ErrDataTooLarge for a result above MaxDataBytes, or
// encoding/json's for a value it cannot encode.
func MarshalData(doc map[string]any) ([]byte, error) {
	var buf bytes.Buffer
	if err := EncodeData(&buf, doc); err != nil {
		return nil, err
	}
	b := bytes.TrimSuffix(buf.Bytes(), []byte("\n"))
	if len(b) > MaxDataBytes {
		return nil, ErrDataTooLarge
	}
	return b, nil
}

// EncodeData writes the canonical JSON of doc (see MarshalData), followed
// by a newline, to w, without a size bound: for hashing a document.
func EncodeData(w io.Writer, doc map[string]any) error {
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	return enc.Encode(doc)
}

// DecodeData reads one JSON object. Numbers stay json.Number, so that
// 1234.56 is not rounded through float64. Anything after the object, or a
// document that is not an object, is an error; so is a string that is not
// valid UTF-8 or holds a lone surrogate escape (*TextError), which
// encoding/json alone would replace silently.
func DecodeData(r io.Reader) (map[string]any, error) {
	lr := &io.LimitedReader{R: r, N: MaxDataBytes + 1}
	b, err := io.ReadAll(lr)
	if err != nil {
		return nil, err
	}
	if len(b) > MaxDataBytes {
		return nil, ErrDataTooLarge
	}
	if err := checkText(b); err != nil {
		return nil, err
	}
	d := json.NewDecoder(bytes.NewReader(b))
	d.UseNumber()
	var doc any
	if err := d.Decode(&doc); err != nil {
		return nil, fmt.Errorf("Datendokument ist kein gültiges JSON: %w", err)
	}
	if d.More() {
		return nil, errors.New("Datendokument enthält nach dem Objekt weitere Daten")
	}
	obj, ok := doc.(map[string]any)
	if !ok {
		return nil, errors.New("Datendokument muss ein JSON-Objekt sein")
	}
	return obj, nil
}

// number returns v as an exact rational if it is a JSON number (json.Number,
// or a Go integer or float for callers that build documents in code).
func number(v any) (*big.Rat, bool) {
	switch n := v.(type) {
	case json.Number:
		r, ok := new(big.Rat).SetString(string(n))
		return r, ok
	case float64:
		r := new(big.Rat)
		if r.SetFloat64(n) == nil {
			return nil, false
		}
		return r, true
	case float32:
		return number(float64(n))
	case int:
		return new(big.Rat).SetInt64(int64(n)), true
	case int64:
		return new(big.Rat).SetInt64(n), true
	case int32:
		return new(big.Rat).SetInt64(int64(n)), true
	}
	return nil, false
}

// CopyData copies a data document: its objects and arrays, at every depth;
// strings, numbers, booleans and null are shared (they are not changed in
// place).
func CopyData(doc map[string]any) map[string]any {
	out := make(map[string]any, len(doc))
	for k, v := range doc {
		out[k] = copyDataValue(v)
	}
	return out
}

func copyDataValue(v any) any {
	switch x := v.(type) {
	case map[string]any:
		return CopyData(x)
	case []any:
		out := make([]any, len(x))
		for i, e := range x {
			out[i] = copyDataValue(e)
		}
		return out
	}
	return v
}
