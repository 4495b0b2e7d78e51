package node

import (
	"context"
	"fmt"
	"math/rand"
	"os/exec"
	"reflect"
	"testing"
)

// TestGetbitSetbit GETBIT and SETBIT.
func TestGetbitSetbit(t *testing.T) {
	strSetup{lists: []string{"l"}}.run(t,
		S("SET", "s", "foobar").Is("OK"),
		S("GETBIT", "s", "0").Is(0),
		S("GETBIT", "s", "1").Is(1),
		S("GETBIT", "s", "47").Is(0),
		S("GETBIT", "s", "48").Is(0),
		S("GETBIT", "s", "100000").Is(0),
		S("GETBIT", "s", "-1").Is(E(errBitOffset)),
		S("GETBIT", "s", "x").Is(E(errBitOffset)),
		S("GETBIT", "s", "4294967295").Is(0),
		S("GETBIT", "s", "4294967296").Is(E(errBitOffset)),
		S("GETBIT", "nokey", "5").Is(0),
		S("SETBIT", "q", "0", "2").Is(E("ERR bit is not an integer or out of range")),
		S("SETBIT", "q", "0", "x").Is(E("ERR bit is not an integer or out of range")),
		S("SETBIT", "q", "0", "-1").Is(E("ERR bit is not an integer or out of range")),
		S("SETBIT", "q", "x", "1").Is(E(errBitOffset)),
		S("SETBIT", "q", "-1", "1").Is(E(errBitOffset)),
		S("SETBIT", "q", "4294967296", "1").Is(E(errBitOffset)),
		S("SETBIT", "q", "7", "1").Is(0),
		S("GET", "q").Is("\x01"),
		S("SETBIT", "q", "7", "1").Is(1),
		S("SETBIT", "q", "7", "0").Is(1),
		S("SETBIT", "q", "20", "1").Is(0),
		S("STRLEN", "q").Is(3),
		S("GET", "q").Is("\x00\x00\x08"),
		S("SET", "n", "12").Is("OK"),
		S("GETBIT", "n", "2").Is(1),
		S("GETBIT", "n", "3").Is(1),
		S("SETBIT", "n", "7", "0").Is(1),
		S("GET", "n").Is("02"),
		S("GETBIT", "l", "0").Is(wrongType),
		S("GETBIT", "l", "-1").Is(E(errBitOffset)),
		S("SETBIT", "l", "0", "1").Is(wrongType),
		S("SETBIT", "l", "0", "2").Is(E("ERR bit is not an integer or out of range")),
	)
}

// TestBitcount BITCOUNT key [start end [BYTE|BIT]].
func TestBitcount(t *testing.T) {
	strSetup{lists: []string{"l"}}.run(t,
		S("SET", "s", "foobar").Is("OK"),
		S("BITCOUNT", "s").Is(26),
		S("BITCOUNT", "s", "0", "0").Is(4),
		S("BITCOUNT", "s", "1", "1").Is(6),
		S("BITCOUNT", "s", "0", "-1").Is(26),
		S("BITCOUNT", "s", "-2", "-1").Is(7),
		S("BITCOUNT", "s", "5", "30", "bit").Is(17),
		S("BITCOUNT", "s", "0", "47", "bit").Is(26),
		S("BITCOUNT", "s", "1", "46", "bit").Is(26),
		S("BITCOUNT", "s", "3", "3", "bit").Is(0),
		S("BITCOUNT", "s", "-5", "-1", "bit").Is(2),
		S("BITCOUNT", "s", "-1", "-5").Is(0),
		S("BITCOUNT", "s", "-20", "-30").Is(0),
		S("BITCOUNT", "s", "100", "200").Is(0),
		S("BITCOUNT", "s", "0", "-100").Is(4),
		S("BITCOUNT", "s", "0", "1", "BYTE").Is(10),
		S("BITCOUNT", "s", "0", "1", "Bit").Is(1),
		S("BITCOUNT", "nokey", "a", "b").Is(0),
		S("BITCOUNT", "nokey", "0").Is(0),
		S("BITCOUNT", "s", "0").Is(E(errSyntax)),
		S("BITCOUNT", "s", "a", "b").Is(E(errNotInt)),
		S("BITCOUNT", "s", "0", "xx", "yy").Is(E(errNotInt)),
		S("BITCOUNT", "s", "0", "1", "xx").Is(E(errSyntax)),
		S("BITCOUNT", "s", "0", "1", "bit", "x").Is(E(errSyntax)),
		S("SET", "e", "").Is("OK"),
		S("BITCOUNT", "e").Is(0),
		S("BITCOUNT", "e", "0", "-1").Is(0),
		S("BITCOUNT", "e", "0", "-1", "bit").Is(0),
		S("BITCOUNT", "l").Is(wrongType),
		S("BITCOUNT", "l", "0").Is(wrongType), // the type is checked before the arguments
	)
}

