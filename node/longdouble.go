package node

import (
	"math/big"
)

// Redis computes INCRBYFLOAT in C's long double, which on x86-64 is the x87 extended
// format: a 64-bit significand and a 15-bit exponent. It parses operands with strtold
// and prints the result with "%.17Lf", trimming trailing zeros (ld2string's
// LD_STR_HUMAN). longDouble emulates that arithmetic with math/big, so results match
// Redis digit for digit (0.1 + 0.2 is "0.3"; 1e20 prints all 21 digits).
//
// Values in the subnormal range are kept at full precision: they print as "0" in any
// case, so the difference cannot be observed.
type longDouble struct {
	f *big.Float // nil is +0
}

const (
	ldPrec     = 64    // significand bits
	ldMaxExp   = 16384 // big.Float exponent (mantissa in [0.5, 1)) of LDBL_MAX
	ldTinyExp  = 16446 // values at or below 2^-16446 round to 0 (below half the least subnormal)
	ldMaxChars = 5 * 1024
)

var ldTiny = new(big.Rat).SetFrac(big.NewInt(1), new(big.Int).Lsh(big.NewInt(1), ldTinyExp))

func (v longDouble) float() *big.Float {
	if v.f == nil {
		return new(big.Float)
	}
	return v.f
}

// parseLongDouble parses b as Redis's string2ld does: strtold over the whole string,
// with no leading space, rejecting NaN and out-of-range values (strtold's ERANGE:
// overflow, or a non-zero value that underflows to 0). Accepted forms are decimal
// ("-1.5e3", ".5", "5."), hexadecimal ("0x1.8p1") and "inf"/"infinity" in any case.
func parseLongDouble(b []byte) (longDouble, bool) {
	if len(b) == 0 || len(b) >= ldMaxChars {
		return longDouble{}, false
	}
	neg := false
	if b[0] == '+' || b[0] == '-' {
		neg = b[0] == '-'
		b = b[1:]
	}
	if equalFold(b, "INF") || equalFold(b, "INFINITY") {
		return longDouble{new(big.Float).SetInf(neg)}, true
	}
	var num, den *big.Int
	var ok bool
	if len(b) > 2 && b[0] == '0' && (b[1] == 'x' || b[1] == 'X') {
		num, den, ok = parseHexFloat(b[2:])
	} else {
		num, den, ok = parseDecFloat(b)
	}
	if !ok {
		return longDouble{}, false
	}
	if num.Sign() == 0 {
		f := new(big.Float)
		if neg {
			f.Neg(f)
		}
		return longDouble{f}, true
	}
	r := new(big.Rat).SetFrac(num, den)
	if r.Cmp(ldTiny) <= 0 {
		return longDouble{}, false // underflow
	}
	f := new(big.Float).SetPrec(ldPrec).SetRat(r)
	if f.MantExp(nil) > ldMaxExp {
		return longDouble{}, false // overflow
	}
	if neg {
		f.Neg(f)
	}
	return longDouble{f}, true
}

// ldDigits scans the longest prefix of b made of digits in base (10 or 16), and
// returns them and the rest.
func ldDigits(b []byte, base int) (digits, rest []byte) {
	i := 0
	for i < len(b) && ldDigitVal(b[i]) < base {
		i++
	}
	return b[:i], b[i:]
}

func ldDigitVal(c byte) int {
	switch {
	case '0' <= c && c <= '9':
		return int(c - '0')
	case 'a' <= c && c <= 'f':
		return int(c-'a') + 10
	case 'A' <= c && c <= 'F':
		return int(c-'A') + 10
	}
	return 99
}

// ldMantissa scans "digits[.digits]" (at least one digit) in base and returns the digits
// as an integer, how many followed the point, and the rest of b.
func ldMantissa(b []byte, base int) (m *big.Int, frac int, rest []byte, ok bool) {
	intPart, rest := ldDigits(b, base)
	var fracPart []byte
	if len(rest) > 0 && rest[0] == '.' {
		fracPart, rest = ldDigits(rest[1:], base)
	}
	if len(intPart)+len(fracPart) == 0 {
		return nil, 0, nil, false
	}
	all := make([]byte, 0, len(intPart)+len(fracPart))
	all = append(append(all, intPart...), fracPart...)
	m, _ = new(big.Int).SetString(string(all), base)
	return m, len(fracPart), rest, true
}

