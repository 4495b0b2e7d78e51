package node

import (
	"strconv"

	"github.com/shoal-db/shoal/storage"
)

// The consumer group commands: XGROUP, XACK, XPENDING, XCLAIM, XAUTOCLAIM, and XINFO.

// errNoGroupFor is XGROUP's and XINFO's error for a missing group.
func errNoGroupFor(group, key []byte) string {
	return "NOGROUP No such consumer group '" + string(group) + "' for key name '" + string(key) + "'"
}

func errNoKeyOrGroup(key, group []byte) string {
	return "NOGROUP No such key '" + string(key) + "' or consumer group '" + string(group) + "'"
}

// entriesReadArg parses an ENTRIESREAD value: a count, or -1 for unknown.
func (c *Client) entriesReadArg(i int) (int64, bool) {
	n, ok := c.intArg(i)
	if ok && n < 0 && n != -1 {
		c.Err("ERR value for ENTRIESREAD must be positive or -1")
		return 0, false
	}
	return n, ok
}

// xgroupTarget looks up the stream and, when needGroup, the group an XGROUP
// subcommand works on, answering the errors Redis gives.
func (c *Client) xgroupTarget(needGroup bool) (*storage.Stream, *storage.StreamGroup, bool) {
	s, ok := lookupColl[*storage.Stream](c, c.args[2])
	if !ok {
		return nil, nil, false
	}
	if s == nil {
		c.Err("ERR The XGROUP subcommand requires the key to exist. Note that for CREATE you may want to use the MKSTREAM option to create an empty stream automatically.")
		return nil, nil, false
	}
	g := s.Group(string(c.args[3]))
	if needGroup && g == nil {
		c.Err(errNoGroupFor(c.args[3], c.args[2]))
		return nil, nil, false
	}
	return s, g, true
}

// XGROUP CREATE key group id|$ [MKSTREAM] [ENTRIESREAD entries-read]
func cmdXgroupCreate(c *Client) {
	mkstream := false
	entriesRead := int64(-1)
	for i := 5; i < len(c.args); i++ {
		switch {
		case c.is(i, "MKSTREAM"):
			mkstream = true
		case c.is(i, "ENTRIESREAD") && i+1 < len(c.args):
			n, ok := c.entriesReadArg(i + 1)
			if !ok {
				return
			}
			entriesRead = n
			i++
		default:
			c.subcommandSyntaxError()
			return
		}
	}
	key := c.args[2]
	s, ok := lookupColl[*storage.Stream](c, key)
	if !ok {
		return
	}
	if s == nil && !mkstream {
		c.xgroupTarget(false) // answers the missing-key error
		return
	}
	var id storage.StreamID
	if a := c.args[4]; len(a) == 1 && a[0] == '$' {
		if s != nil {
			id = s.LastID
		}
	} else if id, ok = c.streamIDArg(4); !ok {
		return
	}
	if s == nil {
		s = storage.NewStream()
		c.db.SetValue(c.slot(key), key, s, 0, false)
		c.changed(key)
	}
	if s.Group(string(c.args[3])) != nil {
		c.Err("BUSYGROUP Consumer Group name already exists")
		return
	}
	s.CreateGroup(string(c.args[3]), id, entriesRead)
	c.OK()
	c.dirty++
	c.notify(evStream, "xgroup-create", key)
}

// XGROUP SETID key group id|$ [ENTRIESREAD entries-read]
func cmdXgroupSetid(c *Client) {
	entriesRead := int64(-1)
	switch len(c.args) {
	case 5:
	case 7:
		if !c.is(5, "ENTRIESREAD") {
			c.subcommandSyntaxError()
			return
		}
		n, ok := c.entriesReadArg(6)
		if !ok {
			return
		}
		entriesRead = n
	default:
		c.subcommandSyntaxError()
		return
	}
	s, g, ok := c.xgroupTarget(true)
	if !ok {
		return
	}
	var id storage.StreamID
	if a := c.args[4]; len(a) == 1 && a[0] == '$' {
		id = s.LastID
	} else if id, ok = c.rangeIDArg(4, true); !ok {
		return
	}
	g.LastID, g.EntriesRead = id, entriesRead
	c.OK()
	c.dirty++
	c.notify(evStream, "xgroup-setid", c.args[2])
}

