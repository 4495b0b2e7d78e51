package node

import (
	"net"
	"sync"
	"sync/atomic"
	"time"

	"github.com/shoal-db/shoal/node/conf"
)

// outbox is the output path of a client that receives data it did not ask for
// (pub/sub messages, keyspace notifications, MONITOR lines): any goroutine appends to
// it and the client's writer goroutine drains it to the socket, so a publisher never
// waits for a slow reader. Once a client has an outbox its replies go through it too
// (moved in before its command's stripe locks are released), so replies and pushes
// reach the socket in the order they were produced.
//
// The pending bytes are bounded by client-output-buffer-limit of the client's class:
// past the hard limit, or past the soft limit for longer than its seconds, the client
// is disconnected and its output dropped.
//
// An online replica's stream does not go through buf: the writer takes it from the
// stream's shared buffer (replState.fan) when it wakes, and the feed checks the
// replica's limit (see replState.fanOut).
type outbox struct {
	s    *Server
	c    *Client
	conn net.Conn
	rp   atomic.Pointer[replica] // the replica link whose stream it carries, once online

	mu        sync.Mutex
	buf       []byte // appended, not yet taken by the writer
	inflight  int    // bytes the writer is writing now
	softSince int64  // Unix seconds the soft limit was first exceeded, 0 = below it
	dead      bool   // the limit was hit or a write failed: drop everything
	closing   bool   // the connection ends: drain and stop
	wake      chan struct{}
	done      chan struct{} // closed when the writer returns

	gathering atomic.Bool // a replica link's writer waits for more of the stream (gather)
	timer     *time.Timer // gather's; the writer's own
	wroteAt   time.Time   // the writer's last write
}

// ensureOutbox switches the client to asynchronous output (idempotent; connection
// goroutine only). Replies already batched in c.w move into the outbox first.
func (c *Client) ensureOutbox() *outbox {
	if c.out != nil {
		return c.out
	}
	o := &outbox{s: c.s, c: c, conn: c.conn, wake: make(chan struct{}, 1), done: make(chan struct{})}
	c.out = o
	c.sharedOut.Store(o)
	c.s.goTracked(o.writer)
	return o
}

// putReplies moves the client's batched replies into its outbox.
func (c *Client) putReplies() {
	if c.w.Len() > 0 {
		c.out.append(c.w.B)
		c.w.Reset()
	}
}

// append queues b for the socket and enforces the output buffer limits. It never
// blocks on the network; it reports false when the client is being disconnected.
func (o *outbox) append(b []byte) bool {
	o.mu.Lock()
	defer o.mu.Unlock()
	return o.appendLocked(b)
}

func (o *outbox) appendLocked(b []byte) bool {
	if o.dead {
		return false
	}
	o.buf = append(o.buf, b...)
	if o.overLimit() {
		o.kill()
		return false
	}
	o.poke()
	return true
}

// poke wakes the writer (it may be asleep, or about to be).
func (o *outbox) poke() {
	select {
	case o.wake <- struct{}{}:
	default:
	}
}

// overLimit applies client-output-buffer-limit of the client's class to the bytes not
// yet written (Redis's checkClientOutputBufferLimits). o.mu is held.
func (o *outbox) overLimit() bool {
	used := uint64(len(o.buf) + o.inflight + o.streamPending())
	return o.s.config().ClientOutputBufferLimit[o.c.class()].Over(used, &o.softSince)
}

// streamPending is how many bytes of a replica's stream are not yet written.
func (o *outbox) streamPending() int {
	if rp := o.rp.Load(); rp != nil {
		return int(o.s.repl.fanEnd.Load() - rp.sent.Load())
	}
	return 0
}

// streamWaiting reports whether a replica's stream has bytes its writer has not taken.
func (o *outbox) streamWaiting() bool {
	rp := o.rp.Load()
	return rp != nil && rp.taken.Load() < o.s.repl.fanEnd.Load()
}

// kill drops the client for exceeding its output buffer limit. o.mu is held.
func (o *outbox) kill() {
	o.dead = true
	o.buf = nil
	o.s.stats.outputLimitDisconnects.Add(1)
	info := o.c.getInfo()
	o.s.log.Warningf("Client id=%d addr=%s scheduled to be closed ASAP for overcoming of output buffer limits.", o.c.id, info.addr)
	o.c.killed.Store(true)
	o.conn.Close()
	o.poke()
	select {
	case o.c.waker <- struct{}{}:
	default:
	}
}

// pending is the number of bytes queued and not yet written (CLIENT LIST omem).
func (o *outbox) pending() int {
	o.mu.Lock()
	defer o.mu.Unlock()
	return len(o.buf) + o.inflight + o.streamPending()
}

