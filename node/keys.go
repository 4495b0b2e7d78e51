package node

import (
	"bytes"
	"math"
	"math/rand/v2"
	"strings"

	"github.com/shoal-db/shoal/storage"
)

// The generic key commands (Redis's "keyspace" group): this file has the ones that act
// on named keys and whole databases; expire_cmds.go has the expiry commands and scan.go
// KEYS and SCAN.

func keyDefs() []def {
	defs := []def{
		{name: "del", fn: cmdDel},
		{name: "unlink", fn: cmdDel},
		{name: "exists", fn: cmdExists},
		{name: "type", fn: cmdType},
		{name: "touch", fn: cmdTouch},
		{name: "rename", fn: cmdRename},
		{name: "renamenx", fn: cmdRenamenx},
		{name: "copy", fn: cmdCopy},
		{name: "move", fn: cmdMove},
		{name: "randomkey", fn: cmdRandomkey, lock: lockNone},
		{name: "flushdb", fn: cmdFlushdb, lock: lockAll},
		{name: "flushall", fn: cmdFlushall, lock: lockAll},
		{name: "swapdb", fn: cmdSwapdb, lock: lockAll},
		{name: "object|encoding", fn: cmdObjectEncoding},
		{name: "object|freq", fn: cmdObjectFreq},
		{name: "object|idletime", fn: cmdObjectIdletime},
		{name: "object|refcount", fn: cmdObjectRefcount},
		{name: "object|help", fn: cmdObjectHelp},
	}
	defs = append(defs, expireDefs()...)
	return append(defs, scanDefs()...)
}

const (
	errSameObject = "ERR source and destination objects are the same"
	errInt32Range = "ERR value is out of range, value must between -2147483648 and 2147483647"
)

// replyKeyCount answers how many of the key arguments args[1:] fn reports true for,
// calling it on each in order (a key named twice counts twice).
func replyKeyCount(c *Client, fn func(sl int, key []byte) bool) {
	n := 0
	for _, k := range c.args[1:] {
		if fn(c.slot(k), k) {
			n++
		}
	}
	c.w.Int(int64(n))
}

// cmdDel is DEL and UNLINK (freeing is the garbage collector's job either way): the
// number of keys removed.
func cmdDel(c *Client) {
	replyKeyCount(c, func(sl int, k []byte) bool {
		if !c.db.Delete(sl, k) {
			return false
		}
		c.wrote(k, evGeneric, "del")
		return true
	})
}

// cmdExists counts the arguments that name existing keys (a key named twice counts twice).
func cmdExists(c *Client) {
	replyKeyCount(c, func(sl int, k []byte) bool {
		ok := c.db.Exists(sl, k)
		c.db.CountLookup(sl, k, ok, true)
		return ok
	})
}

func cmdType(c *Client) {
	key := c.args[1]
	sl := c.slot(key)
	t := c.db.TypeOf(sl, key)
	c.db.CountLookup(sl, key, t != storage.TypeNone, true)
	c.w.Simple(t.String())
}

// cmdTouch counts the existing keys among the arguments, recording an access to each.
func cmdTouch(c *Client) {
	replyKeyCount(c, func(sl int, k []byte) bool {
		_, _, ok := c.db.Get(sl, k)
		return ok
	})
}

func cmdRename(c *Client)   { renameGeneric(c, false) }
func cmdRenamenx(c *Client) { renameGeneric(c, true) }

// renameGeneric is RENAME (nx false) and RENAMENX. The executor holds both keys' stripes.
func renameGeneric(c *Client, nx bool) {
	src, dst := c.args[1], c.args[2]
	ss, ds := c.slot(src), c.slot(dst)
	if !c.db.Exists(ss, src) {
		c.Err(errNoSuchKey)
		return
	}
	if bytes.Equal(src, dst) {
		if nx {
			c.w.Int(0)
		} else {
			c.OK()
		}
		return
	}
	if nx && c.db.Exists(ds, dst) {
		c.w.Int(0)
		return
	}
	c.db.Rename(ss, src, c.db, ds, dst)
	c.changed(src)
	c.changed(dst)
	c.notify(evGeneric, "rename_from", src)
	c.notify(evGeneric, "rename_to", dst)
	c.dirty++
	if nx {
		c.w.Int(1)
	} else {
		c.OK()
	}
}

// dbIndexArg parses args[i] as a database number the way Redis's getIntFromObjectOrReply
// does (a 32-bit integer), then checks it names a database. msg, when set, replaces the
// parse errors (SWAPDB's "invalid first DB index").
func (c *Client) dbIndexArg(i int, msg string) (*storage.DB, bool) {
	n, ok := storage.ParseInt(c.args[i])
	switch {
	case !ok && msg == "":
		c.Err(errNotInt)
		return nil, false
	case (n < math.MinInt32 || n > math.MaxInt32) && msg == "":
		c.Err(errInt32Range)
		return nil, false
	case !ok || n < math.MinInt32 || n > math.MaxInt32:
		c.Err(msg)
		return nil, false
	case n < 0 || n >= int64(c.s.eng.NumDBs()):
		c.Err(errDBIndex)
		return nil, false
	}
	return c.s.eng.DB(int(n)), true
}

