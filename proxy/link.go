package proxy

import (
	"bufio"
	"errors"
	"fmt"
	"net"
	"runtime"
	"sync"
	"sync/atomic"
	"time"

	"github.com/shoal-db/shoal/gossip"
	"github.com/shoal-db/shoal/node/resp"
)

// Requests of many clients share a few pipelined connections to each node, links:
// what the clients send in the same moment reaches a node in one write and comes
// back in one read, so a node (and the proxy) spends a system call on many requests,
// not on each. A link's writer goroutine writes everything queued since its last
// write; its reader goroutine reads the replies in the order the requests went and
// hands each to its call. Requests that need a connection's state (MULTI, WATCH,
// blocking commands, subscriptions) never go on a link: a session dials its own
// connection for them.

// errLinkDown is a call's error when its link failed before the reply came: the
// request may or may not have run.
var errLinkDown = errors.New("proxy: connection to the node lost")

// call is one request on a link and, once done, its reply.
type call struct {
	raw     []byte    // the request; "ASKING" first when asking
	asking  bool      // raw starts with ASKING, whose reply is skipped
	reply   []byte    // the reply, exactly as the node sent it
	err     error     // errLinkDown, a read error, or nil
	written bool      // the request went to the node (after an error: it may have run)
	sent    time.Time // when its batch was written
	slot    int       // the request's slot (-1: none), to send it again after a redirection
	w       *waiter
}

// done completes c.
func (c *call) done(err error) {
	c.err = err
	c.w.done()
}

// waiter counts a session's calls not done yet; the session sleeps on wake until the
// count reaches zero.
type waiter struct {
	left atomic.Int32
	wake chan struct{}
}

func newWaiter() *waiter {
	w := &waiter{wake: make(chan struct{}, 1)}
	w.left.Store(1) // the session's own count, dropped in wait
	return w
}

func (w *waiter) add() { w.left.Add(1) }

func (w *waiter) done() {
	if w.left.Add(-1) == 0 {
		w.wake <- struct{}{}
	}
}

// wait returns once every call added is done.
func (w *waiter) wait() {
	if w.left.Add(-1) != 0 {
		<-w.wake
	}
	w.left.Store(1)
}

// link is one shared pipelined connection to a node.
type link struct {
	stats    *stats
	lat      *atomic.Int64 // the node's recent reply latency (links.lat)
	addr     string
	conn     net.Conn
	timeout  time.Duration // a reply must come within this of the previous one
	inflight inflight      // written (or being written), replies not read yet
	kick     chan struct{} // wakes the writer

	mu    sync.Mutex
	queue []*call // waiting for the writer
	spare []*call
	dead  atomic.Bool // set under mu; read without it by isDead
}

// inflightCap bounds the requests written to a link whose replies have not been read
// (a batch already written may pass it).
const inflightCap = 4096

// inflight hands the calls a link's writer wrote to its reader, in order, a batch at a
// time (a channel would take a lock per call on each side).
type inflight struct {
	mu     sync.Mutex
	calls  []*call
	closed bool          // the writer is done: no more calls come
	ready  chan struct{} // (1 slot) calls, or the close, may have come
	room   chan struct{} // (1 slot) the reader took calls
}

func newInflight() inflight {
	return inflight{ready: make(chan struct{}, 1), room: make(chan struct{}, 1)}
}

// put hands calls, written (or buffered in bw), to the reader. While inflightCap calls
// wait for replies it flushes bw, so that their replies can come, and waits for room.
func (q *inflight) put(calls []*call, bw *bufio.Writer) {
	q.mu.Lock()
	for len(q.calls) >= inflightCap {
		q.mu.Unlock()
		bw.Flush()
		<-q.room
		q.mu.Lock()
	}
	q.calls = append(q.calls, calls...)
	q.mu.Unlock()
	signal(q.ready)
}

// close tells the reader no more calls come.
func (q *inflight) close() {
	q.mu.Lock()
	q.closed = true
	q.mu.Unlock()
	signal(q.ready)
}

// take waits for calls and returns them all, reusing buf; nil once the writer closed
// and every call was taken.
func (q *inflight) take(buf []*call) []*call {
	q.mu.Lock()
	for len(q.calls) == 0 && !q.closed {
		q.mu.Unlock()
		<-q.ready
		q.mu.Lock()
	}
	calls := q.calls
	q.calls = buf[:0]
	q.mu.Unlock()
	signal(q.room)
	if len(calls) == 0 {
		return nil
	}
	return calls
}

