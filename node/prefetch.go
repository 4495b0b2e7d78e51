package node

import (
	"github.com/shoal-db/shoal/node/resp"
	"github.com/shoal-db/shoal/slots"
	"github.com/shoal-db/shoal/storage"
)

// skipRunBatches is how many batches that start with a member command (def.member) are
// not scanned after a run's collection proved too small or absent for PrefetchMembers:
// a pipeline on one small collection (redis-benchmark's SADD, HSET, ZADD without -r)
// would otherwise pay for a scan that never pays off.
const skipRunBatches = 64

// aheadPending is Client.ahead after a read: the batch's first window is to be
// prefetched (prefetchBatch) once its first request is parsed.
const aheadPending = -1

// prefetchBatch warms the CPU's cache for the pipelined requests a read brought, first
// its first request (about to run) and the requests after it (see prefetchFrom): a
// batch of commands on random keys then waits for its cache misses together rather
// than one command after another. A read that brought one request (no pipeline) has
// nothing to overlap, nor has an empty database: then nothing is scanned. It returns
// after how many requests to look again (see prefetchFrom).
func (c *Client) prefetchBatch(first [][]byte) int {
	size := c.db.Size()
	if c.rd.Buffered() == 0 || size == 0 {
		return 0
	}
	member := false
	if cmd := c.lookupCmd(first[0]); cmd != nil {
		member = cmd.member != 0
	}
	if member && c.skipRuns > 0 {
		c.skipRuns--
		return 0
	}
	if !member && size < storage.PrefetchMinKeys {
		return 0 // a window of keys pays off only in a large keyspace
	}
	return c.prefetchFrom(c.rd, first)
}

// prefetchFrom prefetches for the request first (the one about to run, when not nil)
// and the requests buffered in rd after its parse position.
// Only requests whose first key is their second argument count (GET, SET, INCR, LPUSH
// …). A window is one of two kinds, told by its first two requests:
//   - requests on different keys: their keys are prefetched (storage.DB.Prefetch). The
//     window ends at the first key equal to the one before.
//   - a run of requests on one key naming members of its collection (SADD myset m1,
//     SADD myset m2 …, see def.member): those members are prefetched
//     (storage.DB.PrefetchMembers). The window ends at the first request that is not
//     one of them. A run on one key without members (LPUSH mylist … repeated) has
//     nothing to overlap, and the scan stops at its second request.
//
// It returns the window's size when it is full (storage.PrefetchMax requests: more may
// be buffered, to prefetch once these have run), else 0.
func (c *Client) prefetchFrom(rd *resp.Reader, first [][]byte) int {
	var w window
	c.scanWindow(rd, first, &w)
	if w.n < 2 {
		return 0
	}
	if w.run {
		if !c.db.PrefetchMembers(storage.KeyAt{Slot: slots.KeySlot(w.heads[0].Arg), Key: w.heads[0].Arg}, w.members[:w.n]) {
			c.skipRuns = skipRunBatches
		}
	} else if c.db.Size() >= storage.PrefetchMinKeys {
		var keys [storage.PrefetchMax]storage.KeyAt
		k := 0
		for _, h := range w.heads[:w.n] {
			if cmd := c.lookupCmd(h.Name); cmd != nil && cmd.FirstKey == 1 {
				keys[k] = storage.KeyAt{Slot: slots.KeySlot(h.Arg), Key: h.Arg}
				k++
			}
		}
		c.db.Prefetch(keys[:k])
	}
	if w.n < len(w.heads) {
		return 0
	}
	return w.n
}

// window is one prefetch window (prefetchFrom): the heads of its n requests and, for a
// run on one key (run), their members.
type window struct {
	heads   [storage.PrefetchMax]resp.Head
	members [storage.PrefetchMax][]byte
	n       int
	run     bool
}

// memberOf is the member h names in its key's collection (def.member), or nil.
func (c *Client) memberOf(h resp.Head) []byte {
	cmd := c.lookupCmd(h.Name)
	if cmd == nil || cmd.FirstKey != 1 || cmd.member == 0 {
		return nil
	}
	return h.More[cmd.member-2]
}

// scanWindow fills w with the window that starts with the request first (when not nil)
// and goes on at rd's parse position.
func (c *Client) scanWindow(rd *resp.Reader, first [][]byte, w *window) {
	if len(first) > 0 {
		h := resp.Head{Name: first[0]}
		if len(first) > 1 {
			h.Arg = first[1]
		}
		for i := range h.More {
			if 2+i < len(first) {
				h.More[i] = first[2+i]
			}
		}
		if !w.add(c, h) {
			return
		}
	}
	rd.Ahead(func(h resp.Head) bool { return w.add(c, h) })
}

// add extends w with the request h, or reports false when h ends it (then w is as it
// was) or fills it.
func (w *window) add(c *Client, h resp.Head) bool {
	if h.Arg == nil {
		return true
	}
	if n := w.n; n > 0 && string(h.Arg) == string(w.heads[n-1].Arg) {
		if n > 1 && !w.run {
			return false
		}
		if !w.run {
			if w.members[0] = c.memberOf(w.heads[0]); w.members[0] == nil {
				return false
			}
		}
		if w.members[n] = c.memberOf(h); w.members[n] == nil {
			return false
		}
		w.run = true
	} else if w.run {
		return false
	}
	w.heads[w.n] = h
	w.n++
	return w.n < len(w.heads)
}

// prefetchNext counts a request of the current window as run (*ahead: the requests
// left in it, as prefetchFrom returned), and prefetches the next window when a full
// one has run (a pipeline longer than a window: redis-cli --pipe, a replica's stream).
func (c *Client) prefetchNext(rd *resp.Reader, ahead *int) {
	if *ahead > 0 {
		if *ahead--; *ahead == 0 {
			*ahead = c.prefetchFrom(rd, nil)
		}
	}
}