// writer drains the outbox to the socket until the connection ends.
func (o *outbox) writer() {
	defer close(o.done)
	var out []byte
	for {
		o.mu.Lock()
		for len(o.buf) == 0 && !o.dead && !o.closing && !o.streamWaiting() {
			o.mu.Unlock()
			<-o.wake
			o.mu.Lock()
		}
		stream := o.rp.Load() != nil && !o.closing
		if o.dead || len(o.buf) == 0 && !(stream && o.streamWaiting()) {
			o.mu.Unlock()
			return
		}
		if len(o.buf)+o.streamPending() < coalesceBelow && o.c.isReplica.Load() && !o.closing && time.Since(o.wroteAt) < coalesceMax {
			o.mu.Unlock()
			o.gather()
			o.mu.Lock()
			if o.dead {
				o.mu.Unlock()
				return
			}
		}
		out, o.buf = o.buf, out[:0]
		o.inflight = len(out)
		o.mu.Unlock()
		var sent int64
		if stream {
			out, sent = o.s.repl.take(o.rp.Load(), out) // after what buf held: it came first
		}

		_, err := o.conn.Write(out)
		o.wroteAt = time.Now()

		if stream && err == nil {
			o.rp.Load().sent.Store(sent)
		}
		o.mu.Lock()
		o.inflight = 0
		if err != nil {
			o.dead = true
			o.buf = nil
			o.c.killed.Store(true) // (a replica's stream is fed no more)
		}
		o.mu.Unlock()
		if err != nil {
			o.conn.Close()
			return
		}
		if cap(out) > replyBufKeep {
			out = nil
		}
	}
}

// gather waits, before a replica link's writer writes less than coalesceBelow bytes
// of a busy stream (its last write is less than coalesceMax old), for more to gather,
// so that one write carries many commands: a system call and a wakeup of the replica
// for each command cost the primary more than the command (Redis writes to replicas
// once per turn of its event loop, which serves every client whose request is in).
// The stream comes a command at a time: gather waits coalesceQuantum, again while
// each wait brought more of the stream, until coalesceMax has passed or coalesceBelow
// bytes are waiting; it returns at once when a client waits for the replicas'
// acknowledgement (askAcks), or when the writer is woken for anything else (a reply,
// the link's end). (A sparse stream is written at once: a wait would only delay it, by
// a millisecond where the process is idle, the network poller's resolution.)
func (o *outbox) gather() {
	o.gathering.Store(true) // (fanOut stops waking the writer for stream bytes)
	defer o.gathering.Store(false)
	select {
	case <-o.wake: // for what is there already
	default:
	}
	rp := o.rp.Load()
	end := func() int64 {
		if rp == nil {
			return 0 // (a transfer's last piece: one quantum)
		}
		return o.s.repl.fanEnd.Load()
	}
	if rp != nil && rp.rush.Load() > rp.taken.Load() {
		return
	}
	if o.timer == nil {
		o.timer = time.NewTimer(coalesceQuantum)
	} else {
		o.timer.Reset(coalesceQuantum)
	}
	start, last := time.Now(), end()
	for {
		select {
		case <-o.wake:
			o.timer.Stop()
			return
		case <-o.timer.C:
		}
		now := end()
		if now == last || rp != nil && now-rp.taken.Load() >= coalesceBelow || time.Since(start) >= coalesceMax {
			return
		}
		last = now
		o.timer.Reset(coalesceQuantum)
	}
}

// A replica link's writer gathers at most coalesceBelow bytes, for at most coalesceMax,
// in waits of coalesceQuantum (see gather).
const (
	coalesceBelow   = 16 << 10
	coalesceQuantum = 100 * time.Microsecond
	coalesceMax     = 500 * time.Microsecond
)

// close ends the outbox when the connection goroutine is done: what is queued is still
// written (the reply to QUIT), for at most drainTimeout, then the writer stops.
func (o *outbox) close() {
	o.mu.Lock()
	o.closing = true
	o.mu.Unlock()
	select {
	case o.wake <- struct{}{}:
	default:
	}
	o.conn.SetWriteDeadline(time.Now().Add(drainTimeout))
	<-o.done
}

// drainTimeout bounds how long a closing connection's queued output may take to write.
const drainTimeout = 5 * time.Second

// class is the client's client-output-buffer-limit class: replica for a replica link,
// pubsub while it has subscriptions, normal otherwise.
func (c *Client) class() int {
	if c.isReplica.Load() {
		return conf.ClassReplica
	}
	if c.subCount.Load() > 0 {
		return conf.ClassPubSub
	}
	return conf.ClassNormal
}
