package storage

import (
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
)

// TestPrefetchMembers runs PrefetchMembers on every kind of value, absent keys and
// collections in both encodings, while writers grow and shrink the large ones (their
// hash tables resize). It takes the stripe, so this runs under the race detector too.
// It must change nothing: the values read the same before and after.
func TestPrefetchMembers(t *testing.T) {
	e := New(Options{})
	db := e.DB(0).ForWrite()
	lim := e.Limits()
	const big = PrefetchMinMembers + 1000
	members := make([][]byte, big)
	for i := range members {
		members[i] = []byte(fmt.Sprintf("member:%d", i))
	}
	type coll struct {
		key  string
		v    Value
		fill func(m []byte, add bool)
	}
	set, hash, zset := NewSet(), NewHash(), NewZSet()
	colls := []coll{
		{"set", set, func(m []byte, add bool) {
			if add {
				set.Add(m, lim)
			} else {
				set.Remove(m)
			}
		}},
		{"hash", hash, func(m []byte, add bool) {
			if add {
				hash.Set(m, m, lim)
			} else {
				hash.Delete(m)
			}
		}},
		{"zset", zset, func(m []byte, add bool) {
			if add {
				zset.Add(m, float64(len(m)), 0, lim)
			} else {
				zset.Remove(m)
			}
		}},
	}
	small := NewSet()
	small.Add([]byte("1"), lim) // intset
	smallHash := NewHash()
	smallHash.Set([]byte("f"), []byte("v"), lim) // listpack
	at := func(key string) KeyAt { return KeyAt{Slot: 42, Key: []byte(key)} }
	e.LockSlot(42)
	for _, c := range colls {
		db.SetValue(42, []byte(c.key), c.v, 0, false)
	}
	db.SetValue(42, []byte("small"), small, 0, false)
	db.SetValue(42, []byte("smallhash"), smallHash, 0, false)
	db.SetString(42, []byte("str"), []byte("v"), 0, false)
	e.UnlockSlot(42)

	var stop atomic.Bool
	var wg sync.WaitGroup
	for _, c := range colls {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for round := 0; !stop.Load() || round < 2; round++ {
				for _, add := range []bool{true, false} {
					for _, m := range members {
						e.LockSlot(42)
						c.fill(m, add)
						e.UnlockSlot(42)
					}
				}
			}
		}()
	}
	for i := 0; i < 200; i++ {
		for _, k := range []string{"set", "hash", "zset", "small", "smallhash", "str", "absent"} {
			db.PrefetchMembers(at(k), members[i%big:min(big, i%big+PrefetchMax+5)])
		}
	}
	for _, k := range []string{"small", "smallhash", "str", "absent"} {
		if db.PrefetchMembers(at(k), members[:PrefetchMax]) {
			t.Errorf("%s: PrefetchMembers reported it prefetched", k)
		}
	}
	stop.Store(true)
	wg.Wait()

	digest := func(key string, v Value) Digest {
		e.LockSlot(42)
		defer e.UnlockSlot(42)
		return KeyDigest([]byte(key), nil, v)
	}
	for _, c := range colls {
		e.LockSlot(42)
		for _, m := range members {
			c.fill(m, true)
		}
		e.UnlockSlot(42)
		before := digest(c.key, c.v)
		if !db.PrefetchMembers(at(c.key), members) {
			t.Errorf("%s: PrefetchMembers did not prefetch", c.key)
		}
		if after := digest(c.key, c.v); after != before {
			t.Errorf("%s: PrefetchMembers changed the value", c.key)
		}
		if enc := c.v.(interface{ Encoding() string }).Encoding(); enc != "hashtable" && enc != "skiplist" {
			t.Errorf("%s: encoding %s, want the large one (the test would prefetch nothing)", c.key, enc)
		}
	}
}
