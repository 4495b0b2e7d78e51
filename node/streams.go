package node

import (
	"math"
	"time"

	"github.com/shoal-db/shoal/storage"
)

// The stream commands without consumer groups: XADD, XTRIM, XDEL, XLEN, XRANGE,
// XREVRANGE, XREAD, XSETID, and the helpers the group commands share. Argument parsing
// and the order of checks follow Redis 7.0's t_stream.c, so errors match.

func streamDefs() []def {
	return []def{
		{name: "xadd", fn: cmdXadd},
		{name: "xtrim", fn: cmdXtrim},
		{name: "xdel", fn: cmdXdel},
		{name: "xlen", fn: cmdXlen},
		{name: "xrange", fn: cmdXrange},
		{name: "xrevrange", fn: cmdXrevrange},
		{name: "xread", fn: cmdXread},
		{name: "xreadgroup", fn: cmdXreadgroup},
		{name: "xsetid", fn: cmdXsetid},
		{name: "xack", fn: cmdXack},
		{name: "xpending", fn: cmdXpending},
		{name: "xclaim", fn: cmdXclaim},
		{name: "xautoclaim", fn: cmdXautoclaim},
		{name: "xgroup|create", fn: cmdXgroupCreate},
		{name: "xgroup|setid", fn: cmdXgroupSetid},
		{name: "xgroup|destroy", fn: cmdXgroupDestroy},
		{name: "xgroup|createconsumer", fn: cmdXgroupCreateconsumer},
		{name: "xgroup|delconsumer", fn: cmdXgroupDelconsumer},
		{name: "xgroup|help", fn: cmdXgroupHelp},
		{name: "xinfo|stream", fn: cmdXinfoStream},
		{name: "xinfo|groups", fn: cmdXinfoGroups},
		{name: "xinfo|consumers", fn: cmdXinfoConsumers},
		{name: "xinfo|help", fn: cmdXinfoHelp},
	}
}

const (
	errInvalidStreamID = "ERR Invalid stream ID specified as stream command argument"
	errXaddTooSmall    = "ERR The ID specified in XADD is equal or smaller than the target stream top item"
)

// streamIDArg parses args[i] as a strict ID ("ms-seq" or "ms"; not "-" or "+").
func (c *Client) streamIDArg(i int) (storage.StreamID, bool) {
	id, _, ok := storage.ParseStreamID(c.args[i], 0)
	if !ok {
		c.Err(errInvalidStreamID)
	}
	return id, ok
}

// streamIDArgs parses args[from:] as strict IDs, all of them before the command acts
// (XDEL and XACK are all or nothing).
func (c *Client) streamIDArgs(from int) ([]storage.StreamID, bool) {
	ids := make([]storage.StreamID, 0, len(c.args)-from)
	for i := from; i < len(c.args); i++ {
		id, ok := c.streamIDArg(i)
		if !ok {
			return nil, false
		}
		ids = append(ids, id)
	}
	return ids, true
}

// countTrue applies fn to every id and counts how often it reports true.
func countTrue(ids []storage.StreamID, fn func(storage.StreamID) bool) int {
	n := 0
	for _, id := range ids {
		if fn(id) {
			n++
		}
	}
	return n
}

// rangeIDArg parses an interval bound: "-", "+", an ID, or a millisecond time (its
// sequence then missing); a "(" prefix makes it exclusive. start tells which end it is
// (an exclusive bound moves inward, and cannot move past the extremes).
func (c *Client) rangeIDArg(i int, start bool) (storage.StreamID, bool) {
	a := c.args[i]
	missing := uint64(0)
	if !start {
		missing = math.MaxUint64
	}
	if len(a) > 1 && a[0] == '(' {
		id, _, ok := storage.ParseStreamID(a[1:], missing)
		if !ok {
			c.Err(errInvalidStreamID)
			return id, false
		}
		if start {
			if id, ok = id.Next(); !ok {
				c.Err("ERR invalid start ID for the interval")
			}
		} else if id, ok = id.Prev(); !ok {
			c.Err("ERR invalid end ID for the interval")
		}
		return id, ok
	}
	switch {
	case len(a) == 1 && a[0] == '-':
		return storage.StreamID{}, true
	case len(a) == 1 && a[0] == '+':
		return storage.MaxStreamID, true
	}
	id, _, ok := storage.ParseStreamID(a, missing)
	if !ok {
		c.Err(errInvalidStreamID)
	}
	return id, ok
}

