package storage

import (
	"errors"
	"math"
	"math/bits"
	"strconv"
	"sync/atomic"
	"unsafe"
)

const lruMask = 1<<24 - 1

// entry is one key. The key's bytes, followed for a plain string by the value's, are at
// kvp: inside the entry's own allocation when they fit (newEntry), so a lookup that hits
// touches one object; otherwise in a separate one. obj is the value when it is not a
// plain string (vlen is then 0). 48 bytes plus the inline room.
type entry struct {
	next   *entry
	obj    *object
	kvp    unsafe.Pointer // key then plain string value
	expire int64          // Unix ms; 0 = persistent
	klen   uint32         // length of the key at kvp
	vlen   uint32         // length of the plain string value after the key
	lru    uint32         // LRU clock at last access (low 24 bits), hash tag (high 8 bits)
	inl    [4]byte        // first bytes of the inline room (see entryN)
}

// The entry sizes with inline room for key+value: each fills a Go size class exactly.
type (
	entry20 struct {
		e entry
		b [16]byte
	}
	entry36 struct {
		e entry
		b [32]byte
	}
	entry52 struct {
		e entry
		b [48]byte
	}
	entry68 struct {
		e entry
		b [64]byte
	}
	entry84 struct {
		e entry
		b [80]byte
	}
)

// newEntry allocates an entry holding key and the plain string val (obj == nil) or the
// boxed value obj (val empty), with the bytes inline when they fit.
func newEntry(key, val []byte, obj *object, expire int64) *entry {
	n := len(key) + len(val)
	var en *entry
	switch {
	case n <= 4:
		en = &entry{}
	case n <= 20:
		en = &(&entry20{}).e
	case n <= 36:
		en = &(&entry36{}).e
	case n <= 52:
		en = &(&entry52{}).e
	case n <= 68:
		en = &(&entry68{}).e
	case n <= 84:
		en = &(&entry84{}).e
	default:
		en = &entry{kvp: unsafe.Pointer(unsafe.SliceData(make([]byte, n)))}
	}
	if en.kvp == nil {
		en.kvp = unsafe.Pointer(&en.inl)
	}
	buf := unsafe.Slice((*byte)(en.kvp), n)
	copy(buf, key)
	copy(buf[len(key):], val)
	en.klen, en.vlen, en.obj, en.expire = uint32(len(key)), uint32(len(val)), obj, expire
	return en
}

// entryMem is the bytes newEntry allocates for n bytes of key and value.
func entryMem(n int) int64 {
	const base = int64(unsafe.Sizeof(entry{}))
	switch {
	case n <= 4:
		return base
	case n <= 84:
		return base + int64(n-4+15)&^15
	}
	return base + allocSize(n)
}

// object boxes a Value so an entry spends one word on it. acct is v.Mem() as last
// counted in the keyspace's memory total (put, Reaccount).
type object struct {
	v    Value
	acct int64
}

// memSize is the bytes en counts for in the keyspace's memory total.
func (en *entry) memSize() int64 {
	n := entryMem(int(en.klen + en.vlen))
	if en.obj != nil {
		n += 16 + en.obj.acct
	}
	return n
}

func (en *entry) key() string { return unsafe.String((*byte)(en.kvp), en.klen) }

// keyBytes is key() as a slice; callers must not change it.
func (en *entry) keyBytes() []byte { return unsafe.Slice((*byte)(en.kvp), en.klen) }

// strval is the plain string value; only when obj == nil.
func (en *entry) strval() string { return ustr(en.valBytes()) }

// valBytes is strval() as a slice, writable in place by SetString. An empty value is
// nil, never a pointer just past the allocation.
func (en *entry) valBytes() []byte {
	if en.vlen == 0 {
		return nil
	}
	return unsafe.Slice((*byte)(unsafe.Add(en.kvp, en.klen)), en.vlen)
}

func (en *entry) typ() Type {
	if en.obj == nil {
		return TypeString
	}
	return en.obj.v.Type()
}

