package node

import (
	"math/rand/v2"
	"strconv"

	"github.com/shoal-db/shoal/node/glob"
	"github.com/shoal-db/shoal/node/resp"
	"github.com/shoal-db/shoal/storage"
)

// The sorted set commands. This file holds the single-key reads and writes; ranges are
// in zsets_range.go, pops (and their blocking forms) in zsets_pop.go, and the
// multi-key algebra (ZUNION, ZINTER, ZDIFF …) in zsets_setops.go.

func zsetDefs() []def {
	return []def{
		{name: "zadd", fn: cmdZadd, member: 3},
		{name: "zincrby", fn: cmdZincrby, member: 3},
		{name: "zrem", fn: cmdZrem, member: 2},
		{name: "zscore", fn: cmdZscore, member: 2},
		{name: "zmscore", fn: cmdZmscore, member: 2},
		{name: "zcard", fn: cmdZcard},
		{name: "zcount", fn: cmdZcount},
		{name: "zlexcount", fn: cmdZlexcount},
		{name: "zrank", fn: cmdZrank, member: 2},
		{name: "zrevrank", fn: cmdZrevrank, member: 2},
		{name: "zscan", fn: cmdZscan},
		{name: "zrandmember", fn: cmdZrandmember},

		{name: "zrange", fn: cmdZrange},
		{name: "zrangestore", fn: cmdZrangestore},
		{name: "zrevrange", fn: cmdZrevrange},
		{name: "zrangebyscore", fn: cmdZrangebyscore},
		{name: "zrevrangebyscore", fn: cmdZrevrangebyscore},
		{name: "zrangebylex", fn: cmdZrangebylex},
		{name: "zrevrangebylex", fn: cmdZrevrangebylex},
		{name: "zremrangebyrank", fn: cmdZremrangebyrank},
		{name: "zremrangebyscore", fn: cmdZremrangebyscore},
		{name: "zremrangebylex", fn: cmdZremrangebylex},

		{name: "zpopmin", fn: cmdZpopmin},
		{name: "zpopmax", fn: cmdZpopmax},
		{name: "bzpopmin", fn: cmdBzpopmin},
		{name: "bzpopmax", fn: cmdBzpopmax},
		{name: "zmpop", fn: cmdZmpop},
		{name: "bzmpop", fn: cmdBzmpop},

		{name: "zunion", fn: cmdZunion},
		{name: "zinter", fn: cmdZinter},
		{name: "zdiff", fn: cmdZdiff},
		{name: "zunionstore", fn: cmdZunionstore},
		{name: "zinterstore", fn: cmdZinterstore},
		{name: "zdiffstore", fn: cmdZdiffstore},
		{name: "zintercard", fn: cmdZintercard},
	}
}

// writeZMember writes one member of a range reply: the member, then its score when
// withScores (a nested [member, score] pair in RESP3, as Redis 7.0).
func writeZMember(c *Client, member []byte, score float64, withScores bool) {
	if withScores && c.w.RESP3() {
		c.w.Array(2)
	}
	c.w.Bulk(member)
	if withScores {
		c.w.Double(score)
	}
}

// zReplyLen is the array length of a reply of n members: doubled in RESP2 with scores.
func zReplyLen(c *Client, n int, withScores bool) int {
	if withScores && !c.w.RESP3() {
		return 2 * n
	}
	return n
}

func cmdZadd(c *Client)    { zaddGeneric(c, 0) }
func cmdZincrby(c *Client) { zaddGeneric(c, storage.ZAddIncr) }

