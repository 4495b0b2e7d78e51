package storage

import (
	"bytes"
	"encoding/binary"
	"math"
	"slices"
	"sort"
	"strconv"
	"unsafe"
)

// StreamID is a stream entry ID: milliseconds and a sequence number.
type StreamID struct{ Ms, Seq uint64 }

// MaxStreamID is the largest ID ("+").
var MaxStreamID = StreamID{math.MaxUint64, math.MaxUint64}

// Compare orders IDs: -1, 0 or 1.
func (a StreamID) Compare(b StreamID) int {
	switch {
	case a.Ms < b.Ms:
		return -1
	case a.Ms > b.Ms:
		return 1
	case a.Seq < b.Seq:
		return -1
	case a.Seq > b.Seq:
		return 1
	}
	return 0
}

// Less reports a < b.
func (a StreamID) Less(b StreamID) bool { return a.Compare(b) < 0 }

// IsZero reports whether the ID is 0-0.
func (a StreamID) IsZero() bool { return a.Ms == 0 && a.Seq == 0 }

// Next returns the ID just after a; ok is false for MaxStreamID.
func (a StreamID) Next() (StreamID, bool) {
	switch {
	case a.Seq < math.MaxUint64:
		return StreamID{a.Ms, a.Seq + 1}, true
	case a.Ms < math.MaxUint64:
		return StreamID{a.Ms + 1, 0}, true
	}
	return a, false
}

// Prev returns the ID just before a; ok is false for 0-0.
func (a StreamID) Prev() (StreamID, bool) {
	switch {
	case a.Seq > 0:
		return StreamID{a.Ms, a.Seq - 1}, true
	case a.Ms > 0:
		return StreamID{a.Ms - 1, math.MaxUint64}, true
	}
	return a, false
}

// Append writes the ID as "ms-seq".
func (a StreamID) Append(b []byte) []byte {
	b = strconv.AppendUint(b, a.Ms, 10)
	b = append(b, '-')
	return strconv.AppendUint(b, a.Seq, 10)
}

// String is "ms-seq".
func (a StreamID) String() string { return string(a.Append(nil)) }

// ParseStreamID parses "ms-seq" or "ms" (then seq is missingSeq and seqGiven false), as
// Redis's streamParseID. Leading '+' signs and spaces are refused.
func ParseStreamID(b []byte, missingSeq uint64) (id StreamID, seqGiven, ok bool) {
	if len(b) == 0 || len(b) > 127 {
		return id, false, false
	}
	ms, seq, dash := bytes.Cut(b, []byte{'-'})
	var err error
	if id.Ms, err = parseUint(ms); err != nil {
		return id, false, false
	}
	if !dash {
		id.Seq = missingSeq
		return id, false, true
	}
	if id.Seq, err = parseUint(seq); err != nil {
		return id, false, false
	}
	return id, true, true
}

func parseUint(b []byte) (uint64, error) {
	if len(b) == 0 || b[0] == '+' || b[0] == '-' || b[0] == ' ' {
		return 0, strconv.ErrSyntax
	}
	return strconv.ParseUint(unsafe.String(unsafe.SliceData(b), len(b)), 10, 64)
}

// Stream is the stream value: entries kept in order of ID in packed nodes (as Redis's
// radix tree of listpacks), plus the consumer groups.
//
// A node holds up to stream-node-max-entries entries and about stream-node-max-bytes
// bytes. Its buffer starts with the "master" field names (those of its first entry);
// then each entry is a flags byte, the ID as uvarint deltas from the node's first ID,
// and its fields and values as uvarint-length strings — values only when its field
// names equal the master's. XDEL marks an entry deleted in place; a node whose entries
// are all deleted is dropped. The node index is an ordered slice searched by binary
// search: appends go at its end and trims take from its front (an offset), the two
// common changes.
//
// Slices handed to callbacks alias the node buffers: valid until the stream changes.
// A Stream is not safe for concurrent use; the keyspace guards it with its key's stripe.
type Stream struct {
	nodes []*streamNode // live nodes are nodes[off:]
	off   int
	n     int64 // live entries
	bufs  int64 // the live nodes' sizes with their buffers' capacities, summed (for Mem)

	LastID       StreamID // the greatest ID ever added (or set by XSETID)
	FirstID      StreamID // the first live entry's ID (0-0 when empty)
	MaxDeletedID StreamID // the greatest ID ever deleted (XDEL) or trimmed
	EntriesAdded int64    // entries ever added

	groups map[string]*StreamGroup
}

