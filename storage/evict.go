package storage

import (
	"math/rand/v2"
	"sync/atomic"
)

// Access tracking and eviction sampling, as Redis's evict.c.
//
// Each entry keeps 24 bits of access data in entry.lru. With an LRU (or no) eviction
// policy they are the LRU clock of the last access, in seconds. With an LFU policy
// (SetLFU) they are the minute of the last decrement (high 16 bits) and a logarithmic
// access counter (low 8 bits): an access decays the counter by one per lfu-decay-time
// minutes elapsed, then increments it with probability 1/((counter-5)*lfu-log-factor+1);
// a new key starts at 5. Switching modes reinterprets the bits, as in Redis: they adjust
// over time.

// lfuInitVal is the counter of a new key (LFU_INIT_VAL).
const lfuInitVal = 5

// lfuState is the LFU mode and its parameters.
type lfuState struct {
	on        atomic.Bool
	logFactor atomic.Int64
	decay     atomic.Int64 // minutes per decrement, 0 = never
}

// SetLFU switches access tracking to LFU (on) or LRU, with lfu-log-factor and
// lfu-decay-time.
func (e *Engine) SetLFU(on bool, logFactor, decayMinutes int) {
	e.lfu.logFactor.Store(int64(logFactor))
	e.lfu.decay.Store(int64(decayMinutes))
	e.lfu.on.Store(on)
}

// LFU reports whether access tracking is in LFU mode.
func (e *Engine) LFU() bool { return e.lfu.on.Load() }

func (e *Engine) lfuMinutes() uint32 { return uint32(e.now()/60000) & 0xffff }

// lfuDecay is the counter of bits after decay (LFUDecrAndReturn).
func (e *Engine) lfuDecay(bits uint32) uint32 {
	ldt, counter := bits>>8, bits&0xff
	d := uint32(e.lfu.decay.Load())
	if d == 0 {
		return counter
	}
	now := e.lfuMinutes()
	var elapsed uint32
	if now >= ldt {
		elapsed = now - ldt
	} else {
		elapsed = 0xffff - ldt + now
	}
	if periods := elapsed / d; periods > 0 {
		if periods > counter {
			return 0
		}
		return counter - periods
	}
	return counter
}

// access returns the access bits after an access to an entry holding cur.
func (e *Engine) access(cur uint32) uint32 {
	if !e.lfu.on.Load() {
		return e.LRUClock()
	}
	counter := e.lfuDecay(cur)
	if counter < 255 {
		base := float64(counter) - lfuInitVal
		if base < 0 {
			base = 0
		}
		if rand.Float64() < 1/(base*float64(e.lfu.logFactor.Load())+1) {
			counter++
		}
	}
	return e.lfuMinutes()<<8 | counter
}

// newAccess is the access bits of a new key.
func (e *Engine) newAccess() uint32 {
	if e.lfu.on.Load() {
		return e.lfuMinutes()<<8 | lfuInitVal
	}
	return e.LRUClock()
}

// Freq is key's LFU counter after decay (OBJECT FREQ). Caller holds the stripe.
func (db *DB) Freq(slot int, key []byte) (int64, bool) {
	en := db.find(slot, key)
	if en == nil {
		return 0, false
	}
	return int64(db.e.lfuDecay(en.lru & lruMask)), true
}

// SetFreq sets key's LFU counter (RESTORE … FREQ). Caller holds the stripe.
func (db *DB) SetFreq(slot int, key []byte, freq int64) {
	if en := db.find(slot, key); en != nil {
		en.lru = en.lru&^lruMask | db.e.lfuMinutes()<<8 | uint32(min(max(freq, 0), 255))
	}
}

// idleOf is the idle time in seconds the LRU bits of en say (estimateObjectIdleTime).
func (db *DB) idleOf(en *entry) int64 {
	now, lru := db.e.LRUClock(), en.lru&lruMask
	if now >= lru {
		return int64(now - lru)
	}
	return int64(now + (lruMask - lru))
}

// Access is a key's access data as both modes read it: seconds idle (meaningful in LRU
// mode) and the LFU counter after decay (meaningful in LFU mode).
type Access struct {
	Idle int64
	Freq int64
}

// Candidate is a key sampled for eviction with what the policies rank it by.
type Candidate struct {
	Key    []byte // a copy
	Idle   int64  // seconds since the last access (LRU mode)
	Freq   int64  // LFU counter after decay (LFU mode)
	Expire int64  // Unix ms, 0 = none
}

// SampleKey picks a random live key of slot — with an expire, if volatile — or
// returns false when there is none. Caller holds the stripe.
func (db *DB) SampleKey(slot int, volatile bool, rnd func(n int) int) (Candidate, bool) {
	t := &db.data().slots[slot]
	eligible := int(t.count)
	if volatile {
		eligible = int(t.volatile)
	}
	if eligible == 0 {
		return Candidate{}, false
	}
	ok := func(en *entry) bool { return !volatile || en.expire != 0 }
	var pick *entry
	if len(t.buckets) <= 4*eligible {
		// Dense enough: a random bucket, then a random eligible entry in it.
		for range 8 {
			b := t.buckets[rnd(len(t.buckets))]
			n := 0
			for en := b; en != nil; en = en.next {
				if ok(en) {
					n++
				}
			}
			if n == 0 {
				continue
			}
			i := rnd(n)
			for en := b; en != nil; en = en.next {
				if ok(en) {
					if i == 0 {
						pick = en
						break
					}
					i--
				}
			}
			break
		}
	}
	if pick == nil {
		// Sparse (or unlucky): the i-th eligible entry in bucket order.
		i := rnd(eligible)
	walk:
		for _, b := range t.buckets {
			for en := b; en != nil; en = en.next {
				if ok(en) {
					if i == 0 {
						pick = en
						break walk
					}
					i--
				}
			}
		}
	}
	if pick == nil || pick.expire != 0 && pick.expire <= db.e.now() {
		return Candidate{}, false
	}
	c := Candidate{Key: []byte(pick.key()), Expire: pick.expire}
	if db.e.lfu.on.Load() {
		c.Freq = int64(db.e.lfuDecay(pick.lru & lruMask))
	} else {
		c.Idle = db.idleOf(pick)
	}
	return c, true
}

// MemTotal is the memory total of every database's keys and values (the figure
// maxmemory is compared with).
func (e *Engine) MemTotal() int64 {
	var n int64
	for _, db := range e.dbs {
		n += db.MemTotal()
	}
	return n
}

// Recount recomputes the memory total of every key from its value (after values were
// changed in place without Reaccount, e.g. while no maxmemory was set). Caller holds
// every stripe.
func (e *Engine) Recount() {
	for _, db := range e.dbs {
		ks := db.data()
		var total int64
		for i := range ks.slots {
			t := &ks.slots[i]
			for _, b := range t.buckets {
				for en := b; en != nil; en = en.next {
					if en.obj != nil {
						en.obj.acct = en.obj.v.Mem()
					}
					total += en.memSize()
				}
			}
		}
		ks.mem.Store(total)
	}
}
