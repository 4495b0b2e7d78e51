package node

import (
	"bytes"
	"math"

	"github.com/shoal-db/shoal/storage"
)

// The list commands (Redis 7.0's "list" group). The blocking ones are in
// lists_blocking.go.

func listDefs() []def {
	return []def{
		{name: "lpush", fn: cmdLpush},
		{name: "rpush", fn: cmdRpush},
		{name: "lpushx", fn: cmdLpushx},
		{name: "rpushx", fn: cmdRpushx},
		{name: "lpop", fn: cmdLpop},
		{name: "rpop", fn: cmdRpop},
		{name: "llen", fn: cmdLlen},
		{name: "lrange", fn: cmdLrange},
		{name: "lindex", fn: cmdLindex},
		{name: "lset", fn: cmdLset},
		{name: "linsert", fn: cmdLinsert},
		{name: "lrem", fn: cmdLrem},
		{name: "ltrim", fn: cmdLtrim},
		{name: "lpos", fn: cmdLpos},
		{name: "lmove", fn: cmdLmove},
		{name: "rpoplpush", fn: cmdRpoplpush},
		{name: "lmpop", fn: cmdLmpop},
		{name: "blpop", fn: cmdBlpop},
		{name: "brpop", fn: cmdBrpop},
		{name: "blmove", fn: cmdBlmove},
		{name: "brpoplpush", fn: cmdBrpoplpush},
		{name: "blmpop", fn: cmdBlmpop},
		{name: "sort", fn: cmdSort, lock: lockAll},
		{name: "sort_ro", fn: cmdSortRO, lock: lockAll},
	}
}

// Errors only the list commands answer.
const (
	errRankZero  = "ERR RANK can't be zero: use 1 to start from the first match, 2 from the second ... or use negative to start from the end of the list"
	errCountNeg  = "ERR COUNT can't be negative"
	errMaxlenNeg = "ERR MAXLEN can't be negative"
)

// newList is an empty list with the current list-max-listpack-size (for createColl).
func (c *Client) newList() *storage.List {
	return storage.NewListFill(int(c.s.eng.Limits().ListMaxListpackSize.Load()))
}

// pop removes one element from the head (left) or tail of l. The slice aliases the list
// (see storage.List).
func pop(l *storage.List, left bool) []byte {
	var e []byte
	if left {
		e, _ = l.PopFront()
	} else {
		e, _ = l.PopBack()
	}
	return e
}

func pushEvent(left bool) string {
	if left {
		return "lpush"
	}
	return "rpush"
}

func popEvent(left bool) string {
	if left {
		return "lpop"
	}
	return "rpop"
}

func push(l *storage.List, e []byte, left bool) {
	if left {
		l.PushFront(e)
	} else {
		l.PushBack(e)
	}
}

// listSide parses args[i] as LEFT or RIGHT, writing a syntax error otherwise.
func (c *Client) listSide(i int) (left, ok bool) { return c.keywordArg(i, "LEFT", "RIGHT") }

// listSides parses the two LEFT|RIGHT of LMOVE and BLMOVE at args[i] (the source's end)
// and args[i+1] (the destination's), writing a syntax error on the first that is not.
func (c *Client) listSides(i int) (from, to, ok bool) {
	if from, ok = c.listSide(i); !ok {
		return false, false, false
	}
	to, ok = c.listSide(i + 1)
	return from, to, ok
}

// normIndex maps a Redis list index (negative counts from the tail) to 0-based.
func normIndex(i int64, n int) int64 {
	if i < 0 {
		i += int64(n)
	}
	return i
}

// LPUSH/RPUSH/LPUSHX/RPUSHX key element [element ...]

func cmdLpush(c *Client)  { pushCommand(c, true, false) }
func cmdRpush(c *Client)  { pushCommand(c, false, false) }
func cmdLpushx(c *Client) { pushCommand(c, true, true) }
func cmdRpushx(c *Client) { pushCommand(c, false, true) }

func pushCommand(c *Client, left, onlyExisting bool) {
	key := c.args[1]
	var l *storage.List
	var ok bool
	if onlyExisting {
		if l, ok = lookupColl[*storage.List](c, key); l == nil {
			if ok {
				c.w.Int(0)
			}
			return
		}
	} else if l, ok = createColl(c, key, c.newList); !ok {
		return
	}
	for _, e := range c.args[2:] {
		push(l, e, left)
	}
	c.wrote(key, evList, pushEvent(left))
	c.addDirty(len(c.args) - 3)
	c.w.Int(int64(l.Len()))
}

// LPOP/RPOP key [count]

func cmdLpop(c *Client) { popCommand(c, true) }
func cmdRpop(c *Client) { popCommand(c, false) }