// hashTag is the part of a key's hash kept in entry.lru, so a chain walk skips most
// other keys without loading their bytes.
func hashTag(h uint64) uint32 { return uint32(h>>56) << 24 }

// table is one slot's hash table: chained buckets, a power-of-two count, grown at load 1
// (load 2 while the buckets are inline) and shrunk at load 1/8. Guarded by the slot's
// stripe.
//
// A table is one cache line: while it has inlineBuckets buckets they are its own inline
// array, so a lookup in a small slot reads the table and the bucket in one miss. A table
// must not be copied (buckets may point into it).
type table struct {
	buckets  []*entry
	count    int32
	volatile int32 // entries with an expire
	inline   [inlineBuckets]*entry
}

const (
	minBuckets    = 4
	inlineBuckets = minBuckets
)

// full reports whether the table must grow before one more entry.
func (t *table) full() bool {
	if len(t.buckets) == inlineBuckets {
		return int(t.count) >= 2*inlineBuckets
	}
	return int(t.count) >= len(t.buckets)
}

func (t *table) find(h uint64, key []byte) (*entry, **entry) {
	if len(t.buckets) == 0 {
		return nil, nil
	}
	p := &t.buckets[h&uint64(len(t.buckets)-1)]
	tag := hashTag(h)
	for en := *p; en != nil; en = *p {
		if en.lru&^lruMask == tag && en.klen == uint32(len(key)) && en.key() == string(key) {
			return en, p
		}
		p = &en.next
	}
	return nil, nil
}

func (t *table) insert(e *Engine, en *entry) {
	if t.full() {
		t.resize(e, max(minBuckets, len(t.buckets)*2))
	}
	h := e.hash(en.keyBytes())
	en.lru = en.lru&lruMask | hashTag(h)
	b := h & uint64(len(t.buckets)-1)
	en.next = t.buckets[b]
	t.buckets[b] = en
	t.count++
	if en.expire != 0 {
		t.volatile++
	}
}

// unlink removes the entry *p points at; it never resizes (see shrink), so pointers
// into the buckets stay valid.
func (t *table) unlink(e *Engine, p **entry) {
	en := *p
	*p = en.next
	en.next = nil
	t.count--
	if en.expire != 0 {
		t.volatile--
	}
}

// shrink halves the buckets while the load is under 1/8.
func (t *table) shrink(e *Engine) {
	n := len(t.buckets)
	for n > minBuckets && int(t.count) < n/8 {
		n /= 2
	}
	if n != len(t.buckets) {
		t.resize(e, n)
	}
}

func (t *table) resize(e *Engine, n int) {
	old := t.buckets
	var nb []*entry
	if n == inlineBuckets {
		// old is a larger, separate array: the inline one is free.
		nb = t.inline[:]
	} else {
		nb = make([]*entry, n)
	}
	for _, en := range old {
		for en != nil {
			next := en.next
			b := e.hash(en.keyBytes()) & uint64(n-1)
			en.next = nb[b]
			nb[b] = en
			en = next
		}
	}
	if len(old) == inlineBuckets {
		t.inline = [inlineBuckets]*entry{}
	}
	t.setBuckets(nb)
}

// scan visits bucket v&mask and returns the next cursor in reverse-binary order, so
// that a full pass visits every entry present throughout even if the table is resized
// in between (Redis's dictScan guarantee). 0 means the pass is complete.
func (t *table) scan(v uint64, fn func(*entry)) uint64 {
	if len(t.buckets) == 0 {
		return 0
	}
	mask := uint64(len(t.buckets) - 1)
	for en := t.buckets[v&mask]; en != nil; en = en.next {
		fn(en)
	}
	v |= ^mask
	v = bits.Reverse64(v)
	v++
	return bits.Reverse64(v)
}

