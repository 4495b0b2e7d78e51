package node

import (
	"bytes"
	"slices"

	"github.com/shoal-db/shoal/node/resp"
	"github.com/shoal-db/shoal/storage"
)

// The set commands. Values are storage.Set; the encoding threshold comes from the
// engine's live limits (set-max-intset-entries). Replies that are sets in Redis (SMEMBERS,
// SINTER, SUNION, SDIFF, SPOP with a count) are RESP3 sets.

func setDefs() []def {
	return []def{
		{name: "sadd", fn: cmdSadd, member: 2},
		{name: "srem", fn: cmdSrem, member: 2},
		{name: "smembers", fn: cmdSmembers},
		{name: "sismember", fn: cmdSismember, member: 2},
		{name: "smismember", fn: cmdSmismember, member: 2},
		{name: "scard", fn: cmdScard},
		{name: "spop", fn: cmdSpop},
		{name: "srandmember", fn: cmdSrandmember},
		{name: "smove", fn: cmdSmove},
		{name: "sinter", fn: cmdSinter},
		{name: "sintercard", fn: cmdSintercard},
		{name: "sinterstore", fn: cmdSinterstore},
		{name: "sunion", fn: cmdSunion},
		{name: "sunionstore", fn: cmdSunionstore},
		{name: "sdiff", fn: cmdSdiff},
		{name: "sdiffstore", fn: cmdSdiffstore},
		{name: "sscan", fn: cmdSscan},
	}
}

func cmdSadd(c *Client) {
	s, ok := createColl(c, c.args[1], storage.NewSet)
	if !ok {
		return
	}
	lim := c.s.eng.Limits()
	n := 0
	for _, m := range c.args[2:] {
		if s.Add(m, lim) {
			n++
		}
	}
	if n > 0 {
		c.wrote(c.args[1], evSet, "sadd")
		c.addDirty(n - 1)
	}
	c.w.Int(int64(n))
}

func cmdSrem(c *Client) {
	s, ok := lookupColl[*storage.Set](c, c.args[1])
	if !ok {
		return
	}
	n := 0
	if s != nil {
		for _, m := range c.args[2:] {
			if s.Remove(m) {
				n++
				if s.Len() == 0 {
					break
				}
			}
		}
	}
	if n > 0 {
		c.wrote(c.args[1], evSet, "srem")
		c.addDirty(n - 1)
		c.dropIfEmpty(c.args[1], s)
	}
	c.w.Int(int64(n))
}

// writeSet writes every member of s (nil: none) as a set reply.
func writeSet(c *Client, s *storage.Set) {
	if s == nil {
		c.w.Set(0)
		return
	}
	c.w.Set(s.Len())
	s.Each(func(m []byte) bool {
		c.w.Bulk(m)
		return true
	})
}

func cmdSmembers(c *Client) {
	if s, ok := lookupColl[*storage.Set](c, c.args[1]); ok {
		writeSet(c, s)
	}
}

func cmdSismember(c *Client) {
	replyCollInt(c, func(s *storage.Set) int { return b2i(s.Has(c.args[2])) })
}

func cmdSmismember(c *Client) {
	s, ok := lookupColl[*storage.Set](c, c.args[1])
	if !ok {
		return
	}
	c.w.Array(len(c.args) - 2)
	for _, m := range c.args[2:] {
		c.w.Int(int64(b2i(s != nil && s.Has(m))))
	}
}

func cmdScard(c *Client) { replyCollInt(c, (*storage.Set).Len) }

func cmdSpop(c *Client) {
	if len(c.args) > 3 {
		c.Err(errSyntax)
		return
	}
	key := c.args[1]
	if len(c.args) == 3 {
		spopCount(c, key)
		return
	}
	s, ok := lookupColl[*storage.Set](c, key)
	if !ok {
		return
	}
	if s == nil {
		c.w.Null()
		return
	}
	m := s.Pop(collRand)
	c.wrote(key, evSet, "spop")
	c.dropIfEmpty(key, s)
	c.w.Bulk(m)
	if c.propagating() {
		c.propagateAs(bSREM, key, bytes.Clone(m)) // the member chosen, not a new draw
	}
}

