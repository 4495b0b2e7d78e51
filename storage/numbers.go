package storage

import (
	"math"
	"strconv"
)

// ParseInt parses b as Redis's string2ll does: an optional '-', no '+', no spaces, no
// leading zeros (except "0" itself), within int64.
func ParseInt(b []byte) (int64, bool) {
	n := len(b)
	if n == 0 || n > 20 {
		return 0, false
	}
	if n == 1 && b[0] == '0' {
		return 0, true
	}
	i, neg := 0, false
	if b[0] == '-' {
		neg, i = true, 1
		if n == 1 {
			return 0, false
		}
	}
	if b[i] < '1' || b[i] > '9' {
		return 0, false
	}
	var v uint64
	for ; i < n; i++ {
		c := b[i]
		if c < '0' || c > '9' {
			return 0, false
		}
		if v > (math.MaxUint64-9)/10 {
			return 0, false
		}
		v = v*10 + uint64(c-'0')
	}
	if neg {
		if v > 1<<63 {
			return 0, false
		}
		return -int64(v), true
	}
	if v > math.MaxInt64 {
		return 0, false
	}
	return int64(v), true
}

// ParseFloat parses b as Redis's getDoubleFromObject does: strtod over the whole
// argument, no leading space, not NaN, and no overflow or underflow to zero ("1e400" and
// "1e-400" are errors; the literal "inf" is not).
func ParseFloat(b []byte) (float64, bool) {
	if len(b) == 0 || IsCSpace(b[0]) {
		return 0, false
	}
	f, ok, erange := Strtod(b, false)
	return f, ok && !erange
}

// FormatInt appends n in decimal.
func FormatInt(b []byte, n int64) []byte { return strconv.AppendInt(b, n, 10) }
