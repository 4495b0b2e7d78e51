package node

import (
	"math"
	"strconv"
	"strings"
	"sync"

	"github.com/shoal-db/shoal/node/glob"
	"github.com/shoal-db/shoal/node/resp"
	"github.com/shoal-db/shoal/slots"
	"github.com/shoal-db/shoal/storage"
)

// KEYS and SCAN walk the keyspace one slot at a time, holding only that slot's stripe
// (lock policy lockNone), and skip empty slots through the keyspace's bitmap.

func scanDefs() []def {
	return []def{
		{name: "keys", fn: cmdKeys, lock: lockNone},
		{name: "scan", fn: cmdScan, lock: lockNone},
	}
}

// cmdKeys answers every live key matching the pattern, walking every non-empty slot (or
// only the slot a hash-tagged pattern pins down).
func cmdKeys(c *Client) {
	pat := c.args[1]
	if len(pat) == 1 && pat[0] == '*' {
		pat = nil
	}
	kl := getKeyList()
	defer putKeyList(kl)
	db, e := c.db, c.s.eng
	now := e.Now()
	collect := func(k []byte, _ storage.Type) {
		if pat == nil || glob.Match(pat, k, false) {
			kl.add(k)
		}
	}
	visit := func(s int) {
		c.lockSlot(s)
		db.ScanSlotN(storage.Cursor(s), math.MaxInt, now, collect)
		c.unlockSlot(s)
	}
	if s := slots.PatternSlot(pat); s >= 0 {
		visit(s)
	} else {
		for s := db.NextNonEmpty(0); s >= 0; s = db.NextNonEmpty(s + 1) {
			visit(s)
		}
	}
	kl.write(&c.w)
}

// cmdScan is SCAN cursor [MATCH pattern] [COUNT count] [TYPE type]. The cursor is a
// storage.Cursor: the slot, then the bucket cursor of that slot's table. One call visits
// buckets until it has seen COUNT live keys (before MATCH and TYPE filter them) or the
// pass ends. A key present from the first call to the last is returned at least once:
// a slot is skipped only while it is empty, and within a slot the table's reverse-binary
// cursor survives resizes.
func cmdScan(c *Client) {
	cursor, ok := resp.ParseCursor(c.args[1])
	if !ok {
		c.Err(errInvalidCursor)
		return
	}
	opt, ok := parseScanOptions(c, 2, true)
	if !ok {
		return
	}
	kl := getKeyList()
	defer putKeyList(kl)
	db, e := c.db, c.s.eng
	now := e.Now()
	collect := func(k []byte, t storage.Type) {
		if opt.typed && t != opt.typ || opt.pattern != nil && !glob.Match(opt.pattern, k, false) {
			return
		}
		kl.add(k)
	}
	cur := storage.Cursor(cursor)
	only := slots.PatternSlot(opt.pattern)
	done := false
	switch {
	case only < 0:
	case cur == 0:
		cur = storage.Cursor(only)
	case cur.Slot() != only:
		done = true // a cursor from another pattern: no key of this slot lies elsewhere
	}
	left := opt.count // live keys still to visit, before filtering
	for !done {
		if s := cur.Slot(); cur == storage.Cursor(s) {
			// At the start of slot s: skip to the next slot holding keys.
			ns := db.NextNonEmpty(s)
			if ns < 0 || only >= 0 && ns != only {
				done = true
				break
			}
			cur = storage.Cursor(ns)
		}
		s := cur.Slot()
		c.lockSlot(s)
		next, n := db.ScanSlotN(cur, int(min(left, math.MaxInt)), now, collect)
		c.unlockSlot(s)
		cur, left = next, left-int64(n)
		done = cur == 0 || only >= 0 && cur.Slot() != only
		if left <= 0 {
			break
		}
	}
	if done {
		cur = 0
	}
	var num [20]byte
	c.w.Array(2)
	c.w.Bulk(strconv.AppendUint(num[:0], uint64(cur), 10))
	kl.write(&c.w)
}

// scanOptions are the options of SCAN, HSCAN, SSCAN and ZSCAN.
type scanOptions struct {
	count   int64  // COUNT, default 10
	pattern []byte // MATCH; nil when absent or "*"; valid during the command only
	typed   bool   // TYPE given (SCAN only)
	typ     storage.Type
}

// parseScanOptions parses the SCAN family's options from args[from:], answering Redis's
// error when they are malformed. TYPE is accepted only when allowType (SCAN itself); an
// unknown type name matches no key, as in Redis 7.0.
func parseScanOptions(c *Client, from int, allowType bool) (scanOptions, bool) {
	opt := scanOptions{count: 10}
	for i := from; i < len(c.args); i += 2 {
		hasValue := i+1 < len(c.args)
		switch {
		case c.is(i, "COUNT") && hasValue:
			n, ok := c.intArg(i + 1)
			if !ok {
				return opt, false
			}
			if n < 1 {
				c.Err(errSyntax)
				return opt, false
			}
			opt.count = n
		case c.is(i, "MATCH") && hasValue:
			opt.pattern = c.args[i+1]
			if len(opt.pattern) == 1 && opt.pattern[0] == '*' {
				opt.pattern = nil
			}
		case allowType && c.is(i, "TYPE") && hasValue:
			opt.typed, opt.typ = true, storage.TypeNone // no key has type "none"
			name := string(c.args[i+1])
			for t := storage.TypeString; t <= storage.TypeStream; t++ {
				if strings.EqualFold(name, t.String()) {
					opt.typ = t
				}
			}
		default:
			c.Err(errSyntax)
			return opt, false
		}
	}
	return opt, true
}

// keyList collects keys (copied) for a reply in one buffer.
type keyList struct {
	buf  []byte
	ends []int
}

func (l *keyList) add(k []byte) {
	l.buf = append(l.buf, k...)
	l.ends = append(l.ends, len(l.buf))
}

func (l *keyList) write(w *resp.Writer) {
	w.Array(len(l.ends))
	start := 0
	for _, end := range l.ends {
		w.Bulk(l.buf[start:end])
		start = end
	}
}

var keyListPool = sync.Pool{New: func() any { return new(keyList) }}

func getKeyList() *keyList { return keyListPool.Get().(*keyList) }

// putKeyList recycles l unless it grew large (a big KEYS reply is not kept around).
func putKeyList(l *keyList) {
	if cap(l.buf) > 64<<10 || cap(l.ends) > 8<<10 {
		return
	}
	l.buf, l.ends = l.buf[:0], l.ends[:0]
	keyListPool.Put(l)
}