// keyspace is one database's data: a table per slot. Swapped whole by SWAPDB and
// replaced by FLUSHDB.
type keyspace struct {
	slots    [SlotCount]table // by value: one pointer less to chase per lookup
	keys     atomic.Int64
	volatile atomic.Int64
	mem      atomic.Int64 // bytes of keys and values, as MEMORY USAGE estimates them
	// Bitmaps of the slots that hold keys / keys with an expire, readable without the
	// stripes, so iterations skip empty slots cheaply.
	nonEmpty    [SlotCount / 64]atomic.Uint64
	hasVolatile [SlotCount / 64]atomic.Uint64
}

func setBit(bm *[SlotCount / 64]atomic.Uint64, slot int, on bool) {
	w, b := &bm[slot/64], uint64(1)<<(slot%64)
	if on {
		w.Or(b)
	} else {
		w.And(^b)
	}
}

// nextBit returns the first set bit >= from, or -1.
func nextBit(bm *[SlotCount / 64]atomic.Uint64, from int) int {
	for from < SlotCount {
		w := bm[from/64].Load() >> (from % 64)
		if w != 0 {
			return from + bits.TrailingZeros64(w)
		}
		from = (from/64 + 1) * 64
	}
	return -1
}

// sync updates the bitmaps after a change to slot's table. Caller holds the stripe.
func (ks *keyspace) sync(slot int, t *table) {
	setBit(&ks.nonEmpty, slot, t.count > 0)
	setBit(&ks.hasVolatile, slot, t.volatile > 0)
}

func newKeyspace() *keyspace { return &keyspace{} }

// DB is one numbered database.
//
// Each database has views, equal in everything but lookup accounting and expiry: the
// read view (Engine.DB, ForRead) counts keyspace hits and misses and reports misses
// (Options.OnMiss), the write view (ForWrite) does neither. Redis makes the same
// distinction between lookupKeyRead and lookupKeyWrite. Each of the two also has an
// obeying form (Obeying), for the commands a replica receives from its primary: on
// such a view a key past its expire is still there (see Engine.SetReplica).
type DB struct {
	id    int
	e     *Engine
	ks    *atomic.Pointer[keyspace] // shared by every view; swapped by SWAPDB, replaced by FLUSHDB under every stripe
	write bool                      // a write view
	obey  bool                      // an obeying view
	views *[4]*DB                   // every view of this database, by viewIndex
}

func viewIndex(write, obey bool) int {
	i := 0
	if write {
		i |= 1
	}
	if obey {
		i |= 2
	}
	return i
}

// ForRead returns the database's read view (obeying if db is).
func (db *DB) ForRead() *DB { return db.views[viewIndex(false, db.obey)] }

// ForWrite returns the database's write view (obeying if db is).
func (db *DB) ForWrite() *DB { return db.views[viewIndex(true, db.obey)] }

// Obeying returns the obeying form of db's view.
func (db *DB) Obeying() *DB { return db.views[viewIndex(db.write, true)] }

func (db *DB) data() *keyspace { return db.ks.Load() }

// ID is the database number.
func (db *DB) ID() int { return db.id }

// Size is the number of keys (DBSIZE), counting keys that expired but were not yet
// removed, as Redis does.
func (db *DB) Size() int64 { return db.data().keys.Load() }

// Volatile is the number of keys with an expire.
func (db *DB) Volatile() int64 { return db.data().volatile.Load() }

// SlotSize is the number of keys in slot (COUNTKEYSINSLOT). Caller holds the stripe.
func (db *DB) SlotSize(slot int) int { return int(db.data().slots[slot].count) }

// Reserve sizes the slot tables for about n keys spread over the slots, so loading that
// many does not grow them step by step. Caller holds every stripe (or serves nobody yet).
func (db *DB) Reserve(n uint64) {
	per := n / SlotCount
	want := minBuckets
	for uint64(want) < per && want < 1<<24 {
		want *= 2
	}
	if want <= inlineBuckets {
		return
	}
	ks := db.data()
	for i := range ks.slots {
		if t := &ks.slots[i]; len(t.buckets) < want {
			t.resize(db.e, want)
		}
	}
}

