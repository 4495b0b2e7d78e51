package proxy

import (
	"bufio"
	"fmt"
	"net"
	"strings"
	"sync"
	"time"
)

// Client-side caching (CLIENT TRACKING) through the proxy. A node tracks the keys a
// connection read, but a client's reads go on shared connections; so the proxy tracks
// in broadcasting mode instead: the session's own connection to every primary runs
// CLIENT TRACKING ON BCAST (with the client's prefixes), and the invalidation pushes
// they receive go to the client. A client in the default mode is told of more
// changes than it read (every key of its prefixes), never fewer: what it cached is
// never stale for longer than a push takes. When a connection is made again (a
// failover, a new primary) the client is told to drop everything it cached, since
// pushes may have been missed meanwhile. RESP3 only (the pushes go to the client's
// own connection; RESP2's REDIRECT to another client is not supported).

// trackState is a session's tracking: its connections, by primary.
type trackState struct {
	s      *session
	cmd    []byte // CLIENT TRACKING ON BCAST [PREFIX p …] as sent to each primary
	mu     sync.Mutex
	conns  map[string]net.Conn
	closed bool
}

// tracking answers CLIENT TRACKING ON|OFF [options].
func (s *session) tracking(args [][]byte) {
	if len(args) < 3 {
		s.fail("ERR wrong number of arguments for 'client|tracking' command")
		return
	}
	switch strings.ToLower(string(args[2])) {
	case "off":
		s.track.close()
		s.track = nil
		s.w.OK()
		return
	case "on":
	default:
		s.fail("ERR syntax error")
		return
	}
	if s.w.Proto != 3 {
		s.fail("ERR CLIENT TRACKING through shoal proxy needs RESP3 (HELLO 3): the invalidations come on the client's connection")
		return
	}
	cmd := [][]byte{[]byte("CLIENT"), []byte("TRACKING"), []byte("ON"), []byte("BCAST")}
	for i := 3; i < len(args); i++ {
		switch opt := strings.ToLower(string(args[i])); opt {
		case "prefix":
			if i+1 >= len(args) {
				s.fail("ERR syntax error")
				return
			}
			cmd = append(cmd, []byte("PREFIX"), args[i+1])
			i++
		case "bcast", "optin", "optout", "noloop": // (broadcasting covers them: more pushes, never fewer)
		case "redirect":
			s.fail("ERR CLIENT TRACKING REDIRECT is not supported through shoal proxy (use RESP3)")
			return
		default:
			s.fail("ERR syntax error")
			return
		}
	}
	s.track.close()
	t := &trackState{s: s, cmd: command(cmd), conns: map[string]net.Conn{}}
	t.mu.Lock()
	err := t.placeLocked()
	t.mu.Unlock()
	if err != nil {
		t.close()
		s.fail(err.Error())
		return
	}
	s.track = t
	s.p.follow(t)
	s.w.OK()
}

// placeLocked gives every primary a tracking connection and closes those to nodes
// that are no longer primaries; it reports the first failure (the connections made
// stay). With t.mu held.
func (t *trackState) placeLocked() error {
	primaries := map[string]bool{}
	var first error
	for _, addr := range t.s.p.primaries() {
		primaries[addr] = true
		if t.conns[addr] != nil {
			continue
		}
		conn, err := t.dial(addr)
		if err != nil {
			if first == nil {
				first = err
			}
			continue
		}
		t.conns[addr] = conn
		go t.read(addr, conn)
	}
	for addr, conn := range t.conns {
		if !primaries[addr] {
			conn.Close()
			delete(t.conns, addr)
		}
	}
	return first
}

// dial opens a tracking connection to addr and turns tracking on.
func (t *trackState) dial(addr string) (net.Conn, error) {
	p := t.s.p
	conn, err := dialNode(p.dialer(), addr, 3, t.s.authCmd(), p.cfg.Timeout, false)
	if err != nil {
		return nil, fmt.Errorf("CLUSTERDOWN The cluster is down")
	}
	conn.SetDeadline(time.Now().Add(p.cfg.Timeout))
	br := bufio.NewReader(conn)
	_, err = conn.Write(t.cmd)
	var reply []byte
	if err == nil {
		reply, err = readReply(br, nil)
	}
	if err != nil || len(reply) == 0 || reply[0] != '+' {
		conn.Close()
		if len(reply) > 0 && reply[0] == '-' {
			return nil, fmt.Errorf("%s", trimReply(reply))
		}
		return nil, fmt.Errorf("CLUSTERDOWN The cluster is down")
	}
	conn.SetDeadline(time.Time{})
	return &bufConn{Conn: conn, br: br}, nil
}

// bufConn is a connection whose reads go through the reader that read its first
// reply.
type bufConn struct {
	net.Conn
	br *bufio.Reader
}

func (c *bufConn) Read(b []byte) (int, error) { return c.br.Read(b) }

// read passes a connection's invalidation pushes to the client; when it fails, the
// connections are placed again and the client told to drop its whole cache.
func (t *trackState) read(addr string, conn net.Conn) {
	br := bufio.NewReaderSize(conn, 16<<10)
	for {
		reply, err := readReply(br, nil)
		if err != nil {
			break
		}
		if elems, ok := elements(reply); ok && len(elems) > 0 && strings.EqualFold(trimBulk(elems[0]), "invalidate") {
			t.s.writeAsync(reply)
		}
	}
	conn.Close()
	t.mu.Lock()
	if t.conns[addr] == conn {
		delete(t.conns, addr)
	}
	t.mu.Unlock()
	t.replace()
}

// flushAll is the push telling a client to drop everything it cached.
const flushAll = ">2\r\n$10\r\ninvalidate\r\n_\r\n"

// replace gives every primary a tracking connection again, trying until it succeeds
// or tracking ends, then tells the client to drop its cache.
func (t *trackState) replace() {
	retrying(t.s.p, &t.mu, func() bool { return t.closed }, func() bool {
		if t.placeLocked() != nil {
			return false
		}
		t.s.writeAsync([]byte(flushAll))
		return true
	})
}

// moved places the connections again after the slot map changed (a new primary).
func (t *trackState) moved() {
	t.mu.Lock()
	if t.closed {
		t.mu.Unlock()
		return
	}
	before := len(t.conns)
	err := t.placeLocked()
	added := len(t.conns) > before
	t.mu.Unlock()
	if err != nil {
		go t.replace()
	} else if added {
		t.s.writeAsync([]byte(flushAll))
	}
}

// close ends tracking.
func (t *trackState) close() {
	if t == nil {
		return
	}
	t.s.p.forget(t)
	t.mu.Lock()
	defer t.mu.Unlock()
	t.closed = true
	for _, conn := range t.conns {
		conn.Close()
	}
}
