package node

import (
	"math"
	"sync"
	"sync/atomic"
	"time"

	"github.com/shoal-db/shoal/node/spec"
)

// Blocking commands (BLPOP, BLMOVE, BZPOPMIN, XREAD BLOCK …) are served in arrival
// order per key, as in Redis:
//
//  1. The handler runs with its keys' stripes locked (lock policy lockKeys). It tries to
//     serve at once; if it cannot, it calls c.block(keys, timeout, try, onTimeout) —
//     still under the stripes, so the client takes its place in the keys' queues before
//     any write to them can slip in. The waiter is pending: writers skip it.
//  2. The executor releases the stripes and calls waitBlocked, which copies the
//     arguments, makes the waiter servable and re-runs try once (a write may have come
//     while it was pending; it then found a pending waiter at the head of the queue and
//     left it alone, keeping the arrival order), and sends the replies of the commands
//     pipelined before this one. Then the client is parked until it is served, times
//     out, is killed, disconnects (a goroutine keeps reading its socket into the query
//     buffer, as Redis does, and notices EOF) or the server closes.
//  3. After any write command, the executor marks the written keys that have waiters as
//     ready and serves them (serveReady): for each ready key, the first waiting client's
//     try runs again with that client's stripes locked; on success its reply is written
//     to its buffer and it is woken. A try that writes another key (BLMOVE's destination)
//     marks that key ready in turn.
//
// try and onTimeout read the command's arguments from c.args at the time they run (the
// copy waitBlocked made); they must not keep slices of the arguments the handler saw.
//
// Lock order: stripes, then blockRegistry.mu. A waiter's reply buffer is written by the
// serving goroutine only while the waiter is parked (state serving), then handed back
// through done.

type blockKey struct {
	db  int
	key string
}

const (
	waitPending = iota // queued by the handler; not servable until waitBlocked runs
	waitWaiting
	waitServing
	waitServed
	waitCancelled
)

type waiter struct {
	c        *Client
	keys     []blockKey
	try      func(c *Client) bool
	timeout  time.Duration
	state    int  // under blockRegistry.mu
	timedOut bool // under blockRegistry.mu: gave up while being served
	done     chan struct{}
	write    bool // the blocking command writes (BLMOVE …), unlike XREAD BLOCK
	// abort, under blockRegistry.mu, is the error a client woken early gets (CLIENT
	// UNBLOCK … ERROR, a redirect after its slot moved); "" is the timeout reply.
	abort string
}

// blockRegistry holds the parked clients by key.
type blockRegistry struct {
	mu      sync.Mutex
	byKey   map[blockKey][]*waiter
	count   atomic.Int64 // parked clients: lets writers skip all of this when zero
	readyMu sync.Mutex
	ready   []blockKey
}

// block parks the client on keys after the handler returns, until try (run with the
// command's stripes locked) serves it or timeout passes (0 = forever), when onTimeout
// writes the reply. Call it from a handler with lock policy lockKeys, under its locks.
func (c *Client) block(keys [][]byte, timeout time.Duration, try func(c *Client) bool, onTimeout func(c *Client)) {
	if c.held { // inside EXEC or a script: never block
		onTimeout(c)
		return
	}
	r := &c.s.blocking
	w := &waiter{c: c, try: try, timeout: timeout, done: make(chan struct{})}
	if cmd := c.lastCmd.Load(); cmd != nil {
		w.write = cmd.Has(spec.Write)
	}
	for _, k := range keys {
		w.keys = append(w.keys, blockKey{c.db.ID(), string(k)})
	}
	r.mu.Lock()
	if r.byKey == nil {
		r.byKey = map[blockKey][]*waiter{}
	}
	for _, k := range w.keys {
		r.byKey[k] = append(r.byKey[k], w)
	}
	r.mu.Unlock()
	r.count.Add(1)
	select { // a wake-up meant for an earlier wait
	case <-c.waker:
	default:
	}
	c.parked = w
	c.onTimeout = onTimeout
}

