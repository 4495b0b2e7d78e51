package storage

import (
	"bytes"
	"slices"
	"unsafe"
)

// List is the list value, a quicklist as in Redis 7.0: a deque of nodes, each a packed
// buffer of elements bounded by list-max-listpack-size (the list's fill). OBJECT
// ENCODING always reports "quicklist" (Redis 7.0 has no listpack lists).
//
// Each node stores its elements back to back as entries: a uvarint length, the bytes, and
// the entry's size again in a form read from its end (so a node can be walked both ways).
// Small elements cost 2 bytes of overhead. Positional operations (Index, Set, Range, Trim)
// skip whole nodes using their counts, then walk inside one node from its nearer end.
// Pushes and pops at either end are O(1) amortized: head nodes keep spare room in front,
// tail nodes behind.
//
// Slices returned by Pop*, Index, Range, Each and EachRev alias the list's buffers: they
// stay valid until the next change to the list, except that an element just popped may be
// passed straight to PushFront/PushBack of the same list (LMOVE on one key). Any other
// element given to the list is copied and may alias anything but the list itself.
//
// A List is not safe for concurrent use; the keyspace guards it with its key's stripe.
type List struct {
	nodes []listNode // the live nodes are nodes[off:]
	off   int
	count int
	fill  int
	bufs  int // the capacities of the live nodes' buffers, summed (for Mem)
}

var _ Iterable = (*List)(nil)

// listNode is one packed node; its entries occupy buf[head:].
type listNode struct {
	buf  []byte
	head int
	n    int
}

func (nd *listNode) size() int { return len(nd.buf) - nd.head }

// Node size limits (Redis 7.0's quicklist): a negative fill -1..-5 bounds a node's bytes
// at 4, 8, 16, 32 or 64 KiB; a non-negative fill bounds its element count, with a safety
// cap of 8 KiB. A node always accepts its first element, however large.
const (
	listSafetyLimit = 8192
	listMinAlloc    = 16
)

// NewList returns an empty list with Redis's default fill (-2: 8 KiB per node).
func NewList() *List { return &List{fill: -2} }

// NewListFill returns an empty list whose nodes are bounded by fill, the value of
// list-max-listpack-size when the list is created (later changes to the directive do
// not affect existing lists, as in Redis).
func NewListFill(fill int) *List { return &List{fill: fill} }

// Type is TypeList.
func (l *List) Type() Type { return TypeList }

// Encoding is "quicklist".
func (l *List) Encoding() string { return "quicklist" }

// Len is the number of elements.
func (l *List) Len() int { return l.count }

// Mem estimates the bytes the list occupies: its header, the node array and the node
// buffers' capacities. O(1).
func (l *List) Mem() int64 {
	return int64(unsafe.Sizeof(*l)) + int64(cap(l.nodes))*int64(unsafe.Sizeof(listNode{})) + int64(l.bufs)
}

// setBuf replaces nd's buffer with b, keeping bufs.
func (l *List) setBuf(nd *listNode, b []byte) {
	l.bufs += cap(b) - cap(nd.buf)
	nd.buf = b
}

// Clone returns a deep copy with exactly sized buffers.
func (l *List) Clone() Value {
	c := &List{fill: l.fill, count: l.count, nodes: make([]listNode, 0, len(l.nodes)-l.off)}
	for _, nd := range l.live() {
		c.nodes = append(c.nodes, listNode{buf: slices.Clone(nd.buf[nd.head:]), n: nd.n})
		c.bufs += cap(c.nodes[len(c.nodes)-1].buf)
	}
	return c
}

func (l *List) live() []listNode { return l.nodes[l.off:] }

func (l *List) nlive() int { return len(l.nodes) - l.off }

// byteLimit is the largest node payload, countLimit the largest element count (0 = none).
func (l *List) limits() (byteLimit, countLimit int) {
	if l.fill < 0 {
		level := min(-l.fill, 5)
		return 4096 << (level - 1), 0
	}
	return listSafetyLimit, max(l.fill, 1)
}

// fits reports whether a node of size bytes and n elements is within the limits.
func (l *List) fits(size, n int) bool {
	bl, cl := l.limits()
	return size <= bl && (cl == 0 || n <= cl)
}

