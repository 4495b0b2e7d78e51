package node

import (
	"context"
	"os/exec"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/shoal-db/shoal/storage"
)

// strSetup configures a string-family transcript: the RESP protocol (2 unless set),
// server directives, and keys that hold a list before the steps run (a non-string
// value for the WRONGTYPE paths).
type strSetup struct {
	proto      int
	directives []string
	lists      []string
}

// run runs steps against shoal and (when installed) a real redis-server, each fresh.
func (o strSetup) run(t *testing.T, steps ...step) {
	t.Helper()
	proto := max(o.proto, 2)
	s, addr := startShoal(t, o.directives...)
	type tgt struct {
		name, addr string
		shoal      *Server
	}
	targets := []tgt{{"shoal", addr, s}}
	if _, err := exec.LookPath("redis-server"); err == nil {
		targets = append(targets, tgt{"redis", startRedis(t, o.directives...), nil})
	}
	for _, tg := range targets {
		t.Run(tg.name, func(t *testing.T) {
			c := newClient(t, tg.addr, proto)
			for _, k := range o.lists {
				plantList(t, tg.shoal, c, k)
			}
			runTranscript(t, c, steps)
		})
	}
}

// strTestList stands in for a list on a shoal without the list family.
type strTestList struct{}

func (strTestList) Type() storage.Type     { return storage.TypeList }
func (strTestList) Encoding() string       { return "quicklist" }
func (strTestList) Mem() int64             { return 16 }
func (l strTestList) Clone() storage.Value { return l }
func (strTestList) Len() int               { return 1 }
func (strTestList) Each(func([]byte) bool) {}

// plantList makes key a list: RPUSH where the server has it, else a stand-in value
// planted in shoal's keyspace.
func plantList(t *testing.T, s *Server, c *redis.Client, key string) {
	t.Helper()
	if s != nil {
		if cmd := s.table.lookup([]byte("rpush")); cmd == nil || cmd.fn == nil {
			k := []byte(key)
			sl := slot(k)
			s.eng.LockSlot(sl)
			s.eng.DB(0).SetValue(sl, k, strTestList{}, 0, false)
			s.eng.UnlockSlot(sl)
			return
		}
	}
	if err := c.Do(context.Background(), "RPUSH", key, "x").Err(); err != nil {
		t.Fatal(err)
	}
}

func TestStringGetSet(t *testing.T) {
	transcript(t,
		S("GET", "k").Is(nil),
		S("SET", "k", "v").Is("OK"),
		S("GET", "k").Is("v"),
		S("SET", "k", "").Is("OK"),
		S("GET", "k").Is(""),
		S("SET", "k", "a\x00b\r\n").Is("OK"),
		S("GET", "k").Is("a\x00b\r\n"),
		S("SET", "k").Is(E("ERR wrong number of arguments for 'set' command")),
		S("GET").Is(E("ERR wrong number of arguments for 'get' command")),
		S("GET", "a", "b").Is(E("ERR wrong number of arguments for 'get' command")),
	)
}