// ldExponent parses an optional exponent "<mark>[+-]digits" that must end b, saturating
// at ±1e9 (far beyond any finite long double).
func ldExponent(b []byte, mark byte) (int, bool) {
	if len(b) == 0 {
		return 0, true
	}
	if b[0]|0x20 != mark || len(b) < 2 {
		return 0, false
	}
	b = b[1:]
	sign := 1
	if b[0] == '+' || b[0] == '-' {
		if b[0] == '-' {
			sign = -1
		}
		b = b[1:]
	}
	digits, rest := ldDigits(b, 10)
	if len(digits) == 0 || len(rest) > 0 {
		return 0, false
	}
	e := 0
	for _, d := range digits {
		if e < 1e9 {
			e = e*10 + int(d-'0')
		}
	}
	return sign * min(e, 1e9), true
}

// parseDecFloat parses an unsigned decimal float into num/den (not reduced). Values far
// outside the long double range come back as an overflow or underflow stand-in, so a
// huge exponent never builds a huge integer.
func parseDecFloat(b []byte) (num, den *big.Int, ok bool) {
	m, frac, rest, ok := ldMantissa(b, 10)
	if !ok {
		return nil, nil, false
	}
	e, ok := ldExponent(rest, 'e')
	if !ok {
		return nil, nil, false
	}
	if m.Sign() == 0 {
		return m, big.NewInt(1), true
	}
	e -= frac
	// m has L bits, so log10(m·10^e) lies in [(L-1)·log10(2)+e, L·log10(2)+e). Bail out
	// only when clearly beyond LDBL_MAX (1.19e4932) or below the underflow bound 2^-16446
	// (1.8e-4951); the exact checks in parseLongDouble decide near the edges.
	l := float64(m.BitLen())
	switch {
	case (l-1)*0.30103+float64(e) > 4940:
		return nil, nil, false
	case l*0.30103+float64(e) < -4960:
		return nil, nil, false
	}
	pow := new(big.Int).Exp(big.NewInt(10), big.NewInt(int64(ldAbs(e))), nil)
	if e >= 0 {
		return m.Mul(m, pow), big.NewInt(1), true
	}
	return m, pow, true
}

// parseHexFloat parses the part after "0x" of a hexadecimal float into num/den.
func parseHexFloat(b []byte) (num, den *big.Int, ok bool) {
	m, frac, rest, ok := ldMantissa(b, 16)
	if !ok {
		return nil, nil, false
	}
	e, ok := ldExponent(rest, 'p')
	if !ok {
		return nil, nil, false
	}
	if m.Sign() == 0 {
		return m, big.NewInt(1), true
	}
	e -= 4 * frac
	// m·2^e lies in [2^(L-1+e), 2^(L+e)).
	l := m.BitLen()
	switch {
	case l-1+e >= ldMaxExp:
		return nil, nil, false
	case l+e <= -ldTinyExp:
		return nil, nil, false
	}
	if e >= 0 {
		return m.Lsh(m, uint(e)), big.NewInt(1), true
	}
	return m, new(big.Int).Lsh(big.NewInt(1), uint(-e)), true
}

func ldAbs(n int) int {
	if n < 0 {
		return -n
	}
	return n
}

// addLongDouble returns a+b rounded to long double precision; ok is false when the sum
// is infinite or NaN (an infinite operand, or overflow).
func addLongDouble(a, b longDouble) (longDouble, bool) {
	af, bf := a.float(), b.float()
	if af.IsInf() || bf.IsInf() {
		return longDouble{}, false
	}
	s := new(big.Float).SetPrec(ldPrec).Add(af, bf)
	if s.MantExp(nil) > ldMaxExp {
		return longDouble{}, false
	}
	return longDouble{s}, true
}

// appendLongDoubleHuman appends v as Redis's ld2string(LD_STR_HUMAN) writes it:
// "%.17Lf" with the trailing zeros (and then the point) removed, and "-0" as "0".
func appendLongDoubleHuman(dst []byte, v longDouble) []byte {
	start := len(dst)
	dst = v.float().Append(dst, 'f', 17)
	for dst[len(dst)-1] == '0' {
		dst = dst[:len(dst)-1]
	}
	if dst[len(dst)-1] == '.' {
		dst = dst[:len(dst)-1]
	}
	if string(dst[start:]) == "-0" {
		dst = append(dst[:start], '0')
	}
	return dst
}
