package storage

import (
	"hash/maphash"
	"math/bits"
	"unsafe"
)

// dictSeed hashes the members of collection values. Set once at start, never changed.
var dictSeed = maphash.MakeSeed()

// Dict is a hash table from byte-string keys to V, chained, with a power-of-two bucket
// count (grown at load 1, shrunk at load 1/8). Like Redis's dict it resizes
// incrementally: a resize allocates the new bucket array, and each change after it
// (add, delete) moves a few buckets of the old array over until none is left, so no
// single command pays for rehashing a large collection (a million-member hash would
// otherwise stop the server for tens of milliseconds). Lookups meanwhile look in both
// arrays and move nothing, so a lookup during Each is safe. Its Scan cursor follows
// Redis's reverse-binary order, so HSCAN/SSCAN/ZSCAN return every element present for a
// whole iteration even when the table is resized in between. The hashtable encodings of
// hashes, sets and sorted sets are built on it. Not safe for concurrent use.
type Dict[V any] struct {
	buckets []*dictEntry[V] // where elements are added
	// old, while a resize is in progress, is the previous bucket array: its buckets
	// before moved are empty (moved to buckets), the rest still hold their chains.
	old   []*dictEntry[V]
	moved int
	count int
}

// dictRehashBuckets is how many buckets of the old array each change moves while a
// resize is in progress (Redis's _dictRehashStep moves one): a resize then completes
// well before the next one is due, and the moves of one step overlap their cache misses.
const dictRehashBuckets = 8

// dictEntry is one element. val comes first: a zero-size V (sets) then costs no padding.
// key usually views bytes inline after the entry, in its own allocation (newDictEntry).
type dictEntry[V any] struct {
	val  V
	next *dictEntry[V]
	key  string
}

// NewDict returns an empty dict sized for about hint elements.
func NewDict[V any](hint int) *Dict[V] {
	n := minBuckets
	for n < hint {
		n *= 2
	}
	return &Dict[V]{buckets: make([]*dictEntry[V], n)}
}

func dictHash(key []byte) uint64 { return maphash.Bytes(dictSeed, key) }

func sbytes(s string) []byte { return unsafe.Slice(unsafe.StringData(s), len(s)) }

// Len is the number of elements.
func (d *Dict[V]) Len() int { return d.count }

func (d *Dict[V]) find(key []byte) **dictEntry[V] { return d.findHashed(key, dictHash(key)) }

// findHashed is find for a key that hashes to h.
func (d *Dict[V]) findHashed(key []byte, h uint64) **dictEntry[V] {
	if len(d.buckets) == 0 {
		return nil
	}
	if d.old != nil {
		if i := int(h & uint64(len(d.old)-1)); i >= d.moved {
			if p := findIn(&d.old[i], key); p != nil {
				return p
			}
		}
	}
	return findIn(&d.buckets[h&uint64(len(d.buckets)-1)], key)
}

// findIn returns the link to key's entry in the chain at p, or nil.
func findIn[V any](p **dictEntry[V], key []byte) **dictEntry[V] {
	for e := *p; e != nil; e = *p {
		if e.key == string(key) {
			return p
		}
		p = &e.next
	}
	return nil
}

// Get returns key's value.
func (d *Dict[V]) Get(key []byte) (V, bool) {
	if p := d.find(key); p != nil {
		return (*p).val, true
	}
	var zero V
	return zero, false
}

// Ptr returns a pointer to key's value (valid until the next change), or nil.
func (d *Dict[V]) Ptr(key []byte) *V {
	if p := d.find(key); p != nil {
		return &(*p).val
	}
	return nil
}

// Set stores v under a copy of key; it reports whether key was new.
func (d *Dict[V]) Set(key []byte, v V) bool {
	e, _, isNew := d.upsert(key, nil)
	e.val = v
	return isNew
}

// Upsert returns a pointer to key's value (valid until the next change), adding key (a
// copy) with the zero value first when it is absent (isNew). One hash, one chain walk.
func (d *Dict[V]) Upsert(key []byte) (v *V, isNew bool) {
	e, _, isNew := d.upsert(key, nil)
	return &e.val, isNew
}