func TestStringSetOptions(t *testing.T) {
	transcript(t,
		// NX / XX.
		S("SET", "k", "v", "XX").Is(nil),
		S("GET", "k").Is(nil),
		S("SET", "k", "v", "NX").Is("OK"),
		S("SET", "k", "w", "NX").Is(nil),
		S("SET", "k", "w", "xx").Is("OK"),
		S("GET", "k").Is("w"),
		S("SET", "k", "v", "nx", "nx").Is(nil),
		S("SET", "k", "v", "NX", "XX").Is(E("ERR syntax error")),
		S("SET", "k", "v", "XX", "NX").Is(E("ERR syntax error")),
		// GET, alone and with NX (allowed in 7.0) / XX.
		S("SET", "k", "x", "GET").Is("w"),
		S("SET", "k2", "x", "GET").Is(nil),
		S("SET", "k2", "y", "NX", "GET").Is("x"),
		S("GET", "k2").Is("x"),
		S("SET", "k3", "y", "nx", "get").Is(nil),
		S("GET", "k3").Is("y"),
		S("SET", "k4", "y", "XX", "GET").Is(nil),
		S("GET", "k4").Is(nil),
		S("SET", "k3", "z", "Ex", "100", "gEt", "xX").Is("y"),
		S("SET", "k3", "z", "GET", "GET").Is("z"),
		// Expires: syntax.
		S("SET", "k", "v", "EX").Is(E("ERR syntax error")),
		S("SET", "k", "v", "EX", "10", "EX", "20").Is("OK"),
		S("SET", "k", "v", "PX", "10000", "EX", "10").Is(E("ERR syntax error")),
		S("SET", "k", "v", "EXAT", "10", "PXAT", "10").Is(E("ERR syntax error")),
		S("SET", "k", "v", "PXAT", "10", "EX", "10").Is(E("ERR syntax error")),
		S("SET", "k", "v", "EX", "10", "PXAT", "10").Is(E("ERR syntax error")),
		S("SET", "k", "v", "KEEPTTL", "EX", "5").Is(E("ERR syntax error")),
		S("SET", "k", "v", "EX", "5", "KEEPTTL").Is(E("ERR syntax error")),
		S("SET", "k", "v", "PERSIST").Is(E("ERR syntax error")),
		S("SET", "k", "v", "FOO").Is(E("ERR syntax error")),
		// The syntax is checked before the expire value.
		S("SET", "k", "v", "EX", "x", "FOO").Is(E("ERR syntax error")),
		// Expires: values.
		S("SET", "k", "v", "EX", "0").Is(E("ERR invalid expire time in 'set' command")),
		S("SET", "k", "v", "PX", "-1").Is(E("ERR invalid expire time in 'set' command")),
		S("SET", "k", "v", "EX", "abc").Is(E("ERR value is not an integer or out of range")),
		S("SET", "k", "v", "EX", "1.5").Is(E("ERR value is not an integer or out of range")),
		S("SET", "k", "v", "PX", "9223372036854775807").Is(E("ERR invalid expire time in 'set' command")),
		S("SET", "k", "v", "EX", "9223372036854775").Is(E("ERR invalid expire time in 'set' command")),
		S("SET", "k", "v", "EX", "9223372036854776").Is(E("ERR invalid expire time in 'set' command")),
		S("SET", "k", "v", "EXAT", "9223372036854775").Is("OK"),
		S("SET", "k", "v", "PXAT", "9223372036854775807").Is("OK"),
		S("GET", "k").Is("v"),
		// The expire is checked before GET answers.
		S("SET", "k", "w", "GET", "EX", "0").Is(E("ERR invalid expire time in 'set' command")),
		S("GET", "k").Is("v"),
		S("SET", "k", "v", "EXAT", "1").Is("OK"),
		S("GET", "k").Is(nil),
		S("SET", "k", "v", "PXAT", "1", "GET").Is(nil),
		S("GET", "k").Is(nil),
		S("SET", "k", "v", "EX", "100").Is("OK"),
		S("SET", "k", "w", "KEEPTTL", "GET").Is("v"),
		S("SET", "k", "v", "px", "100000", "nx").Is(nil),
		S("SET", "k", "v", "exat", "99999999999", "xx").Is("OK"),
		S("SET", "k", "v", "pxat", "99999999999999").Is("OK"),
	)
}

func TestStringSetnxSetexPsetex(t *testing.T) {
	transcript(t,
		S("SETNX", "k", "a").Is(1),
		S("SETNX", "k", "b").Is(0),
		S("GET", "k").Is("a"),
		S("SETNX", "k").Is(E("ERR wrong number of arguments for 'setnx' command")),
		S("SETEX", "k", "100", "v").Is("OK"),
		S("GET", "k").Is("v"),
		S("SETEX", "k", "0", "v").Is(E("ERR invalid expire time in 'setex' command")),
		S("SETEX", "k", "-1", "v").Is(E("ERR invalid expire time in 'setex' command")),
		S("SETEX", "k", "x", "v").Is(E("ERR value is not an integer or out of range")),
		S("SETEX", "k", "9223372036854775807", "v").Is(E("ERR invalid expire time in 'setex' command")),
		S("SETEX", "k", "10").Is(E("ERR wrong number of arguments for 'setex' command")),
		S("PSETEX", "k", "100000", "w").Is("OK"),
		S("GET", "k").Is("w"),
		S("PSETEX", "k", "0", "v").Is(E("ERR invalid expire time in 'psetex' command")),
		S("PSETEX", "k", "9223372036854775807", "v").Is(E("ERR invalid expire time in 'psetex' command")),
		S("PSETEX", "k", "1.5", "v").Is(E("ERR value is not an integer or out of range")),
		S("GET", "k").Is("w"),
	)
}

func TestStringGetsetGetdel(t *testing.T) {
	strSetup{lists: []string{"l"}}.run(t,
		S("GETSET", "k", "a").Is(nil),
		S("GETSET", "k", "b").Is("a"),
		S("GET", "k").Is("b"),
		S("GETSET", "l", "x").Is(wrongType),
		S("GETDEL", "k").Is("b"),
		S("GETDEL", "k").Is(nil),
		S("EXISTS", "k").Is(0),
		S("GETDEL", "l").Is(wrongType),
		S("EXISTS", "l").Is(1),
		S("GETDEL", "k", "x").Is(E("ERR wrong number of arguments for 'getdel' command")),
		S("GETSET", "k").Is(E("ERR wrong number of arguments for 'getset' command")),
	)
}

