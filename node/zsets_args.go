package node

import (
	"math"
	"strconv"

	"github.com/shoal-db/shoal/storage"
)

// Argument parsing for the sorted set commands, following the C library functions Redis
// uses (strtod, strtoul) where Go's strconv disagrees with them.

// Sorted set error replies (Redis 7.0.15).
const (
	errZMinMaxFloat = "ERR min or max is not a float"
	errZMinMaxLex   = "ERR min or max not valid string range item"
	errZWeight      = "ERR weight value is not a float"
	errZNumkeys     = "ERR numkeys should be greater than 0"
	errZCount       = "ERR count should be greater than 0"
	errZLimitNeg    = "ERR LIMIT can't be negative"
	errZOutOfRange  = "ERR value is out of range"
	errZInvalidCurs = "ERR invalid cursor"
)

func isCSpace(c byte) bool {
	return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f'
}

func hasPrefixFold(b []byte, lower string) bool {
	if len(b) < len(lower) {
		return false
	}
	for i := 0; i < len(lower); i++ {
		if b[i]|0x20 != lower[i] {
			return false
		}
	}
	return true
}

// zsetStrtod parses the whole of b as C's strtod does (decimal and hexadecimal forms,
// "inf"/"infinity" in any case, leading white space only when skipSpace). ok is false
// unless all of b is one number; NaN is never ok. erange reports a finite literal that
// overflowed to ±Inf or underflowed to 0 (strtod's ERANGE cases Redis checks).
func zsetStrtod(b []byte, skipSpace bool) (f float64, ok, erange bool) {
	i := 0
	if skipSpace {
		for i < len(b) && isCSpace(b[i]) {
			i++
		}
	}
	start := i
	neg := false
	if i < len(b) && (b[i] == '+' || b[i] == '-') {
		neg = b[i] == '-'
		i++
	}
	rest := b[i:]
	switch {
	case hasPrefixFold(rest, "infinity") && len(rest) == 8, hasPrefixFold(rest, "inf") && len(rest) == 3:
		if neg {
			return math.Inf(-1), true, false
		}
		return math.Inf(1), true, false
	case len(rest) >= 2 && rest[0] == '0' && rest[1]|0x20 == 'x':
		return strtodHex(b[start:], rest[2:])
	}
	digits, nonzero := 0, false
	j := 0
	for ; j < len(rest) && rest[j] >= '0' && rest[j] <= '9'; j++ {
		digits++
		nonzero = nonzero || rest[j] != '0'
	}
	if j < len(rest) && rest[j] == '.' {
		for j++; j < len(rest) && rest[j] >= '0' && rest[j] <= '9'; j++ {
			digits++
			nonzero = nonzero || rest[j] != '0'
		}
	}
	if digits == 0 {
		return 0, false, false
	}
	if j < len(rest) && rest[j]|0x20 == 'e' {
		k := j + 1
		if k < len(rest) && (rest[k] == '+' || rest[k] == '-') {
			k++
		}
		if k < len(rest) && rest[k] >= '0' && rest[k] <= '9' {
			for k < len(rest) && rest[k] >= '0' && rest[k] <= '9' {
				k++
			}
			j = k
		}
	}
	if j != len(rest) {
		return 0, false, false
	}
	return strtodConvert(string(b[start:]), nonzero)
}

// strtodHex parses a hexadecimal float; lit is the whole literal (sign included), digits
// what follows "0x".
func strtodHex(lit, digits []byte) (float64, bool, bool) {
	isHex := func(c byte) bool {
		return (c >= '0' && c <= '9') || (c|0x20 >= 'a' && c|0x20 <= 'f')
	}
	n, nonzero, j := 0, false, 0
	for ; j < len(digits) && isHex(digits[j]); j++ {
		n++
		nonzero = nonzero || digits[j] != '0'
	}
	if j < len(digits) && digits[j] == '.' {
		for j++; j < len(digits) && isHex(digits[j]); j++ {
			n++
			nonzero = nonzero || digits[j] != '0'
		}
	}
	if n == 0 {
		return 0, false, false // strtod reads "0" and stops at the 'x'
	}
	hasExp := false
	if j < len(digits) && digits[j]|0x20 == 'p' {
		k := j + 1
		if k < len(digits) && (digits[k] == '+' || digits[k] == '-') {
			k++
		}
		if k < len(digits) && digits[k] >= '0' && digits[k] <= '9' {
			for k < len(digits) && digits[k] >= '0' && digits[k] <= '9' {
				k++
			}
			j, hasExp = k, true
		}
	}
	if j != len(digits) {
		return 0, false, false
	}
	s := string(lit)
	if !hasExp {
		s += "p0" // Go requires the binary exponent
	}
	return strtodConvert(s, nonzero)
}