// deferLen marks the start of an aggregate reply whose length is known only at its end.
func (c *Client) deferLen() int { return c.w.Defer() }

// setDeferredLen writes the header of the aggregate begun at at (see resp.Writer.Fill).
func (c *Client) setDeferredLen(at int, kind byte, n int) { c.w.Fill(at, kind, n) }

// replyID writes an ID as a bulk string.
func (c *Client) replyID(id storage.StreamID) {
	var buf [48]byte
	c.w.Bulk(id.Append(buf[:0]))
}

// replyEntry writes one entry: [id, [field, value, …]].
func (c *Client) replyEntry(id storage.StreamID, fv [][]byte) {
	c.w.Array(2)
	c.replyID(id)
	c.w.Array(len(fv))
	for _, b := range fv {
		c.w.Bulk(b)
	}
}

// replyRange writes the entries from start to end (at most count, 0 = all) as an array.
func (c *Client) replyRange(s *storage.Stream, start, end storage.StreamID, rev bool, count int64) {
	n := 0
	at := c.deferLen()
	s.Range(start, end, rev, func(id storage.StreamID, fv [][]byte) bool {
		c.replyEntry(id, fv)
		n++
		return count == 0 || int64(n) < count
	})
	c.setDeferredLen(at, '*', n)
}

// trimArgs are the trimming options of XADD and XTRIM.
type trimArgs struct {
	strategy   int // trimNone, trimMaxLen, trimMinID
	maxLen     int64
	minID      storage.StreamID
	approx     bool
	threshIdx  int // argument index of the MAXLEN/MINID threshold
	limit      int64
	noMkStream bool
	// XADD's ID.
	id       storage.StreamID
	idGiven  bool
	seqGiven bool
}

const (
	trimNone = iota
	trimMaxLen
	trimMinID
)

// parseTrimArgs parses XADD's options (xadd) or XTRIM's from args[2:], returning the
// index of XADD's ID argument (the first one that is not an option).
func (c *Client) parseTrimArgs(a *trimArgs, xadd bool) (int, bool) {
	limitGiven := false
	i := 2
	for ; i < len(c.args); i++ {
		more := len(c.args) - 1 - i
		opt := c.args[i]
		switch {
		case xadd && len(opt) == 1 && opt[0] == '*':
			goto done
		case (c.is(i, "MAXLEN") || c.is(i, "MINID")) && more > 0:
			if a.strategy != trimNone {
				c.Err("ERR syntax error, MAXLEN and MINID options at the same time are not compatible")
				return 0, false
			}
			maxLen := c.is(i, "MAXLEN")
			a.approx = false
			next := c.args[i+1]
			if more >= 2 && len(next) == 1 && (next[0] == '~' || next[0] == '=') {
				a.approx = next[0] == '~'
				i++
			}
			a.threshIdx = i + 1
			if maxLen {
				n, ok := c.intArg(i + 1)
				if !ok {
					return 0, false
				}
				if n < 0 {
					c.Err("ERR The MAXLEN argument must be >= 0.")
					return 0, false
				}
				a.strategy, a.maxLen = trimMaxLen, n
			} else {
				id, ok := c.streamIDArg(i + 1)
				if !ok {
					return 0, false
				}
				a.strategy, a.minID = trimMinID, id
			}
			i++
		case c.is(i, "LIMIT") && more > 0:
			n, ok := c.intArg(i + 1)
			if !ok {
				return 0, false
			}
			if n < 0 {
				c.Err("ERR The LIMIT argument must be >= 0.")
				return 0, false
			}
			a.limit, limitGiven = n, true
			i++
		case xadd && c.is(i, "NOMKSTREAM"):
			a.noMkStream = true
		case xadd:
			id, seqGiven, ok := parseXaddID(opt)
			if !ok {
				c.Err(errInvalidStreamID)
				return 0, false
			}
			a.id, a.idGiven, a.seqGiven = id, true, seqGiven
			goto done
		default:
			c.Err(errSyntax)
			return 0, false
		}
	}
done:
	if a.limit != 0 && a.strategy == trimNone {
		c.Err("ERR syntax error, LIMIT cannot be used without specifying a trimming strategy")
		return 0, false
	}
	if !xadd && a.strategy == trimNone {
		c.Err("ERR syntax error, XTRIM must be called with a trimming strategy")
		return 0, false
	}
	switch {
	case limitGiven && !a.approx && !c.obeys():
		c.Err("ERR syntax error, LIMIT cannot be used without the special ~ option")
		return 0, false
	case !limitGiven && a.approx:
		a.limit = 100 * c.s.config().StreamNodeMaxEntries
		if a.limit <= 0 || a.limit > 1000000 {
			a.limit = 10000
		}
	case !limitGiven:
		a.limit = 0
	}
	return i, true
}

