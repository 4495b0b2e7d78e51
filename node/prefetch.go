package node

import (
	"github.com/shoal-db/shoal/node/resp"
	"github.com/shoal-db/shoal/slots"
	"github.com/shoal-db/shoal/storage"
)

// prefetch, after a read, warms the CPU's cache with the keys of the pipelined
// requests the read brought (storage.DB.Prefetch): a batch of commands on random keys
// then waits for its cache misses together rather than one command after another.
func (c *Client) prefetch() { c.prefetchFrom(c.rd) }

// prefetchFrom prefetches the keys of the requests buffered in rd after its parse
// position, and returns how many requests it looked at (at most storage.PrefetchMax):
// a reader with more buffered than that (a replica's stream) is prefetched again once
// those have run. Only requests whose first key is their second argument count (GET,
// SET, INCR, LPUSH …). A run of requests on one key (LPUSH mylist … repeated) has
// nothing to overlap: the scan stops at the first key equal to the one before.
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
		return n
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
	return n
}
