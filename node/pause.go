package node

import (
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/shoal-db/shoal/node/spec"
	"github.com/shoal-db/shoal/slots"
	"github.com/shoal-db/shoal/storage"
)

// CLIENT PAUSE holds clients' commands until a deadline or CLIENT UNPAUSE: all of them
// (ALL), or only those that may change the dataset (WRITE: write commands, EVAL/FCALL,
// PUBLISH and the other may-replicate commands, and EXEC of a transaction holding any).

type pauseState struct {
	active  atomic.Bool // a pause may be in force: the executor's fast check
	mu      sync.Mutex
	until   time.Time
	all     bool
	slots   slots.Ranges  // a write pause of these slots only (a slot move's hand-off); nil: of all
	resumed chan struct{} // closed when the pause ends early (UNPAUSE) or is replaced
}

// cmdClientPause is CLIENT PAUSE timeout [WRITE|ALL].
func cmdClientPause(c *Client) {
	ms, ok := c.intArgMsg(2, "ERR timeout is not an integer or out of range")
	if !ok {
		return
	}
	if ms < 0 {
		c.Err(errTimeoutNeg)
		return
	}
	all := true
	if len(c.args) == 4 {
		switch {
		case c.is(3, "WRITE"):
			all = false
		case c.is(3, "ALL"):
		default:
			c.Err("ERR CLIENT PAUSE mode must be WRITE or ALL")
			return
		}
	} else if len(c.args) > 4 {
		c.Err(errSyntax)
		return
	}
	c.s.pauseClients(time.Now().Add(time.Duration(ms)*time.Millisecond), all, !c.held)
	c.OK()
}

// pauseClients pauses clients until then (their writes only unless all). A new pause
// never shortens or weakens one in force, as in Redis. With barrier, it returns once
// no command that passed the pause check before the pause began is still running.
func (s *Server) pauseClients(until time.Time, all, barrier bool) {
	s.pauseSlots(until, all, nil, barrier)
}

// pauseSlots is pauseClients; with rs, a write pause holds only the writes to the
// slots of rs (and writes without keys), unless a wider pause is in force already.
func (s *Server) pauseSlots(until time.Time, all bool, rs slots.Ranges, barrier bool) {
	p := &s.pause
	p.mu.Lock()
	if time.Now().Before(p.until) {
		if until.Before(p.until) {
			until = p.until
		}
		all = all || p.all
		if p.slots == nil || rs == nil {
			rs = nil
		} else {
			rs = rs.Union(p.slots)
		}
	}
	if p.resumed != nil {
		close(p.resumed)
	}
	p.until, p.all, p.slots, p.resumed = until, all, rs, make(chan struct{})
	p.active.Store(true)
	p.mu.Unlock()
	// The barrier: a command that passed the pause check before the pause began either
	// holds its stripes now, and is done once every stripe is ours, or takes them
	// later and then finds the pause (run's second check). So no held command is still
	// running after it — what a failover needs before it reads the replication offset.
	// (Inside MULTI the transaction holds stripes already: no barrier there.)
	if barrier {
		var set storage.LockSet
		set.AddAll()
		s.eng.Lock(&set)
		s.eng.Unlock(&set)
	}
}

// pauseHolds reports whether a pause in force holds cmd now.
func (s *Server) pauseHolds(c *Client, cmd *Command) bool {
	p := &s.pause
	p.mu.Lock()
	until, all, rs := p.until, p.all, p.slots
	p.mu.Unlock()
	return time.Now().Before(until) && c.pausedFor(cmd, all, rs) && !strings.HasPrefix(cmd.FullName, "client|unpause")
}

func cmdClientUnpause(c *Client) {
	c.s.unpauseClients()
	c.OK()
}

// unpauseClients ends the pause in force, if any.
func (s *Server) unpauseClients() {
	p := &s.pause
	p.mu.Lock()
	p.until, p.slots = time.Time{}, nil
	if p.resumed != nil {
		close(p.resumed)
		p.resumed = nil
	}
	p.mu.Unlock()
}

// intArgMsg parses args[i] as an integer, answering msg when it is not.
func (c *Client) intArgMsg(i int, msg string) (int64, bool) {
	n, ok := storage.ParseInt(c.args[i])
	if !ok {
		c.Err(msg)
	}
	return n, ok
}

// pausedFor reports whether a pause holds cmd, given the client's transaction.
func (c *Client) pausedFor(cmd *Command, all bool, rs slots.Ranges) bool {
	if all {
		return true
	}
	if rs != nil && cmd.FullName != "exec" { // a pause of some slots' writes
		if !cmd.Has(spec.Write) && !cmd.Has(spec.MayReplicate) {
			return false
		}
		if len(c.keySlots) == 0 {
			return true // (keys not known, or none: FLUSHALL …)
		}
		return slices.ContainsFunc(c.keySlots, rs.Contains)
	}
	if cmd.Has(spec.Write) || cmd.Has(spec.MayReplicate) {
		return true
	}
	if cmd.FullName == "exec" && c.multi != nil {
		for _, q := range c.multi.cmds {
			if q.cmd.Has(spec.Write) || q.cmd.Has(spec.MayReplicate) {
				return true
			}
		}
	}
	return false
}

// waitPause holds the client while a pause applies to cmd. Pause commands themselves
// (admin commands such as CLIENT UNPAUSE) are not held under a WRITE pause.
func (s *Server) waitPause(c *Client, cmd *Command) {
	c.clockAt = 0 // the command's time starts after the wait
	for {
		p := &s.pause
		p.mu.Lock()
		until, all, rs, resumed := p.until, p.all, p.slots, p.resumed
		p.mu.Unlock()
		left := time.Until(until)
		if left <= 0 {
			p.mu.Lock()
			if !time.Now().Before(p.until) {
				p.active.Store(false)
			}
			p.mu.Unlock()
			return
		}
		if !c.pausedFor(cmd, all, rs) || strings.HasPrefix(cmd.FullName, "client|unpause") {
			return
		}
		t := time.NewTimer(left)
		c.blocked.Store(true)
		select {
		case <-t.C:
		case <-resumed:
		case <-s.stop:
			t.Stop()
			c.blocked.Store(false)
			return
		}
		t.Stop()
		c.blocked.Store(false)
	}
}
