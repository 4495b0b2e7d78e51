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

type dictEntry[V any] struct {
	next *dictEntry[V]
	key  string
	val  V
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
	if p := d.find(key); p != nil {
		(*p).val = v
		return false
	}
	if d.count >= len(d.buckets) {
		d.resize(max(minBuckets, 2*len(d.buckets)))
	}
	b := dictHash(key) & uint64(len(d.buckets)-1)
	d.buckets[b] = &dictEntry[V]{next: d.buckets[b], key: string(key), val: v}
	d.count++
	return true
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