// zaddGeneric is ZADD key [NX|XX] [GT|LT] [CH] [INCR] score member [score member …] and
// ZINCRBY key increment member (ZADD with INCR, options parsed alike, as in Redis).
func zaddGeneric(c *Client, flags storage.ZAddFlags) {
	key := c.args[1]
	ch := false
	i := 2
options:
	for ; i < len(c.args); i++ {
		switch {
		case c.is(i, "NX"):
			flags |= storage.ZAddNX
		case c.is(i, "XX"):
			flags |= storage.ZAddXX
		case c.is(i, "CH"):
			ch = true
		case c.is(i, "INCR"):
			flags |= storage.ZAddIncr
		case c.is(i, "GT"):
			flags |= storage.ZAddGT
		case c.is(i, "LT"):
			flags |= storage.ZAddLT
		default:
			break options
		}
	}
	rest := len(c.args) - i
	if rest == 0 || rest%2 != 0 {
		c.Err(errSyntax)
		return
	}
	has := func(f storage.ZAddFlags) bool { return flags&f != 0 }
	switch {
	case has(storage.ZAddNX) && has(storage.ZAddXX):
		c.Err("ERR XX and NX options at the same time are not compatible")
		return
	case has(storage.ZAddNX) && (has(storage.ZAddGT) || has(storage.ZAddLT)), has(storage.ZAddGT) && has(storage.ZAddLT):
		c.Err("ERR GT, LT, and/or NX options at the same time are not compatible")
		return
	case has(storage.ZAddIncr) && rest > 2:
		c.Err("ERR INCR option supports a single increment-element pair")
		return
	}
	// Every score is checked before anything changes: the command runs whole or not at all.
	for j := i; j < len(c.args); j += 2 {
		if _, ok := c.zScoreArg(j); !ok {
			return
		}
	}
	z, ok := lookupColl[*storage.ZSet](c, key)
	if !ok {
		return
	}
	incr := has(storage.ZAddIncr)
	if z == nil {
		if has(storage.ZAddXX) {
			if incr {
				c.w.Null()
			} else {
				c.w.Int(0)
			}
			return
		}
		z = storage.NewZSet()
		c.db.SetValue(c.slot(key), key, z, 0, false)
	}
	lim := c.s.eng.Limits()
	var added, updated, processed int64
	var score float64
	for j := i; j < len(c.args); j += 2 {
		s, _ := parseZScore(c.args[j])
		res, ns := z.Add(c.args[j+1], s, flags, lim)
		switch res {
		case storage.ZAddNaN:
			c.Err(errNaN)
			return
		case storage.ZAddAdded:
			added++
		case storage.ZAddUpdated:
			updated++
		}
		if res != storage.ZAddNop {
			processed++
		}
		score = ns
	}
	if added+updated > 0 {
		ev := "zadd"
		if incr {
			ev = "zincr"
		}
		c.wrote(key, evZset, ev)
		c.addDirty(int(added + updated - 1))
	}
	switch {
	case incr && processed > 0:
		c.w.Double(score)
	case incr:
		c.w.Null()
	case ch:
		c.w.Int(added + updated)
	default:
		c.w.Int(added)
	}
}

// cmdZrem is ZREM key member [member …].
func cmdZrem(c *Client) {
	key := c.args[1]
	z, ok := lookupColl[*storage.ZSet](c, key)
	if !ok {
		return
	}
	n := 0
	if z != nil {
		for _, m := range c.args[2:] {
			if z.Remove(m) {
				n++
			}
			if z.Len() == 0 {
				break
			}
		}
		if n > 0 {
			c.wrote(key, evZset, "zrem")
			c.addDirty(n - 1)
		}
		c.dropIfEmpty(key, z)
	}
	c.w.Int(int64(n))
}

// cmdZscore is ZSCORE key member.
func cmdZscore(c *Client) {
	z, ok := lookupColl[*storage.ZSet](c, c.args[1])
	if !ok {
		return
	}
	if z != nil {
		if s, found := z.Score(c.args[2]); found {
			c.w.Double(s)
			return
		}
	}
	c.w.Null()
}

// cmdZmscore is ZMSCORE key member [member …]; a missing key is an empty set.
func cmdZmscore(c *Client) {
	z, ok := lookupColl[*storage.ZSet](c, c.args[1])
	if !ok {
		return
	}
	c.w.Array(len(c.args) - 2)
	for _, m := range c.args[2:] {
		if z != nil {
			if s, found := z.Score(m); found {
				c.w.Double(s)
				continue
			}
		}
		c.w.Null()
	}
}

// cmdZcard is ZCARD key.
func cmdZcard(c *Client) { replyCollInt(c, (*storage.ZSet).Len) }

// cmdZcount is ZCOUNT key min max: O(log n) through ranks.
func cmdZcount(c *Client) { zcountGeneric(c, zrangeScore) }

// cmdZlexcount is ZLEXCOUNT key min max.
func cmdZlexcount(c *Client) { zcountGeneric(c, zrangeLex) }

// zcountGeneric is ZCOUNT and ZLEXCOUNT: the number of members in the range of kind at
// args[2] and args[3] (checked before the key), 0 for a missing key.
func zcountGeneric(c *Client, kind zrangeKind) {
	b, ok := c.zrangeBoundsArgs(kind, 2, 3)
	if !ok {
		return
	}
	z, ok := lookupColl[*storage.ZSet](c, c.args[1])
	if !ok {
		return
	}
	if z == nil {
		c.w.Int(0)
		return
	}
	lo, hi := b.span(z)
	c.w.Int(int64(hi - lo))
}

func cmdZrank(c *Client)    { zrankGeneric(c, false) }
func cmdZrevrank(c *Client) { zrankGeneric(c, true) }

// zrankGeneric is ZRANK / ZREVRANK key member (Redis 7.0: no WITHSCORE).
func zrankGeneric(c *Client, rev bool) {
	z, ok := lookupColl[*storage.ZSet](c, c.args[1])
	if !ok {
		return
	}
	if z == nil {
		c.w.Null()
		return
	}
	r, _, found := z.Rank(c.args[2])
	if !found {
		c.w.Null()
		return
	}
	if rev {
		r = z.Len() - 1 - r
	}
	c.w.Int(int64(r))
}