// growCap returns the capacity for a node buffer that must hold need bytes, now cap old:
// 1.5× growth, never beyond the node byte limit unless one element alone exceeds it.
func (l *List) growCap(old, need int) int {
	bl, _ := l.limits()
	c := max(need, old+old/2, listMinAlloc)
	return min(c, max(need, bl))
}

// Entry encoding.

// uvlen is the number of 7-bit groups needed for x (the length of its uvarint).
func uvlen(x int) int {
	n := 1
	for x >= 0x80 {
		x >>= 7
		n++
	}
	return n
}

// entrySize is the encoded size of an element of l bytes.
func entrySize(l int) int {
	h := uvlen(l)
	return h + l + uvlen(h+l)
}

// putEntry encodes elem at the start of dst (which has room) and returns its size.
func putEntry(dst []byte, elem []byte) int {
	p := 0
	x := len(elem)
	for x >= 0x80 {
		dst[p] = byte(x) | 0x80
		x >>= 7
		p++
	}
	dst[p] = byte(x)
	p++
	copy(dst[p:], elem)
	v := p + len(elem)
	p = v
	k := uvlen(v)
	for j := 0; j < k; j++ {
		g := byte(v>>(7*(k-1-j))) & 0x7f
		if j > 0 {
			g |= 0x80
		}
		dst[p+j] = g
	}
	return p + k
}

// readFwd decodes the entry at buf[p:]; it returns the element and the next entry's offset.
func readFwd(buf []byte, p int) ([]byte, int) {
	x, shift, i := 0, 0, p
	for {
		b := buf[i]
		i++
		x |= int(b&0x7f) << shift
		if b < 0x80 {
			break
		}
		shift += 7
	}
	end := i + x
	return buf[i:end:end], end + uvlen(end-p)
}

// readBack decodes the entry that ends at buf[:end]; it returns the element and the
// entry's offset.
func readBack(buf []byte, end int) ([]byte, int) {
	v, shift, i := 0, 0, end-1
	for {
		b := buf[i]
		v |= int(b&0x7f) << shift
		if b < 0x80 {
			break
		}
		shift += 7
		i--
	}
	start := i - v
	e, _ := readFwd(buf, start)
	return e, start
}

// Node array management.

// insertNode inserts nd at live position i.
func (l *List) insertNode(i int, nd listNode) {
	l.bufs += cap(nd.buf)
	if i == 0 && l.off > 0 {
		l.off--
		l.nodes[l.off] = nd
		return
	}
	if i == 0 && len(l.nodes) > 0 {
		// Make room in front so that runs of front pushes stay amortized O(1).
		n := len(l.nodes) - l.off
		gap := max(4, n/2)
		ns := make([]listNode, gap+n, gap+n+max(4, n/2))
		copy(ns[gap:], l.live())
		l.nodes, l.off = ns, gap-1
		l.nodes[l.off] = nd
		return
	}
	if l.off > 0 && len(l.nodes) == cap(l.nodes) {
		// Reclaim the slots freed at the front before growing (a queue drains its
		// head nodes while it appends new ones).
		n := copy(l.nodes, l.live())
		clear(l.nodes[n:])
		l.nodes, l.off = l.nodes[:n], 0
	}
	l.nodes = slices.Insert(l.nodes, l.off+i, nd)
}

// deleteNode removes the node at live position i.
func (l *List) deleteNode(i int) {
	l.bufs -= cap(l.live()[i].buf)
	switch {
	case i == 0:
		l.nodes[l.off] = listNode{}
		l.off++
	case l.off+i == len(l.nodes)-1:
		l.nodes[len(l.nodes)-1] = listNode{}
		l.nodes = l.nodes[:len(l.nodes)-1]
	default:
		l.nodes = slices.Delete(l.nodes, l.off+i, l.off+i+1)
	}
	if l.off == len(l.nodes) {
		l.nodes, l.off = l.nodes[:0], 0
	}
}

func (l *List) first() *listNode {
	if l.off == len(l.nodes) {
		return nil
	}
	return &l.nodes[l.off]
}

func (l *List) last() *listNode {
	if l.off == len(l.nodes) {
		return nil
	}
	return &l.nodes[len(l.nodes)-1]
}

// Pushes and pops.

