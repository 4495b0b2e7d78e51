package node

import (
	"crypto/tls"
	"errors"
	"net"
	"runtime"
	"time"

	"github.com/shoal-db/shoal/node/conf"
	"github.com/shoal-db/shoal/node/resp"
)

const (
	// replyFlushAt flushes a batch's replies early once they pass this size, so a long
	// pipeline of big replies does not pile up in memory.
	replyFlushAt = 64 << 10
	// replyBufKeep is the largest reply buffer kept between batches.
	replyBufKeep = 1 << 20
)

const protectedModeMsg = "-DENIED shoal is running in protected mode because protected mode is enabled and no password is set for the default user. In this mode connections are only accepted from the loopback interface. If you want to connect from external computers to shoal you may adopt one of the following solutions: 1) Just disable protected mode sending the command 'CONFIG SET protected-mode no' from the loopback interface by connecting to shoal from the same host the server is running, however MAKE SURE shoal is not publicly accessible from internet if you do so. Use CONFIG REWRITE to make this change permanent. 2) Alternatively you can just disable the protected mode by editing the shoal configuration file, and setting the protected mode option to 'no', and then restarting the server. 3) If you started the server manually just for testing, restart it with the '--protected-mode no' option. 4) Set up an authentication password for the default user. NOTE: You only need to do one of the above things in order for the server to start accepting connections from the outside.\r\n"

// tcpConn is the TCP connection under nc (under its TLS layer and resp.RawConn's
// wrapper, if any), nil for a Unix socket.
func tcpConn(nc net.Conn) *net.TCPConn {
	for {
		switch t := nc.(type) {
		case *net.TCPConn:
			return t
		case *tls.Conn:
			nc = t.NetConn()
		case interface{ Unwrap() net.Conn }:
			nc = t.Unwrap()
		default:
			return nil
		}
	}
}

// serveConn runs one connection: admission checks, then the read → execute → flush
// pipeline until the client leaves, is killed or the server closes.
func (s *Server) serveConn(nc net.Conn) {
	defer nc.Close()
	cfg := s.config()
	if tc := tcpConn(nc); tc != nil {
		tc.SetNoDelay(true)
		if cfg.TCPKeepalive > 0 {
			tc.SetKeepAliveConfig(net.KeepAliveConfig{Enable: true, Idle: time.Duration(cfg.TCPKeepalive) * time.Second,
				Interval: time.Duration(cfg.TCPKeepalive) * time.Second / 3, Count: 3})
		}
	}
	if cfg.ProtectedMode && s.acl.def.get().NoPass && !isLocal(nc) {
		nc.Write([]byte(protectedModeMsg))
		s.stats.rejectedConns.Add(1)
		return
	}
	c := s.newClient(resp.RawConn(nc))
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return
	}
	if len(s.clients) >= cfg.MaxClients {
		s.mu.Unlock()
		nc.Write([]byte("-ERR max number of clients reached\r\n"))
		s.stats.rejectedConns.Add(1)
		return
	}
	s.clients[c.id] = c
	s.mu.Unlock()
	s.stats.connections.Add(1)
	defer func() {
		c.endMulti()
		c.unsubscribeAll()
		c.stopMonitor()
		c.stopTracking()
		if c.replica != nil {
			s.dropReplica(c.replica)
		}
		if c.out != nil {
			c.putReplies()
			c.out.close()
		}
		s.mu.Lock()
		delete(s.clients, c.id)
		s.mu.Unlock()
	}()
	c.loop()
}

func isLocal(nc net.Conn) bool {
	switch a := nc.RemoteAddr().(type) {
	case *net.TCPAddr:
		return a.IP.IsLoopback()
	case *net.UnixAddr:
		return true
	}
	return false
}

func (s *Server) newClient(nc net.Conn) *Client {
	cfg := s.config()
	now := time.Now()
	c := &Client{
		s:       s,
		id:      s.nextID.Add(1),
		conn:    nc,
		created: now,
		db:      s.eng.DB(0),
		waker:   make(chan struct{}, 1),
	}
	c.multiLen.Store(-1)
	c.proto.Store(2)
	c.rd = resp.NewReader(nc, resp.Limits{MaxBulkLen: cfg.ProtoMaxBulkLen, MaxQueryBuf: cfg.ClientQueryBufferLimit})
	c.authenticated = s.defaultAuthenticated()
	c.rd.SetUnauthenticated(!c.authenticated)
	c.user.Store(s.acl.def)
	c.w.Proto = 2
	c.lastSeen.Store(monoMs())
	_, unix := nc.LocalAddr().(*net.UnixAddr)
	c.info = clientInfo{proto: 2, user: "default", addr: nc.RemoteAddr().String(), laddr: nc.LocalAddr().String(), unix: unix}
	return c
}

