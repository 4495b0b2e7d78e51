package storage

import (
	"sync/atomic"
	"unsafe"
)

// PrefetchMax is the most keys one Prefetch call looks at.
const PrefetchMax = 32

// KeyAt is a key and its slot, for Prefetch.
type KeyAt struct {
	Slot int
	Key  []byte
}

// Prefetch loads into the CPU's cache, without taking any stripe, the memory that
// lookups of keys in db will read: each key's stripe, its slot's table, the bucket and
// the first entry in it (and that entry's boxed value). It changes nothing and may be
// stale; it only makes the lookups that follow cheaper. A pipelined batch of commands
// on random keys otherwise waits for its cache misses one after another; here the
// misses of all its keys are in flight together. Only the first PrefetchMax keys count.
//
// It reads tables that writers change under their stripes, so its reads are atomic and
// it follows the publication protocol of setBuckets; entries reached this way stay
// alive (garbage collection) but may be unlinked meanwhile, which does not matter for
// a hint. Under the race detector it does nothing (its reads race by design).
func (db *DB) Prefetch(keys []KeyAt) {
	if !prefetchOn || len(keys) < 2 {
		return
	}
	keys = keys[:min(len(keys), PrefetchMax)]
	var (
		ts   [PrefetchMax]*table
		hs   [PrefetchMax]uint64
		sink uint64
	)
	ks := db.data()
	// Each pass issues one independent load per key, so a pass costs about one cache
	// miss, not one per key.
	for i, k := range keys {
		ts[i], hs[i] = &ks.slots[k.Slot], db.e.hash(k.Key)
		sink += uint64(db.e.stripes[StripeOf(k.Slot)].hits.Load())
	}
	var (
		heads [PrefetchMax]unsafe.Pointer
		ens   [PrefetchMax]*entry
	)
	for i := range keys {
		if b, n := ts[i].loadBuckets(); n > 0 {
			heads[i] = unsafe.Add(b, uintptr(hs[i]&uint64(n-1))*unsafe.Sizeof(ens[0]))
		}
	}
	for i := range keys {
		if heads[i] != nil {
			ens[i] = (*entry)(atomic.LoadPointer((*unsafe.Pointer)(heads[i])))
		}
	}
	for i := range keys {
		if en := ens[i]; en != nil {
			sink += uint64(atomic.LoadUint32(&en.lru))
			if o := (*object)(atomic.LoadPointer((*unsafe.Pointer)(unsafe.Pointer(&en.obj)))); o != nil {
				sink += uint64(atomic.LoadInt64(&o.acct))
			}
		}
	}
	prefetchSink.Store(sink)
}

// prefetchSink receives a value computed from every load of Prefetch, so none of them
// is optimized away.
var prefetchSink atomic.Uint64

// bucketsHeader is the memory layout of t.buckets (a slice header).
type bucketsHeader struct {
	data unsafe.Pointer
	len  uintptr
	cap  uintptr
}

// setBuckets makes nb t's buckets. Readers holding the stripe see a plain slice; for
// loadBuckets, which holds no lock, the words are published in an order that lets it
// tell a consistent pair: the array pointer is cleared first, then the length set, then
// the pointer to the new array stored. Caller holds t's stripe.
func (t *table) setBuckets(nb []*entry) {
	h := (*bucketsHeader)(unsafe.Pointer(&t.buckets))
	atomic.StorePointer(&h.data, nil)
	atomic.StoreUintptr(&h.len, uintptr(len(nb)))
	atomic.StoreUintptr(&h.cap, uintptr(cap(nb)))
	atomic.StorePointer(&h.data, unsafe.Pointer(unsafe.SliceData(nb)))
}

// loadBuckets returns t's bucket array and its length without the stripe, or n = 0
// when it cannot tell them reliably (a resize in progress). The pointer, read before
// and after the length, is the same only if no resize began in between — a new array
// is a new allocation, kept alive while held here, so it cannot come back — except for
// the inline array, which every table reuses and whose length is fixed.
func (t *table) loadBuckets() (b unsafe.Pointer, n int) {
	h := (*bucketsHeader)(unsafe.Pointer(&t.buckets))
	p1 := atomic.LoadPointer(&h.data)
	l := atomic.LoadUintptr(&h.len)
	p2 := atomic.LoadPointer(&h.data)
	switch {
	case p1 == nil || p1 != p2:
		return nil, 0
	case p1 == unsafe.Pointer(&t.inline):
		return p1, inlineBuckets
	}
	return p1, int(l)
}

// PrefetchMembers loads into the CPU's cache what lookups of members in the collection
// stored at k will read: for a set, hash or sorted set in its hashtable encoding, each
// member's bucket and the first entry in it. A pipeline of SADD, HSET, ZADD … on one
// large collection otherwise waits for those misses one command after another. It
// changes nothing; it takes k's stripe for the moment it reads (so the caller must hold
// none), and does nothing when k is absent, holds another type, a small encoding or
// fewer than PrefetchMinMembers members (which the CPU's cache likely holds anyway). It
// reports whether it prefetched. Only the first PrefetchMax members count.
func (db *DB) PrefetchMembers(k KeyAt, members [][]byte) bool {
	if len(members) < 2 {
		return false
	}
	members = members[:min(len(members), PrefetchMax)]
	db.e.LockSlot(k.Slot)
	defer db.e.UnlockSlot(k.Slot)
	if en, _ := db.data().slots[k.Slot].find(db.e.hash(k.Key), k.Key); en != nil && en.obj != nil {
		switch v := en.obj.v.(type) {
		case *Set:
			return prefetchLarge(v.ht, members)
		case *Hash:
			return prefetchLarge(v.ht, members)
		case *ZSet:
			return v.tr != nil && prefetchLarge(v.tr.dict, members)
		}
	}
	return false
}

// prefetchLarge is d.prefetch when d (nil: a small encoding) has PrefetchMinMembers
// members or more; it reports whether it ran.
func prefetchLarge[V any](d *Dict[V], members [][]byte) bool {
	if d == nil || d.count < PrefetchMinMembers {
		return false
	}
	prefetchSink.Store(d.prefetch(members))
	return true
}

// PrefetchMinKeys is the fewest keys a database should hold for Prefetch to pay off:
// a smaller keyspace, and the slot tables it uses, the CPU's cache likely holds anyway
// (GET -P 16 on 3,500 keys cost 10% less CPU without it, on 30,000 the same).
const PrefetchMinKeys = 1 << 14

// PrefetchMinMembers is the fewest members a collection must have for PrefetchMembers
// to prefetch them.
const PrefetchMinMembers = 4096

// prefetch loads the bucket of each key and the first entry in it (in both arrays while
// a resize is in progress), in passes of independent loads (a pass costs about one cache
// miss, not one per key). At most PrefetchMax keys.
func (d *Dict[V]) prefetch(keys [][]byte) (sink uint64) {
	if len(d.buckets) == 0 {
		return 0
	}
	keys = keys[:min(len(keys), PrefetchMax)]
	var hs [PrefetchMax]uint64
	for i, k := range keys {
		hs[i] = dictHash(k)
	}
	for _, bs := range [2][]*dictEntry[V]{d.buckets, d.old} {
		if len(bs) == 0 {
			continue
		}
		var es [PrefetchMax]*dictEntry[V]
		for i := range keys {
			es[i] = bs[hs[i]&uint64(len(bs)-1)]
		}
		for _, e := range es[:len(keys)] {
			if e != nil && len(e.key) > 0 {
				sink += uint64(e.key[len(e.key)-1])
			}
		}
	}
	return sink
}
