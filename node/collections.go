package node

import (
	"math"
	"math/rand/v2"
	"strconv"

	"github.com/shoal-db/shoal/node/conf"
	"github.com/shoal-db/shoal/node/glob"
	"github.com/shoal-db/shoal/node/resp"
	"github.com/shoal-db/shoal/storage"
)

// Helpers shared by the collection families (hashes, lists, sets, sorted sets): typed
// key lookup (lookupColl, createColl, dropIfEmpty), the HSCAN/SSCAN/ZSCAN engine,
// random counts, and the bound on replies whose size the client chooses
// (SRANDMEMBER/HRANDFIELD with a negative count).

// collRand is the random source of HRANDFIELD, SRANDMEMBER and SPOP.
func collRand(n int) int { return rand.IntN(n) }

// lookupColl returns key's value as a T (the zero T when the key does not exist); on a
// value of another type it writes WRONGTYPE and returns ok false. Caller holds the
// key's stripe.
func lookupColl[T storage.Value](c *Client, key []byte) (v T, ok bool) {
	return lookupIn[T](c, c.db, key)
}

// sourceColl is lookupColl for the source keys of a command that may store its result
// (SINTERSTORE, ZUNIONSTORE, ZRANGESTORE …): a read lookup even in a write command, as
// Redis's lookupKeyRead (keyspace hits and misses, keymiss events).
func sourceColl[T storage.Value](c *Client, key []byte) (v T, ok bool) {
	return lookupIn[T](c, c.db.ForRead(), key)
}

func lookupIn[T storage.Value](c *Client, db *storage.DB, key []byte) (v T, ok bool) {
	v, err := storage.Lookup[T](db, c.slot(key), key)
	if err != nil {
		c.ErrFor(err)
		return v, false
	}
	return v, true
}

// createColl is lookupColl that stores mk() under key when the key does not exist.
func createColl[T storage.Value](c *Client, key []byte, mk func() T) (v T, ok bool) {
	v, err := storage.LookupOrCreate(c.db, c.slot(key), key, mk)
	if err != nil {
		c.ErrFor(err)
		return v, false
	}
	return v, true
}

// dropIfEmpty deletes key when its collection v has become empty, as Redis never keeps
// an empty collection. Caller holds the key's stripe.
func (c *Client) dropIfEmpty(key []byte, v interface{ Len() int }) {
	if v.Len() == 0 {
		c.db.Delete(c.slot(key), key)
		c.notify(evGeneric, "del", key)
	}
}

// clearDest deletes the destination of a …STORE command whose result is empty, reporting
// the deletion when the key existed.
func (c *Client) clearDest(dst []byte) {
	if c.db.Delete(c.slot(dst), dst) {
		c.wrote(dst, evGeneric, "del")
	}
}

// replyCollInt writes fn of the value of type T at args[1] as an integer reply, 0 when
// the key does not exist (HLEN, HEXISTS, SCARD, SISMEMBER …).
func replyCollInt[T interface {
	storage.Value
	comparable
}](c *Client, fn func(v T) int) {
	v, ok := lookupColl[T](c, c.args[1])
	if !ok {
		return
	}
	var zero T
	n := 0
	if v != zero {
		n = fn(v)
	}
	c.w.Int(int64(n))
}

// b2i is 1 for true, 0 for false.
func b2i(b bool) int {
	if b {
		return 1
	}
	return 0
}

// rangeCountArg parses args[i] as SRANDMEMBER's and HRANDFIELD's count: an integer
// within ±LONG_MAX, with Redis's errors.
func (c *Client) rangeCountArg(i int) (int64, bool) {
	n, ok := c.intArg(i)
	if ok && n == math.MinInt64 {
		c.Err(errLongRange)
		return 0, false
	}
	return n, ok
}

// scanCollCmd is HSCAN/SSCAN/ZSCAN key cursor [MATCH pattern] [COUNT count] on a value
// of type T, as Redis's scanGenericCommand. The cursor is checked first, then the key
// (a missing key answers an empty scan without looking at the options), then the
// options. step visits part of v from a cursor, passing each element to emit (its
// member, or with pairs its field and value, or member and score), and returns the next
// cursor.
func scanCollCmd[T interface {
	storage.Value
	comparable
}](c *Client, pairs bool, step func(v T, cursor uint64, emit func(key, val []byte)) uint64) {
	cursor, ok := resp.ParseCursor(c.args[2])
	if !ok {
		c.Err(errInvalidCursor)
		return
	}
	v, ok := lookupColl[T](c, c.args[1])
	if !ok {
		return
	}
	var zero T
	if v == zero {
		c.w.Array(2)
		c.w.BulkString("0")
		c.w.Array(0)
		return
	}
	c.scanColl(cursor, pairs, func(cur uint64, emit func(key, val []byte)) uint64 {
		return step(v, cur, emit)
	})
}

// scanColl parses the options of a SCAN-family command (COUNT n, MATCH pattern) from
// args[3], then calls step from cursor until it has collected COUNT strings, the cursor
// is back to 0, or COUNT*10 steps were made. The elements are filtered by MATCH after
// being counted, as Redis does.
func (c *Client) scanColl(cursor uint64, pairs bool, step func(cursor uint64, emit func(key, val []byte)) uint64) {
	opt, ok := parseScanOptions(c, 3, false)
	if !ok {
		return
	}
	count, pat := opt.count, opt.pattern
	var out resp.Writer
	out.Proto = c.w.Proto
	collected, n := int64(0), 0
	emit := func(key, val []byte) {
		collected++
		if pairs {
			collected++
		}
		if pat != nil && !glob.Match(pat, key, false) {
			return
		}
		out.Bulk(key)
		n++
		if pairs {
			out.Bulk(val)
			n++
		}
	}
	maxSteps := count * 10
	for {
		cursor = step(cursor, emit)
		if cursor == 0 || maxSteps == 0 || collected >= count {
			break
		}
		maxSteps--
	}
	var num [20]byte
	c.w.Array(2)
	c.w.Bulk(strconv.AppendUint(num[:0], cursor, 10))
	c.w.Array(n)
	c.w.Raw(out.B)
}

// maxReplyBytes is the most one reply may take in the output buffer: the
// client-output-buffer-limit hard limit of normal clients, or proto-max-bulk-len when
// that limit is off (Redis has no bound then and would exhaust its memory).
func (c *Client) maxReplyBytes() int {
	cfg := c.s.config()
	limit := cfg.ClientOutputBufferLimit[conf.ClassNormal].Hard
	if limit == 0 || limit > uint64(cfg.ProtoMaxBulkLen) {
		limit = uint64(cfg.ProtoMaxBulkLen)
	}
	return int(min(limit, math.MaxInt))
}

// replyGuard stops a reply whose size the client chose (a random count with
// repetitions) from growing without bound: check it as elements are written; once the
// reply started at start exceeds maxReplyBytes it is dropped and the connection is
// closed, as Redis closes a client over its output buffer limit.
type replyGuard struct {
	c          *Client
	start, max int
}

func newReplyGuard(c *Client) replyGuard {
	return replyGuard{c: c, start: c.w.Len(), max: c.maxReplyBytes()}
}

// ok reports whether writing may go on; call it after each element (it is a length
// comparison until the limit is reached).
func (g *replyGuard) ok() bool {
	if g.c.w.Len()-g.start <= g.max {
		return true
	}
	g.c.w.B = g.c.w.B[:g.start]
	g.c.closeAfter = true
	g.c.s.log.Warningf("Client id=%d scheduled to be closed ASAP for overcoming of output buffer limits.", g.c.id)
	return false
}