// loop is the connection's pipeline: execute every complete request already received,
// then flush the replies once and read more, yielding once per batch to the other ready
// clients (see serve). On a LoopReader conn the pipeline runs inside its ReadLoop, left
// only to park the client in a blocking command (a goroutine then watches the socket).
func (c *Client) loop() {
	lr, _ := c.conn.(resp.LoopReader)
	for {
		var st int
		if lr != nil {
			if lr.ReadLoop(func() bool { st = c.serve(); return st != serveWait }) != nil {
				return
			}
		} else {
			st = c.serve()
		}
		if st == serveEnd {
			return
		}
		c.s.waitBlocked(c)
		if c.afterExecute() {
			return
		}
	}
}

// What serve stops for.
const (
	serveEnd  = iota // the connection ends
	serveWait        // the socket has nothing to read yet (inside ReadLoop only)
	servePark        // a blocking command parked the client: loop waits for it
)

// serve runs the pipeline until it must stop: the connection ends, a blocking command
// parked the client (the socket watcher then reads, outside any ReadLoop), or, inside a
// LoopReader's ReadLoop, the socket has nothing yet (elsewhere a read waits for it).
func (c *Client) serve() int {
	s := c.s
	for {
		req, ok, err := c.rd.Next()
		if err != nil {
			var pe *resp.ProtocolError
			if errors.As(err, &pe) {
				c.Err("ERR " + pe.Msg)
				c.flush()
				s.log.Verbosef("Protocol error (%s) from client: id=%d addr=%s", pe.Msg, c.id, c.info.addr)
			} else {
				c.flush()
				s.log.Warningf("Closing client that reached max query buffer length: id=%d addr=%s", c.id, c.info.addr)
			}
			return serveEnd
		}
		if !ok {
			// Once per batch the goroutine yields to the other clients whose requests
			// are in, as an event loop serves every ready client in a turn: after a
			// pipelined batch, before its replies are written, so replies leave
			// together and a client program reading several connections is woken once
			// for them (a wakeup can cost more than the batch on a VM); after a
			// single request's reply, before reading, so that the client's next
			// request has likely arrived by then and the goroutine need not park in
			// the network poller.
			if c.batch > 1 {
				runtime.Gosched()
			}
			if !c.flush() || c.closeAfter || c.killed.Load() {
				return serveEnd
			}
			if c.batch == 1 {
				runtime.Gosched()
			}
			c.batch = 0
			if err := c.rd.Fill(); err != nil {
				if err == resp.ErrWait {
					return serveWait
				}
				return serveEnd
			}
			c.clockAt = monotonic() // one clock reading for both
			c.lastSeen.Store(c.clockAt.Milliseconds())
			c.ahead = aheadPending
			continue
		}
		if c.ahead == aheadPending {
			c.ahead = c.prefetchBatch(req.Args)
		}
		if isSecurityAttack(req.Args) {
			s.log.Warningf("Possible SECURITY ATTACK detected. It looks like somebody is sending POST or Host: commands to shoal. This is likely due to an attacker attempting to use Cross Protocol Scripting to compromise your shoal instance. Connection from %s aborted.", c.info.addr)
			return serveEnd
		}
		s.execute(c, req.Args)
		c.batch++
		c.prefetchNext(c.rd, &c.ahead)
		if c.parked != nil {
			return servePark
		}
		if c.afterExecute() {
			return serveEnd
		}
	}
}

// afterExecute applies the output limits after a command and reports whether the
// connection ends.
func (c *Client) afterExecute() bool {
	if c.out == nil && c.overNormalLimit() {
		return true
	}
	if c.closeAfter {
		c.flush()
		return true
	}
	return c.w.Len() >= replyFlushAt && !c.flush()
}

// overNormalLimit applies client-output-buffer-limit normal to the replies batched for
// a client without an outbox, closing it past the hard limit (or past the soft limit
// for longer than its seconds).
func (c *Client) overNormalLimit() bool {
	if !c.s.config().ClientOutputBufferLimit[conf.ClassNormal].Over(uint64(c.w.Len()), &c.softSince) {
		return false
	}
	c.s.stats.outputLimitDisconnects.Add(1)
	c.s.log.Warningf("Client id=%d addr=%s closed for overcoming of output buffer limits.", c.id, c.getInfo().addr)
	return true
}

// isSecurityAttack recognizes an HTTP request sent to the RESP port (Redis's
// securityWarningCommand for "POST" and "Host:").
func isSecurityAttack(args [][]byte) bool {
	return len(args) > 0 && (equalFold(args[0], "POST") || equalFold(args[0], "HOST:"))
}

// flush writes the pending replies; false when the connection is gone.
func (c *Client) flush() bool {
	c.clockAt = 0 // the next command's time starts after the write
	if c.aofOff != 0 {
		c.s.waitAOF(c)
	}
	if c.safeOff != 0 && !c.s.waitSafe(c) {
		c.w.Reset()
		return false // the write's fate is unknown: the client must not read it as done
	}
	if c.w.Len() == 0 {
		return c.out == nil || !c.killed.Load()
	}
	if c.out != nil {
		ok := c.out.append(c.w.B)
		c.w.Reset()
		return ok
	}
	_, err := c.conn.Write(c.w.B)
	c.w.Reset()
	if cap(c.w.B) > replyBufKeep {
		c.w.B = nil
	}
	return err == nil
}
