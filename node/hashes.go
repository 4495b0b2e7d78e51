package node

import (
	"bytes"
	"math"

	"github.com/shoal-db/shoal/storage"
)

// The hash commands. Values are storage.Hash; the encoding thresholds come from the
// engine's live limits (hash-max-listpack-entries, hash-max-listpack-value).

func hashDefs() []def {
	return []def{
		{name: "hset", fn: cmdHset, member: 2},
		{name: "hmset", fn: cmdHset, member: 2},
		{name: "hsetnx", fn: cmdHsetnx, member: 2},
		{name: "hget", fn: cmdHget, member: 2},
		{name: "hmget", fn: cmdHmget, member: 2},
		{name: "hgetall", fn: cmdHgetall},
		{name: "hkeys", fn: cmdHkeys},
		{name: "hvals", fn: cmdHvals},
		{name: "hdel", fn: cmdHdel, member: 2},
		{name: "hexists", fn: cmdHexists, member: 2},
		{name: "hlen", fn: cmdHlen},
		{name: "hstrlen", fn: cmdHstrlen, member: 2},
		{name: "hincrby", fn: cmdHincrby, member: 2},
		{name: "hincrbyfloat", fn: cmdHincrbyfloat, member: 2},
		{name: "hrandfield", fn: cmdHrandfield},
		{name: "hscan", fn: cmdHscan},
	}
}

func newHash() *storage.Hash { return storage.NewHash() }

// cmdHset is HSET (replies the number of new fields) and HMSET (replies OK).
func cmdHset(c *Client) {
	if len(c.args)%2 != 0 {
		c.Err(wrongArgs(c.cmd.FullName))
		return
	}
	h, ok := createColl(c, c.args[1], newHash)
	if !ok {
		return
	}
	lim := c.s.eng.Limits()
	created := 0
	for i := 2; i < len(c.args); i += 2 {
		if h.Set(c.args[i], c.args[i+1], lim) {
			created++
		}
	}
	c.wrote(c.args[1], evHash, "hset")
	c.addDirty((len(c.args)-2)/2 - 1)
	if c.cmd.FullName == "hmset" {
		c.OK()
		return
	}
	c.w.Int(int64(created))
}

func cmdHsetnx(c *Client) {
	h, ok := createColl(c, c.args[1], newHash)
	if !ok {
		return
	}
	if h.Exists(c.args[2]) {
		c.w.Int(0)
		return
	}
	h.Set(c.args[2], c.args[3], c.s.eng.Limits())
	c.wrote(c.args[1], evHash, "hset")
	c.w.Int(1)
}

func cmdHget(c *Client) {
	h, ok := lookupColl[*storage.Hash](c, c.args[1])
	if !ok {
		return
	}
	if h != nil {
		if v, found := h.Get(c.args[2]); found {
			c.w.Bulk(v)
			return
		}
	}
	c.w.Null()
}

func cmdHmget(c *Client) {
	h, ok := lookupColl[*storage.Hash](c, c.args[1])
	if !ok {
		return
	}
	c.w.Array(len(c.args) - 2)
	for _, f := range c.args[2:] {
		if h != nil {
			if v, found := h.Get(f); found {
				c.w.Bulk(v)
				continue
			}
		}
		c.w.Null()
	}
}

// writeHash writes a whole hash: fields, values or both (a map).
func writeHash(c *Client, fields, values bool) {
	h, ok := lookupColl[*storage.Hash](c, c.args[1])
	if !ok {
		return
	}
	n := 0
	if h != nil {
		n = h.Len()
	}
	if fields && values {
		c.w.Map(n)
	} else {
		c.w.Array(n)
	}
	if h == nil {
		return
	}
	h.Each(func(f, v []byte) bool {
		if fields {
			c.w.Bulk(f)
		}
		if values {
			c.w.Bulk(v)
		}
		return true
	})
}

func cmdHgetall(c *Client) { writeHash(c, true, true) }
func cmdHkeys(c *Client)   { writeHash(c, true, false) }
func cmdHvals(c *Client)   { writeHash(c, false, true) }

func cmdHdel(c *Client) {
	h, ok := lookupColl[*storage.Hash](c, c.args[1])
	if !ok {
		return
	}
	if h == nil {
		c.w.Int(0)
		return
	}
	n, gone := 0, false
	for _, f := range c.args[2:] {
		if h.Delete(f) {
			n++
			if h.Len() == 0 {
				c.db.Delete(c.slot(c.args[1]), c.args[1])
				gone = true
				break
			}
		}
	}
	if n > 0 {
		c.wrote(c.args[1], evHash, "hdel")
		c.addDirty(n - 1)
		if gone {
			c.notify(evGeneric, "del", c.args[1])
		}
	}
	c.w.Int(int64(n))
}

