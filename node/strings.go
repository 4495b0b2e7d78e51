package node

import (
	"math"

	"github.com/shoal-db/shoal/storage"
)

// stringDefs registers the string family: this file (whole-value and range commands,
// counters), bits.go and bitfield.go (bit operations) and lcs.go.
func stringDefs() []def {
	return []def{
		{name: "get", fn: cmdGet},
		{name: "set", fn: cmdSet},
		{name: "setnx", fn: cmdSetnx},
		{name: "setex", fn: cmdSetex},
		{name: "psetex", fn: cmdPsetex},
		{name: "getset", fn: cmdGetset},
		{name: "getdel", fn: cmdGetdel},
		{name: "getex", fn: cmdGetex},
		{name: "mget", fn: cmdMget},
		{name: "mset", fn: cmdMset},
		{name: "msetnx", fn: cmdMsetnx},
		{name: "incr", fn: cmdIncr},
		{name: "decr", fn: cmdDecr},
		{name: "incrby", fn: cmdIncrby},
		{name: "decrby", fn: cmdDecrby},
		{name: "incrbyfloat", fn: cmdIncrbyfloat},
		{name: "append", fn: cmdAppend},
		{name: "strlen", fn: cmdStrlen},
		{name: "getrange", fn: cmdGetrange},
		{name: "substr", fn: cmdGetrange},
		{name: "setrange", fn: cmdSetrange},
		{name: "lcs", fn: cmdLcs},
		{name: "setbit", fn: cmdSetbit},
		{name: "getbit", fn: cmdGetbit},
		{name: "bitcount", fn: cmdBitcount},
		{name: "bitpos", fn: cmdBitpos},
		{name: "bitop", fn: cmdBitop},
		{name: "bitfield", fn: cmdBitfield},
		{name: "bitfield_ro", fn: cmdBitfieldRO},
	}
}

// Options of SET and GETEX, as Redis's parseExtendedStringArgumentsOrReply names them.
const (
	strNX = 1 << iota
	strXX
	strGet
	strKeepTTL
	strPersist
	strEX
	strPX
	strEXAT
	strPXAT

	strAnyExpire = strEX | strPX | strEXAT | strPXAT
)

// parseStringOpts parses the options of SET (forSet) or GETEX from args[from:] with
// Redis 7.0's rules for which options exclude which (a repeated EX is accepted, the last
// one wins; NX with GET is allowed). It returns the option bits and the index of the
// expire argument (0 if none), or writes "ERR syntax error" and returns ok false.
func (c *Client) parseStringOpts(from int, forSet bool) (flags, expIdx int, ok bool) {
	for j := from; j < len(c.args); j++ {
		hasNext := j+1 < len(c.args)
		// excl is the set of options that must not have been given for this one.
		var opt, excl int
		switch {
		case forSet && c.is(j, "NX"):
			opt, excl = strNX, strXX
		case forSet && c.is(j, "XX"):
			opt, excl = strXX, strNX
		case forSet && c.is(j, "GET"):
			opt = strGet
		case forSet && c.is(j, "KEEPTTL"):
			opt, excl = strKeepTTL, strPersist|strAnyExpire
		case !forSet && c.is(j, "PERSIST"):
			opt, excl = strPersist, strKeepTTL|strAnyExpire
		case hasNext && c.is(j, "EX"):
			opt, excl = strEX, strKeepTTL|strPersist|strEXAT|strPX|strPXAT
		case hasNext && c.is(j, "PX"):
			opt, excl = strPX, strKeepTTL|strPersist|strEX|strEXAT|strPXAT
		case hasNext && c.is(j, "EXAT"):
			opt, excl = strEXAT, strKeepTTL|strPersist|strEX|strPX|strPXAT
		case hasNext && c.is(j, "PXAT"):
			opt, excl = strPXAT, strKeepTTL|strPersist|strEX|strEXAT|strPX
		}
		if opt == 0 || flags&excl != 0 {
			c.Err(errSyntax)
			return 0, 0, false
		}
		flags |= opt
		if opt&strAnyExpire != 0 {
			j++
			expIdx = j
		}
	}
	return flags, expIdx, true
}