// spopCount is SPOP key count: count distinct random members removed, as a set reply;
// the whole set (and the key) when count reaches its size.
func spopCount(c *Client, key []byte) {
	n, ok := c.intArgMin(2, 0, errNotIntOrNeg)
	if !ok {
		return
	}
	s, ok := lookupColl[*storage.Set](c, key)
	if !ok {
		return
	}
	if s == nil || n == 0 {
		c.w.Set(0)
		return
	}
	if n >= int64(s.Len()) {
		writeSet(c, s)
		c.db.Delete(c.slot(key), key)
		c.wrote(key, evGeneric, "del")
		c.propagateAs(delName(c.s.config().LazyfreeLazyServerDel), key)
		return
	}
	c.w.Set(int(n))
	prop := c.propagating()
	for range n {
		m := s.Pop(collRand)
		c.w.Bulk(m)
		if prop {
			c.alsoPropagate(bSREM, key, bytes.Clone(m)) // one SREM per member, as Redis
		}
	}
	c.propagateNone()
	c.wrote(key, evSet, "spop")
	c.addDirty(int(n) - 1)
}

func cmdSrandmember(c *Client) {
	if len(c.args) > 3 {
		c.Err(errSyntax)
		return
	}
	if len(c.args) == 3 {
		srandmemberCount(c)
		return
	}
	s, ok := lookupColl[*storage.Set](c, c.args[1])
	if !ok {
		return
	}
	if s == nil {
		c.w.Null()
		return
	}
	c.w.Bulk(s.Random(collRand))
}

// srandmemberCount is SRANDMEMBER key count: distinct members for a positive count,
// count members with repetitions for a negative one.
func srandmemberCount(c *Client) {
	n, ok := c.rangeCountArg(2)
	if !ok {
		return
	}
	s, ok := lookupColl[*storage.Set](c, c.args[1])
	if !ok {
		return
	}
	if s == nil || n == 0 {
		c.w.Array(0)
		return
	}
	write := func(m []byte) bool {
		c.w.Bulk(m)
		return true
	}
	if n < 0 || n == 1 {
		count := max(n, -n)
		g := newReplyGuard(c)
		c.w.Array(int(count))
		s.RandomMembers(int(count), collRand, func(m []byte) bool {
			c.w.Bulk(m)
			return g.ok()
		})
		return
	}
	size := int64(s.Len())
	c.w.Array(int(min(n, size)))
	if n >= size {
		s.Each(write)
		return
	}
	s.Sample(int(n), collRand, write)
}

func cmdSmove(c *Client) {
	src, dst, m := c.args[1], c.args[2], c.args[3]
	from, ok := lookupColl[*storage.Set](c, src)
	if !ok {
		return
	}
	if from == nil {
		c.w.Int(0)
		return
	}
	to, ok := lookupColl[*storage.Set](c, dst)
	if !ok {
		return
	}
	if from == to {
		c.w.Int(int64(b2i(from.Has(m))))
		return
	}
	if !from.Remove(m) {
		c.w.Int(0)
		return
	}
	c.wrote(src, evSet, "srem")
	c.dropIfEmpty(src, from)
	if to == nil {
		to = storage.NewSet()
		c.db.SetValue(c.slot(dst), dst, to, 0, false)
	}
	if to.Add(m, c.s.eng.Limits()) {
		c.dirty++
		c.notify(evSet, "sadd", dst)
	}
	c.changed(dst)
	c.w.Int(1)
}

// interSets looks up the sets of an intersection: any key of another type is an error
// (ok false, reply written), else a missing key makes the result empty (none true). The
// sets come back smallest first.
func interSets(c *Client, keys [][]byte) (sets []*storage.Set, none, ok bool) {
	sets = make([]*storage.Set, 0, len(keys))
	for _, k := range keys {
		s, ok := sourceColl[*storage.Set](c, k)
		if !ok {
			return nil, false, false
		}
		if s == nil {
			none = true
			continue
		}
		sets = append(sets, s)
	}
	if none {
		return nil, true, true
	}
	slices.SortStableFunc(sets, func(a, b *storage.Set) int { return a.Len() - b.Len() })
	return sets, false, true
}

// eachInter calls fn for every member of the intersection of sets (smallest first), in
// the order of the smallest, until fn returns false.
func eachInter(sets []*storage.Set, fn func(m []byte) bool) {
	sets[0].Each(func(m []byte) bool {
		for _, o := range sets[1:] {
			if o != sets[0] && !o.Has(m) {
				return true
			}
		}
		return fn(m)
	})
}

func cmdSinter(c *Client) {
	sets, none, ok := interSets(c, c.args[1:])
	if !ok {
		return
	}
	if none {
		c.w.Set(0)
		return
	}
	var out resp.Writer
	out.Proto = c.w.Proto
	n := 0
	eachInter(sets, func(m []byte) bool {
		out.Bulk(m)
		n++
		return true
	})
	c.w.Set(n)
	c.w.Raw(out.B)
}

