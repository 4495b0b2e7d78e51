package storage

import (
	"unsafe"
)

// The large encoding of a sorted set (OBJECT ENCODING says "skiplist", as Redis's):
// a B+tree ordered by (score, member) whose inner nodes count the elements under each
// child, so ranks are found in O(log n), plus a Dict from member to score. The member
// string is shared by the leaf and the dict entry.
//
// A leaf holds up to zbMax elements, its scores in one array and its members in
// another, and is linked to its neighbours for walks in either direction. An inner node
// holds up to zbMax children; key i (i >= 1) is a lower bound of child i's elements
// that is above every element of child i-1 (the first element child i had when the
// bound was set: deletions keep it valid). Key 0 does not route (a node just split off
// or built holds its own lower bound there, for its parent to take). A search reads a few
// contiguous arrays per level, and the levels are few (five for a million elements),
// where a skiplist's search follows a chain of some twenty nodes scattered in memory,
// each a cache miss once the set outgrows the caches.
//
// Changes are made top-down in one pass: an insertion splits a full child before it
// enters it, a deletion fattens a child at or below zbMin (borrowing from or merging
// with a sibling) before it enters it, so nothing propagates back up.

const (
	zbMax = 36        // elements of a leaf (888 bytes: Go's 896-byte size class), children of an inner node
	zbMin = zbMax / 4 // a child this small is fattened before a deletion enters it
	// zbFill is how full a bulk build (Clone, conversion, a computed result) packs its
	// leaves and inner nodes, leaving room for later insertions.
	zbFill = zbMax - zbMax/4
)

// zbNode is the part leaves and inner nodes share: the keys. A *zbNode is the first
// field of a zbLeaf or a zbInner; the tree's height tells which.
type zbNode struct {
	n       int
	scores  [zbMax]float64
	members [zbMax]string
}

type zbLeaf struct {
	zbNode
	prev, next *zbLeaf
}

type zbInner struct {
	zbNode
	counts [zbMax]int     // elements under each child
	kids   [zbMax]*zbNode // each the zbNode of a zbLeaf or, above the lowest inner level, of a zbInner
}

func (n *zbNode) leaf() *zbLeaf   { return (*zbLeaf)(unsafe.Pointer(n)) }
func (n *zbNode) inner() *zbInner { return (*zbInner)(unsafe.Pointer(n)) }

// zbLess orders (score, member) pairs as a sorted set does.
func zbLess(s1 float64, m1 string, s2 float64, m2 string) bool {
	return s1 < s2 || (s1 == s2 && m1 < m2)
}

// lowerBound is the index of the first key of n not below (score, member).
func (n *zbNode) lowerBound(score float64, member string) int {
	lo, hi := 0, n.n
	for lo < hi {
		mid := int(uint(lo+hi) >> 1)
		if zbLess(n.scores[mid], n.members[mid], score, member) {
			lo = mid + 1
		} else {
			hi = mid
		}
	}
	return lo
}

// route is the child of in whose range holds (score, member).
func (in *zbInner) route(score float64, member string) int {
	lo, hi := 1, in.n // the first key above (score, member), from key 1
	for lo < hi {
		mid := int(uint(lo+hi) >> 1)
		if zbLess(score, member, in.scores[mid], in.members[mid]) {
			hi = mid
		} else {
			lo = mid + 1
		}
	}
	return lo - 1
}

// insertKey opens slot i of n's keys for (score, member).
func (n *zbNode) insertKey(i int, score float64, member string) {
	copy(n.scores[i+1:n.n+1], n.scores[i:n.n])
	copy(n.members[i+1:n.n+1], n.members[i:n.n])
	n.scores[i], n.members[i] = score, member
	n.n++
}

// deleteKeys removes n's keys [i, j).
func (n *zbNode) deleteKeys(i, j int) {
	copy(n.scores[i:], n.scores[j:n.n])
	copy(n.members[i:], n.members[j:n.n])
	clear(n.members[n.n-(j-i) : n.n]) // (let the strings go)
	n.n -= j - i
}

