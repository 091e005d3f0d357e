package store

import (
	"strconv"
	"testing"

	"threshold/internal/event"
)

// TestKeySet checks that the writer's set of inserted keys never says
// "no" for a key it holds, before and after it turns into a Bloom filter,
// and says "no" for most keys it does not hold.
func TestKeySet(t *testing.T) {
	for _, n := range []int{10, keySetSmall + 1000} {
		s := &keySet{}
		key := func(i int) event.Key { return event.Key{Source: "gdelt", SourceID: strconv.Itoa(i)} }
		for i := range n {
			s.addHash(keyHash(key(i)))
		}
		if big := s.big != nil; big != (n > keySetSmall) {
			t.Errorf("%d keys: Bloom filter %v", n, big)
		}
		for i := range n {
			if !s.hasHash(keyHash(key(i))) {
				t.Fatalf("%d keys: key %d added, not found", n, i)
			}
		}
		if s.hasHash(keyHash(event.Key{Source: "ucdp-ged", SourceID: "0"})) && s.hasHash(keyHash(event.Key{Source: "acled", SourceID: "0"})) {
			t.Errorf("%d keys: another source's key 0 found twice", n)
		}
		falsePos := 0
		for i := n; i < n+10000; i++ {
			if s.hasHash(keyHash(key(i))) {
				falsePos++
			}
		}
		if falsePos > 200 {
			t.Errorf("%d keys: %d of 10,000 keys never added found, want under 2%%", n, falsePos)
		}
	}
}