// waitBlocked parks the client's goroutine until its waiter is served or gives up. The
// caller holds no stripe.
func (s *Server) waitBlocked(c *Client) {
	w := c.parked
	c.parked = nil
	r := &s.blocking
	// The arguments alias the query buffer, which the socket watcher below refills.
	c.args = cloneArgs(c.args)
	// Replies of the commands pipelined before this one go out before the client waits,
	// as in Redis. They are taken out of c.w first: once the waiter is servable, a writer
	// may write the served reply there.
	var pending []byte
	if c.w.Len() > 0 {
		pending, c.w.B = c.w.B, nil
	}
	r.mu.Lock()
	w.state = waitWaiting
	r.mu.Unlock()
	// Serve what was written to the keys while the waiter was pending.
	r.readyMu.Lock()
	r.ready = append(r.ready, w.keys...)
	r.readyMu.Unlock()
	s.serveReady()
	if pending != nil {
		if _, err := c.conn.Write(pending); err != nil {
			c.closeAfter = true
			s.abandonWait(c, w, false)
			return
		}
	}
	select {
	case <-w.done:
		return
	default:
	}

	c.blocked.Store(true)
	defer c.blocked.Store(false)
	var timer <-chan time.Time
	if w.timeout > 0 {
		t := time.NewTimer(w.timeout)
		defer t.Stop()
		timer = t.C
	}
	gone, stopWatch := c.watchConn()
	defer stopWatch()
	reply := true
	select {
	case <-w.done:
		return
	case <-timer:
	case <-c.waker:
	case <-s.stop:
		// Shutting down: the connection closes unanswered (a timeout reply would tell
		// the client the wait ended).
		reply = false
		c.closeAfter = true
	case <-gone:
		// The client left: no reply, and nothing it pipelined after this runs.
		reply = false
		c.closeAfter = true
	}
	s.abandonWait(c, w, reply)
}

// abandonWait takes a waiter that timed out (or whose client left) out of the queues and,
// with reply, writes the timeout reply; if a writer is serving it at that moment, it
// waits for the outcome, which may be a served reply after all.
func (s *Server) abandonWait(c *Client, w *waiter, reply bool) {
	r := &s.blocking
	r.mu.Lock()
	abort := w.abort
	giveUp := func() {
		if !reply {
			return
		}
		if abort != "" {
			c.Err(abort)
			return
		}
		c.onTimeout(c)
	}
	switch w.state {
	case waitWaiting:
		w.state = waitCancelled
		r.remove(w)
		r.mu.Unlock()
		giveUp()
		return
	case waitServing:
		w.timedOut = true
	}
	r.mu.Unlock()
	<-w.done
	if w.state == waitCancelled {
		giveUp()
	}
}

// wakeLocked ends w's wait early with the reply abort ("" for the timeout reply);
// false when w is no longer waiting. r.mu is held.
func (r *blockRegistry) wakeLocked(w *waiter, abort string) bool {
	if w.state != waitWaiting && w.state != waitPending {
		return false
	}
	w.abort = abort
	select {
	case w.c.waker <- struct{}{}:
	default:
	}
	return true
}

// eachWaiter calls fn for every queued waiter once. r.mu is held.
func (r *blockRegistry) eachWaiterLocked(fn func(w *waiter)) {
	seen := map[*waiter]bool{}
	for _, ws := range r.byKey {
		for _, w := range ws {
			if !seen[w] {
				seen[w] = true
				fn(w)
			}
		}
	}
}

// unblock is CLIENT UNBLOCK's work: it wakes the client with ID id if it waits in a
// blocking command, with the timeout reply or, with withError, the UNBLOCKED error.
func (s *Server) unblock(id int64, withError bool) bool {
	r := &s.blocking
	r.mu.Lock()
	defer r.mu.Unlock()
	woken := false
	r.eachWaiterLocked(func(w *waiter) {
		if w.c.id == id && !woken {
			abort := ""
			if withError {
				abort = "UNBLOCKED client unblocked via CLIENT UNBLOCK"
			}
			woken = r.wakeLocked(w, abort)
		}
	})
	return woken
}

// watchConn reads the parked client's socket into its query buffer, as Redis keeps
// reading from blocked clients, so that a client that disconnects stops waiting (and is
// not handed an element nobody will read). gone is closed when the connection ends or
// the query buffer overflows; stop ends the watch and waits for the goroutine.
func (c *Client) watchConn() (gone <-chan struct{}, stop func()) {
	g, done := make(chan struct{}), make(chan struct{})
	var stopping atomic.Bool
	go func() {
		defer close(done)
		for {
			if err := c.rd.Fill(); err != nil {
				if !stopping.Load() {
					close(g)
				}
				return
			}
		}
	}()
	return g, func() {
		stopping.Store(true)
		c.conn.SetReadDeadline(time.Unix(1, 0)) // wakes the pending Read
		<-done
		c.conn.SetReadDeadline(time.Time{})
	}
}