// cmdZscan is ZSCAN key cursor [MATCH pattern] [COUNT count]. As Redis, a listpack is
// returned whole in one call (cursor 0); the large encoding is walked through its dict's
// buckets until about COUNT pairs came out (COUNT counts members and scores, so the
// default 10 gives about 5 members), at most 10×COUNT buckets per call. MATCH filters
// the members afterwards.
func cmdZscan(c *Client) {
	cursor, ok := resp.ParseCursor(c.args[2])
	if !ok {
		c.Err(errInvalidCursor)
		return
	}
	z, ok := lookupColl[*storage.ZSet](c, c.args[1])
	if !ok {
		return
	}
	if z == nil {
		c.w.Array(2)
		c.w.BulkString("0")
		c.w.Array(0)
		return
	}
	count := int64(10)
	var pattern []byte
	for i := 3; i < len(c.args); i += 2 {
		switch {
		case c.is(i, "COUNT") && i+1 < len(c.args):
			n, ok := c.intArg(i + 1)
			if !ok {
				return
			}
			if n < 1 {
				c.Err(errSyntax)
				return
			}
			count = n
		case c.is(i, "MATCH") && i+1 < len(c.args):
			pattern = c.args[i+1]
			if len(pattern) == 1 && pattern[0] == '*' {
				pattern = nil
			}
		default:
			c.Err(errSyntax)
			return
		}
	}
	type pair struct {
		member []byte
		score  float64
		isInt  bool
	}
	var found []pair
	collect := func(m []byte, s float64, isInt bool) {
		if pattern == nil || glob.Match(pattern, m, false) {
			found = append(found, pair{m, s, isInt})
		}
	}
	if z.Encoding() == "listpack" {
		cursor = z.Scan(0, collect)
	} else {
		visited := int64(0) // pairs seen before MATCH, as Redis counts them
		for iters := count * 10; ; iters-- {
			cursor = z.Scan(cursor, func(m []byte, s float64, isInt bool) {
				visited++
				collect(m, s, isInt)
			})
			if cursor == 0 || iters == 0 || 2*visited >= count {
				break
			}
		}
	}
	c.w.Array(2)
	var num [32]byte
	c.w.Bulk(strconv.AppendUint(num[:0], cursor, 10))
	c.w.Array(2 * len(found))
	for _, p := range found {
		c.w.Bulk(p.member)
		if p.isInt {
			c.w.BulkInt(int64(p.score))
		} else {
			c.w.Bulk(resp.AppendDouble(num[:0], p.score))
		}
	}
}

// zrandReplyBudget bounds the reply of ZRANDMEMBER with a negative count: Redis would
// try to buffer any size (and is killed for memory); past this many bytes shoal answers
// "ERR value is out of range" instead.
const zrandReplyBudget = 512 << 20

// cmdZrandmember is ZRANDMEMBER key [count [WITHSCORES]].
func cmdZrandmember(c *Client) {
	if len(c.args) == 2 {
		z, ok := lookupColl[*storage.ZSet](c, c.args[1])
		if !ok {
			return
		}
		if z == nil {
			c.w.Null()
			return
		}
		z.RandomMembers(1, false, rand.IntN, func(m []byte, _ float64) bool {
			c.w.Bulk(m)
			return false
		})
		return
	}
	count, ok := c.rangeCountArg(2)
	if !ok {
		return
	}
	withScores := false
	if len(c.args) > 4 || (len(c.args) == 4 && !c.is(3, "WITHSCORES")) {
		c.Err(errSyntax)
		return
	}
	if len(c.args) == 4 {
		withScores = true
		if count < -(1<<63-1)/2 || count > (1<<63-1)/2 { // the RESP2 reply length would overflow
			c.Err(errOutOfRange)
			return
		}
	}
	z, ok := lookupColl[*storage.ZSet](c, c.args[1])
	if !ok {
		return
	}
	if z == nil || count == 0 {
		c.w.Array(0)
		return
	}
	unique := count > 0
	n := int(count)
	if !unique {
		n = int(-count)
	} else {
		n = min(n, z.Len())
	}
	start := c.w.Len()
	c.w.Array(zReplyLen(c, n, withScores))
	written := 0
	z.RandomMembers(n, unique, rand.IntN, func(m []byte, s float64) bool {
		writeZMember(c, m, s, withScores)
		written++
		return written&1023 != 0 || c.w.Len()-start <= zrandReplyBudget
	})
	if written < n {
		c.w.B = c.w.B[:start]
		c.Err(errOutOfRange)
	}
}