// signal leaves a token in ch (1 slot) unless one is there.
func signal(ch chan struct{}) {
	select {
	case ch <- struct{}{}:
	default:
	}
}

// dialLink connects to addr and starts the link's goroutines; proto 3 sends HELLO 3
// first (the replies then come in RESP3); auth, when set, is the AUTH sent before.
func dialLink(dial gossip.DialFunc, addr string, proto int, auth []byte, timeout time.Duration, readOnly bool, st *stats, lat *atomic.Int64) (*link, error) {
	conn, err := dialNode(dial, addr, proto, auth, timeout, readOnly)
	if err != nil {
		return nil, err
	}
	l := &link{stats: st, lat: lat, addr: addr, conn: resp.RawConn(conn), timeout: timeout, inflight: newInflight(), kick: make(chan struct{}, 1)}
	go l.write()
	go l.read()
	return l, nil
}

// dialer is how the proxy connects to nodes: through Config.Faults when set, nil
// (directly) otherwise.
func (p *Proxy) dialer() gossip.DialFunc { return gossip.DialOf(p.cfg.Faults) }

// dialNode opens a connection to addr through dial (nil: directly) within timeout,
// and prepares it: AUTH (when auth holds a command), HELLO 3 when proto is 3,
// READONLY when readOnly (a replica then serves reads of its shard's slots).
func dialNode(dial gossip.DialFunc, addr string, proto int, auth []byte, timeout time.Duration, readOnly bool) (net.Conn, error) {
	conn, err := gossip.DialTimeout(dial, addr, timeout)
	if err != nil {
		return nil, err
	}
	var hello []byte
	hello = append(hello, auth...)
	n := 0
	if len(auth) > 0 {
		n++
	}
	if proto == 3 {
		hello = append(hello, "*2\r\n$5\r\nHELLO\r\n$1\r\n3\r\n"...)
		n++
	}
	if readOnly {
		hello = append(hello, "*1\r\n$8\r\nREADONLY\r\n"...)
		n++
	}
	if n == 0 {
		return conn, nil
	}
	conn.SetDeadline(time.Now().Add(timeout))
	br := bufio.NewReader(conn)
	_, err = conn.Write(hello)
	for i := 0; i < n && err == nil; i++ {
		var reply []byte
		if reply, err = readReply(br, nil); err == nil && (len(reply) == 0 || reply[0] == '-') {
			err = &replyError{trimReply(reply)}
		}
	}
	if err == nil && br.Buffered() > 0 {
		err = ErrReply
	}
	if err != nil {
		conn.Close()
		return nil, fmt.Errorf("proxy: preparing a connection to %s: %w", addr, err)
	}
	conn.SetDeadline(time.Time{})
	return conn, nil
}

// replyError is a node's error reply to what prepares a connection (AUTH, HELLO).
type replyError struct{ msg string }

func (e *replyError) Error() string { return e.msg }

// send queues c on the link; false when the link has failed (c is untouched).
func (l *link) send(c *call) bool {
	l.mu.Lock()
	if l.dead.Load() {
		l.mu.Unlock()
		return false
	}
	c.w.add()
	l.queue = append(l.queue, c)
	first := len(l.queue) == 1
	l.mu.Unlock()
	if first {
		select {
		case l.kick <- struct{}{}:
		default:
		}
	}
	return true
}

// isDead reports whether the link has failed.
func (l *link) isDead() bool { return l.dead.Load() }

// fail marks the link failed and closes its connection; the calls not answered get
// errLinkDown.
func (l *link) fail() {
	l.mu.Lock()
	already := l.dead.Swap(true)
	l.mu.Unlock()
	if !already {
		l.stats.lostConns.Add(1)
		l.conn.Close()
		select {
		case l.kick <- struct{}{}:
		default:
		}
	}
}

func (l *link) write() {
	bw := bufio.NewWriterSize(l.conn, 64<<10)
	defer l.inflight.close()
	for range l.kick {
		// Let the sessions that are ready to run queue their requests first: a
		// session's kick would otherwise run the writer before them (one write each).
		runtime.Gosched()
		l.mu.Lock()
		batch, dead := l.queue, l.dead.Load()
		l.queue, l.spare = l.spare[:0], batch
		l.mu.Unlock()
		if dead {
			for _, c := range batch {
				c.done(errLinkDown)
			}
			clear(batch)
			return
		}
		now := time.Now()
		for _, c := range batch {
			c.written, c.sent = true, now
			bw.Write(c.raw)
		}
		// Written before they are the reader's: once in inflight a call may be
		// completed (the link failing) and its buffer reused by its session. (A reply
		// that comes first waits for the reader to take the call.)
		l.inflight.put(batch, bw)
		clear(batch)
		if bw.Flush() != nil {
			l.fail()
		}
	}
}