// TestBitpos BITPOS key bit [start [end [BYTE|BIT]]].
func TestBitpos(t *testing.T) {
	strSetup{lists: []string{"l"}}.run(t,
		S("SET", "s", "foobar").Is("OK"),
		S("SET", "e", "").Is("OK"),
		S("BITPOS", "e", "0").Is(-1),
		S("BITPOS", "e", "1").Is(-1),
		S("BITPOS", "e", "0", "0").Is(-1),
		S("BITPOS", "nokey", "0").Is(0),
		S("BITPOS", "nokey", "1").Is(-1),
		S("BITPOS", "nokey", "2").Is(E("ERR The bit argument must be 1 or 0.")),
		S("BITPOS", "nokey", "1", "a").Is(-1),
		S("BITPOS", "s", "2").Is(E("ERR The bit argument must be 1 or 0.")),
		S("BITPOS", "s", "-1").Is(E("ERR The bit argument must be 1 or 0.")),
		S("BITPOS", "s", "a").Is(E(errNotInt)),
		S("BITPOS", "s", "1", "a").Is(E(errNotInt)),
		S("BITPOS", "s", "1", "0", "a").Is(E(errNotInt)),
		S("BITPOS", "s", "1", "0", "1", "xx").Is(E(errSyntax)),
		S("BITPOS", "s", "1", "0", "xx", "yy").Is(E(errSyntax)),
		S("BITPOS", "s", "0", "0", "1", "2", "3").Is(E(errSyntax)),
		S("BITPOS", "s", "1").Is(1),
		S("BITPOS", "s", "0").Is(0),
		S("BITPOS", "s", "1", "1").Is(9),
		S("BITPOS", "s", "1", "2", "-1").Is(17),
		S("BITPOS", "s", "0", "2", "-1").Is(16),
		S("BITPOS", "s", "1", "-20", "-30").Is(1),
		S("BITPOS", "s", "0", "-20", "-30").Is(0),
		S("BITPOS", "s", "1", "3", "10", "bit").Is(5),
		S("BITPOS", "s", "0", "3", "10", "bit").Is(3),
		S("BITPOS", "s", "1", "7", "7", "bit").Is(-1),
		S("BITPOS", "s", "0", "7", "7", "bit").Is(7),
		S("BITPOS", "s", "0", "1", "1", "bit").Is(-1),
		S("BITPOS", "s", "1", "0", "0", "bit").Is(-1),
		S("BITPOS", "s", "0", "-100", "-1", "bit").Is(0),
		S("BITPOS", "s", "1", "100", "200").Is(-1),
		S("BITPOS", "s", "0", "100").Is(-1),
		S("BITPOS", "s", "0", "100", "200").Is(-1),
		S("SET", "x", "\xff\xff\xff").Is("OK"),
		S("BITPOS", "x", "0").Is(24),
		S("BITPOS", "x", "0", "0").Is(24),
		S("BITPOS", "x", "0", "0", "-1").Is(-1),
		S("BITPOS", "x", "0", "1").Is(24),
		S("BITPOS", "x", "0", "0", "23", "bit").Is(-1),
		S("BITPOS", "x", "0", "5", "bit").Is(E(errNotInt)),
		S("BITPOS", "x", "1", "5", "21", "bit").Is(5),
		S("SET", "y", "\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x01").Is("OK"),
		S("BITPOS", "y", "1").Is(151),
		S("BITPOS", "y", "1", "2").Is(151),
		S("BITPOS", "y", "1", "0", "150", "bit").Is(-1),
		S("BITPOS", "y", "1", "0", "151", "bit").Is(151),
		S("BITPOS", "y", "0").Is(0),
		S("BITPOS", "y", "1", "0", "17").Is(-1),
		S("BITPOS", "y", "1", "0", "18").Is(151),
		S("BITCOUNT", "y").Is(1),
		S("SET", "z", "\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xfe").Is("OK"),
		S("BITPOS", "z", "0").Is(151),
		S("BITPOS", "z", "0", "0", "17").Is(-1),
		S("BITPOS", "z", "0", "3").Is(151),
		S("BITPOS", "z", "0", "3", "151", "bit").Is(151),
		S("BITCOUNT", "z").Is(151),
		S("BITCOUNT", "z", "3", "149", "bit").Is(147),
		S("BITPOS", "l", "1").Is(wrongType),
		S("BITPOS", "l", "1", "a").Is(wrongType),
		S("BITPOS", "l", "2").Is(E("ERR The bit argument must be 1 or 0.")),
	)
}