func TestStringGetex(t *testing.T) {
	strSetup{lists: []string{"l"}}.run(t,
		S("GETEX", "nokey").Is(nil),
		S("GETEX", "nokey", "EX", "x").Is(nil), // the value is checked only for an existing key
		S("GETEX", "l", "EX", "x").Is(wrongType),
		S("GETEX", "l", "FOO").Is(E("ERR syntax error")),
		S("SET", "k", "v").Is("OK"),
		S("GETEX", "k").Is("v"),
		S("GETEX", "k", "EX", "100").Is("v"),
		S("GETEX", "k", "PX", "100000").Is("v"),
		S("GETEX", "k", "EXAT", "99999999999").Is("v"),
		S("GETEX", "k", "PXAT", "99999999999999").Is("v"),
		S("GETEX", "k", "PERSIST").Is("v"),
		S("GETEX", "k", "ex", "0").Is(E("ERR invalid expire time in 'getex' command")),
		S("GETEX", "k", "px", "-5").Is(E("ERR invalid expire time in 'getex' command")),
		S("GETEX", "k", "EX", "x").Is(E("ERR value is not an integer or out of range")),
		S("GETEX", "k", "EX", "9223372036854775807").Is(E("ERR invalid expire time in 'getex' command")),
		S("GETEX", "k", "EX", "10", "PX", "10").Is(E("ERR syntax error")),
		S("GETEX", "k", "PERSIST", "EX", "10").Is(E("ERR syntax error")),
		S("GETEX", "k", "EX", "10", "PERSIST").Is(E("ERR syntax error")),
		S("GETEX", "k", "EX", "10", "EX", "20").Is("v"),
		S("GETEX", "k", "PERSIST", "PERSIST").Is("v"),
		S("GETEX", "k", "KEEPTTL").Is(E("ERR syntax error")),
		S("GETEX", "k", "NX").Is(E("ERR syntax error")),
		S("GETEX", "k", "GET").Is(E("ERR syntax error")),
		S("GETEX", "k", "EX").Is(E("ERR syntax error")),
		S("GETEX", "k", "EXAT", "1").Is("v"),
		S("EXISTS", "k").Is(0),
		S("SET", "k", "v").Is("OK"),
		S("GETEX", "k", "PXAT", "1").Is("v"),
		S("GET", "k").Is(nil),
	)
}

func TestStringMgetMset(t *testing.T) {
	strSetup{lists: []string{"l"}}.run(t,
		S("MSET", "a", "1", "b", "2", "c", "3").Is("OK"),
		S("MGET", "a", "b", "c", "nokey", "a", "l").Is([]any{"1", "2", "3", nil, "1", nil}),
		S("MSET", "a", "x", "a", "y").Is("OK"),
		S("GET", "a").Is("y"),
		S("MSET", "l", "now-a-string").Is("OK"),
		S("GET", "l").Is("now-a-string"),
		S("MSET", "a").Is(E("ERR wrong number of arguments for 'mset' command")),
		S("MSET", "a", "1", "b").Is(E("ERR wrong number of arguments for 'mset' command")),
		S("MGET").Is(E("ERR wrong number of arguments for 'mget' command")),
		S("MSETNX", "a", "1", "b").Is(E("ERR wrong number of arguments for 'msetnx' command")),
		S("MSETNX", "a", "1", "new").Is(E("ERR wrong number of arguments for 'msetnx' command")),
		S("MSETNX", "n1", "x", "a", "1").Is(0),
		S("EXISTS", "n1").Is(0),
		S("MSETNX", "n1", "x", "n2", "y").Is(1),
		S("MGET", "n1", "n2").Is([]any{"x", "y"}),
		S("MSETNX", "n3", "x", "n3", "y").Is(1),
		S("GET", "n3").Is("y"),
	)
	strSetup{lists: []string{"l"}}.run(t,
		S("MSETNX", "n1", "x", "l", "1").Is(0), // a key of any type blocks MSETNX
		S("EXISTS", "n1").Is(0),
	)
}