// expireArg converts the expire argument args[i] of a command given with option flags
// (one of strEX, strPX, strEXAT, strPXAT) to a Unix-ms time, with Redis's checks: a
// non-integer is "not an integer", and a non-positive value or one that overflows is
// "invalid expire time in '<cmd>' command".
func (c *Client) expireArg(i, flags int) (int64, bool) {
	n, ok := c.intArg(i)
	if !ok {
		return 0, false
	}
	seconds := flags&(strEX|strEXAT) != 0
	if n <= 0 || seconds && n > math.MaxInt64/1000 {
		c.Err("ERR invalid expire time in '" + c.cmd.FullName + "' command")
		return 0, false
	}
	if seconds {
		n *= 1000
	}
	if flags&(strEX|strPX) != 0 {
		n += c.s.eng.Now() // may wrap: caught below, as in Redis
	}
	if n <= 0 {
		c.Err("ERR invalid expire time in '" + c.cmd.FullName + "' command")
		return 0, false
	}
	return n, true
}

func cmdGet(c *Client) { c.replyString(c.slot(c.args[1]), c.args[1]) }

// cmdSet is SET key value [NX|XX] [GET] [EX s|PX ms|EXAT ts|PXAT ms-ts|KEEPTTL].
func cmdSet(c *Client) {
	flags, expIdx, ok := c.parseStringOpts(3, true)
	if ok {
		c.setGeneric(flags, expIdx, c.args[2], false)
	}
}

// cmdSetnx is SET key value NX answering 1 or 0.
func cmdSetnx(c *Client) { c.setGeneric(strNX, 0, c.args[2], true) }

// cmdSetex is SETEX key seconds value.
func cmdSetex(c *Client) { c.setGeneric(strEX, 2, c.args[3], false) }

// cmdPsetex is PSETEX key milliseconds value.
func cmdPsetex(c *Client) { c.setGeneric(strPX, 2, c.args[3], false) }

// setGeneric stores val under args[1] as Redis's setGenericCommand: the expire argument
// (args[expIdx], if expIdx > 0) is validated first, then GET answers the old value (a
// non-string is WRONGTYPE and nothing is set), then NX/XX decide. intReply selects
// SETNX's :1/:0 replies instead of +OK/null.
func (c *Client) setGeneric(flags, expIdx int, val []byte, intReply bool) {
	key := c.args[1]
	sl := c.slot(key)
	var at int64
	if expIdx > 0 {
		var ok bool
		if at, ok = c.expireArg(expIdx, flags&strAnyExpire); !ok {
			return
		}
	}
	found := false
	if flags&strGet != 0 {
		var ok bool
		if found, ok = c.replyString(sl, key); !ok {
			return
		}
	} else if flags&(strNX|strXX) != 0 {
		found = c.db.Exists(sl, key)
	}
	if flags&strNX != 0 && found || flags&strXX != 0 && !found {
		switch {
		case flags&strGet != 0:
		case intReply:
			c.w.Int(0)
		default:
			c.w.Null()
		}
		return
	}
	c.db.SetString(sl, key, val, at, flags&strKeepTTL != 0)
	c.wrote(key, evString, "set")
	if at != 0 {
		c.notify(evGeneric, "expire", key)
		if c.propagating() {
			c.propagateAs(bSET, key, val, bPXAT, bInt(at)) // the expire as a time
		}
	}
	switch {
	case flags&strGet != 0:
	case intReply:
		c.w.Int(1)
	default:
		c.OK()
	}
}

// cmdGetset is GETSET key value: answers the old value and stores the new one without
// an expire.
func cmdGetset(c *Client) {
	key := c.args[1]
	sl := c.slot(key)
	if _, ok := c.replyString(sl, key); ok {
		c.db.SetString(sl, key, c.args[2], 0, false)
		c.wrote(key, evString, "set")
	}
}