func cmdSintercard(c *Client) {
	numkeys, ok := c.intArgMin(1, 1, errNumkeys)
	if !ok {
		return
	}
	if numkeys > int64(len(c.args)-2) {
		c.Err("ERR Number of keys can't be greater than number of args")
		return
	}
	var limit int64
	for i := 2 + int(numkeys); i < len(c.args); i++ {
		if !c.is(i, "LIMIT") || i+1 == len(c.args) {
			c.Err(errSyntax)
			return
		}
		i++
		if limit, ok = c.intArgMin(i, 0, errLimitNeg); !ok {
			return
		}
	}
	sets, none, ok := interSets(c, c.args[2:2+numkeys])
	if !ok {
		return
	}
	var n int64
	if !none {
		eachInter(sets, func([]byte) bool {
			n++
			return limit == 0 || n < limit
		})
	}
	c.w.Int(n)
}

// storeSet makes res the value of dst and replies its size; an empty result deletes dst.
func storeSet(c *Client, dst []byte, res *storage.Set) {
	if res == nil || res.Len() == 0 {
		c.clearDest(dst)
		c.w.Int(0)
		return
	}
	c.db.SetValue(c.slot(dst), dst, res, 0, false)
	c.wrote(dst, evSet, c.cmd.FullName)
	c.w.Int(int64(res.Len()))
}

func cmdSinterstore(c *Client) {
	sets, none, ok := interSets(c, c.args[2:])
	if !ok {
		return
	}
	var res *storage.Set
	if !none {
		res = storage.NewSet()
		lim := c.s.eng.Limits()
		eachInter(sets, func(m []byte) bool {
			res.Add(m, lim)
			return true
		})
	}
	storeSet(c, c.args[1], res)
}

// unionDiff computes SUNION (diff false) or SDIFF of keys into a new set, as Redis's
// sunionDiffGenericCommand: missing keys are empty sets, any key of another type is an
// error (ok false, reply written). The result is built like Redis's (an intset first,
// converted as members are added), so its encoding and, for intsets, its order match.
func unionDiff(c *Client, keys [][]byte, diff bool) (*storage.Set, bool) {
	sets := make([]*storage.Set, len(keys))
	same := false
	for i, k := range keys {
		s, ok := sourceColl[*storage.Set](c, k)
		if !ok {
			return nil, false
		}
		sets[i] = s
		if i > 0 && s != nil && s == sets[0] {
			same = true
		}
	}
	res := storage.NewSet()
	lim := c.s.eng.Limits()
	add := func(m []byte) bool {
		res.Add(m, lim)
		return true
	}
	switch {
	case !diff:
		for _, s := range sets {
			if s != nil {
				s.Each(add)
			}
		}
	case sets[0] == nil || same:
		// Nothing left.
	case diffByLookups(sets):
		others := slices.DeleteFunc(sets[1:], func(s *storage.Set) bool { return s == nil })
		slices.SortStableFunc(others, func(a, b *storage.Set) int { return b.Len() - a.Len() })
		sets[0].Each(func(m []byte) bool {
			for _, o := range others {
				if o.Has(m) {
					return true
				}
			}
			return add(m)
		})
	default:
		sets[0].Each(add)
		for _, s := range sets[1:] {
			if s == nil {
				continue
			}
			s.Each(func(m []byte) bool {
				res.Remove(m)
				return res.Len() > 0
			})
			if res.Len() == 0 {
				break
			}
		}
	}
	return res, true
}

// diffByLookups chooses Redis's SDIFF algorithm: true to walk the first set looking
// each member up in the others (cost about |first| * sets / 2), false to copy the first
// set and remove the others' members (cost the sum of the sizes).
func diffByLookups(sets []*storage.Set) bool {
	var one, two int64
	for _, s := range sets {
		if s != nil {
			one += int64(sets[0].Len())
			two += int64(s.Len())
		}
	}
	return one/2 <= two
}

func sunionDiffReply(c *Client, diff bool) {
	if res, ok := unionDiff(c, c.args[1:], diff); ok {
		writeSet(c, res)
	}
}

func sunionDiffStore(c *Client, diff bool) {
	if res, ok := unionDiff(c, c.args[2:], diff); ok {
		storeSet(c, c.args[1], res)
	}
}

func cmdSunion(c *Client)      { sunionDiffReply(c, false) }
func cmdSdiff(c *Client)       { sunionDiffReply(c, true) }
func cmdSunionstore(c *Client) { sunionDiffStore(c, false) }
func cmdSdiffstore(c *Client)  { sunionDiffStore(c, true) }

func cmdSscan(c *Client) {
	scanCollCmd(c, false, func(s *storage.Set, cur uint64, emit func(m, _ []byte)) uint64 {
		return s.Scan(cur, func(m []byte) { emit(m, nil) })
	})
}