// parseXaddID parses XADD's explicit ID: "ms-seq", "ms" (sequence 0) or "ms-*" (the
// sequence is generated: seqGiven false).
func parseXaddID(b []byte) (id storage.StreamID, seqGiven, ok bool) {
	if n := len(b); n >= 2 && b[n-1] == '*' && b[n-2] == '-' {
		id, _, ok = storage.ParseStreamID(b[:n-2], 0)
		return id, false, ok && n-2 > 0
	}
	if len(b) == 1 && (b[0] == '-' || b[0] == '+') {
		return id, false, false
	}
	id, _, ok = storage.ParseStreamID(b, 0)
	return id, true, ok
}

// trim applies parsed trimming options to s and returns the entries removed.
func (a *trimArgs) trim(s *storage.Stream) int64 {
	switch a.strategy {
	case trimMaxLen:
		return s.Trim(a.maxLen, storage.StreamID{}, false, a.approx, a.limit)
	case trimMinID:
		return s.Trim(0, a.minID, true, a.approx, a.limit)
	}
	return 0
}

func (c *Client) newStream() *storage.Stream { return storage.NewStream() }

// XADD key [NOMKSTREAM] [MAXLEN|MINID [=|~] threshold [LIMIT count]] *|id field value …
func cmdXadd(c *Client) {
	var a trimArgs
	idPos, ok := c.parseTrimArgs(&a, true)
	if !ok {
		return
	}
	fieldPos := idPos + 1
	if n := len(c.args) - fieldPos; n < 2 || n%2 == 1 {
		c.Err(wrongArgs("xadd"))
		return
	}
	if a.idGiven && a.seqGiven && a.id.IsZero() {
		c.Err("ERR The ID specified in XADD must be greater than 0-0")
		return
	}
	key := c.args[1]
	var s *storage.Stream
	if a.noMkStream {
		if s, ok = lookupColl[*storage.Stream](c, key); !ok {
			return
		}
		if s == nil {
			c.w.Null()
			return
		}
	} else if s, ok = createColl(c, key, c.newStream); !ok {
		return
	}
	if s.LastID == storage.MaxStreamID {
		c.Err("ERR The stream has exhausted the last possible ID, unable to add more items")
		return
	}
	id, ok := c.nextStreamID(s, &a)
	if !ok {
		c.Err(errXaddTooSmall)
		return
	}
	cfg := c.s.config()
	s.Append(id, c.args[fieldPos:], cfg.StreamNodeMaxEntries, cfg.StreamNodeMaxBytes)
	c.replyID(id)
	c.wrote(key, evStream, "xadd")
	if a.strategy != trimNone && a.trim(s) > 0 {
		c.notify(evStream, "xtrim", key)
	}
	if c.propagating() && (!a.idGiven || !a.seqGiven || a.approx) {
		args := append([][]byte(nil), c.args...)
		if !a.idGiven || !a.seqGiven {
			args[idPos] = id.Append(nil) // the ID assigned, not the clock's next one
		}
		c.propagateTrim(args, s, &a)
		c.propagateAs(args...)
	}
}