// Flush removes every key. Caller holds every stripe. An empty database keeps its
// tables (a new keyspace is a megabyte to allocate and clear).
func (db *DB) Flush() {
	if db.data().keys.Load() == 0 {
		return
	}
	db.ks.Store(newKeyspace())
}

// find returns key's entry, deleting it first if it has expired. Caller holds the stripe.
func (db *DB) find(slot int, key []byte) *entry {
	en, _ := db.findp(slot, key)
	return en
}

// findp is find that also returns the link pointing at the entry (valid until the
// table changes).
func (db *DB) findp(slot int, key []byte) (*entry, **entry) {
	if db.write && db.e.writeHook != nil {
		db.e.writeHook(db.id, slot, key)
	}
	t := &db.data().slots[slot]
	en, p := t.find(db.e.hash(key), key)
	if en == nil {
		return nil, nil
	}
	if db.expired(en) {
		if db.e.replica.Load() {
			return nil, nil // hidden, not removed: the primary's DEL removes it
		}
		db.expireEntry(slot, t, p)
		return nil, nil
	}
	return en, p
}

// expired reports whether en is past its expire, as seen through this view: never on
// an obeying view of a replica's engine.
func (db *DB) expired(en *entry) bool {
	return en.expire != 0 && en.expire <= db.e.now() && !(db.obey && db.e.replica.Load())
}

// expireEntry removes the expired entry *p: it reports it (Options.OnExpire), counts it
// and unlinks it. Caller holds the stripe.
func (db *DB) expireEntry(slot int, t *table, p **entry) {
	db.reportExpired(*p)
	db.unlink(slot, t, p)
	db.e.stripes[StripeOf(slot)].expired.Add(1)
}

func (db *DB) reportExpired(en *entry) {
	if db.e.expired != nil {
		db.e.expired(db.id, en.keyBytes())
	}
}

func (db *DB) unlink(slot int, t *table, p **entry) {
	db.unlinkKeep(slot, t, p)
	t.shrink(db.e)
}

// unlinkKeep is unlink without shrinking the table, for loops that hold bucket pointers.
func (db *DB) unlinkKeep(slot int, t *table, p **entry) {
	ks := db.data()
	if (*p).expire != 0 {
		ks.volatile.Add(-1)
	}
	ks.mem.Add(-(*p).memSize())
	t.unlink(db.e, p)
	ks.keys.Add(-1)
	ks.sync(slot, t)
}

// put inserts en, replacing any entry of the same key (whose expire is dropped).
func (db *DB) put(slot int, en *entry) {
	ks := db.data()
	t := &ks.slots[slot]
	key := en.keyBytes()
	if db.e.writeHook != nil {
		db.e.writeHook(db.id, slot, key)
	}
	if old, p := t.find(db.e.hash(key), key); old != nil {
		db.unlink(slot, t, p)
	} else if db.e.created != nil {
		db.e.created(db.id, key)
	}
	en.lru = db.e.newAccess() // insert adds the hash tag
	t.insert(db.e, en)
	if en.obj != nil {
		en.obj.acct = en.obj.v.Mem()
	}
	ks.mem.Add(en.memSize())
	ks.keys.Add(1)
	if en.expire != 0 {
		ks.volatile.Add(1)
	}
	ks.sync(slot, t)
}

// touch records an access: the LRU clock, or the LFU counter and time.
func (db *DB) touch(en *entry) { en.lru = en.lru&^lruMask | db.e.access(en.lru&lruMask) }

// Peek returns key's value and expire as they are, counting nothing, expiring nothing
// and calling no hook (a snapshot reading under the key's stripe). ok is false when the
// key is absent (or expired at now, when now > 0).
func (db *DB) Peek(slot int, key []byte, now int64) (str []byte, v Value, expire int64, ok bool) {
	en, _ := db.data().slots[slot].find(db.e.hash(key), key)
	if en == nil || now > 0 && en.expire != 0 && en.expire <= now {
		return nil, nil, 0, false
	}
	if en.obj != nil {
		return nil, en.obj.v, en.expire, true
	}
	return en.valBytes(), nil, en.expire, true
}