// moveKeys appends src's keys [i, j) to dst.
func (dst *zbNode) moveKeys(src *zbNode, i, j int) {
	copy(dst.scores[dst.n:], src.scores[i:j])
	copy(dst.members[dst.n:], src.members[i:j])
	dst.n += j - i
}

// insertKid opens slot i of in for kid, with lower bound (score, member) and count.
func (in *zbInner) insertKid(i int, score float64, member string, kid *zbNode, count int) {
	copy(in.counts[i+1:in.n+1], in.counts[i:in.n])
	copy(in.kids[i+1:in.n+1], in.kids[i:in.n])
	in.counts[i], in.kids[i] = count, kid
	in.insertKey(i, score, member)
}

// deleteKids removes in's children [i, j).
func (in *zbInner) deleteKids(i, j int) {
	copy(in.counts[i:], in.counts[j:in.n])
	copy(in.kids[i:], in.kids[j:in.n])
	clear(in.kids[in.n-(j-i) : in.n])
	in.deleteKeys(i, j)
}

// moveKids appends src's children [i, j) (with their keys and counts) to dst and
// returns how many elements they hold.
func (dst *zbInner) moveKids(src *zbInner, i, j int) int {
	copy(dst.counts[dst.n:], src.counts[i:j])
	copy(dst.kids[dst.n:], src.kids[i:j])
	dst.moveKeys(&src.zbNode, i, j)
	sum := 0
	for _, c := range src.counts[i:j] {
		sum += c
	}
	return sum
}

type zbtree struct {
	root        *zbNode
	height      int // inner levels above the leaves (0: the root is a leaf)
	first, last *zbLeaf
	length      int
	leaves      int // nodes allocated, for Mem
	inners      int
	dict        *Dict[float64]
	bytes       int64 // total length of the members, for Mem
}

func newZbtree(hint int) *zbtree {
	l := &zbLeaf{}
	return &zbtree{root: &l.zbNode, first: l, last: l, leaves: 1, dict: NewDict[float64](hint)}
}

// add inserts a member that is not present.
func (t *zbtree) add(member string, score float64) {
	t.insert(score, member)
	dictSetOwnedKey(t.dict, member, score)
	t.bytes += int64(len(member))
}

// insert places (score, member), which is not in the tree.
func (t *zbtree) insert(score float64, member string) {
	if t.root.n == zbMax { // a new root above the full one, which the descent splits
		in := &zbInner{}
		in.n, in.kids[0], in.counts[0] = 1, t.root, t.length
		t.root = &in.zbNode
		t.height++
		t.inners++
	}
	n := t.root
	for d := 0; d < t.height; d++ {
		in := n.inner()
		i := in.route(score, member)
		if in.kids[i].n == zbMax {
			t.split(in, i, d+1 == t.height, score, member)
			if !zbLess(score, member, in.scores[i+1], in.members[i+1]) {
				i++
			}
		}
		in.counts[i]++
		n = in.kids[i]
	}
	n.insertKey(n.lowerBound(score, member), score, member)
	t.length++
}

// split splits in's full child i in two; (score, member) is the key about to be
// inserted below it. Children split in halves, except a last leaf receiving a key
// above all of its own, or a first leaf one below: an ascending or descending load
// then leaves its leaves full rather than half full.
func (t *zbtree) split(in *zbInner, i int, leaves bool, score float64, member string) {
	kid := in.kids[i]
	at := zbMax / 2
	var right *zbNode
	var moved int
	if leaves {
		l := kid.leaf()
		switch {
		case l.next == nil && zbLess(l.scores[zbMax-1], l.members[zbMax-1], score, member):
			at = zbMax - 1
		case l.prev == nil && zbLess(score, member, l.scores[0], l.members[0]):
			at = 1
		}
		r := &zbLeaf{prev: l, next: l.next}
		if l.next != nil {
			l.next.prev = r
		} else {
			t.last = r
		}
		l.next = r
		r.moveKeys(kid, at, zbMax)
		kid.deleteKeys(at, zbMax)
		right, moved = &r.zbNode, r.n
		t.leaves++
	} else {
		r := &zbInner{}
		moved = r.moveKids(kid.inner(), at, zbMax)
		kid.inner().deleteKids(at, zbMax)
		right = &r.zbNode
		t.inners++
	}
	in.counts[i] -= moved
	in.insertKid(i+1, right.scores[0], right.members[0], right, moved)
}

