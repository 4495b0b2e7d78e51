package node

import (
	"math"

	"github.com/shoal-db/shoal/storage"
)

// Argument parsing shared by several command families, and the error replies that go
// with it (Redis 7.0.15's strings). The helpers write the error themselves and report
// ok false, so a handler only returns.

const (
	errNumkeys       = "ERR numkeys should be greater than 0"
	errCountPos      = "ERR count should be greater than 0"
	errLimitNeg      = "ERR LIMIT can't be negative"
	errOutOfRange    = "ERR value is out of range"
	errLongRange     = "ERR value is out of range, value must between -9223372036854775807 and 9223372036854775807"
	errInvalidCursor = "ERR invalid cursor"
	errNaNOrInf      = "ERR increment would produce NaN or Infinity"
)

// intArgMin parses args[i] as an integer of at least lo. When it is not an integer, or
// is smaller, it writes msg and returns ok false.
func (c *Client) intArgMin(i int, lo int64, msg string) (int64, bool) {
	n, ok := storage.ParseInt(c.args[i])
	if !ok || n < lo {
		c.Err(msg)
		return 0, false
	}
	return n, true
}

// optCountArg parses the optional count at args[i] (LPOP, RPOP, ZPOPMIN, ZPOPMAX): -1
// when there is no such argument, else a non-negative integer; anything else writes
// "value is out of range, must be positive" and returns ok false.
func (c *Client) optCountArg(i int) (int64, bool) {
	if i >= len(c.args) {
		return -1, true
	}
	return c.intArgMin(i, 0, errNotIntOrNeg)
}

// keywordArg parses args[i] as one of two keywords (case-insensitive): isFirst reports
// that it is first. When it is neither, it writes a syntax error and returns ok false.
func (c *Client) keywordArg(i int, first, second string) (isFirst, ok bool) {
	switch {
	case c.is(i, first):
		return true, true
	case c.is(i, second):
		return false, true
	}
	c.Err(errSyntax)
	return false, false
}

// addInt64 returns a+b, and ok false when the sum overflows an int64.
func addInt64(a, b int64) (sum int64, ok bool) {
	if b < 0 && a < 0 && b < math.MinInt64-a || b > 0 && a > 0 && b > math.MaxInt64-a {
		return 0, false
	}
	return a + b, true
}

// mpopArgs are the parsed arguments of LMPOP, BLMPOP, ZMPOP and BZMPOP.
type mpopArgs struct {
	keys  [2]int // args[keys[0]:keys[1]] are the keys
	first bool   // the where keyword is the first of its two (LEFT, MAX)
	count int64  // the COUNT given, 1 without one
}

// parseMpop parses "numkeys key [key ...] first|second [COUNT count]" starting at
// args[at], writing Redis's error (and returning ok false) on failure: numkeys below 1,
// too few arguments for the keys, a where keyword other than first or second, COUNT
// twice or below 1, or anything else after them.
func (c *Client) parseMpop(at int, first, second string) (a mpopArgs, ok bool) {
	numkeys, ok := c.intArgMin(at, 1, errNumkeys)
	if !ok {
		return a, false
	}
	if numkeys >= int64(len(c.args)-at-1) {
		c.Err(errSyntax)
		return a, false
	}
	where := at + 1 + int(numkeys)
	a.keys = [2]int{at + 1, where}
	if a.first, ok = c.keywordArg(where, first, second); !ok {
		return a, false
	}
	a.count = -1
	for i := where + 1; i < len(c.args); i++ {
		if a.count == -1 && c.is(i, "COUNT") && i+1 < len(c.args) {
			i++
			if a.count, ok = c.intArgMin(i, 1, errCountPos); !ok {
				return a, false
			}
			continue
		}
		c.Err(errSyntax)
		return a, false
	}
	if a.count == -1 {
		a.count = 1
	}
	return a, true
}

// rankWindow turns the inclusive start and end indexes of LRANGE, LTRIM and ZRANGE by
// rank (negative ones count from the end) into the half-open window [lo, hi) of a
// sequence of n elements; lo == hi == 0 when the range selects nothing.
func rankWindow(n, start, end int64) (lo, hi int) {
	if start < 0 {
		start += n
	}
	if end < 0 {
		end += n
	}
	start = max(start, 0)
	if start > end || start >= n {
		return 0, 0
	}
	end = min(end, n-1)
	return int(start), int(end) + 1
}

// parseStored parses b, a stored number that INCRBY, INCRBYFLOAT, HINCRBY or
// HINCRBYFLOAT adds to, with parse: the zero T when the key or field is absent (found
// false). When b does not parse it writes msg and returns ok false.
func parseStored[T any](c *Client, b []byte, found bool, parse func([]byte) (T, bool), msg string) (v T, ok bool) {
	if !found {
		return v, true
	}
	if v, ok = parse(b); !ok {
		c.Err(msg)
	}
	return v, ok
}