// propagateTrim rewrites an approximate trim in args (a copy of XADD's or XTRIM's) as
// the exact trim that leaves what it left ("MAXLEN = <length>" or "MINID = <first ID>"),
// as Redis's streamRewriteApproxSpecifier and streamRewriteTrimArgument, so replaying it
// trims the same entries.
func (c *Client) propagateTrim(args [][]byte, s *storage.Stream, a *trimArgs) {
	if !a.approx || a.strategy == trimNone {
		return
	}
	args[a.threshIdx-1] = []byte{'='}
	if a.strategy == trimMaxLen {
		args[a.threshIdx] = bInt(s.Len())
	} else {
		args[a.threshIdx] = s.FirstID.Append(nil)
	}
}

// nextStreamID is the ID XADD assigns: generated from the clock, the given one, or the
// given milliseconds with the next sequence; ok false when not above the last ID.
func (c *Client) nextStreamID(s *storage.Stream, a *trimArgs) (storage.StreamID, bool) {
	last := s.LastID
	var id storage.StreamID
	switch {
	case !a.idGiven:
		now := uint64(c.s.eng.Now())
		if now > last.Ms {
			return storage.StreamID{Ms: now}, true
		}
		return last.Next()
	case a.seqGiven:
		id = a.id
	case a.id.Ms == last.Ms:
		if last.Seq == math.MaxUint64 {
			return id, false
		}
		id = storage.StreamID{Ms: last.Ms, Seq: last.Seq + 1}
	default:
		id = a.id
	}
	return id, last.Less(id)
}

// streamOrZero looks up the stream at args[1]; when there is none (or it is not a
// stream) it answers 0 (or WRONGTYPE) itself and returns ok false.
func (c *Client) streamOrZero() (*storage.Stream, bool) {
	s, ok := lookupColl[*storage.Stream](c, c.args[1])
	if ok && s == nil {
		c.w.Int(0)
		return nil, false
	}
	return s, ok
}

// XTRIM key MAXLEN|MINID [=|~] threshold [LIMIT count]
func cmdXtrim(c *Client) {
	s, ok := c.streamOrZero()
	if !ok {
		return
	}
	var a trimArgs
	if _, ok := c.parseTrimArgs(&a, false); !ok {
		return
	}
	n := a.trim(s)
	if n > 0 {
		c.changed(c.args[1])
		c.notify(evStream, "xtrim", c.args[1])
		c.addDirty(int(n))
		if a.approx && c.propagating() {
			args := append([][]byte(nil), c.args...)
			c.propagateTrim(args, s, &a)
			c.propagateAs(args...)
		}
	}
	c.w.Int(n)
}

// XDEL key id [id …]
func cmdXdel(c *Client) {
	s, ok := c.streamOrZero()
	if !ok {
		return
	}
	ids, ok := c.streamIDArgs(2)
	if !ok {
		return
	}
	n := countTrue(ids, s.Delete)
	if n > 0 {
		c.changed(c.args[1])
		c.notify(evStream, "xdel", c.args[1])
		c.addDirty(n)
	}
	c.w.Int(int64(n))
}

// XLEN key
func cmdXlen(c *Client) {
	s, ok := c.streamOrZero()
	if !ok {
		return
	}
	c.w.Int(s.Len())
}

func cmdXrange(c *Client)    { xrangeGeneric(c, false) }
func cmdXrevrange(c *Client) { xrangeGeneric(c, true) }

// xrangeGeneric is XRANGE key start end [COUNT n] and XREVRANGE key end start [COUNT n].
func xrangeGeneric(c *Client, rev bool) {
	si, ei := 2, 3
	if rev {
		si, ei = 3, 2
	}
	start, ok := c.rangeIDArg(si, true)
	if !ok {
		return
	}
	end, ok := c.rangeIDArg(ei, false)
	if !ok {
		return
	}
	count := int64(-1)
	for i := 4; i < len(c.args); i++ {
		if c.is(i, "COUNT") && i+1 < len(c.args) {
			n, ok := c.intArg(i + 1)
			if !ok {
				return
			}
			count = max(n, 0)
			i++
			continue
		}
		c.Err(errSyntax)
		return
	}
	s, ok := lookupColl[*storage.Stream](c, c.args[1])
	switch {
	case !ok:
		return
	case s == nil:
		c.w.Array(0)
	case count == 0:
		c.w.NullArray()
	default:
		c.replyRange(s, start, end, rev, max(count, 0))
	}
}