// remove deletes member (whose score is score) from the tree and the dict.
func (t *zbtree) remove(member []byte, score float64) {
	t.delete(score, ustr(member))
	t.dict.Delete(member)
	t.bytes -= int64(len(member))
}

// delete removes (score, member), which is in the tree.
func (t *zbtree) delete(score float64, member string) {
	n := t.root
	for d := 0; d < t.height; d++ {
		in := n.inner()
		i := in.route(score, member)
		if in.kids[i].n <= zbMin && in.n > 1 {
			t.fatten(in, i, d+1 == t.height)
			i = in.route(score, member)
		}
		in.counts[i]--
		n = in.kids[i]
	}
	i := n.lowerBound(score, member)
	n.deleteKeys(i, i+1)
	t.length--
	t.shrink()
}

// shrink drops roots with a single child.
func (t *zbtree) shrink() {
	for t.height > 0 && t.root.n == 1 {
		t.root = t.root.inner().kids[0]
		t.height--
		t.inners--
	}
}

// fatten gives in's small child i more elements: it merges it with a neighbour when
// both fit in one node, and otherwise moves elements over from the neighbour until the
// two hold about as many. Keys of in may change: the caller routes again.
func (t *zbtree) fatten(in *zbInner, i int, leaves bool) {
	a := max(i-1, 0) // the pair is children a and a+1
	l, r := in.kids[a], in.kids[a+1]
	if l.n+r.n <= zbMax { // merge r into l
		if leaves {
			ll, rl := l.leaf(), r.leaf()
			l.moveKeys(r, 0, r.n)
			ll.next = rl.next
			if rl.next != nil {
				rl.next.prev = ll
			} else {
				t.last = ll
			}
			t.leaves--
		} else {
			li, ri := l.inner(), r.inner()
			first := li.n
			li.moveKids(ri, 0, ri.n)
			li.scores[first], li.members[first] = in.scores[a+1], in.members[a+1] // r's bound
			t.inners--
		}
		in.counts[a] += in.counts[a+1]
		in.deleteKids(a+1, a+2)
		return
	}
	move := (l.n+r.n)/2 - min(l.n, r.n) // from the fuller to the smaller
	var moved int
	switch {
	case leaves && l.n < r.n: // r's first elements to the end of l
		l.moveKeys(r, 0, move)
		r.deleteKeys(0, move)
		moved = move
	case leaves: // l's last elements to the front of r
		var tmp zbNode
		tmp.moveKeys(l, l.n-move, l.n)
		tmp.moveKeys(r, 0, r.n)
		*r = tmp
		l.deleteKeys(l.n-move, l.n)
		moved = -move
	case l.n < r.n: // r's first children to the end of l; r's first child's bound is in's key
		li, ri := l.inner(), r.inner()
		first := li.n
		moved = li.moveKids(ri, 0, move)
		li.scores[first], li.members[first] = in.scores[a+1], in.members[a+1]
		ri.deleteKids(0, move)
	default: // l's last children to the front of r; r's old first child gets in's key
		li, ri := l.inner(), r.inner()
		ri.scores[0], ri.members[0] = in.scores[a+1], in.members[a+1]
		var tmp zbInner
		moved = -tmp.moveKids(li, li.n-move, li.n)
		tmp.moveKids(ri, 0, ri.n)
		*ri = tmp
		li.deleteKids(li.n-move, li.n)
	}
	in.counts[a] += moved
	in.counts[a+1] -= moved
	in.scores[a+1], in.members[a+1] = r.scores[0], r.members[0] // r's new lower bound
}

// find returns the leaf holding (score, member), which is in the tree, its index there
// and its 0-based rank.
func (t *zbtree) find(score float64, member string) (*zbLeaf, int, int) {
	n, rank := t.root, 0
	for d := 0; d < t.height; d++ {
		in := n.inner()
		i := in.route(score, member)
		for _, c := range in.counts[:i] {
			rank += c
		}
		n = in.kids[i]
	}
	i := n.lowerBound(score, member)
	return n.leaf(), i, rank + i
}

