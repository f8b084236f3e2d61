// Copyright ©2026 The antrag authors. All rights reserved.
// Use of this source code is governed by a MIT-style
// license that can be found in the LICENSE file.

package fpdf

import (
	"math/rand"
	"slices"
	"testing"
)

// putNilV0120 is untypedKeyMap.put(nil, value) as in fpdf v0.12.0: the
// smallest n >= 0 for which getIndex(n) finds nothing becomes the key.
func putNilV0120(pa *untypedKeyMap, value int) {
	var key any
	for n := 0; ; n++ {
		if pa.getIndex(n) < 0 {
			key = n
			break
		}
	}
	pa.keySet = append(pa.keySet, key)
	pa.valueSet = append(pa.valueSet, value)
}

// put(nil, …) chooses the same keys as v0.12.0 for any mix of int and
// string keys, puts with given keys and deletions.
func TestUntypedKeyMapPutNilAsV0120(t *testing.T) {
	rng := rand.New(rand.NewSource(1))
	for round := range 200 {
		var got, want untypedKeyMap
		for step := range 300 {
			switch op := rng.Intn(10); {
			case op < 6:
				got.put(nil, step)
				putNilV0120(&want, step)
			case op < 8:
				var k any = rng.Intn(40) - 5
				if op == 7 {
					k = []string{"interval", "x"}[rng.Intn(2)]
				}
				got.put(k, step)
				want.put(k, step)
			default:
				k := rng.Intn(40)
				got.delete(k)
				want.delete(k)
			}
			if !slices.Equal(got.keySet, want.keySet) || !slices.Equal(got.valueSet, want.valueSet) {
				t.Fatalf("round %d, step %d: keys %v, want %v", round, step, got.keySet, want.keySet)
			}
		}
	}
}
