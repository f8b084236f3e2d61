package store

import (
	"bytes"
	"encoding/json"
	"fmt"
	"reflect"
	"testing"

	"github.com/antrag/antrag/internal/form"
)

// TestDraftCacheCopies checks that the draft data cache hands out copies,
// answers only for the sealed bytes it was given, and stays bounded.
func TestDraftCacheCopies(t *testing.T) {
	var c draftCache
	doc := map[string]any{"G1": map[string]any{"F1": "a", "F2": []any{"x", json.Number("2")}}, "F3": true}
	c.put("d1", []byte("sealed-1"), form.CopyData(doc))
	got, ok := c.get("d1", []byte("sealed-1"))
	if !ok || !reflect.DeepEqual(got, doc) {
		t.Fatalf("get = %v, %v", got, ok)
	}
	got["G1"].(map[string]any)["F1"] = "changed"
	got["G1"].(map[string]any)["F2"].([]any)[0] = "changed"
	if again, _ := c.get("d1", []byte("sealed-1")); !reflect.DeepEqual(again, doc) {
		t.Errorf("a reader's change reached the cache: %v", again)
	}
	if _, ok := c.get("d1", []byte("sealed-2")); ok {
		t.Error("get with other sealed bytes hit")
	}
	c.forget("d1")
	if _, ok := c.get("d1", []byte("sealed-1")); ok {
		t.Error("get after forget hit")
	}
	for i := range 3 * draftCacheSize {
		id := fmt.Sprintf("d%d", i)
		c.put(id, []byte(id), map[string]any{})
		if i%2 == 0 {
			c.forget(id)
		}
	}
	if len(c.entries) > draftCacheSize || len(c.order) > 2*draftCacheSize+1 {
		t.Errorf("cache holds %d drafts, %d ids in order; want at most %d", len(c.entries), len(c.order), draftCacheSize)
	}
	last := fmt.Sprintf("d%d", 3*draftCacheSize-1)
	if _, ok := c.get(last, []byte(last)); !ok {
		t.Error("the newest draft was dropped")
	}
}

// TestJSONCopy checks that jsonCopy gives what encoding and decoding (as
// SaveDraft and openData do) give, and refuses what would change.
func TestJSONCopy(t *testing.T) {
	doc := map[string]any{"G1": map[string]any{"F1": "Grüße 👍 <&>", "F2": []any{nil, false, json.Number("-1.5e3")}}, "F3": map[string]any{}}
	got, ok := jsonCopy(doc)
	if !ok {
		t.Fatal("jsonCopy refused a JSON document")
	}
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(doc); err != nil {
		t.Fatal(err)
	}
	d := json.NewDecoder(&b)
	d.UseNumber()
	var want map[string]any
	if err := d.Decode(&want); err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("jsonCopy = %#v\nround trip = %#v", got, want)
	}
	for _, v := range []any{1, 1.5, []string{"a"}, "\xff", json.Number("0x10"), json.Number("NaN"), json.Number(""), map[string]string{}} {
		if _, ok := jsonCopy(map[string]any{"F": v}); ok {
			t.Errorf("jsonCopy took %#v", v)
		}
	}
	if _, ok := jsonCopy(map[string]any{"\xff": "a"}); ok {
		t.Error("jsonCopy took a key that is not UTF-8")
	}
}