// updateScore moves member from score cur to score to; val points to member's score in
// the dict (so the member is looked up once per update). The key changes in place when
// it keeps its position among its leaf's keys and the bounds above it stay valid;
// otherwise it is deleted and inserted again (sharing the member string).
func (t *zbtree) updateScore(member []byte, val *float64, cur, to float64) {
	l, i, _ := t.find(cur, ustr(member))
	lowOK := (i > 0 && l.scores[i-1] < to) || (i == 0 && to > cur)          // a bound above may equal the old key
	highOK := (i+1 < l.n && l.scores[i+1] > to) || (i+1 == l.n && to < cur) // the next leaf's bound may be close
	if lowOK && highOK {
		l.scores[i] = to
	} else {
		m := l.members[i]
		t.delete(cur, m)
		t.insert(to, m)
	}
	*val = to
}

// byRank returns the leaf holding the element of 0-based rank r (0 <= r < length) and
// its index there.
func (t *zbtree) byRank(r int) (*zbLeaf, int) {
	n := t.root
	for d := 0; d < t.height; d++ {
		in := n.inner()
		i := 0
		for ; i < in.n-1 && r >= in.counts[i]; i++ {
			r -= in.counts[i]
		}
		n = in.kids[i]
	}
	return n.leaf(), r
}

// rank returns the 0-based rank of (score, member), which must be present.
func (t *zbtree) rank(score float64, member string) int {
	_, _, r := t.find(score, member)
	return r
}

// countWhile returns the number of leading elements for which pred holds (pred must hold
// for a prefix of the order of all keys, present or not).
func (t *zbtree) countWhile(pred func(member []byte, score float64) bool) int {
	n, count := t.root, 0
	for d := 0; d < t.height; d++ {
		in := n.inner()
		// The last child whose bound satisfies pred: the prefix ends in it.
		i := in.searchFrom(1, pred) - 1
		for _, c := range in.counts[:i] {
			count += c
		}
		n = in.kids[i]
	}
	return count + n.searchFrom(0, pred)
}

// searchFrom is the index of n's first key from index from on for which pred does not
// hold (n.n when it holds for all).
func (n *zbNode) searchFrom(from int, pred func(member []byte, score float64) bool) int {
	lo, hi := from, n.n
	for lo < hi {
		mid := int(uint(lo+hi) >> 1)
		if pred(sbytes(n.members[mid]), n.scores[mid]) {
			lo = mid + 1
		} else {
			hi = mid
		}
	}
	return lo
}

// deleteRange removes the elements of 0-based ranks [lo, hi): one at a time when they
// are few, or by building the tree again from the rest.
func (t *zbtree) deleteRange(lo, hi int) {
	if k := hi - lo; k > 64 && k > t.length/8 {
		b := newZbBuilder(t.length - k)
		r := 0
		t.each(func(m string, s float64) {
			if r < lo || r >= hi {
				b.add(s, m)
			}
			r++
		})
		*t = *b.tree()
		return
	}
	for range hi - lo {
		l, i := t.byRank(lo)
		m := l.members[i]
		t.delete(l.scores[i], m)
		t.dict.Delete(sbytes(m))
		t.bytes -= int64(len(m))
	}
}

// walk calls fn for the elements of 0-based ranks [lo, hi], descending when rev, until
// fn returns false.
func (t *zbtree) walk(lo, hi int, rev bool, fn func(member []byte, score float64) bool) {
	left := hi - lo + 1
	if !rev {
		for l, i := t.byRank(lo); ; l, i = l.next, 0 {
			end := min(l.n, i+left)
			ms, ss := l.members[i:end], l.scores[i:end]
			for j := range ms {
				if !fn(sbytes(ms[j]), ss[j]) {
					return
				}
			}
			if left -= end - i; left == 0 {
				return
			}
		}
	}
	l, i := t.byRank(hi)
	for {
		start := max(0, i+1-left)
		ms, ss := l.members[start:i+1], l.scores[start:i+1]
		for j := len(ms) - 1; j >= 0; j-- {
			if !fn(sbytes(ms[j]), ss[j]) {
				return
			}
		}
		if left -= i + 1 - start; left == 0 {
			return
		}
		l = l.prev
		i = l.n - 1
	}
}