// upsert finds key's entry, or adds one for a copy of key when it is absent (isNew):
// then extra is copied next to the key, in the same allocation, and xs views that copy
// (for the caller to keep in the value).
func (d *Dict[V]) upsert(key, extra []byte) (e *dictEntry[V], xs string, isNew bool) {
	h := dictHash(key)
	if p := d.findHashed(key, h); p != nil {
		return *p, "", false
	}
	e, xs = newDictEntry[V](key, extra)
	d.add(e, h)
	return e, xs, true
}

// add links e, whose key (hashing to h) is absent, into d: first a step of a resize in
// progress, or the start of one when d is full.
func (d *Dict[V]) add(e *dictEntry[V], h uint64) {
	if d.old != nil {
		d.rehashStep()
	} else if d.count >= len(d.buckets) {
		d.resize(max(minBuckets, 2*len(d.buckets)))
	}
	b := &d.buckets[h&uint64(len(d.buckets)-1)]
	e.next = *b
	*b = e
	d.count++
}

// newDictEntry allocates an entry holding a copy of key followed by a copy of extra
// (viewed by xs). When they are short the bytes are inline, in the entry's own
// allocation (one allocation, and a lookup touches one object); otherwise they take one
// separate allocation.
func newDictEntry[V any](key, extra []byte) (e *dictEntry[V], xs string) {
	var p unsafe.Pointer
	switch n := len(key) + len(extra); {
	case n == 0:
		return &dictEntry[V]{}, ""
	case n <= 8:
		e, p = inlineDictEntry[V, [8]byte]()
	case n <= 16:
		e, p = inlineDictEntry[V, [16]byte]()
	case n <= 24:
		e, p = inlineDictEntry[V, [24]byte]()
	case n <= 32:
		e, p = inlineDictEntry[V, [32]byte]()
	case n <= 40:
		e, p = inlineDictEntry[V, [40]byte]()
	case n <= 48:
		e, p = inlineDictEntry[V, [48]byte]()
	case n <= 64:
		e, p = inlineDictEntry[V, [64]byte]()
	case n <= 80:
		e, p = inlineDictEntry[V, [80]byte]()
	case n <= 96:
		e, p = inlineDictEntry[V, [96]byte]()
	case n <= dictInlineMax:
		e, p = inlineDictEntry[V, [dictInlineMax]byte]()
	default:
		e, p = &dictEntry[V]{}, unsafe.Pointer(unsafe.SliceData(make([]byte, n)))
	}
	buf := unsafe.Slice((*byte)(p), len(key)+len(extra))
	copy(buf, key)
	copy(buf[len(key):], extra)
	e.key = unsafe.String((*byte)(p), len(key))
	if len(extra) > 0 {
		xs = unsafe.String(&buf[len(key)], len(extra))
	}
	return e, xs
}

// dictInlineMax is the most key+extra bytes newDictEntry puts inline.
const dictInlineMax = 128

// inlineDictEntry allocates an entry with the inline room A after it.
func inlineDictEntry[V, A any]() (*dictEntry[V], unsafe.Pointer) {
	x := new(struct {
		e dictEntry[V]
		b A
	})
	return &x.e, unsafe.Pointer(&x.b)
}

// dictBytesMem estimates the bytes newDictEntry allocates for n bytes of key and extra
// beyond a bare entry (whose size dictMem counts).
func dictBytesMem[V any](n int) int64 {
	base := int64(unsafe.Sizeof(dictEntry[V]{}))
	switch {
	case n == 0:
		return 0
	case n <= dictInlineMax:
		return (base+int64(n)+15)&^15 - (base+15)&^15
	}
	return allocSize(n)
}

// Delete removes key, returning its value.
func (d *Dict[V]) Delete(key []byte) (V, bool) {
	p := d.find(key)
	if p == nil {
		var zero V
		return zero, false
	}
	e := *p
	*p = e.next
	d.count--
	if d.count == 0 && (d.old != nil || len(d.buckets) > minBuckets) {
		d.buckets, d.old, d.moved = make([]*dictEntry[V], minBuckets), nil, 0
	} else if d.old != nil {
		d.rehashStep()
	} else if len(d.buckets) > minBuckets && d.count < len(d.buckets)/8 {
		d.resize(len(d.buckets) / 2)
	}
	return e.val, true
}

