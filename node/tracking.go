package node

import (
	"strings"
	"sync"
	"sync/atomic"

	"github.com/shoal-db/shoal/node/resp"
	"github.com/shoal-db/shoal/node/spec"
)

// CLIENT TRACKING: server-assisted client-side caching.
//
// In the default mode the server remembers which clients read which key (read-only
// commands, recorded while the key's stripe is still held, so no write can slip between
// the read and the record); when the key changes it sends each of them one
// invalidation and forgets them. In BCAST mode a client is told about every change to
// keys under its prefixes. RESP3 clients get "invalidate" pushes; others name a client
// (REDIRECT) subscribed to __redis__:invalidate, which gets them as messages. As in
// Redis the table holds key names, whatever the database.
//
// Lock order: stripes, then tracking.mu, then an outbox's lock.

type trackingState struct {
	count    atomic.Int32 // clients with tracking on: writers skip all of this at zero
	mu       sync.Mutex
	keys     map[string]map[int64]struct{} // key → ids of the clients that read it
	items    int64                         // (key, client) pairs in keys
	prefixes map[string]map[int64]struct{} // BCAST prefix → client ids
	clients  map[int64]*Client             // tracking clients by id
}

// clientTracking is one client's tracking options.
type clientTracking struct {
	bcast, optin, optout, noloop bool
	redirect                     int64
	prefixes                     []string
	cachingYes, cachingNo        bool // CLIENT CACHING for the next command
	cachingCmd                   bool // the current command is CLIENT CACHING
}

const invalidateChannel = "__redis__:invalidate"

// cmdClientTracking is CLIENT TRACKING ON|OFF [REDIRECT id] [PREFIX p …] [BCAST]
// [OPTIN] [OPTOUT] [NOLOOP].
func cmdClientTracking(c *Client) {
	var on bool
	switch {
	case c.is(2, "ON"):
		on = true
	case c.is(2, "OFF"):
	default:
		c.Err(errSyntax)
		return
	}
	t := clientTracking{}
	for i := 3; i < len(c.args); i++ {
		more := len(c.args) - 1 - i
		switch {
		case c.is(i, "REDIRECT") && more > 0:
			i++
			id, ok := c.intArg(i)
			if !ok {
				return
			}
			t.redirect = id
		case c.is(i, "PREFIX") && more > 0:
			i++
			t.prefixes = append(t.prefixes, string(c.args[i]))
		case c.is(i, "BCAST"):
			t.bcast = true
		case c.is(i, "OPTIN"):
			t.optin = true
		case c.is(i, "OPTOUT"):
			t.optout = true
		case c.is(i, "NOLOOP"):
			t.noloop = true
		default:
			c.Err(errSyntax)
			return
		}
	}
	if !on {
		c.stopTracking()
		c.OK()
		return
	}
	switch {
	case t.optin && t.optout:
		c.Err("ERR You can't specify both OPTIN mode and OPTOUT mode")
		return
	case t.bcast && (t.optin || t.optout):
		c.Err("ERR OPTIN and OPTOUT are not compatible with BCAST")
		return
	case len(t.prefixes) > 0 && !t.bcast:
		c.Err("ERR PREFIX option requires BCAST mode to be enabled")
		return
	}
	if cur := c.tracking; cur != nil && cur.bcast != t.bcast {
		c.Err("ERR You can't switch BCAST mode on/off before disabling tracking for this client, and then re-enabling it with a different mode.")
		return
	}
	for i, p := range t.prefixes {
		for _, q := range t.prefixes[i+1:] {
			if strings.HasPrefix(p, q) || strings.HasPrefix(q, p) {
				c.Err("ERR Prefix '" + p + "' overlaps with another provided prefix '" + q + "'. Prefixes for a single client must not overlap.")
				return
			}
		}
	}
	if t.redirect != 0 && t.redirect != c.id && c.s.clientByID(t.redirect) == nil {
		c.Err("ERR The client ID you want redirect to does not exist")
		return
	}
	if t.bcast && len(t.prefixes) == 0 {
		t.prefixes = []string{""}
	}
	c.startTracking(&t)
	c.OK()
}

// clientByID returns the connected client with id, nil if none.
func (s *Server) clientByID(id int64) *Client {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.clients[id]
}

