package storage

import (
	"bytes"
	"cmp"
	"math"
	"slices"
	"unsafe"
)

// ZSet is a sorted set: unique members (byte strings), each with a float64 score (never
// NaN), ordered by score and then by member bytes. Small sets use the packed "listpack"
// encoding (see zlistpack); when an insertion would make one exceed
// zset-max-listpack-entries elements or hold a member longer than
// zset-max-listpack-value bytes, it is converted once to the large encoding (a B+tree
// counting the elements under each node, for O(log n) ranks, plus a Dict from member to
// score; OBJECT ENCODING calls it "skiplist", as Redis's) and, as in Redis, never
// converted back.
//
// Ranks are 0-based positions in ascending order. Member slices passed to callbacks alias
// the set: valid until it changes, and never to be modified.
//
// A ZSet is owned by the keyspace: callers hold its key's stripe. Not safe for
// concurrent use.
type ZSet struct {
	lp zlistpack // the listpack encoding, while tr is nil
	tr *zbtree   // the large encoding (OBJECT ENCODING "skiplist")
}

// NewZSet returns an empty sorted set in the listpack encoding.
func NewZSet() *ZSet { return &ZSet{} }

// NewZSetSized returns an empty sorted set about to receive n members: in the large
// encoding when n exceeds lim's zset-max-listpack-entries (as Redis creates the result of
// a ZRANGESTORE by rank), else in the listpack encoding.
func NewZSetSized(n int, lim *Limits) *ZSet {
	if int64(n) > lim.ZsetMaxListpackEntries.Load() {
		return &ZSet{tr: newZbtree(n)}
	}
	return &ZSet{}
}

// Type is TypeZSet.
func (z *ZSet) Type() Type { return TypeZSet }

// Encoding is "listpack" or "skiplist".
func (z *ZSet) Encoding() string {
	if z.tr != nil {
		return "skiplist"
	}
	return "listpack"
}

// zbDictEntryMem is the size of a member's dict entry, for Mem.
const zbDictEntryMem = int64(unsafe.Sizeof(dictEntry[float64]{}))

// Mem estimates the bytes the set occupies.
func (z *ZSet) Mem() int64 {
	n := int64(unsafe.Sizeof(ZSet{}))
	if t := z.tr; t != nil {
		return n + int64(unsafe.Sizeof(zbtree{})) + int64(t.leaves)*int64(unsafe.Sizeof(zbLeaf{})) +
			int64(t.inners)*int64(unsafe.Sizeof(zbInner{})) + int64(t.length)*zbDictEntryMem + t.bytes +
			int64(len(t.dict.buckets))*8
	}
	return n + int64(cap(z.lp.b))
}

// Clone returns a deep copy in the same encoding.
func (z *ZSet) Clone() Value {
	if z.tr == nil {
		return &ZSet{lp: zlistpack{b: slices.Clone(z.lp.b), n: z.lp.n}}
	}
	b := newZbBuilder(z.tr.length)
	z.tr.each(func(m string, s float64) { b.add(s, m) }) // strings are immutable: sharing them is a copy
	return &ZSet{tr: b.tree()}
}

// Len is the number of members.
func (z *ZSet) Len() int {
	if z.tr != nil {
		return z.tr.length
	}
	return z.lp.n
}

// Each calls fn with every member in ascending order until fn returns false.
func (z *ZSet) Each(fn func(member []byte) bool) {
	z.Range(0, z.Len()-1, false, func(m []byte, _ float64) bool { return fn(m) })
}

// Score returns member's score.
func (z *ZSet) Score(member []byte) (float64, bool) {
	if z.tr != nil {
		return z.tr.dict.Get(member)
	}
	_, s, ok := z.lp.find(member)
	return s, ok
}

// ZAddFlags are ZADD's options.
type ZAddFlags uint8

// The ZADD options.
const (
	ZAddNX   ZAddFlags = 1 << iota // only add new members
	ZAddXX                         // only update existing members
	ZAddGT                         // only update when the new score is greater
	ZAddLT                         // only update when the new score is less
	ZAddIncr                       // add the score to the current one (ZINCRBY)
)