func TestStringIncrDecr(t *testing.T) {
	strSetup{lists: []string{"l"}}.run(t,
		S("INCR", "n").Is(1),
		S("INCR", "n").Is(2),
		S("DECR", "n").Is(1),
		S("DECR", "m").Is(-1),
		S("INCRBY", "n", "10").Is(11),
		S("INCRBY", "n", "-20").Is(-9),
		S("DECRBY", "n", "-9").Is(0),
		S("DECRBY", "n", "5").Is(-5),
		S("GET", "n").Is("-5"),
		S("INCRBY", "n", "1.5").Is(E(errNotInt)),
		S("INCRBY", "n", "").Is(E(errNotInt)),
		S("INCRBY", "n", "99999999999999999999").Is(E(errNotInt)),
		S("DECRBY", "n", "x").Is(E(errNotInt)),
		S("INCRBY", "l", "x").Is(E(errNotInt)), // the increment is parsed first
		S("INCR", "l").Is(wrongType),
		S("DECRBY", "l", "1").Is(wrongType),
		S("DECRBY", "n", "-9223372036854775808").Is(E("ERR decrement would overflow")),
		S("DECRBY", "l", "-9223372036854775808").Is(E("ERR decrement would overflow")),
		S("SET", "n", "9223372036854775807").Is("OK"),
		S("INCR", "n").Is(E(errOverflow)),
		S("INCRBY", "n", "-1").Is(9223372036854775806),
		S("INCRBY", "n", "9223372036854775807").Is(E(errOverflow)),
		S("SET", "n", "-9223372036854775808").Is("OK"),
		S("DECR", "n").Is(E(errOverflow)),
		S("INCRBY", "n", "-1").Is(E(errOverflow)),
		S("DECRBY", "n", "9223372036854775807").Is(E(errOverflow)),
		S("INCRBY", "n", "9223372036854775807").Is(-1),
		S("GET", "n").Is("-1"),
		// Only canonical integers count.
		S("SET", "n", " 1").Is("OK"),
		S("INCR", "n").Is(E(errNotInt)),
		S("SET", "n", "1.0").Is("OK"),
		S("INCR", "n").Is(E(errNotInt)),
		S("SET", "n", "+1").Is("OK"),
		S("INCR", "n").Is(E(errNotInt)),
		S("SET", "n", "-0").Is("OK"),
		S("INCR", "n").Is(E(errNotInt)),
		S("SET", "n", "01").Is("OK"),
		S("INCR", "n").Is(E(errNotInt)),
		S("SET", "n", "").Is("OK"),
		S("INCR", "n").Is(E(errNotInt)),
		S("SET", "n", "123456789012345678901").Is("OK"),
		S("INCR", "n").Is(E(errNotInt)),
		S("SET", "n", "0").Is("OK"),
		S("INCR", "n").Is(1),
		// On a value changed in place.
		S("APPEND", "n", "2").Is(2),
		S("INCR", "n").Is(13),
		S("GET", "n").Is("13"),
		S("INCR").Is(E("ERR wrong number of arguments for 'incr' command")),
		S("INCRBY", "n").Is(E("ERR wrong number of arguments for 'incrby' command")),
	)
}

