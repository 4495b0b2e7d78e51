package slots

import (
	"fmt"
	"strconv"
	"strings"
)

// Range is the slots Start through End, both included.
type Range struct{ Start, End int }

// Len is the number of slots in r.
func (r Range) Len() int { return r.End - r.Start + 1 }

// String is "start-end", or "slot" for a single slot (CLUSTER NODES' form).
func (r Range) String() string {
	if r.Start == r.End {
		return strconv.Itoa(r.Start)
	}
	return strconv.Itoa(r.Start) + "-" + strconv.Itoa(r.End)
}

// Ranges is a set of slots as sorted, disjoint, non-adjacent ranges. The zero value is
// empty. A Ranges is a value: the methods return new ones and never change their
// receiver.
type Ranges []Range

// RangesOf returns the set holding the given slots (any order, repeats allowed).
func RangesOf(slots ...int) Ranges {
	var set Set
	for _, s := range slots {
		set.Add(s)
	}
	return set.Ranges()
}

// ParseRanges reads "a-b c d-e" (space-separated, as redis-cli prints them and as
// CLUSTER NODES lists them) into a set; every slot must be in [0, Count).
func ParseRanges(s string) (Ranges, error) {
	var set Set
	for _, f := range strings.Fields(s) {
		r, err := parseRange(f)
		if err != nil {
			return nil, err
		}
		set.AddRange(r.Start, r.End)
	}
	return set.Ranges(), nil
}

// parseRange reads one "a-b" or "a".
func parseRange(f string) (Range, error) {
	a, b, isRange := strings.Cut(f, "-")
	start, err := parseSlot(a)
	if err != nil {
		return Range{}, err
	}
	end := start
	if isRange {
		if end, err = parseSlot(b); err != nil {
			return Range{}, err
		}
	}
	if end < start {
		return Range{}, fmt.Errorf("invalid slot range %q", f)
	}
	return Range{start, end}, nil
}

func parseSlot(s string) (int, error) {
	n, err := strconv.Atoi(s)
	if err != nil || n < 0 || n >= Count {
		return 0, fmt.Errorf("invalid slot %q", s)
	}
	return n, nil
}

// String lists the ranges separated by spaces ("0-5460 5462").
func (rs Ranges) String() string {
	parts := make([]string, len(rs))
	for i, r := range rs {
		parts[i] = r.String()
	}
	return strings.Join(parts, " ")
}

// Len is the number of slots in the set.
func (rs Ranges) Len() int {
	n := 0
	for _, r := range rs {
		n += r.Len()
	}
	return n
}

// Contains reports whether slot is in the set.
func (rs Ranges) Contains(slot int) bool {
	lo, hi := 0, len(rs)
	for lo < hi {
		m := (lo + hi) / 2
		switch {
		case slot < rs[m].Start:
			hi = m
		case slot > rs[m].End:
			lo = m + 1
		default:
			return true
		}
	}
	return false
}

// Union is the slots in rs or in other.
func (rs Ranges) Union(other Ranges) Ranges {
	var set Set
	set.addRanges(rs)
	set.addRanges(other)
	return set.Ranges()
}

// Minus is the slots in rs and not in other.
func (rs Ranges) Minus(other Ranges) Ranges {
	var set Set
	set.addRanges(rs)
	for _, r := range other {
		for s := r.Start; s <= r.End; s++ {
			set.Remove(s)
		}
	}
	return set.Ranges()
}

// Set is a mutable set of slots, a bitmap; the zero value is empty.
type Set [Count / 64]uint64

// Add puts slot in the set.
func (s *Set) Add(slot int) { s[slot/64] |= 1 << (slot % 64) }

// AddRange puts start through end in the set.
func (s *Set) AddRange(start, end int) {
	for i := start; i <= end; i++ {
		s.Add(i)
	}
}

func (s *Set) addRanges(rs Ranges) {
	for _, r := range rs {
		s.AddRange(r.Start, r.End)
	}
}

// Remove takes slot out of the set.
func (s *Set) Remove(slot int) { s[slot/64] &^= 1 << (slot % 64) }

// Has reports whether slot is in the set.
func (s *Set) Has(slot int) bool { return s[slot/64]&(1<<(slot%64)) != 0 }

// Ranges returns the set as ranges.
func (s *Set) Ranges() Ranges {
	var rs Ranges
	start := -1
	for i := 0; i <= Count; i++ {
		in := i < Count && s.Has(i)
		switch {
		case in && start < 0:
			start = i
		case !in && start >= 0:
			rs = append(rs, Range{start, i - 1})
			start = -1
		}
	}
	return rs
}