func popCommand(c *Client, left bool) {
	if len(c.args) > 3 {
		c.Err(wrongArgs(c.cmd.FullName))
		return
	}
	count, ok := c.optCountArg(2)
	if !ok {
		return
	}
	key := c.args[1]
	l, ok := lookupColl[*storage.List](c, key)
	if !ok {
		return
	}
	switch {
	case l == nil && count < 0:
		c.w.Null()
	case l == nil:
		c.w.NullArray()
	case count < 0:
		c.w.Bulk(pop(l, left))
		c.wrote(key, evList, popEvent(left))
		c.dropIfEmpty(key, l)
	default:
		n := int(min(count, int64(l.Len())))
		c.w.Array(n)
		for range n {
			c.w.Bulk(pop(l, left))
		}
		if n > 0 {
			c.wrote(key, evList, popEvent(left))
			c.addDirty(n - 1)
		}
		c.dropIfEmpty(key, l)
	}
}

// LLEN key
func cmdLlen(c *Client) { replyCollInt(c, (*storage.List).Len) }

// LRANGE key start stop
func cmdLrange(c *Client) {
	start, ok := c.intArg(2)
	if !ok {
		return
	}
	stop, ok := c.intArg(3)
	if !ok {
		return
	}
	l, ok := lookupColl[*storage.List](c, c.args[1])
	if !ok {
		return
	}
	if l == nil {
		c.w.Array(0)
		return
	}
	lo, hi := rankWindow(int64(l.Len()), start, stop)
	c.w.Array(hi - lo)
	if lo == hi {
		return
	}
	l.Range(lo, hi-1, func(e []byte) bool {
		c.w.Bulk(e)
		return true
	})
}

// LINDEX key index
func cmdLindex(c *Client) {
	l, ok := lookupColl[*storage.List](c, c.args[1])
	if !ok {
		return
	}
	if l == nil {
		c.w.Null()
		return
	}
	i, ok := c.intArg(2)
	if !ok {
		return
	}
	i = normIndex(i, l.Len())
	if i < 0 || i >= int64(l.Len()) {
		c.w.Null()
		return
	}
	e, _ := l.Index(int(i))
	c.w.Bulk(e)
}

// LSET key index element
func cmdLset(c *Client) {
	l, ok := lookupColl[*storage.List](c, c.args[1])
	if !ok {
		return
	}
	if l == nil {
		c.Err(errNoSuchKey)
		return
	}
	i, ok := c.intArg(2)
	if !ok {
		return
	}
	i = normIndex(i, l.Len())
	if i < 0 || i >= int64(l.Len()) || !l.Set(int(i), c.args[3]) {
		c.Err(errIndexRange)
		return
	}
	c.wrote(c.args[1], evList, "lset")
	c.OK()
}

// LINSERT key BEFORE|AFTER pivot element
func cmdLinsert(c *Client) {
	after, ok := c.keywordArg(2, "AFTER", "BEFORE")
	if !ok {
		return
	}
	l, ok := lookupColl[*storage.List](c, c.args[1])
	if !ok {
		return
	}
	if l == nil {
		c.w.Int(0)
		return
	}
	if !l.Insert(c.args[3], c.args[4], after) {
		c.w.Int(-1)
		return
	}
	c.wrote(c.args[1], evList, "linsert")
	c.w.Int(int64(l.Len()))
}

// LREM key count element
func cmdLrem(c *Client) {
	count, ok := c.intArg(2)
	if !ok {
		return
	}
	key := c.args[1]
	l, ok := lookupColl[*storage.List](c, key)
	if !ok {
		return
	}
	if l == nil {
		c.w.Int(0)
		return
	}
	// A count beyond the list's length removes every match either way.
	count = max(min(count, int64(l.Len())), -int64(l.Len()))
	n := l.Remove(int(count), c.args[3])
	if n > 0 {
		c.wrote(key, evList, "lrem")
		c.addDirty(n - 1)
	}
	c.dropIfEmpty(key, l)
	c.w.Int(int64(n))
}

// LTRIM key start stop
func cmdLtrim(c *Client) {
	start, ok := c.intArg(2)
	if !ok {
		return
	}
	stop, ok := c.intArg(3)
	if !ok {
		return
	}
	key := c.args[1]
	l, ok := lookupColl[*storage.List](c, key)
	if !ok {
		return
	}
	if l != nil {
		lo, hi := rankWindow(int64(l.Len()), start, stop)
		before := l.Len()
		l.Trim(lo, hi-1) // empties the list when lo == hi
		c.wrote(key, evList, "ltrim")
		c.addDirty(before - l.Len() - 1)
		c.dropIfEmpty(key, l)
	}
	c.OK()
}

