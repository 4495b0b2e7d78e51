package node

import (
	"fmt"
	"runtime/debug"
	"strings"
	"time"

	"github.com/shoal-db/shoal/node/spec"
	"github.com/shoal-db/shoal/slots"
)

// execute runs one request: lookup, arity, authentication, key locks, the handler, and
// the bookkeeping after it (statistics, slowlog, latency). The reply goes to c.w.
func (s *Server) execute(c *Client, args [][]byte) {
	c.args = args
	c.cmd = nil
	cmd := c.lookupCmd(args[0])
	if cmd == nil {
		c.reject(unknownCommand(args))
		return
	}
	if cmd.subs != nil && (len(args) >= 2 || cmd.fn == nil) {
		if len(args) < 2 {
			c.reject(wrongArgs(cmd.FullName))
			return
		}
		sub := cmd.subcommand(args[1])
		if sub == nil {
			c.reject(fmt.Sprintf("ERR unknown subcommand '%s'. Try %s HELP.", trunc(args[1], 128), strings.ToUpper(cmd.Name)))
			return
		}
		cmd = sub
	}
	c.cmd = cmd
	if !cmd.ArityOK(len(args)) {
		c.reject(wrongArgs(cmd.FullName))
		return
	}
	if !c.authenticated && !cmd.Has(spec.NoAuth) {
		c.reject(errNoAuth)
		return
	}
	if u := c.user.Load().get(); !u.Unrestricted() && !cmd.Has(spec.NoAuth) {
		ctx := "toplevel"
		if c.multi != nil {
			ctx = "multi"
		}
		if !c.aclCheck(u, cmd, ctx) {
			return
		}
	}
	if s.loading.on.Load() && !cmd.Has(spec.Loading) {
		c.reject(errLoading)
		return
	}
	if c.subCount.Load() > 0 && c.w.Proto == 2 && !subscribedModeAllows(cmd.Name) {
		c.reject(errSubscribedMode(cmd.FullName))
		return
	}
	if s.cluster.enabled && !s.redirect(c, cmd) {
		c.asking = c.asking && c.multi != nil
		return
	}
	if s.evict.maxmem.Load() > 0 && !(s.up.following.Load() && s.config().ReplicaIgnoreMaxmem) && !s.oomCheck(c, cmd) {
		return
	}
	if cmd.Has(spec.Write) && s.tooFewReplicas(s.config()) {
		c.reject(errNoReplicas)
		return
	}
	if s.up.following.Load() {
		if msg := s.replicaRefuses(c, cmd); msg != "" {
			c.reject(msg)
			return
		}
	}
	if c.multi != nil && c.queueing(cmd) {
		return
	}
	if cmd.Has(spec.Write) && !s.persist.lastOK.Load() && s.misconf() {
		c.reject(errMisconf)
		return
	}
	if cmd.Has(spec.Write) && s.aofFailed() {
		if msg := s.aofWriteErr(); msg != "" {
			c.reject(msg)
			return
		}
	}
	waited := false
	if s.pause.active.Load() {
		s.waitPause(c, cmd)
		waited = true
	}
	if run := s.scripts.running.Load(); run != nil && !cmd.Has(spec.AllowBusy) {
		if !s.waitScript(c, run) {
			return
		}
		waited = true
	}
	// The layout may have changed while the command waited (a failover pauses the old
	// primary's writes, then hands its slots over): decide again, as Redis processes a
	// paused command anew.
	if waited && s.cluster.enabled && !s.redirect(c, cmd) {
		c.asking = c.asking && c.multi != nil
		return
	}
	if c.lastCmd.Load() != cmd { // a pipeline repeats its command: skip the write barrier
		c.lastCmd.Store(cmd) // before it runs: a blocked client shows its command
	}
	for !s.run(c, cmd, true) {
		// A pause began while the command waited for its stripes: wait, and decide
		// again.
		s.waitPause(c, cmd)
		if s.cluster.enabled && !s.redirect(c, cmd) {
			c.asking = c.asking && c.multi != nil
			return
		}
	}
	if c.asking && c.multi == nil && cmd.Name != "asking" {
		c.asking = false // ASKING covers the next command (or transaction) only
	}
}

// call runs cmd's handler with its locks held and records its statistics.
func (s *Server) call(c *Client, cmd *Command) { s.run(c, cmd, false) }

