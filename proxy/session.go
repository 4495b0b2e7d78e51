package proxy

import (
	"bytes"
	"errors"
	"fmt"
	"net"
	"strings"
	"sync"
	"time"

	"github.com/shoal-db/shoal/node/resp"
	"github.com/shoal-db/shoal/node/spec"
	"github.com/shoal-db/shoal/slots"
)

// session is one client. The requests of a client's pipeline go on to the nodes' links
// as they are read, and their replies are collected in order once the pipeline (or a
// batch of it) is read: a pipeline costs one round trip, whatever the nodes it spans.
type session struct {
	p    *Proxy
	conn net.Conn
	wmu  sync.Mutex // held while writing to conn (pub/sub messages come from other goroutines)
	w    resp.Writer
	lane int // which of a node's links the session uses
	id   int64
	name string // CLIENT SETNAME

	commands int64 // requests read since last counted in the proxy's total

	wt       *waiter
	batch    []*call // calls sent, replies not collected yet
	batchLen int
	free     []*call

	authed bool   // the client authenticated (or no password is required)
	cred   []byte // the AUTH the client gave, passed to the nodes (nil: the proxy's own)
	user   string // the user it authenticated as

	links linkCache           // the shared links dispatch used, by node address
	own   map[string]*backend // the session's own connections, by node address
	tx    *txState            // MULTI … EXEC being queued
	wch   *watchState         // WATCH in force
	sub   *subState           // subscriptions (nil: none)
	track *trackState         // CLIENT TRACKING (nil: off)
}

// A batch is settled (its replies collected) past maxBatch requests or
// maxBatchBytes bytes, which bounds what a session holds.
const (
	maxBatch      = 256
	maxBatchBytes = 1 << 20
)

func newSession(p *Proxy, conn net.Conn, id int64) *session {
	s := &session{p: p, conn: resp.RawConn(conn), id: id, lane: int(id), wt: newWaiter(), own: map[string]*backend{},
		authed: p.cfg.RequirePass == ""}
	s.w.Proto = 2
	return s
}

func (s *session) close() {
	s.conn.Close()
	s.settle()
	s.sub.close()
	s.track.close()
	for _, b := range s.own {
		b.conn.Close()
	}
}

// loop serves the client's requests until it leaves: inside the conn's ReadLoop where
// it has one (see resp.LoopReader), which spares the read that would find nothing
// after each reply.
func (s *session) loop() {
	rd := resp.NewReader(s.conn, resp.Limits{})
	rd.SetUnauthenticated(!s.authed)
	if lr, ok := s.conn.(resp.LoopReader); ok {
		lr.ReadLoop(func() bool { return !s.serve(rd) })
		return
	}
	s.serve(rd)
}

// serve answers the requests read by rd until the client leaves, or (inside ReadLoop)
// the socket has nothing to read yet: it reports whether that is why it returned.
func (s *session) serve(rd *resp.Reader) (wait bool) {
	for {
		req, ok, err := rd.Next()
		if err != nil {
			var pe *resp.ProtocolError
			if errors.As(err, &pe) {
				s.settle()
				s.fail("ERR " + pe.Msg)
				s.flush()
			}
			return false
		}
		if !ok {
			s.settle()
			s.p.commands.Add(s.commands)
			s.commands = 0
			if s.flush() != nil {
				return false
			}
			rd.SetUnauthenticated(!s.authed)
			if t := s.p.cfg.IdleTimeout; t > 0 {
				if s.sub.subscribed() {
					s.conn.SetReadDeadline(time.Time{})
				} else {
					s.conn.SetReadDeadline(time.Now().Add(t))
				}
			}
			if err := rd.Fill(); err != nil {
				return err == resp.ErrWait
			}
			continue
		}
		if s.request(req) {
			s.settle()
			s.flush()
			return false
		}
	}
}