// resize starts moving d's elements to a new array of n buckets (see Dict). None may be
// in progress.
func (d *Dict[V]) resize(n int) {
	if d.count == 0 {
		d.buckets = make([]*dictEntry[V], n)
		return
	}
	d.old, d.moved = d.buckets, 0
	d.buckets = make([]*dictEntry[V], n)
	d.rehashStep()
}

// rehashStep moves the next dictRehashBuckets buckets of the old array to the new one,
// and ends the resize once the old array is empty. The chains' first entries are
// read, hashed and their new buckets found in passes of independent loads, so the step
// waits for a few cache misses rather than one per chain.
func (d *Dict[V]) rehashStep() {
	end := min(d.moved+dictRehashBuckets, len(d.old))
	seg := d.old[d.moved:end]
	mask := uint64(len(d.buckets) - 1)
	var sink uint64
	for _, e := range seg {
		if e != nil && len(e.key) > 0 {
			sink += uint64(e.key[len(e.key)-1])
		}
	}
	var hs [dictRehashBuckets]uint64
	for i, e := range seg {
		if e != nil {
			hs[i] = dictHash(sbytes(e.key)) & mask
			sink += uint64(uintptr(unsafe.Pointer(d.buckets[hs[i]])))
		}
	}
	prefetchSink.Store(sink)
	for i, e := range seg {
		for h := hs[i]; e != nil; {
			next := e.next
			b := &d.buckets[h]
			e.next = *b
			*b = e
			if e = next; e != nil {
				h = dictHash(sbytes(e.key)) & mask
			}
		}
		seg[i] = nil
	}
	if d.moved = end; d.moved == len(d.old) {
		d.old, d.moved = nil, 0
	}
}

// Each calls fn for every element until fn returns false. fn must not change d.
func (d *Dict[V]) Each(fn func(key string, v V) bool) {
	for _, bs := range [2][]*dictEntry[V]{d.old, d.buckets} {
		for _, e := range bs {
			for ; e != nil; e = e.next {
				if !fn(e.key, e.val) {
					return
				}
			}
		}
	}
}

// Scan visits the elements at cursor and returns the next cursor (0: done), with
// Redis's guarantee (see Dict). fn must not change d. While a resize is in progress it
// visits, as Redis's dictScan, the cursor's bucket in the smaller array and every bucket
// of the larger one that bucket expands to.
func (d *Dict[V]) Scan(cursor uint64, fn func(key string, v V)) uint64 {
	if len(d.buckets) == 0 {
		return 0
	}
	visit := func(e *dictEntry[V]) {
		for ; e != nil; e = e.next {
			fn(e.key, e.val)
		}
	}
	small, large := d.buckets, d.old
	if large == nil {
		m := uint64(len(small) - 1)
		visit(small[cursor&m])
		return bits.Reverse64(bits.Reverse64(cursor|^m) + 1)
	}
	if len(small) > len(large) {
		small, large = large, small
	}
	m0, m1 := uint64(len(small)-1), uint64(len(large)-1)
	visit(small[cursor&m0])
	for {
		visit(large[cursor&m1])
		cursor = bits.Reverse64(bits.Reverse64(cursor|^m1) + 1)
		if cursor&(m0^m1) == 0 {
			return cursor
		}
	}
}

// Random returns a random element (rnd(n) returns a uniform int in [0, n)); ok is false
// when d is empty. Like Redis's dictGetRandomKey it picks a random non-empty bucket (of
// either array while a resize is in progress), then a random element of its chain.
func (d *Dict[V]) Random(rnd func(n int) int) (key string, v V, ok bool) {
	if d.count == 0 {
		return "", v, false
	}
	for {
		i := rnd(len(d.old) + len(d.buckets))
		var e *dictEntry[V]
		if i < len(d.old) {
			e = d.old[i]
		} else {
			e = d.buckets[i-len(d.old)]
		}
		if e == nil {
			continue
		}
		n := 0
		for x := e; x != nil; x = x.next {
			n++
		}
		for i := rnd(n); i > 0; i-- {
			e = e.next
		}
		return e.key, e.val, true
	}
}

// Clone returns a copy of d (values copied with cp, or as they are when cp is nil).
func (d *Dict[V]) Clone(cp func(V) V) *Dict[V] {
	out := NewDict[V](d.count)
	d.Each(func(k string, v V) bool {
		if cp != nil {
			v = cp(v)
		}
		out.Set(sbytes(k), v)
		return true
	})
	return out
}