// PushBack appends elem at the tail (RPUSH).
func (l *List) PushBack(elem []byte) {
	es := entrySize(len(elem))
	nd := l.last()
	if nd == nil || !l.fits(nd.size()+es, nd.n+1) {
		l.insertNode(len(l.nodes)-l.off, listNode{buf: make([]byte, 0, l.growCap(0, es))})
		nd = l.last()
	}
	end := len(nd.buf)
	if cap(nd.buf)-end < es {
		// Never grow in place: a just-popped element of this list may be elem.
		nb := make([]byte, end+es, nd.head+l.growCap(cap(nd.buf)-nd.head, end-nd.head+es))
		copy(nb[nd.head:], nd.buf[nd.head:])
		putEntry(nb[end:], elem)
		l.setBuf(nd, nb)
	} else {
		nd.buf = nd.buf[:end+es]
		putEntry(nd.buf[end:], elem)
	}
	nd.n++
	l.count++
}

// PushFront prepends elem at the head (LPUSH).
func (l *List) PushFront(elem []byte) {
	es := entrySize(len(elem))
	nd := l.first()
	if nd == nil || !l.fits(nd.size()+es, nd.n+1) {
		c := l.growCap(0, es)
		l.insertNode(0, listNode{buf: make([]byte, c), head: c})
		nd = l.first()
	}
	if nd.head < es {
		// Grow with the spare room in front, where the next pushes go.
		size := nd.size()
		c := l.growCap(cap(nd.buf), size+es)
		nb := make([]byte, c)
		copy(nb[c-size:], nd.buf[nd.head:])
		l.setBuf(nd, nb)
		nd.head = c - size
	}
	nd.head -= es
	putEntry(nd.buf[nd.head:], elem)
	nd.n++
	l.count++
}

// PopFront removes and returns the head element; ok is false when the list is empty.
func (l *List) PopFront() (elem []byte, ok bool) {
	nd := l.first()
	if nd == nil {
		return nil, false
	}
	elem, nd.head = readFwd(nd.buf, nd.head)
	nd.n--
	l.count--
	if nd.n == 0 {
		l.deleteNode(0)
	}
	return elem, true
}

// PopBack removes and returns the tail element; ok is false when the list is empty.
func (l *List) PopBack() (elem []byte, ok bool) {
	nd := l.last()
	if nd == nil {
		return nil, false
	}
	var start int
	elem, start = readBack(nd.buf, len(nd.buf))
	nd.buf = nd.buf[:start]
	nd.n--
	l.count--
	if nd.n == 0 {
		l.deleteNode(len(l.nodes) - l.off - 1)
	}
	return elem, true
}

// Positional access. Indexes are 0-based from the head; the node layer maps Redis's
// negative indexes.

// locate returns the live node position and the byte offset of element i
// (0 <= i < Len), walking from the nearer end of the list and of the node.
func (l *List) locate(i int) (ni, p int) {
	ns := l.live()
	if i < l.count/2 {
		for i >= ns[ni].n {
			i -= ns[ni].n
			ni++
		}
	} else {
		j := l.count - 1 - i // position from the tail
		ni = len(ns) - 1
		for j >= ns[ni].n {
			j -= ns[ni].n
			ni--
		}
		i = ns[ni].n - 1 - j
	}
	nd := &ns[ni]
	if i < nd.n/2 {
		p = nd.head
		for ; i > 0; i-- {
			_, p = readFwd(nd.buf, p)
		}
		return ni, p
	}
	p = len(nd.buf)
	for k := nd.n - i; k > 0; k-- {
		_, p = readBack(nd.buf, p)
	}
	return ni, p
}

// Index returns element i (0 <= i < Len; otherwise ok is false).
func (l *List) Index(i int) (elem []byte, ok bool) {
	if i < 0 || i >= l.count {
		return nil, false
	}
	ni, p := l.locate(i)
	elem, _ = readFwd(l.live()[ni].buf, p)
	return elem, true
}

// Set replaces element i with elem (LSET); it reports false when i is out of range.
func (l *List) Set(i int, elem []byte) bool {
	if i < 0 || i >= l.count {
		return false
	}
	ni, p := l.locate(i)
	nd := &l.live()[ni]
	_, next := readFwd(nd.buf, p)
	l.splice(nd, p, next-p, elem)
	l.split(ni)
	return true
}

// Insert inserts elem before (or, with after, after) the first element equal to pivot,
// scanning from the head (LINSERT). It reports whether pivot was found.
func (l *List) Insert(pivot, elem []byte, after bool) bool {
	ns := l.live()
	for ni := range ns {
		nd := &ns[ni]
		for p := nd.head; p < len(nd.buf); {
			e, next := readFwd(nd.buf, p)
			if bytes.Equal(e, pivot) {
				if after {
					p = next
				}
				l.splice(nd, p, 0, elem)
				nd.n++
				l.count++
				l.split(ni)
				return true
			}
			p = next
		}
	}
	return false
}