// strtodConvert converts a literal already checked to be in strtod's syntax.
func strtodConvert(s string, nonzero bool) (float64, bool, bool) {
	f, err := strconv.ParseFloat(s, 64)
	if err != nil {
		if ne, isNum := err.(*strconv.NumError); isNum && ne.Err == strconv.ErrRange {
			return f, true, true
		}
		return 0, false, false
	}
	return f, true, f == 0 && nonzero
}

// parseZScore parses a score, increment or weight as Redis's getDoubleFromObject: the
// whole argument, no leading space, no overflow or underflow, not NaN.
func parseZScore(b []byte) (float64, bool) {
	if len(b) == 0 || isCSpace(b[0]) {
		return 0, false
	}
	f, ok, erange := zsetStrtod(b, false)
	return f, ok && !erange
}

// zScoreArg parses args[i] as a score, writing Redis's error when it is not one.
func (c *Client) zScoreArg(i int) (float64, bool) {
	f, ok := parseZScore(c.args[i])
	if !ok {
		c.Err(errNotFloat)
	}
	return f, ok
}

// parseZScoreBound parses one end of a score range as Redis's zslParseRange: an optional
// "(" for an open end, then strtod's syntax (leading spaces allowed, out-of-range values
// saturate, an empty string is 0), NaN rejected.
func parseZScoreBound(b []byte) (f float64, ex, ok bool) {
	if len(b) > 0 && b[0] == '(' {
		ex, b = true, b[1:]
	}
	if len(b) == 0 {
		return 0, ex, true
	}
	f, ok, _ = zsetStrtod(b, true)
	return f, ex, ok
}

// zScoreRangeArgs parses args[i] and args[j] as the min and max of a score range,
// writing Redis's error when they are not.
func (c *Client) zScoreRangeArgs(i, j int) (r storage.ScoreRange, ok bool) {
	var ok1, ok2 bool
	r.Min, r.MinEx, ok1 = parseZScoreBound(c.args[i])
	r.Max, r.MaxEx, ok2 = parseZScoreBound(c.args[j])
	if !ok1 || !ok2 {
		c.Err(errZMinMaxFloat)
		return r, false
	}
	return r, true
}

// parseZLexBound parses one end of a lexicographic range: "-", "+", or "[" / "(" and a
// value. The value aliases b.
func parseZLexBound(b []byte) (storage.LexBound, bool) {
	if len(b) == 0 {
		return storage.LexBound{}, false
	}
	switch b[0] {
	case '-', '+':
		if len(b) != 1 {
			return storage.LexBound{}, false
		}
		if b[0] == '-' {
			return storage.LexBound{Inf: -1}, true
		}
		return storage.LexBound{Inf: 1}, true
	case '(':
		return storage.LexBound{Value: b[1:], Ex: true}, true
	case '[':
		return storage.LexBound{Value: b[1:]}, true
	}
	return storage.LexBound{}, false
}

// zLexRangeArgs parses args[i] and args[j] as the min and max of a lexicographic range,
// writing Redis's error when they are not. The range aliases the arguments.
func (c *Client) zLexRangeArgs(i, j int) (r storage.LexRange, ok bool) {
	var ok1, ok2 bool
	r.Min, ok1 = parseZLexBound(c.args[i])
	r.Max, ok2 = parseZLexBound(c.args[j])
	if !ok1 || !ok2 {
		c.Err(errZMinMaxLex)
		return r, false
	}
	return r, true
}

// parseZScanCursor parses a SCAN-family cursor as Redis's parseScanCursorOrReply does
// with strtoul: no leading space, an optional sign ("-1" wraps to 2^64-1), decimal
// digits within 64 bits; the empty string is 0.
func parseZScanCursor(b []byte) (uint64, bool) {
	if len(b) == 0 {
		return 0, true
	}
	i, neg := 0, false
	if b[0] == '+' || b[0] == '-' {
		neg, i = b[0] == '-', 1
	}
	if i == len(b) {
		return 0, false
	}
	var v uint64
	for ; i < len(b); i++ {
		d := b[i]
		if d < '0' || d > '9' {
			return 0, false
		}
		if v > (math.MaxUint64-uint64(d-'0'))/10 {
			return 0, false
		}
		v = v*10 + uint64(d-'0')
	}
	if neg {
		v = -v
	}
	return v, true
}
