// Copyright ©2026 The antrag authors. All rights reserved.
// Use of this source code is governed by a MIT-style
// license that can be found in the LICENSE file.

package fpdf

import (
	"bytes"
	"sync"
)

// utf8FontCacheSize is how many parsed UTF-8 fonts (font key and file) the
// process keeps; the oldest is dropped when another is added.
const utf8FontCacheSize = 16

// utf8FontCache keeps, for the whole process, the font definitions that
// AddUTF8FontFromBytes derives from a TrueType file: the metrics, the
// character widths and the font id. Parsing a file and deriving the id (a
// SHA-1 of the definition's JSON, whose widths table has 65 536 entries)
// takes milliseconds and megabytes of garbage; documents that add the same
// font bytes under the same family and style share one result instead.
//
// A definition only depends on the font key and the file's bytes, so the
// cached one is exactly what parsing again would give. The shared parts
// (Cw, Desc) are only read after the font is added. What a document changes
// (the runes it uses, the subsetting state) is made fresh for each
// document by newUTF8FontDef.
var utf8FontCache struct {
	sync.Mutex
	entries []utf8FontCacheEntry
}

type utf8FontCacheEntry struct {
	key         string
	data        []byte // a private copy of the font file
	def         fontDefType
	charSymbols map[int]int // rune to glyph, from the file's cmap; nil without one
}

// cachedUTF8FontDef returns the cached definition of the font file
// utf8Bytes under fontkey, or ok false.
func cachedUTF8FontDef(fontkey string, utf8Bytes []byte) (e utf8FontCacheEntry, ok bool) {
	utf8FontCache.Lock()
	defer utf8FontCache.Unlock()
	for _, e := range utf8FontCache.entries {
		if e.key == fontkey && bytes.Equal(e.data, utf8Bytes) {
			return e, true
		}
	}
	return utf8FontCacheEntry{}, false
}

// cacheUTF8FontDef stores def, derived from utf8Bytes under fontkey, and
// returns the new entry.
func cacheUTF8FontDef(fontkey string, utf8Bytes []byte, def fontDefType) utf8FontCacheEntry {
	def.utf8File = nil
	def.usedRunes = nil
	e := utf8FontCacheEntry{key: fontkey, data: bytes.Clone(utf8Bytes), def: def}
	// The rune-to-glyph map exactly as GenerateCutFont derives it.
	u := newUTF8Font(&fileReader{array: e.data})
	u.skip(4)
	u.generateTableDescriptions()
	if u.generateCMAP() != nil {
		e.charSymbols = u.charSymbolDictionary
	}
	utf8FontCache.Lock()
	defer utf8FontCache.Unlock()
	if len(utf8FontCache.entries) >= utf8FontCacheSize {
		utf8FontCache.entries = utf8FontCache.entries[1:]
	}
	utf8FontCache.entries = append(utf8FontCache.entries, e)
	return e
}

// newUTF8FontDef returns the definition of e for one document: with its
// own reader of the font file for subsetting (GenerateCutFont reads every
// table it needs itself, and takes the shared rune-to-glyph map) and its
// own set of used runes.
func (e utf8FontCacheEntry) newUTF8FontDef(usedRunes map[int]int) fontDefType {
	def := e.def
	def.utf8File = newUTF8Font(&fileReader{array: e.data})
	def.utf8File.charSymbols = e.charSymbols
	def.usedRunes = usedRunes
	return def
}
