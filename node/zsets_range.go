package node

import (
	"github.com/shoal-db/shoal/storage"
)

// ZRANGE and its older forms, ZRANGESTORE and ZREMRANGEBY*. Every range is resolved to
// a window of ranks first (O(log n) in the large encoding, including the LIMIT
// offset, which Redis 7.0 walks element by element), then walked once.

type zrangeKind uint8

const (
	zrangeAuto zrangeKind = iota
	zrangeRank
	zrangeScore
	zrangeLex
)

type zrangeDir uint8

const (
	zdirAuto zrangeDir = iota
	zdirForward
	zdirReverse
)

func cmdZrange(c *Client)           { zrangeGeneric(c, 1, false, zrangeAuto, zdirAuto) }
func cmdZrangestore(c *Client)      { zrangeGeneric(c, 2, true, zrangeAuto, zdirAuto) }
func cmdZrevrange(c *Client)        { zrangeGeneric(c, 1, false, zrangeRank, zdirReverse) }
func cmdZrangebyscore(c *Client)    { zrangeGeneric(c, 1, false, zrangeScore, zdirForward) }
func cmdZrevrangebyscore(c *Client) { zrangeGeneric(c, 1, false, zrangeScore, zdirReverse) }
func cmdZrangebylex(c *Client)      { zrangeGeneric(c, 1, false, zrangeLex, zdirForward) }
func cmdZrevrangebylex(c *Client)   { zrangeGeneric(c, 1, false, zrangeLex, zdirReverse) }
func cmdZremrangebyrank(c *Client)  { zremrangeGeneric(c, zrangeRank) }
func cmdZremrangebyscore(c *Client) { zremrangeGeneric(c, zrangeScore) }
func cmdZremrangebylex(c *Client)   { zremrangeGeneric(c, zrangeLex) }

// zrangeBounds is a parsed range of one kind (not zrangeAuto): the indexes start and
// end of a range by rank, or a score or lexicographic range.
type zrangeBounds struct {
	kind       zrangeKind
	start, end int64
	score      storage.ScoreRange
	lex        storage.LexRange
}

// zrangeBoundsArgs parses args[i] and args[j] as the min and max (or start and end) of
// a range of kind, writing Redis's error and returning ok false when they are not one.
// A lexicographic range aliases the arguments.
func (c *Client) zrangeBoundsArgs(kind zrangeKind, i, j int) (b zrangeBounds, ok bool) {
	b.kind = kind
	switch kind {
	case zrangeRank:
		if b.start, ok = c.intArg(i); !ok {
			return b, false
		}
		b.end, ok = c.intArg(j)
	case zrangeScore:
		b.score, ok = c.zScoreRangeArgs(i, j)
	case zrangeLex:
		b.lex, ok = c.zLexRangeArgs(i, j)
	}
	return b, ok
}

// span returns the half-open window [lo, hi) of the ascending ranks of z that the range
// selects (for ranks, start and end count from the lowest score).
func (b *zrangeBounds) span(z *storage.ZSet) (lo, hi int) {
	switch b.kind {
	case zrangeRank:
		return rankWindow(int64(z.Len()), b.start, b.end)
	case zrangeScore:
		return z.ScoreSpan(&b.score)
	default:
		return z.LexSpan(&b.lex)
	}
}

// zlimitWindow applies LIMIT offset count to the members of ranks [lo, hi) taken in
// ascending order, or descending when rev, and returns the ranks to visit. A negative
// offset selects nothing and a negative count means all, as in Redis.
func zlimitWindow(lo, hi int, offset, count int64, rev bool) (int, int) {
	n := int64(hi - lo)
	if offset < 0 || offset >= n {
		return lo, lo
	}
	take := n - offset
	if count >= 0 {
		take = min(take, count)
	}
	if rev {
		return hi - int(offset+take), hi - int(offset)
	}
	return lo + int(offset), lo + int(offset+take)
}

