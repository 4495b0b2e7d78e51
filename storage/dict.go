package storage

import (
	"hash/maphash"
	"math/bits"
	"unsafe"
)

// dictSeed hashes the members of collection values. Set once at start, never changed.
var dictSeed = maphash.MakeSeed()

// Dict is a hash table from byte-string keys to V, chained, with a power-of-two bucket
// count (grown at load 1, shrunk at load 1/8). Its Scan cursor follows Redis's
// reverse-binary order, so HSCAN/SSCAN/ZSCAN return every element present for a whole
// iteration even when the table is resized in between. The hashtable encodings of hashes,
// sets and sorted sets are built on it. Not safe for concurrent use.
type Dict[V any] struct {
	buckets []*dictEntry[V]
	count   int
}

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

func (d *Dict[V]) find(key []byte) **dictEntry[V] {
	if len(d.buckets) == 0 {
		return nil
	}
	p := &d.buckets[dictHash(key)&uint64(len(d.buckets)-1)]
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
	if len(d.buckets) > 0 {
		for e := d.buckets[h&uint64(len(d.buckets)-1)]; e != nil; e = e.next {
			if e.key == string(key) {
				return e, "", false
			}
		}
	}
	if d.count >= len(d.buckets) {
		d.resize(max(minBuckets, 2*len(d.buckets)))
	}
	b := &d.buckets[h&uint64(len(d.buckets)-1)]
	e, xs = newDictEntry[V](key, extra)
	e.next = *b
	*b = e
	d.count++
	return e, xs, true
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
	if len(d.buckets) > minBuckets && d.count < len(d.buckets)/8 {
		d.resize(len(d.buckets) / 2)
	}
	return e.val, true
}

func (d *Dict[V]) resize(n int) {
	nb := make([]*dictEntry[V], n)
	for _, e := range d.buckets {
		for e != nil {
			next := e.next
			b := dictHash(sbytes(e.key)) & uint64(n-1)
			e.next = nb[b]
			nb[b] = e
			e = next
		}
	}
	d.buckets = nb
}

// Each calls fn for every element until fn returns false. fn must not change d.
func (d *Dict[V]) Each(fn func(key string, v V) bool) {
	for _, e := range d.buckets {
		for ; e != nil; e = e.next {
			if !fn(e.key, e.val) {
				return
			}
		}
	}
}

// Scan visits one bucket from cursor and returns the next cursor (0: done), with
// Redis's guarantee (see Dict). fn must not change d.
func (d *Dict[V]) Scan(cursor uint64, fn func(key string, v V)) uint64 {
	if len(d.buckets) == 0 {
		return 0
	}
	mask := uint64(len(d.buckets) - 1)
	for e := d.buckets[cursor&mask]; e != nil; e = e.next {
		fn(e.key, e.val)
	}
	cursor |= ^mask
	return bits.Reverse64(bits.Reverse64(cursor) + 1)
}

// Random returns a random element (rnd(n) returns a uniform int in [0, n)); ok is false
// when d is empty. Like Redis's dictGetRandomKey it picks a random non-empty bucket, then
// a random element of its chain.
func (d *Dict[V]) Random(rnd func(n int) int) (key string, v V, ok bool) {
	if d.count == 0 {
		return "", v, false
	}
	for {
		e := d.buckets[rnd(len(d.buckets))]
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