// splice replaces the del bytes at offset p of nd by the entry of elem. It may move the
// node's bytes; elem must not alias the list.
func (l *List) splice(nd *listNode, p, del int, elem []byte) {
	es := entrySize(len(elem))
	end := len(nd.buf)
	switch d := es - del; {
	case d <= 0:
		putEntry(nd.buf[p:], elem)
		copy(nd.buf[p+es:], nd.buf[p+del:end])
		nd.buf = nd.buf[:end+d]
	case cap(nd.buf)-end >= d:
		nd.buf = nd.buf[:end+d]
		copy(nd.buf[p+es:], nd.buf[p+del:end])
		putEntry(nd.buf[p:], elem)
	default:
		size := end - nd.head + d
		nb := make([]byte, size, l.growCap(cap(nd.buf)-nd.head, size))
		k := copy(nb, nd.buf[nd.head:p])
		k += putEntry(nb[k:], elem)
		copy(nb[k:], nd.buf[p+del:end])
		l.setBuf(nd, nb)
		nd.head = 0
	}
}

// split breaks live node ni into balanced nodes within the limits when it exceeds them
// (after Set or Insert grew it).
func (l *List) split(ni int) {
	nd := l.live()[ni]
	size := nd.size()
	if nd.n < 2 || l.fits(size, nd.n) {
		return
	}
	bl, cl := l.limits()
	parts := (size + bl - 1) / bl
	if cl > 0 {
		parts = max(parts, (nd.n+cl-1)/cl)
	}
	parts = max(parts, 2)
	targetBytes, targetN := (size+parts-1)/parts, (nd.n+parts-1)/parts
	var pieces []listNode
	start, cnt := nd.head, 0
	for p := nd.head; p < len(nd.buf); {
		_, next := readFwd(nd.buf, p)
		if cnt > 0 && (!l.fits(next-start, cnt+1) || p-start >= targetBytes || cnt >= targetN) {
			pieces = append(pieces, listNode{buf: slices.Clone(nd.buf[start:p]), n: cnt})
			start, cnt = p, 0
		}
		cnt++
		p = next
	}
	pieces = append(pieces, listNode{buf: slices.Clone(nd.buf[start:]), n: cnt})
	l.bufs -= cap(nd.buf)
	for _, pc := range pieces {
		l.bufs += cap(pc.buf)
	}
	l.nodes[l.off+ni] = pieces[0]
	l.nodes = slices.Insert(l.nodes, l.off+ni+1, pieces[1:]...)
}

// Range calls fn with the elements start..stop inclusive (0 <= start <= stop < Len),
// head to tail, until fn returns false (LRANGE).
func (l *List) Range(start, stop int, fn func(elem []byte) bool) {
	if start < 0 || stop >= l.count || start > stop {
		return
	}
	ni, p := l.locate(start)
	ns := l.live()
	for n := stop - start + 1; n > 0; {
		nd := &ns[ni]
		for ; p < len(nd.buf) && n > 0; n-- {
			var e []byte
			e, p = readFwd(nd.buf, p)
			if !fn(e) {
				return
			}
		}
		ni++
		if ni < len(ns) {
			p = ns[ni].head
		}
	}
}

// Each calls fn with every element from head to tail until fn returns false.
func (l *List) Each(fn func(elem []byte) bool) {
	for _, nd := range l.live() {
		for p := nd.head; p < len(nd.buf); {
			var e []byte
			e, p = readFwd(nd.buf, p)
			if !fn(e) {
				return
			}
		}
	}
}

// EachRev calls fn with every element from tail to head until fn returns false.
func (l *List) EachRev(fn func(elem []byte) bool) {
	ns := l.live()
	for ni := len(ns) - 1; ni >= 0; ni-- {
		nd := &ns[ni]
		for p := len(nd.buf); p > nd.head; {
			var e []byte
			e, p = readBack(nd.buf, p)
			if !fn(e) {
				return
			}
		}
	}
}

