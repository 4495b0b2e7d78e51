package node

import (
	"github.com/shoal-db/shoal/node/spec"
	"github.com/shoal-db/shoal/slots"
)

// Transactions: MULTI queues commands, EXEC runs them as one atomic step, DISCARD drops
// them; WATCH (watch.go) makes EXEC fail when a watched key changed.
//
// EXEC locks the stripes of every queued command's keys and of the watched keys (every
// stripe if a queued command locks all or locks for itself), checks the watches under
// those locks, and runs the queue with c.held set: no other client can run a command
// touching those keys in between, which is what Redis's single thread gives.

func multiDefs() []def {
	return []def{
		{name: "multi", fn: cmdMulti, lock: lockNone, txControl: true},
		{name: "exec", fn: cmdExec, lock: lockNone, txControl: true},
		{name: "discard", fn: cmdDiscard, lock: lockNone, txControl: true},
		{name: "watch", fn: cmdWatch, txControl: true},
		{name: "unwatch", fn: cmdUnwatch, lock: lockNone},
	}
}

// multiState is a client's open transaction.
type multiState struct {
	cmds  []queuedCmd
	abort bool // a command was refused while queuing: EXEC answers EXECABORT
}

type queuedCmd struct {
	cmd  *Command
	args [][]byte // a copy: the request's arguments alias the query buffer
}

// queue adds the current command to the open transaction.
func (c *Client) queue(cmd *Command) {
	c.multi.cmds = append(c.multi.cmds, queuedCmd{cmd, cloneArgs(c.args)})
	c.multiLen.Store(int64(len(c.multi.cmds)))
	c.w.Simple("QUEUED")
}

// endMulti closes the transaction and forgets the watched keys (EXEC, DISCARD, RESET,
// disconnection).
func (c *Client) endMulti() {
	c.multi = nil
	c.multiLen.Store(-1)
	c.unwatchAll()
}

func cmdMulti(c *Client) {
	if c.multi != nil {
		c.Err("ERR MULTI calls can not be nested")
		return
	}
	c.multi = &multiState{}
	c.multiLen.Store(0)
	c.OK()
}

func cmdDiscard(c *Client) {
	if c.multi == nil {
		c.Err("ERR DISCARD without MULTI")
		return
	}
	c.endMulti()
	c.OK()
}

func cmdWatch(c *Client) {
	if c.multi != nil {
		c.Err("ERR WATCH inside MULTI is not allowed")
		return
	}
	for i, idx := range c.keyIdx {
		c.watch(c.args[idx], c.keySlots[i])
	}
	c.OK()
}

func cmdUnwatch(c *Client) {
	c.unwatchAll()
	c.OK()
}

func cmdExec(c *Client) {
	m := c.multi
	if m == nil {
		c.Err("ERR EXEC without MULTI")
		return
	}
	if m.abort {
		c.endMulti()
		c.Err("EXECABORT Transaction discarded because of previous errors.")
		return
	}
	s := c.s
	execArgs, execCmd := c.args, c.cmd
	c.locks.Reset()
	c.lockSetFor(m.cmds)
	s.eng.Lock(&c.locks)
	// A watched key that has expired since WATCH is a change: looking it up deletes it
	// and reports it.
	for _, k := range c.watched {
		if k.db < s.eng.NumDBs() {
			key := []byte(k.key)
			s.eng.DB(k.db).Exists(slots.KeySlot(key), key)
		}
	}
	if c.watchDirty.Load() {
		s.eng.Unlock(&c.locks)
		c.endMulti()
		c.w.NullArray()
		return
	}
	c.unwatchAll()
	c.w.Array(len(m.cmds))
	c.held = true
	for _, q := range m.cmds {
		c.args, c.cmd = q.args, q.cmd
		s.call(c, q.cmd)
	}
	c.held = false
	c.endMulti()
	c.dirty = 0 // counted by each command
	s.flushProp(c)
	s.eng.Unlock(&c.locks)
	c.args, c.cmd = execArgs, execCmd
	s.serveReady()
}

// lockSetFor fills c.locks with the stripes EXEC needs: those of the queued commands'
// keys and of the watched keys, or all of them when a queued command does not name its
// keys.
func (c *Client) lockSetFor(cmds []queuedCmd) {
	for _, q := range cmds {
		if q.cmd.lock != lockKeys {
			c.locks.AddAll()
			return
		}
		keys, err := q.cmd.Keys(q.args, c.keyIdx[:0])
		c.keyIdx = keys
		if err != nil {
			c.locks.AddAll()
			return
		}
		for _, i := range keys {
			c.locks.AddSlot(slots.KeySlot(q.args[i]))
		}
	}
	for _, k := range c.watched {
		c.locks.AddSlot(slots.KeySlot([]byte(k.key)))
	}
}

// queueing reports whether the executor should queue cmd rather than run it: inside
// MULTI every command but the transaction controls is queued. A command that may not
// run in a transaction is refused (and aborts it).
func (c *Client) queueing(cmd *Command) bool {
	if c.multi == nil || cmd.txControl {
		return false
	}
	if cmd.Has(spec.NoMulti) {
		c.reject("ERR Command not allowed inside a transaction")
		return true
	}
	c.queue(cmd)
	return true
}