// cmdGetdel is GETDEL key.
func cmdGetdel(c *Client) {
	key := c.args[1]
	sl := c.slot(key)
	if found, ok := c.replyString(sl, key); found && ok {
		c.db.Delete(sl, key)
		c.wrote(key, evGeneric, "del")
		c.propagateAs(delName(c.s.config().LazyfreeLazyUserDel), key)
	}
}

// replyString answers key's string value as GET does (null when absent) and reports
// whether the key exists; a non-string is answered WRONGTYPE and reported ok false.
// It is a read lookup (keyspace hit or miss) even in GETSET, GETDEL and SET … GET, as
// in Redis.
func (c *Client) replyString(sl int, key []byte) (exists, ok bool) {
	b, exists, err := c.db.ForRead().GetString(sl, key)
	switch {
	case err != nil:
		c.ErrFor(err)
		return true, false
	case !exists:
		c.w.Null()
	default:
		c.w.Bulk(b)
	}
	return exists, true
}

// cmdGetex is GETEX key [EX s|PX ms|EXAT ts|PXAT ms-ts|PERSIST]. As in Redis, the options'
// syntax is checked first, then the key (absent: null; not a string: WRONGTYPE), then
// the expire value; an EXAT/PXAT in the past deletes the key after answering it.
func cmdGetex(c *Client) {
	flags, expIdx, ok := c.parseStringOpts(2, false)
	if !ok {
		return
	}
	key := c.args[1]
	sl := c.slot(key)
	b, ok, err := c.db.ForRead().GetString(sl, key)
	switch {
	case err != nil:
		c.ErrFor(err)
		return
	case !ok:
		c.w.Null()
		return
	}
	var at int64
	if expIdx > 0 {
		if at, ok = c.expireArg(expIdx, flags&strAnyExpire); !ok {
			return
		}
	}
	c.w.Bulk(b)
	switch {
	case expIdx > 0 && at <= c.s.eng.Now():
		c.db.Delete(sl, key)
		c.wrote(key, evGeneric, "del")
		c.propagateAs(delName(c.s.config().LazyfreeLazyExpire), key)
	case expIdx > 0:
		c.db.SetExpire(sl, key, at)
		c.wrote(key, evGeneric, "expire")
		if flags&strPXAT == 0 {
			c.propagateAs(bPEXPIREAT, key, bInt(at))
		}
	case flags&strPersist != 0:
		if exp, _ := c.db.Expire(sl, key); exp != 0 {
			c.db.SetExpire(sl, key, 0)
			c.wrote(key, evGeneric, "persist")
			c.propagateAs(bPERSIST, key)
		}
	}
}

// cmdMget is MGET key [key ...]: null for absent keys and for keys of other types.
func cmdMget(c *Client) {
	c.w.Array(len(c.args) - 1)
	for _, k := range c.args[1:] {
		b, ok, err := c.db.GetString(c.slot(k), k)
		if !ok || err != nil {
			c.w.Null()
		} else {
			c.w.Bulk(b)
		}
	}
}

// msetPairsOK checks MSET/MSETNX's key/value pairing (the arity check lets an odd
// number of pair arguments through).
func (c *Client) msetPairsOK() bool {
	if len(c.args)%2 == 0 {
		c.Err(wrongArgs(c.cmd.FullName))
		return false
	}
	return true
}

// cmdMset is MSET key value [key value ...].
func cmdMset(c *Client) {
	if !c.msetPairsOK() {
		return
	}
	for i := 1; i < len(c.args); i += 2 {
		c.db.SetString(c.slot(c.args[i]), c.args[i], c.args[i+1], 0, false)
		c.wrote(c.args[i], evString, "set")
	}
	c.OK()
}

