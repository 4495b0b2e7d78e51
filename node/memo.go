package node

import (
	"github.com/shoal-db/shoal/slots"
)

// memo holds a copy of a short byte string (a command name, a key) without
// allocating; longer strings are not held.
type memo struct {
	n   int8 // length held, -1 for none
	buf [31]byte
}

// is reports whether m holds exactly b.
func (m *memo) is(b []byte) bool {
	return int(m.n) == len(b) && string(m.buf[:len(b)]) == string(b)
}

// set makes m hold b, or nothing when b does not fit.
func (m *memo) set(b []byte) {
	if len(b) > len(m.buf) {
		m.n = -1
		return
	}
	m.n = int8(copy(m.buf[:], b))
}

// lookupCmd is s.table.lookup(name), remembering the last name (pipelines repeat
// their command).
func (c *Client) lookupCmd(name []byte) *Command {
	if c.seenCmd != nil && c.seenName.is(name) {
		return c.seenCmd
	}
	cmd := c.s.table.lookup(name)
	if cmd != nil {
		c.seenName.set(name)
		c.seenCmd = cmd
	}
	return cmd
}

// keySlot is slots.KeySlot(key), remembering the last key (a pipeline of LPUSHes to
// one list, of HSETs to one hash).
func (c *Client) keySlot(key []byte) int {
	if c.seenKey.n > 0 && c.seenKey.is(key) {
		return c.seenSlot
	}
	sl := slots.KeySlot(key)
	c.seenKey.set(key)
	c.seenSlot = sl
	return sl
}
