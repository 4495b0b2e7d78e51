package node

import (
	"bytes"
	"math/big"
	"strings"
)

// HINCRBYFLOAT computes in C's long double, which on Redis's usual platform (x86-64
// Linux) is the x87 80-bit extended format: a 64-bit mantissa and a 15-bit exponent. It
// is emulated here with math/big at the same precision and range, so sums round exactly
// as Redis's do and print the same digits (the printing is Redis's ld2string in
// LD_STR_HUMAN mode: "%.17Lf" with trailing zeros removed). Subnormal results keep the
// full 64-bit precision (Redis's lose some); nothing else differs.
//
// These helpers are named after the hash family so they cannot clash with the string
// family's INCRBYFLOAT; both should move to one shared place.

const (
	hashLDPrec     = 64
	hashLDMaxExp   = 16384  // |x| >= 2^16384 is out of range (MantExp > this)
	hashLDMinExp   = -16445 // |x| <= 2^-16446, half the smallest subnormal, rounds to zero
	hashLDMaxChars = 5 * 1024
)

func newHashLD() *big.Float { return new(big.Float).SetPrec(hashLDPrec).SetMode(big.ToNearestEven) }

// hashParseLD parses b as Redis's string2ld: the whole string must be a number strtold
// accepts (decimal or hexadecimal, "inf"/"infinity" in any case), without leading space,
// shorter than 5 KiB, not NaN and not out of range (overflow, or underflow to zero).
func hashParseLD(b []byte) (*big.Float, bool) {
	if len(b) == 0 || len(b) >= hashLDMaxChars || hashLDSpace(b[0]) {
		return nil, false
	}
	s := string(b)
	neg, body := false, s
	if s[0] == '+' || s[0] == '-' {
		neg, body = s[0] == '-', s[1:]
	}
	if strings.EqualFold(body, "inf") || strings.EqualFold(body, "infinity") {
		return newHashLD().SetInf(neg), true
	}
	base := 10
	switch {
	case hashLDHexSyntax(body):
		base = 0
	case !hashLDDecSyntax(body):
		return nil, false
	}
	f := newHashLD()
	if _, _, err := f.Parse(s, base); err != nil {
		// Only an exponent too large for math/big gets here: strtold gives zero for a
		// zero mantissa and a range error (rejected) for anything else.
		if strings.Trim(hashLDMantissa(body), "0.") == "" {
			return newHashLD().SetInt64(0), true
		}
		return nil, false
	}
	if f.Sign() != 0 && (f.MantExp(nil) > hashLDMaxExp || hashLDUnderflows(f)) {
		return nil, false
	}
	return f, true
}

// hashLDUnderflows reports whether f (not zero) is too small for a long double: at most
// half the smallest subnormal, 2^-16446, which rounds (to even) to zero.
func hashLDUnderflows(f *big.Float) bool {
	m := new(big.Float)
	exp := f.MantExp(m)
	return exp < hashLDMinExp || exp == hashLDMinExp && m.Abs(m).Cmp(big.NewFloat(0.5)) == 0
}

// hashAddLD returns a+b rounded to long double; ok is false when the sum is infinite
// (overflow included), which HINCRBYFLOAT refuses.
func hashAddLD(a, b *big.Float) (*big.Float, bool) {
	if a.IsInf() || b.IsInf() {
		return nil, false
	}
	z := newHashLD().Add(a, b)
	if z.Sign() != 0 {
		if z.MantExp(nil) > hashLDMaxExp {
			return nil, false
		}
		if hashLDUnderflows(z) {
			z.SetInt64(0)
		}
	}
	return z, true
}

// hashAppendLD appends f as ld2string's human mode: "%.17Lf", trailing zeros (and a
// trailing point) removed, "-0" printed as "0".
func hashAppendLD(dst []byte, f *big.Float) []byte {
	start := len(dst)
	dst = f.Append(dst, 'f', 17)
	if bytes.IndexByte(dst[start:], '.') >= 0 {
		for dst[len(dst)-1] == '0' {
			dst = dst[:len(dst)-1]
		}
		if dst[len(dst)-1] == '.' {
			dst = dst[:len(dst)-1]
		}
	}
	if string(dst[start:]) == "-0" {
		dst = append(dst[:start], '0')
	}
	return dst
}

func hashLDSpace(c byte) bool {
	return c == ' ' || c == '\t' || c == '\n' || c == '\v' || c == '\f' || c == '\r'
}

func hashLDDigit(c byte) bool { return c >= '0' && c <= '9' }

func hashLDHexDigit(c byte) bool {
	return hashLDDigit(c) || (c|0x20) >= 'a' && (c|0x20) <= 'f'
}

// hashLDDigits consumes a mantissa (digits, optional point, digits; at least one
// digit) and returns the rest, or ok false.
func hashLDDigits(s string, digit func(byte) bool) (rest string, ok bool) {
	i, n := 0, 0
	for i < len(s) && digit(s[i]) {
		i, n = i+1, n+1
	}
	if i < len(s) && s[i] == '.' {
		i++
		for i < len(s) && digit(s[i]) {
			i, n = i+1, n+1
		}
	}
	return s[i:], n > 0
}

// hashLDExponent reports whether s is empty or a whole exponent marked by one of marks.
func hashLDExponent(s, marks string) bool {
	if s == "" {
		return true
	}
	if strings.IndexByte(marks, s[0]) < 0 {
		return false
	}
	s = s[1:]
	if s != "" && (s[0] == '+' || s[0] == '-') {
		s = s[1:]
	}
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		if !hashLDDigit(s[i]) {
			return false
		}
	}
	return true
}

// hashLDDecSyntax reports whether s (sign removed) is a whole decimal float for strtold.
func hashLDDecSyntax(s string) bool {
	rest, ok := hashLDDigits(s, hashLDDigit)
	return ok && hashLDExponent(rest, "eE")
}

// hashLDHexSyntax reports whether s (sign removed) is a whole hexadecimal float for
// strtold ("0x1.8p3"; the binary exponent is optional).
func hashLDHexSyntax(s string) bool {
	if len(s) < 3 || s[0] != '0' || (s[1]|0x20) != 'x' {
		return false
	}
	rest, ok := hashLDDigits(s[2:], hashLDHexDigit)
	return ok && hashLDExponent(rest, "pP")
}

// hashLDMantissa returns the digits of a float literal (sign removed) before its
// exponent, without a hexadecimal prefix.
func hashLDMantissa(s string) string {
	marks := "eE"
	if hashLDHexSyntax(s) {
		s, marks = s[2:], "pP"
	}
	if i := strings.IndexAny(s, marks); i >= 0 {
		return s[:i]
	}
	return s
}
