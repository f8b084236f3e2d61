package form

import (
	"mime"
	"net/http"
	"path"
	"strings"
	"unicode"

	"golang.org/x/text/unicode/norm"
)

// SniffMediaType decides a file's media type from its first bytes
// (http.DetectContentType, WHATWG MIME Sniffing), never from its name.
func SniffMediaType(head []byte) string {
	mt, _, _ := mime.ParseMediaType(http.DetectContentType(head))
	return mt
}

// CleanFilename keeps the citizen's (or a sender's) file name for display
// (case C06):
// without directories, control characters, format characters (Unicode
// category Cf: bidirectional overrides such as U+202E, which would show
// "Rechnung\u202Efdp.exe" as "Rechnungexe.pdf", and zero-width characters)
// and surrounding spaces, in NFC, at most 255 characters. It is never used
// to store the file.
func CleanFilename(name string) string {
	name = strings.ReplaceAll(name, "\\", "/")
	name = path.Base("/" + name)
	name = strings.Map(func(r rune) rune {
		if unicode.IsControl(r) || unicode.Is(unicode.Cf, r) {
			return -1
		}
		return r
	}, norm.NFC.String(name))
	name = strings.TrimSpace(name)
	if name == "" || name == "/" || name == "." || name == ".." {
		name = "Datei"
	}
	if r := []rune(name); len(r) > MaxFilenameLength {
		name = string(r[:MaxFilenameLength])
	}
	return name
}