// xreadArgs is a parsed XREAD / XREADGROUP.
type xreadArgs struct {
	count    int64
	block    time.Duration
	blocking bool
	noAck    bool
	group    []byte
	consumer []byte
	keys     int // index of the first key
	n        int // number of streams
	ids      []storage.StreamID
	newOnly  []bool // XREADGROUP ">"
}

func cmdXread(c *Client)      { xreadGeneric(c, false) }
func cmdXreadgroup(c *Client) { xreadGeneric(c, true) }

// xreadBlockedCount bounds a blocked read without COUNT, as Redis does.
const xreadBlockedCount = 1000

func xreadGeneric(c *Client, group bool) {
	a, ok := c.parseXread(group)
	if !ok {
		return
	}
	if c.xreadServe(a, true) {
		return
	}
	if !a.blocking {
		c.w.NullArray()
		return
	}
	if a.count == 0 {
		a.count = xreadBlockedCount
	}
	c.block(c.args[a.keys:a.keys+a.n], a.block, func(c *Client) bool {
		return c.xreadServe(a, false)
	}, replyNullArray)
}

// parseXread parses the options, then resolves each stream's ID (and group), as Redis
// does before serving anything.
func (c *Client) parseXread(group bool) (*xreadArgs, bool) {
	a := &xreadArgs{}
	name := "xread"
	if group {
		name = "xreadgroup"
	}
	for i := 1; i < len(c.args); i++ {
		more := len(c.args) - i - 1
		switch {
		case c.is(i, "BLOCK") && more > 0:
			i++
			ms, ok := storage.ParseInt(c.args[i])
			if !ok {
				c.Err("ERR timeout is not an integer or out of range")
				return nil, false
			}
			if ms < 0 {
				c.Err(errTimeoutNeg)
				return nil, false
			}
			a.block, a.blocking = time.Duration(min(ms, math.MaxInt64/int64(time.Millisecond)))*time.Millisecond, true
		case c.is(i, "COUNT") && more > 0:
			i++
			n, ok := c.intArg(i)
			if !ok {
				return nil, false
			}
			a.count = max(n, 0)
		case c.is(i, "STREAMS") && more > 0:
			a.keys = i + 1
			if (len(c.args)-a.keys)%2 != 0 {
				c.Err("ERR Unbalanced '" + name + "' list of streams: for each stream key an ID or '$' must be specified.")
				return nil, false
			}
			a.n = (len(c.args) - a.keys) / 2
			i = len(c.args)
		case c.is(i, "GROUP") && more >= 2:
			if !group {
				c.Err("ERR The GROUP option is only supported by XREADGROUP. You called XREAD instead.")
				return nil, false
			}
			a.group, a.consumer = c.args[i+1], c.args[i+2]
			i += 2
		case c.is(i, "NOACK"):
			if !group {
				c.Err("ERR The NOACK option is only supported by XREADGROUP. You called XREAD instead.")
				return nil, false
			}
			a.noAck = true
		default:
			c.Err(errSyntax)
			return nil, false
		}
	}
	if a.keys == 0 {
		c.Err(errSyntax)
		return nil, false
	}
	if group && a.group == nil {
		c.Err("ERR Missing GROUP option for XREADGROUP")
		return nil, false
	}
	a.ids = make([]storage.StreamID, a.n)
	a.newOnly = make([]bool, a.n)
	rdb := c.db.ForRead()
	for j := range a.n {
		key, arg := c.args[a.keys+j], c.args[a.keys+a.n+j]
		s, ok := lookupIn[*storage.Stream](c, rdb, key)
		if !ok {
			return nil, false
		}
		if group && (s == nil || s.Group(string(a.group)) == nil) {
			c.Err("NOGROUP No such key '" + string(key) + "' or consumer group '" + string(a.group) + "' in XREADGROUP with GROUP option")
			return nil, false
		}
		switch {
		case len(arg) == 1 && arg[0] == '$':
			if group {
				c.Err("ERR The $ ID is meaningless in the context of XREADGROUP: you want to read the history of this consumer by specifying a proper ID, or use the > ID to get new messages. The $ ID would just return an empty result set.")
				return nil, false
			}
			if s != nil {
				a.ids[j] = s.LastID
			}
		case len(arg) == 1 && arg[0] == '>':
			if !group {
				c.Err("ERR The > ID can be specified only when calling XREADGROUP using the GROUP <group> <consumer> option.")
				return nil, false
			}
			a.newOnly[j] = true
		case len(arg) == 1 && arg[0] == '+' && !group:
			// Redis 7.4's "+": the last entry. Read from just before it.
			if s != nil {
				if last, ok := s.LastEntry(); ok {
					a.ids[j], _ = last.Prev()
				} else {
					a.ids[j] = s.LastID
				}
			}
		default:
			id, _, ok := storage.ParseStreamID(arg, 0)
			if !ok {
				c.Err(errInvalidStreamID)
				return nil, false
			}
			a.ids[j] = id
		}
	}
	return a, true
}

