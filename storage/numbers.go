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

// ParseFloat parses b as Redis parses a double argument (strtod over the whole string):
// no surrounding spaces, "inf"/"+inf"/"-inf" accepted, NaN rejected.
func ParseFloat(b []byte) (float64, bool) {
	if len(b) == 0 || isSpace(b[0]) || isSpace(b[len(b)-1]) {
		return 0, false
	}
	s := string(b)
	f, err := strconv.ParseFloat(s, 64)
	if err != nil {
		if ne, ok := err.(*strconv.NumError); ok && ne.Err == strconv.ErrRange && !math.IsNaN(f) {
			// strtod returns ±HUGE_VAL on overflow and 0 on underflow; Redis accepts both.
			return f, true
		}
		return 0, false
	}
	if math.IsNaN(f) {
		return 0, false
	}
	// strconv accepts forms strtod does not ("0x1p-2" is accepted by both; "1_000" only by
	// Go's literal syntax, which ParseFloat rejects), so the two agree on what matters.
	return f, true
}

func isSpace(c byte) bool {
	return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f'
}

// FormatInt appends n in decimal.
func FormatInt(b []byte, n int64) []byte { return strconv.AppendInt(b, n, 10) }