// writeAsync writes b to the client from another goroutine than the session's
// (pushes: messages, invalidations); a client that does not read for the proxy's
// timeout is disconnected.
func (s *session) writeAsync(b []byte) {
	if len(b) == 0 {
		return
	}
	s.wmu.Lock()
	defer s.wmu.Unlock()
	s.conn.SetWriteDeadline(time.Now().Add(s.p.cfg.Timeout))
	if _, err := s.conn.Write(b); err != nil {
		s.conn.Close()
	}
	s.conn.SetWriteDeadline(time.Time{})
}

// flush writes the replies gathered.
func (s *session) flush() error {
	if s.w.Len() == 0 {
		return nil
	}
	s.wmu.Lock()
	_, err := s.conn.Write(s.w.B)
	s.wmu.Unlock()
	s.w.Reset()
	return err
}

// kind is how the proxy handles a command.
type kind uint8

const (
	kRoute    kind = iota // to the node owning its keys' slot (any primary without keys)
	kLocal                // answered by the proxy (local)
	kSplit                // split per slot when its keys span slots (split.go)
	kFanout               // sent to every primary (fanout.go)
	kTx                   // MULTI, EXEC, DISCARD, WATCH, UNWATCH (tx.go)
	kSub                  // (un)subscribing (pubsub.go)
	kBlocking             // on the session's own connection (it may wait long)
	kRefused              // not through the proxy
)

// kinds maps lower-case command names to their handling; names not listed are kRoute
// (kBlocking when the command table flags them blocking).
var kinds = map[string]kind{
	"quit": kLocal, "ping": kLocal, "echo": kLocal, "select": kLocal, "hello": kLocal, "client": kLocal,
	"reset": kLocal, "auth": kLocal, "readonly": kLocal, "readwrite": kLocal, "asking": kLocal, "wait": kLocal,
	"scan": kLocal, "randomkey": kLocal, "info": kLocal,
	"mget": kSplit, "mset": kSplit, "del": kSplit, "unlink": kSplit, "exists": kSplit, "touch": kSplit,
	"dbsize": kFanout, "keys": kFanout, "flushall": kFanout, "flushdb": kFanout, "script": kFanout,
	"function": kFanout, "config": kFanout,
	"multi": kTx, "exec": kTx, "discard": kTx, "watch": kTx, "unwatch": kTx,
	"subscribe": kSub, "psubscribe": kSub, "ssubscribe": kSub, "unsubscribe": kSub, "punsubscribe": kSub,
	"sunsubscribe": kSub,
	"acl":          kLocal,
	"monitor":      kRefused, "sync": kRefused, "psync": kRefused, "shutdown": kRefused,
	"replicaof": kRefused, "slaveof": kRefused, "failover": kRefused,
}

// lookup is the command's handling and table entry (nil: unknown to the table), from
// its name in any case, without allocating.
func lookup(name []byte) (kind, *spec.Command, string) {
	var buf [32]byte
	if len(name) > len(buf) {
		return kRoute, nil, ""
	}
	low := buf[:len(name)]
	for i, c := range name {
		if 'A' <= c && c <= 'Z' {
			c += 'a' - 'A'
		}
		low[i] = c
	}
	cmd := spec.Reference().ByName[string(low)]
	k, ok := kinds[string(low)]
	if !ok && cmd != nil && cmd.Has(spec.Blocking) {
		k = kBlocking
	}
	if cmd != nil {
		return k, cmd, cmd.Name
	}
	return k, nil, ""
}

