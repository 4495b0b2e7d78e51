package storage

import (
	"encoding/binary"
	"unsafe"
)

// Hash is a hash value: fields mapped to values, both byte strings.
//
// Encodings, as Redis 7.0's:
//   - "listpack": while the hash has at most hash-max-listpack-entries fields and no
//     field or value longer than hash-max-listpack-value bytes, it is one byte slice of
//     length-prefixed entries, field then value, in insertion order (a field that is
//     overwritten keeps its place). Lookups are linear, as in Redis, over a few dozen
//     bytes per field; the overhead is one or two bytes per string.
//   - "hashtable": a Dict from field to value, once a threshold was crossed. A hash is
//     never converted back, even if it shrinks.
//
// The thresholds are read from the *Limits passed to Set at each change. Byte slices a
// Hash returns alias its storage: valid until its next change.
type Hash struct {
	lp    []byte        // listpack encoding: uvarint(len) bytes, field then value, …
	n     int           // fields in lp
	ht    *Dict[string] // hashtable encoding; lp is nil once it is set
	bytes int64         // hashtable: allocated bytes of fields and values (for Mem)
}

var _ Value = (*Hash)(nil)

// NewHash returns an empty listpack-encoded hash.
func NewHash() *Hash { return &Hash{} }

func (h *Hash) Type() Type { return TypeHash }

// Encoding is "listpack" or "hashtable".
func (h *Hash) Encoding() string {
	if h.ht != nil {
		return "hashtable"
	}
	return "listpack"
}

// Mem estimates the bytes the hash takes.
func (h *Hash) Mem() int64 {
	const header = 64 // the Hash itself
	if h.ht != nil {
		return header + dictMem[string](h.ht.Len()) + h.bytes
	}
	return header + int64(cap(h.lp))
}

// Clone returns a deep copy.
func (h *Hash) Clone() Value {
	out := &Hash{n: h.n, bytes: h.bytes}
	if h.ht != nil {
		out.ht, out.bytes = NewDict[string](h.ht.Len()), 0
		h.ht.Each(func(k, v string) bool {
			out.htSet(out.ht, sbytes(k), sbytes(v))
			return true
		})
	} else {
		out.lp = append([]byte(nil), h.lp...)
	}
	return out
}

// Len is the number of fields.
func (h *Hash) Len() int {
	if h.ht != nil {
		return h.ht.Len()
	}
	return h.n
}

// lpEntry decodes the listpack string starting at off: its bytes and the offset after.
func lpEntry(lp []byte, off int) (b []byte, next int) {
	n, k := uint64(lp[off]), 1
	if n >= 0x80 {
		n, k = binary.Uvarint(lp[off:])
	}
	start := off + k
	end := start + int(n)
	return lp[start:end:end], end
}

// lpPut appends the listpack string b.
func lpPut(lp, b []byte) []byte {
	lp = binary.AppendUvarint(lp, uint64(len(b)))
	return append(lp, b...)
}

// lpFind returns the offsets of field's entry and of its value's entry, and the offset
// after the value, or ok false.
func (h *Hash) lpFind(field []byte) (fieldOff, valOff, end int, ok bool) {
	for off := 0; off < len(h.lp); {
		f, voff := lpEntry(h.lp, off)
		_, next := lpEntry(h.lp, voff)
		if string(f) == string(field) {
			return off, voff, next, true
		}
		off = next
	}
	return 0, 0, 0, false
}

// splice replaces b[i:j] with the concatenation of parts, in place when it fits.
func splice(b []byte, i, j int, parts ...[]byte) []byte {
	n := 0
	for _, p := range parts {
		n += len(p)
	}
	old := len(b)
	delta := n - (j - i)
	if delta > 0 {
		b = append(b, make([]byte, delta)...)
	}
	copy(b[i+n:], b[j:old])
	if delta < 0 {
		b = b[:old+delta]
	}
	for _, p := range parts {
		i += copy(b[i:], p)
	}
	return b
}

// Get returns field's value (aliasing the hash).
func (h *Hash) Get(field []byte) ([]byte, bool) {
	if h.ht != nil {
		v, ok := h.ht.Get(field)
		return sbytes(v), ok
	}
	_, voff, _, ok := h.lpFind(field)
	if !ok {
		return nil, false
	}
	v, _ := lpEntry(h.lp, voff)
	return v, true
}

// Exists reports whether field is set.
func (h *Hash) Exists(field []byte) bool {
	_, ok := h.Get(field)
	return ok
}

// Set stores value under field (both copied) and reports whether the field is new. A
// listpack hash is converted to a hashtable first when field or value is longer than
// hash-max-listpack-value, and after the change when it has more fields than
// hash-max-listpack-entries (Redis's hashTypeSet).
func (h *Hash) Set(field, value []byte, l *Limits) bool {
	if h.ht == nil {
		maxv := l.HashMaxListpackValue.Load()
		if int64(len(field)) > maxv || int64(len(value)) > maxv {
			h.convert()
		} else {
			created := h.lpSet(field, value)
			if int64(h.n) > l.HashMaxListpackEntries.Load() {
				h.convert()
			}
			return created
		}
	}
	return h.htSet(h.ht, field, value)
}

