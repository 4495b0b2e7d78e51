package node

import (
	"github.com/shoal-db/shoal/node/resp"
	"github.com/shoal-db/shoal/slots"
	"github.com/shoal-db/shoal/storage"
)

// prefetch, after a read, warms the CPU's cache with the keys of the pipelined
// requests the read brought (storage.DB.Prefetch): a batch of commands on random keys
// then waits for its cache misses together rather than one command after another. It
// returns after how many requests to look again (see prefetchFrom).
func (c *Client) prefetch() int { return c.prefetchFrom(c.rd) }

// prefetchFrom prefetches the keys of the requests buffered in rd after its parse
// position. Only requests whose first key is their second argument count (GET, SET,
// INCR, LPUSH …). A run of requests on one key (LPUSH mylist … repeated) has nothing
// to overlap: the scan stops at the first key equal to the one before. It returns the
// window's size when it is full (storage.PrefetchMax requests: more may be buffered,
// to prefetch once these have run), else 0.
func (c *Client) prefetchFrom(rd *resp.Reader) int {
	var heads [storage.PrefetchMax]resp.Head
	n := 0
	rd.Ahead(func(h resp.Head) bool {
		if h.Arg == nil {
			return true
		}
		if n > 0 && string(h.Arg) == string(heads[n-1].Arg) {
			return false
		}
		heads[n] = h
		n++
		return n < len(heads)
	})
	if n < 2 {
		return 0
	}
	var keys [storage.PrefetchMax]storage.KeyAt
	k := 0
	var name []byte // a pipeline mostly repeats one command: look each name up once
	var cmd *Command
	for _, h := range heads[:n] {
		if string(h.Name) != string(name) {
			name, cmd = h.Name, c.s.table.lookup(h.Name)
		}
		if cmd != nil && cmd.FirstKey == 1 {
			keys[k] = storage.KeyAt{Slot: slots.KeySlot(h.Arg), Key: h.Arg}
			k++
		}
	}
	c.db.Prefetch(keys[:k])
	if n < len(heads) {
		return 0
	}
	return n
}

// prefetchNext counts a request of the current window as run (*ahead: the requests
// left in it, as prefetchFrom returned), and prefetches the next window when a full
// one has run (a pipeline longer than a window: redis-cli --pipe, a replica's stream).
func (c *Client) prefetchNext(rd *resp.Reader, ahead *int) {
	if *ahead > 0 {
		if *ahead--; *ahead == 0 {
			*ahead = c.prefetchFrom(rd)
		}
	}
}