// request answers one request; it reports QUIT.
func (s *session) request(req resp.Request) (quit bool) {
	args := req.Args
	k, cmd, name := lookup(args[0])
	s.commands++
	if !s.authed && name != "auth" && name != "hello" && name != "quit" && name != "reset" {
		s.settle()
		s.fail("NOAUTH Authentication required.")
		return false
	}
	if s.tx != nil && !(k == kTx && name != "unwatch" || name == "quit" || name == "reset") {
		s.queue(cmd, args, req.Raw)
		return false
	}
	if s.w.Proto == 2 && k != kSub && s.sub.subscribed() && name != "ping" && name != "quit" && name != "reset" {
		s.settle()
		s.fail(fmt.Sprintf("ERR Can't execute '%s': only (P|S)SUBSCRIBE / (P|S)UNSUBSCRIBE / PING / QUIT / RESET are allowed in this context", strings.ToLower(string(args[0]))))
		return false
	}
	switch k {
	case kLocal:
		s.settle() // the replies before it first
		return s.local(name, args, req.Raw)
	case kTx:
		s.settle()
		s.txCommand(name, cmd, args)
		return false
	case kSub:
		s.settle()
		s.subscribe(name, args)
		return false
	case kRefused:
		s.settle()
		s.fail(fmt.Sprintf("ERR '%s' is not supported through shoal proxy", name))
		return false
	case kFanout:
		if kind := fanoutKind(name, args); kind != "" {
			s.settle()
			s.fanout(kind, req.Raw)
			return false
		}
	}
	slot, err := slotOf(cmd, args)
	if err != "" {
		s.settle()
		if k == kSplit {
			s.split(name, args)
			return false
		}
		s.fail(err)
		return false
	}
	if k == kBlocking && (name != "xread" && name != "xreadgroup" || hasArg(args, "block")) {
		s.settle()
		s.w.Raw(s.blockingExchange(slot, req.Raw))
		return false
	}
	addr := ""
	if s.p.cfg.ReadFrom != ReadPrimary && slot >= 0 && k == kRoute && cmd != nil && cmd.Has(spec.ReadOnly) {
		addr = s.p.readAddr(slot, s.lane)
	}
	s.send(addr, slot, req.Raw)
	return false
}

// authCmd is the AUTH command the session's connections to the nodes send (nil:
// none).
func (s *session) authCmd() []byte {
	if s.cred != nil {
		return s.cred
	}
	return s.p.auth
}

// fail answers an error of the proxy's own (msg with its class: "ERR …").
func (s *session) fail(msg string) {
	s.w.Error(msg)
	s.p.stats.errorReply([]byte("-" + msg))
}

// hasArg reports whether an argument after the name is word (in any case).
func hasArg(args [][]byte, word string) bool {
	for _, a := range args[1:] {
		if strings.EqualFold(string(a), word) {
			return true
		}
	}
	return false
}

// slotOf is the slot every key of the request hashes to (-1 for a request without
// keys or a command unknown to the table, which the node answers), or the error to
// answer (keys in different slots).
func slotOf(cmd *spec.Command, args [][]byte) (int, string) {
	if cmd == nil {
		return -1, ""
	}
	if cmd.Subs != nil && len(args) > 1 {
		if sub := cmd.Subs[strings.ToLower(string(args[1]))]; sub != nil {
			cmd = sub
		}
	}
	slot := -1
	cross := false
	cmd.EachKey(args, func(i int, _ *spec.KeySpec) {
		k := slots.KeySlot(args[i])
		if slot >= 0 && k != slot {
			cross = true
		}
		slot = k
	})
	if cross {
		return 0, "CROSSSLOT Keys in request don't hash to the same slot"
	}
	return slot, ""
}

// newCall is a call for raw (copied) to slot's node, from the session's free list.
func (s *session) newCall(slot int, raw []byte) *call {
	var c *call
	if n := len(s.free); n > 0 {
		c, s.free = s.free[n-1], s.free[:n-1]
	} else {
		c = &call{w: s.wt}
	}
	c.raw = append(c.raw[:0], raw...)
	c.slot, c.asking, c.err, c.written = slot, false, nil, false
	return c
}

// release returns c to the free list (dropping buffers grown big).
func (s *session) release(c *call) {
	if cap(c.raw) > 64<<10 {
		c.raw = nil
	}
	if cap(c.reply) > 64<<10 {
		c.reply = nil
	}
	s.free = append(s.free, c)
}

// dispatch sends c on the session's link to addr; a call that cannot be sent gets
// errLinkDown (unsent: it is safe to send again).
func (s *session) dispatch(addr string, c *call) {
	if addr != "" {
		if l := s.link(addr); l != nil && l.send(c) {
			return
		}
	}
	c.err = errLinkDown
}

// linkCache remembers the links a session dispatched to (links.get), for the protocol
// and credentials they were got for: a session sends to a few nodes over and over.
type linkCache struct {
	proto int
	cred  []byte
	n     int // entries in use; past len(ents) the oldest are replaced
	ents  [8]struct {
		addr string
		l    *link
	}
}