// htSet stores value under field in d, a new field's value in the same allocation as
// the field, and keeps h.bytes. It reports whether field is new.
func (h *Hash) htSet(d *Dict[string], field, value []byte) bool {
	e, xs, isNew := d.upsert(field, value)
	if isNew {
		e.val = xs
		h.bytes += hashPairMem(len(field), len(value))
		return true
	}
	if len(value) == len(e.val) && len(value) > 0 &&
		unsafe.Pointer(unsafe.StringData(e.val)) == unsafe.Add(unsafe.Pointer(unsafe.StringData(e.key)), len(e.key)) {
		// The value is the copy upsert put after the field: the entry owns those bytes
		// alone, and the slices handed out are valid only until the next change, so
		// overwrite them in place.
		copy(unsafe.Slice(unsafe.StringData(e.val), len(value)), value)
		return false
	}
	h.bytes += hashPairMem(len(field), len(value)) - hashPairMem(len(field), len(e.val))
	e.val = string(value)
	return false
}

// hashPairMem estimates the bytes a hashtable field and value take beyond their entry.
func hashPairMem(flen, vlen int) int64 { return dictBytesMem[string](flen + vlen) }

func (h *Hash) lpSet(field, value []byte) bool {
	if _, voff, end, ok := h.lpFind(field); ok {
		var hdr [binary.MaxVarintLen64]byte
		h.lp = splice(h.lp, voff, end, binary.AppendUvarint(hdr[:0], uint64(len(value))), value)
		return false
	}
	h.lp = lpPut(lpPut(h.lp, field), value)
	h.n++
	return true
}

// convert moves a listpack hash into a hashtable.
func (h *Hash) convert() {
	d := NewDict[string](h.n)
	h.bytes = 0
	h.lpEach(func(f, v []byte) bool {
		h.htSet(d, f, v)
		return true
	})
	h.ht, h.lp, h.n = d, nil, 0
}

// Delete removes field and reports whether it was set. The caller removes the key when
// the hash becomes empty.
func (h *Hash) Delete(field []byte) bool {
	if h.ht != nil {
		old, ok := h.ht.Delete(field)
		if ok {
			h.bytes -= hashPairMem(len(field), len(old))
		}
		return ok
	}
	off, _, end, ok := h.lpFind(field)
	if !ok {
		return false
	}
	h.lp = splice(h.lp, off, end)
	h.n--
	return true
}

func (h *Hash) lpEach(fn func(field, value []byte) bool) {
	for off := 0; off < len(h.lp); {
		f, voff := lpEntry(h.lp, off)
		v, next := lpEntry(h.lp, voff)
		if !fn(f, v) {
			return
		}
		off = next
	}
}

// Each calls fn for every field and value (listpack: in insertion order) until fn
// returns false. fn must not change the hash.
func (h *Hash) Each(fn func(field, value []byte) bool) {
	if h.ht != nil {
		h.ht.Each(func(k, v string) bool { return fn(sbytes(k), sbytes(v)) })
		return
	}
	h.lpEach(fn)
}

// Scan visits part of the hash from cursor and returns the next cursor (0: done), as
// HSCAN: a listpack hash is visited whole in one call, a hashtable one bucket at a time
// with Dict's guarantees. fn must not change the hash.
func (h *Hash) Scan(cursor uint64, fn func(field, value []byte)) uint64 {
	if h.ht != nil {
		return h.ht.Scan(cursor, func(k, v string) { fn(sbytes(k), sbytes(v)) })
	}
	h.lpEach(func(f, v []byte) bool {
		fn(f, v)
		return true
	})
	return 0
}

// lpOffsets returns the offset of every field of a listpack hash, for random access.
func (h *Hash) lpOffsets() []int32 {
	offs := make([]int32, 0, h.n)
	for off := 0; off < len(h.lp); {
		offs = append(offs, int32(off))
		_, voff := lpEntry(h.lp, off)
		_, off = lpEntry(h.lp, voff)
	}
	return offs
}

func (h *Hash) lpPairAt(off int32) (field, value []byte) {
	f, voff := lpEntry(h.lp, int(off))
	v, _ := lpEntry(h.lp, voff)
	return f, v
}

// Random returns a random field and its value; ok is false when the hash is empty.
func (h *Hash) Random(rnd func(int) int) (field, value []byte, ok bool) {
	found := false
	h.RandomPairs(1, rnd, func(f, v []byte) bool {
		field, value, found = f, v, true
		return false
	})
	return field, value, found
}

// RandomPairs calls fn count times with a field and value chosen at random, repetitions
// allowed (HRANDFIELD with a negative count), until fn returns false.
func (h *Hash) RandomPairs(count int, rnd func(int) int, fn func(field, value []byte) bool) {
	if h.Len() == 0 {
		return
	}
	if h.ht != nil {
		for range count {
			k, v, _ := h.ht.Random(rnd)
			if !fn(sbytes(k), sbytes(v)) {
				return
			}
		}
		return
	}
	offs := h.lpOffsets()
	for range count {
		if !fn(h.lpPairAt(offs[rnd(len(offs))])) {
			return
		}
	}
}

// SamplePairs calls fn with count distinct fields (and their values) chosen at random,
// 0 < count < Len, until fn returns false (HRANDFIELD with a positive count).
func (h *Hash) SamplePairs(count int, rnd func(int) int, fn func(field, value []byte) bool) {
	if h.ht != nil {
		sampleDict(h.ht, count, rnd, func(k, v string) bool { return fn(sbytes(k), sbytes(v)) })
		return
	}
	offs := h.lpOffsets()
	sampleIndices(len(offs), count, rnd, func(i int) bool { return fn(h.lpPairAt(offs[i])) })
}
