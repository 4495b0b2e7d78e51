//go:build !race

package storage

import (
	"fmt"
	"math/bits"
	"sync"
	"sync/atomic"
	"testing"
	"time"
	"unsafe"
)

// TestPrefetchDuringResizes runs Prefetch, and loadBuckets directly, on slots whose
// tables writers keep growing from the inline buckets to heap arrays and shrinking back.
// Prefetch reads without the stripes, so this runs without the race detector (which
// would report those reads; Prefetch is off under it).
func TestPrefetchDuringResizes(t *testing.T) {
	e := New(Options{})
	db := e.DB(0).ForWrite()
	const perSlot = 300
	slotNums := []int{7, 1031, SlotCount - 1} // 7 and 1031 share a stripe
	keys := make([]KeyAt, 0, len(slotNums)*perSlot)
	for _, slot := range slotNums {
		for i := 0; i < perSlot; i++ {
			keys = append(keys, KeyAt{slot, []byte(fmt.Sprintf("%d:%d", slot, i))})
		}
	}
	var stop atomic.Bool
	var resizes atomic.Int64
	var wg sync.WaitGroup
	for w, slot := range slotNums {
		ks := keys[w*perSlot : (w+1)*perSlot]
		wg.Add(1)
		go func() {
			defer wg.Done()
			for !stop.Load() {
				for _, k := range ks {
					e.LockSlot(slot)
					db.SetString(slot, k.Key, k.Key, 0, false)
					e.UnlockSlot(slot)
				}
				for _, k := range ks {
					e.LockSlot(slot)
					db.Delete(slot, k.Key)
					e.UnlockSlot(slot)
				}
				resizes.Add(1)
			}
		}()
	}
	deadline := time.Now().Add(time.Second)
	tables := make([]*table, len(slotNums))
	for i, slot := range slotNums {
		tables[i] = &db.data().slots[slot]
	}
	for time.Now().Before(deadline) || resizes.Load() < 20 {
		for i := 0; i+PrefetchMax <= len(keys); i += 7 {
			db.Prefetch(keys[i : i+PrefetchMax])
		}
		for _, tb := range tables {
			b, n := tb.loadBuckets()
			switch {
			case n == 0:
				if b != nil {
					t.Fatal("loadBuckets: an array without a length")
				}
			case bits.OnesCount(uint(n)) != 1 || n < minBuckets:
				t.Fatalf("loadBuckets: %d buckets", n)
			case b == unsafe.Pointer(&tb.inline) && n != inlineBuckets:
				t.Fatalf("loadBuckets: the inline array with %d buckets", n)
			}
		}
	}
	stop.Store(true)
	wg.Wait()
	if n := db.data().keys.Load(); n != 0 {
		t.Fatalf("%d keys left", n)
	}
}
