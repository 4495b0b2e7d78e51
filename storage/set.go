package storage

import "strconv"

// Set is a set value: distinct byte strings.
//
// Encodings, as Redis 7.0's (which has no listpack sets):
//   - "intset": while every member is a canonical 64-bit integer (ParseInt) and there are
//     at most set-max-intset-entries of them, the members are packed sorted at the
//     smallest integer width that holds them all (see intset).
//   - "hashtable": a Dict of the members, once a threshold was crossed. A set is never
//     converted back.
//
// The thresholds are read from the *Limits passed to Add. Byte slices a Set hands out
// alias its storage or a scratch buffer: valid only as each method says.
type Set struct {
	ints  intset
	ht    *Dict[struct{}] // hashtable encoding; ints is empty once it is set
	bytes int64           // hashtable: allocated bytes of the members (for Mem)
}

var _ Iterable = (*Set)(nil)

// NewSet returns an empty intset-encoded set.
func NewSet() *Set { return &Set{} }

func (s *Set) Type() Type { return TypeSet }

// Encoding is "intset" or "hashtable".
func (s *Set) Encoding() string {
	if s.ht != nil {
		return "hashtable"
	}
	return "intset"
}

// Mem estimates the bytes the set takes.
func (s *Set) Mem() int64 {
	const header = 56 // the Set itself
	if s.ht != nil {
		return header + dictMem[struct{}](s.ht.Len()) + s.bytes
	}
	return header + int64(cap(s.ints.b))
}

// Clone returns a deep copy.
func (s *Set) Clone() Value {
	if s.ht != nil {
		return &Set{ht: s.ht.Clone(nil), bytes: s.bytes}
	}
	return &Set{ints: s.ints.clone()}
}

// Len is the number of members.
func (s *Set) Len() int {
	if s.ht != nil {
		return s.ht.Len()
	}
	return s.ints.len()
}

// IsIntset reports whether the set is intset-encoded (its members then come out of Each
// and Scan in ascending numeric order).
func (s *Set) IsIntset() bool { return s.ht == nil }

// Has reports whether m is a member.
func (s *Set) Has(m []byte) bool {
	if s.ht != nil {
		_, ok := s.ht.Get(m)
		return ok
	}
	v, ok := ParseInt(m)
	return ok && s.ints.has(v)
}

// maxIntsetEntries is set-max-intset-entries, capped at 2^30 as in Redis.
func maxIntsetEntries(l *Limits) int64 { return min(l.SetMaxIntsetEntries.Load(), 1<<30) }

// Add inserts m (copied) and reports whether it is new. An intset is converted to a
// hashtable when m is not a canonical integer, or when adding m makes it larger than
// set-max-intset-entries (Redis's setTypeAdd).
func (s *Set) Add(m []byte, l *Limits) bool {
	if s.ht == nil {
		if v, ok := ParseInt(m); ok {
			if !s.ints.add(v) {
				return false
			}
			if int64(s.ints.len()) > maxIntsetEntries(l) {
				s.convert()
			}
			return true
		}
		s.convert()
	}
	if s.ht.Set(m, struct{}{}) {
		s.bytes += dictBytesMem[struct{}](len(m))
		return true
	}
	return false
}

// convert moves an intset into a hashtable.
func (s *Set) convert() {
	n := s.ints.len()
	d := NewDict[struct{}](n + 1)
	var buf [20]byte
	s.bytes = 0
	for i := range n {
		b := strconv.AppendInt(buf[:0], s.ints.at(i), 10)
		d.Set(b, struct{}{})
		s.bytes += dictBytesMem[struct{}](len(b))
	}
	s.ht, s.ints = d, intset{}
}

// Remove deletes m and reports whether it was a member. The caller removes the key when
// the set becomes empty.
func (s *Set) Remove(m []byte) bool {
	if s.ht != nil {
		if _, ok := s.ht.Delete(m); ok {
			s.bytes -= dictBytesMem[struct{}](len(m))
			return true
		}
		return false
	}
	v, ok := ParseInt(m)
	return ok && s.ints.remove(v)
}

// Each calls fn for every member (intset: ascending) until fn returns false. elem is
// valid only during the call; fn must not change the set.
func (s *Set) Each(fn func(elem []byte) bool) {
	if s.ht != nil {
		s.ht.Each(func(k string, _ struct{}) bool { return fn(sbytes(k)) })
		return
	}
	var buf [20]byte
	for i := range s.ints.len() {
		if !fn(strconv.AppendInt(buf[:0], s.ints.at(i), 10)) {
			return
		}
	}
}

// Scan visits part of the set from cursor and returns the next cursor (0: done), as
// SSCAN: an intset is visited whole in one call, a hashtable one bucket at a time with
// Dict's guarantees. elem is valid only during the call; fn must not change the set.
func (s *Set) Scan(cursor uint64, fn func(elem []byte)) uint64 {
	if s.ht != nil {
		return s.ht.Scan(cursor, func(k string, _ struct{}) { fn(sbytes(k)) })
	}
	s.Each(func(elem []byte) bool {
		fn(elem)
		return true
	})
	return 0
}

// Random returns a random member (a new slice for an intset, else aliasing the set:
// valid until its next change), or nil when the set is empty.
func (s *Set) Random(rnd func(int) int) []byte {
	var out []byte
	s.RandomMembers(1, rnd, func(m []byte) bool {
		out = append([]byte(nil), m...)
		return false
	})
	return out
}

// RandomMembers calls fn count times with a member chosen at random, repetitions
// allowed (SRANDMEMBER with a negative count), until fn returns false. elem is valid
// only during the call.
func (s *Set) RandomMembers(count int, rnd func(int) int, fn func(elem []byte) bool) {
	n := s.Len()
	if n == 0 {
		return
	}
	if s.ht != nil {
		for range count {
			k, _, _ := s.ht.Random(rnd)
			if !fn(sbytes(k)) {
				return
			}
		}
		return
	}
	var buf [20]byte
	for range count {
		if !fn(strconv.AppendInt(buf[:0], s.ints.at(rnd(n)), 10)) {
			return
		}
	}
}

// Sample calls fn with count distinct members chosen at random, 0 < count < Len, until
// fn returns false (SRANDMEMBER with a positive count). elem is valid only during the
// call.
func (s *Set) Sample(count int, rnd func(int) int, fn func(elem []byte) bool) {
	if s.ht != nil {
		sampleDict(s.ht, count, rnd, func(k string, _ struct{}) bool { return fn(sbytes(k)) })
		return
	}
	var buf [20]byte
	sampleIndices(s.ints.len(), count, rnd, func(i int) bool {
		return fn(strconv.AppendInt(buf[:0], s.ints.at(i), 10))
	})
}

// Pop removes a random member and returns it (no longer referenced by the set; read
// only), or nil when the set is empty. The caller removes the key when the set becomes empty.
func (s *Set) Pop(rnd func(int) int) []byte {
	n := s.Len()
	if n == 0 {
		return nil
	}
	if s.ht != nil {
		k, _, _ := s.ht.Random(rnd)
		s.ht.Delete(sbytes(k))
		s.bytes -= dictBytesMem[struct{}](len(k))
		return sbytes(k)
	}
	i := rnd(n)
	v := s.ints.at(i)
	s.ints.removeAt(i)
	return strconv.AppendInt(nil, v, 10)
}
