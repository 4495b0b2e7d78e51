package storage

import (
	"hash/maphash"
	"slices"
	"sync"
	"sync/atomic"
	"time"
)

// SlotCount is the number of hash slots the keyspace is split into (as Redis Cluster).
const SlotCount = 16384

// NumStripes is the number of lock stripes; a slot's stripe is slot % NumStripes.
const NumStripes = 1024

// Options configure an Engine. Zero values take the defaults noted.
type Options struct {
	Databases int          // number of databases, default 16
	Now       func() int64 // clock in Unix milliseconds, default time.Now
	Limits    *Limits      // encoding thresholds, default DefaultLimits
	// OnExpire, if set, is called for every key removed because its expire passed
	// (looked up after its time, or found by the active expiry cycle), with the stripe
	// held and before the key is gone. It must not block or touch the engine. key is
	// valid only during the call.
	OnExpire func(db int, key []byte)
	// OnNew, if set, is called when a key is added to a database where it did not exist
	// (the keyspace event "new"); OnMiss when a read lookup (Get) finds no key (the event
	// "keymiss"). Same contract as OnExpire.
	OnNew, OnMiss func(db int, key []byte)
}

// Engine holds every database. It is safe for concurrent use under the stripe discipline
// described in the package comment.
type Engine struct {
	dbs     []*DB
	stripes [NumStripes]stripe
	groups  [numGroups]group // see Lock
	seed    maphash.Seed
	now     func() int64
	limits  *Limits
	expired func(db int, key []byte) // Options.OnExpire
	created func(db int, key []byte) // Options.OnNew
	missed  func(db int, key []byte) // Options.OnMiss
	lru     atomic.Uint32            // LRU clock, seconds, 24 bits; see LRUClock
	lfu     lfuState                 // see evict.go
	replica atomic.Bool              // see SetReplica
	// writeHook, when set, is called before a write reaches an existing key (see
	// SetWriteHook). Set and cleared with every stripe held, read under a stripe.
	writeHook func(db, slot int, key []byte)
}

// SetWriteHook makes fn (nil: nothing) be called, with the key's stripe held, before
// any write may change or remove a key: a lookup through a write view, an insert that
// may replace the key, a deletion, an expire set. A slot move uses it to copy a big
// key before the first write to it (node/move.go). fn must not write, nor look keys up
// through a write view. The caller holds every stripe.
func (e *Engine) SetWriteHook(fn func(db, slot int, key []byte)) { e.writeHook = fn }

// stripe is one lock and the statistics of the slots it guards, on its own cache line.
// The counters are only incremented under the lock, but read without it (INFO).
type stripe struct {
	sync.Mutex
	hits, misses, expired atomic.Int64
	_                     [64 - 8 - 24]byte
}

// Stats are keyspace counters summed over the stripes (INFO stats).
type Stats struct {
	Hits, Misses, Expired int64
}

// Stats sums the counters of every stripe.
func (e *Engine) Stats() Stats {
	var st Stats
	for i := range e.stripes {
		s := &e.stripes[i]
		st.Hits += s.hits.Load()
		st.Misses += s.misses.Load()
		st.Expired += s.expired.Load()
	}
	return st
}

// ResetStats zeroes the counters (CONFIG RESETSTAT).
func (e *Engine) ResetStats() {
	for i := range e.stripes {
		s := &e.stripes[i]
		s.hits.Store(0)
		s.misses.Store(0)
		s.expired.Store(0)
	}
}

// New returns an empty engine.
func New(opt Options) *Engine {
	if opt.Databases <= 0 {
		opt.Databases = 16
	}
	if opt.Now == nil {
		opt.Now = func() int64 { return time.Now().UnixMilli() }
	}
	if opt.Limits == nil {
		opt.Limits = DefaultLimits()
	}
	e := &Engine{seed: maphash.MakeSeed(), now: opt.Now, limits: opt.Limits, expired: opt.OnExpire,
		created: opt.OnNew, missed: opt.OnMiss}
	e.dbs = make([]*DB, opt.Databases)
	for i := range e.dbs {
		ks := new(atomic.Pointer[keyspace])
		ks.Store(newKeyspace())
		views := new([4]*DB)
		for v := range views {
			views[v] = &DB{id: i, e: e, ks: ks, write: v&1 != 0, obey: v&2 != 0, views: views}
		}
		e.dbs[i] = views[0]
	}
	e.TickLRU()
	return e
}

// NumDBs is the number of databases.
func (e *Engine) NumDBs() int { return len(e.dbs) }

// DB returns database i (0 <= i < NumDBs), its read view.
func (e *Engine) DB(i int) *DB { return e.dbs[i] }

// SetReplica switches the engine to a replica's expiry rules, as Redis's
// expireIfNeeded on a replica: a key past its expire is not removed by a lookup — the
// primary's DEL removes it — but hidden from ordinary views, and not even hidden from
// obeying ones (the primary's own commands), so the primary's history replays the same
// whatever the replica's clock says. Off, lookups remove expired keys.
func (e *Engine) SetReplica(on bool) { e.replica.Store(on) }