// xreadServe answers the read if any stream has something to give: an array (RESP3: a
// map) of [key, entries] for those that do. first is the call itself (consumers are
// created then, and history reads are served even when empty); false when a blocked
// reader is retried. It reports whether it replied.
func (c *Client) xreadServe(a *xreadArgs, first bool) bool {
	if a.group != nil {
		c.propagateNone() // XREADGROUP propagates as the XCLAIMs of what it delivered
	}
	rdb := c.db.ForRead()
	served := 0
	var at int
	for j := range a.n {
		key := c.args[a.keys+j]
		s, err := storage.Lookup[*storage.Stream](rdb, c.slot(key), key)
		if err != nil {
			if served == 0 && !first {
				c.ErrFor(err)
				return true
			}
			continue
		}
		if s == nil {
			continue
		}
		gt := a.ids[j]
		history := false
		var g *storage.StreamGroup
		var cons *storage.StreamConsumer
		if a.group != nil {
			if g = s.Group(string(a.group)); g == nil {
				if !first {
					c.Err("NOGROUP the consumer group this client was blocked on no longer exists")
					return true
				}
				continue
			}
			if !a.newOnly[j] {
				history = first
				if !history {
					continue
				}
			} else {
				last, ok := s.LastEntry()
				if !ok || !g.LastID.Less(last) {
					if first {
						c.touchConsumer(g, key, a.group, a.consumer, a.noAck)
					}
					continue
				}
				gt = g.LastID
			}
			cons = c.touchConsumer(g, key, a.group, a.consumer, a.noAck)
		} else {
			last, ok := s.LastEntry()
			if !ok || !gt.Less(last) {
				continue
			}
		}
		if served == 0 {
			at = c.deferLen()
		}
		served++
		if !c.w.RESP3() {
			c.w.Array(2)
		}
		c.w.Bulk(key)
		start, _ := gt.Next()
		if history {
			c.replyConsumerPEL(s, cons, start, a.count)
		} else if g != nil {
			c.replyGroupRead(s, g, cons, key, a.group, start, a.count, a.noAck)
		} else {
			c.replyRange(s, start, storage.MaxStreamID, false, a.count)
		}
		if g != nil {
			c.dirty++ // a group read changes the group, as Redis counts it
		}
	}
	if served == 0 {
		return false
	}
	kind := byte('*')
	if c.w.RESP3() {
		kind = '%'
	}
	c.setDeferredLen(at, kind, served)
	return true
}

// touchConsumer returns the named consumer of g (named group), creating it (an event
// and a change) when new, and marks it seen now. A consumer created by a NOACK read is
// propagated as XGROUP CREATECONSUMER (otherwise the XCLAIMs of what it reads create it).
func (c *Client) touchConsumer(g *storage.StreamGroup, key, group, name []byte, noAck bool) *storage.StreamConsumer {
	now := c.s.eng.Now()
	cons, created := g.Consumer(string(name), now)
	if created {
		c.notify(evStream, "xgroup-createconsumer", key)
		c.dirty++
		if noAck && c.propagating() {
			c.alsoPropagate(bXGROUP, bCREATECONS, key, group, name)
		}
	}
	cons.SeenTime = now
	return cons
}

