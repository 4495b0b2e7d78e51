package node

import (
	"bytes"
	"math"
	"slices"

	"github.com/shoal-db/shoal/storage"
)

// SORT and SORT_RO sort the elements of a list, set or sorted set (any
// storage.Iterable), numerically or with ALPHA by bytes, optionally by the values of
// other keys (BY pattern), returning the elements or other keys' values (GET pattern),
// or storing the result as a list (STORE). BY and GET read arbitrary keys, so both are
// registered with lockAll.

// sortFieldGetter is what a "pattern->field" lookup needs from a hash value: the value of
// one field. The hash type implements it.
type sortFieldGetter interface {
	Get(field []byte) ([]byte, bool)
}

// sortItem is one element being sorted, with its sort key.
type sortItem struct {
	elem  []byte
	score float64 // numeric sorting
	cmp   []byte  // ALPHA with BY: the BY value; nil when the BY key is missing
}

// sortReq is a parsed SORT command.
type sortReq struct {
	desc, alpha, dontsort bool
	limitStart, limitCnt  int64
	by                    []byte
	gets                  [][]byte
	store                 []byte
	hasStore              bool
}

func cmdSort(c *Client)   { sortCommand(c, false) }
func cmdSortRO(c *Client) { sortCommand(c, true) }

// parseSort parses the options after the key, as Redis does (left to right; later
// options override earlier ones, except that a BY without '*' turns sorting off for
// good); it writes the error and returns false on failure.
func (c *Client) parseSort(readonly bool) (r sortReq, ok bool) {
	r.limitCnt = -1
	cluster := c.s.config().ClusterEnabled
	for j := 2; j < len(c.args); j++ {
		left := len(c.args) - j - 1
		switch {
		case c.is(j, "ASC"):
			r.desc = false
		case c.is(j, "DESC"):
			r.desc = true
		case c.is(j, "ALPHA"):
			r.alpha = true
		case c.is(j, "LIMIT") && left >= 2:
			if r.limitStart, ok = c.intArg(j + 1); !ok {
				return r, false
			}
			if r.limitCnt, ok = c.intArg(j + 2); !ok {
				return r, false
			}
			j += 2
		case !readonly && c.is(j, "STORE") && left >= 1:
			r.store, r.hasStore = c.args[j+1], true
			j++
		case c.is(j, "BY") && left >= 1:
			r.by = c.args[j+1]
			if bytes.IndexByte(r.by, '*') < 0 {
				r.dontsort = true
			} else if cluster {
				c.Err("ERR BY option of SORT denied in Cluster mode.")
				return r, false
			}
			j++
		case c.is(j, "GET") && left >= 1:
			if cluster {
				c.Err("ERR GET option of SORT denied in Cluster mode.")
				return r, false
			}
			r.gets = append(r.gets, c.args[j+1])
			j++
		default:
			c.Err(errSyntax)
			return r, false
		}
	}
	return r, true
}

