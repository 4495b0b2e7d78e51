package node

import (
	"math"
	"testing"
)

func TestParseZScore(t *testing.T) {
	for _, c := range []struct {
		in   string
		want float64
		ok   bool
	}{
		{"1", 1, true}, {"-1.5", -1.5, true}, {"+2", 2, true}, {".5", .5, true}, {"5.", 5, true},
		{"1e3", 1000, true}, {"1E-2", 0.01, true}, {"0x10", 16, true}, {"0X1P3", 8, true},
		{"-0x.8", -0.5, true}, {"0x1.8p1", 3, true}, {"inf", math.Inf(1), true},
		{"-Infinity", math.Inf(-1), true}, {"+INF", math.Inf(1), true}, {"4.9e-324", 5e-324, true},
		{"1e308", 1e308, true},
		{"", 0, false}, {" 1", 0, false}, {"1 ", 0, false}, {"nan", 0, false}, {"-nan", 0, false},
		{"1e400", 0, false}, {"-1e400", 0, false}, {"1e-400", 0, false}, {"0x1p99999", 0, false},
		{"1_0", 0, false}, {"0x", 0, false}, {"0x1p", 0, false}, {"1e", 0, false}, {"1e+", 0, false},
		{"+", 0, false}, {".", 0, false}, {"infinit", 0, false}, {"infx", 0, false}, {"--1", 0, false},
		{"0b1", 0, false}, {"1.2.3", 0, false},
	} {
		got, ok := parseZScore([]byte(c.in))
		if ok != c.ok || (ok && got != c.want) {
			t.Errorf("parseZScore(%q) = %v, %v; want %v, %v", c.in, got, ok, c.want, c.ok)
		}
	}
	if f, ok := parseZScore([]byte("1e-400")); ok || f != 0 {
		t.Error("underflow accepted")
	}
	// Leading zeros of a zero mantissa are not an underflow.
	if f, ok := parseZScore([]byte("0.000e-400")); !ok || f != 0 {
		t.Error("0.000e-400 rejected")
	}
}

func TestParseZScoreBound(t *testing.T) {
	for _, c := range []struct {
		in     string
		want   float64
		ex, ok bool
	}{
		{"1", 1, false, true}, {"(1", 1, true, true}, {"", 0, false, true}, {"(", 0, true, true},
		{" 1", 1, false, true}, {"( 2", 2, true, true}, {"1e400", math.Inf(1), false, true},
		{"(-1e-400", 0, true, true}, {"-inf", math.Inf(-1), false, true},
		{" ", 0, false, false}, {"1 ", 0, false, false}, {"((1", 0, false, false}, {"nan", 0, false, false},
		{"[1", 0, false, false},
	} {
		got, ex, ok := parseZScoreBound([]byte(c.in))
		if ok != c.ok || (ok && (got != c.want || ex != c.ex)) {
			t.Errorf("parseZScoreBound(%q) = %v %v %v; want %v %v %v", c.in, got, ex, ok, c.want, c.ex, c.ok)
		}
	}
}

func TestZlimitWindow(t *testing.T) {
	for _, c := range []struct {
		lo, hi        int
		offset, count int64
		rev           bool
		a, b          int
	}{
		{2, 8, 0, -1, false, 2, 8}, {2, 8, 1, 2, false, 3, 5}, {2, 8, 1, 2, true, 5, 7},
		{2, 8, 6, 1, false, 2, 2}, {2, 8, -1, 5, false, 2, 2}, {2, 8, 4, 100, true, 2, 4},
		{2, 8, 0, 0, false, 2, 2}, {0, 0, 0, 5, false, 0, 0},
	} {
		a, b := zlimitWindow(c.lo, c.hi, c.offset, c.count, c.rev)
		if b-a != c.b-c.a || (b > a && a != c.a) {
			t.Errorf("zlimitWindow(%d,%d,%d,%d,%v) = [%d,%d) want [%d,%d)", c.lo, c.hi, c.offset, c.count, c.rev, a, b, c.a, c.b)
		}
	}
}