// TestBitop BITOP AND|OR|XOR|NOT.
func TestBitop(t *testing.T) {
	strSetup{lists: []string{"l"}}.run(t,
		S("SET", "s", "foobar").Is("OK"),
		S("SET", "x", "\xff\xff\xff").Is("OK"),
		S("SET", "y", "\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x01").Is("OK"),
		S("BITOP", "and", "d1", "s", "x").Is(6),
		S("GET", "d1").Is("foo\x00\x00\x00"),
		S("BITOP", "or", "d2", "s", "x", "y").Is(19),
		S("GET", "d2").Is("\xff\xff\xffbar\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x01"),
		S("BITOP", "xor", "d3", "s", "x", "nokey").Is(6),
		S("GET", "d3").Is("\x99\x90\x90bar"),
		S("BITOP", "not", "d1", "s").Is(6),
		S("GET", "d1").Is("\x99\x90\x90\x9d\x9e\x8d"),
		S("BITOP", "not", "d1", "s", "x").Is(E("ERR BITOP NOT must be called with a single source key.")),
		S("BITOP", "foo", "d1", "s").Is(E(errSyntax)),
		S("BITOP", "and", "d1", "nokey", "nokey2").Is(0),
		S("EXISTS", "d1").Is(0),
		S("BITOP", "and", "dest", "s", "nokey").Is(6),
		S("GET", "dest").Is("\x00\x00\x00\x00\x00\x00"),
		S("SET", "b1", "\x0f\x0f\x0f\x0f\x0f\x0f\x0f\x0f\x0f\x0f\xaa").Is("OK"),
		S("SET", "b2", "\xff\xf0\xff\xf0\xff\xf0\xff\xf0\xff").Is("OK"),
		S("BITOP", "and", "dest", "b1", "b2").Is(11),
		S("GET", "dest").Is("\x0f\x00\x0f\x00\x0f\x00\x0f\x00\x0f\x00\x00"),
		S("BITOP", "or", "dest", "b1", "b2").Is(11),
		S("GET", "dest").Is("\xff\xff\xff\xff\xff\xff\xff\xff\xff\x0f\xaa"),
		S("BITOP", "xor", "dest", "b1", "b2", "b1").Is(11),
		S("GET", "dest").Is("\xff\xf0\xff\xf0\xff\xf0\xff\xf0\xff\x00\x00"),
		S("BITOP", "not", "dest", "b1").Is(11),
		S("GET", "dest").Is("\xf0\xf0\xf0\xf0\xf0\xf0\xf0\xf0\xf0\xf0U"),
		S("BITOP", "AND", "dest", "b2").Is(9),
		S("GET", "dest").Is("\xff\xf0\xff\xf0\xff\xf0\xff\xf0\xff"),
		S("BITOP", "not", "dest", "nokey").Is(0),
		S("EXISTS", "dest").Is(0),
		S("BITOP", "AND", "d", "s", "l").Is(wrongType),
		S("BITOP", "OR", "l", "s").Is(6), // the destination may be of any type
		S("GET", "l").Is("foobar"),
		S("BITOP", "AND", "d").Is(E("ERR wrong number of arguments for 'bitop' command")),
	)
}

