package failover

import (
	"fmt"
	"net"
	"strings"
	"sync"
	"time"

	"github.com/shoal-db/shoal/node/glob"
	"github.com/shoal-db/shoal/node/resp"
)

// The sentinel's RESP endpoint: one session per client connection. Replies and
// pub/sub messages leave through the session's queue, drained by its own writer, so
// a publisher (the Raft goroutine applying a failover, a prober) never waits for a
// slow client; a client that lets maxPending bytes pile up is disconnected, as
// Redis's client-output-buffer-limit for pub/sub clients does.

// Input limits of a sentinel connection: its commands are short.
var sentinelLimits = resp.Limits{MaxBulkLen: 1 << 20, MaxQueryBuf: 4 << 20}

// maxPending bounds the bytes queued for one client.
const maxPending = 8 << 20

// session is one client connection.
type session struct {
	conn net.Conn
	w    resp.Writer // the reply being built (the reading goroutine's)

	mu       sync.Mutex
	out      []byte // queued for the writer
	closed   bool
	wake     chan struct{}
	proto    int // w.Proto, for publishers
	name     string
	channels map[string]bool // SUBSCRIBE
	patterns map[string]bool // PSUBSCRIBE
}

func newSession(conn net.Conn) *session {
	c := &session{conn: conn, wake: make(chan struct{}, 1), channels: map[string]bool{}, patterns: map[string]bool{}}
	c.w.Proto, c.proto = 2, 2
	return c
}

// send queues b for the client; past maxPending the connection is closed.
func (c *session) send(b []byte) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.closed {
		return
	}
	if len(c.out)+len(b) > maxPending {
		c.closed = true
		c.conn.Close()
		return
	}
	c.out = append(c.out, b...)
	select {
	case c.wake <- struct{}{}:
	default:
	}
}

// writer writes what send queued until done closes, and then what is left (a QUIT's
// +OK); a write error closes the connection.
func (c *session) writer(done <-chan struct{}) {
	var buf []byte
	for {
		last := false
		select {
		case <-done:
			last = true
		case <-c.wake:
		}
		c.mu.Lock()
		buf, c.out = c.out, buf[:0]
		c.mu.Unlock()
		if len(buf) > 0 {
			if last {
				c.conn.SetWriteDeadline(time.Now().Add(time.Second))
			}
			if _, err := c.conn.Write(buf); err != nil {
				c.conn.Close()
				return
			}
		}
		if last {
			return
		}
	}
}

// subscribed is how many channels and patterns the session listens to.
func (c *session) subscribed() int { return len(c.channels) + len(c.patterns) }

// serveConn answers one client until it disconnects.
func (s *Sentinel) serveConn(conn net.Conn) {
	c := newSession(conn)
	done := make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		c.writer(done)
	}()
	defer func() {
		s.unsubscribeAll(c)
		c.mu.Lock()
		c.closed = true
		c.mu.Unlock()
		close(done)
		wg.Wait()
	}()
	rd := resp.NewReader(conn, sentinelLimits)
	for {
		req, ok, err := rd.Next()
		if err != nil {
			return
		}
		if !ok {
			if c.w.Len() > 0 {
				c.send(c.w.B)
				c.w.Reset()
			}
			if err := rd.Fill(); err != nil {
				return
			}
			continue
		}
		if s.sessionCommand(c, req.Args) {
			c.send(c.w.B)
			return // QUIT
		}
	}
}

// sessionCommand runs the commands that concern the connection itself (pub/sub,
// HELLO, CLIENT, QUIT) and hands the others to command; it reports QUIT.
func (s *Sentinel) sessionCommand(c *session, args [][]byte) (quit bool) {
	w := &c.w
	name := strings.ToUpper(string(args[0]))
	if c.subscribed() > 0 && w.Proto < 3 {
		switch name {
		case "SUBSCRIBE", "UNSUBSCRIBE", "PSUBSCRIBE", "PUNSUBSCRIBE", "PING", "QUIT", "RESET":
		default:
			w.Error(fmt.Sprintf("ERR Can't execute '%s': only (P|S)SUBSCRIBE / (P|S)UNSUBSCRIBE / PING / QUIT / RESET are allowed in this context",
				strings.ToLower(name)))
			return false
		}
	}
	switch name {
	case "QUIT":
		w.OK()
		return true
	case "PING":
		if len(args) > 2 {
			w.Error("ERR wrong number of arguments for 'ping' command")
			return false
		}
		if c.subscribed() > 0 && w.Proto < 3 {
			w.Array(2)
			w.BulkString("pong")
			if len(args) == 2 {
				w.Bulk(args[1])
			} else {
				w.BulkString("")
			}
			return false
		}
		if len(args) == 2 {
			w.Bulk(args[1])
		} else {
			w.Simple("PONG")
		}
	case "SUBSCRIBE", "PSUBSCRIBE":
		if len(args) < 2 {
			w.Error(fmt.Sprintf("ERR wrong number of arguments for '%s' command", strings.ToLower(name)))
			return false
		}
		for _, a := range args[1:] {
			s.subscribe(c, name == "PSUBSCRIBE", string(a))
		}
	case "UNSUBSCRIBE", "PUNSUBSCRIBE":
		s.unsubscribe(c, name == "PUNSUBSCRIBE", args[1:])
	case "RESET":
		s.unsubscribeAll(c)
		w.Proto = 2
		c.mu.Lock()
		c.proto = 2
		c.mu.Unlock()
		c.name = ""
		w.Simple("RESET")
	case "HELLO":
		s.hello(c, args)
	case "CLIENT":
		s.client(c, args)
	default:
		s.command(w, args)
	}
	return false
}

