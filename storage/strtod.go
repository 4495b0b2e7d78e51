package storage

import (
	"math"
	"strconv"
)

// C's strtod, as Redis's argument parsers use it: decimal and hexadecimal forms,
// "inf"/"infinity", ERANGE on overflow and on underflow to zero. Go's strconv accepts
// things strtod does not ("1_0") and rejects things it accepts ("0x10").

// IsCSpace reports whether c is white space to C's isspace.
func IsCSpace(c byte) bool {
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

// Strtod parses the whole of b as C's strtod does (decimal and hexadecimal forms,
// "inf"/"infinity" in any case, leading white space only when skipSpace). ok is false
// unless all of b is one number; NaN is never ok. erange reports a finite literal that
// overflowed to ±Inf or underflowed to 0 (strtod's ERANGE cases Redis checks).
func Strtod(b []byte, skipSpace bool) (f float64, ok, erange bool) {
	i := 0
	if skipSpace {
		for i < len(b) && IsCSpace(b[i]) {
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
