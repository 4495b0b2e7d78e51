package storage

import (
	"math/bits"
	"math/rand/v2"
	"unsafe"
)

// The "skiplist" encoding of a sorted set: a skiplist ordered by (score, member) whose
// forward links carry spans (how many elements each link skips), so ranks are found in
// O(log n), plus a Dict from member to score. The member string is shared by the node
// and the dict entry.

const (
	zslMaxLevel = 32
)

type zslLevel struct {
	forward *zslNode
	span    int
}

// zslNode is the fixed part of a skiplist node, level 0 included; its levels above 0
// follow it in the same allocation (one of the zslNodeN types below), as Redis's
// flexible array member. The score and the level-0 link lead, so a search reads both
// from one cache line. The member is kept as its data pointer and, in lh, its length
// shifted left by 6 with the height in the low 6 bits: the fixed part is 48 bytes, all
// of a node of height 1.
type zslNode struct {
	score    float64
	l0       zslLevel
	backward *zslNode
	mptr     unsafe.Pointer // the member's bytes
	lh       uint64         // len(member)<<6 | height
}

const zslNodeSize = unsafe.Sizeof(zslNode{})

// The allocations that hold a node and its levels above 0 (a node of height 1 is a bare
// zslNode). Heights 1 to 4 (99.6% of the nodes) get exactly their size; the rare taller nodes share two larger shapes.
type (
	zslNode2 struct {
		n zslNode
		l [1]zslLevel
	}
	zslNode3 struct {
		n zslNode
		l [2]zslLevel
	}
	zslNode4 struct {
		n zslNode
		l [3]zslLevel
	}
	zslNode8 struct {
		n zslNode
		l [7]zslLevel
	}
	zslNodeMax struct {
		n zslNode
		l [zslMaxLevel - 1]zslLevel
	}
)

func newZslNode(height int, member string, score float64) *zslNode {
	var n *zslNode
	switch {
	case height == 1:
		n = &zslNode{}
	case height == 2:
		n = &(&zslNode2{}).n
	case height == 3:
		n = &(&zslNode3{}).n
	case height == 4:
		n = &(&zslNode4{}).n
	case height <= 8:
		n = &(&zslNode8{}).n
	default:
		n = &(&zslNodeMax{}).n
	}
	n.mptr = unsafe.Pointer(unsafe.StringData(member))
	n.lh = uint64(len(member))<<6 | uint64(height)
	n.score = score
	return n
}

// lv returns n's link on level i (i < n.height()).
func (n *zslNode) lv(i int) *zslLevel {
	if i == 0 {
		return &n.l0
	}
	return (*zslLevel)(unsafe.Add(unsafe.Pointer(n), zslNodeSize+uintptr(i-1)*unsafe.Sizeof(zslLevel{})))
}

// next is n's successor on level 0.
func (n *zslNode) next() *zslNode { return n.l0.forward }

func (n *zslNode) height() int { return int(n.lh & 63) }

// member returns n's member (shared with the dict entry; immutable).
func (n *zslNode) member() string { return unsafe.String((*byte)(n.mptr), int(n.lh>>6)) }

// zslRandomLevel returns a node height from 1 to zslMaxLevel, each level above the
// first with probability 1/4 as Redis: one more level per pair of low zero bits of a
// single random number.
func zslRandomLevel() int {
	return 1 + bits.TrailingZeros64(rand.Uint64()|1<<62)/2
}

// before reports whether n sorts before (score, member).
func (n *zslNode) before(score float64, member string) bool {
	return n.score < score || (n.score == score && n.member() < member)
}

// memberBytes returns n's member as bytes without copying; callers must not change them.
func (n *zslNode) memberBytes() []byte {
	return unsafe.Slice((*byte)(n.mptr), int(n.lh>>6))
}

type zskiplist struct {
	header *zslNode
	tail   *zslNode
	length int
	level  int
	dict   *Dict[float64]
	bytes  int64 // total length of the members, for Mem
}