// cmdCopy is COPY source destination [DB index] [REPLACE]. With DB, the destination is
// the same key slot in another database, so the executor's stripe covers it.
func cmdCopy(c *Client) {
	src, dst := c.args[1], c.args[2]
	to, replace := c.db, false
	for i := 3; i < len(c.args); i++ {
		switch {
		case c.is(i, "REPLACE"):
			replace = true
		case c.is(i, "DB") && i+1 < len(c.args):
			db, ok := c.dbIndexArg(i+1, "")
			if !ok {
				return
			}
			to = db
			i++
		default:
			c.Err(errSyntax)
			return
		}
	}
	if c.s.config().ClusterEnabled && (c.db.ID() != 0 || to.ID() != 0) {
		c.Err("ERR Copying to another database is not allowed in cluster mode")
		return
	}
	if to.ID() == c.db.ID() && bytes.Equal(src, dst) {
		c.Err(errSameObject)
		return
	}
	ss, ds := c.slot(src), c.slot(dst)
	if _, _, found := c.db.ForRead().Get(ss, src); !found || to.Exists(ds, dst) && !replace {
		c.w.Int(0)
		return
	}
	c.db.Copy(ss, src, to, ds, dst)
	if to.ID() != c.db.ID() {
		c.s.blocking.markReady(to.ID(), dst)
	}
	c.s.keyChanged(c, to.ID(), dst)
	c.s.keyEvent(to.ID(), evGeneric, "copy_to", dst)
	c.dirty++
	c.w.Int(1)
}

// cmdMove is MOVE key db: the same key slot in another database, covered by the
// executor's stripe.
func cmdMove(c *Client) {
	if c.s.config().ClusterEnabled {
		c.Err("ERR MOVE is not allowed in cluster mode")
		return
	}
	to, ok := c.dbIndexArg(2, "")
	if !ok {
		return
	}
	if to.ID() == c.db.ID() {
		c.Err(errSameObject)
		return
	}
	key := c.args[1]
	sl := c.slot(key)
	if !c.db.Exists(sl, key) || to.Exists(sl, key) {
		c.w.Int(0)
		return
	}
	c.db.Rename(sl, key, to, sl, key)
	c.s.blocking.markReady(to.ID(), key)
	c.changed(key)
	c.s.keyChanged(c, to.ID(), key)
	c.notify(evGeneric, "move_from", key)
	c.s.keyEvent(to.ID(), evGeneric, "move_to", key)
	c.dirty++
	c.w.Int(1)
}

// cmdRandomkey answers a random live key, or null when the database has none. It locks
// one slot at a time. A slot whose sampled keys had all expired is purged of its expired
// keys before the next try, so the loop ends.
//
// Keys are picked by slot first (uniformly among the non-empty slots), then within the
// slot, so the choice is uniform only as far as keys spread evenly over slots.
func cmdRandomkey(c *Client) {
	db := c.db
	for range storage.SlotCount + 1 {
		s := randomNonEmptySlot(db)
		if s < 0 {
			break
		}
		c.lockSlot(s)
		k := db.RandomKey(s, rand.IntN)
		if k == nil {
			db.ExpireSlot(s, 0, math.MaxInt, nil)
		}
		c.unlockSlot(s)
		if k != nil {
			c.w.Bulk(k)
			return
		}
	}
	c.w.Null()
}

// randomNonEmptySlot picks a slot uniformly among those holding keys (a hint, as
// NextNonEmpty), or -1 when there are none. Random probes find one at once in a
// populated database; a sparse one is counted and indexed instead.
func randomNonEmptySlot(db *storage.DB) int {
	for range 32 {
		if s := rand.IntN(storage.SlotCount); db.NextNonEmpty(s) == s {
			return s
		}
	}
	n := 0
	for s := db.NextNonEmpty(0); s >= 0; s = db.NextNonEmpty(s + 1) {
		n++
	}
	if n == 0 {
		return -1
	}
	r, last := rand.IntN(n), -1
	for s := db.NextNonEmpty(0); s >= 0; s = db.NextNonEmpty(s + 1) {
		if last = s; r == 0 {
			break
		}
		r--
	}
	return last
}

// flushArgs checks FLUSHDB/FLUSHALL's optional SYNC|ASYNC. Both free synchronously: the
// old keyspace is dropped whole and left to the garbage collector, so ASYNC's promise
// (the command returns at once) holds either way.
func flushArgs(c *Client) bool {
	if len(c.args) > 2 || len(c.args) == 2 && !c.is(1, "SYNC") && !c.is(1, "ASYNC") {
		c.Err(errSyntax)
		return false
	}
	return true
}

// cmdFlushdb empties the selected database, under every stripe. Clients blocked on its
// keys stay blocked, as in Redis.
func cmdFlushdb(c *Client) {
	if flushArgs(c) {
		c.s.dbReplaced(c.db.ID(), nil)
		c.s.trackFlushed(c)
		c.addDirty(int(c.db.Size()))
		c.db.Flush()
		c.OK()
	}
}