// Exists reports whether key exists (and has not expired). Caller holds the stripe.
func (db *DB) Exists(slot int, key []byte) bool { return db.find(slot, key) != nil }

// TypeOf returns key's type, TypeNone if absent. Caller holds the stripe.
func (db *DB) TypeOf(slot int, key []byte) Type {
	if en := db.find(slot, key); en != nil {
		return en.typ()
	}
	return TypeNone
}

// Delete removes key; it reports whether the key existed. Caller holds the stripe.
func (db *DB) Delete(slot int, key []byte) bool {
	if db.e.writeHook != nil {
		db.e.writeHook(db.id, slot, key)
	}
	t := &db.data().slots[slot]
	en, p := t.find(db.e.hash(key), key)
	if en == nil {
		return false
	}
	if db.expired(en) {
		if !db.e.replica.Load() {
			db.expireEntry(slot, t, p)
		}
		return false
	}
	db.unlink(slot, t, p)
	return true
}

// Get returns key's value: the string bytes for a plain string (aliasing the keyspace:
// valid while the caller holds the stripe and does not change the key), or the Value.
// ok is false when the key does not exist. It counts a keyspace hit or miss (INFO
// keyspace_hits/misses) and an access (LRU). Caller holds the stripe.
func (db *DB) Get(slot int, key []byte) (str []byte, v Value, ok bool) {
	en := db.find(slot, key)
	db.CountLookup(slot, key, en != nil, true)
	if en == nil {
		return nil, nil, false
	}
	db.touch(en)
	if en.obj != nil {
		return nil, en.obj.v, true
	}
	s := en.strval()
	return unsafe.Slice(unsafe.StringData(s), len(s)), nil, true
}

// CountLookup records the outcome of a read lookup as Get does, for callers that
// inspect a key through another method (TypeOf, Expire, Encoding …): on the read view
// a keyspace hit or miss and, for a miss when notify is set, Options.OnMiss. It does
// nothing on the write view. Caller holds the stripe.
func (db *DB) CountLookup(slot int, key []byte, found, notify bool) {
	if db.write {
		return
	}
	st := &db.e.stripes[StripeOf(slot)]
	if found {
		st.hits.Add(1)
		return
	}
	st.misses.Add(1)
	if notify && db.e.missed != nil {
		db.e.missed(db.id, key)
	}
}

// GetString returns a string key's bytes (aliasing, see Get); ErrWrongType for other
// types. A later SetString of the same key may overwrite these bytes in place: use them
// (reply, parse, copy) before changing the key. Caller holds the stripe.
func (db *DB) GetString(slot int, key []byte) ([]byte, bool, error) {
	str, v, ok := db.Get(slot, key)
	if !ok {
		return nil, false, nil
	}
	if v != nil {
		if rs, isRaw := v.(*RawString); isRaw {
			return rs.B, true, nil
		}
		return nil, true, ErrWrongType
	}
	return str, true, nil
}

// SetString stores a plain string value, replacing any value of any type. expire is the
// Unix-ms expiry (0 = none); keepTTL keeps the existing expire instead. Caller holds the
// stripe.
//
// Overwriting an existing key is one lookup: a value of the same length is written over
// the old bytes (nothing outside the stripe holds a reference to them: GetString's result
// is valid only under the stripe), else a new entry takes the old one's place in its
// chain.
func (db *DB) SetString(slot int, key, val []byte, expire int64, keepTTL bool) {
	en, p := db.findp(slot, key)
	if en == nil {
		if keepTTL {
			expire = 0
		}
		db.put(slot, newEntry(key, val, nil, expire))
		return
	}
	if !keepTTL {
		db.setEntryExpire(slot, en, expire)
	}
	db.replaceString(en, p, val)
}