func newZskiplist(hint int) *zskiplist {
	return &zskiplist{
		header: newZslNode(zslMaxLevel, "", 0),
		level:  1,
		dict:   NewDict[float64](hint),
	}
}

// add inserts a member that is not present.
func (sl *zskiplist) add(member string, score float64) {
	sl.insertNode(newZslNode(zslRandomLevel(), member, score))
	dictSetOwnedKey(sl.dict, member, score)
	sl.bytes += int64(len(member))
}

// insertNode links x (member, score and height set) at its place.
func (sl *zskiplist) insertNode(x *zslNode) {
	var update [zslMaxLevel]*zslNode
	var rank [zslMaxLevel]int
	p := sl.header
	for i := sl.level - 1; i >= 0; i-- {
		if i < sl.level-1 {
			rank[i] = rank[i+1]
		}
		for f := p.lv(i).forward; f != nil && f.before(x.score, x.member()); f = p.lv(i).forward {
			rank[i] += p.lv(i).span
			p = f
		}
		update[i] = p
	}
	h := x.height()
	if h > sl.level {
		for i := sl.level; i < h; i++ {
			rank[i] = 0
			update[i] = sl.header
			update[i].lv(i).span = sl.length
		}
		sl.level = h
	}
	for i := 0; i < h; i++ {
		x.lv(i).forward = update[i].lv(i).forward
		update[i].lv(i).forward = x
		x.lv(i).span = update[i].lv(i).span - (rank[0] - rank[i])
		update[i].lv(i).span = rank[0] - rank[i] + 1
	}
	for i := h; i < sl.level; i++ {
		update[i].lv(i).span++
	}
	if update[0] != sl.header {
		x.backward = update[0]
	} else {
		x.backward = nil
	}
	if f := x.lv(0).forward; f != nil {
		f.backward = x
	} else {
		sl.tail = x
	}
	sl.length++
}

// path fills update with the last node before (score, member) on every level.
func (sl *zskiplist) path(score float64, member string, update *[zslMaxLevel]*zslNode) {
	p := sl.header
	for i := sl.level - 1; i >= 0; i-- {
		for f := p.lv(i).forward; f != nil && f.before(score, member); f = p.lv(i).forward {
			p = f
		}
		update[i] = p
	}
}

// unlink removes x from the list; update holds x's predecessors on every level.
func (sl *zskiplist) unlink(x *zslNode, update *[zslMaxLevel]*zslNode) {
	for i := 0; i < sl.level; i++ {
		if update[i].lv(i).forward == x {
			update[i].lv(i).span += x.lv(i).span - 1
			update[i].lv(i).forward = x.lv(i).forward
		} else {
			update[i].lv(i).span--
		}
	}
	if f := x.lv(0).forward; f != nil {
		f.backward = x.backward
	} else {
		sl.tail = x.backward
	}
	for sl.level > 1 && sl.header.lv(sl.level-1).forward == nil {
		sl.level--
	}
	sl.length--
}

// remove deletes member (whose score is score) from the list and the dict.
func (sl *zskiplist) remove(member []byte, score float64) {
	var update [zslMaxLevel]*zslNode
	sl.path(score, ustr(member), &update)
	x := update[0].lv(0).forward
	sl.unlink(x, &update)
	sl.dict.Delete(member)
	sl.bytes -= int64(len(x.member()))
}

// updateScore moves member from score cur to score to; val points to member's score in
// the dict (so the member is looked up once per update). As in Redis, the node stays
// where it is when its neighbours still order around it, and is otherwise unlinked and
// linked again at its new place, without allocating.
func (sl *zskiplist) updateScore(member []byte, val *float64, cur, to float64) {
	var update [zslMaxLevel]*zslNode
	sl.path(cur, ustr(member), &update)
	x := update[0].lv(0).forward
	next := x.lv(0).forward
	if (x.backward == nil || x.backward.score < to) && (next == nil || next.score > to) {
		x.score = to // still in place
	} else {
		sl.unlink(x, &update)
		x.score = to
		sl.insertNode(x)
	}
	*val = to
}