func TestStringIncrbyfloat(t *testing.T) {
	strSetup{lists: []string{"l"}}.run(t,
		S("INCRBYFLOAT", "f", "0.1").Is("0.1"),
		S("INCRBYFLOAT", "f", "0.2").Is("0.3"),
		S("INCRBYFLOAT", "f", "-0.3").Is("0"),
		S("INCRBYFLOAT", "a", "3.0e3").Is("3000"),
		S("INCRBYFLOAT", "a", "10.5").Is("3010.5"),
		S("INCRBYFLOAT", "b", "5.0e3").Is("5000"),
		S("INCRBYFLOAT", "b", "2.0e2").Is("5200"),
		S("INCRBYFLOAT", "c", "-1.5").Is("-1.5"),
		S("INCRBYFLOAT", "c", "-0.000001").Is("-1.500001"),
		S("INCRBYFLOAT", "c", "1.500001").Is("0"),
		S("INCRBYFLOAT", "d", "1e-20").Is("0"),
		S("INCRBYFLOAT", "d", "1e20").Is("100000000000000000000"),
		S("INCRBYFLOAT", "d", "1e300").Is("1000000000000000000008997324079559193870523944273290747938260082321265646596180935755849152083750497190350372508614274835903592556184672983913096260520748646287327135641843653294084255107606016789726652932370030551382947620994540294772781889620606179267611627097410650567187386105690089424915104006144"),
		S("INCRBYFLOAT", "e", "3.14159265358979323846264338327950288").Is("3.14159265358979324"),
		S("INCRBYFLOAT", "e", "123456789012345678901234567890").Is("123456789012345678899921813504"),
		S("INCRBYFLOAT", "g", "0.000003814697265625").Is("0.00000381469726562"), // a tie rounds to even
		S("INCRBYFLOAT", "h", "1e400").Is(Any),                                  // beyond double, within long double
		S("INCRBYFLOAT", "h", "-1e400").Is("0"),
		S("INCRBYFLOAT", "h", "1.18973149535723176502e+4932").Is(Any),
		S("INCRBYFLOAT", "h", "1.18973149535723176502e+4932").Is(E("ERR increment would produce NaN or Infinity")),
		S("INCRBYFLOAT", "h2", "1.2e4932").Is(E(errNotFloat)),
		S("INCRBYFLOAT", "h2", "1e-4950").Is("0"), // subnormal
		S("INCRBYFLOAT", "h2", "1e-4952").Is(E(errNotFloat)),
		S("INCRBYFLOAT", "h2", "1e99999999999999999999999").Is(E(errNotFloat)),
		S("INCRBYFLOAT", "h2", "0e99999999999999999999999").Is("0"),
		S("INCRBYFLOAT", "x", "0x1.8p1").Is("3"),
		S("INCRBYFLOAT", "x", "0X10").Is("19"),
		S("INCRBYFLOAT", "x", ".5").Is("19.5"),
		S("INCRBYFLOAT", "x", "5.").Is("24.5"),
		S("INCRBYFLOAT", "x", "+.5e-3").Is("24.5005"),
		S("INCRBYFLOAT", "x", "-24.5005").Is("0"),
		S("INCRBYFLOAT", "x", "-0").Is("0"),
		S("INCRBYFLOAT", "x", "inf").Is(E("ERR increment would produce NaN or Infinity")),
		S("INCRBYFLOAT", "x", "-INFINITY").Is(E("ERR increment would produce NaN or Infinity")),
		S("INCRBYFLOAT", "x", "nan").Is(E(errNotFloat)),
		S("INCRBYFLOAT", "x", "infinit").Is(E(errNotFloat)),
		S("INCRBYFLOAT", "x", " 1").Is(E(errNotFloat)),
		S("INCRBYFLOAT", "x", "1 ").Is(E(errNotFloat)),
		S("INCRBYFLOAT", "x", "1e").Is(E(errNotFloat)),
		S("INCRBYFLOAT", "x", "1e+").Is(E(errNotFloat)),
		S("INCRBYFLOAT", "x", "0x").Is(E(errNotFloat)),
		S("INCRBYFLOAT", "x", "0x1p").Is(E(errNotFloat)),
		S("INCRBYFLOAT", "x", "1_0").Is(E(errNotFloat)),
		S("INCRBYFLOAT", "x", ".").Is(E(errNotFloat)),
		S("INCRBYFLOAT", "x", "-").Is(E(errNotFloat)),
		S("INCRBYFLOAT", "x", "").Is(E(errNotFloat)),
		S("INCRBYFLOAT", "x", "1\x00").Is(E(errNotFloat)),
		S("INCRBYFLOAT", "x", strings.Repeat("1", 5120)).Is(E(errNotFloat)),
		S("INCRBYFLOAT", "x", "0."+strings.Repeat("0", 4000)+"1").Is("0"),
		S("INCRBYFLOAT", "x", "0."+strings.Repeat("0", 5000)+"1").Is(E(errNotFloat)), // underflow
		S("SET", "s", "abc").Is("OK"),
		S("INCRBYFLOAT", "s", "1").Is(E(errNotFloat)),
		S("SET", "s", "inf").Is("OK"),
		S("INCRBYFLOAT", "s", "1").Is(E("ERR increment would produce NaN or Infinity")),
		S("SET", "s", "10").Is("OK"),
		S("INCRBYFLOAT", "s", "1.5").Is("11.5"),
		S("INCR", "s").Is(E(errNotInt)),
		S("INCRBYFLOAT", "s", "-0.5").Is("11"),
		S("INCR", "s").Is(12),
		S("SET", "s", "9223372036854775807").Is("OK"),
		S("INCRBYFLOAT", "s", "1").Is("9223372036854775808"),
		S("INCRBYFLOAT", "l", "1").Is(wrongType),
		S("INCRBYFLOAT", "l", "x").Is(wrongType),
		S("INCRBYFLOAT", "s").Is(E("ERR wrong number of arguments for 'incrbyfloat' command")),
	)
}

func TestStringAppendStrlen(t *testing.T) {
	strSetup{lists: []string{"l"}}.run(t,
		S("STRLEN", "k").Is(0),
		S("APPEND", "k", "hello").Is(5),
		S("APPEND", "k", " world").Is(11),
		S("APPEND", "k", "").Is(11),
		S("GET", "k").Is("hello world"),
		S("STRLEN", "k").Is(11),
		S("APPEND", "e", "").Is(0),
		S("EXISTS", "e").Is(1),
		S("SET", "n", "12").Is("OK"),
		S("APPEND", "n", "3").Is(3),
		S("GET", "n").Is("123"),
		S("STRLEN", "n").Is(3),
		S("APPEND", "l", "x").Is(wrongType),
		S("STRLEN", "l").Is(wrongType),
		S("SET", "k", "v").Is("OK"), // a whole SET replaces the in-place value
		S("APPEND", "k", "w").Is(2),
		S("GET", "k").Is("vw"),
		S("STRLEN", "k", "x").Is(E("ERR wrong number of arguments for 'strlen' command")),
	)
}