type streamNode struct {
	first  StreamID // ID of the node's first entry: the base of the deltas
	buf    []byte   // master fields, then entries
	master int      // offset where the entries start
	count  int      // entries, deleted ones included
	live   int      // entries not deleted
	last   StreamID // ID of the node's last entry (deleted or not)
}

const (
	streamFlagDeleted    = 1
	streamFlagSameFields = 2
)

// NewStream returns an empty stream.
func NewStream() *Stream { return &Stream{} }

// Type is TypeStream.
func (s *Stream) Type() Type { return TypeStream }

// Encoding is "stream".
func (s *Stream) Encoding() string { return "stream" }

// Len is the number of entries.
func (s *Stream) Len() int64 { return s.n }

// Mem estimates the bytes the stream occupies: O(1) for the entries, O(groups +
// consumers) for the consumer groups.
func (s *Stream) Mem() int64 {
	m := int64(unsafe.Sizeof(*s)) + int64(cap(s.nodes))*8 + s.bufs
	for name, g := range s.groups {
		m += int64(len(name)) + 64 + int64(g.pel.Len())*80
		for cname := range g.consumers {
			m += int64(len(cname)) + 64
		}
	}
	return m
}

// Clone returns a deep copy, consumer groups included.
func (s *Stream) Clone() Value {
	c := *s
	c.nodes = make([]*streamNode, 0, len(s.nodes)-s.off)
	c.off, c.bufs = 0, 0
	for _, nd := range s.live() {
		cp := *nd
		cp.buf = slices.Clone(nd.buf)
		c.nodes = append(c.nodes, &cp)
		c.bufs += cp.mem()
	}
	c.groups = nil
	for name, g := range s.groups {
		ng := c.CreateGroup(name, g.LastID, g.EntriesRead)
		for _, cname := range g.ConsumerNames() {
			ng.Consumer(cname, g.consumers[cname].SeenTime)
		}
		g.pel.Ascend(func(p *PendingEntry) bool {
			np := &PendingEntry{ID: p.ID, DeliveryTime: p.DeliveryTime, DeliveryCount: p.DeliveryCount}
			np.Consumer = ng.consumers[p.Consumer.Name]
			ng.pel.ReplaceOrInsert(np)
			np.Consumer.pel.ReplaceOrInsert(np)
			return true
		})
	}
	return &c
}

func (s *Stream) live() []*streamNode { return s.nodes[s.off:] }

// mem is what nd counts for in Mem.
func (nd *streamNode) mem() int64 { return int64(unsafe.Sizeof(*nd)) + int64(cap(nd.buf)) }