// replaceString makes en (found through p) hold the plain string val: over the old
// bytes when the length is the same, else in a new entry put in en's place.
func (db *DB) replaceString(en *entry, p **entry, val []byte) {
	if en.obj == nil && int(en.vlen) == len(val) {
		copy(en.valBytes(), val)
		db.touch(en)
		return
	}
	nen := newEntry(en.keyBytes(), val, nil, en.expire)
	nen.next, nen.lru = en.next, en.lru
	db.touch(nen)
	db.data().mem.Add(nen.memSize() - en.memSize())
	*p = nen
}

// Reaccount brings key's share of the memory total up to date after its value changed
// in place (a write command's keys, once it ran). Caller holds the stripe.
func (db *DB) Reaccount(slot int, key []byte) {
	en, _ := db.data().slots[slot].find(db.e.hash(key), key)
	if en == nil || en.obj == nil {
		return
	}
	m := en.obj.v.Mem()
	db.data().mem.Add(m - en.obj.acct)
	en.obj.acct = m
}

// MemTotal is the memory total of the database's keys and values (see Reaccount).
func (db *DB) MemTotal() int64 { return db.data().mem.Load() }

// Errors of IncrBy.
var (
	ErrNotInteger   = errors.New("ERR value is not an integer or out of range")
	ErrIncrOverflow = errors.New("ERR increment or decrement would overflow")
)

// IncrBy adds delta to the integer stored at key as a string (absent counts as 0),
// stores the result as a plain string keeping the key's expire, and returns it (INCR,
// DECR, INCRBY, DECRBY) in one lookup. Like Redis's write lookups it counts no
// keyspace hit or miss; it counts an access.
// Errors: ErrWrongType, ErrNotInteger (not a ParseInt integer), ErrIncrOverflow; the
// key is then unchanged. Caller holds the stripe.
func (db *DB) IncrBy(slot int, key []byte, delta int64) (int64, error) {
	en, p := db.findp(slot, key)
	var v int64
	if en != nil {
		db.touch(en)
		cur := en.valBytes()
		if en.obj != nil {
			rs, ok := en.obj.v.(*RawString)
			if !ok {
				return 0, ErrWrongType
			}
			cur = rs.B
		}
		var ok bool
		if v, ok = ParseInt(cur); !ok {
			return 0, ErrNotInteger
		}
	}
	if delta < 0 && v < 0 && delta < math.MinInt64-v || delta > 0 && v > 0 && delta > math.MaxInt64-v {
		return 0, ErrIncrOverflow
	}
	v += delta
	var buf [24]byte
	out := strconv.AppendInt(buf[:0], v, 10)
	if en == nil {
		db.put(slot, newEntry(key, out, nil, 0))
	} else {
		db.replaceString(en, p, out)
	}
	return v, nil
}

// SetValue stores v under key, replacing any value (and its expire unless keepTTL).
// Caller holds the stripe.
func (db *DB) SetValue(slot int, key []byte, v Value, expire int64, keepTTL bool) {
	if keepTTL {
		expire = db.expireOf(slot, key)
	}
	db.put(slot, newEntry(key, nil, &object{v: v}, expire))
}

func (db *DB) expireOf(slot int, key []byte) int64 {
	if en := db.find(slot, key); en != nil {
		return en.expire
	}
	return 0
}

// Lookup returns key's value as a T, the zero T if the key does not exist, or
// ErrWrongType. Caller holds the stripe.
func Lookup[T Value](db *DB, slot int, key []byte) (T, error) {
	var zero T
	_, v, ok := db.Get(slot, key)
	if !ok {
		return zero, nil
	}
	t, isT := v.(T)
	if !isT {
		return zero, ErrWrongType
	}
	return t, nil
}