// cmdMsetnx is MSETNX key value [key value ...]: sets all or (if any key exists, of any
// type) none.
func cmdMsetnx(c *Client) {
	if !c.msetPairsOK() {
		return
	}
	for i := 1; i < len(c.args); i += 2 {
		if c.db.Exists(c.slot(c.args[i]), c.args[i]) {
			c.w.Int(0)
			return
		}
	}
	for i := 1; i < len(c.args); i += 2 {
		c.db.SetString(c.slot(c.args[i]), c.args[i], c.args[i+1], 0, false)
		c.wrote(c.args[i], evString, "set")
	}
	c.w.Int(1)
}

func cmdIncr(c *Client) { c.incrBy(1) }
func cmdDecr(c *Client) { c.incrBy(-1) }

func cmdIncrby(c *Client) {
	if n, ok := c.intArg(2); ok {
		c.incrBy(n)
	}
}

func cmdDecrby(c *Client) {
	n, ok := c.intArg(2)
	if !ok {
		return
	}
	if n == math.MinInt64 {
		c.Err("ERR decrement would overflow")
		return
	}
	c.incrBy(-n)
}

// incrBy adds delta to the integer stored at args[1] (absent counts as 0), keeping the
// key's expire, and answers the new value. The result is stored as a plain string
// whatever the old value's representation.
func (c *Client) incrBy(delta int64) {
	key := c.args[1]
	sl := c.slot(key)
	switch v, err := c.db.IncrBy(sl, key, delta); err {
	case nil:
		c.wrote(key, evString, "incrby")
		c.w.Int(v)
	case storage.ErrNotInteger:
		c.Err(errNotInt)
	case storage.ErrIncrOverflow:
		c.Err(errOverflow)
	default:
		c.ErrFor(err)
	}
}

// cmdIncrbyfloat is INCRBYFLOAT key increment, computed in long double precision as
// Redis does (see longdouble.go), keeping the key's expire.
func cmdIncrbyfloat(c *Client) {
	key := c.args[1]
	sl := c.slot(key)
	cur, found, err := c.db.GetString(sl, key)
	if err != nil {
		c.ErrFor(err)
		return
	}
	v, ok := parseStored(c, cur, found, parseLongDouble, errNotFloat)
	if !ok {
		return
	}
	incr, ok := parseLongDouble(c.args[2])
	if !ok {
		c.Err(errNotFloat)
		return
	}
	sum, ok := addLongDouble(v, incr)
	if !ok {
		c.Err(errNaNOrInf)
		return
	}
	out := appendLongDoubleHuman(nil, sum)
	c.db.SetString(sl, key, out, 0, true)
	c.wrote(key, evString, "incrbyfloat")
	c.w.Bulk(out)
	if c.propagating() {
		c.propagateAs(bSET, key, out, bKEEPTTL) // the result, not the addition
	}
}

// maxBulk is proto-max-bulk-len, the largest string a command may build.
func (c *Client) maxBulk() int64 { return c.s.config().ProtoMaxBulkLen }

// checkStringSize answers the proto-max-bulk-len error and reports false when a string
// of size+extra bytes would exceed the limit (both are non-negative).
func (c *Client) checkStringSize(size, extra int64) bool {
	if max := c.maxBulk(); size > max || extra > max-size {
		c.Err(errMaxBulk)
		return false
	}
	return true
}

// mutableString returns key's string value for change in place, as a *storage.RawString:
// the existing one, or a plain string converted into one with room for extra more
// bytes (keeping the key's expire). It returns nil when the key does not exist, and
// ErrWrongType for other types. Caller holds the key's stripe.
func mutableString(db *storage.DB, sl int, key []byte, extra int) (*storage.RawString, error) {
	str, v, ok := db.Get(sl, key)
	if !ok {
		return nil, nil
	}
	if v != nil {
		rs, isRaw := v.(*storage.RawString)
		if !isRaw {
			return nil, storage.ErrWrongType
		}
		return rs, nil
	}
	rs := &storage.RawString{B: append(make([]byte, 0, len(str)+extra), str...)}
	db.SetValue(sl, key, rs, 0, true)
	return rs, nil
}