// hello answers HELLO [protover [AUTH user pass] [SETNAME name]].
func (s *Sentinel) hello(c *session, args [][]byte) {
	w := &c.w
	if len(args) > 1 {
		switch string(args[1]) {
		case "2", "3":
		default:
			w.Error("NOPROTO unsupported protocol version")
			return
		}
		for i := 2; i < len(args); i++ {
			switch opt := strings.ToUpper(string(args[i])); {
			case opt == "SETNAME" && i+1 < len(args):
				c.name = string(args[i+1])
				i++
			case opt == "AUTH" && i+2 < len(args):
				w.Error("ERR AUTH <password> called without any password configured for the default user. Are you sure your configuration is correct?")
				return
			default:
				w.Error(fmt.Sprintf("ERR Syntax error in HELLO option '%s'", args[i]))
				return
			}
		}
		w.Proto = int(args[1][0] - '0')
		c.mu.Lock()
		c.proto = w.Proto
		c.mu.Unlock()
	}
	w.Map(7)
	w.BulkString("server")
	w.BulkString("redis")
	w.BulkString("version")
	w.BulkString(redisVersion)
	w.BulkString("proto")
	w.Int(int64(w.Proto))
	w.BulkString("id")
	w.Int(1)
	w.BulkString("mode")
	w.BulkString("sentinel")
	w.BulkString("role")
	w.BulkString("sentinel")
	w.BulkString("modules")
	w.Array(0)
}

// client answers the CLIENT subcommands a client library sends on connecting.
func (s *Sentinel) client(c *session, args [][]byte) {
	w := &c.w
	sub := ""
	if len(args) > 1 {
		sub = strings.ToUpper(string(args[1]))
	}
	switch {
	case sub == "SETNAME" && len(args) == 3:
		c.name = string(args[2])
		w.OK()
	case sub == "GETNAME" && len(args) == 2:
		if c.name == "" {
			w.Null()
			return
		}
		w.BulkString(c.name)
	case sub == "SETINFO" && len(args) == 4:
		w.OK()
	case sub == "ID" && len(args) == 2:
		w.Int(1)
	default:
		w.Error(fmt.Sprintf("ERR unknown subcommand '%s'. Try CLIENT HELP.", strings.ToLower(sub)))
	}
}

// subscribe adds a channel (or a pattern) to c and answers as SUBSCRIBE does.
func (s *Sentinel) subscribe(c *session, pattern bool, ch string) {
	s.subMu.Lock()
	c.mu.Lock()
	set, kind := c.channels, "subscribe"
	if pattern {
		set, kind = c.patterns, "psubscribe"
	}
	set[ch] = true
	n := c.subscribed()
	c.mu.Unlock()
	s.subs[c] = struct{}{}
	s.subMu.Unlock()
	c.w.Push(3)
	c.w.BulkString(kind)
	c.w.BulkString(ch)
	c.w.Int(int64(n))
}

// unsubscribe removes the named channels (or patterns), all of them when none is
// named, answering as UNSUBSCRIBE does.
func (s *Sentinel) unsubscribe(c *session, pattern bool, names [][]byte) {
	s.subMu.Lock()
	defer s.subMu.Unlock()
	c.mu.Lock()
	set, kind := c.channels, "unsubscribe"
	if pattern {
		set, kind = c.patterns, "punsubscribe"
	}
	var list []string
	if len(names) == 0 {
		for ch := range set {
			list = append(list, ch)
		}
	}
	for _, n := range names {
		list = append(list, string(n))
	}
	c.mu.Unlock()
	if len(list) == 0 {
		c.w.Push(3)
		c.w.BulkString(kind)
		c.w.Null()
		c.w.Int(int64(c.subscribed()))
	}
	for _, ch := range list {
		c.mu.Lock()
		delete(set, ch)
		n := c.subscribed()
		c.mu.Unlock()
		c.w.Push(3)
		c.w.BulkString(kind)
		c.w.BulkString(ch)
		c.w.Int(int64(n))
	}
	if c.subscribed() == 0 {
		delete(s.subs, c)
	}
}

// unsubscribeAll drops every subscription of c, without a reply.
func (s *Sentinel) unsubscribeAll(c *session) {
	s.subMu.Lock()
	defer s.subMu.Unlock()
	c.mu.Lock()
	clear(c.channels)
	clear(c.patterns)
	c.mu.Unlock()
	delete(s.subs, c)
}

// publish sends message msg on channel ch to every subscriber, as a pub/sub message
// (RESP3 push or RESP2 array); it never blocks.
func (s *Sentinel) publish(ch, msg string) {
	s.subMu.Lock()
	defer s.subMu.Unlock()
	for c := range s.subs {
		var w resp.Writer
		c.mu.Lock()
		w.Proto = c.proto
		if c.channels[ch] {
			w.Push(3)
			w.BulkString("message")
			w.BulkString(ch)
			w.BulkString(msg)
		}
		for p := range c.patterns {
			if glob.Match([]byte(p), []byte(ch), false) {
				w.Push(4)
				w.BulkString("pmessage")
				w.BulkString(p)
				w.BulkString(ch)
				w.BulkString(msg)
			}
		}
		c.mu.Unlock()
		if w.Len() > 0 {
			c.send(w.B)
		}
	}
}
