package storage

import (
	"fmt"
	"math/rand/v2"
	"testing"
)

// BenchmarkPipelinedGets looks up batches of 16 random keys among 1,000,000, as a
// pipelined batch of GETs does, with and without Prefetch first (ns/op is per key).
func BenchmarkPipelinedGets(b *testing.B) {
	e := New(Options{})
	db := e.DB(0).ForWrite()
	const n, batch = 1_000_000, 16
	keys := make([]KeyAt, n)
	for i := range keys {
		k := []byte(fmt.Sprintf("key:%012d", i))
		keys[i] = KeyAt{i % SlotCount, k}
		db.SetString(keys[i].Slot, k, []byte("xxx"), 0, false)
	}
	rd := db.ForRead()
	for _, pre := range []bool{false, true} {
		b.Run(fmt.Sprintf("prefetch=%t", pre), func(b *testing.B) {
			rng := rand.New(rand.NewPCG(1, 2))
			var l LockSet
			var sel [batch]KeyAt
			for i := 0; i < b.N; i += batch {
				for j := range sel {
					sel[j] = keys[rng.IntN(n)]
				}
				if pre {
					rd.Prefetch(sel[:])
				}
				for _, k := range sel {
					l.Reset()
					l.AddSlot(k.Slot)
					e.Lock(&l)
					if _, ok, _ := rd.GetString(k.Slot, k.Key); !ok {
						b.Fatal("missing key")
					}
					e.Unlock(&l)
				}
			}
		})
	}
}
