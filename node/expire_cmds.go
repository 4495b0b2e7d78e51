package node

import "math"

// The expiry commands. Times are Unix milliseconds inside; an expire at or before now
// deletes the key at once, as Redis does. The active cycle is in expire.go.

func expireDefs() []def {
	return []def{
		{name: "expire", fn: cmdExpire},
		{name: "pexpire", fn: cmdPexpire},
		{name: "expireat", fn: cmdExpireat},
		{name: "pexpireat", fn: cmdPexpireat},
		{name: "ttl", fn: cmdTTL},
		{name: "pttl", fn: cmdPTTL},
		{name: "expiretime", fn: cmdExpiretime},
		{name: "pexpiretime", fn: cmdPexpiretime},
		{name: "persist", fn: cmdPersist},
	}
}

func cmdExpire(c *Client)    { expireGeneric(c, false, false) }
func cmdPexpire(c *Client)   { expireGeneric(c, true, false) }
func cmdExpireat(c *Client)  { expireGeneric(c, false, true) }
func cmdPexpireat(c *Client) { expireGeneric(c, true, true) }

// Conditions of EXPIRE and friends (NX, XX, GT, LT).
const (
	expireNX = 1 << iota
	expireXX
	expireGT
	expireLT
)

// expireFlags parses the conditions after EXPIRE's time, with Redis 7.0's errors.
func expireFlags(c *Client) (int, bool) {
	flags := 0
	for i := 3; i < len(c.args); i++ {
		switch {
		case c.is(i, "NX"):
			flags |= expireNX
		case c.is(i, "XX"):
			flags |= expireXX
		case c.is(i, "GT"):
			flags |= expireGT
		case c.is(i, "LT"):
			flags |= expireLT
		default:
			c.Err("ERR Unsupported option " + string(c.args[i]))
			return 0, false
		}
	}
	if flags&expireNX != 0 && flags != expireNX {
		c.Err("ERR NX and XX, GT or LT options at the same time are not compatible")
		return 0, false
	}
	if flags&(expireGT|expireLT) == expireGT|expireLT {
		c.Err("ERR GT and LT options at the same time are not compatible")
		return 0, false
	}
	return flags, true
}

// expireGeneric is EXPIRE (ms false: seconds; abs false: relative to now), PEXPIRE,
// EXPIREAT and PEXPIREAT: 1 when the expire was set (or the key deleted because it lies
// in the past), 0 when the key does not exist or a condition failed.
func expireGeneric(c *Client, ms, abs bool) {
	flags, ok := expireFlags(c)
	if !ok {
		return
	}
	when, ok := c.intArg(2)
	if !ok {
		return
	}
	errTime := "ERR invalid expire time in '" + c.cmd.FullName + "' command"
	if !ms {
		if when > math.MaxInt64/1000 || when < math.MinInt64/1000 {
			c.Err(errTime)
			return
		}
		when *= 1000
	}
	now := c.s.eng.Now()
	if !abs {
		if when > math.MaxInt64-now {
			c.Err(errTime)
			return
		}
		when += now
	}
	key := c.args[1]
	sl := c.slot(key)
	cur, exists := c.db.Expire(sl, key)
	if !exists || !expireAllowed(flags, cur, when) {
		c.w.Int(0)
		return
	}
	if when <= now {
		c.db.Delete(sl, key)
		c.wrote(key, evGeneric, "del")
		c.propagateAs(delName(c.s.config().LazyfreeLazyExpire), key)
	} else {
		c.db.SetExpire(sl, key, when)
		c.wrote(key, evGeneric, "expire")
		if !(ms && abs) && c.propagating() {
			// As PEXPIREAT with the absolute time; the conditions stay.
			args := append([][]byte{bPEXPIREAT, key, bInt(when)}, c.args[3:]...)
			c.propagateAs(args...)
		}
	}
	c.w.Int(1)
}

// expireAllowed checks the NX/XX/GT/LT conditions of replacing expire cur (0: none, an
// infinite TTL) with when.
func expireAllowed(flags int, cur, when int64) bool {
	switch {
	case flags&expireNX != 0 && cur != 0,
		flags&expireXX != 0 && cur == 0,
		flags&expireGT != 0 && (cur == 0 || when <= cur),
		flags&expireLT != 0 && cur != 0 && when >= cur:
		return false
	}
	return true
}

func cmdTTL(c *Client)         { ttlGeneric(c, false, false) }
func cmdPTTL(c *Client)        { ttlGeneric(c, true, false) }
func cmdExpiretime(c *Client)  { ttlGeneric(c, false, true) }
func cmdPexpiretime(c *Client) { ttlGeneric(c, true, true) }

// ttlGeneric is TTL (ms false, abs false), PTTL, EXPIRETIME and PEXPIRETIME: -2 for a
// missing key, -1 for a persistent one, else the remaining time or the expire time,
// seconds rounded to the nearest.
func ttlGeneric(c *Client, ms, abs bool) {
	at, ok := c.db.Expire(c.slot(c.args[1]), c.args[1])
	c.db.CountLookup(c.slot(c.args[1]), c.args[1], ok, true)
	switch {
	case !ok:
		c.w.Int(-2)
		return
	case at == 0:
		c.w.Int(-1)
		return
	}
	if !abs {
		at = max(at-c.s.eng.Now(), 0)
	}
	if !ms {
		at = (at + 500) / 1000
	}
	c.w.Int(at)
}

// cmdPersist removes a key's expire: 1 if it had one.
func cmdPersist(c *Client) {
	key := c.args[1]
	sl := c.slot(key)
	if at, ok := c.db.Expire(sl, key); !ok || at == 0 {
		c.w.Int(0)
		return
	}
	c.db.SetExpire(sl, key, 0)
	c.wrote(key, evGeneric, "persist")
	c.w.Int(1)
}