// Replica reports whether the engine follows a replica's expiry rules.
func (e *Engine) Replica() bool { return e.replica.Load() }

// Now is the engine's clock in Unix milliseconds.
func (e *Engine) Now() int64 { return e.now() }

// Limits returns the engine's encoding thresholds (shared; safe to update concurrently).
func (e *Engine) Limits() *Limits { return e.limits }

// TickLRU advances the LRU clock; the server calls it from its cron.
func (e *Engine) TickLRU() { e.lru.Store(uint32(e.now()/1000) & lruMask) }

// LRUClock is the current LRU clock (seconds, wrapping at 24 bits, as Redis's).
func (e *Engine) LRUClock() uint32 { return e.lru.Load() }

func (e *Engine) hash(key []byte) uint64 { return maphash.Bytes(e.seed, key) }

// StripeOf returns the stripe guarding slot.
func StripeOf(slot int) int { return slot % NumStripes }

// LockSet is a reusable set of stripes to lock together. The zero value is empty. A
// connection keeps one and Resets it per command, so locking allocates nothing.
type LockSet struct {
	stripes []uint16
	all     bool
	locked  bool
}

// Reset empties the set. It must not be locked.
func (l *LockSet) Reset() {
	l.stripes = l.stripes[:0]
	l.all = false
}

// AddSlot adds the stripe of slot.
func (l *LockSet) AddSlot(slot int) { l.stripes = append(l.stripes, uint16(StripeOf(slot))) }

// AddAll makes the set cover every stripe.
func (l *LockSet) AddAll() { l.all = true }

// All reports whether the set covers every stripe.
func (l *LockSet) All() bool { return l.all }

// Empty reports whether the set holds no stripe.
func (l *LockSet) Empty() bool { return !l.all && len(l.stripes) == 0 }

// Stripes are grouped, numGroups groups of consecutive stripes, each group with a
// readers-writer lock: taking stripes takes their groups for reading first, and taking
// every stripe (a LockSet with AddAll: FLUSHALL, SWAPDB, scripts) takes only the groups,
// for writing — 32 locks instead of 1024, which makes whole-engine operations cheap
// enough to run per command (EVAL). Groups are taken in ascending order before their
// stripes, and stripes in ascending order, so lockers never wait on each other in a
// cycle.
const (
	numGroups       = 32
	stripesPerGroup = NumStripes / numGroups
)

type group struct {
	sync.RWMutex
	_ [64 - 24]byte
}

// Lock takes every stripe of l in ascending order.
func (e *Engine) Lock(l *LockSet) {
	if l.all {
		for i := range e.groups {
			e.groups[i].Lock()
		}
		l.locked = true
		return
	}
	if len(l.stripes) > 1 {
		slices.Sort(l.stripes)
		l.stripes = slices.Compact(l.stripes)
	}
	g := -1
	for _, s := range l.stripes {
		if sg := int(s) / stripesPerGroup; sg != g {
			g = sg
			e.groups[g].RLock()
		}
		e.stripes[s].Lock()
	}
	l.locked = true
}

// Unlock releases what Lock took.
func (e *Engine) Unlock(l *LockSet) {
	if !l.locked {
		return
	}
	l.locked = false
	if l.all {
		for i := len(e.groups) - 1; i >= 0; i-- {
			e.groups[i].Unlock()
		}
		return
	}
	for i := len(l.stripes) - 1; i >= 0; i-- {
		s := l.stripes[i]
		e.stripes[s].Unlock()
		if i == 0 || int(l.stripes[i-1])/stripesPerGroup != int(s)/stripesPerGroup {
			e.groups[int(s)/stripesPerGroup].RUnlock()
		}
	}
}

// LockSlot takes the stripe of one slot; UnlockSlot releases it. For iterations that
// visit slots one at a time (SCAN, KEYS, RANDOMKEY, active expiry).
func (e *Engine) LockSlot(slot int) {
	s := StripeOf(slot)
	e.groups[s/stripesPerGroup].RLock()
	e.stripes[s].Lock()
}

func (e *Engine) UnlockSlot(slot int) {
	s := StripeOf(slot)
	e.stripes[s].Unlock()
	e.groups[s/stripesPerGroup].RUnlock()
}

// FlushAll empties every database. Caller holds every stripe.
func (e *Engine) FlushAll() {
	for _, db := range e.dbs {
		db.Flush()
	}
}

// SwapDB exchanges the contents of databases a and b. Caller holds every stripe.
func (e *Engine) SwapDB(a, b int) {
	da, dbb := e.dbs[a], e.dbs[b]
	ka, kb := da.data(), dbb.data()
	da.ks.Store(kb)
	dbb.ks.Store(ka)
}