// TestBitfield BITFIELD and BITFIELD_RO: types, #offsets, overflow policies, errors.
func TestBitfield(t *testing.T) {
	strSetup{lists: []string{"l"}}.run(t,
		S("SET", "s", "foobar").Is("OK"),
		S("BITFIELD", "s", "get", "u8", "0", "get", "i8", "0", "get", "u4", "4", "get", "i4", "4", "get", "i64", "0", "get", "u63", "1", "get", "i1", "47", "get", "u1", "47", "get", "i64", "40").Is([]any{int64(102), int64(102), int64(6), int64(6), int64(7381240782615871488), int64(7381240782615871488), int64(0), int64(0), int64(8214565720323784704)}),
		S("BITFIELD", "s", "get", "u8", "#1", "get", "u8", "#-1").Is(E(errBitOffset)),
		S("BITFIELD", "s", "get", "u8", "#x").Is(E(errBitOffset)),
		S("BITFIELD", "s", "get", "u8").Is(E(errSyntax)),
		S("BITFIELD", "s").Is([]any{}),
		S("BITFIELD", "nokey").Is([]any{}),
		S("BITFIELD", "nokey", "get", "u8", "0").Is([]any{int64(0)}),
		S("BITFIELD", "s", "get", "I8", "0").Is(E("ERR Invalid bitfield type. Use something like i16 u8. Note that u64 is not supported but i64 is.")),
		S("BITFIELD", "s", "get", "u64", "0").Is(E("ERR Invalid bitfield type. Use something like i16 u8. Note that u64 is not supported but i64 is.")),
		S("BITFIELD", "s", "get", "i65", "0").Is(E("ERR Invalid bitfield type. Use something like i16 u8. Note that u64 is not supported but i64 is.")),
		S("BITFIELD", "s", "get", "i0", "0").Is(E("ERR Invalid bitfield type. Use something like i16 u8. Note that u64 is not supported but i64 is.")),
		S("BITFIELD", "s", "get", "u", "0").Is(E("ERR Invalid bitfield type. Use something like i16 u8. Note that u64 is not supported but i64 is.")),
		S("BITFIELD", "s", "get", "", "0").Is(E("ERR Invalid bitfield type. Use something like i16 u8. Note that u64 is not supported but i64 is.")),
		S("BITFIELD", "s", "get", "u8", "4294967295").Is([]any{int64(0)}),
		S("BITFIELD", "s", "get", "u8", "4294967296").Is(E(errBitOffset)),
		S("BITFIELD", "s", "get", "u8", "#536870911").Is([]any{int64(0)}),
		S("BITFIELD", "s", "get", "u8", "#536870912").Is(E(errBitOffset)),
		S("BITFIELD", "s", "get", "i64", "#67108863").Is([]any{int64(0)}),
		S("BITFIELD", "s", "get", "i64", "#67108864").Is(E(errBitOffset)),
		S("BITFIELD", "s", "get", "u8", "#2305843009213693952").Is([]any{int64(102)}),
		S("BITFIELD", "s", "get", "u8", "#").Is(E(errBitOffset)),
		S("BITFIELD", "s", "set", "u8", "0", "x").Is(E(errNotInt)),
		S("BITFIELD", "s", "set", "u8", "0").Is(E(errSyntax)),
		S("BITFIELD", "s", "incrby", "u8", "0").Is(E(errSyntax)),
		S("BITFIELD", "s", "overflow").Is(E(errSyntax)),
		S("BITFIELD", "s", "overflow", "bad", "get", "u8", "0").Is(E("ERR Invalid OVERFLOW type specified")),
		S("BITFIELD", "s", "foo").Is(E(errSyntax)),
		S("BITFIELD", "s", "get", "u8", "0", "foo").Is(E(errSyntax)),
		S("BITFIELD_RO", "s", "set", "u8", "0", "x").Is(E(errNotInt)),
		S("BITFIELD_RO", "s", "set", "u8", "0", "1").Is(E("ERR BITFIELD_RO only supports the GET subcommand")),
		S("BITFIELD_RO", "s", "incrby", "u8", "0", "1").Is(E("ERR BITFIELD_RO only supports the GET subcommand")),
		S("BITFIELD_RO", "s", "get", "u8", "0", "overflow", "sat").Is([]any{int64(102)}),
		S("BITFIELD_RO", "s", "get", "u8", "0", "get", "i16", "8").Is([]any{int64(102), int64(28527)}),
		S("BITFIELD_RO", "nokey", "get", "u8", "0").Is([]any{int64(0)}),
		S("BITFIELD", "bf", "set", "u8", "0", "255", "get", "u8", "0", "incrby", "u8", "0", "10", "overflow", "sat", "incrby", "u8", "0", "300", "overflow", "fail", "incrby", "u8", "0", "1", "incrby", "u8", "0", "-255", "incrby", "u8", "0", "-1").Is([]any{int64(0), int64(255), int64(9), int64(255), nil, int64(0), nil}),
		S("BITFIELD", "bf", "overflow", "sat", "incrby", "u8", "0", "-10", "overflow", "wrap", "incrby", "u8", "0", "-10", "overflow", "fail", "incrby", "u8", "0", "-250").Is([]any{int64(0), int64(246), nil}),
		S("GET", "bf").Is("\xf6"),
		S("BITFIELD", "bf", "set", "i8", "8", "127", "incrby", "i8", "8", "1", "overflow", "sat", "incrby", "i8", "8", "-1000", "incrby", "i8", "8", "1000", "overflow", "fail", "incrby", "i8", "8", "1", "incrby", "i8", "8", "-256").Is([]any{int64(0), int64(-128), int64(-128), int64(127), nil, nil}),
		S("BITFIELD", "bf", "set", "i8", "8", "-129", "set", "i8", "8", "128", "overflow", "sat", "set", "i8", "8", "-129", "set", "i8", "8", "128", "overflow", "fail", "set", "i8", "8", "200", "set", "u8", "0", "-1", "set", "u8", "0", "256").Is([]any{int64(127), int64(127), int64(-128), int64(-128), nil, nil, nil}),
		S("BITFIELD", "bf", "overflow", "wrap", "set", "u8", "0", "-1", "set", "u8", "0", "256", "set", "u8", "0", "257", "set", "u3", "5", "9", "get", "u8", "0").Is([]any{int64(246), int64(255), int64(0), int64(1), int64(1)}),
		S("BITFIELD", "bf", "set", "i64", "64", "9223372036854775807", "incrby", "i64", "64", "1", "incrby", "i64", "64", "-1", "overflow", "sat", "incrby", "i64", "64", "-9223372036854775808", "incrby", "i64", "64", "-9223372036854775808", "incrby", "i64", "64", "9223372036854775807", "incrby", "i64", "64", "9223372036854775807").Is([]any{int64(0), int64(-9223372036854775808), int64(9223372036854775807), int64(-1), int64(-9223372036854775808), int64(-1), int64(9223372036854775806)}),
		S("BITFIELD", "bf", "overflow", "fail", "incrby", "i64", "64", "-9223372036854775808", "incrby", "i64", "64", "9223372036854775807", "incrby", "i64", "64", "-1").Is([]any{int64(-2), int64(9223372036854775805), int64(9223372036854775804)}),
		S("BITFIELD", "bf", "overflow", "wrap", "incrby", "i64", "64", "-9223372036854775808", "incrby", "i64", "64", "-9223372036854775808", "incrby", "i64", "64", "-1", "incrby", "i64", "64", "9223372036854775807").Is([]any{int64(-4), int64(9223372036854775804), int64(9223372036854775803), int64(-6)}),
		S("BITFIELD", "bf", "set", "u63", "100", "9223372036854775807", "incrby", "u63", "100", "1", "overflow", "sat", "incrby", "u63", "100", "-1", "incrby", "u63", "100", "9223372036854775807", "overflow", "fail", "incrby", "u63", "100", "1", "set", "u63", "100", "-1").Is([]any{int64(9223371830696345600), int64(0), int64(0), int64(9223372036854775807), nil, nil}),
		S("BITFIELD", "bf", "set", "i5", "200", "15", "incrby", "i5", "200", "1", "incrby", "i5", "200", "-1", "incrby", "i5", "200", "-100", "overflow", "sat", "incrby", "i5", "200", "-100", "incrby", "i5", "200", "100", "get", "i5", "200", "get", "u5", "200").Is([]any{int64(0), int64(-16), int64(15), int64(11), int64(-16), int64(15), int64(15), int64(15)}),
		S("BITFIELD", "bf", "set", "u1", "300", "1", "incrby", "u1", "300", "1", "set", "i1", "301", "-1", "incrby", "i1", "301", "1", "incrby", "i1", "301", "-2", "get", "i2", "300").Is([]any{int64(0), int64(0), int64(0), int64(0), int64(0), int64(0)}),
		S("GET", "bf").Is("\x01\x7f\x00\x00\x00\x00\x00\x00\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xe0\x00\x00\x00\x00x\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00"),
		S("STRLEN", "bf").Is(38),
		S("BITFIELD", "bg", "set", "u8", "#3", "65", "get", "u8", "24", "set", "i16", "#0", "-2", "get", "u16", "0", "incrby", "u2", "#100", "3").Is([]any{int64(0), int64(65), int64(0), int64(65534), int64(3)}),
		S("GET", "bg").Is("\xff\xfe\x00A\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\xc0"),
		S("STRLEN", "bg").Is(26),
		S("SET", "n", "12").Is("OK"),
		S("BITFIELD", "n", "get", "u8", "0", "get", "u8", "8").Is([]any{int64(49), int64(50)}),
		S("BITFIELD", "n", "set", "u8", "0", "65").Is([]any{int64(49)}),
		S("GET", "n").Is("A2"),
		S("BITFIELD", "l", "GET", "u8", "0").Is(wrongType),
		S("BITFIELD", "l", "SET", "u8", "0", "1").Is(wrongType),
		S("BITFIELD_RO", "l", "GET", "u8", "0").Is(wrongType),
		S("BITFIELD", "l", "GET", "u8", "x").Is(E(errBitOffset)),
	)
}

