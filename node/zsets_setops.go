package node

import (
	"math"
	"slices"
	"unsafe"

	"github.com/shoal-db/shoal/storage"
)

// ZUNION, ZINTER, ZDIFF, their STORE forms and ZINTERCARD.
//
// Inputs may be sorted sets or sets. A set is any value of type set that implements
// storage.Iterable: each of its members counts with score 1, as in Redis. Membership in
// a set input is tested through a map built from Each on first use (the set type's own
// lookup is not part of the Iterable contract), so that costs O(set size) once.

type zsetOp uint8

const (
	zopUnion zsetOp = iota
	zopInter
	zopDiff
)

type zaggregate uint8

const (
	zaggSum zaggregate = iota
	zaggMin
	zaggMax
)

// zsetOperand is one input of a set operation.
type zsetOperand struct {
	z       *storage.ZSet    // a sorted set, or nil
	set     storage.Iterable // a set, or nil (both nil: a missing key)
	weight  float64
	members map[string]struct{} // set's members, built by score
}

func (o *zsetOperand) len() int {
	switch {
	case o.z != nil:
		return o.z.Len()
	case o.set != nil:
		return o.set.Len()
	}
	return 0
}

// each calls fn for every member with its (unweighted) score.
func (o *zsetOperand) each(fn func(m []byte, s float64) bool) {
	switch {
	case o.z != nil:
		o.z.Range(0, o.z.Len()-1, false, fn)
	case o.set != nil:
		o.set.Each(func(m []byte) bool { return fn(m, 1) })
	}
}

// score returns member's (unweighted) score in the operand.
func (o *zsetOperand) score(m []byte) (float64, bool) {
	switch {
	case o.z != nil:
		return o.z.Score(m)
	case o.set != nil:
		if o.members == nil {
			o.members = make(map[string]struct{}, o.set.Len())
			o.set.Each(func(m []byte) bool {
				o.members[string(m)] = struct{}{}
				return true
			})
		}
		_, ok := o.members[string(m)]
		return 1, ok
	}
	return 0, false
}

// aggregate folds v into *acc as Redis does (SUM turns +inf + -inf into 0).
func (a zaggregate) aggregate(acc *float64, v float64) {
	switch a {
	case zaggSum:
		*acc += v
		if math.IsNaN(*acc) {
			*acc = 0
		}
	case zaggMin:
		if v < *acc {
			*acc = v
		}
	case zaggMax:
		if v > *acc {
			*acc = v
		}
	}
}

func cmdZunion(c *Client)      { zsetOpGeneric(c, nil, 1, zopUnion, false) }
func cmdZinter(c *Client)      { zsetOpGeneric(c, nil, 1, zopInter, false) }
func cmdZdiff(c *Client)       { zsetOpGeneric(c, nil, 1, zopDiff, false) }
func cmdZunionstore(c *Client) { zsetOpGeneric(c, c.args[1], 2, zopUnion, false) }
func cmdZinterstore(c *Client) { zsetOpGeneric(c, c.args[1], 2, zopInter, false) }
func cmdZdiffstore(c *Client)  { zsetOpGeneric(c, c.args[1], 2, zopDiff, false) }
func cmdZintercard(c *Client)  { zsetOpGeneric(c, nil, 1, zopInter, true) }

