package storage

import (
	"bytes"
	"encoding/binary"
	"math"
	"slices"
)

// zlistpack is the compact encoding of a small sorted set ("listpack" in OBJECT
// ENCODING): its entries in order (score, then member bytes) packed in one byte slice.
// Each entry is
//
//	uvarint(len(member)<<1 | f)  member  score
//
// where the score is, when f is 0, the zigzag uvarint of an integer, and when f is 1 the
// 8 bytes of the float64, little-endian. Whole-number scores within ±2^62 are stored as
// integers, as Redis's listpack stores them (so a small score costs one byte, and -0
// becomes 0 exactly as in Redis). Lookups are linear, which is what the encoding is for:
// it is only used up to zset-max-listpack-entries elements.
type zlistpack struct {
	b []byte
	n int
}

// lpMaxInt is the largest magnitude of a score stored as an integer (Redis's double2ll
// accepts [-LLONG_MAX/2, LLONG_MAX/2] as doubles, i.e. ±2^62).
const lpMaxInt = 1 << 62

// lpIntScore reports whether score is stored as an integer in a listpack, and which.
func lpIntScore(score float64) (int64, bool) {
	if score < -lpMaxInt || score > lpMaxInt || score != math.Trunc(score) {
		return 0, false
	}
	return int64(score), true
}

func zigzag(v int64) uint64   { return uint64(v<<1) ^ uint64(v>>63) }
func unzigzag(u uint64) int64 { return int64(u>>1) ^ -int64(u&1) }

// lpAppendEntry appends the encoding of one entry to dst.
func lpAppendEntry(dst, member []byte, score float64) []byte {
	if iv, ok := lpIntScore(score); ok {
		dst = binary.AppendUvarint(dst, uint64(len(member))<<1)
		dst = append(dst, member...)
		return binary.AppendUvarint(dst, zigzag(iv))
	}
	dst = binary.AppendUvarint(dst, uint64(len(member))<<1|1)
	dst = append(dst, member...)
	return binary.LittleEndian.AppendUint64(dst, math.Float64bits(score))
}

// entry decodes the entry at off: its member (aliasing the buffer, capacity capped so an
// append cannot write into it), score, whether the score is stored as an integer, and
// the offset of the next entry.
func (lp *zlistpack) entry(off int) (member []byte, score float64, isInt bool, next int) {
	h, k := binary.Uvarint(lp.b[off:])
	off += k
	end := off + int(h>>1)
	member = lp.b[off:end:end]
	if h&1 == 0 {
		v, k := binary.Uvarint(lp.b[end:])
		return member, float64(unzigzag(v)), true, end + k
	}
	return member, math.Float64frombits(binary.LittleEndian.Uint64(lp.b[end:])), false, end + 8
}

// skip returns the offset of the entry after the one at off.
func (lp *zlistpack) skip(off int) int {
	h, k := binary.Uvarint(lp.b[off:])
	off += k + int(h>>1)
	if h&1 == 0 {
		_, k = binary.Uvarint(lp.b[off:])
		return off + k
	}
	return off + 8
}

// find returns the offset and score of member's entry.
func (lp *zlistpack) find(member []byte) (off int, score float64, ok bool) {
	for off < len(lp.b) {
		m, s, _, next := lp.entry(off)
		if bytes.Equal(m, member) {
			return off, s, true
		}
		off = next
	}
	return 0, 0, false
}

// insert adds an entry for a member that is not present, at its place in the order.
func (lp *zlistpack) insert(member []byte, score float64) {
	off := 0
	for off < len(lp.b) {
		m, s, _, next := lp.entry(off)
		if s > score || (s == score && bytes.Compare(m, member) > 0) {
			break
		}
		off = next
	}
	var tmp [80]byte
	enc := lpAppendEntry(tmp[:0], member, score)
	lp.b = slices.Insert(lp.b, off, enc...)
	lp.n++
}

// deleteAt removes the entry at off.
func (lp *zlistpack) deleteAt(off int) {
	lp.b = append(lp.b[:off], lp.b[lp.skip(off):]...)
	lp.n--
	lp.shrink()
}

// shrink releases spare capacity after large deletions.
func (lp *zlistpack) shrink() {
	if cap(lp.b) > 256 && len(lp.b) < cap(lp.b)/4 {
		lp.b = slices.Clip(slices.Clone(lp.b))
	}
}

// offsetOf returns the offset of the entry of rank r (0-based; r == n gives the end).
func (lp *zlistpack) offsetOf(r int) int {
	off := 0
	for ; r > 0; r-- {
		off = lp.skip(off)
	}
	return off
}

// deleteRange removes the entries of ranks [lo, hi).
func (lp *zlistpack) deleteRange(lo, hi int) {
	a := lp.offsetOf(lo)
	b := a
	for r := lo; r < hi; r++ {
		b = lp.skip(b)
	}
	lp.b = append(lp.b[:a], lp.b[b:]...)
	lp.n -= hi - lo
	lp.shrink()
}

// countWhile returns the number of leading entries for which pred holds.
func (lp *zlistpack) countWhile(pred func(member []byte, score float64) bool) int {
	r := 0
	for off := 0; off < len(lp.b); r++ {
		m, s, _, next := lp.entry(off)
		if !pred(m, s) {
			break
		}
		off = next
	}
	return r
}

// rank returns member's 0-based rank.
func (lp *zlistpack) rank(member []byte) (int, bool) {
	r := 0
	for off := 0; off < len(lp.b); r++ {
		m, _, _, next := lp.entry(off)
		if bytes.Equal(m, member) {
			return r, true
		}
		off = next
	}
	return 0, false
}

// offsets appends the offset of every entry of ranks [lo, hi] to dst.
func (lp *zlistpack) offsets(dst []int32, lo, hi int) []int32 {
	off := lp.offsetOf(lo)
	for r := lo; r <= hi; r++ {
		dst = append(dst, int32(off))
		off = lp.skip(off)
	}
	return dst
}

// walk calls fn for the entries of ranks [lo, hi], in descending order when rev.
func (lp *zlistpack) walk(lo, hi int, rev bool, fn func(member []byte, score float64) bool) {
	if !rev {
		off := lp.offsetOf(lo)
		for r := lo; r <= hi; r++ {
			m, s, _, next := lp.entry(off)
			if !fn(m, s) {
				return
			}
			off = next
		}
		return
	}
	var buf [128]int32
	offs := lp.offsets(buf[:0], lo, hi)
	for i := len(offs) - 1; i >= 0; i-- {
		m, s, _, _ := lp.entry(int(offs[i]))
		if !fn(m, s) {
			return
		}
	}
}