// link returns the session's link to the node at addr, or nil when it cannot be had.
func (s *session) link(addr string) *link {
	lc := &s.links
	if lc.proto != s.w.Proto || string(lc.cred) != string(s.cred) {
		*lc = linkCache{proto: s.w.Proto, cred: s.cred}
	}
	i := 0
	for ; i < min(lc.n, len(lc.ents)); i++ {
		if e := &lc.ents[i]; e.addr == addr {
			if !e.l.isDead() {
				return e.l
			}
			break
		}
	}
	l, err := s.p.links.get(addr, s.w.Proto, s.lane, s.cred)
	if err != nil {
		return nil
	}
	if i == min(lc.n, len(lc.ents)) { // not cached
		i = lc.n % len(lc.ents)
		lc.n++
	}
	lc.ents[i].addr, lc.ents[i].l = addr, l
	return l
}

// send passes a request for slot on to the node at addr (its primary when "") without
// waiting for the reply (settle collects it).
func (s *session) send(addr string, slot int, raw []byte) {
	if len(s.batch) >= maxBatch || s.batchLen+len(raw) > maxBatchBytes {
		s.settle()
	}
	c := s.newCall(slot, raw)
	if addr == "" {
		addr = s.p.addrFor(slot)
	}
	s.dispatch(addr, c)
	s.batch = append(s.batch, c)
	s.batchLen += len(raw)
}

// settle waits for the batch's replies and appends them to the client's in order; a
// redirected request, or one whose node could not be reached, is sent again the
// one-at-a-time way.
func (s *session) settle() {
	if len(s.batch) == 0 {
		return
	}
	s.wt.wait()
	for _, c := range s.batch {
		s.w.Raw(s.finish(c))
		s.release(c)
	}
	clear(s.batch)
	s.batch, s.batchLen = s.batch[:0], 0
}

// finish is a done call's reply to pass on: its own, or after a redirection or an
// unsent request the reply of exchange.
func (s *session) finish(c *call) []byte {
	reply := c.reply
	switch {
	case c.err != nil && c.written:
		reply = []byte(lostReply)
	case c.err != nil || isRedirect(c.reply):
		reply = s.exchange(c.slot, c.raw)
	}
	if len(reply) > 0 && reply[0] == '-' {
		s.p.stats.errorReply(reply)
	}
	return reply
}

// lostReply answers a request whose node connection failed after it was written.
const lostReply = "-ERR shoal proxy: the connection to the node was lost; the command may or may not have run\r\n"

// isRedirect reports whether reply is MOVED or ASK.
func isRedirect(reply []byte) bool {
	return len(reply) > 4 && reply[0] == '-' && (bytes.HasPrefix(reply, []byte("-MOVED ")) || bytes.HasPrefix(reply, []byte("-ASK ")))
}

// exchange sends a request to the primary of slot (any primary for -1) on the
// session's link and returns its reply, following MOVED (the slot map is read again)
// and ASK; an error reply when no node answers.
func (s *session) exchange(slot int, raw []byte) []byte {
	return s.redirected(slot, raw, func(addr string, raw []byte, asking bool) ([]byte, error, bool) {
		c := s.newCall(slot, raw)
		defer s.release(c)
		if asking {
			c.raw = append(append(c.raw[:0], "*1\r\n$6\r\nASKING\r\n"...), raw...)
			c.asking = true
		}
		s.dispatch(addr, c)
		s.wt.wait()
		if c.err != nil {
			return nil, c.err, c.written
		}
		return append([]byte(nil), c.reply...), nil, false
	})
}