// replyGroupRead delivers new entries from start to consumer cons of group g: the
// group's last ID advances and, unless noAck, each entry becomes pending.
func (c *Client) replyGroupRead(s *storage.Stream, g *storage.StreamGroup, cons *storage.StreamConsumer, key, group []byte, start storage.StreamID, count int64, noAck bool) {
	now := c.s.eng.Now()
	n := 0
	at := c.deferLen()
	var ids []storage.StreamID
	s.Range(start, storage.MaxStreamID, false, func(id storage.StreamID, fv [][]byte) bool {
		c.replyEntry(id, fv)
		ids = append(ids, id)
		n++
		return count == 0 || int64(n) < count
	})
	prop := c.propagating()
	for _, id := range ids {
		s.Advance(g, id)
		if !noAck {
			g.Deliver(id, cons, now)
			if prop {
				c.propagateClaim(key, group, g, id, g.Pending(id))
			}
		}
	}
	c.setDeferredLen(at, '*', n)
	if n > 0 {
		c.changed(key)
		if noAck && prop {
			c.propagateGroupID(key, group, g)
		}
	}
}

// replyConsumerPEL answers a history read: the consumer's pending entries from start,
// each delivered again (an entry deleted since is answered with a null body).
func (c *Client) replyConsumerPEL(s *storage.Stream, cons *storage.StreamConsumer, start storage.StreamID, count int64) {
	now := c.s.eng.Now()
	n := 0
	at := c.deferLen()
	cons.AscendPending(start, storage.MaxStreamID, func(p *storage.PendingEntry) bool {
		if count != 0 && int64(n) >= count {
			return false
		}
		if fv, ok := s.Get(p.ID); ok {
			c.replyEntry(p.ID, fv)
			p.DeliveryTime = now
			p.DeliveryCount++ // not propagated, as in Redis
		} else {
			c.w.Array(2)
			c.replyID(p.ID)
			c.w.NullArray()
		}
		n++
		return true
	})
	c.setDeferredLen(at, '*', n)
}

// XSETID key last-id [ENTRIESADDED entries-added] [MAXDELETEDID max-deleted-id]
func cmdXsetid(c *Client) {
	id, ok := c.streamIDArg(2)
	if !ok {
		return
	}
	added := int64(-1)
	var maxDel storage.StreamID
	for i := 3; i < len(c.args); i++ {
		more := len(c.args) - 1 - i
		switch {
		case c.is(i, "ENTRIESADDED") && more > 0:
			n, ok := c.intArg(i + 1)
			if !ok {
				return
			}
			if n < 0 {
				c.Err("ERR entries_added must be positive")
				return
			}
			added = n
			i++
		case c.is(i, "MAXDELETEDID") && more > 0:
			if maxDel, ok = c.streamIDArg(i + 1); !ok {
				return
			}
			if id.Less(maxDel) {
				c.Err("ERR The ID specified in XSETID is smaller than the provided max_deleted_entry_id")
				return
			}
			i++
		default:
			c.Err(errSyntax)
			return
		}
	}
	s, ok := lookupColl[*storage.Stream](c, c.args[1])
	switch {
	case !ok:
		return
	case s == nil:
		c.Err(errNoSuchKey)
		return
	case id.Less(s.MaxDeletedID):
		c.Err("ERR The ID specified in XSETID is smaller than current max_deleted_entry_id")
		return
	}
	if s.Len() > 0 {
		if last, _ := s.LastEntry(); id.Less(last) {
			c.Err("ERR The ID specified in XSETID is smaller than the target stream top item")
			return
		}
		if added != -1 && s.Len() > added {
			c.Err("ERR The entries_added specified in XSETID is smaller than the target stream length")
			return
		}
	}
	s.LastID = id
	if added != -1 {
		s.EntriesAdded = added
	}
	if !maxDel.IsZero() {
		s.MaxDeletedID = maxDel
	}
	c.OK()
	c.wrote(c.args[1], evStream, "xsetid")
}