// each calls fn for every element in ascending order.
func (t *zbtree) each(fn func(member string, score float64)) {
	for l := t.first; l != nil; l = l.next {
		for i := range l.n {
			fn(l.members[i], l.scores[i])
		}
	}
}

// zbBuilder builds a tree, dict included, from n elements given in ascending order,
// its nodes zbFill full (the last two of each level share what is left evenly, so
// neither is small).
type zbBuilder struct {
	per    []int // elements of each leaf, in order
	leaves []*zbLeaf
	t      zbtree
}

func newZbBuilder(n int) *zbBuilder {
	return &zbBuilder{per: zbSpread(n), leaves: make([]*zbLeaf, 0, (n+zbFill-1)/zbFill),
		t: zbtree{dict: NewDict[float64](n)}}
}

// zbSpread splits n items into groups of zbFill, the last two sharing what is left when
// the last would be small.
func zbSpread(n int) []int {
	groups := max(1, (n+zbFill-1)/zbFill)
	per := make([]int, groups)
	for i := range per {
		per[i] = zbFill
	}
	per[groups-1] = n - (groups-1)*zbFill
	if groups > 1 && per[groups-1] <= zbMin {
		both := zbFill + per[groups-1]
		per[groups-2], per[groups-1] = both-both/2, both/2
	}
	return per
}

// add appends the next element: a member not added before, above every element added
// before. The builder keeps the member string.
func (b *zbBuilder) add(score float64, member string) {
	var l *zbLeaf
	if k := len(b.leaves); k > 0 && b.leaves[k-1].n < b.per[k-1] {
		l = b.leaves[k-1]
	} else {
		l = &zbLeaf{}
		if k > 0 {
			l.prev, b.leaves[k-1].next = b.leaves[k-1], l
		}
		b.leaves = append(b.leaves, l)
	}
	l.scores[l.n], l.members[l.n] = score, member
	l.n++
	dictSetOwnedKey(b.t.dict, member, score)
	b.t.bytes += int64(len(member))
	b.t.length++
}

// tree returns the tree of the elements added (which must be the n announced).
func (b *zbBuilder) tree() *zbtree {
	t := &b.t
	if len(b.leaves) == 0 {
		b.leaves = append(b.leaves, &zbLeaf{}) // an empty tree is one empty leaf
	}
	t.first, t.last, t.leaves = b.leaves[0], b.leaves[len(b.leaves)-1], len(b.leaves)
	level := make([]*zbNode, len(b.leaves))
	counts := make([]int, len(b.leaves))
	for i, l := range b.leaves {
		level[i], counts[i] = &l.zbNode, l.n
	}
	for len(level) > 1 {
		var up []*zbNode
		var upCounts []int
		at := 0
		for _, k := range zbSpread(len(level)) {
			in := &zbInner{}
			sum := 0
			for _, kid := range level[at : at+k] {
				in.scores[in.n], in.members[in.n] = kid.scores[0], kid.members[0] // (an inner kid's key 0 is its first kid's)
				in.kids[in.n], in.counts[in.n] = kid, counts[at+in.n]
				sum += in.counts[in.n]
				in.n++
			}
			at += k
			up, upCounts = append(up, &in.zbNode), append(upCounts, sum)
			t.inners++
		}
		level, counts = up, upCounts
		t.height++
	}
	t.root = level[0]
	return t
}

// ustr views b as a string without copying, for lookups that do not keep it.
func ustr(b []byte) string { return unsafe.String(unsafe.SliceData(b), len(b)) }

// dictSetOwnedKey stores v under key in d without copying key (the caller hands the
// string over, so the tree's leaf and the dict entry share it). It reports whether
// key was new.
func dictSetOwnedKey[V any](d *Dict[V], key string, v V) bool {
	kb := unsafe.Slice(unsafe.StringData(key), len(key))
	h := dictHash(kb)
	if p := d.findHashed(kb, h); p != nil {
		(*p).val = v
		return false
	}
	d.add(&dictEntry[V]{key: key, val: v}, h)
	return true
}