func cmdHexists(c *Client) {
	replyCollInt(c, func(h *storage.Hash) int { return b2i(h.Exists(c.args[2])) })
}

func cmdHlen(c *Client) { replyCollInt(c, (*storage.Hash).Len) }

func cmdHstrlen(c *Client) {
	replyCollInt(c, func(h *storage.Hash) int {
		v, _ := h.Get(c.args[2])
		return len(v)
	})
}

func cmdHincrby(c *Client) {
	incr, ok := c.intArg(3)
	if !ok {
		return
	}
	h, ok := createColl(c, c.args[1], newHash)
	if !ok {
		return
	}
	v, found := h.Get(c.args[2])
	cur, ok := parseStored(c, v, found, storage.ParseInt, "ERR hash value is not an integer")
	if !ok {
		return
	}
	if cur, ok = addInt64(cur, incr); !ok {
		c.Err(errOverflow)
		return
	}
	var buf [20]byte
	h.Set(c.args[2], storage.FormatInt(buf[:0], cur), c.s.eng.Limits())
	c.wrote(c.args[1], evHash, "hincrby")
	c.w.Int(cur)
}

func cmdHincrbyfloat(c *Client) {
	incr, ok := parseLongDouble(c.args[3])
	if !ok {
		c.Err(errNotFloat)
		return
	}
	if incr.float().IsInf() {
		c.Err("ERR value is NaN or Infinity")
		return
	}
	h, ok := createColl(c, c.args[1], newHash)
	if !ok {
		return
	}
	v, found := h.Get(c.args[2])
	cur, ok := parseStored(c, v, found, parseLongDouble, "ERR hash value is not a float")
	if !ok {
		return
	}
	sum, ok := addLongDouble(cur, incr)
	if !ok {
		c.Err(errNaNOrInf)
		return
	}
	var buf [64]byte
	out := appendLongDoubleHuman(buf[:0], sum)
	h.Set(c.args[2], out, c.s.eng.Limits())
	c.wrote(c.args[1], evHash, "hincrbyfloat")
	c.w.Bulk(out)
	if c.propagating() {
		c.propagateAs(bHSET, c.args[1], c.args[2], bytes.Clone(out)) // the result, not the addition
	}
}

func cmdHrandfield(c *Client) {
	if len(c.args) >= 3 {
		n, ok := c.rangeCountArg(2)
		if !ok {
			return
		}
		withValues := len(c.args) == 4
		if len(c.args) > 4 || (withValues && !c.is(3, "WITHVALUES")) {
			c.Err(errSyntax)
			return
		}
		if withValues && (n < -math.MaxInt64/2 || n > math.MaxInt64/2) {
			c.Err(errOutOfRange)
			return
		}
		hrandfieldCount(c, n, withValues)
		return
	}
	h, ok := lookupColl[*storage.Hash](c, c.args[1])
	if !ok {
		return
	}
	if h == nil {
		c.w.Null()
		return
	}
	f, _, _ := h.Random(collRand)
	c.w.Bulk(f)
}

// hrandfieldCount is HRANDFIELD key count [WITHVALUES]: a negative count allows
// repetitions; in RESP3 each field and value come as a pair.
func hrandfieldCount(c *Client, n int64, withValues bool) {
	h, ok := lookupColl[*storage.Hash](c, c.args[1])
	if !ok {
		return
	}
	if h == nil || n == 0 {
		c.w.Array(0)
		return
	}
	pairs := withValues && c.w.RESP3()
	header := func(count int64) {
		if withValues && !pairs {
			count *= 2
		}
		c.w.Array(int(count))
	}
	write := func(f, v []byte) {
		if pairs {
			c.w.Array(2)
		}
		c.w.Bulk(f)
		if withValues {
			c.w.Bulk(v)
		}
	}
	if n < 0 || n == 1 {
		count := max(n, -n)
		g := newReplyGuard(c)
		header(count)
		h.RandomPairs(int(count), collRand, func(f, v []byte) bool {
			write(f, v)
			return g.ok()
		})
		return
	}
	size := int64(h.Len())
	header(min(n, size))
	visit := func(f, v []byte) bool {
		write(f, v)
		return true
	}
	if n >= size {
		h.Each(visit)
		return
	}
	h.SamplePairs(int(n), collRand, visit)
}

func cmdHscan(c *Client) {
	scanCollCmd(c, true, func(h *storage.Hash, cur uint64, emit func(f, v []byte)) uint64 {
		return h.Scan(cur, emit)
	})
}