// XGROUP DESTROY key group
func cmdXgroupDestroy(c *Client) {
	s, _, ok := c.xgroupTarget(false)
	if !ok {
		return
	}
	if !s.DestroyGroup(string(c.args[3])) {
		c.w.Int(0)
		return
	}
	c.w.Int(1)
	c.dirty++
	c.notify(evStream, "xgroup-destroy", c.args[2])
}

// XGROUP CREATECONSUMER key group consumer
func cmdXgroupCreateconsumer(c *Client) {
	_, g, ok := c.xgroupTarget(true)
	if !ok {
		return
	}
	_, created := g.Consumer(string(c.args[4]), c.s.eng.Now())
	if created {
		c.notify(evStream, "xgroup-createconsumer", c.args[2])
		c.dirty++
	}
	c.w.Int(int64(b2i(created)))
}

// XGROUP DELCONSUMER key group consumer
func cmdXgroupDelconsumer(c *Client) {
	_, g, ok := c.xgroupTarget(true)
	if !ok {
		return
	}
	if g.LookupConsumer(string(c.args[4])) == nil {
		c.w.Int(0)
		return
	}
	c.w.Int(int64(g.DeleteConsumer(string(c.args[4]))))
	c.dirty++
	c.notify(evStream, "xgroup-delconsumer", c.args[2])
}

func cmdXgroupHelp(c *Client) {
	writeHelp(c, "XGROUP",
		"CREATE <key> <groupname> <id|$> [option]",
		"    Create a new consumer group. Options are:",
		"    * MKSTREAM",
		"      Create the empty stream if it does not exist.",
		"    * ENTRIESREAD entries_read",
		"      Set the group's entries_read counter (internal use).",
		"CREATECONSUMER <key> <groupname> <consumer>",
		"    Create a new consumer in the specified group.",
		"DELCONSUMER <key> <groupname> <consumer>",
		"    Remove the specified consumer.",
		"DESTROY <key> <groupname>",
		"    Remove the specified group.",
		"SETID <key> <groupname> <id|$> [ENTRIESREAD entries_read]",
		"    Set the current group ID and entries_read counter.")
}

// streamAndGroup looks up key and group for XACK/XPENDING/XCLAIM/XAUTOCLAIM (a read
// lookup, as in Redis); s or g is nil when missing; ok false after WRONGTYPE.
func (c *Client) streamAndGroup() (s *storage.Stream, g *storage.StreamGroup, ok bool) {
	s, ok = sourceColl[*storage.Stream](c, c.args[1])
	if !ok || s == nil {
		return nil, nil, ok
	}
	return s, s.Group(string(c.args[2])), true
}

// XACK key group id [id …]
func cmdXack(c *Client) {
	_, g, ok := c.streamAndGroup()
	if !ok {
		return
	}
	if g == nil {
		c.w.Int(0)
		return
	}
	ids, ok := c.streamIDArgs(3)
	if !ok {
		return
	}
	n := countTrue(ids, g.Ack)
	if n > 0 {
		c.changed(c.args[1])
		c.addDirty(n)
	}
	c.w.Int(int64(n))
}

// XPENDING key group [[IDLE min-idle-time] start end count [consumer]]
func cmdXpending(c *Client) {
	argc := len(c.args)
	if argc != 3 && (argc < 6 || argc > 9) {
		c.Err(errSyntax)
		return
	}
	var start, end storage.StreamID
	var count, minIdle int64
	var consumer []byte
	if argc >= 6 {
		si := 3
		if c.is(3, "IDLE") {
			n, ok := c.intArg(4)
			if !ok {
				return
			}
			minIdle = n
			if argc < 8 {
				c.Err(errSyntax)
				return
			}
			si += 2
		}
		n, ok := c.intArg(si + 2)
		if !ok {
			return
		}
		count = max(n, 0)
		if start, ok = c.rangeIDArg(si, true); !ok {
			return
		}
		if end, ok = c.rangeIDArg(si+1, false); !ok {
			return
		}
		if si+3 < argc {
			consumer = c.args[si+3]
		}
	}
	_, g, ok := c.streamAndGroup()
	if !ok {
		return
	}
	if g == nil {
		c.Err(errNoKeyOrGroup(c.args[1], c.args[2]))
		return
	}
	if argc == 3 {
		c.xpendingSummary(g)
		return
	}
	now := c.s.eng.Now()
	ascend := g.AscendPending
	if consumer != nil {
		cons := g.LookupConsumer(string(consumer))
		if cons == nil {
			c.w.Array(0)
			return
		}
		ascend = cons.AscendPending
	}
	n := 0
	at := c.deferLen()
	ascend(start, end, func(p *storage.PendingEntry) bool {
		if count == 0 {
			return false
		}
		idle := now - p.DeliveryTime
		if minIdle != 0 && idle < minIdle {
			return true
		}
		count--
		n++
		c.w.Array(4)
		c.replyID(p.ID)
		c.w.BulkString(p.Consumer.Name)
		c.w.Int(max(idle, 0))
		c.w.Int(p.DeliveryCount)
		return true
	})
	c.setDeferredLen(at, '*', n)
}

