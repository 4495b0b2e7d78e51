package storage

import (
	"encoding/binary"
	"math"
	"sort"
)

// intset is the packed form of a small set of integers, as Redis's intset: distinct
// int64s sorted ascending, stored little-endian at the smallest width (2, 4 or 8 bytes)
// that holds every member. The width only grows (as Redis's). Lookups are binary
// searches; inserts and removals shift the tail, O(n) for the small n it is used for.
// The zero value is an empty set of width 2.
type intset struct {
	b     []byte // len(b) = n * width
	width uint8  // 0 (= 2 until the first insert), 2, 4 or 8
}

// intWidth is the smallest intset width holding v.
func intWidth(v int64) uint8 {
	switch {
	case v >= math.MinInt16 && v <= math.MaxInt16:
		return 2
	case v >= math.MinInt32 && v <= math.MaxInt32:
		return 4
	}
	return 8
}

func (s *intset) w() int {
	if s.width == 0 {
		return 2
	}
	return int(s.width)
}

func (s *intset) len() int { return len(s.b) / s.w() }

// at returns member i (0 <= i < len, ascending order).
func (s *intset) at(i int) int64 {
	switch w := s.w(); w {
	case 2:
		return int64(int16(binary.LittleEndian.Uint16(s.b[i*2:])))
	case 4:
		return int64(int32(binary.LittleEndian.Uint32(s.b[i*4:])))
	default:
		return int64(binary.LittleEndian.Uint64(s.b[i*8:]))
	}
}

func (s *intset) put(i int, v int64) {
	switch s.w() {
	case 2:
		binary.LittleEndian.PutUint16(s.b[i*2:], uint16(v))
	case 4:
		binary.LittleEndian.PutUint32(s.b[i*4:], uint32(v))
	default:
		binary.LittleEndian.PutUint64(s.b[i*8:], uint64(v))
	}
}

// search returns v's position, or the position it would be inserted at.
func (s *intset) search(v int64) (int, bool) {
	n := s.len()
	if n == 0 || intWidth(v) > uint8(s.w()) {
		// Out of the current width: below or above every member.
		if v < 0 {
			return 0, false
		}
		return n, false
	}
	i := sort.Search(n, func(i int) bool { return s.at(i) >= v })
	return i, i < n && s.at(i) == v
}

func (s *intset) has(v int64) bool {
	_, ok := s.search(v)
	return ok
}

// add inserts v and reports whether it was new.
func (s *intset) add(v int64) bool {
	if s.width == 0 {
		s.width = 2
	}
	if w := intWidth(v); w > uint8(s.w()) {
		s.upgrade(w)
	}
	i, ok := s.search(v)
	if ok {
		return false
	}
	w := s.w()
	n := len(s.b)
	s.b = append(s.b, make([]byte, w)...)
	copy(s.b[(i+1)*w:], s.b[i*w:n])
	s.put(i, v)
	return true
}

// upgrade widens every member to width w.
func (s *intset) upgrade(w uint8) {
	n := s.len()
	old := *s
	s.b = make([]byte, n*int(w), (n+1)*int(w))
	s.width = w
	for i := range n {
		s.put(i, old.at(i))
	}
}

// remove deletes v and reports whether it was present.
func (s *intset) remove(v int64) bool {
	i, ok := s.search(v)
	if ok {
		s.removeAt(i)
	}
	return ok
}

func (s *intset) removeAt(i int) {
	w := s.w()
	s.b = append(s.b[:i*w], s.b[(i+1)*w:]...)
}

func (s *intset) clone() intset {
	return intset{b: append([]byte(nil), s.b...), width: s.width}
}