// zrangeGeneric implements ZRANGE, ZRANGESTORE and the deprecated Z[REV]RANGE[BYSCORE|
// BYLEX]: src is the index of the source key, followed by min and max; kind and dir
// are fixed by the older commands and auto for ZRANGE/ZRANGESTORE. Checks run in
// Redis's order: options, their conflicts, the range, then the key.
func zrangeGeneric(c *Client, src int, store bool, kind zrangeKind, dir zrangeDir) {
	withScores := false
	offset, limit := int64(0), int64(-1)
	for j := src + 3; j < len(c.args); j++ {
		left := len(c.args) - j - 1
		switch {
		case !store && c.is(j, "WITHSCORES"):
			withScores = true
		case c.is(j, "LIMIT") && left >= 2:
			var ok bool
			if offset, ok = c.intArg(j + 1); !ok {
				return
			}
			if limit, ok = c.intArg(j + 2); !ok {
				return
			}
			j += 2
		case dir == zdirAuto && c.is(j, "REV"):
			dir = zdirReverse
		case kind == zrangeAuto && c.is(j, "BYLEX"):
			kind = zrangeLex
		case kind == zrangeAuto && c.is(j, "BYSCORE"):
			kind = zrangeScore
		default:
			c.Err(errSyntax)
			return
		}
	}
	if kind == zrangeAuto {
		kind = zrangeRank
	}
	rev := dir == zdirReverse
	if limit != -1 && kind == zrangeRank { // Redis checks the count, not the option
		c.Err("ERR syntax error, LIMIT is only supported in combination with either BYSCORE or BYLEX")
		return
	}
	if withScores && kind == zrangeLex {
		c.Err("ERR syntax error, WITHSCORES not supported in combination with BYLEX")
		return
	}
	minIdx, maxIdx := src+1, src+2
	if rev && kind != zrangeRank {
		minIdx, maxIdx = maxIdx, minIdx // given as max, min
	}
	b, ok := c.zrangeBoundsArgs(kind, minIdx, maxIdx)
	if !ok {
		return
	}
	z, ok := sourceColl[*storage.ZSet](c, c.args[src])
	if !ok {
		return
	}
	lo, hi := 0, 0
	if z != nil {
		lo, hi = b.span(z)
		switch {
		case kind == zrangeRank && rev: // start and end count from the highest score
			lo, hi = z.Len()-hi, z.Len()-lo
		case kind != zrangeRank:
			lo, hi = zlimitWindow(lo, hi, offset, limit, rev)
		}
	}
	if store {
		zrangeStore(c, c.args[1], z, lo, hi, rev, kind == zrangeRank)
		return
	}
	c.w.Array(zReplyLen(c, hi-lo, withScores))
	if hi > lo {
		z.Range(lo, hi-1, rev, func(m []byte, s float64) bool {
			writeZMember(c, m, s, withScores)
			return true
		})
	}
}

// zrangeStore stores the members of ranks [lo, hi) of z (nil: none) in dst, replacing
// it (or deleting it when there are none), and replies with their number. sized tells
// that the count was known before the walk (a range by rank), which Redis uses to pick
// the result's first encoding.
func zrangeStore(c *Client, dst []byte, z *storage.ZSet, lo, hi int, rev, sized bool) {
	if hi <= lo {
		c.clearDest(dst)
		c.w.Int(0)
		return
	}
	// As Redis 7.0, the result is created packed (unless a range by rank is known to be
	// too long) and takes the members in range order, so it converts where a ZADD of them
	// would, and members that went through the listpack are normalized by it (-0 becomes
	// 0) exactly as there. The source may be dst: copy first.
	entries := make([]storage.ZEntry, 0, hi-lo)
	z.Range(lo, hi-1, rev, func(m []byte, s float64) bool {
		entries = append(entries, storage.ZEntry{Member: string(m), Score: s})
		return true
	})
	lim := c.s.eng.Limits()
	out := storage.NewZSet()
	if sized {
		out = storage.NewZSetSized(len(entries), lim)
	}
	for _, e := range entries {
		out.Add(sbytesOf(e.Member), e.Score, 0, lim)
	}
	c.db.SetValue(c.slot(dst), dst, out, 0, false)
	c.wrote(dst, evZset, "zrangestore")
	c.w.Int(int64(len(entries)))
}

// zremrangeGeneric implements ZREMRANGEBYRANK, ZREMRANGEBYSCORE and ZREMRANGEBYLEX key
// min max: the range is checked before the key, the removal is one splice of ranks.
func zremrangeGeneric(c *Client, kind zrangeKind) {
	b, ok := c.zrangeBoundsArgs(kind, 2, 3)
	if !ok {
		return
	}
	key := c.args[1]
	z, ok := lookupColl[*storage.ZSet](c, key)
	if !ok {
		return
	}
	if z == nil {
		c.w.Int(0)
		return
	}
	n := z.DeleteRange(b.span(z))
	if n > 0 {
		c.wrote(key, evZset, c.cmd.FullName)
		c.addDirty(n - 1)
	}
	c.dropIfEmpty(key, z)
	c.w.Int(int64(n))
}