// xpendingSummary answers XPENDING key group: the count, the smallest and greatest
// pending IDs, and the consumers with pending entries and how many.
func (c *Client) xpendingSummary(g *storage.StreamGroup) {
	c.w.Array(4)
	c.w.Int(int64(g.PendingCount()))
	if g.PendingCount() == 0 {
		c.w.Null()
		c.w.Null()
		c.w.NullArray()
		return
	}
	var first, last storage.StreamID
	seen := false
	g.AscendPending(storage.StreamID{}, storage.MaxStreamID, func(p *storage.PendingEntry) bool {
		if !seen {
			first, seen = p.ID, true
		}
		last = p.ID
		return true
	})
	c.replyID(first)
	c.replyID(last)
	n := 0
	at := c.deferLen()
	for _, name := range g.ConsumerNames() {
		cons := g.LookupConsumer(name)
		if cons.PendingCount() == 0 {
			continue
		}
		c.w.Array(2)
		c.w.BulkString(name)
		c.w.BulkString(strconv.Itoa(cons.PendingCount()))
		n++
	}
	c.setDeferredLen(at, '*', n)
}

// claimer gives pending entries to the consumer named in args[3], creating it on the
// first claim, and answers each claimed entry.
type claimer struct {
	c      *Client
	s      *storage.Stream
	g      *storage.StreamGroup
	cons   *storage.StreamConsumer
	justID bool
}

func (cl *claimer) consumer() *storage.StreamConsumer {
	if cl.cons == nil {
		cl.cons = cl.c.touchConsumer(cl.g, cl.c.args[1], cl.c.args[2], cl.c.args[3], false)
	}
	return cl.cons
}

// reply answers a claimed entry: its ID (JUSTID) or the entry, null if gone.
func (cl *claimer) reply(id storage.StreamID) {
	if cl.justID {
		cl.c.replyID(id)
		return
	}
	if fv, ok := cl.s.Get(id); ok {
		cl.c.replyEntry(id, fv)
		return
	}
	cl.c.w.Null()
}