// run is call; with pausable, a command a CLIENT PAUSE holds once its stripes are
// taken is not run: run releases them and reports false (the pause's barrier, see
// pause.go, relies on it).
func (s *Server) run(c *Client, cmd *Command, pausable bool) bool {
	start := c.commandStart()
	c.dirty = 0
	c.useView(cmd)
	if s.monitors.count.Load() > 0 {
		s.feedMonitors(c, cmd)
	}
	if c.held {
		s.callHeld(c, cmd, start)
		return true
	}
	c.locks.Reset()
	routed, routedIdx, routedSlots := c.routed, c.keyIdx, c.keySlots
	c.routed = false
	c.keyIdx = c.keyIdx[:0]
	c.keySlots = c.keySlots[:0]
	switch cmd.lock {
	case lockKeys:
		if routed { // the cluster redirect check found and hashed the keys already
			c.keyIdx, c.keySlots = routedIdx, routedSlots
			for _, sl := range c.keySlots {
				c.locks.AddSlot(sl)
			}
			break
		}
		keys, err := cmd.Keys(c.args, c.keyIdx[:0])
		c.keyIdx = keys
		if err != nil {
			// Malformed key counts: the handler rejects the request, but lock everything
			// in case its parse disagrees with the spec's.
			c.locks.AddAll()
		}
		c.keySlots = c.keySlots[:0]
		for _, i := range keys {
			sl := c.keySlot(c.args[i])
			c.keySlots = append(c.keySlots, sl)
			c.locks.AddSlot(sl)
		}
	case lockAll:
		c.locks.AddAll()
	}
	if !c.locks.Empty() {
		s.eng.Lock(&c.locks)
	}
	if pausable && s.pause.active.Load() && !c.obeys() && s.pauseHolds(c, cmd) {
		s.eng.Unlock(&c.locks)
		return false
	}
	if s.cluster.enabled && !c.obeys() && s.leaseEnded() && c.writes(cmd) {
		// The write lease ran out while the command waited for its stripes.
		s.eng.Unlock(&c.locks)
		if cmd.Name == "exec" {
			c.discardMulti()
		}
		c.reject(slots.Decision{Outcome: slots.Down}.Error(slots.EndpointIP, false))
		return true
	}
	func() {
		if cmd.Has(spec.Write) {
			s.captureWrites(c) // before the handler changes anything: see bgsave.go
		}
		defer func() {
			if s.feeding() || len(c.prop) > 0 {
				c.collectProp()
				s.flushProp(c) // before the stripes are released: see propagate.go
			} else {
				// Nothing consumes it, but a rewrite or opt-out the handler chose must not
				// outlive the command: the stream may start before the next one.
				c.propAs, c.propNone = nil, false
			}
			if s.evict.maxmem.Load() > 0 && cmd.Has(spec.Write) {
				s.reaccount(c)
			}
			if c.tracking != nil {
				c.trackRead(cmd) // before the stripes are released: see tracking.go
			}
			if c.out != nil {
				c.putReplies() // before the stripes are released: see outbox
				if c.hasPendingInval {
					c.flushInvalidations()
				}
			}
			s.eng.Unlock(&c.locks)
			if r := recover(); r != nil {
				s.log.Warningf("panic while executing '%s': %v\n%s", cmd.FullName, r, debug.Stack())
				c.Err("ERR internal error while executing '" + cmd.FullName + "'")
			}
		}()
		cmd.fn(c)
	}()
	s.afterCall(c, cmd, start)
	return true
}

// commandStart returns when the command about to run starts: when the previous command
// of the same batch ended, if one did (so a pipelined command reads the clock once, at
// its end, rather than twice), or when the read that brought the batch returned, else
// now. Whatever may wait between two commands (a flush of the replies, a pause, a
// blocked command) clears clockAt.
func (c *Client) commandStart() time.Duration {
	start := c.clockAt
	c.clockAt = 0
	if start == 0 {
		start = monotonic()
	}
	return start
}

// useView points c.db at the view of the selected database the command's lookups go
// through: write commands look keys up without counting keyspace hits and misses, as
// Redis's lookupKeyWrite; the sources of a write command (SINTERSTORE's sets, COPY's
// source …) and the GET family are read through c.db.ForRead() by their handlers.
func (c *Client) useView(cmd *Command) {
	if cmd.Has(spec.Write) {
		c.db = c.db.ForWrite()
	} else {
		c.db = c.db.ForRead()
	}
}