func cloneArgs(args [][]byte) [][]byte {
	n := 0
	for _, a := range args {
		n += len(a)
	}
	buf := make([]byte, 0, n)
	out := make([][]byte, len(args))
	for i, a := range args {
		buf = append(buf, a...)
		out[i] = buf[len(buf)-len(a) : len(buf) : len(buf)]
	}
	return out
}

// remove takes w out of every key queue. Caller holds r.mu.
func (r *blockRegistry) remove(w *waiter) {
	for _, k := range w.keys {
		removeQueued(r.byKey, k, w)
	}
	r.count.Add(-1)
}

// markReady notes that key in database db was written; serveReady serves its waiters.
// Cheap when nobody is blocked.
func (r *blockRegistry) markReady(db int, key []byte) {
	if r.count.Load() == 0 {
		return
	}
	r.mu.Lock()
	_, has := r.byKey[blockKey{db, string(key)}]
	r.mu.Unlock()
	if has { // the executor calls serveReady after the command
		r.readyMu.Lock()
		r.ready = append(r.ready, blockKey{db, string(key)})
		r.readyMu.Unlock()
	}
}

// signalKey marks key (in the client's database) as written, for handlers that write
// keys the command table does not list (SORT … STORE); the executor marks listed keys.
func (c *Client) signalKey(key []byte) { c.s.blocking.markReady(c.db.ID(), key) }

// serveReady serves the waiters of every ready key in arrival order until the keys run
// dry. The caller holds no stripe.
func (s *Server) serveReady() {
	r := &s.blocking
	for {
		r.readyMu.Lock()
		if len(r.ready) == 0 {
			r.readyMu.Unlock()
			return
		}
		k := r.ready[0]
		r.ready = r.ready[1:]
		r.readyMu.Unlock()
		for s.serveOne(k) {
		}
	}
}

// serveOne tries the first waiting client on k; it reports whether one was served. A
// pending waiter ahead in the queue stops it: that waiter serves itself, and those after
// it, when it becomes servable.
func (s *Server) serveOne(k blockKey) bool {
	r := &s.blocking
	r.mu.Lock()
	var w *waiter
	for _, x := range r.byKey[k] {
		if x.state == waitPending {
			break
		}
		if x.state == waitWaiting {
			w = x
			break
		}
	}
	if w == nil {
		r.mu.Unlock()
		return false
	}
	w.state = waitServing
	r.mu.Unlock()

	c := w.c
	s.eng.Lock(&c.locks)
	s.captureWrites(c)
	c.dirty = 0
	served := w.try(c)
	if served && (s.feeding() || len(c.prop) > 0) {
		c.collectProp()
		s.flushProp(c)
	}
	s.eng.Unlock(&c.locks)

	r.mu.Lock()
	defer r.mu.Unlock()
	switch {
	case served:
		w.state = waitServed
		r.remove(w)
		close(w.done)
	case w.timedOut:
		w.state = waitCancelled
		r.remove(w)
		close(w.done)
	default:
		w.state = waitWaiting
	}
	return served
}

// timeoutArg parses a blocking command's timeout in seconds (decimals allowed), as
// Redis 7.0 does: it is rounded up to whole milliseconds (so 0.0001 waits 1 ms; only a
// value that is 0 after rounding, like 0 or -0.0001, waits forever); an unparsable value
// is "not a float", a negative one or one too large for a 64-bit count of milliseconds
// (inf, 1e30) is "negative".
func (c *Client) timeoutArg(i int) (time.Duration, bool) {
	// Redis parses a long double (string2ld): 1e400 is a valid timeout to it, and so is
	// "inf"; both then overflow its millisecond count into a negative number.
	ld, ok := parseLongDouble(c.args[i])
	if !ok {
		c.Err(errTimeoutFloat)
		return 0, false
	}
	f, _ := ld.float().Float64()
	ms := math.Ceil(f * 1000)
	if ms < 0 || ms >= math.MaxInt64 {
		c.Err(errTimeoutNeg)
		return 0, false
	}
	if ms >= math.MaxInt64/float64(time.Millisecond) {
		return math.MaxInt64, true
	}
	return time.Duration(ms) * time.Millisecond, true
}