// XCLAIM key group consumer min-idle-time id [id …] [IDLE ms] [TIME ms-unix-time]
// [RETRYCOUNT count] [FORCE] [JUSTID] [LASTID lastid]
func cmdXclaim(c *Client) {
	s, g, ok := c.streamAndGroup()
	if !ok {
		return
	}
	if g == nil {
		c.Err(errNoKeyOrGroup(c.args[1], c.args[2]))
		return
	}
	minIdle, ok := storage.ParseInt(c.args[4])
	if !ok {
		c.Err("ERR Invalid min-idle-time argument for XCLAIM")
		return
	}
	minIdle = max(minIdle, 0)
	var ids []storage.StreamID
	j := 5
	for ; j < len(c.args); j++ {
		id, _, ok := storage.ParseStreamID(c.args[j], 0)
		if !ok {
			break
		}
		ids = append(ids, id)
	}
	now := c.s.eng.Now()
	retry, delivery := int64(-1), int64(-1)
	force, justID := false, false
	var lastID storage.StreamID
	for ; j < len(c.args); j++ {
		more := len(c.args) - 1 - j
		switch {
		case c.is(j, "FORCE"):
			force = true
		case c.is(j, "JUSTID"):
			justID = true
		case c.is(j, "IDLE") && more > 0:
			j++
			n, ok := storage.ParseInt(c.args[j])
			if !ok {
				c.Err("ERR Invalid IDLE option argument for XCLAIM")
				return
			}
			delivery = now - n
		case c.is(j, "TIME") && more > 0:
			j++
			n, ok := storage.ParseInt(c.args[j])
			if !ok {
				c.Err("ERR Invalid TIME option argument for XCLAIM")
				return
			}
			delivery = n
		case c.is(j, "RETRYCOUNT") && more > 0:
			j++
			n, ok := storage.ParseInt(c.args[j])
			if !ok {
				c.Err("ERR Invalid RETRYCOUNT option argument for XCLAIM")
				return
			}
			retry = n
		case c.is(j, "LASTID") && more > 0:
			j++
			if lastID, ok = c.streamIDArg(j); !ok {
				return
			}
		default:
			c.Err("ERR Unrecognized XCLAIM option '" + string(c.args[j]) + "'")
			return
		}
	}
	c.propagateNone() // propagated as the XCLAIMs of each entry's new state
	prop := c.propagating()
	propLastID := false
	if g.LastID.Less(lastID) {
		g.LastID = lastID
		c.dirty++
		propLastID = prop
	}
	if delivery < 0 || delivery > now {
		delivery = now
	}
	cl := claimer{c: c, s: s, g: g, justID: justID}
	n := 0
	at := c.deferLen()
	for _, id := range ids {
		p := g.Pending(id)
		if _, exists := s.Get(id); !exists {
			if p != nil { // the entry is gone: drop it from the PEL
				if prop {
					c.propagateClaim(c.args[1], c.args[2], g, id, p)
					propLastID = false
				}
				g.Ack(id)
				c.dirty++
			}
			continue
		}
		fresh := false
		if p == nil {
			if !force {
				continue
			}
			p = g.AddPending(id, cl.consumer(), now, 1)
			fresh = true
		}
		if !fresh && minIdle > 0 && now-p.DeliveryTime < minIdle {
			continue
		}
		g.Claim(p, cl.consumer())
		p.DeliveryTime = delivery
		if retry >= 0 {
			p.DeliveryCount = retry
		} else if !justID {
			p.DeliveryCount++
		}
		cl.reply(id)
		n++
		c.dirty++
		if prop {
			c.propagateClaim(c.args[1], c.args[2], g, id, p)
			propLastID = false
		}
	}
	if propLastID {
		c.propagateGroupID(c.args[1], c.args[2], g)
	}
	c.setDeferredLen(at, '*', n)
	if c.dirty > 0 {
		c.changed(c.args[1])
	}
}

// propagateClaim propagates pending entry p (of group g, named group, of the stream at
// key) as Redis's streamPropagateXCLAIM: an XCLAIM that recreates its exact state —
// consumer, delivery time and count, and the group's last ID — wherever it is
// replayed; for an entry no longer in the stream, replaying it drops it from the PEL.
func (c *Client) propagateClaim(key, group []byte, g *storage.StreamGroup, id storage.StreamID, p *storage.PendingEntry) {
	c.alsoPropagate(bXCLAIM, key, group, []byte(p.Consumer.Name), []byte{'0'}, id.Append(nil),
		bTIME, bInt(p.DeliveryTime), bRETRYCOUNT, bInt(p.DeliveryCount), bFORCE, bJUSTID,
		bLASTID, g.LastID.Append(nil))
}

// propagateGroupID propagates group g's last ID and read counter (XGROUP SETID … ENTRIESREAD).
func (c *Client) propagateGroupID(key, group []byte, g *storage.StreamGroup) {
	c.alsoPropagate(bXGROUP, bSETID, key, group, g.LastID.Append(nil), bENTRIESREAD, bInt(g.EntriesRead))
}