// Append adds an entry with id, which the caller has checked is greater than LastID;
// fv alternates field names and values. A new node starts when the last one has
// maxEntries entries or would pass maxBytes bytes (0 = no limit).
func (s *Stream) Append(id StreamID, fv [][]byte, maxEntries, maxBytes int64) {
	var nd *streamNode
	if ln := len(s.nodes); ln > s.off {
		nd = s.nodes[ln-1]
		size := 0
		for _, b := range fv {
			size += len(b) + 2
		}
		if maxEntries > 0 && int64(nd.count) >= maxEntries || maxBytes > 0 && int64(len(nd.buf)+size) > maxBytes {
			nd = nil
		}
	}
	var was int64 // nd's share of bufs before the append
	if nd == nil {
		nd = &streamNode{first: id}
		nd.buf = binary.AppendUvarint(nd.buf, uint64(len(fv)/2))
		for i := 0; i < len(fv); i += 2 {
			nd.buf = appendStr(nd.buf, fv[i])
		}
		nd.master = len(nd.buf)
		s.compact()
		s.nodes = append(s.nodes, nd)
	} else {
		was = nd.mem()
	}
	same := nd.sameFields(fv)
	flags := byte(0)
	if same {
		flags = streamFlagSameFields
	}
	nd.buf = append(nd.buf, flags)
	nd.buf = binary.AppendUvarint(nd.buf, id.Ms-nd.first.Ms)
	nd.buf = binary.AppendUvarint(nd.buf, id.Seq)
	if same {
		for i := 1; i < len(fv); i += 2 {
			nd.buf = appendStr(nd.buf, fv[i])
		}
	} else {
		nd.buf = binary.AppendUvarint(nd.buf, uint64(len(fv)/2))
		for _, b := range fv {
			nd.buf = appendStr(nd.buf, b)
		}
	}
	s.bufs += nd.mem() - was
	nd.count++
	nd.live++
	nd.last = id
	if s.n == 0 {
		s.FirstID = id
	}
	s.n++
	s.LastID = id
	s.EntriesAdded++
}

// compact drops the dead prefix of the node index once it dominates.
func (s *Stream) compact() {
	if s.off > 16 && s.off*2 > len(s.nodes) {
		n := copy(s.nodes, s.nodes[s.off:])
		clear(s.nodes[n:])
		s.nodes = s.nodes[:n]
		s.off = 0
	}
}

func appendStr(b, s []byte) []byte {
	b = binary.AppendUvarint(b, uint64(len(s)))
	return append(b, s...)
}

func readStr(b []byte, p int) ([]byte, int) {
	n, k := binary.Uvarint(b[p:])
	p += k
	return b[p : p+int(n)], p + int(n)
}

// sameFields reports whether fv's field names are the node's master fields.
func (nd *streamNode) sameFields(fv [][]byte) bool {
	n, p := binary.Uvarint(nd.buf)
	if int(n) != len(fv)/2 {
		return false
	}
	for i := 0; i < len(fv); i += 2 {
		var f []byte
		f, p = readStr(nd.buf, p)
		if !bytes.Equal(f, fv[i]) {
			return false
		}
	}
	return true
}

// entry decodes the entry at offset p: its flags, ID, fields and values (appended to
// fv[:0]) and the offset of the next entry.
func (nd *streamNode) entry(p int, fv [][]byte) (flags byte, id StreamID, out [][]byte, next int) {
	b := nd.buf
	flags = b[p]
	p++
	d, k := binary.Uvarint(b[p:])
	p += k
	seq, k := binary.Uvarint(b[p:])
	p += k
	id = StreamID{nd.first.Ms + d, seq}
	out = fv[:0]
	if flags&streamFlagSameFields != 0 {
		nf, mp := binary.Uvarint(b)
		for range nf {
			var f, v []byte
			f, mp = readStr(b, mp)
			v, p = readStr(b, p)
			out = append(out, f, v)
		}
	} else {
		nf, k := binary.Uvarint(b[p:])
		p += k
		for range 2 * nf {
			var x []byte
			x, p = readStr(b, p)
			out = append(out, x)
		}
	}
	return flags, id, out, p
}

// offsets returns the offsets of the node's entries, in order.
func (nd *streamNode) offsets(dst []int) []int {
	dst = dst[:0]
	var scratch [16][]byte
	for p := nd.master; p < len(nd.buf); {
		dst = append(dst, p)
		_, _, _, p = nd.entry(p, scratch[:0])
	}
	return dst
}

// nodeFor returns the index (in s.nodes) of the first live node whose last ID is >= id.
func (s *Stream) nodeFor(id StreamID) int {
	live := s.live()
	return s.off + sort.Search(len(live), func(i int) bool { return !live[i].last.Less(id) })
}