// LookupOrCreate is Lookup that stores mk() under key when it does not exist.
func LookupOrCreate[T Value](db *DB, slot int, key []byte, mk func() T) (T, error) {
	_, v, ok := db.Get(slot, key)
	if !ok {
		t := mk()
		db.SetValue(slot, key, t, 0, false)
		return t, nil
	}
	t, isT := v.(T) // a plain string (v == nil) is the wrong type too
	if !isT {
		return t, ErrWrongType
	}
	return t, nil
}

// Expire returns key's expire (Unix ms, 0 = none) and whether the key exists. Caller
// holds the stripe.
func (db *DB) Expire(slot int, key []byte) (int64, bool) {
	en := db.find(slot, key)
	if en == nil {
		return 0, false
	}
	return en.expire, true
}

// SetExpire sets key's expire (Unix ms; 0 removes it) and reports whether the key exists.
// An expire in the past deletes the key. Caller holds the stripe.
func (db *DB) SetExpire(slot int, key []byte, at int64) bool {
	if db.e.writeHook != nil {
		db.e.writeHook(db.id, slot, key)
	}
	t := &db.data().slots[slot]
	en, p := t.find(db.e.hash(key), key)
	if en == nil {
		return false
	}
	now := db.e.now()
	if db.expired(en) {
		if !db.e.replica.Load() {
			db.expireEntry(slot, t, p)
		}
		return false
	}
	if at != 0 && at <= now {
		db.unlink(slot, t, p)
		return true
	}
	db.setEntryExpire(slot, en, at)
	return true
}

// setEntryExpire sets en's expire (0 = none), keeping the volatile counts. Caller holds
// the stripe.
func (db *DB) setEntryExpire(slot int, en *entry, at int64) {
	ks := db.data()
	t := &ks.slots[slot]
	switch {
	case en.expire == 0 && at != 0:
		t.volatile++
		ks.volatile.Add(1)
	case en.expire != 0 && at == 0:
		t.volatile--
		ks.volatile.Add(-1)
	default:
		en.expire = at
		return
	}
	en.expire = at
	ks.sync(slot, t)
}

// Idle returns the seconds since key was last accessed (OBJECT IDLETIME), without
// counting this as an access. Caller holds the stripe.
func (db *DB) Idle(slot int, key []byte) (int64, bool) {
	en := db.find(slot, key)
	if en == nil {
		return 0, false
	}
	return db.idleOf(en), true
}

// SetIdle makes key look idle for seconds (RESTORE … IDLETIME). Caller holds the stripe.
func (db *DB) SetIdle(slot int, key []byte, seconds int64) {
	en := db.find(slot, key)
	if en == nil {
		return
	}
	now := int64(db.e.LRUClock())
	lru := (now - seconds%(lruMask+1) + lruMask + 1) & lruMask
	en.lru = en.lru&^lruMask | uint32(lru)
}

// Encoding returns OBJECT ENCODING's answer for key. Caller holds the stripe.
func (db *DB) Encoding(slot int, key []byte) (string, bool) {
	en := db.find(slot, key)
	if en == nil {
		return "", false
	}
	if en.obj != nil {
		return en.obj.v.Encoding(), true
	}
	return StringEncoding(en.strval()), true
}

// StringEncoding is the encoding Redis reports for a string value set whole (SET):
// "int" for a canonical 64-bit integer of up to 20 characters, "embstr" up to 44 bytes,
// else "raw".
func StringEncoding(s string) string {
	if len(s) <= 20 && len(s) > 0 {
		if _, ok := ParseInt([]byte(s)); ok {
			return "int"
		}
	}
	if len(s) <= 44 {
		return "embstr"
	}
	return "raw"
}

// MemUsage estimates the bytes key and its value occupy (MEMORY USAGE). Caller holds the
// stripe.
func (db *DB) MemUsage(slot int, key []byte) (int64, bool) {
	en := db.find(slot, key)
	if en == nil {
		return 0, false
	}
	n := entryMem(int(en.klen + en.vlen))
	if en.obj != nil {
		n += 16 + en.obj.v.Mem()
	}
	return n, true
}