// XAUTOCLAIM key group consumer min-idle-time start [COUNT count] [JUSTID]
func cmdXautoclaim(c *Client) {
	minIdle, ok := storage.ParseInt(c.args[4])
	if !ok {
		c.Err("ERR Invalid min-idle-time argument for XAUTOCLAIM")
		return
	}
	minIdle = max(minIdle, 0)
	start, ok := c.rangeIDArg(5, true)
	if !ok {
		return
	}
	count := int64(100)
	justID := false
	for j := 6; j < len(c.args); j++ {
		switch {
		case c.is(j, "COUNT") && j+1 < len(c.args):
			n, ok := storage.ParseInt(c.args[j+1])
			if !ok || n < 1 || n > (1<<63-1)/16 {
				c.Err("ERR COUNT must be > 0")
				return
			}
			count = n
			j++
		case c.is(j, "JUSTID"):
			justID = true
		default:
			c.Err(errSyntax)
			return
		}
	}
	s, g, ok := c.streamAndGroup()
	if !ok {
		return
	}
	if g == nil {
		c.Err(errNoKeyOrGroup(c.args[1], c.args[2]))
		return
	}
	now := c.s.eng.Now()
	attempts := count * 10
	cl := claimer{c: c, s: s, g: g, justID: justID}
	var claimed, deleted []storage.StreamID
	var next storage.StreamID
	g.AscendPending(start, storage.MaxStreamID, func(p *storage.PendingEntry) bool {
		if attempts == 0 || count == 0 {
			next = p.ID
			return false
		}
		attempts--
		if _, exists := s.Get(p.ID); !exists {
			deleted = append(deleted, p.ID)
			count--
			return true
		}
		if minIdle > 0 && now-p.DeliveryTime < minIdle {
			return true
		}
		claimed = append(claimed, p.ID)
		count--
		return true
	})
	c.propagateNone() // propagated as the XCLAIMs of each entry's new state
	prop := c.propagating()
	for _, id := range deleted {
		if prop {
			c.propagateClaim(c.args[1], c.args[2], g, id, g.Pending(id))
		}
		g.Ack(id)
		c.dirty++
	}
	c.w.Array(3)
	c.replyID(next)
	c.w.Array(len(claimed))
	for _, id := range claimed {
		p := g.Pending(id)
		g.Claim(p, cl.consumer())
		p.DeliveryTime = now
		if !justID {
			p.DeliveryCount++
		}
		cl.reply(id)
		c.dirty++
		if prop {
			c.propagateClaim(c.args[1], c.args[2], g, id, p)
		}
	}
	c.w.Array(len(deleted))
	for _, id := range deleted {
		c.replyID(id)
	}
	if c.dirty > 0 {
		c.changed(c.args[1])
	}
}

// xinfoStream looks up XINFO's stream: "no such key" when missing.
func (c *Client) xinfoStream() (*storage.Stream, bool) {
	s, ok := sourceColl[*storage.Stream](c, c.args[2])
	if ok && s == nil {
		c.Err(errNoSuchKey)
		return nil, false
	}
	return s, ok
}

// XINFO STREAM key [FULL [COUNT count]]
func cmdXinfoStream(c *Client) {
	full := false
	count := int64(10)
	if len(c.args) > 3 {
		if !c.is(3, "FULL") {
			c.subcommandSyntaxError()
			return
		}
		full = true
		switch len(c.args) {
		case 4:
		case 6:
			if !c.is(4, "COUNT") {
				c.subcommandSyntaxError()
				return
			}
			n, ok := c.intArg(5)
			if !ok {
				return
			}
			count = max(n, 0)
		default:
			c.subcommandSyntaxError()
			return
		}
	}
	s, ok := c.xinfoStream()
	if !ok {
		return
	}
	if full {
		c.w.Map(9)
	} else {
		c.w.Map(10)
	}
	nodes := int64(s.NumNodes())
	c.w.BulkString("length")
	c.w.Int(s.Len())
	c.w.BulkString("radix-tree-keys")
	c.w.Int(nodes)
	c.w.BulkString("radix-tree-nodes")
	c.w.Int(nodes + 1)
	c.w.BulkString("last-generated-id")
	c.replyID(s.LastID)
	c.w.BulkString("max-deleted-entry-id")
	c.replyID(s.MaxDeletedID)
	c.w.BulkString("entries-added")
	c.w.Int(s.EntriesAdded)
	c.w.BulkString("recorded-first-entry-id")
	c.replyID(s.FirstID)
	if !full {
		c.w.BulkString("groups")
		c.w.Int(int64(s.NumGroups()))
		c.w.BulkString("first-entry")
		c.replyEdge(s, false)
		c.w.BulkString("last-entry")
		c.replyEdge(s, true)
		return
	}
	c.w.BulkString("entries")
	c.replyRange(s, storage.StreamID{}, storage.MaxStreamID, false, count)
	c.w.BulkString("groups")
	names := s.GroupNames()
	c.w.Array(len(names))
	for _, name := range names {
		g := s.Group(name)
		c.w.Map(7)
		c.w.BulkString("name")
		c.w.BulkString(name)
		c.replyGroupProgress(s, g)
		c.w.BulkString("pel-count")
		c.w.Int(int64(g.PendingCount()))
		c.w.BulkString("pending")
		c.replyFullPEL(g.AscendPending, count, true)
		c.w.BulkString("consumers")
		cnames := g.ConsumerNames()
		c.w.Array(len(cnames))
		for _, cname := range cnames {
			cons := g.LookupConsumer(cname)
			c.w.Map(4)
			c.w.BulkString("name")
			c.w.BulkString(cname)
			c.w.BulkString("seen-time")
			c.w.Int(cons.SeenTime)
			c.w.BulkString("pel-count")
			c.w.Int(int64(cons.PendingCount()))
			c.w.BulkString("pending")
			c.replyFullPEL(cons.AscendPending, count, false)
		}
	}
}

