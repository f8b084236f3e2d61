package store

import (
	"bytes"
	"encoding/json"
	"slices"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/antrag/antrag/internal/form"
)

// Bounds of the draft data cache: how many drafts it holds and for how long
// an entry is used.
const (
	draftCacheSize = 2048
	draftCacheAge  = 10 * time.Minute
)

// draftCache keeps the decoded data of the drafts this process read or
// saved last, by draft id, with the sealed bytes it was decoded from: a
// draft read again with the same sealed bytes (the step page after
// "Weiter", a page shown again) is not unsealed and decoded again. An entry
// is used for at most draftCacheAge; at most draftCacheSize drafts are
// kept, the oldest dropped first. Readers get a copy of the data (the
// journey changes the map it gets).
type draftCache struct {
	mu      sync.Mutex
	entries map[string]*draftEntry
	order   []string // ids in the order they were put, oldest first
}

type draftEntry struct {
	sealed []byte
	data   map[string]any
	at     time.Time
}

// get returns a copy of the data of draft id decoded from sealed, if the
// cache holds it.
func (c *draftCache) get(id string, sealed []byte) (map[string]any, bool) {
	c.mu.Lock()
	e, ok := c.entries[id]
	c.mu.Unlock()
	if !ok || !bytes.Equal(e.sealed, sealed) || time.Since(e.at) > draftCacheAge {
		return nil, false
	}
	return form.CopyData(e.data), true
}

// put keeps data, decoded from sealed, for draft id. The cache owns data
// from now on.
func (c *draftCache) put(id string, sealed []byte, data map[string]any) {
	e := &draftEntry{sealed: bytes.Clone(sealed), data: data, at: time.Now()}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.entries == nil {
		c.entries = make(map[string]*draftEntry)
	}
	if _, ok := c.entries[id]; !ok {
		c.order = append(c.order, id)
	}
	c.entries[id] = e
	for len(c.entries) > draftCacheSize && len(c.order) > 0 {
		delete(c.entries, c.order[0])
		c.order = c.order[1:]
	}
	if len(c.order) > 2*draftCacheSize {
		c.compact()
	}
}

// compact leaves in order each id the cache holds once, at its last place
// (forget and a second put leave ids behind).
func (c *draftCache) compact() {
	seen := make(map[string]bool, len(c.entries))
	kept := make([]string, 0, len(c.entries))
	for i := len(c.order) - 1; i >= 0; i-- {
		id := c.order[i]
		if _, ok := c.entries[id]; ok && !seen[id] {
			seen[id] = true
			kept = append(kept, id)
		}
	}
	slices.Reverse(kept)
	c.order = kept
}

// forget drops the draft id (it was sent or deleted).
func (c *draftCache) forget(id string) {
	c.mu.Lock()
	delete(c.entries, id)
	c.mu.Unlock()
}

// jsonCopy copies a draft's data as the JSON decoder (with UseNumber)
// would return it after encoding: objects, arrays, valid UTF-8 strings,
// json.Number, booleans and null. It reports false for any other value
// (the caller then encodes and decodes).
func jsonCopy(m map[string]any) (map[string]any, bool) {
	out := make(map[string]any, len(m))
	for k, v := range m {
		if !utf8.ValidString(k) {
			return nil, false
		}
		c, ok := jsonCopyValue(v)
		if !ok {
			return nil, false
		}
		out[k] = c
	}
	return out, true
}

func jsonCopyValue(v any) (any, bool) {
	switch v := v.(type) {
	case nil, bool:
		return v, true
	case string:
		return v, utf8.ValidString(v)
	case json.Number: // as the encoder checks it: a JSON number literal
		s := string(v)
		return v, s != "" && (s[0] == '-' || '0' <= s[0] && s[0] <= '9') && json.Valid([]byte(s))
	case map[string]any:
		return jsonCopy(v)
	case []any:
		out := make([]any, len(v))
		for i, x := range v {
			c, ok := jsonCopyValue(x)
			if !ok {
				return nil, false
			}
			out[i] = c
		}
		return out, true
	}
	return nil, false
}