func (l *link) read() {
	br := bufio.NewReaderSize(l.conn, 64<<10)
	var err error
	var now time.Time
	var calls []*call
	var run latencyRun
	for {
		if calls = l.inflight.take(calls); calls == nil {
			return
		}
		for i, c := range calls {
			calls[i] = nil
			err = l.readOne(br, c, err, &now, &run)
		}
		l.record(&run)
	}
}

// latencyRun is a run of replies with one latency, not recorded yet.
type latencyRun struct {
	d time.Duration
	n uint64
}

// record adds the run to the link's statistics and empties it.
func (l *link) record(run *latencyRun) {
	if run.n == 0 {
		return
	}
	l.stats.latency.observe(run.d, run.n)
	avg := l.lat.Load()
	for range run.n {
		avg = (7*avg + int64(run.d)) / 8
	}
	l.lat.Store(avg)
	run.n = 0
}

// readOne reads c's reply (unless an earlier read failed: err) and completes c; it
// returns the read's error. now is when the last reply came; the reply's latency joins
// run.
func (l *link) readOne(br *bufio.Reader, c *call, err error, now *time.Time, run *latencyRun) error {
	if err == nil {
		fresh := br.Buffered() == 0 // (the reply is read from the socket, not what a read brought before)
		if fresh {
			l.conn.SetReadDeadline(time.Now().Add(l.timeout))
		}
		if c.asking {
			var skip []byte
			skip, err = readReply(br, c.reply[:0])
			c.reply = skip
		}
		if err == nil {
			c.reply, err = readReply(br, c.reply[:0])
		}
		if err != nil {
			l.fail()
		} else {
			if fresh || now.IsZero() {
				*now = time.Now()
			}
			if d := now.Sub(c.sent); run.n == 0 || d == run.d {
				run.d = d
				run.n++
			} else {
				l.record(run)
				run.d, run.n = d, 1
			}
		}
	}
	if err != nil {
		c.done(errLinkDown)
		return err
	}
	c.done(nil)
	return nil
}

// links is the proxy's shared connections: per node and protocol, a few links, a
// session using always the same one (its requests to a node stay in order).
type links struct {
	stats    *stats
	n        int // links per node and protocol
	auth     []byte
	readOnly bool     // links send READONLY first (reads may go to replicas)
	lat      sync.Map // address → *atomic.Int64: the recent reply latency (ns, a moving average)
	timeout  time.Duration
	dial     gossip.DialFunc
	mu       sync.Mutex
	m        map[linkKey]*link
	closed   bool
}

type linkKey struct {
	addr  string
	proto int
	i     int
	cred  string // the AUTH the links send ("": the proxy's own)
}

// get is link i (mod n) to addr in proto, authenticated with cred (an AUTH command;
// nil: the proxy's own), dialed when there is none or it failed.
func (ls *links) get(addr string, proto int, i int, cred []byte) (*link, error) {
	k := linkKey{addr, proto, i % ls.n, string(cred)}
	ls.mu.Lock()
	l := ls.m[k]
	ls.mu.Unlock()
	if l != nil && !l.isDead() {
		return l, nil
	}
	lat, _ := ls.lat.LoadOrStore(addr, new(atomic.Int64))
	auth := ls.auth
	if cred != nil {
		auth = cred
	}
	nl, err := dialLink(ls.dial, addr, proto, auth, ls.timeout, ls.readOnly, ls.stats, lat.(*atomic.Int64))
	if err != nil {
		return nil, err
	}
	ls.mu.Lock()
	defer ls.mu.Unlock()
	if ls.closed {
		nl.fail()
		return nil, errLinkDown
	}
	if l := ls.m[k]; l != nil && !l.isDead() { // another session dialed it meanwhile
		nl.fail()
		return l, nil
	}
	ls.m[k] = nl
	return nl, nil
}

// latency is the recent reply latency of the node at addr (0 before any reply).
func (ls *links) latency(addr string) int64 {
	if v, ok := ls.lat.Load(addr); ok {
		return v.(*atomic.Int64).Load()
	}
	return 0
}

// closeAll fails every link.
func (ls *links) closeAll() {
	ls.mu.Lock()
	defer ls.mu.Unlock()
	ls.closed = true
	for _, l := range ls.m {
		l.fail()
	}
}
