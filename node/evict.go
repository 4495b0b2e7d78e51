package node

import (
	"math"
	"math/rand/v2"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/shoal-db/shoal/node/conf"
	"github.com/shoal-db/shoal/node/spec"
	"github.com/shoal-db/shoal/slots"
	"github.com/shoal-db/shoal/storage"
)

// maxmemory and eviction, as Redis's evict.c.
//
// What maxmemory is compared with is the engine's memory total: the bytes of every key
// and value as MEMORY USAGE estimates them (storage keeps it as keys are written, and
// the executor brings a key's share up to date after a write command changed its value
// in place). The Go heap around it (buffers, garbage not yet collected) is not counted:
// it would make eviction depend on when the collector last ran.
//
// Before every command, while the total is over maxmemory, keys are evicted by
// maxmemory-policy: for the LRU, LFU and TTL policies, maxmemory-samples keys are
// sampled from each database into a pool of the best candidates kept between rounds
// (Redis's eviction pool), and the best is evicted; for the random policies, a random
// key. An evicted key is deleted under its stripe, counted (evicted_keys), announced
// (keyspace event "evicted") and propagated as DEL. When nothing can be evicted — the
// policy is noeviction, or a volatile policy finds no key with an expire — a command
// flagged denyoom (and anything but EXEC/DISCARD inside MULTI) gets the OOM error.

const errOOM = "OOM command not allowed when used memory > 'maxmemory'."

// evictPoolSize is the number of candidates the pool keeps (EVPOOL_SIZE).
const evictPoolSize = 16

type evictCandidate struct {
	db    int
	key   string
	score uint64 // higher is evicted first
}

// evictState is the eviction pool and its lock; evictions run one at a time.
type evictState struct {
	maxmem atomic.Int64 // maxmemory, 0 = none
	mu     sync.Mutex   // taken before any stripe
	pool   []evictCandidate
	nextDB int // the random policies' next database (under mu)
}

// policyKind is what a maxmemory-policy ranks keys by.
type policyKind int

const (
	policyNone policyKind = iota
	policyLRU
	policyLFU
	policyTTL
	policyRandom
)

// parsePolicy splits maxmemory-policy into its kind and whether only keys with an
// expire are candidates.
func parsePolicy(p string) (kind policyKind, volatile bool) {
	volatile = strings.HasPrefix(p, "volatile-")
	switch {
	case strings.HasSuffix(p, "-lru"):
		kind = policyLRU
	case strings.HasSuffix(p, "-lfu"):
		kind = policyLFU
	case strings.HasSuffix(p, "-ttl"):
		kind = policyTTL
	case strings.HasSuffix(p, "-random"):
		kind = policyRandom
	}
	return kind, volatile
}

// applyMemoryConfig applies maxmemory and the policy's access tracking. Caller holds
// cfgMu (or runs before Start).
func (s *Server) applyMemoryConfig(cfg *conf.Config) {
	kind, _ := parsePolicy(cfg.MaxmemoryPolicy)
	s.eng.SetLFU(kind == policyLFU, cfg.LFULogFactor, cfg.LFUDecayTime)
	was := s.evict.maxmem.Swap(cfg.Maxmemory)
	if was == 0 && cfg.Maxmemory > 0 {
		// Values changed in place while no maxmemory was set were not recounted.
		var all storage.LockSet
		all.AddAll()
		s.eng.Lock(&all)
		s.eng.Recount()
		s.eng.Unlock(&all)
	}
	s.evict.mu.Lock()
	s.evict.pool = s.evict.pool[:0]
	s.evict.mu.Unlock()
}

// reaccount updates the memory total for the keys a write command changed. The
// stripes are held.
func (s *Server) reaccount(c *Client) {
	for i, idx := range c.keyIdx {
		c.db.Reaccount(c.keySlots[i], c.args[idx])
	}
}

// oomCheck runs before a command when maxmemory is set: it evicts what it must and
// reports whether cmd may run (false: it answered OOM).
func (s *Server) oomCheck(c *Client, cmd *Command) bool {
	ok := s.performEvictions()
	c.oomAtStart = !ok
	if ok || !(cmd.Has(spec.DenyOOM) || c.multi != nil && !cmd.txControl) {
		return true
	}
	c.reject(errOOM)
	return false
}

