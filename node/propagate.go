package node

import (
	"strconv"

	"github.com/shoal-db/shoal/node/spec"
	"github.com/shoal-db/shoal/storage/aof"
)

// Propagation: what a command changed, as the commands that redo it, appended to the
// AOF (and, later, the replication stream) in the order the changes happened.
//
// After a handler runs, the executor collects the command into c.prop when it changed
// something (c.dirty > 0), as Redis's call() does with server.dirty: as itself, or as
// the rewrite the handler chose (ignored when nothing changed) (c.propagateAs: relative expires become PXAT/PEXPIREAT,
// SPOP becomes SREM, a blocking pop its plain form …), or not at all (c.propagateNone).
// Commands a handler propagates besides itself (c.alsoPropagate) come first. When the
// top-level command ends — a plain command, EXEC, a script, a served blocked client —
// c.prop is appended as one unit, wrapped in MULTI/EXEC when it holds several commands,
// while the command's stripes are still held: two changes to one key reach the file in
// the order they were made. Expiries deleting a key append a DEL at once (keyExpired).

// propagating reports whether commands are being propagated (the AOF is on): handlers
// skip building rewrites when they are not.
func (c *Client) propagating() bool { return c.s.feeding() }

// feeding reports whether anything consumes propagated commands: the AOF, or the
// replication stream.
func (s *Server) feeding() bool {
	return s.aofLog.Load() != nil || s.repl.active.Load() || s.moving.Load() != nil
}

// propagateAs makes args what the current command propagates, instead of its own
// arguments.
func (c *Client) propagateAs(args ...[]byte) {
	c.propAs = args
	c.propNone = false
}

// propagateNone keeps the current command from propagating itself (what it propagates
// through alsoPropagate still goes).
func (c *Client) propagateNone() { c.propNone = true }

// alsoPropagate adds args, run in the current database, to what the current command
// propagates, before the command itself.
func (c *Client) alsoPropagate(args ...[]byte) {
	c.prop = append(c.prop, aof.Cmd{DB: c.db.ID(), Args: args})
}

// collectProp adds the command just run to c.prop (see the package comment above).
func (c *Client) collectProp() {
	switch {
	case !c.s.feeding():
		c.prop = c.prop[:0]
	case c.propNone || c.dirty == 0:
	case c.propAs != nil:
		c.prop = append(c.prop, aof.Cmd{DB: c.db.ID(), Args: c.propAs})
	case c.dirty > 0:
		c.prop = append(c.prop, aof.Cmd{DB: c.db.ID(), Args: c.args})
	}
	c.propAs = nil
	c.propNone = false
}

// flushProp appends what the top-level command propagates to the AOF and, on a
// primary, to the replication stream. The caller
// still holds the command's stripes. The client's replies wait for the AOF to reach
// the returned offset (see waitAOF).
func (s *Server) flushProp(c *Client) {
	if c.primary {
		s.feedFromPrimary(c) // a replica passes its primary's stream on as it came
	}
	if len(c.prop) == 0 {
		// A command that read the dataset: one with keys, or holding stripes (a script
		// runs on all of them; EXEC on its commands' — its last one may name no key),
		// or a read-only one that walks the keyspace (KEYS, SCAN, DBSIZE, RANDOMKEY).
		if len(c.keySlots) > 0 || !c.locks.Empty() || c.cmd != nil && c.cmd.Has(spec.ReadOnly) {
			s.readSafe(c)
		}
		return
	}
	if l := s.aofLog.Load(); l != nil {
		c.aofOff = l.Append(c.prop...)
	}
	if s.repl.active.Load() && !s.up.following.Load() {
		c.replOff = s.replFeed(c.prop)
		if s.config().ShardDurability == "safe" {
			c.safeOff = c.replOff
		}
	}
	if m := s.moving.Load(); m != nil {
		m.record(s, c.prop)
	}
	clear(c.prop)
	c.prop = c.prop[:0]
}

// readSafe holds, in shard-durability safe, the replies of a command that read the
// dataset and changed nothing until a replica has acknowledged the whole stream as it is now: what it
// read may be a write no replica has yet, which a failover would lose — a reader must
// not see it before it is safe (the write's own client waits the same way). Nothing
// waits when the replicas are caught up.
func (s *Server) readSafe(c *Client) {
	r := &s.repl
	if !r.active.Load() || c.primary || s.up.following.Load() {
		return
	}
	if fed := r.fed.Load(); fed > r.ackedOff.Load() && s.config().ShardDurability == "safe" {
		c.safeOff = max(c.safeOff, fed)
	}
}

// propagateDel appends the deletion of a key that expired or was evicted, as Redis's
// propagateDeletion: UNLINK when lazy, DEL otherwise. The caller holds the key's stripe.
func (s *Server) propagateDel(db int, key []byte, lazy bool) {
	cmd := aof.Cmd{DB: db, Args: [][]byte{delName(lazy), key}}
	if l := s.aofLog.Load(); l != nil {
		l.Append(cmd)
	}
	if s.repl.active.Load() && !s.up.following.Load() {
		s.replFeed([]aof.Cmd{cmd})
	}
	if m := s.moving.Load(); m != nil {
		m.record(s, []aof.Cmd{cmd})
	}
}

// Names of commands handlers propagate, shared to save allocations.
var (
	bDEL         = []byte("DEL")
	bFLUSHALL    = []byte("FLUSHALL")
	bUNLINK      = []byte("UNLINK")
	bSET         = []byte("SET")
	bPXAT        = []byte("PXAT")
	bKEEPTTL     = []byte("KEEPTTL")
	bPEXPIREAT   = []byte("PEXPIREAT")
	bPERSIST     = []byte("PERSIST")
	bSREM        = []byte("SREM")
	bHSET        = []byte("HSET")
	bABSTTL      = []byte("ABSTTL")
	bLPOP        = []byte("LPOP")
	bRPOP        = []byte("RPOP")
	bLMOVE       = []byte("LMOVE")
	bRPOPLPUSH   = []byte("RPOPLPUSH")
	bZPOPMIN     = []byte("ZPOPMIN")
	bZPOPMAX     = []byte("ZPOPMAX")
	bXCLAIM      = []byte("XCLAIM")
	bTIME        = []byte("TIME")
	bRETRYCOUNT  = []byte("RETRYCOUNT")
	bFORCE       = []byte("FORCE")
	bJUSTID      = []byte("JUSTID")
	bLASTID      = []byte("LASTID")
	bXGROUP      = []byte("XGROUP")
	bSETID       = []byte("SETID")
	bCREATECONS  = []byte("CREATECONSUMER")
	bENTRIESREAD = []byte("ENTRIESREAD")
)

// bInt is n as a bulk argument.
func bInt(n int64) []byte { return strconv.AppendInt(nil, n, 10) }

// delName is DEL, or UNLINK when lazy is set (lazyfree-lazy-* directives).
func delName(lazy bool) []byte {
	if lazy {
		return bUNLINK
	}
	return bDEL
}
