package node

import (
	"sync"
	"sync/atomic"
	"time"
)

// Blocking commands (BLPOP, BLMOVE, BZPOPMIN, XREAD BLOCK …) are served in arrival
// order per key, as in Redis:
//
//  1. The handler runs with its keys' stripes locked (lock policy lockKeys). It tries to
//     serve at once; if it cannot, it calls c.block(keys, timeout, try) — still under the
//     stripes, so no write to those keys can slip in before it is queued.
//  2. The executor releases the stripes and parks the client (waitBlocked) until it is
//     served, times out, is killed or the server closes.
//  3. After any write command, the executor marks the written keys that have waiters as
//     ready and serves them (serveReady): for each ready key, the first waiting client's
//     try runs again with that client's stripes locked; on success its reply is written
//     to its buffer and it is woken. A try that writes another key (BLMOVE's destination)
//     marks that key ready in turn.
//
// Lock order: stripes, then blockRegistry.mu. A waiter's reply buffer is written by the
// serving goroutine only while the waiter is parked (state serving), then handed back
// through done.

type blockKey struct {
	db  int
	key string
}

const (
	waitWaiting = iota
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
	r := &c.s.blocking
	w := &waiter{c: c, try: try, timeout: timeout, done: make(chan struct{})}
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
	c.parked = w
	c.onTimeout = onTimeout
}

// waitBlocked parks the client's goroutine until its waiter is served or gives up. The
// caller holds no stripe.
func (s *Server) waitBlocked(c *Client) {
	w := c.parked
	c.parked = nil
	c.blocked.Store(true)
	defer c.blocked.Store(false)
	var timer <-chan time.Time
	if w.timeout > 0 {
		t := time.NewTimer(w.timeout)
		defer t.Stop()
		timer = t.C
	}
	select {
	case <-w.done:
		return
	case <-timer:
	case <-c.waker:
	case <-s.stop:
	}
	r := &s.blocking
	r.mu.Lock()
	switch w.state {
	case waitWaiting:
		w.state = waitCancelled
		r.remove(w)
		r.mu.Unlock()
		c.onTimeout(c)
		return
	case waitServing:
		w.timedOut = true
	}
	r.mu.Unlock()
	<-w.done
	if w.state == waitCancelled {
		c.onTimeout(c)
	}
}

// remove takes w out of every key queue. Caller holds r.mu.
func (r *blockRegistry) remove(w *waiter) {
	for _, k := range w.keys {
		q := r.byKey[k]
		for i, x := range q {
			if x == w {
				q = append(q[:i:i], q[i+1:]...)
				break
			}
		}
		if len(q) == 0 {
			delete(r.byKey, k)
		} else {
			r.byKey[k] = q
		}
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

// serveOne tries the first waiting client on k; it reports whether one was served.
func (s *Server) serveOne(k blockKey) bool {
	r := &s.blocking
	r.mu.Lock()
	var w *waiter
	for _, x := range r.byKey[k] {
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
	served := w.try(c)
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
// Redis does: negative or unparsable values are errors.
func (c *Client) timeoutArg(i int) (time.Duration, bool) {
	f, ok := parseFloatArg(c.args[i])
	if !ok || f > float64(1<<62)/1e9 {
		c.Err(errTimeoutFloat)
		return 0, false
	}
	if f < 0 {
		c.Err(errTimeoutNeg)
		return 0, false
	}
	return time.Duration(f * float64(time.Second)), true
}