func TestStringRanges(t *testing.T) {
	strSetup{lists: []string{"l"}}.run(t,
		S("SET", "k", "Hello World").Is("OK"),
		S("GETRANGE", "k", "0", "3").Is("Hell"),
		S("GETRANGE", "k", "-3", "-1").Is("rld"),
		S("GETRANGE", "k", "0", "-1").Is("Hello World"),
		S("GETRANGE", "k", "10", "100").Is("d"),
		S("GETRANGE", "k", "-100", "2").Is("Hel"),
		S("GETRANGE", "k", "-1", "-5").Is(""),
		S("GETRANGE", "k", "5", "2").Is(""),
		S("GETRANGE", "k", "100", "200").Is(""),
		S("GETRANGE", "k", "-9223372036854775808", "9223372036854775807").Is("Hello World"),
		S("GETRANGE", "k", "a", "0").Is(E(errNotInt)),
		S("GETRANGE", "k", "0", "a").Is(E(errNotInt)),
		S("GETRANGE", "nokey", "0", "1").Is(""),
		S("GETRANGE", "nokey", "a", "1").Is(E(errNotInt)),
		S("GETRANGE", "l", "0", "1").Is(wrongType),
		S("GETRANGE", "l", "a", "1").Is(E(errNotInt)),
		S("SUBSTR", "k", "0", "3").Is("Hell"),
		S("SUBSTR", "k", "-3", "-1").Is("rld"),
		S("SUBSTR", "k", "0").Is(E("ERR wrong number of arguments for 'substr' command")),
		S("SET", "e", "").Is("OK"),
		S("GETRANGE", "e", "0", "-1").Is(""),
		S("GETRANGE", "e", "-1", "-1").Is(""),
		S("SET", "i", "12345").Is("OK"),
		S("GETRANGE", "i", "1", "2").Is("23"),

		S("SETRANGE", "k", "6", "Redis").Is(11),
		S("GET", "k").Is("Hello Redis"),
		S("SETRANGE", "k", "15", "x").Is(16),
		S("GET", "k").Is("Hello Redis\x00\x00\x00\x00x"),
		S("SETRANGE", "k", "0", "").Is(16),
		S("SETRANGE", "k", "-1", "x").Is(E("ERR offset is out of range")),
		S("SETRANGE", "k", "x", "x").Is(E(errNotInt)),
		S("SETRANGE", "nokey", "5", "").Is(0),
		S("EXISTS", "nokey").Is(0),
		S("SETRANGE", "nokey", "3", "abc").Is(6),
		S("GET", "nokey").Is("\x00\x00\x00abc"),
		S("SETRANGE", "i", "0", "9").Is(5),
		S("INCR", "i").Is(92346),
		S("SETRANGE", "l", "0", "a").Is(wrongType),
		S("SETRANGE", "l", "0", "").Is(wrongType),
		S("SETRANGE", "l", "-1", "a").Is(E("ERR offset is out of range")),
		S("SETRANGE", "k", "9223372036854775807", "a").Is(E(errMaxBulk)),
		S("SETRANGE", "k", "536870912", "a").Is(E(errMaxBulk)),
		S("SETRANGE", "k", "536870911", "").Is(16),
		S("SETRANGE", "nokey2", "536870912", "").Is(0),
		S("SETRANGE", "nokey2", "536870912", "a").Is(E(errMaxBulk)),
		S("SETRANGE", "k", "0").Is(E("ERR wrong number of arguments for 'setrange' command")),
	)
}

// The size limits, with a small proto-max-bulk-len (1mb, its minimum).
func TestStringSizeLimits(t *testing.T) {
	big := strings.Repeat("a", 600)
	strSetup{directives: []string{"proto-max-bulk-len", "1048576"}}.run(t,
		S("SETRANGE", "y", "1048575", "a").Is(1048576),
		S("SETRANGE", "y", "1048576", "a").Is(E(errMaxBulk)),
		S("SETRANGE", "y2", "1048575", "ab").Is(E(errMaxBulk)),
		S("APPEND", "y", "a").Is(E(errMaxBulk)),
		S("APPEND", "y", "").Is(1048576),
		S("SETBIT", "z", "8388607", "1").Is(0),
		S("SETBIT", "z", "8388608", "1").Is(E(errBitOffset)),
		S("GETBIT", "z", "8388608").Is(E(errBitOffset)),
		S("BITFIELD", "z", "GET", "u8", "#1048575").Is([]any{int64(1)}),
		S("BITFIELD", "z", "GET", "u8", "#1048576").Is(E(errBitOffset)),
		S("BITFIELD", "w", "SET", "i64", "8388607", "-1").Is([]any{int64(0)}),
		S("STRLEN", "w").Is(1048584), // a field may end past the limit, as in Redis
		S("SET", "a1", big).Is("OK"),
		S("SET", "a2", big).Is("OK"),
		S("LCS", "a1", "a2", "LEN").Is(E("ERR Insufficient memory, transient memory for LCS exceeds proto-max-bulk-len")),
		S("SET", "a2", big[:400]).Is("OK"),
		S("LCS", "a1", "a2", "LEN").Is(400),
	)
}