// growZero extends rs.B to n bytes with zeros (no-op when it is already as long).
func growZero(rs *storage.RawString, n int) {
	if l := len(rs.B); n > l {
		if n > cap(rs.B) {
			// Grow geometrically, so a series of small extensions stays amortized O(1).
			nb := make([]byte, l, max(n, min(2*cap(rs.B), n+1<<20)))
			copy(nb, rs.B)
			rs.B = nb
		}
		rs.B = rs.B[:n]
		clear(rs.B[l:])
	}
}

// cmdAppend is APPEND key value. A new key is stored whole, as SET would; an existing
// one is changed in place (and so becomes "raw", as in Redis).
func cmdAppend(c *Client) {
	key, val := c.args[1], c.args[2]
	sl := c.slot(key)
	cur, ok, err := c.db.GetString(sl, key)
	switch {
	case err != nil:
		c.ErrFor(err)
		return
	case !ok:
		c.db.SetString(sl, key, val, 0, false)
		c.wrote(key, evString, "append")
		c.w.Int(int64(len(val)))
		return
	}
	if !c.checkStringSize(int64(len(cur)), int64(len(val))) {
		return
	}
	rs, _ := mutableString(c.db, sl, key, len(val))
	rs.B = append(rs.B, val...)
	c.wrote(key, evString, "append")
	c.w.Int(int64(len(rs.B)))
}

// cmdStrlen is STRLEN key.
func cmdStrlen(c *Client) {
	b, _, err := c.db.GetString(c.slot(c.args[1]), c.args[1])
	if err != nil {
		c.ErrFor(err)
		return
	}
	c.w.Int(int64(len(b)))
}

// cmdGetrange is GETRANGE (and SUBSTR) key start end, with Redis's index rules: both
// indexes negative and start > end is empty; negatives count from the end; the range
// is clipped to the string.
func cmdGetrange(c *Client) {
	start, ok := c.intArg(2)
	if !ok {
		return
	}
	end, ok := c.intArg(3)
	if !ok {
		return
	}
	b, _, err := c.db.GetString(c.slot(c.args[1]), c.args[1])
	if err != nil {
		c.ErrFor(err)
		return
	}
	n := int64(len(b))
	if start < 0 && end < 0 && start > end {
		c.w.Bulk(nil)
		return
	}
	if start < 0 {
		start = max(n+start, 0)
	}
	if end < 0 {
		end = max(n+end, 0)
	}
	end = min(end, n-1)
	if start > end || n == 0 {
		c.w.Bulk(nil)
		return
	}
	c.w.Bulk(b[start : end+1])
}

// cmdSetrange is SETRANGE key offset value: overwrites from offset, zero-padding a
// shorter string; an empty value changes nothing (and creates no key).
func cmdSetrange(c *Client) {
	key, val := c.args[1], c.args[3]
	sl := c.slot(key)
	off, ok := c.intArg(2)
	if !ok {
		return
	}
	if off < 0 {
		c.Err("ERR offset is out of range")
		return
	}
	cur, exists, err := c.db.GetString(sl, key)
	switch {
	case err != nil:
		c.ErrFor(err)
		return
	case len(val) == 0:
		c.w.Int(int64(len(cur)))
		return
	}
	if !c.checkStringSize(off, int64(len(val))) {
		return
	}
	end := int(off) + len(val)
	var rs *storage.RawString
	if exists {
		rs, _ = mutableString(c.db, sl, key, max(end-len(cur), 0))
	} else {
		rs = &storage.RawString{B: make([]byte, 0, end)}
		c.db.SetValue(sl, key, rs, 0, false)
	}
	growZero(rs, end)
	copy(rs.B[off:], val)
	c.wrote(key, evString, "setrange")
	c.w.Int(int64(len(rs.B)))
}
