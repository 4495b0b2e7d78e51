package node

import (
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"

	"github.com/shoal-db/shoal/node/conf"
)

func serverDefs() []def {
	return []def{
		{name: "info", fn: cmdInfo},
		{name: "dbsize", fn: cmdDBSize},
		{name: "time", fn: cmdTime},
		{name: "lastsave", fn: cmdLastSave},
		{name: "save", fn: cmdSave, lock: lockAll},
		{name: "bgsave", fn: cmdBgsave, lock: lockNone},
		{name: "bgrewriteaof", fn: cmdBgrewriteaof, lock: lockNone},
		{name: "replconf", fn: cmdReplconf, lock: lockNone},
		{name: "psync", fn: cmdPsync, lock: lockNone},
		{name: "sync", fn: cmdPsync, lock: lockNone},
		{name: "wait", fn: cmdWait, lock: lockNone},
		{name: "replicaof", fn: cmdReplicaof, lock: lockNone},
		{name: "slaveof", fn: cmdReplicaof, lock: lockNone},
		{name: "failover", fn: cmdFailover, lock: lockNone},
		{name: "role", fn: cmdRole, lock: lockNone},
		{name: "shutdown", fn: cmdShutdown, lock: lockAll},
		{name: "config|get", fn: cmdConfigGet},
		{name: "config|set", fn: cmdConfigSet},
		{name: "config|resetstat", fn: cmdConfigResetstat},
		{name: "config|rewrite", fn: cmdConfigRewrite},
		{name: "config|help", fn: cmdConfigHelp},
		{name: "slowlog|get", fn: cmdSlowlog},
		{name: "slowlog|len", fn: cmdSlowlog},
		{name: "slowlog|reset", fn: cmdSlowlog},
		{name: "slowlog|help", fn: cmdSlowlogHelp},
		{name: "latency|latest", fn: cmdLatencyLatest},
		{name: "latency|history", fn: cmdLatencyHistory},
		{name: "latency|reset", fn: cmdLatencyReset},
		{name: "latency|doctor", fn: cmdLatencyDoctor},
		{name: "latency|help", fn: cmdLatencyHelp},
		{name: "memory|usage", fn: cmdMemoryUsage},
		{name: "memory|stats", fn: cmdMemoryStats},
		{name: "memory|doctor", fn: cmdMemoryDoctor},
		{name: "memory|malloc-stats", fn: cmdMemoryMallocStats},
		{name: "memory|purge", fn: cmdMemoryPurge},
		{name: "memory|help", fn: cmdMemoryHelp},
		{name: "debug", fn: cmdDebug, lock: lockNone},
	}
}

func cmdDBSize(c *Client) { c.w.Int(c.db.Size()) }

func cmdTime(c *Client) {
	now := time.Now()
	c.w.Array(2)
	c.w.BulkInt(now.Unix())
	c.w.BulkInt(int64(now.Nanosecond() / 1000))
}

func cmdLastSave(c *Client) { c.w.Int(c.s.lastSave.Load()) }

func cmdShutdown(c *Client) {
	save, nosave, force := len(c.s.config().Save) > 0, false, false
	for i := 1; i < len(c.args); i++ {
		switch {
		case c.is(i, "NOSAVE"):
			nosave = true
		case c.is(i, "SAVE"):
			save = true
		case c.is(i, "FORCE"):
			force = true
		case c.is(i, "NOW"):
		case c.is(i, "ABORT"):
			c.Err("ERR No shutdown in progress.")
			return
		default:
			c.Err(errSyntax)
			return
		}
	}
	c.s.log.Warningf("User requested shutdown...")
	if save && !nosave {
		c.s.log.Noticef("Saving the final RDB snapshot before exiting.")
		if err := c.s.saveRDB(); err != nil && !force {
			c.Err("ERR Errors trying to SHUTDOWN. Check logs.")
			return
		}
	}
	c.s.requestShutdown()
	c.closeAfter = true
}

// requestShutdown tells the process (ShutdownRequested) to close the server and exit.
func (s *Server) requestShutdown() {
	s.mu.Lock()
	defer s.mu.Unlock()
	select {
	case <-s.shutdown:
	default:
		close(s.shutdown)
	}
}

func cmdConfigGet(c *Client) {
	patterns := make([]string, 0, len(c.args)-2)
	for _, a := range c.args[2:] {
		patterns = append(patterns, string(a))
	}
	kv := c.s.config().Get(patterns...)
	c.w.Map(len(kv) / 2)
	for _, s := range kv {
		c.w.BulkString(s)
	}
}

func cmdConfigSet(c *Client) {
	if len(c.args)%2 != 0 {
		c.Err(wrongArgs("config|set"))
		return
	}
	pairs := make([][2]string, 0, len(c.args)/2-1)
	for i := 2; i+1 < len(c.args); i += 2 {
		pairs = append(pairs, [2]string{string(c.args[i]), string(c.args[i+1])})
	}
	s := c.s
	s.cfgMu.Lock()
	defer s.cfgMu.Unlock()
	prev := s.config()
	next, err := prev.SetFrom(pairs, isLocal(c.conn))
	if err != nil {
		c.Err(err.Error())
		return
	}
	if next.Appendonly != prev.Appendonly {
		s.cfg.Store(next) // the rewrite that turns the AOF on reads the new settings
		if err := s.setAppendonly(next.Appendonly); err != nil {
			s.cfg.Store(prev)
			c.Err("ERR CONFIG SET failed (possibly related to argument 'appendonly') - " + errText(err))
			return
		}
	}
	s.applyConfig(next)
	c.OK()
}

