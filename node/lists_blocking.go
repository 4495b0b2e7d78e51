package node

import (
	"github.com/shoal-db/shoal/storage"
)

// The blocking list commands. Each first tries to serve at once under its keys' stripes;
// otherwise it queues the client on its keys (see blocking.go). Its try runs again,
// under the same stripes, whenever one of those keys is written; a timeout answers a
// null array (RESP2 *-1), for BLMOVE and BRPOPLPUSH too, as Redis 7.0 does.

func replyNullArray(c *Client) { c.w.NullArray() }

// BLPOP/BRPOP key [key ...] timeout

func cmdBlpop(c *Client) { bpopCommand(c, true) }
func cmdBrpop(c *Client) { bpopCommand(c, false) }

func bpopCommand(c *Client, left bool) {
	last := len(c.args) - 1
	timeout, ok := c.timeoutArg(last)
	if !ok {
		return
	}
	for _, key := range c.args[1:last] {
		l, ok := lookupColl[*storage.List](c, key)
		if !ok {
			return
		}
		if l != nil {
			bpopReply(c, key, l, left)
			return
		}
	}
	c.block(c.args[1:last], timeout, func(c *Client) bool {
		for _, key := range c.args[1 : len(c.args)-1] {
			if l, _ := storage.Lookup[*storage.List](c.db, c.slot(key), key); l != nil {
				bpopReply(c, key, l, left)
				return true
			}
		}
		return false
	}, replyNullArray)
}

// bpopReply pops from the non-empty list l at key and replies [key, element].
func bpopReply(c *Client, key []byte, l *storage.List, left bool) {
	c.w.Array(2)
	c.w.Bulk(key)
	c.w.Bulk(pop(l, left))
	c.wrote(key, evList, popEvent(left))
	c.dropIfEmpty(key, l)
	c.propagateAs(popName(left), key)
}

// BLMOVE source destination LEFT|RIGHT LEFT|RIGHT timeout
func cmdBlmove(c *Client) {
	if from, to, ok := c.listSides(3); ok {
		bmoveCommand(c, from, to, 5)
	}
}

// BRPOPLPUSH source destination timeout
func cmdBrpoplpush(c *Client) { bmoveCommand(c, false, true, 3) }

// bmoveCommand blocks on the source only, as Redis does. A waiter served while the
// destination holds another type gets WRONGTYPE (and the element stays), as in Redis.
func bmoveCommand(c *Client, from, to bool, timeoutAt int) {
	timeout, ok := c.timeoutArg(timeoutAt)
	if !ok {
		return
	}
	src, ok := lookupColl[*storage.List](c, c.args[1])
	if !ok {
		return
	}
	if src != nil {
		c.listMove(src, c.args[1], c.args[2], from, to)
		c.propagateMove()
		return
	}
	c.block(c.args[1:2], timeout, func(c *Client) bool {
		srcKey, dstKey := c.args[1], c.args[2]
		src, _ := storage.Lookup[*storage.List](c.db, c.slot(srcKey), srcKey)
		if src == nil {
			return false
		}
		c.listMove(src, srcKey, dstKey, from, to)
		c.propagateMove()
		c.signalKey(dstKey) // waiters on the destination are served next
		return true
	}, replyNullArray)
}

// propagateMove propagates BLMOVE as LMOVE and BRPOPLPUSH as RPOPLPUSH.
func (c *Client) propagateMove() {
	if !c.propagating() {
		return
	}
	if len(c.args) == 4 {
		c.propagateAs(bRPOPLPUSH, c.args[1], c.args[2])
		return
	}
	c.propagateAs(bLMOVE, c.args[1], c.args[2], c.args[3], c.args[4])
}

func popName(left bool) []byte {
	if left {
		return bLPOP
	}
	return bRPOP
}

// BLMPOP timeout numkeys key [key ...] LEFT|RIGHT [COUNT count]
func cmdBlmpop(c *Client) {
	a, ok := c.parseMpop(2, "LEFT", "RIGHT")
	if !ok {
		return
	}
	timeout, ok := c.timeoutArg(1)
	if !ok {
		return
	}
	if c.mpop(a, true) {
		return
	}
	c.block(c.args[a.keys[0]:a.keys[1]], timeout, func(c *Client) bool {
		return c.mpop(a, false)
	}, replyNullArray)
}