// Range calls fn for the live entries with start <= ID <= end in ascending order (or
// descending with rev) until fn returns false. fv aliases the stream: valid during the
// call only, and fn must not change the stream.
func (s *Stream) Range(start, end StreamID, rev bool, fn func(id StreamID, fv [][]byte) bool) {
	if end.Less(start) || s.n == 0 {
		return
	}
	var fv [][]byte
	if !rev {
		for i := s.nodeFor(start); i < len(s.nodes); i++ {
			nd := s.nodes[i]
			if end.Less(nd.first) {
				return
			}
			for p := nd.master; p < len(nd.buf); {
				var flags byte
				var id StreamID
				flags, id, fv, p = nd.entry(p, fv)
				if flags&streamFlagDeleted != 0 || id.Less(start) {
					continue
				}
				if end.Less(id) || !fn(id, fv) {
					return
				}
			}
		}
		return
	}
	var offs []int
	last := min(s.nodeFor(end), len(s.nodes)-1)
	for i := last; i >= s.off; i-- {
		nd := s.nodes[i]
		if nd.last.Less(start) {
			return
		}
		offs = nd.offsets(offs)
		for j := len(offs) - 1; j >= 0; j-- {
			var flags byte
			var id StreamID
			flags, id, fv, _ = nd.entry(offs[j], fv)
			if flags&streamFlagDeleted != 0 || end.Less(id) {
				continue
			}
			if id.Less(start) || !fn(id, fv) {
				return
			}
		}
	}
}

// Get returns the fields and values of entry id (aliasing, as Range).
func (s *Stream) Get(id StreamID) (fv [][]byte, ok bool) {
	s.Range(id, id, false, func(_ StreamID, x [][]byte) bool {
		fv, ok = x, true
		return false
	})
	return fv, ok
}

// Delete removes entry id and reports whether it existed (XDEL).
func (s *Stream) Delete(id StreamID) bool {
	i := s.nodeFor(id)
	if i >= len(s.nodes) || id.Less(s.nodes[i].first) {
		return false
	}
	nd := s.nodes[i]
	var fv [][]byte
	for p := nd.master; p < len(nd.buf); {
		start := p
		var flags byte
		var eid StreamID
		flags, eid, fv, p = nd.entry(p, fv)
		if eid != id {
			continue
		}
		if flags&streamFlagDeleted != 0 {
			return false
		}
		nd.buf[start] |= streamFlagDeleted
		nd.live--
		s.n--
		if nd.live == 0 {
			s.removeNode(i)
		}
		if s.MaxDeletedID.Less(id) {
			s.MaxDeletedID = id
		}
		if id == s.FirstID {
			s.resetFirst()
		}
		return true
	}
	return false
}

func (s *Stream) removeNode(i int) {
	s.bufs -= s.nodes[i].mem()
	if i == s.off {
		s.nodes[i] = nil
		s.off++
	} else {
		s.nodes = slices.Delete(s.nodes, i, i+1)
	}
	if s.off == len(s.nodes) {
		s.nodes, s.off = s.nodes[:0], 0
	}
}

// resetFirst recomputes FirstID after the first entry went.
func (s *Stream) resetFirst() {
	s.FirstID = StreamID{}
	s.Range(StreamID{}, MaxStreamID, false, func(id StreamID, _ [][]byte) bool {
		s.FirstID = id
		return false
	})
}