// byRank returns the node of 1-based rank r (1 <= r <= length).
func (sl *zskiplist) byRank(r int) *zslNode {
	if r == sl.length {
		return sl.tail
	}
	p, traversed := sl.header, 0
	for i := sl.level - 1; i >= 0; i-- {
		for p.lv(i).forward != nil && traversed+p.lv(i).span <= r {
			traversed += p.lv(i).span
			p = p.lv(i).forward
		}
		if traversed == r {
			return p
		}
	}
	return nil
}

// rank returns the 1-based rank of (score, member), which must be present.
func (sl *zskiplist) rank(score float64, member string) int {
	p, r := sl.header, 0
	for i := sl.level - 1; i >= 0; i-- {
		for f := p.lv(i).forward; f != nil && (f.before(score, member) || (f.score == score && f.member() == member)); f = p.lv(i).forward {
			r += p.lv(i).span
			p = f
		}
		if p != sl.header && p.member() == member {
			return r
		}
	}
	return r
}

// countWhile returns the number of leading elements for which pred holds (pred must hold
// for a prefix of the order).
func (sl *zskiplist) countWhile(pred func(member []byte, score float64) bool) int {
	p, r := sl.header, 0
	for i := sl.level - 1; i >= 0; i-- {
		for f := p.lv(i).forward; f != nil && pred(f.memberBytes(), f.score); f = p.lv(i).forward {
			r += p.lv(i).span
			p = f
		}
	}
	return r
}

// deleteRange removes the elements of 0-based ranks [lo, hi).
func (sl *zskiplist) deleteRange(lo, hi int) {
	var update [zslMaxLevel]*zslNode
	p, traversed := sl.header, 0
	for i := sl.level - 1; i >= 0; i-- {
		for p.lv(i).forward != nil && traversed+p.lv(i).span <= lo {
			traversed += p.lv(i).span
			p = p.lv(i).forward
		}
		update[i] = p
	}
	x := p.lv(0).forward
	for r := lo; r < hi && x != nil; r++ {
		next := x.lv(0).forward
		sl.unlink(x, &update)
		sl.dict.Delete(x.memberBytes())
		sl.bytes -= int64(len(x.member()))
		x = next
	}
}

// walk calls fn for the elements of 0-based ranks [lo, hi], descending when rev.
func (sl *zskiplist) walk(lo, hi int, rev bool, fn func(member []byte, score float64) bool) {
	if !rev {
		x := sl.header.lv(0).forward
		if lo > 0 {
			x = sl.byRank(lo + 1)
		}
		for r := lo; r <= hi && x != nil; r++ {
			if !fn(x.memberBytes(), x.score) {
				return
			}
			x = x.lv(0).forward
		}
		return
	}
	x := sl.byRank(hi + 1)
	for r := hi; r >= lo && x != nil; r-- {
		if !fn(x.memberBytes(), x.score) {
			return
		}
		x = x.backward
	}
}

// ustr views b as a string without copying, for lookups that do not keep it.
func ustr(b []byte) string { return unsafe.String(unsafe.SliceData(b), len(b)) }

// dictSetOwnedKey stores v under key in d without copying key (the caller hands the
// string over, so the skiplist node and the dict entry share it). It reports whether
// key was new.
func dictSetOwnedKey[V any](d *Dict[V], key string, v V) bool {
	kb := unsafe.Slice(unsafe.StringData(key), len(key))
	if p := d.find(kb); p != nil {
		(*p).val = v
		return false
	}
	if d.count >= len(d.buckets) {
		d.resize(max(minBuckets, 2*len(d.buckets)))
	}
	b := dictHash(kb) & uint64(len(d.buckets)-1)
	d.buckets[b] = &dictEntry[V]{next: d.buckets[b], key: key, val: v}
	d.count++
	return true
}