func TestStringLCS(t *testing.T) {
	steps := []step{
		S("SET", "key1", "ohmytext").Is("OK"),
		S("SET", "key2", "mynewtext").Is("OK"),
		S("LCS", "key1", "key2").Is("mytext"),
		S("LCS", "key1", "key2", "LEN").Is(6),
		S("LCS", "key1", "nokey").Is(""),
		S("LCS", "nokey", "nokey", "len").Is(0),
		S("LCS", "key1", "key2", "LEN", "IDX").Is(E("ERR If you want both the length and indexes, please just use IDX.")),
		S("LCS", "key1", "key2", "MINMATCHLEN").Is(E(errSyntax)),
		S("LCS", "key1", "key2", "MINMATCHLEN", "x").Is(E(errNotInt)),
		S("LCS", "key1", "key2", "FOO").Is(E(errSyntax)),
		S("LCS", "key1", "key2", "LEN", "LEN", "WITHMATCHLEN").Is(6),
		S("LCS", "l", "key2").Is(E("ERR The specified keys must contain string values")),
		S("LCS", "key1", "l", "FOO").Is(E("ERR The specified keys must contain string values")),
		S("SET", "a1", "abcdefghijklmnopqrstuvwxyz0123456789").Is("OK"),
		S("SET", "a2", "xxabcxdefyyyghijklmnzzzz01234567899").Is("OK"),
		S("LCS", "a1", "a2").Is("abcdefghijklmnz0123456789"),
		S("LCS", "a1", "a2", "len").Is(25),
		S("SET", "b1", "aaaa").Is("OK"),
		S("SET", "b2", "aa").Is("OK"),
		S("LCS", "b1", "b2").Is("aa"),
		S("LCS", "key1", "key1").Is("ohmytext"),
		S("LCS", "key1").Is(E("ERR wrong number of arguments for 'lcs' command")),
	}
	r := func(a0, a1, b0, b1 int64) []any { return []any{[]any{a0, a1}, []any{b0, b1}} }
	rl := func(a0, a1, b0, b1, n int64) []any { return []any{[]any{a0, a1}, []any{b0, b1}, n} }
	idx2 := []step{
		S("LCS", "key1", "key2", "IDX").Is([]any{"matches", []any{r(4, 7, 5, 8), r(2, 3, 0, 1)}, "len", int64(6)}),
		S("LCS", "key1", "key2", "IDX", "MINMATCHLEN", "4", "WITHMATCHLEN").Is([]any{"matches", []any{rl(4, 7, 5, 8, 4)}, "len", int64(6)}),
		S("LCS", "key1", "key2", "idx", "withmatchlen", "minmatchlen", "-5").Is([]any{"matches", []any{rl(4, 7, 5, 8, 4), rl(2, 3, 0, 1, 2)}, "len", int64(6)}),
		S("LCS", "key1", "nokey", "IDX").Is([]any{"matches", []any{}, "len", int64(0)}),
		S("LCS", "a1", "a2", "IDX", "WITHMATCHLEN").Is([]any{"matches", []any{
			rl(35, 35, 34, 34, 1), rl(25, 34, 23, 32, 10), rl(6, 13, 12, 19, 8), rl(3, 5, 6, 8, 3),
			rl(0, 2, 2, 4, 3)}, "len", int64(25)}),
		S("LCS", "a2", "a1", "IDX", "MINMATCHLEN", "5").Is([]any{"matches", []any{
			r(23, 32, 25, 34), r(12, 19, 6, 13)}, "len", int64(25)}),
		S("LCS", "b1", "b2", "IDX", "WITHMATCHLEN").Is([]any{"matches", []any{rl(2, 3, 0, 1, 2)}, "len", int64(2)}),
		S("LCS", "b2", "b1", "IDX", "WITHMATCHLEN").Is([]any{"matches", []any{rl(0, 1, 2, 3, 2)}, "len", int64(2)}),
	}
	strSetup{lists: []string{"l"}}.run(t, append(steps, idx2...)...)

	// RESP3: IDX answers a map.
	m := func(matches []any, n int64) map[any]any { return map[any]any{"matches": matches, "len": n} }
	strSetup{proto: 3}.run(t,
		S("SET", "key1", "ohmytext").Is("OK"),
		S("SET", "key2", "mynewtext").Is("OK"),
		S("LCS", "key1", "key2", "IDX").Is(m([]any{r(4, 7, 5, 8), r(2, 3, 0, 1)}, 6)),
		S("LCS", "key1", "key2", "IDX", "MINMATCHLEN", "4", "WITHMATCHLEN").Is(m([]any{rl(4, 7, 5, 8, 4)}, 6)),
		S("LCS", "key1", "nokey", "IDX").Is(m([]any{}, 0)),
		S("LCS", "key1", "key2", "LEN").Is(6),
		S("LCS", "key1", "key2").Is("mytext"),
	)
}