func (c *Client) startTracking(t *clientTracking) {
	r := &c.s.tracking
	c.ensureOutbox()
	c.putReplies()
	r.mu.Lock()
	defer r.mu.Unlock()
	if c.tracking == nil {
		r.count.Add(1)
	} else {
		r.dropPrefixes(c)
		t.prefixes = append(c.tracking.prefixes, t.prefixes...)
	}
	if r.clients == nil {
		r.clients = map[int64]*Client{}
		r.keys = map[string]map[int64]struct{}{}
		r.prefixes = map[string]map[int64]struct{}{}
	}
	r.clients[c.id] = c
	c.tracking = t
	c.trackingOn.Store(true)
	for _, p := range t.prefixes {
		if r.prefixes[p] == nil {
			r.prefixes[p] = map[int64]struct{}{}
		}
		r.prefixes[p][c.id] = struct{}{}
	}
}

// stopTracking turns tracking off (CLIENT TRACKING OFF, RESET, disconnection). The
// client's entries in the key table go lazily, when their keys change.
func (c *Client) stopTracking() {
	if c.tracking == nil {
		return
	}
	r := &c.s.tracking
	r.mu.Lock()
	r.dropPrefixes(c)
	delete(r.clients, c.id)
	r.mu.Unlock()
	c.tracking = nil
	c.trackingOn.Store(false)
	r.count.Add(-1)
}

func (r *trackingState) dropPrefixes(c *Client) {
	for _, p := range c.tracking.prefixes {
		delete(r.prefixes[p], c.id)
		if len(r.prefixes[p]) == 0 {
			delete(r.prefixes, p)
		}
	}
}

// trackRead records the keys the client's read-only command read, with the stripes
// still held (called by the executor after the handler).
func (c *Client) trackRead(cmd *Command) {
	t := c.tracking
	if t.cachingCmd { // CLIENT CACHING itself: its flag is for the next command
		t.cachingCmd = false
		return
	}
	caching, noCaching := t.cachingYes, t.cachingNo
	if c.multi == nil {
		t.cachingYes, t.cachingNo = false, false
	}
	if t.bcast || !cmd.Has(spec.ReadOnly) || len(c.keyIdx) == 0 {
		return
	}
	if t.optin && !caching || t.optout && noCaching {
		return
	}
	r := &c.s.tracking
	r.mu.Lock()
	for _, i := range c.keyIdx {
		k := string(c.args[i])
		set := r.keys[k]
		if set == nil {
			set = map[int64]struct{}{}
			r.keys[k] = set
		}
		if _, ok := set[c.id]; !ok {
			set[c.id] = struct{}{}
			r.items++
		}
	}
	r.mu.Unlock()
}

// trackChanged sends the invalidations a change to key causes; by is the client that
// changed it (nil for expiry), which NOLOOP clients are not told about.
func (s *Server) trackChanged(by *Client, key []byte) {
	r := &s.tracking
	r.mu.Lock()
	defer r.mu.Unlock()
	if ids := r.keys[string(key)]; ids != nil {
		delete(r.keys, string(key))
		r.items -= int64(len(ids))
		for id := range ids {
			if cl := r.clients[id]; cl != nil {
				s.invalidate(by, cl, key)
			}
		}
	}
	for p, ids := range r.prefixes {
		if !strings.HasPrefix(string(key), p) {
			continue
		}
		for id := range ids {
			if cl := r.clients[id]; cl != nil {
				s.invalidate(by, cl, key)
			}
		}
	}
}