// zsetOpGeneric implements the set operations: numIdx is the index of numkeys, dst the
// destination key of the STORE forms (nil otherwise), cardOnly ZINTERCARD. As Redis, it
// checks numkeys, then the key types, then the options.
func zsetOpGeneric(c *Client, dst []byte, numIdx int, op zsetOp, cardOnly bool) {
	setnum, ok := c.intArg(numIdx)
	if !ok {
		return
	}
	if setnum < 1 {
		c.Err("ERR at least 1 input key is needed for '" + c.cmd.FullName + "' command")
		return
	}
	if setnum > int64(len(c.args)-numIdx-1) {
		c.Err(errSyntax)
		return
	}
	ops := make([]zsetOperand, setnum)
	j := numIdx + 1
	for i := range ops {
		k := c.args[j]
		j++
		ops[i].weight = 1
		_, v, found := c.db.ForRead().Get(c.slot(k), k)
		if !found {
			continue
		}
		if z, isZ := v.(*storage.ZSet); isZ {
			ops[i].z = z
			continue
		}
		if it, isIt := v.(storage.Iterable); isIt && v.Type() == storage.TypeSet {
			ops[i].set = it
			continue
		}
		c.Err(errWrongType)
		return
	}
	agg, withScores, limit := zaggSum, false, int64(0)
	for j < len(c.args) {
		left := len(c.args) - j
		switch {
		case op != zopDiff && !cardOnly && left >= len(ops)+1 && c.is(j, "WEIGHTS"):
			j++
			for i := range ops {
				w, ok := parseZScore(c.args[j])
				if !ok {
					c.Err(errZWeight)
					return
				}
				ops[i].weight = w
				j++
			}
		case op != zopDiff && !cardOnly && left >= 2 && c.is(j, "AGGREGATE"):
			switch {
			case c.is(j+1, "SUM"):
				agg = zaggSum
			case c.is(j+1, "MIN"):
				agg = zaggMin
			case c.is(j+1, "MAX"):
				agg = zaggMax
			default:
				c.Err(errSyntax)
				return
			}
			j += 2
		case dst == nil && !cardOnly && c.is(j, "WITHSCORES"):
			withScores = true
			j++
		case cardOnly && left >= 2 && c.is(j, "LIMIT"):
			if limit, ok = c.intArgMin(j+1, 0, errLimitNeg); !ok {
				return
			}
			j += 2
		default:
			c.Err(errSyntax)
			return
		}
	}
	if op != zopDiff {
		// Smallest first, as Redis: it bounds the intersection and fixes the order in
		// which scores are summed.
		slices.SortStableFunc(ops, func(a, b zsetOperand) int { return a.len() - b.len() })
	}
	if cardOnly {
		c.w.Int(zinterCard(ops, limit))
		return
	}
	var entries []storage.ZEntry
	switch op {
	case zopUnion:
		entries = zunionEntries(ops, agg)
	case zopInter:
		entries = zinterEntries(ops, agg)
	case zopDiff:
		entries = zdiffEntries(ops)
	}
	if dst != nil {
		if len(entries) == 0 {
			c.clearDest(dst)
			c.w.Int(0)
			return
		}
		c.db.SetValue(c.slot(dst), dst, storage.NewZSetFrom(entries, c.s.eng.Limits()), 0, false)
		c.wrote(dst, evZset, c.cmd.FullName)
		c.w.Int(int64(len(entries)))
		return
	}
	slices.SortFunc(entries, storage.CompareZEntries)
	c.w.Array(zReplyLen(c, len(entries), withScores))
	for _, e := range entries {
		writeZMember(c, sbytesOf(e.Member), e.Score, withScores)
	}
}

// weighted is w×s, with Redis's convention that a NaN product (0 × inf) is 0.
func weighted(w, s float64) float64 {
	v := w * s
	if math.IsNaN(v) {
		return 0
	}
	return v
}

func zunionEntries(ops []zsetOperand, agg zaggregate) []storage.ZEntry {
	acc := make(map[string]float64, ops[len(ops)-1].len())
	for i := range ops {
		o := &ops[i]
		o.each(func(m []byte, s float64) bool {
			v := weighted(o.weight, s)
			if cur, seen := acc[string(m)]; seen {
				agg.aggregate(&cur, v)
				acc[string(m)] = cur
			} else {
				acc[string(m)] = v
			}
			return true
		})
	}
	entries := make([]storage.ZEntry, 0, len(acc))
	for m, s := range acc {
		entries = append(entries, storage.ZEntry{Member: m, Score: s})
	}
	return entries
}

// zinterEach calls fn for every member of the intersection with its aggregated score,
// until fn returns false; ops are sorted by size.
func zinterEach(ops []zsetOperand, agg zaggregate, fn func(m []byte, score float64) bool) {
	if ops[0].len() == 0 {
		return
	}
	ops[0].each(func(m []byte, s float64) bool {
		score := weighted(ops[0].weight, s)
		for j := 1; j < len(ops); j++ {
			v, ok := ops[j].score(m)
			if !ok {
				return true
			}
			agg.aggregate(&score, v*ops[j].weight)
		}
		return fn(m, score)
	})
}

func zinterEntries(ops []zsetOperand, agg zaggregate) []storage.ZEntry {
	var entries []storage.ZEntry
	zinterEach(ops, agg, func(m []byte, s float64) bool {
		entries = append(entries, storage.ZEntry{Member: string(m), Score: s})
		return true
	})
	return entries
}

// zinterCard counts the intersection, stopping at limit (0: no limit).
func zinterCard(ops []zsetOperand, limit int64) int64 {
	var n int64
	zinterEach(ops, zaggSum, func([]byte, float64) bool {
		n++
		return limit == 0 || n < limit
	})
	return n
}

// zdiffEntries returns the members of the first input found in no other, with their
// scores in the first.
func zdiffEntries(ops []zsetOperand) []storage.ZEntry {
	var entries []storage.ZEntry
	ops[0].each(func(m []byte, s float64) bool {
		for j := 1; j < len(ops); j++ {
			if _, ok := ops[j].score(m); ok {
				return true
			}
		}
		entries = append(entries, storage.ZEntry{Member: string(m), Score: s})
		return true
	})
	return entries
}

// sbytesOf views s as bytes without copying, for the reply writer (which copies them).
func sbytesOf(s string) []byte { return unsafe.Slice(unsafe.StringData(s), len(s)) }