func sortCommand(c *Client, readonly bool) {
	r, ok := c.parseSort(readonly)
	if !ok {
		return
	}
	var src storage.Iterable
	if _, v, exists := c.db.ForRead().Get(c.slot(c.args[1]), c.args[1]); exists {
		it, isIt := v.(storage.Iterable)
		if !isIt || (it.Type() != storage.TypeList && it.Type() != storage.TypeSet && it.Type() != storage.TypeZSet) {
			c.Err(errWrongType)
			return
		}
		src = it
	}
	typ := storage.TypeList // a missing key sorts as an empty list
	n := 0
	if src != nil {
		typ, n = src.Type(), src.Len()
	}
	if r.dontsort && typ == storage.TypeSet && r.hasStore {
		// A set has no order of its own: what is stored (and replicated) must not
		// depend on its layout, so it is sorted by its elements.
		r.dontsort, r.alpha, r.by = false, true, nil
	}

	// LIMIT, clamped to the collection as Redis does.
	start := min(max(r.limitStart, 0), int64(n))
	cnt := min(max(r.limitCnt, -1), int64(n))
	end := int64(n) - 1
	if cnt >= 0 {
		end = start + cnt - 1
	}
	if start >= int64(n) {
		start, end = int64(n)-1, int64(n)-2
	}
	end = min(end, int64(n)-1)

	var items []sortItem
	if src != nil {
		if r.dontsort && (typ == storage.TypeList || typ == storage.TypeZSet) {
			// Native order: only the LIMIT range is loaded, DESC reads it backwards.
			if end >= start {
				items = loadSortRange(src, int(start), int(end), r.desc)
			}
			end -= start
			start = 0
		} else {
			items = loadSortAll(src)
		}
	}

	convErr := false
	if !r.dontsort {
		convErr = c.sortScores(items, &r)
		if !convErr {
			sortItems(items, &r)
		}
	}
	if convErr {
		c.Err("ERR One or more scores can't be converted into double")
		return
	}

	var out []sortItem
	if end >= start {
		out = items[start : end+1]
	}
	rows := int64(len(out))
	outLen := rows
	if len(r.gets) > 0 {
		outLen = rows * int64(len(r.gets))
	}
	var kb []byte // key buffer for pattern lookups
	if !r.hasStore {
		c.w.Array(int(outLen))
		for _, it := range out {
			if len(r.gets) == 0 {
				c.w.Bulk(it.elem)
			}
			for _, g := range r.gets {
				var v []byte
				if v, kb, ok = c.sortLookup(g, it.elem, kb); ok {
					c.w.Bulk(v)
				} else {
					c.w.Null()
				}
			}
		}
		return
	}
	dst := storage.NewListFill(int(c.s.eng.Limits().ListMaxListpackSize.Load()))
	for _, it := range out {
		if len(r.gets) == 0 {
			dst.PushBack(it.elem)
		}
		for _, g := range r.gets {
			var v []byte
			v, kb, _ = c.sortLookup(g, it.elem, kb) // a missing value is stored as ""
			dst.PushBack(v)
		}
	}
	if outLen > 0 {
		c.db.SetValue(c.slot(r.store), r.store, dst, 0, false)
		c.signalKey(r.store)
		c.notify(evList, "sortstore", r.store)
		c.changed(r.store)
		c.addDirty(int(outLen))
	} else {
		c.clearDest(r.store)
	}
	c.w.Int(outLen)
}

// sortArena copies elements into one buffer: Iterable elements may be valid only during
// the callback (an intset formats its integers), and one buffer costs a few allocations
// instead of one per element.
type sortArena struct {
	buf  []byte
	ends []int
}

func (a *sortArena) add(e []byte) bool {
	a.buf = append(a.buf, e...)
	a.ends = append(a.ends, len(a.buf))
	return true
}

func (a *sortArena) items() []sortItem {
	items := make([]sortItem, len(a.ends))
	prev := 0
	for i, e := range a.ends {
		items[i].elem = a.buf[prev:e:e]
		prev = e
	}
	return items
}

// loadSortAll loads every element in the collection's iteration order.
func loadSortAll(src storage.Iterable) []sortItem {
	var a sortArena
	a.ends = make([]int, 0, src.Len())
	src.Each(a.add)
	return a.items()
}

// loadSortRange loads the elements at positions start..end of the collection's order
// (or, with desc, of the reversed order).
func loadSortRange(src storage.Iterable, start, end int, desc bool) []sortItem {
	if desc {
		start, end = src.Len()-1-end, src.Len()-1-start
	}
	var a sortArena
	a.ends = make([]int, 0, end-start+1)
	if l, ok := src.(*storage.List); ok {
		l.Range(start, end, a.add)
	} else {
		i := 0
		src.Each(func(e []byte) bool {
			if i >= start {
				a.add(e)
			}
			i++
			return i <= end
		})
	}
	items := a.items()
	if desc {
		slices.Reverse(items)
	}
	return items
}

