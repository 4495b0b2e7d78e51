package node

import (
	"sync"
	"sync/atomic"

	"github.com/shoal-db/shoal/slots"
)

// WATCH: optimistic locking for MULTI/EXEC. A client's watched keys are registered here;
// a change to one of them (keyChanged, from write handlers through c.changed, from
// expiry, from FLUSHDB/FLUSHALL/SWAPDB) marks every client watching it dirty, and its
// next EXEC fails. Writers pay one atomic load while nobody watches anything.
//
// Lock order: stripes, then watchRegistry.mu.
type watchRegistry struct {
	count atomic.Int64 // registered (client, key) pairs
	mu    sync.Mutex
	byKey map[blockKey][]*Client
}

// keyChanged is signalModifiedKey for database db: it invalidates the WATCHes of key
// and the client-side caches tracking it. by is the client that changed it (nil for
// expiry).
func (s *Server) keyChanged(by *Client, db int, key []byte) {
	if s.tracking.count.Load() > 0 {
		s.trackChanged(by, key)
	}
	r := &s.watches
	if r.count.Load() == 0 {
		return
	}
	r.mu.Lock()
	for _, c := range r.byKey[blockKey{db, string(key)}] {
		c.watchDirty.Store(true)
	}
	r.mu.Unlock()
}

// keyExpired is called by the engine, under the key's stripe, for every key deleted
// because its expire passed.
func (s *Server) keyExpired(db int, key []byte) {
	s.captureKey(key)
	if s.feeding() {
		s.propagateDel(db, key, s.config().LazyfreeLazyExpire)
	}
	s.keyChanged(nil, db, key)
	s.keyEvent(db, evExpired, "expired", key)
}

// dbReplaced invalidates the WATCHes of every key of database db that exists in db now or
// in with afterwards (FLUSHDB, FLUSHALL: with is nil; SWAPDB: the other database), as
// Redis's touchAllWatchedKeysInDb: a watched key that is missing before and after does not
// count as changed. The caller holds every stripe and calls it before the change.
func (s *Server) dbReplaced(db int, with func(slot int, key []byte) bool) {
	r := &s.watches
	if r.count.Load() == 0 {
		return
	}
	d := s.eng.DB(db)
	r.mu.Lock()
	defer r.mu.Unlock()
	for k, clients := range r.byKey {
		if k.db != db {
			continue
		}
		key := []byte(k.key)
		sl := slots.KeySlot(key)
		if d.Exists(sl, key) || with != nil && with(sl, key) {
			for _, w := range clients {
				w.watchDirty.Store(true)
			}
		}
	}
}

// watch registers key (in the client's database) for the client. The caller holds the
// key's stripe.
func (c *Client) watch(key []byte, slot int) {
	k := blockKey{c.db.ID(), string(key)}
	for _, w := range c.watched {
		if w == k {
			return
		}
	}
	// A key already expired is deleted now, so that its deletion is not mistaken for a
	// change later (Redis: a key expired at WATCH time whose deletion is not a change).
	c.db.Exists(slot, key)
	r := &c.s.watches
	r.mu.Lock()
	if r.byKey == nil {
		r.byKey = map[blockKey][]*Client{}
	}
	r.byKey[k] = append(r.byKey[k], c)
	r.mu.Unlock()
	r.count.Add(1)
	c.watched = append(c.watched, k)
}

// unwatchAll forgets every key the client watches and clears its dirty mark.
func (c *Client) unwatchAll() {
	if len(c.watched) > 0 {
		r := &c.s.watches
		r.mu.Lock()
		for _, k := range c.watched {
			removeQueued(r.byKey, k, c)
		}
		r.mu.Unlock()
		r.count.Add(-int64(len(c.watched)))
		c.watched = c.watched[:0]
	}
	c.watchDirty.Store(false)
}

// removeQueued takes x out of the queue m[k], deleting the queue once it is empty.
func removeQueued[T comparable](m map[blockKey][]T, k blockKey, x T) {
	q := m[k]
	for i, y := range q {
		if y == x {
			q = append(q[:i:i], q[i+1:]...)
			break
		}
	}
	if len(q) == 0 {
		delete(m, k)
	} else {
		m[k] = q
	}
}
