package node

import (
	"errors"

	"github.com/shoal-db/shoal/storage/rdb"
)

// DUMP and RESTORE with Redis's payload format (storage/rdb), so payloads move between
// shoal and Redis both ways.

func dumpDefs() []def {
	return []def{
		{name: "dump", fn: cmdDump},
		{name: "restore", fn: cmdRestore},
		{name: "restore-asking", fn: cmdRestore},
		{name: "migrate", fn: cmdMigrate},
	}
}

// DUMP key
func cmdDump(c *Client) {
	key := c.args[1]
	str, v, ok := c.db.Get(c.slot(key), key)
	if !ok {
		c.w.Null()
		return
	}
	payload, err := rdb.Dump(str, v, c.s.config().Rdbcompression)
	if err != nil {
		c.Err("ERR " + err.Error())
		return
	}
	c.w.Bulk(payload)
}

// RESTORE key ttl serialized-value [REPLACE] [ABSTTL] [IDLETIME seconds] [FREQ frequency]
func cmdRestore(c *Client) {
	key := c.args[1]
	replace, absTTL := false, false
	idle, freq := int64(-1), int64(-1)
	for i := 4; i < len(c.args); i++ {
		more := len(c.args) - 1 - i
		switch {
		case c.is(i, "REPLACE"):
			replace = true
		case c.is(i, "ABSTTL"):
			absTTL = true
		case c.is(i, "IDLETIME") && more > 0 && freq == -1:
			n, ok := c.intArg(i + 1)
			if !ok {
				return
			}
			if n < 0 {
				c.Err("ERR Invalid IDLETIME value, must be >= 0")
				return
			}
			idle = n
			i++
		case c.is(i, "FREQ") && more > 0 && idle == -1:
			n, ok := c.intArg(i + 1)
			if !ok {
				return
			}
			if n < 0 || n > 255 {
				c.Err("ERR Invalid FREQ value, must be >= 0 and <= 255")
				return
			}
			freq = n
			i++
		default:
			c.Err(errSyntax)
			return
		}
	}
	ttl, ok := c.intArg(2)
	if !ok {
		return
	}
	if ttl < 0 {
		c.Err("ERR Invalid TTL value, must be >= 0")
		return
	}
	sl := c.slot(key)
	if !replace && c.db.Exists(sl, key) {
		c.Err("BUSYKEY Target key name already exists.")
		return
	}
	str, v, err := rdb.Restore(c.args[3], c.s.eng.Limits())
	if err != nil {
		if errors.Is(err, rdb.ErrPayload) {
			c.Err("ERR DUMP payload version or checksum are wrong")
		} else {
			c.Err("ERR Bad data format")
		}
		return
	}
	var at int64
	if ttl > 0 {
		at = ttl
		if !absTTL {
			at += c.s.eng.Now()
		}
	}
	deleted := false
	if replace {
		deleted = c.db.Delete(sl, key)
	}
	if ttl > 0 && at <= c.s.eng.Now() {
		// Already expired: nothing is created (Redis deletes the key instead).
		if deleted {
			c.changed(key)
			c.notify(evGeneric, "del", key)
			c.dirty++
			c.propagateAs(delName(c.s.config().LazyfreeLazyServerDel), key)
		}
		c.OK()
		return
	}
	if v == nil {
		c.db.SetString(sl, key, str, at, false)
	} else {
		c.db.SetValue(sl, key, v, at, false)
	}
	if idle >= 0 && !c.s.eng.LFU() {
		c.db.SetIdle(sl, key, idle)
	}
	if freq >= 0 && c.s.eng.LFU() {
		c.db.SetFreq(sl, key, freq)
	}
	c.wrote(key, evGeneric, "restore")
	c.OK()
	if ttl > 0 && !absTTL && c.propagating() {
		// The TTL as an absolute time.
		args := append([][]byte{c.args[0], key, bInt(at)}, c.args[3:]...)
		c.propagateAs(append(args, bABSTTL)...)
	}
}