// ZAddResult is what Add did.
type ZAddResult uint8

// The outcomes of Add.
const (
	ZAddNop       ZAddResult = iota // nothing: excluded by NX, XX, GT or LT
	ZAddAdded                       // a new member
	ZAddUpdated                     // an existing member got another score
	ZAddUnchanged                   // an existing member kept its score
	ZAddNaN                         // INCR made the score NaN: nothing changed
)

// Add sets member's score under ZADD's rules (flags; NX excludes GT and LT, the caller
// checks option conflicts) and returns what it did with the resulting score. lim gives
// the conversion thresholds. score must not be NaN.
func (z *ZSet) Add(member []byte, score float64, flags ZAddFlags, lim *Limits) (ZAddResult, float64) {
	var (
		cur    float64
		exists bool
		off    int
		val    *float64 // member's score in the large encoding's dict
	)
	if z.tr != nil {
		if val = z.tr.dict.Ptr(member); val != nil {
			cur, exists = *val, true
		}
	} else {
		off, cur, exists = z.lp.find(member)
	}
	if !exists {
		if flags&ZAddXX != 0 {
			return ZAddNop, 0
		}
		z.insert(member, score, lim)
		return ZAddAdded, score
	}
	if flags&ZAddNX != 0 {
		return ZAddNop, cur
	}
	if flags&ZAddIncr != 0 {
		score += cur
		if math.IsNaN(score) {
			return ZAddNaN, cur
		}
	}
	if (flags&ZAddLT != 0 && score >= cur) || (flags&ZAddGT != 0 && score <= cur) {
		return ZAddNop, cur
	}
	if score == cur {
		return ZAddUnchanged, score
	}
	if z.tr != nil {
		z.tr.updateScore(member, val, cur, score)
	} else {
		z.lp.deleteAt(off)
		z.lp.insert(member, score)
	}
	return ZAddUpdated, score
}

// insert adds a member that is not present, converting the encoding first if needed.
func (z *ZSet) insert(member []byte, score float64, lim *Limits) {
	if z.tr == nil && (int64(z.lp.n)+1 > lim.ZsetMaxListpackEntries.Load() ||
		int64(len(member)) > lim.ZsetMaxListpackValue.Load()) {
		z.convert()
	}
	if z.tr != nil {
		z.tr.add(string(member), score)
		return
	}
	z.lp.insert(member, score)
}

// convert converts the listpack encoding to the large encoding.
func (z *ZSet) convert() {
	b := newZbBuilder(z.lp.n)
	for off := 0; off < len(z.lp.b); {
		m, s, _, next := z.lp.entry(off)
		b.add(s, string(m))
		off = next
	}
	z.tr, z.lp = b.tree(), zlistpack{}
}

// Remove deletes member; it reports whether it was present.
func (z *ZSet) Remove(member []byte) bool {
	if z.tr != nil {
		s, ok := z.tr.dict.Get(member)
		if ok {
			z.tr.remove(member, s)
		}
		return ok
	}
	off, _, ok := z.lp.find(member)
	if ok {
		z.lp.deleteAt(off)
	}
	return ok
}

// Rank returns member's rank (0-based, ascending) and score.
func (z *ZSet) Rank(member []byte) (int, float64, bool) {
	if z.tr != nil {
		s, ok := z.tr.dict.Get(member)
		if !ok {
			return 0, 0, false
		}
		return z.tr.rank(s, ustr(member)), s, true
	}
	r, ok := z.lp.rank(member)
	if !ok {
		return 0, 0, false
	}
	_, s, _ := z.lp.find(member)
	return r, s, true
}