// sortScores computes every item's sort key; it reports whether a numeric value failed
// to parse. A missing BY key leaves the key zero (nil for ALPHA).
func (c *Client) sortScores(items []sortItem, r *sortReq) (convErr bool) {
	var kb []byte
	for i := range items {
		it := &items[i]
		by := it.elem
		if r.by != nil {
			var ok bool
			if by, kb, ok = c.sortLookup(r.by, it.elem, kb); !ok {
				continue
			}
		}
		if r.alpha {
			if r.by != nil {
				it.cmp = by
				if it.cmp == nil {
					it.cmp = []byte{}
				}
			}
			continue
		}
		f, ok := parseSortScore(by)
		if !ok {
			convErr = true
		}
		it.score = f
	}
	return convErr
}

// sortItems orders items as Redis's sortCompare does: numeric by score with ties broken
// by the elements' bytes; ALPHA by the BY values (missing ones first) or by the elements.
// The sort is stable, so ALPHA ties keep the collection's order.
func sortItems(items []sortItem, r *sortReq) {
	cmp := func(a, b *sortItem) int {
		switch {
		case !r.alpha:
			if a.score != b.score {
				if a.score < b.score {
					return -1
				}
				return 1
			}
			return bytes.Compare(a.elem, b.elem)
		case r.by != nil:
			switch {
			case a.cmp == nil && b.cmp == nil:
				return 0
			case a.cmp == nil:
				return -1
			case b.cmp == nil:
				return 1
			}
			return bytes.Compare(a.cmp, b.cmp)
		}
		return bytes.Compare(a.elem, b.elem)
	}
	slices.SortStableFunc(items, func(a, b sortItem) int {
		if r.desc {
			return -cmp(&a, &b)
		}
		return cmp(&a, &b)
	})
}

// sortLookup resolves a BY/GET pattern for one element, as Redis's lookupKeyByPattern:
// "#" is the element itself; otherwise the first '*' is replaced by the element and the
// key read as a string, or, with "->field" after the '*', as a hash field. A pattern
// without '*', a missing key or a key of another type gives ok=false. kb is a reusable
// key buffer; the value aliases the keyspace (valid while the stripes are held).
func (c *Client) sortLookup(pattern, elem, kb []byte) (val, kbOut []byte, ok bool) {
	if len(pattern) == 1 && pattern[0] == '#' {
		return elem, kb, true
	}
	star := bytes.IndexByte(pattern, '*')
	if star < 0 {
		return nil, kb, false
	}
	keyEnd, field := len(pattern), []byte(nil)
	if f := bytes.Index(pattern[star+1:], []byte("->")); f >= 0 && star+1+f+2 < len(pattern) {
		keyEnd = star + 1 + f
		field = pattern[keyEnd+2:]
	}
	kb = append(append(append(kb[:0], pattern[:star]...), elem...), pattern[star+1:keyEnd]...)
	str, v, exists := c.db.ForRead().Get(c.slot(kb), kb)
	switch {
	case !exists:
		return nil, kb, false
	case field != nil:
		h, isHash := v.(sortFieldGetter)
		if v == nil || v.Type() != storage.TypeHash || !isHash {
			return nil, kb, false
		}
		val, ok = h.Get(field)
		return val, kb, ok
	case v == nil:
		return str, kb, true
	}
	if rs, isRaw := v.(*storage.RawString); isRaw {
		return rs.B, kb, true
	}
	return nil, kb, false
}

// parseSortScore converts a value to a double as SORT does with strtod: leading
// whitespace is skipped, decimal and hexadecimal forms and inf/infinity are accepted, ""
// is 0; trailing bytes, NaN, overflow and underflow (ERANGE) are errors.
func parseSortScore(b []byte) (float64, bool) {
	i := 0
	for i < len(b) && storage.IsCSpace(b[i]) {
		i++
	}
	if i == len(b) {
		return 0, i == 0 // strtod converts nothing: fine only when nothing was there
	}
	f, ok, erange := storage.Strtod(b, true)
	if !ok || erange || f != 0 && math.Abs(f) < 0x1p-1022 { // subnormals are ERANGE too
		return 0, false
	}
	return f, true
}