// Shoal-only checks of what the transcripts cannot see without TTL/OBJECT: which
// commands keep a key's expire, and which leave a value changed in place.
func TestStringExpireAndRepresentation(t *testing.T) {
	s, addr := startShoal(t)
	c := newClient(t, addr, 2)
	ctx := context.Background()
	db := s.eng.DB(0)
	do := func(args ...any) {
		t.Helper()
		if err := c.Do(ctx, args...).Err(); err != nil && err != redis.Nil {
			t.Fatalf("%v: %v", args, err)
		}
	}
	inspect := func(key string) (expire int64, raw bool) {
		k := []byte(key)
		sl := slot(k)
		s.eng.LockSlot(sl)
		defer s.eng.UnlockSlot(sl)
		expire, ok := db.Expire(sl, k)
		if !ok {
			t.Fatalf("%s does not exist", key)
		}
		_, v, _ := db.Get(sl, k)
		_, raw = v.(*storage.RawString)
		return expire, raw
	}
	future := time.Now().Add(time.Hour).UnixMilli()
	cases := []struct {
		name     string
		cmd      []any
		keepsTTL bool
		raw      bool
	}{
		{"INCR", []any{"INCR", "k"}, true, false},
		{"DECRBY", []any{"DECRBY", "k", "2"}, true, false},
		{"INCRBYFLOAT", []any{"INCRBYFLOAT", "k", "1.5"}, true, false},
		{"APPEND", []any{"APPEND", "k", "0"}, true, true},
		{"SETRANGE", []any{"SETRANGE", "k", "0", "9"}, true, true},
		{"SETBIT", []any{"SETBIT", "k", "0", "0"}, true, true},
		{"BITFIELD", []any{"BITFIELD", "k", "SET", "u8", "0", "49"}, true, true},
		{"SET KEEPTTL", []any{"SET", "k", "5", "KEEPTTL"}, true, false},
		{"SET", []any{"SET", "k", "5"}, false, false},
		{"SET GET", []any{"SET", "k", "5", "GET"}, false, false},
		{"GETSET", []any{"GETSET", "k", "5"}, false, false},
		{"MSET", []any{"MSET", "k", "5"}, false, false},
		{"GETEX PERSIST", []any{"GETEX", "k", "PERSIST"}, false, false},
		{"BITOP", []any{"BITOP", "OR", "k", "k"}, false, true},
	}
	for _, tc := range cases {
		do("SET", "k", "10", "PXAT", future)
		do(tc.cmd...)
		expire, raw := inspect("k")
		if got := expire == future; got != tc.keepsTTL {
			t.Errorf("%s: expire %d, want kept=%v", tc.name, expire, tc.keepsTTL)
		}
		if raw != tc.raw {
			t.Errorf("%s: raw=%v, want %v", tc.name, raw, tc.raw)
		}
	}
	// INCR after APPEND stores a plain string again.
	do("SET", "k", "1")
	do("APPEND", "k", "2")
	do("INCR", "k")
	if _, raw := inspect("k"); raw {
		t.Errorf("INCR left a raw string")
	}
	// SET EX / PX / EXAT set the expire.
	do("SET", "k", "v", "EXAT", future/1000)
	if e, _ := inspect("k"); e != future/1000*1000 {
		t.Errorf("EXAT: expire %d", e)
	}
	do("SET", "k", "v", "PX", "100000")
	if e, _ := inspect("k"); e < time.Now().UnixMilli()+90000 || e > time.Now().UnixMilli()+100000 {
		t.Errorf("PX: expire %d", e)
	}
	do("GETEX", "k", "EX", "1000")
	if e, _ := inspect("k"); e < time.Now().UnixMilli()+990000 {
		t.Errorf("GETEX EX: expire %d", e)
	}
	do("SETEX", "k", "1000", "v")
	if e, _ := inspect("k"); e < time.Now().UnixMilli()+990000 {
		t.Errorf("SETEX: expire %d", e)
	}
	// APPEND's amortized growth: repeated appends keep one buffer with spare room.
	do("DEL", "a")
	for i := range 1000 {
		do("APPEND", "a", strconv.Itoa(i%10))
	}
	sl := slot([]byte("a"))
	s.eng.LockSlot(sl)
	_, v, _ := db.Get(sl, []byte("a"))
	s.eng.UnlockSlot(sl)
	if rs := v.(*storage.RawString); len(rs.B) != 1000 || cap(rs.B) > 4096 {
		t.Errorf("append: len %d cap %d", len(rs.B), cap(rs.B))
	}
}