// Range calls fn for the members of ranks [lo, hi] (0 <= lo <= hi < Len()), in
// descending order when rev, until fn returns false. fn must not change z. Reaching lo
// costs O(log n) in the large encoding.
func (z *ZSet) Range(lo, hi int, rev bool, fn func(member []byte, score float64) bool) {
	if lo > hi || lo < 0 || hi >= z.Len() {
		return
	}
	if z.tr != nil {
		z.tr.walk(lo, hi, rev, fn)
		return
	}
	z.lp.walk(lo, hi, rev, fn)
}

// DeleteRange removes the members of ranks [lo, hi) and returns how many it removed.
func (z *ZSet) DeleteRange(lo, hi int) int {
	lo, hi = max(lo, 0), min(hi, z.Len())
	if lo >= hi {
		return 0
	}
	if z.tr != nil {
		z.tr.deleteRange(lo, hi)
	} else {
		z.lp.deleteRange(lo, hi)
	}
	return hi - lo
}

// countWhile returns the number of leading members for which pred holds; pred must hold
// for a prefix of the order (O(log n) in the large encoding).
func (z *ZSet) countWhile(pred func(member []byte, score float64) bool) int {
	if z.tr != nil {
		return z.tr.countWhile(pred)
	}
	return z.lp.countWhile(pred)
}

// ScoreRange is a score interval for ZRANGEBYSCORE and friends: Min and Max, each
// excluded when its Ex flag is set (the "(" prefix).
type ScoreRange struct {
	Min, Max     float64
	MinEx, MaxEx bool
}

func (r *ScoreRange) belowMin(_ []byte, s float64) bool {
	if r.MinEx {
		return s <= r.Min
	}
	return s < r.Min
}

func (r *ScoreRange) notAboveMax(_ []byte, s float64) bool {
	if r.MaxEx {
		return s < r.Max
	}
	return s <= r.Max
}

// ScoreSpan returns the ranks [lo, hi) of the members whose score is in r (lo == hi when
// none is).
func (z *ZSet) ScoreSpan(r *ScoreRange) (lo, hi int) {
	lo = z.countWhile(r.belowMin)
	hi = z.countWhile(r.notAboveMax)
	return lo, max(lo, hi)
}

// LexBound is one end of a lexicographic range: Inf -1 is "-" (below every member), +1
// is "+" (above every member); otherwise Value, excluded when Ex ("(" rather than "[").
type LexBound struct {
	Value []byte
	Ex    bool
	Inf   int8
}

// LexRange is a member interval for ZRANGEBYLEX and friends. It is meaningful when every
// member has the same score, as in Redis; otherwise the members it selects are those of
// a prefix bound in the order, as Redis leaves unspecified.
type LexRange struct {
	Min, Max LexBound
}

func (r *LexRange) belowMin(m []byte, _ float64) bool {
	switch r.Min.Inf {
	case -1:
		return false
	case 1:
		return true
	}
	c := bytes.Compare(m, r.Min.Value)
	return c < 0 || (c == 0 && r.Min.Ex)
}

func (r *LexRange) notAboveMax(m []byte, _ float64) bool {
	switch r.Max.Inf {
	case -1:
		return false
	case 1:
		return true
	}
	c := bytes.Compare(m, r.Max.Value)
	return c < 0 || (c == 0 && !r.Max.Ex)
}

// LexSpan returns the ranks [lo, hi) of the members in r (lo == hi when none is).
func (z *ZSet) LexSpan(r *LexRange) (lo, hi int) {
	lo = z.countWhile(r.belowMin)
	hi = z.countWhile(r.notAboveMax)
	return lo, max(lo, hi)
}

// Scan visits members for ZSCAN from cursor and returns the next cursor (0: done). The
// listpack encoding is visited whole in one call; the large encoding one dict bucket
// per call with Dict's SCAN guarantee. packedInt tells that the score is held as an
// integer (listpack), which ZSCAN prints as one.
func (z *ZSet) Scan(cursor uint64, fn func(member []byte, score float64, packedInt bool)) uint64 {
	if z.tr != nil {
		return z.tr.dict.Scan(cursor, func(k string, s float64) {
			fn(unsafe.Slice(unsafe.StringData(k), len(k)), s, false)
		})
	}
	for off := 0; off < len(z.lp.b); {
		m, s, isInt, next := z.lp.entry(off)
		fn(m, s, isInt)
		off = next
	}
	return 0
}