// TestStringsDifferential sends the same pseudo-random commands of the bit and range
// families to shoal and to a real redis-server and compares every reply: random
// strings, ranges, units, offsets, bitfield types and overflow policies, LCS options,
// and INCRBYFLOAT operands.
func TestStringsDifferential(t *testing.T) {
	if _, err := exec.LookPath("redis-server"); err != nil {
		t.Skip("redis-server is not installed")
	}
	_, saddr := startShoal(t)
	sc, rc := newClient(t, saddr, 2), newClient(t, startRedis(t), 2)
	ctx := context.Background()
	rnd := rand.New(rand.NewSource(1))
	keys := []string{"a", "b", "c", "d"}
	randBytes := func() string {
		b := make([]byte, rnd.Intn(40))
		for i := range b {
			switch rnd.Intn(4) {
			case 0:
				b[i] = 0
			case 1:
				b[i] = 0xff
			default:
				b[i] = byte(rnd.Intn(256))
			}
		}
		return string(b)
	}
	idx := func() string { return fmt.Sprint(rnd.Intn(360) - 180) }
	unit := func(args []any) []any {
		switch rnd.Intn(3) {
		case 0:
			return append(args, "BIT")
		case 1:
			return append(args, "BYTE")
		}
		return args
	}
	bfType := func() string {
		if rnd.Intn(2) == 0 {
			return fmt.Sprintf("i%d", 1+rnd.Intn(64))
		}
		return fmt.Sprintf("u%d", 1+rnd.Intn(63))
	}
	bfOff := func() string {
		if rnd.Intn(4) == 0 {
			return fmt.Sprintf("#%d", rnd.Intn(20))
		}
		return fmt.Sprint(rnd.Intn(300))
	}
	bfVal := func() string {
		switch rnd.Intn(3) {
		case 0:
			return fmt.Sprint(rnd.Int63() - rnd.Int63())
		case 1:
			return fmt.Sprint(rnd.Intn(600) - 300)
		}
		return fmt.Sprint(int64(rnd.Uint64()))
	}
	floatArg := func() string {
		m := fmt.Sprint(rnd.Intn(2000000) - 1000000)
		switch rnd.Intn(4) {
		case 0:
			return m + "e" + fmt.Sprint(rnd.Intn(80)-40)
		case 1:
			return m[:len(m)/2] + "." + m[len(m)/2:]
		case 2:
			return fmt.Sprint(rnd.NormFloat64() * 1e6)
		}
		return m
	}
	for i := 0; i < 4000; i++ {
		k := keys[rnd.Intn(len(keys))]
		var args []any
		switch rnd.Intn(13) {
		case 0:
			args = []any{"SET", k, randBytes()}
		case 1:
			args = unit([]any{"BITCOUNT", k, idx(), idx()})
		case 2:
			args = []any{"BITPOS", k, rnd.Intn(2)}
			switch rnd.Intn(4) {
			case 1:
				args = append(args, idx())
			case 2:
				args = append(args, idx(), idx())
			case 3:
				args = unit(append(args, idx(), idx()))
			}
		case 3:
			args = []any{"GETRANGE", k, idx(), idx()}
		case 4:
			args = []any{"SETRANGE", k, rnd.Intn(50), randBytes()}
		case 5:
			args = []any{"SETBIT", k, rnd.Intn(400), rnd.Intn(2)}
		case 6:
			args = []any{"GETBIT", k, rnd.Intn(400)}
		case 7:
			ops := []string{"AND", "OR", "XOR", "NOT"}
			op := ops[rnd.Intn(4)]
			args = []any{"BITOP", op, k, keys[rnd.Intn(4)]}
			if op != "NOT" {
				for n := rnd.Intn(3); n > 0; n-- {
					args = append(args, keys[rnd.Intn(4)])
				}
			}
		case 8, 9:
			args = []any{"BITFIELD", k}
			for n := 1 + rnd.Intn(4); n > 0; n-- {
				switch rnd.Intn(4) {
				case 0:
					args = append(args, "GET", bfType(), bfOff())
				case 1:
					args = append(args, "SET", bfType(), bfOff(), bfVal())
				case 2:
					args = append(args, "INCRBY", bfType(), bfOff(), bfVal())
				case 3:
					args = append(args, "OVERFLOW", []string{"WRAP", "SAT", "FAIL"}[rnd.Intn(3)])
				}
			}
		case 10:
			args = []any{"LCS", k, keys[rnd.Intn(4)]}
			switch rnd.Intn(3) {
			case 1:
				args = append(args, "LEN")
			case 2:
				args = append(args, "IDX", "MINMATCHLEN", rnd.Intn(4))
				if rnd.Intn(2) == 0 {
					args = append(args, "WITHMATCHLEN")
				}
			}
		case 11:
			args = []any{"INCRBYFLOAT", "f" + k, floatArg()}
		case 12:
			args = []any{"APPEND", k, randBytes()}
		}
		want, werr := rc.Do(ctx, args...).Result()
		got, gerr := sc.Do(ctx, args...).Result()
		if fmt.Sprint(werr) != fmt.Sprint(gerr) || !reflect.DeepEqual(want, got) {
			t.Fatalf("%q:\n  redis %#v %v\n  shoal %#v %v", args, want, werr, got, gerr)
		}
	}
}