// blockingExchange is exchange on the session's own connections, for a blocking
// command (it may wait long): when the node fails while the command waits, the
// command is sent again once the slot has another primary (after a failover), for up
// to failoverWait, and again while that primary answers CLUSTERDOWN (before its first
// write lease) or TRYAGAIN. (An element the old primary handed out just as it failed,
// its reply lost, is lost, as for a client that retries.)
func (s *session) blockingExchange(slot int, raw []byte) []byte {
	return s.redirected(slot, raw, func(addr string, raw []byte, asking bool) ([]byte, error, bool) {
		deadline := time.Now().Add(failoverWait)
		for {
			reply, err := s.roundTrip(addr, raw, asking)
			if err == nil && !(isDown(reply) && time.Now().Before(deadline)) {
				return reply, nil, false
			}
			if err == nil {
				// A primary just promoted may refuse until its first lease: try again.
				time.Sleep(50 * time.Millisecond)
				addr, asking = s.p.addrFor(slot), false
				if addr == "" {
					return reply, nil, false
				}
				continue
			}
			s.drop(addr)
			for next := s.p.addrFor(slot); next == addr || next == ""; next = s.p.addrFor(slot) {
				if time.Now().After(deadline) {
					return nil, err, !errors.Is(err, errDial)
				}
				time.Sleep(50 * time.Millisecond)
				s.p.refresh()
			}
			addr, asking = s.p.addrFor(slot), false
		}
	})
}

// isDown reports whether reply is CLUSTERDOWN or TRYAGAIN.
func isDown(reply []byte) bool {
	return bytes.HasPrefix(reply, []byte("-CLUSTERDOWN ")) || bytes.HasPrefix(reply, []byte("-TRYAGAIN "))
}

// failoverWait is how long a blocking command whose node failed waits for its slot's
// new primary.
const failoverWait = 30 * time.Second

// redirected runs one request through try until it is neither redirected nor failed
// before it was sent. After a redirection or a node that cannot be reached it goes on
// (where MOVED or ASK says, or where the slot map says after reading it again), a
// little slower each time, for up to redirectWait: a node may learn of a new
// topology a moment after the proxy or its peers, and the client is not to see a
// redirection.
func (s *session) redirected(slot int, raw []byte, try func(addr string, raw []byte, asking bool) (reply []byte, err error, written bool)) []byte {
	addr := s.p.addrFor(slot)
	asking := false
	var deadline time.Time
	for n := 0; ; n++ {
		if n > 0 {
			if deadline.IsZero() {
				deadline = time.Now().Add(redirectWait)
			}
			if n > 2 {
				time.Sleep(min(time.Duration(n)*10*time.Millisecond, 100*time.Millisecond))
			}
		}
		late := !deadline.IsZero() && time.Now().After(deadline)
		if addr == "" {
			if late {
				return []byte("-CLUSTERDOWN Hash slot not served\r\n")
			}
			s.p.refresh()
			addr = s.p.addrFor(slot)
			continue
		}
		reply, err, written := try(addr, raw, asking)
		if err != nil {
			if written {
				return []byte(lostReply)
			}
			if late {
				return []byte("-CLUSTERDOWN The cluster is down\r\n")
			}
			s.p.refresh()
			addr, asking = s.p.addrFor(slot), false
			continue
		}
		if !late && len(reply) > 0 && reply[0] == '-' {
			if target, ok := redirect(reply, "-MOVED "); ok {
				s.p.stats.moved.Add(1)
				go s.p.refresh()
				addr, asking = target, false
				continue
			}
			if target, ok := redirect(reply, "-ASK "); ok {
				s.p.stats.ask.Add(1)
				addr, asking = target, true
				continue
			}
		}
		return reply
	}
}

// redirectWait bounds how long a request keeps following redirections and nodes that
// cannot be reached.
const redirectWait = 3 * time.Second

// redirect reads the address of a "-MOVED <slot> <addr>" or "-ASK …" reply.
func redirect(reply []byte, prefix string) (string, bool) {
	line, ok := strings.CutPrefix(strings.TrimRight(string(reply), "\r\n"), prefix)
	if !ok {
		return "", false
	}
	_, addr, ok := strings.Cut(line, " ")
	return addr, ok && addr != ""
}

// trimReply is a reply without its type byte and line end (for messages).
func trimReply(reply []byte) string {
	if len(reply) > 0 {
		reply = reply[1:]
	}
	return strings.TrimRight(string(reply), "\r\n")
}