// LPOS key element [RANK rank] [COUNT num-matches] [MAXLEN len]
func cmdLpos(c *Client) {
	rank, count, maxlen := int64(1), int64(-1), int64(0)
	for i := 3; i < len(c.args); i++ {
		more := i+1 < len(c.args)
		switch {
		case c.is(i, "RANK") && more:
			i++
			r, ok := c.intArg(i)
			if !ok {
				return
			}
			if r == 0 {
				c.Err(errRankZero)
				return
			}
			rank = r
		case c.is(i, "COUNT") && more:
			i++
			var ok bool
			if count, ok = c.intArgMin(i, 0, errCountNeg); !ok {
				return
			}
		case c.is(i, "MAXLEN") && more:
			i++
			var ok bool
			if maxlen, ok = c.intArgMin(i, 0, errMaxlenNeg); !ok {
				return
			}
		default:
			c.Err(errSyntax)
			return
		}
	}
	l, ok := lookupColl[*storage.List](c, c.args[1])
	if !ok {
		return
	}
	if l == nil {
		if count >= 0 {
			c.w.Array(0)
		} else {
			c.w.Null()
		}
		return
	}
	fromTail := rank < 0
	if rank == math.MinInt64 {
		// Redis negates the rank in a long, which leaves LONG_MIN negative: every match
		// qualifies and COUNT never stops the scan.
		rank, count = 1, min(count, 0)
	} else if fromTail {
		rank = -rank
	}
	elem, n := c.args[2], int64(l.Len())
	var found [16]int64
	matches, index := found[:0], int64(0)
	seen := int64(0)
	visit := func(e []byte) bool {
		if maxlen != 0 && index >= maxlen {
			return false
		}
		if bytes.Equal(e, elem) {
			if seen++; seen >= rank {
				pos := index
				if fromTail {
					pos = n - index - 1
				}
				matches = append(matches, pos)
				if count < 0 || (count > 0 && int64(len(matches)) >= count) {
					return false
				}
			}
		}
		index++
		return true
	}
	if fromTail {
		l.EachRev(visit)
	} else {
		l.Each(visit)
	}
	if count < 0 {
		if len(matches) == 0 {
			c.w.Null()
		} else {
			c.w.Int(matches[0])
		}
		return
	}
	c.w.Array(len(matches))
	for _, m := range matches {
		c.w.Int(m)
	}
}

// LMOVE source destination LEFT|RIGHT LEFT|RIGHT
func cmdLmove(c *Client) {
	if from, to, ok := c.listSides(3); ok {
		moveCommand(c, from, to)
	}
}

// RPOPLPUSH source destination
func cmdRpoplpush(c *Client) { moveCommand(c, false, true) }

func moveCommand(c *Client, from, to bool) {
	src, ok := lookupColl[*storage.List](c, c.args[1])
	if !ok {
		return
	}
	if src == nil {
		c.w.Null()
		return
	}
	c.listMove(src, c.args[1], c.args[2], from, to)
}

// listMove moves one element of the non-empty list src (at srcKey) to the list at
// dstKey, created if needed, and replies with it; WRONGTYPE if dstKey holds another type,
// leaving src unchanged. Caller holds both stripes.
func (c *Client) listMove(src *storage.List, srcKey, dstKey []byte, from, to bool) {
	dst, ok := createColl(c, dstKey, c.newList)
	if !ok {
		return
	}
	e := pop(src, from)
	c.w.Bulk(e)
	push(dst, e, to) // e may alias src, even when src is dst: storage.List allows it
	// Events in Redis's order: the push, then the pop (and del of an emptied source).
	c.wrote(dstKey, evList, pushEvent(to))
	c.wrote(srcKey, evList, popEvent(from))
	if dst != src {
		c.dropIfEmpty(srcKey, src)
	}
	c.dirty--
}

// mpop pops up to count elements from the first non-empty list among the keys and
// replies [key, [elements]]; it reports whether it replied. A key of another type is
// WRONGTYPE when strict (the command's first try), skipped otherwise (a waiter woken
// by a write, as Redis serves only list keys then).
func (c *Client) mpop(a mpopArgs, strict bool) bool {
	for _, key := range c.args[a.keys[0]:a.keys[1]] {
		l, err := storage.Lookup[*storage.List](c.db, c.slot(key), key)
		if err != nil {
			if strict {
				c.ErrFor(err)
				return true
			}
			continue
		}
		if l == nil {
			continue
		}
		n := int(min(a.count, int64(l.Len())))
		c.w.Array(2)
		c.w.Bulk(key)
		c.w.Array(n)
		for range n {
			c.w.Bulk(pop(l, a.first))
		}
		c.wrote(key, evList, popEvent(a.first))
		c.addDirty(n - 1)
		c.dropIfEmpty(key, l)
		if c.propagating() {
			c.propagateAs(popName(a.first), key, bInt(int64(n))) // LMPOP as LPOP/RPOP key count
		}
		return true
	}
	return false
}

// LMPOP numkeys key [key ...] LEFT|RIGHT [COUNT count]
func cmdLmpop(c *Client) {
	a, ok := c.parseMpop(1, "LEFT", "RIGHT")
	if !ok {
		return
	}
	if !c.mpop(a, true) {
		c.w.NullArray()
	}
}
