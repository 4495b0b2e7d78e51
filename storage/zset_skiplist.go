package storage

import (
	"math/rand/v2"
	"unsafe"
)

// The "skiplist" encoding of a sorted set: a skiplist ordered by (score, member) whose
// forward links carry spans (how many elements each link skips), so ranks are found in
// O(log n), plus a Dict from member to score. The member string is shared by the node
// and the dict entry.

const (
	zslMaxLevel = 32
	// zslP is the chance (out of 65536) that a node gets one more level: 1/4, as Redis.
	zslP = 0xFFFF / 4
)

type zslLevel struct {
	forward *zslNode
	span    int
}

type zslNode struct {
	member   string
	score    float64
	backward *zslNode
	level    []zslLevel
}

// Nodes of height 1 to 4 (99.6% of them) are allocated together with their levels.
type (
	zslNode1 struct {
		n zslNode
		l [1]zslLevel
	}
	zslNode2 struct {
		n zslNode
		l [2]zslLevel
	}
	zslNode3 struct {
		n zslNode
		l [3]zslLevel
	}
	zslNode4 struct {
		n zslNode
		l [4]zslLevel
	}
)

func newZslNode(height int, member string, score float64) *zslNode {
	var n *zslNode
	switch height {
	case 1:
		x := &zslNode1{}
		x.n.level = x.l[:]
		n = &x.n
	case 2:
		x := &zslNode2{}
		x.n.level = x.l[:]
		n = &x.n
	case 3:
		x := &zslNode3{}
		x.n.level = x.l[:]
		n = &x.n
	case 4:
		x := &zslNode4{}
		x.n.level = x.l[:]
		n = &x.n
	default:
		n = &zslNode{level: make([]zslLevel, height)}
	}
	n.member, n.score = member, score
	return n
}

func zslRandomLevel() int {
	l := 1
	for l < zslMaxLevel && rand.Uint32()&0xFFFF < zslP {
		l++
	}
	return l
}

// before reports whether n sorts before (score, member).
func (n *zslNode) before(score float64, member string) bool {
	return n.score < score || (n.score == score && n.member < member)
}

// memberBytes returns n's member as bytes without copying; callers must not change them.
func (n *zslNode) memberBytes() []byte {
	return unsafe.Slice(unsafe.StringData(n.member), len(n.member))
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
		header: &zslNode{level: make([]zslLevel, zslMaxLevel)},
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
		for f := p.level[i].forward; f != nil && f.before(x.score, x.member); f = p.level[i].forward {
			rank[i] += p.level[i].span
			p = f
		}
		update[i] = p
	}
	h := len(x.level)
	if h > sl.level {
		for i := sl.level; i < h; i++ {
			rank[i] = 0
			update[i] = sl.header
			update[i].level[i].span = sl.length
		}
		sl.level = h
	}
	for i := 0; i < h; i++ {
		x.level[i].forward = update[i].level[i].forward
		update[i].level[i].forward = x
		x.level[i].span = update[i].level[i].span - (rank[0] - rank[i])
		update[i].level[i].span = rank[0] - rank[i] + 1
	}
	for i := h; i < sl.level; i++ {
		update[i].level[i].span++
	}
	if update[0] != sl.header {
		x.backward = update[0]
	} else {
		x.backward = nil
	}
	if f := x.level[0].forward; f != nil {
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
		for f := p.level[i].forward; f != nil && f.before(score, member); f = p.level[i].forward {
			p = f
		}
		update[i] = p
	}
}

// unlink removes x from the list; update holds x's predecessors on every level.
func (sl *zskiplist) unlink(x *zslNode, update *[zslMaxLevel]*zslNode) {
	for i := 0; i < sl.level; i++ {
		if update[i].level[i].forward == x {
			update[i].level[i].span += x.level[i].span - 1
			update[i].level[i].forward = x.level[i].forward
		} else {
			update[i].level[i].span--
		}
	}
	if f := x.level[0].forward; f != nil {
		f.backward = x.backward
	} else {
		sl.tail = x.backward
	}
	for sl.level > 1 && sl.header.level[sl.level-1].forward == nil {
		sl.level--
	}
	sl.length--
}

// remove deletes member (whose score is score) from the list and the dict.
func (sl *zskiplist) remove(member []byte, score float64) {
	var update [zslMaxLevel]*zslNode
	sl.path(score, ustr(member), &update)
	x := update[0].level[0].forward
	sl.unlink(x, &update)
	sl.dict.Delete(member)
	sl.bytes -= int64(len(x.member))
}

// updateScore moves member from score cur to score to.
func (sl *zskiplist) updateScore(member []byte, cur, to float64) {
	var update [zslMaxLevel]*zslNode
	sl.path(cur, ustr(member), &update)
	x := update[0].level[0].forward
	next := x.level[0].forward
	if (x.backward == nil || x.backward.score < to) && (next == nil || next.score > to) {
		x.score = to // still in place
	} else {
		sl.unlink(x, &update)
		for i := range x.level {
			x.level[i] = zslLevel{}
		}
		x.score = to
		sl.insertNode(x)
	}
	*sl.dict.Ptr(member) = to
}

// byRank returns the node of 1-based rank r (1 <= r <= length).
func (sl *zskiplist) byRank(r int) *zslNode {
	if r == sl.length {
		return sl.tail
	}
	p, traversed := sl.header, 0
	for i := sl.level - 1; i >= 0; i-- {
		for p.level[i].forward != nil && traversed+p.level[i].span <= r {
			traversed += p.level[i].span
			p = p.level[i].forward
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
		for f := p.level[i].forward; f != nil && (f.before(score, member) || (f.score == score && f.member == member)); f = p.level[i].forward {
			r += p.level[i].span
			p = f
		}
		if p != sl.header && p.member == member {
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
		for f := p.level[i].forward; f != nil && pred(f.memberBytes(), f.score); f = p.level[i].forward {
			r += p.level[i].span
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
		for p.level[i].forward != nil && traversed+p.level[i].span <= lo {
			traversed += p.level[i].span
			p = p.level[i].forward
		}
		update[i] = p
	}
	x := p.level[0].forward
	for r := lo; r < hi && x != nil; r++ {
		next := x.level[0].forward
		sl.unlink(x, &update)
		sl.dict.Delete(x.memberBytes())
		sl.bytes -= int64(len(x.member))
		x = next
	}
}

// walk calls fn for the elements of 0-based ranks [lo, hi], descending when rev.
func (sl *zskiplist) walk(lo, hi int, rev bool, fn func(member []byte, score float64) bool) {
	if !rev {
		x := sl.header.level[0].forward
		if lo > 0 {
			x = sl.byRank(lo + 1)
		}
		for r := lo; r <= hi && x != nil; r++ {
			if !fn(x.memberBytes(), x.score) {
				return
			}
			x = x.level[0].forward
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