// callHeld runs cmd for a caller that already holds every stripe the command can touch
// (EXEC, a script): no locking here, and the command must not block (see c.held).
func (s *Server) callHeld(c *Client, cmd *Command, start time.Duration) {
	c.keyIdx = c.keyIdx[:0]
	c.keySlots = c.keySlots[:0]
	if cmd.lock == lockKeys {
		keys, _ := cmd.Keys(c.args, c.keyIdx[:0])
		c.keyIdx = keys
		for _, i := range keys {
			c.keySlots = append(c.keySlots, slots.KeySlot(c.args[i]))
		}
	}
	if cmd.Has(spec.Write) {
		s.captureWrites(c)
	}
	func() {
		defer func() {
			if r := recover(); r != nil {
				s.log.Warningf("panic while executing '%s': %v\n%s", cmd.FullName, r, debug.Stack())
				c.Err("ERR internal error while executing '" + cmd.FullName + "'")
			}
		}()
		cmd.fn(c)
		if s.feeding() || len(c.prop) > 0 {
			c.collectProp()
		} else {
			c.propAs, c.propNone = nil, false
		}
		if s.evict.maxmem.Load() > 0 && cmd.Has(spec.Write) {
			s.reaccount(c)
		}
		if c.tracking != nil {
			c.trackRead(cmd)
		}
	}()
	s.afterCall(c, cmd, start)
}

// afterCall is the bookkeeping after a handler ran: wake blocked clients on the written
// keys (not while the caller still holds stripes: its own caller does that once it lets
// go), park the client if the handler blocked it, and record statistics.
func (s *Server) afterCall(c *Client, cmd *Command, start time.Duration) {
	end := monotonic()
	dur := end - start
	if c.dirty != 0 {
		s.stats.dirty.Add(c.dirty)
	}
	if s.blocking.count.Load() > 0 {
		if cmd.Has(spec.Write) {
			for _, i := range c.keyIdx {
				s.blocking.markReady(c.db.ID(), c.args[i])
			}
		}
		if !c.held {
			s.serveReady() // also what a script or EXEC marked ready
		}
	}
	if c.parked == nil { // (else the connection's loop parks it: see serve)
		c.clockAt = end
	}
	cmd.calls.Add(1)
	cmd.usec.Add(dur.Microseconds())
	s.stats.commands.Add(1)
	if !cmd.Has(spec.SkipSlowlog) {
		s.slowlog.record(c, dur)
	}
	s.latency.record("command", dur, s.config().LatencyMonitorThreshold)
}

// reject answers a command refused before it ran (counted as rejected_calls).
// Inside MULTI it also dooms the transaction (EXECABORT).
func (c *Client) reject(msg string) {
	if c.multi != nil {
		c.multi.abort = true
	}
	c.s.stats.countError(msg)
	if c.cmd != nil {
		c.cmd.rejected.Add(1)
	}
	c.w.Error(msg)
}

// subcommandSyntaxError is Redis's addReplySubcommandSyntaxError: a subcommand given
// arguments its handler does not accept.
func (c *Client) subcommandSyntaxError() {
	c.Err(fmt.Sprintf("ERR unknown subcommand or wrong number of arguments for '%s'. Try %s HELP.",
		trunc(c.args[1], 128), strings.ToUpper(string(c.args[0]))))
}

func unknownCommand(args [][]byte) string {
	var b strings.Builder
	for _, a := range args[1:] {
		if b.Len() >= 128 {
			break
		}
		b.WriteString("'")
		b.WriteString(trunc(a, 128-b.Len()))
		b.WriteString("' ")
	}
	return "ERR unknown command '" + trunc(args[0], 128) + "', with args beginning with: " + b.String()
}

func trunc(b []byte, n int) string {
	if n < 0 {
		n = 0
	}
	if len(b) > n {
		b = b[:n]
	}
	return string(b)
}

// clockBase anchors monotonic.
var clockBase = time.Now()

// monotonic is a monotonic clock reading: cheaper than time.Now, which also reads the
// wall clock.
func monotonic() time.Duration { return time.Since(clockBase) }

// monoMs is monotonic in milliseconds: for idle times, which a change of the wall clock
// must not move.
func monoMs() int64 { return monotonic().Milliseconds() }