// Trim keeps only the elements start..stop inclusive (LTRIM); with start > stop, or a
// range outside the list, it empties the list. start and stop are clamped to the list.
func (l *List) Trim(start, stop int) {
	start = max(start, 0)
	stop = min(stop, l.count-1)
	if start > stop {
		l.nodes, l.off, l.count, l.bufs = nil, 0, 0, 0
		return
	}
	l.dropBack(l.count - 1 - stop)
	l.dropFront(start)
}

// dropFront removes the first k elements (k <= Len).
func (l *List) dropFront(k int) {
	for k > 0 {
		nd := l.first()
		if k >= nd.n {
			k -= nd.n
			l.count -= nd.n
			l.deleteNode(0)
			continue
		}
		for ; k > 0; k-- {
			_, nd.head = readFwd(nd.buf, nd.head)
			nd.n--
			l.count--
		}
	}
}

// dropBack removes the last k elements (k <= Len).
func (l *List) dropBack(k int) {
	for k > 0 {
		nd := l.last()
		if k >= nd.n {
			k -= nd.n
			l.count -= nd.n
			l.deleteNode(len(l.nodes) - l.off - 1)
			continue
		}
		end := len(nd.buf)
		for ; k > 0; k-- {
			_, end = readBack(nd.buf, end)
			nd.n--
			l.count--
		}
		nd.buf = nd.buf[:end]
	}
}

// Remove deletes elements equal to elem (LREM): the first count from the head when
// count > 0, the last -count from the tail when count < 0, all when count == 0. It
// returns the number removed.
func (l *List) Remove(count int, elem []byte) int {
	ns := l.live()
	if len(ns) == 0 {
		return 0
	}
	// Find where removal starts; from there on, every match is removed up to limit.
	fromNode, fromPos, limit := 0, ns[0].head, count
	if count <= 0 {
		limit = l.count
	}
	if count < 0 {
		want := -count
	scan:
		for ni := len(ns) - 1; ni >= 0; ni-- {
			nd := &ns[ni]
			for p := len(nd.buf); p > nd.head; {
				var e []byte
				e, p = readBack(nd.buf, p)
				if bytes.Equal(e, elem) {
					if want--; want == 0 {
						fromNode, fromPos = ni, p
						break scan
					}
				}
			}
		}
	}
	removed, ni, p := 0, fromNode, fromPos
	for ni < l.nlive() && removed < limit {
		nd := &l.nodes[l.off+ni]
		k := compactNode(nd, p, elem, limit-removed)
		removed += k
		l.count -= k
		if nd.n == 0 {
			l.deleteNode(ni)
		} else {
			// Fold what is left into the node before when both fit (removals leave
			// nodes small); only nodes already scanned are merged.
			if k > 0 && ni > 0 && l.mergeNext(ni-1) {
				ni--
			}
			ni++
		}
		if ni < l.nlive() {
			p = l.nodes[l.off+ni].head
		}
	}
	if ni > 0 && ni < l.nlive() {
		l.mergeNext(ni - 1)
	}
	return removed
}

// compactNode removes up to limit entries equal to elem from offset p of nd, shifting the
// rest down; it returns how many it removed.
func compactNode(nd *listNode, p int, elem []byte, limit int) int {
	w, removed := p, 0
	for r := p; r < len(nd.buf); {
		e, next := readFwd(nd.buf, r)
		if removed < limit && bytes.Equal(e, elem) {
			removed++
		} else {
			if w != r {
				copy(nd.buf[w:], nd.buf[r:next])
			}
			w += next - r
		}
		r = next
	}
	nd.buf = nd.buf[:w]
	nd.n -= removed
	return removed
}

// mergeNext appends live node ni+1 to node ni when the result fits; it reports whether
// it did.
func (l *List) mergeNext(ni int) bool {
	a, b := &l.nodes[l.off+ni], &l.nodes[l.off+ni+1]
	if !l.fits(a.size()+b.size(), a.n+b.n) {
		return false
	}
	size := a.size() + b.size()
	if cap(a.buf)-len(a.buf) >= b.size() {
		a.buf = append(a.buf, b.buf[b.head:]...) // (within its capacity)
	} else {
		nb := make([]byte, size, l.growCap(cap(a.buf)-a.head, size))
		copy(nb[copy(nb, a.buf[a.head:]):], b.buf[b.head:])
		l.setBuf(a, nb)
		a.head = 0
	}
	a.n += b.n
	l.deleteNode(ni + 1)
	return true
}