// RandomMembers calls fn with count members picked at random (rnd(n) returns a uniform
// int in [0, n)), until fn returns false. With unique, no member is repeated and at most
// Len() are returned (all of them in descending order when count >= Len(), as Redis);
// otherwise members may repeat, in random order, and fn bounds the output. Extra memory
// is O(min(count, Len())).
func (z *ZSet) RandomMembers(count int, unique bool, rnd func(n int) int, fn func(member []byte, score float64) bool) {
	n := z.Len()
	if n == 0 || count <= 0 {
		return
	}
	if unique && count >= n {
		z.Range(0, n-1, true, fn)
		return
	}
	if z.tr == nil {
		// The listpack is small: index its entries once, then pick offsets.
		var buf [128]int32
		offs := z.lp.offsets(buf[:0], 0, n-1)
		for i := 0; i < count; i++ {
			var off int32
			if unique { // partial Fisher-Yates shuffle
				j := i + rnd(n-i)
				offs[i], offs[j] = offs[j], offs[i]
				off = offs[i]
			} else {
				off = offs[rnd(n)]
			}
			m, s, _, _ := z.lp.entry(int(off))
			if !fn(m, s) {
				return
			}
		}
		return
	}
	if !unique {
		for range count {
			k, s, _ := z.tr.dict.Random(rnd)
			if !fn(unsafe.Slice(unsafe.StringData(k), len(k)), s) {
				return
			}
		}
		return
	}
	if count*3 > n {
		// Many of the members: shuffle them partially.
		all := make([]ZEntry, 0, n)
		z.tr.each(func(m string, s float64) { all = append(all, ZEntry{m, s}) })
		for i := range count {
			j := i + rnd(n-i)
			all[i], all[j] = all[j], all[i]
			if !fn(sbytes(all[i].Member), all[i].Score) {
				return
			}
		}
		return
	}
	// Few of many: draw until count distinct members came out.
	seen := make(map[string]struct{}, count)
	for len(seen) < count {
		k, s, _ := z.tr.dict.Random(rnd)
		if _, dup := seen[k]; dup {
			continue
		}
		seen[k] = struct{}{}
		if !fn(unsafe.Slice(unsafe.StringData(k), len(k)), s) {
			return
		}
	}
}

// ZEntry is a member with its score, for building sorted sets from computed results.
type ZEntry struct {
	Member string
	Score  float64
}

// CompareZEntries orders entries as a sorted set does: by score, then member bytes.
func CompareZEntries(a, b ZEntry) int {
	if c := cmp.Compare(a.Score, b.Score); c != 0 {
		return c
	}
	return cmp.Compare(a.Member, b.Member)
}

// NewZSetFrom builds a sorted set from entries with distinct members and no NaN score
// (sorting entries in place), in the listpack encoding when it is within lim's
// thresholds and the large encoding otherwise, as Redis does for the results of
// ZUNIONSTORE, ZRANGESTORE and friends.
func NewZSetFrom(entries []ZEntry, lim *Limits) *ZSet {
	slices.SortFunc(entries, CompareZEntries)
	maxLen := 0
	for i := range entries {
		maxLen = max(maxLen, len(entries[i].Member))
	}
	z := &ZSet{}
	if int64(len(entries)) <= lim.ZsetMaxListpackEntries.Load() && int64(maxLen) <= lim.ZsetMaxListpackValue.Load() {
		for _, e := range entries {
			z.lp.b = lpAppendEntry(z.lp.b, sbytes(e.Member), e.Score)
		}
		z.lp.n = len(entries)
		return z
	}
	b := newZbBuilder(len(entries))
	for _, e := range entries {
		b.add(e.Score, e.Member)
	}
	z.tr = b.tree()
	return z
}