// applyConfig makes next the live configuration and carries out what changing it means
// beyond the value itself. Caller holds cfgMu.
func (s *Server) applyConfig(next *conf.Config) {
	prev := s.config()
	s.cfg.Store(next)
	if next.Maxmemory != prev.Maxmemory || next.MaxmemoryPolicy != prev.MaxmemoryPolicy ||
		next.LFULogFactor != prev.LFULogFactor || next.LFUDecayTime != prev.LFUDecayTime {
		s.applyMemoryConfig(next)
	}
	s.applyLimits(next)
	if next.Requirepass != s.lastRequirepass {
		s.lastRequirepass = next.Requirepass
		s.applyRequirepass(next.Requirepass)
	}
	s.log.SetLevel(ParseLevel(next.Loglevel))
	if next.ReplBacklogSize != prev.ReplBacklogSize {
		r := &s.repl
		r.mu.Lock()
		if r.backlog != nil {
			r.backlog = r.backlog.Resized(int(next.ReplBacklogSize))
		}
		r.mu.Unlock()
	}
}

func cmdConfigResetstat(c *Client) {
	s := c.s
	s.stats.reset()
	s.eng.ResetStats()
	for _, cmd := range s.table.order {
		for _, x := range append([]*Command{cmd}, cmd.subsInOrder()...) {
			x.calls.Store(0)
			x.usec.Store(0)
			x.rejected.Store(0)
			x.failed.Store(0)
		}
	}
	s.peakMem.Store(0)
	c.OK()
}

func cmdConfigRewrite(c *Client) {
	c.s.cfgMu.Lock()
	defer c.s.cfgMu.Unlock()
	if err := c.s.config().Rewrite(); err != nil {
		c.Err(err.Error())
		return
	}
	c.s.log.Noticef("CONFIG REWRITE executed with success.")
	c.OK()
}

func cmdConfigHelp(c *Client) {
	writeHelp(c, "CONFIG",
		"GET <pattern>",
		"    Return parameters matching the glob-like <pattern> and their values.",
		"SET <directive> <value>",
		"    Set the configuration <directive> to <value>.",
		"RESETSTAT",
		"    Reset statistics reported by the INFO command.",
		"REWRITE",
		"    Rewrite the configuration file.")
}

func cmdMemoryUsage(c *Client) {
	if len(c.args) != 3 && !(len(c.args) == 5 && c.is(3, "SAMPLES")) {
		c.Err(errSyntax)
		return
	}
	if len(c.args) == 5 {
		if _, ok := c.intArg(4); !ok {
			return
		}
	}
	n, ok := c.db.MemUsage(c.slot(c.args[2]), c.args[2])
	if !ok {
		c.w.Null()
		return
	}
	c.w.Int(n)
}

func cmdMemoryStats(c *Client) {
	m := readMemStats()
	peak := c.s.notePeak(m.used)
	var keys int64
	for i := range c.s.eng.NumDBs() {
		keys += c.s.eng.DB(i).Size()
	}
	type field struct {
		k string
		v int64
	}
	dataset := c.s.eng.MemTotal()
	fields := []field{
		{"peak.allocated", peak}, {"total.allocated", m.used}, {"startup.allocated", 0},
		{"replication.backlog", 0}, {"clients.slaves", 0}, {"clients.normal", 0},
		{"cluster.links", 0}, {"aof.buffer", 0}, {"lua.caches", 0}, {"functions.caches", 0},
		{"overhead.total", max(m.used-dataset, 0)}, {"keys.count", keys},
	}
	c.w.Map(len(fields) + 14)
	for _, f := range fields {
		c.w.BulkString(f.k)
		c.w.Int(f.v)
	}
	perKey := int64(0)
	if keys > 0 {
		perKey = dataset / keys
	}
	frag := float64(m.rss) / float64(max(m.used, 1))
	c.w.BulkString("keys.bytes-per-key")
	c.w.Int(perKey)
	c.w.BulkString("dataset.bytes")
	c.w.Int(dataset)
	c.w.BulkString("dataset.percentage")
	c.w.Double(100 * float64(dataset) / float64(max(m.used, 1)))
	c.w.BulkString("peak.percentage")
	c.w.Double(100 * float64(m.used) / float64(max(peak, 1)))
	for _, k := range []string{"allocator.allocated", "allocator.active", "allocator.resident"} {
		c.w.BulkString(k)
		c.w.Int(m.used)
	}
	for _, k := range []string{"allocator-fragmentation.ratio", "allocator-fragmentation.bytes", "allocator.rss-ratio",
		"allocator.rss-bytes", "rss-overhead.ratio", "rss-overhead.bytes"} {
		c.w.BulkString(k)
		if strings.HasSuffix(k, "ratio") {
			c.w.Double(1)
		} else {
			c.w.Int(0)
		}
	}
	c.w.BulkString("fragmentation")
	c.w.Double(frag)
	c.w.BulkString("fragmentation.bytes")
	c.w.Int(m.rss - m.used)
}