// trackFlushed tells every tracking client that all keys changed (FLUSHDB, FLUSHALL by
// client by): an invalidation with a null key list.
func (s *Server) trackFlushed(by *Client) {
	r := &s.tracking
	if r.count.Load() == 0 {
		return
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	r.keys, r.items = map[string]map[int64]struct{}{}, 0
	for _, cl := range r.clients {
		s.invalidate(by, cl, nil)
	}
}

// invalidate sends cl an invalidation for key, unless cl changed it itself under
// NOLOOP; a client's own change is told after the reply to its command, as Redis does.
// tracking.mu is held.
func (s *Server) invalidate(by, cl *Client, key []byte) {
	if by != cl {
		s.sendInvalidate(cl, key)
		return
	}
	if cl.tracking.noloop {
		return
	}
	var k []byte
	if key != nil {
		k = append([]byte{}, key...)
	}
	cl.pendingInvalidations = append(cl.pendingInvalidations, k)
	cl.hasPendingInval = true
}

// flushInvalidations sends the invalidations a client's own command caused, after its
// reply (connection goroutine).
func (c *Client) flushInvalidations() {
	r := &c.s.tracking
	r.mu.Lock()
	for _, k := range c.pendingInvalidations {
		if c.tracking != nil {
			c.s.sendInvalidate(c, k)
		}
	}
	r.mu.Unlock()
	c.pendingInvalidations = c.pendingInvalidations[:0]
	c.hasPendingInval = false
}

// sendInvalidate delivers one invalidation for key (nil: everything) to the tracking
// client cl, or to its redirect target. tracking.mu is held.
func (s *Server) sendInvalidate(cl *Client, key []byte) {
	target := cl
	redirected := cl.tracking.redirect != 0 && cl.tracking.redirect != cl.id
	if redirected {
		s.mu.Lock()
		target = s.clients[cl.tracking.redirect]
		s.mu.Unlock()
		if target == nil || target.out == nil {
			return
		}
	}
	o := target.out
	o.mu.Lock()
	defer o.mu.Unlock()
	w := resp.Writer{B: o.buf, Proto: int(target.proto.Load())}
	switch {
	case w.RESP3():
		w.Push(2)
		w.BulkString("invalidate")
	case redirected && target.subscribed():
		w.Array(3)
		w.BulkString("message")
		w.BulkString(invalidateChannel)
	default:
		return
	}
	if key == nil {
		w.Null()
	} else {
		w.Array(1)
		w.Bulk(key)
	}
	o.buf = w.B
	o.appendLocked(nil)
}

// cmdClientCaching is CLIENT CACHING YES|NO.
func cmdClientCaching(c *Client) {
	t := c.tracking
	if t == nil || !t.optin && !t.optout {
		c.Err("ERR CLIENT CACHING can be called only when the client is in tracking mode with OPTIN or OPTOUT mode enabled")
		return
	}
	switch {
	case c.is(2, "YES"):
		if !t.optin {
			c.Err("ERR CLIENT CACHING YES is only valid when tracking is enabled in OPTIN mode.")
			return
		}
		t.cachingYes = true
	case c.is(2, "NO"):
		if !t.optout {
			c.Err("ERR CLIENT CACHING NO is only valid when tracking is enabled in OPTOUT mode.")
			return
		}
		t.cachingNo = true
	default:
		c.Err(errSyntax)
		return
	}
	t.cachingCmd = true
	c.OK()
}

func cmdClientGetredir(c *Client) {
	switch t := c.tracking; {
	case t == nil:
		c.w.Int(-1)
	default:
		c.w.Int(t.redirect)
	}
}

func cmdClientTrackinginfo(c *Client) {
	t := c.tracking
	c.w.Map(3)
	c.w.BulkString("flags")
	var flags []string
	redirect := int64(-1)
	var prefixes []string
	if t == nil {
		flags = []string{"off"}
	} else {
		flags = []string{"on"}
		for _, f := range []struct {
			on   bool
			name string
		}{{t.bcast, "bcast"}, {t.optin, "optin"}, {t.optout, "optout"}, {t.cachingYes, "caching-yes"},
			{t.cachingNo, "caching-no"}, {t.noloop, "noloop"}} {
			if f.on {
				flags = append(flags, f.name)
			}
		}
		redirect = t.redirect
		if t.bcast {
			prefixes = t.prefixes
		}
	}
	c.w.Set(len(flags))
	for _, f := range flags {
		c.w.BulkString(f)
	}
	c.w.BulkString("redirect")
	c.w.Int(redirect)
	c.w.BulkString("prefixes")
	c.w.StringArray(prefixes)
}

// trackingStats are INFO's tracking_total_keys, _items and _prefixes.
func (r *trackingState) stats() (keys, items, prefixes int64) {
	r.mu.Lock()
	defer r.mu.Unlock()
	return int64(len(r.keys)), r.items, int64(len(r.prefixes))
}