// Trim removes entries from the start (XTRIM, XADD's trimming) and returns how many:
// with minID set (useMinID) those with IDs below minID, else the oldest beyond maxLen.
// approx removes whole nodes only; limit bounds the entries removed (0 = none), checked
// before each node as Redis does.
func (s *Stream) Trim(maxLen int64, minID StreamID, useMinID, approx bool, limit int64) int64 {
	var removed int64
	for s.off < len(s.nodes) {
		nd := s.nodes[s.off]
		if !useMinID && s.n <= maxLen {
			break
		}
		whole := nd.last.Less(minID)
		if !useMinID {
			whole = s.n-int64(nd.live) >= maxLen
		}
		if limit > 0 && removed+int64(nd.live) > limit {
			break
		}
		if whole {
			removed += int64(nd.live)
			s.n -= int64(nd.live)
			s.removeNode(s.off)
			continue
		}
		if approx {
			break
		}
		// Delete entries one by one from the start of this node.
		var fv [][]byte
		for p := nd.master; p < len(nd.buf); {
			start := p
			var flags byte
			var id StreamID
			flags, id, fv, p = nd.entry(p, fv)
			if flags&streamFlagDeleted != 0 {
				continue
			}
			if useMinID && !id.Less(minID) || !useMinID && s.n <= maxLen {
				break
			}
			nd.buf[start] |= streamFlagDeleted
			nd.live--
			s.n--
			removed++
		}
		break
	}
	if removed > 0 {
		s.resetFirst()
	}
	return removed
}

// LastEntry returns the ID of the last live entry; ok false when empty.
func (s *Stream) LastEntry() (id StreamID, ok bool) {
	s.Range(StreamID{}, MaxStreamID, true, func(x StreamID, _ [][]byte) bool {
		id, ok = x, true
		return false
	})
	return id, ok
}

// HasTombstones reports whether an entry between start and end (inclusive) may have
// been deleted: the greatest deleted ID falls in the range and after the first entry.
func (s *Stream) HasTombstones(start, end StreamID) bool {
	if s.n == 0 || s.MaxDeletedID.IsZero() || s.MaxDeletedID.Less(s.FirstID) {
		return false
	}
	return !s.MaxDeletedID.Less(start) && !end.Less(s.MaxDeletedID)
}

// EntriesBefore estimates the logical position of id: how many entries were added up to
// and including it, or -1 when that cannot be known (deletions in between, or an ID
// after the last). It is Redis's streamEstimateDistanceFromFirstEverEntry.
func (s *Stream) EntriesBefore(id StreamID) int64 {
	if s.EntriesAdded == 0 {
		return 0
	}
	if s.n == 0 && id.Compare(s.LastID) <= 0 {
		return s.EntriesAdded
	}
	switch c := id.Compare(s.LastID); {
	case c == 0:
		return s.EntriesAdded
	case c > 0:
		return -1
	}
	if s.MaxDeletedID.IsZero() || s.MaxDeletedID.Less(s.FirstID) {
		switch id.Compare(s.FirstID) {
		case -1:
			return s.EntriesAdded - s.n
		case 0:
			return s.EntriesAdded - s.n + 1
		}
	}
	return -1
}

// NumNodes is the number of packed nodes (XINFO STREAM radix-tree-keys).
func (s *Stream) NumNodes() int { return len(s.nodes) - s.off }

// StreamNodeEntry is one entry of a node as a snapshot sees it: deleted entries
// included (RDB keeps them as tombstones).
type StreamNodeEntry struct {
	ID      StreamID
	Deleted bool
	FV      [][]byte
}

// EachNode calls fn with every node's master field names and entries, in order. The
// slices alias the stream: valid during the call only.
func (s *Stream) EachNode(fn func(master [][]byte, entries []StreamNodeEntry)) {
	var entries []StreamNodeEntry
	for _, nd := range s.live() {
		nf, p := binary.Uvarint(nd.buf)
		master := make([][]byte, 0, nf)
		for range nf {
			var f []byte
			f, p = readStr(nd.buf, p)
			master = append(master, f)
		}
		entries = entries[:0]
		for p := nd.master; p < len(nd.buf); {
			var flags byte
			var id StreamID
			var fv [][]byte
			flags, id, fv, p = nd.entry(p, nil)
			entries = append(entries, StreamNodeEntry{ID: id, Deleted: flags&streamFlagDeleted != 0, FV: fv})
		}
		fn(master, entries)
	}
}