// Rename moves src's value and expire to dst in database to (which may be db itself),
// replacing dst. Caller holds both stripes. It reports whether src existed.
func (db *DB) Rename(srcSlot int, src []byte, to *DB, dstSlot int, dst []byte) bool {
	t := &db.data().slots[srcSlot]
	en := db.find(srcSlot, src)
	if en == nil {
		return false
	}
	_, p := t.find(db.e.hash(src), src)
	db.unlink(srcSlot, t, p)
	to.put(dstSlot, newEntry(dst, en.valBytes(), en.obj, en.expire))
	return true
}

// Copy stores a deep copy of src (with its expire) under dst in database to. Caller holds
// both stripes. It reports whether src existed.
func (db *DB) Copy(srcSlot int, src []byte, to *DB, dstSlot int, dst []byte) bool {
	en := db.find(srcSlot, src)
	if en == nil {
		return false
	}
	if en.obj == nil {
		to.put(dstSlot, newEntry(dst, en.valBytes(), nil, en.expire))
	} else {
		to.put(dstSlot, newEntry(dst, nil, &object{v: en.obj.v.Clone()}, en.expire))
	}
	return true
}

// Cursor positions a keyspace iteration: the slot in the low 14 bits, the slot table's
// reverse-binary bucket cursor above. 0 starts (and ends) a full pass.
type Cursor uint64

// Slot is the slot the cursor is in.
func (c Cursor) Slot() int { return int(c & (SlotCount - 1)) }

// NextNonEmpty returns the first slot >= from that holds keys, or -1. It needs no
// stripe, so the answer is a hint: callers lock the slot and re-check.
func (db *DB) NextNonEmpty(from int) int { return nextBit(&db.data().nonEmpty, from) }

// NextVolatile returns the first slot >= from that holds keys with an expire, or -1 (a
// hint, as NextNonEmpty).
func (db *DB) NextVolatile(from int) int { return nextBit(&db.data().hasVolatile, from) }

// RandomKey returns a random non-expired key of slot, or nil. Caller holds the stripe.
func (db *DB) RandomKey(slot int, rnd func(n int) int) []byte {
	t := &db.data().slots[slot]
	if t.count == 0 {
		return nil
	}
	now := db.e.now()
	for range 100 {
		b := t.buckets[rnd(len(t.buckets))]
		n := 0
		for en := b; en != nil; en = en.next {
			n++
		}
		if n == 0 {
			continue
		}
		en := b
		for i := rnd(n); i > 0; i-- {
			en = en.next
		}
		if en.expire != 0 && en.expire <= now {
			continue
		}
		return []byte(en.key())
	}
	return nil
}

// ExpireSlot deletes up to limit expired keys of slot by walking its table from bucket
// cursor v; it returns the number examined and deleted, and the next cursor (0 at the
// end of the table). Used by the active expiry cycle. Caller holds the stripe.
func (db *DB) ExpireSlot(slot int, v uint64, limit int, onExpire func(key []byte)) (examined, deleted int, next uint64) {
	t := &db.data().slots[slot]
	if t.volatile == 0 {
		return 0, 0, 0
	}
	now := db.e.now()
	for examined < limit {
		mask := uint64(len(t.buckets) - 1)
		p := &t.buckets[v&mask]
		for en := *p; en != nil; en = *p {
			examined++
			if en.expire != 0 && en.expire <= now {
				if onExpire != nil {
					k := en.key()
					onExpire(unsafe.Slice(unsafe.StringData(k), len(k)))
				}
				db.reportExpired(en)
				db.unlinkKeep(slot, t, p)
				db.e.stripes[StripeOf(slot)].expired.Add(1)
				deleted++
				continue
			}
			p = &en.next
		}
		v |= ^mask
		v = bits.Reverse64(bits.Reverse64(v) + 1)
		if v == 0 || t.volatile == 0 {
			v = 0
			break
		}
	}
	t.shrink(db.e)
	return examined, deleted, v
}