// performEvictions evicts keys until the memory total is at most maxmemory; false when
// it cannot get there (nothing left to evict under the policy).
func (s *Server) performEvictions() bool {
	limit := s.evict.maxmem.Load()
	if limit == 0 || s.eng.MemTotal() <= limit {
		return true
	}
	cfg := s.config()
	kind, volatile := parsePolicy(cfg.MaxmemoryPolicy)
	if kind == policyNone {
		return false
	}
	ev := &s.evict
	ev.mu.Lock()
	defer ev.mu.Unlock()
	for s.eng.MemTotal() > limit {
		if !s.evictOne(kind, volatile, cfg.MaxmemorySamples) {
			return false
		}
	}
	return true
}

// evictOne evicts the best candidate; false when there is none. Caller holds evict.mu.
func (s *Server) evictOne(kind policyKind, volatile bool, samples int) bool {
	ev := &s.evict
	if kind == policyRandom {
		for range s.eng.NumDBs() {
			dbi := ev.nextDB
			ev.nextDB = (ev.nextDB + 1) % s.eng.NumDBs()
			if c, ok := s.sampleOne(dbi, volatile); ok && s.evictKey(dbi, c.Key) {
				return true
			}
		}
		return false
	}
	for tries := 0; tries < 16; tries++ {
		for dbi := range s.eng.NumDBs() {
			db := s.eng.DB(dbi)
			if db.Size() == 0 || volatile && db.Volatile() == 0 {
				continue
			}
			for range samples {
				if c, ok := s.sampleOne(dbi, volatile); ok {
					ev.consider(evictCandidate{db: dbi, key: string(c.Key), score: evictScore(kind, c)})
				}
			}
		}
		if len(ev.pool) == 0 {
			return false
		}
		// The best candidate is last; it may be gone already (deleted, evicted, expired).
		best := ev.pool[len(ev.pool)-1]
		ev.pool = ev.pool[:len(ev.pool)-1]
		if s.evictKey(best.db, []byte(best.key)) {
			return true
		}
	}
	return false
}

// consider adds c to the pool, kept sorted by score (best last) and bounded.
func (ev *evictState) consider(c evictCandidate) {
	for i, x := range ev.pool {
		if x.db == c.db && x.key == c.key {
			ev.pool = append(ev.pool[:i], ev.pool[i+1:]...)
			break
		}
	}
	i := 0
	for i < len(ev.pool) && ev.pool[i].score <= c.score {
		i++
	}
	if len(ev.pool) == evictPoolSize {
		if i == 0 {
			return // worse than everything kept
		}
		ev.pool = ev.pool[1:]
		i--
	}
	ev.pool = append(ev.pool, evictCandidate{})
	copy(ev.pool[i+1:], ev.pool[i:])
	ev.pool[i] = c
}

// evictScore ranks a candidate: idle time (LRU), rarity (LFU), nearness of its expire
// (TTL).
func evictScore(kind policyKind, c storage.Candidate) uint64 {
	switch kind {
	case policyLFU:
		return uint64(255 - c.Freq)
	case policyTTL:
		return math.MaxUint64 - uint64(c.Expire)
	}
	return uint64(c.Idle)
}

// sampleOne picks a random key of database dbi (with an expire, if volatile).
func (s *Server) sampleOne(dbi int, volatile bool) (storage.Candidate, bool) {
	db := s.eng.DB(dbi)
	start := rand.IntN(storage.SlotCount)
	next := db.NextNonEmpty
	if volatile {
		next = db.NextVolatile
	}
	slot := next(start)
	if slot < 0 {
		if slot = next(0); slot < 0 {
			return storage.Candidate{}, false
		}
	}
	s.eng.LockSlot(slot)
	defer s.eng.UnlockSlot(slot)
	return db.SampleKey(slot, volatile, rand.IntN)
}

// evictKey deletes key from database dbi as an eviction; false if it is gone.
func (s *Server) evictKey(dbi int, key []byte) bool {
	slot := slots.KeySlot(key)
	db := s.eng.DB(dbi).ForWrite()
	s.eng.LockSlot(slot)
	defer s.eng.UnlockSlot(slot)
	s.captureSlot(slot)
	if !db.Delete(slot, key) {
		return false
	}
	s.stats.evicted.Add(1)
	s.keyEvicted(dbi, key)
	if s.feeding() {
		s.propagateDel(dbi, key, s.config().LazyfreeLazyEviction)
	}
	return true
}