func cmdMemoryDoctor(c *Client) {
	c.w.Verbatim("txt", "Hi Sam, I can't find any memory issue in your instance. I can only account for what occurs on this base.\n")
}

func cmdMemoryMallocStats(c *Client) {
	c.w.Verbatim("txt", "Stats not supported for the current allocator\n")
}

func cmdMemoryPurge(c *Client) { c.OK() }

func cmdMemoryHelp(c *Client) {
	writeHelp(c, "MEMORY",
		"DOCTOR",
		"    Return memory problems reports.",
		"MALLOC-STATS",
		"    Return internal statistics report from the memory allocator.",
		"PURGE",
		"    Attempt to purge dirty pages for reclamation by the allocator.",
		"STATS",
		"    Return information about the memory usage of the server.",
		"USAGE <key> [SAMPLES <count>]",
		"    Return memory in bytes used by <key> and its value. Nested values are",
		"    sampled up to <count> times (default: 5, 0 means sample all).")
}

// debugAllowed applies enable-debug-command (no | yes | local).
func (c *Client) debugAllowed() bool {
	switch c.s.config().EnableDebugCommand {
	case "yes":
		return true
	case "local":
		return isLocal(c.conn)
	}
	return false
}

func cmdDebug(c *Client) {
	if !c.debugAllowed() {
		c.Err("ERR DEBUG command not allowed. If the enable-debug-command option is set to \"local\", you can run it from a local connection, otherwise you need to set this option in the configuration file, and then restart the server.")
		return
	}
	switch {
	case c.is(1, "HELP"):
		writeHelp(c, "DEBUG",
			"OBJECT <key>",
			"    Show low level info about the `key` and associated value.",
			"POPULATE <count> [<prefix>] [<size>]",
			"    Create <count> string keys named key:<num>. If <prefix> is specified then",
			"    it is used instead of the 'key' prefix. These are not propagated to",
			"    replicas. Cluster slots are not respected so keys not belonging to the",
			"    current node can be created in cluster mode.",
			"SET-ACTIVE-EXPIRE <0|1>",
			"    Setting it to 0 disables expiring keys in background when they are not",
			"    accessed (otherwise the Redis behavior). Setting it to 1 reenables back the",
			"    default.",
			"SLEEP <seconds>",
			"    Stop the server for <seconds>. Decimals allowed.")
	case c.is(1, "SLEEP") && len(c.args) == 3:
		f, ok := c.floatArg(2)
		if !ok {
			return
		}
		time.Sleep(time.Duration(f * float64(time.Second)))
		c.OK()
	case c.is(1, "OBJECT") && len(c.args) == 3:
		key := c.args[2]
		sl := c.slot(key)
		c.lockSlot(sl)
		enc, ok := c.db.Encoding(sl, key)
		idle, _ := c.db.Idle(sl, key)
		mem, _ := c.db.MemUsage(sl, key)
		c.unlockSlot(sl)
		if !ok {
			c.Err(errNoSuchKey)
			return
		}
		c.w.Simple(fmt.Sprintf("Value at:0x%x refcount:1 encoding:%s serializedlength:%d lru:%d lru_seconds_idle:%d",
			sl, enc, mem, c.s.eng.LRUClock(), idle))
	case c.is(1, "POPULATE") && len(c.args) >= 3 && len(c.args) <= 5:
		cmdDebugPopulate(c)
	case c.is(1, "SET-ACTIVE-EXPIRE") && len(c.args) == 3:
		n, ok := c.intArg(2)
		if !ok {
			return
		}
		c.s.noActiveExpire.Store(n == 0)
		c.OK()
	default:
		c.Err("ERR unknown subcommand '" + trunc(c.args[1], 128) + "'. Try DEBUG HELP.")
	}
}

func cmdDebugPopulate(c *Client) {
	count, ok := c.intArg(2)
	if !ok {
		return
	}
	if count < 0 {
		c.Err("ERR count must be greater than or equal to 0")
		return
	}
	prefix := "key"
	if len(c.args) >= 4 {
		prefix = string(c.args[3])
	}
	size := int64(-1)
	if len(c.args) == 5 {
		n, ok := c.intArg(4)
		if !ok {
			return
		}
		size = n
	}
	var key, val []byte
	for i := range count {
		key = append(append(key[:0], prefix...), ':')
		key = strconv.AppendInt(key, i, 10)
		sl := c.slot(key)
		c.lockSlot(sl)
		if !c.db.Exists(sl, key) {
			val = append(append(val[:0], "value:"...), strconv.AppendInt(nil, i, 10)...)
			if size >= 0 {
				val = append(val, make([]byte, max(0, int(min(size, math.MaxInt32))-len(val)))...)[:size]
			}
			c.db.SetString(sl, key, val, 0, false)
		}
		c.unlockSlot(sl)
	}
	c.OK()
}