// cmdFlushall empties every database, under every stripe.
func cmdFlushall(c *Client) {
	if flushArgs(c) {
		for i := range c.s.eng.NumDBs() {
			c.s.dbReplaced(i, nil)
			c.addDirty(int(c.s.eng.DB(i).Size()))
		}
		c.s.trackFlushed(c)
		c.s.eng.FlushAll()
		c.OK()
	}
}

// cmdSwapdb exchanges two databases' contents, under every stripe. Clients stay on
// their database number and so see the other contents.
func cmdSwapdb(c *Client) {
	if c.s.config().ClusterEnabled {
		c.Err("ERR SWAPDB is not allowed in cluster mode")
		return
	}
	a, ok := c.dbIndexArg(1, "ERR invalid first DB index")
	if !ok {
		return
	}
	b, ok := c.dbIndexArg(2, "ERR invalid second DB index")
	if !ok {
		return
	}
	if a != b {
		c.s.dbReplaced(a.ID(), b.Exists)
		c.s.dbReplaced(b.ID(), a.Exists)
		c.s.eng.SwapDB(a.ID(), b.ID())
		c.dirty++
	}
	c.OK()
}

// OBJECT subcommands. They inspect a key without counting an access.

// objectLookup counts the key lookup of OBJECT and MEMORY USAGE: a keyspace hit or
// miss, but no keymiss event (Redis's objectCommandLookup).
func (c *Client) objectLookup(found bool) {
	c.db.CountLookup(c.slot(c.args[2]), c.args[2], found, false)
}

func cmdObjectEncoding(c *Client) {
	enc, ok := c.db.Encoding(c.slot(c.args[2]), c.args[2])
	c.objectLookup(ok)
	if !ok {
		c.w.Null()
		return
	}
	c.w.BulkString(enc)
}

// lfuPolicy reports whether the eviction policy tracks access frequency (LFU) rather
// than access time.
func (c *Client) lfuPolicy() bool { return strings.HasSuffix(c.s.config().MaxmemoryPolicy, "-lfu") }

// cmdObjectFreq answers OBJECT FREQ: the key's LFU counter, after decay.
func cmdObjectFreq(c *Client) {
	freq, ok := c.db.Freq(c.slot(c.args[2]), c.args[2])
	c.objectLookup(ok)
	if !ok {
		c.w.Null()
		return
	}
	if !c.lfuPolicy() {
		c.Err("ERR An LFU maxmemory policy is not selected, access frequency not tracked. Please note that when switching between policies at runtime LRU and LFU data will take some time to adjust.")
		return
	}
	c.w.Int(freq)
}

func cmdObjectIdletime(c *Client) {
	idle, ok := c.db.Idle(c.slot(c.args[2]), c.args[2])
	c.objectLookup(ok)
	if !ok {
		c.w.Null()
		return
	}
	if c.lfuPolicy() {
		c.Err("ERR An LFU maxmemory policy is selected, idle time not tracked. Please note that when switching between policies at runtime LRU and LFU data will take some time to adjust.")
		return
	}
	c.w.Int(idle)
}

// sharedRefcount is the reference count Redis reports for its shared integer objects.
const sharedRefcount = math.MaxInt32

// cmdObjectRefcount answers OBJECT REFCOUNT as Redis would: values are never shared,
// except that Redis stores the integers 0 to 9999 as shared objects unless an LRU/LFU
// policy with a maxmemory limit needs per-key access data.
func cmdObjectRefcount(c *Client) {
	str, v, ok := c.db.ObjectPeek(c.slot(c.args[2]), c.args[2])
	c.objectLookup(ok)
	if !ok {
		c.w.Null()
		return
	}
	if v == nil && len(str) <= 4 && storage.StringEncoding(string(str)) == "int" && str[0] != '-' && c.sharedIntegers() {
		c.w.Int(sharedRefcount)
		return
	}
	c.w.Int(1)
}

// sharedIntegers reports whether Redis would use its shared integer objects now.
func (c *Client) sharedIntegers() bool {
	cfg := c.s.config()
	p := cfg.MaxmemoryPolicy
	return cfg.Maxmemory == 0 || !strings.HasSuffix(p, "-lru") && !strings.HasSuffix(p, "-lfu")
}

func cmdObjectHelp(c *Client) {
	writeHelp(c, "OBJECT",
		"ENCODING <key>",
		"    Return the kind of internal representation used in order to store the value",
		"    associated with a <key>.",
		"FREQ <key>",
		"    Return the access frequency index of the <key>. The returned integer is",
		"    proportional to the logarithm of the recent access frequency of the key.",
		"IDLETIME <key>",
		"    Return the idle time of the <key>, that is the approximated number of",
		"    seconds elapsed since the last access to the key.",
		"REFCOUNT <key>",
		"    Return the number of references of the value associated with the specified",
		"    <key>.")
}
