package node

import (
	"time"

	"github.com/shoal-db/shoal/storage"
)

// ZPOPMIN, ZPOPMAX, ZMPOP and their blocking forms BZPOPMIN, BZPOPMAX and BZMPOP (see
// blocking.go for how a client waits and is served).

// zpopShape is the layout of a pop reply: emitKey puts the key first (BZPOP*, ZMPOP);
// nested groups each member with its score ([member, score] pairs: ZMPOP, and ZPOP*
// with a count in RESP3).
type zpopShape struct {
	emitKey, nested bool
}

// zpopWrite pops the count lowest (or highest, when max) members of z, which is key's
// non-empty sorted set, writes them in shape, and deletes key if z became empty.
func zpopWrite(c *Client, key []byte, z *storage.ZSet, count int64, max bool, shape zpopShape) {
	n := z.Len()
	k := int(min(count, int64(n)))
	switch {
	case shape.emitKey && shape.nested:
		c.w.Array(2)
		c.w.Bulk(key)
		c.w.Array(k)
	case shape.emitKey:
		c.w.Array(2*k + 1)
		c.w.Bulk(key)
	case shape.nested:
		c.w.Array(k)
	default:
		c.w.Array(2 * k)
	}
	lo, hi := 0, k
	if max {
		lo, hi = n-k, n
	}
	z.Range(lo, hi-1, max, func(m []byte, s float64) bool {
		if shape.nested {
			c.w.Array(2)
		}
		c.w.Bulk(m)
		c.w.Double(s)
		return true
	})
	z.DeleteRange(lo, hi)
	if k > 0 {
		ev := "zpopmin"
		if max {
			ev = "zpopmax"
		}
		c.wrote(key, evZset, ev)
		c.addDirty(k - 1)
		if shape.emitKey && c.propagating() {
			// BZPOPMIN/MAX as ZPOPMIN/MAX key, ZMPOP and BZMPOP with the count popped.
			name := bZPOPMIN
			if max {
				name = bZPOPMAX
			}
			if shape.nested {
				c.propagateAs(name, key, bInt(int64(k)))
			} else {
				c.propagateAs(name, key)
			}
		}
	}
	c.dropIfEmpty(key, z)
}

func cmdZpopmin(c *Client) { zpopMinMax(c, false) }
func cmdZpopmax(c *Client) { zpopMinMax(c, true) }

// zpopMinMax is ZPOPMIN / ZPOPMAX key [count]. Without a count the reply is a flat
// [member, score]; with one it is nested in RESP3.
func zpopMinMax(c *Client, max bool) {
	if len(c.args) > 3 {
		c.Err(errSyntax)
		return
	}
	count, ok := c.optCountArg(2)
	if !ok {
		return
	}
	key := c.args[1]
	z, ok := lookupColl[*storage.ZSet](c, key)
	if !ok {
		return
	}
	if z == nil || count == 0 {
		c.w.Array(0)
		return
	}
	zpopWrite(c, key, z, max1(count), max, zpopShape{nested: c.w.RESP3() && count != -1})
}

// max1 turns the "no count" marker -1 into a count of one.
func max1(count int64) int64 { return max(count, 1) }

func cmdBzpopmin(c *Client) { bzpop(c, false) }
func cmdBzpopmax(c *Client) { bzpop(c, true) }

// bzpop is BZPOPMIN / BZPOPMAX key [key …] timeout.
func bzpop(c *Client, max bool) {
	timeout, ok := c.timeoutArg(len(c.args) - 1)
	if !ok {
		return
	}
	zblockingPop(c, c.args[1:len(c.args)-1], max, timeout, 1, zpopShape{emitKey: true})
}

// zblockingPop pops from the first of keys holding a non-empty sorted set, or blocks
// the client on all of them until one does or timeout passes (null array). A key of
// another type is an error now, and ignored while blocked (as in Redis).
func zblockingPop(c *Client, keys [][]byte, max bool, timeout time.Duration, count int64, shape zpopShape) {
	for _, k := range keys {
		z, ok := lookupColl[*storage.ZSet](c, k)
		if !ok {
			return
		}
		if z != nil && z.Len() > 0 {
			zpopWrite(c, k, z, count, max, shape)
			return
		}
	}
	own := make([][]byte, len(keys)) // c.args does not outlive the handler
	for i, k := range keys {
		own[i] = []byte(string(k))
	}
	c.block(keys, timeout, func(c *Client) bool {
		for _, k := range own {
			z, err := storage.Lookup[*storage.ZSet](c.db, c.slot(k), k)
			if err == nil && z != nil && z.Len() > 0 {
				zpopWrite(c, k, z, count, max, shape)
				return true
			}
		}
		return false
	}, func(c *Client) { c.w.NullArray() })
}

func cmdZmpop(c *Client)  { zmpopGeneric(c, 1, false) }
func cmdBzmpop(c *Client) { zmpopGeneric(c, 2, true) }

// zmpopGeneric is ZMPOP numkeys key [key …] MIN|MAX [COUNT count] and BZMPOP timeout
// numkeys …; numIdx is the index of numkeys. The reply is [key, [[member, score] …]],
// or a null array when every key is empty.
func zmpopGeneric(c *Client, numIdx int, block bool) {
	a, ok := c.parseMpop(numIdx, "MAX", "MIN")
	if !ok {
		return
	}
	max, count := a.first, a.count
	keys := c.args[a.keys[0]:a.keys[1]]
	shape := zpopShape{emitKey: true, nested: true}
	if block {
		timeout, ok := c.timeoutArg(1)
		if !ok {
			return
		}
		zblockingPop(c, keys, max, timeout, count, shape)
		return
	}
	for _, k := range keys {
		z, ok := lookupColl[*storage.ZSet](c, k)
		if !ok {
			return
		}
		if z != nil {
			zpopWrite(c, k, z, count, max, shape)
			return
		}
	}
	c.w.NullArray()
}