// replyFullPEL writes up to count (0: all) pending entries for XINFO STREAM FULL:
// [id, consumer, delivery time, deliveries], without the consumer for a consumer's own
// list.
func (c *Client) replyFullPEL(ascend func(start, end storage.StreamID, fn func(p *storage.PendingEntry) bool), count int64, withConsumer bool) {
	n := 0
	at := c.deferLen()
	ascend(storage.StreamID{}, storage.MaxStreamID, func(p *storage.PendingEntry) bool {
		if count != 0 && int64(n) >= count {
			return false
		}
		c.w.Array(3 + b2i(withConsumer))
		c.replyID(p.ID)
		if withConsumer {
			c.w.BulkString(p.Consumer.Name)
		}
		c.w.Int(p.DeliveryTime)
		c.w.Int(p.DeliveryCount)
		n++
		return true
	})
	c.setDeferredLen(at, '*', n)
}

// replyEdge answers the first (or last) entry, null when the stream is empty.
func (c *Client) replyEdge(s *storage.Stream, last bool) {
	found := false
	s.Range(storage.StreamID{}, storage.MaxStreamID, last, func(id storage.StreamID, fv [][]byte) bool {
		c.replyEntry(id, fv)
		found = true
		return false
	})
	if !found {
		c.w.Null()
	}
}

// replyGroupProgress writes a group's last-delivered-id, entries-read and lag fields.
func (c *Client) replyGroupProgress(s *storage.Stream, g *storage.StreamGroup) {
	c.w.BulkString("last-delivered-id")
	c.replyID(g.LastID)
	c.w.BulkString("entries-read")
	if g.EntriesRead >= 0 {
		c.w.Int(g.EntriesRead)
	} else {
		c.w.Null()
	}
	c.w.BulkString("lag")
	if lag, ok := s.Lag(g); ok {
		c.w.Int(lag)
	} else {
		c.w.Null()
	}
}

// XINFO GROUPS key
func cmdXinfoGroups(c *Client) {
	s, ok := c.xinfoStream()
	if !ok {
		return
	}
	names := s.GroupNames()
	c.w.Array(len(names))
	for _, name := range names {
		g := s.Group(name)
		c.w.Map(6)
		c.w.BulkString("name")
		c.w.BulkString(name)
		c.w.BulkString("consumers")
		c.w.Int(int64(g.NumConsumers()))
		c.w.BulkString("pending")
		c.w.Int(int64(g.PendingCount()))
		c.replyGroupProgress(s, g)
	}
}

// XINFO CONSUMERS key group
func cmdXinfoConsumers(c *Client) {
	s, ok := c.xinfoStream()
	if !ok {
		return
	}
	g := s.Group(string(c.args[3]))
	if g == nil {
		c.Err(errNoGroupFor(c.args[3], c.args[2]))
		return
	}
	now := c.s.eng.Now()
	names := g.ConsumerNames()
	c.w.Array(len(names))
	for _, name := range names {
		cons := g.LookupConsumer(name)
		c.w.Map(3)
		c.w.BulkString("name")
		c.w.BulkString(name)
		c.w.BulkString("pending")
		c.w.Int(int64(cons.PendingCount()))
		c.w.BulkString("idle")
		c.w.Int(max(now-cons.SeenTime, 0))
	}
}

func cmdXinfoHelp(c *Client) {
	writeHelp(c, "XINFO",
		"CONSUMERS <key> <groupname>",
		"    Show consumers of <groupname>.",
		"GROUPS <key>",
		"    Show the stream consumer groups.",
		"STREAM <key> [FULL [COUNT <count>]",
		"    Show information about the stream.")
}
