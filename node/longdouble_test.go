package node

import (
	"strings"
	"testing"
)

// ldSum parses a and b as INCRBYFLOAT does and returns the formatted sum, or "ERR".
func ldSum(t *testing.T, a, b string) string {
	t.Helper()
	x, ok1 := parseLongDouble([]byte(a))
	y, ok2 := parseLongDouble([]byte(b))
	if !ok1 || !ok2 {
		return "ERR"
	}
	s, ok := addLongDouble(x, y)
	if !ok {
		return "ERR"
	}
	return string(appendLongDoubleHuman(nil, s))
}

func TestLongDoubleArithmetic(t *testing.T) {
	for _, tc := range []struct{ a, b, want string }{
		{"0", "0.1", "0.1"},
		{"0.1", "0.2", "0.3"},
		{"3.0e3", "10.5", "3010.5"},
		{"5.0e3", "2.0e2", "5200"},
		{"1.5", "-1.5", "0"},
		{"-1.5", "-0.000001", "-1.500001"},
		{"0", "-0", "0"},
		{"-0", "-0", "0"},
		{"0", "-1e-20", "0"},
		{"0", "1e20", "100000000000000000000"},
		{"0", "0.000003814697265625", "0.00000381469726562"}, // a tie rounds to even
		{"0", "0.000003814697265635", "0.00000381469726563"}, // as redis-server answers
		{"10", "0x1.8p1", "13"},
		{"0", ".5", "0.5"},
		{"0", "5.", "5"},
		{"0", "+.5e-3", "0.0005"},
		{"9223372036854775807", "1", "9223372036854775808"},
		{"0", "3.14159265358979323846264338327950288", "3.14159265358979324"},
		{"0", "1e-4950", "0"},           // subnormal: accepted
		{"0", "0x1p-16445", "0"},        // the least subnormal
		{"0", "0x1p-16446", "ERR"},      // rounds to zero: ERANGE
		{"0", "1e-4952", "ERR"},         // underflow
		{"0", "0e999999999999999", "0"}, // zero is never out of range
		{"0", "1e999999999999999", "ERR"},
		{"0", "0x1p16384", "ERR"},
		{"0", "1.2e4932", "ERR"},
		{"0x1.fffffffffffffffep16383", "0x1.fffffffffffffffep16383", "ERR"}, // LDBL_MAX doubled
		{"0x1.fffffffffffffffep16383", "-0x1.fffffffffffffffep16383", "0"},
		{"0", "inf", "ERR"},
		{"-INFINITY", "1", "ERR"},
		{"0", "nan", "ERR"},
		{"0", "infinit", "ERR"},
		{"0", " 1", "ERR"},
		{"0", "1 ", "ERR"},
		{"0", "1e", "ERR"},
		{"0", "1e+", "ERR"},
		{"0", "0x", "ERR"},
		{"0", "0x1p", "ERR"},
		{"0", "0x.p1", "ERR"},
		{"0", "1_0", "ERR"},
		{"0", ".", "ERR"},
		{"0", "-", "ERR"},
		{"0", "+-1", "ERR"},
		{"0", "", "ERR"},
		{"0", "1\x00", "ERR"},
		{"0", strings.Repeat("1", 5120), "ERR"}, // longer than Redis's buffer
	} {
		if got := ldSum(t, tc.a, tc.b); got != tc.want {
			t.Errorf("%.40q + %.40q = %.60q, want %q", tc.a, tc.b, got, tc.want)
		}
	}
	// Large values print every integer digit of the long double (as redis-server does).
	if got := ldSum(t, "0", "1e30"); got != "1000000000000000000024696061952" {
		t.Errorf("1e30 = %s", got)
	}
	if got := ldSum(t, "0", "1e400"); len(got) != 401 || !strings.HasPrefix(got, "1000000000000000000") {
		t.Errorf("1e400 = %s", got)
	}
}

// FuzzLongDouble checks that parsing never panics and that a formatted result parses
// back to a value that formats the same.
func FuzzLongDouble(f *testing.F) {
	for _, s := range []string{"0", "0.1", "-1e300", "0x1.8p1", "inf", "1e-4950", "1e4932", ".5e-3", "12345678901234567890.123"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		v, ok := parseLongDouble([]byte(s))
		if !ok {
			return
		}
		sum, ok := addLongDouble(v, longDouble{})
		if !ok {
			return
		}
		out := appendLongDoubleHuman(nil, sum)
		w, ok := parseLongDouble(out)
		if !ok {
			t.Fatalf("%q formatted as %q, which does not parse", s, out)
		}
		if again := appendLongDoubleHuman(nil, w); string(again) != string(out) {
			t.Fatalf("%q: %q then %q", s, out, again)
		}
	})
}
