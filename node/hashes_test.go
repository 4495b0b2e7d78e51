package node

import (
	"fmt"
	"math/rand/v2"
	"strconv"
	"strings"
	"testing"

	"github.com/redis/go-redis/v9"
)

func TestHashSetGet(t *testing.T) {
	transcript(t,
		S("HSET", "h", "f1", "v1").Is(1),
		S("HSET", "h", "f1", "v2", "f2", "v2", "f3", "").Is(2),
		S("HGET", "h", "f1").Is("v2"),
		S("HGET", "h", "f3").Is(""),
		S("HGET", "h", "nope").Is(nil),
		S("HGET", "nokey", "f").Is(nil),
		S("HSET", "h", "f").Is(E("ERR wrong number of arguments for 'hset' command")),
		S("HSET", "h", "a", "1", "b").Is(E("ERR wrong number of arguments for 'hset' command")),
		S("HSET", "h").Is(E("ERR wrong number of arguments for 'hset' command")),
		S("HMSET", "h", "a", "1", "b").Is(E("ERR wrong number of arguments for 'hmset' command")),
		S("HMSET", "h", "a", "1", "b", "2").Is("OK"),
		S("HMGET", "h", "a", "nope", "b", "f3").Is([]any{"1", nil, "2", ""}),
		S("HMGET", "nokey", "a", "b").Is([]any{nil, nil}),
		S("HMGET", "h").Is(E("ERR wrong number of arguments for 'hmget' command")),
		S("HLEN", "h").Is(5),
		S("HLEN", "nokey").Is(0),
		S("HSETNX", "h", "a", "x").Is(0),
		S("HSETNX", "h", "new", "x").Is(1),
		S("HSETNX", "fresh", "f", "v").Is(1),
		S("HGET", "h", "new").Is("x"),
		S("HGET", "fresh", "f").Is("v"),
		S("HSETNX", "h", "a").Is(E("ERR wrong number of arguments for 'hsetnx' command")),
		S("HEXISTS", "h", "a").Is(1),
		S("HEXISTS", "h", "zz").Is(0),
		S("HEXISTS", "nokey", "a").Is(0),
		S("HSTRLEN", "h", "f1").Is(2),
		S("HSTRLEN", "h", "f3").Is(0),
		S("HSTRLEN", "h", "zz").Is(0),
		S("HSTRLEN", "nokey", "zz").Is(0),
		S("HSET", "h", "big", strings.Repeat("x", 100)).Is(1),
		S("HSTRLEN", "h", "big").Is(100),
		S("HSET", "h", "bin", "a\x00b\r\nc").Is(1),
		S("HGET", "h", "bin").Is("a\x00b\r\nc"),
	)
}

func TestHashWrongType(t *testing.T) {
	wt := E("WRONGTYPE Operation against a key holding the wrong kind of value")
	transcript(t,
		S("SET", "s", "x").Is("OK"),
		S("HSET", "s", "f", "v").Is(wt),
		S("HMSET", "s", "f", "v").Is(wt),
		S("HSETNX", "s", "f", "v").Is(wt),
		S("HGET", "s", "f").Is(wt),
		S("HMGET", "s", "f").Is(wt),
		S("HGETALL", "s").Is(wt),
		S("HKEYS", "s").Is(wt),
		S("HVALS", "s").Is(wt),
		S("HDEL", "s", "f").Is(wt),
		S("HEXISTS", "s", "f").Is(wt),
		S("HLEN", "s").Is(wt),
		S("HSTRLEN", "s", "f").Is(wt),
		S("HINCRBY", "s", "f", "1").Is(wt),
		S("HINCRBYFLOAT", "s", "f", "1").Is(wt),
		S("HRANDFIELD", "s").Is(wt),
		S("HRANDFIELD", "s", "2").Is(wt),
		S("HRANDFIELD", "s", "-2", "WITHVALUES").Is(wt),
		S("HSCAN", "s", "0").Is(wt),
		S("HINCRBY", "s", "f", "x").Is(E("ERR value is not an integer or out of range")),
		S("HSCAN", "s", "x").Is(E("ERR invalid cursor")),
		S("GET", "s").Is("x"),
	)
}

func TestHashGetAllKeysVals(t *testing.T) {
	transcript(t,
		S("HGETALL", "nokey").Is([]any{}),
		S("HKEYS", "nokey").Is([]any{}),
		S("HVALS", "nokey").Is([]any{}),
		S("HSET", "h", "c", "3", "a", "1", "b", "2").Is(3),
		S("HSET", "h", "c", "33").Is(0),
		// listpack: insertion order, kept on overwrite.
		S("HGETALL", "h").Is([]any{"c", "33", "a", "1", "b", "2"}),
		S("HKEYS", "h").Is([]any{"c", "a", "b"}),
		S("HVALS", "h").Is([]any{"33", "1", "2"}),
		S("HDEL", "h", "a").Is(1),
		S("HSET", "h", "a", "again").Is(1),
		S("HGETALL", "h").Is([]any{"c", "33", "b", "2", "a", "again"}),
		S("HSET", "big", "x", strings.Repeat("v", 65), "y", "1").Is(2),
		S("HGETALL", "big").Is(UnorderedPairs{"x", strings.Repeat("v", 65), "y", "1"}),
		S("HKEYS", "big").Is(Unordered{"x", "y"}),
		S("HVALS", "big").Is(Unordered{strings.Repeat("v", 65), "1"}),
	)
	// RESP3: HGETALL is a map, HKEYS/HVALS arrays, HRANDFIELD WITHVALUES an array of
	// pairs; checked on the wire against Redis.
	rawCompare(t, 3,
		rc(rawExact, "HGETALL", "nokey"),
		rc(rawExact, "HSET", "h", "c", "3", "a", "1"),
		rc(rawExact, "HGETALL", "h"),
		rc(rawExact, "HKEYS", "h"),
		rc(rawExact, "HVALS", "h"),
		rc(rawExact, "HMGET", "h", "a", "zz"),
		rc(rawExact, "HRANDFIELD", "h", "5", "WITHVALUES"),
		rc(rawExact, "HRANDFIELD", "h", "5"),
		rc(rawShape, "HRANDFIELD", "h", "-5", "WITHVALUES"),
		rc(rawShape, "HRANDFIELD", "h", "1", "WITHVALUES"),
		rc(rawExact, "HRANDFIELD", "nokey", "-5", "WITHVALUES"),
		rc(rawExact, "HRANDFIELD", "nokey"),
		rc(rawExact, "HGET", "h", "zz"),
		rc(rawExact, "HSCAN", "h", "0"),
		rc(rawExact, "HINCRBYFLOAT", "h", "a", "1.5"),
		rc(rawExact, "HSET", "big", "x", strings.Repeat("v", 65)),
		rc(rawUnordered, "HGETALL", "big"),
		rc(rawExact, "HEXISTS", "h", "a"),
		// One field: the random paths become deterministic, nesting included.
		rc(rawExact, "HSET", "one", "f", "v"),
		rc(rawExact, "HRANDFIELD", "one", "-3", "WITHVALUES"),
		rc(rawExact, "HRANDFIELD", "one", "-3"),
		rc(rawExact, "HRANDFIELD", "one", "1", "WITHVALUES"),
		rc(rawExact, "HRANDFIELD", "one"),
	)
	rawCompare(t, 2,
		rc(rawExact, "HSET", "h", "c", "3", "a", "1"),
		rc(rawExact, "HRANDFIELD", "h", "5", "WITHVALUES"),
		rc(rawShape, "HRANDFIELD", "h", "-5", "WITHVALUES"),
		rc(rawExact, "HRANDFIELD", "nokey"),
		rc(rawExact, "HMGET", "h", "zz"),
		rc(rawExact, "HSET", "one", "f", "v"),
		rc(rawExact, "HRANDFIELD", "one", "-3", "WITHVALUES"),
		rc(rawExact, "HRANDFIELD", "one", "1", "WITHVALUES"),
	)
}

func TestHashDel(t *testing.T) {
	transcript(t,
		S("HDEL", "nokey", "a").Is(0),
		S("HSET", "h", "a", "1", "b", "2", "c", "3").Is(3),
		S("HDEL", "h", "a", "zz", "a").Is(1),
		S("HDEL", "h", "b", "c", "b").Is(2),
		S("EXISTS", "h").Is(0),
		S("HSET", "h2", "x", strings.Repeat("v", 70)).Is(1),
		S("HDEL", "h2", "x").Is(1),
		S("EXISTS", "h2").Is(0),
		S("HDEL", "h2").Is(E("ERR wrong number of arguments for 'hdel' command")),
	)
}

func TestHashIncrBy(t *testing.T) {
	transcript(t,
		S("HINCRBY", "h", "n", "5").Is(5),
		S("HINCRBY", "h", "n", "-7").Is(-2),
		S("HGET", "h", "n").Is("-2"),
		S("HINCRBY", "h", "n", "x").Is(E("ERR value is not an integer or out of range")),
		S("HINCRBY", "h", "n", "1.5").Is(E("ERR value is not an integer or out of range")),
		S("HINCRBY", "h", "n", " 1").Is(E("ERR value is not an integer or out of range")),
		S("HINCRBY", "nokey", "n", "x").Is(E("ERR value is not an integer or out of range")),
		S("EXISTS", "nokey").Is(0),
		S("HSET", "h", "s", "abc", "sp", " 1", "big", "9223372036854775807", "small", "-9223372036854775808").Is(4),
		S("HINCRBY", "h", "s", "1").Is(E("ERR hash value is not an integer")),
		S("HINCRBY", "h", "sp", "1").Is(E("ERR hash value is not an integer")),
		S("HINCRBY", "h", "big", "1").Is(E("ERR increment or decrement would overflow")),
		S("HINCRBY", "h", "big", "-1").Is(9223372036854775806),
		S("HINCRBY", "h", "small", "-1").Is(E("ERR increment or decrement would overflow")),
		S("HINCRBY", "h", "small", "9223372036854775807").Is(-1),
		S("HINCRBY", "h", "z", "9223372036854775807").Is(9223372036854775807),
		S("HINCRBY", "h", "z", "0").Is(9223372036854775807),
		S("HINCRBY", "h", "n").Is(E("ERR wrong number of arguments for 'hincrby' command")),
	)
}

func TestHashIncrByFloat(t *testing.T) {
	transcript(t,
		S("HINCRBYFLOAT", "h", "f", "10.5").Is("10.5"),
		S("HINCRBYFLOAT", "h", "f", "0.1").Is("10.6"),
		S("HINCRBYFLOAT", "h", "f", "-5").Is("5.6"),
		S("HINCRBYFLOAT", "h", "f", "-5.6").Is("0"),
		S("HINCRBYFLOAT", "h", "g", "1e300").Is(Any),
		S("HGET", "h", "g").Is(Any),
		S("HINCRBYFLOAT", "h", "g", "0.1").Is(Any),
		S("HINCRBYFLOAT", "h", "i", "5").Is("5"),
		S("HINCRBYFLOAT", "h", "i", "3.0e3").Is("3005"),
		S("HINCRBYFLOAT", "h", "i", "-0.0001").Is("3004.99990000000000001"),
		S("HINCRBYFLOAT", "h", "x", "x").Is(E("ERR value is not a valid float")),
		S("HINCRBYFLOAT", "h", "x", "").Is(E("ERR value is not a valid float")),
		S("HINCRBYFLOAT", "h", "x", " 1").Is(E("ERR value is not a valid float")),
		S("HINCRBYFLOAT", "h", "x", "1 ").Is(E("ERR value is not a valid float")),
		S("HINCRBYFLOAT", "h", "x", "nan").Is(E("ERR value is not a valid float")),
		S("HINCRBYFLOAT", "h", "x", "1e5000").Is(E("ERR value is not a valid float")),
		S("HINCRBYFLOAT", "h", "x", "1e-5000").Is(E("ERR value is not a valid float")),
		S("HINCRBYFLOAT", "h", "x", "inf").Is(E("ERR value is NaN or Infinity")),
		S("HINCRBYFLOAT", "h", "x", "-Infinity").Is(E("ERR value is NaN or Infinity")),
		S("HINCRBYFLOAT", "nokey", "x", "inf").Is(E("ERR value is NaN or Infinity")),
		S("EXISTS", "nokey").Is(0),
		S("HSET", "h", "s", "abc", "inf", "inf", "huge", "1e4932", "int", "7", "hex", "0x10").Is(5),
		S("HINCRBYFLOAT", "h", "s", "1").Is(E("ERR hash value is not a float")),
		S("HINCRBYFLOAT", "h", "inf", "1").Is(E("ERR increment would produce NaN or Infinity")),
		S("HINCRBYFLOAT", "h", "huge", "1e4932").Is(E("ERR increment would produce NaN or Infinity")),
		S("HINCRBYFLOAT", "h", "huge", "-1e4932").Is("0"),
		S("HINCRBYFLOAT", "h", "int", "0.5").Is("7.5"),
		S("HINCRBYFLOAT", "h", "hex", "0x1p-2").Is("16.25"),
		S("HINCRBYFLOAT", "h", "f", "+.5").Is("0.5"),
		S("HINCRBYFLOAT", "h", "f", "5.").Is("5.5"),
		S("HINCRBYFLOAT", "h", "f", "-5.5").Is("0"),
		S("HINCRBYFLOAT", "h", "f", "-1e-30").Is("0"),
		S("HINCRBYFLOAT", "h", "f", "1e-30").Is("0"),
		S("HINCRBYFLOAT", "h", "f", "x").Is(E("ERR value is not a valid float")),
		S("HINCRBYFLOAT", "h", "f").Is(E("ERR wrong number of arguments for 'hincrbyfloat' command")),
	)
	// The formatting of every result must match Redis's long double printing.
	var steps []step
	for i, incr := range []string{"0.1", "0.2", "0.3", "1.1", "3.3333333333333333", "-7.77",
		"123456789.123456789", "1e17", "1e18", "1e20", "-1e20", "0.000001", "1e-17",
		"2.5e-10", "17179869184.5", "9007199254740993", "1.7976931348623157e308", "1e-300",
		"0.1", "-0.30000000000000004", "4.9406564584124654e-324", "1e4931", "1.18e-4932"} {
		f := fmt.Sprint("f", i%5)
		steps = append(steps, S("HINCRBYFLOAT", "fmt", f, incr).Is(Any), S("HGET", "fmt", f).Is(Any))
	}
	// Edge inputs, each on a fresh field.
	for i, incr := range []string{"1e-4940", "3e-4951", "1e-4951", "1e-4950", "3.6e-4951",
		"0x1p-16445", "0x1p-16446", "0x1p16383", "0x1p16384", "1.18973149535723176502e+4932",
		"1.18973149535723176503e+4932", "infinity", "INF", "-inf", "nan", "NaN", "0e999999999999",
		"1e99999999999", "-1e-99999999999", "0x", "0x.p1", "0X1P-3", "0x1.", "1e+", "1e+5", ".e1",
		"+.5", "- 1", "--1", "1.5\x00abc", "\x00", "0.", ".", "e5", "1e5.5", "1,5", "١"} {
		incr = strings.ReplaceAll(incr, "\\x00", "\x00")
		steps = append(steps, S("HINCRBYFLOAT", "edge", fmt.Sprint("e", i), incr).Is(Any))
	}
	// And a few hundred generated increments of every form strtold takes.
	rng := rand.New(rand.NewPCG(7, 8))
	for i := range 400 {
		var incr string
		switch rng.IntN(6) {
		case 0:
			incr = strconv.FormatFloat(rng.NormFloat64()*1e6, 'f', rng.IntN(20), 64)
		case 1:
			incr = strconv.FormatFloat(rng.Float64(), 'e', rng.IntN(25), 64)
		case 2:
			incr = fmt.Sprintf("%de%d", rng.IntN(2000)-1000, rng.IntN(80)-40)
		case 3:
			incr = strconv.FormatFloat(rng.NormFloat64(), 'x', -1, 64)
		case 4:
			incr = fmt.Sprintf("%d.%018d", rng.IntN(100)-50, rng.Uint64()%1e18)
		default:
			incr = strconv.Itoa(rng.IntN(1<<30) - 1<<29)
		}
		steps = append(steps, S("HINCRBYFLOAT", "gen", fmt.Sprint("f", i%7), incr).Is(Any))
	}
	var cmds []rawCmd
	for _, s := range steps {
		args := make([]string, len(s.cmd))
		for i, a := range s.cmd {
			args[i] = fmt.Sprint(a)
		}
		cmds = append(cmds, rc(rawExact, args...))
	}
	cmds = append(cmds, rc(rawUnordered, "HGETALL", "fmt"))
	rawCompare(t, 2, cmds...)
}

func TestHashRandField(t *testing.T) {
	pool := []string{"a", "b", "c", "1", "2", "3"}
	transcript(t,
		S("HRANDFIELD", "nokey").Is(nil),
		S("HRANDFIELD", "nokey", "3").Is([]any{}),
		S("HRANDFIELD", "nokey", "-3", "WITHVALUES").Is([]any{}),
		S("HSET", "h", "a", "1", "b", "2", "c", "3").Is(3),
		S("HRANDFIELD", "h").Is(oneOf("a", "b", "c")),
		S("HRANDFIELD", "h", "0").Is([]any{}),
		S("HRANDFIELD", "h", "0", "WITHVALUES").Is([]any{}),
		S("HRANDFIELD", "h", "3").Is([]any{"a", "b", "c"}),
		S("HRANDFIELD", "h", "10").Is([]any{"a", "b", "c"}),
		S("HRANDFIELD", "h", "10", "withvalues").Is([]any{"a", "1", "b", "2", "c", "3"}),
		S("HRANDFIELD", "h", "2").Is(subsetOf(2, true, pool...)),
		S("HRANDFIELD", "h", "1").Is(subsetOf(1, true, pool...)),
		S("HRANDFIELD", "h", "2", "WITHVALUES").Is(isLen(4)),
		S("HRANDFIELD", "h", "-10").Is(subsetOf(10, false, pool...)),
		S("HRANDFIELD", "h", "-10", "WITHVALUES").Is(isLen(20)),
		S("HRANDFIELD", "h", "x").Is(E("ERR value is not an integer or out of range")),
		S("HRANDFIELD", "h", "1", "WITHVALUE").Is(E("ERR syntax error")),
		S("HRANDFIELD", "h", "1", "WITHVALUES", "x").Is(E("ERR syntax error")),
		S("HRANDFIELD", "h", "-9223372036854775808").Is(E("ERR value is out of range, value must between -9223372036854775807 and 9223372036854775807")),
		S("HRANDFIELD", "h", "9223372036854775808").Is(E("ERR value is not an integer or out of range")),
		S("HRANDFIELD", "h", "-4611686018427387904", "WITHVALUES").Is(E("ERR value is out of range")),
		S("HRANDFIELD", "h", "4611686018427387904", "WITHVALUES").Is(E("ERR value is out of range")),
		S("HRANDFIELD", "h", "4611686018427387903", "WITHVALUES").Is(isLen(6)),
		S("HRANDFIELD", "nokey", "x").Is(E("ERR value is not an integer or out of range")),
	)
	// A hashtable-encoded hash: every strategy of the positive count.
	var fields []any
	var hset []any
	pool = nil
	for i := range 600 {
		f := fmt.Sprint("field", i)
		pool = append(pool, f)
		fields = append(fields, f)
		hset = append(hset, f, i)
	}
	transcript(t,
		S(append([]any{"HSET", "big"}, hset...)...).Is(600),
		S("OBJECT", "ENCODING", "big").Is("hashtable"),
		S("HRANDFIELD", "big", "700").Is(Unordered(fields)),
		S("HRANDFIELD", "big", "599").Is(subsetOf(599, true, pool...)),
		S("HRANDFIELD", "big", "300").Is(subsetOf(300, true, pool...)),
		S("HRANDFIELD", "big", "10").Is(subsetOf(10, true, pool...)),
		S("HRANDFIELD", "big", "-500").Is(subsetOf(500, false, pool...)),
		S("HRANDFIELD", "big", "50", "WITHVALUES").Is(isLen(100)),
	)
}

func TestHashScan(t *testing.T) {
	transcript(t,
		S("HSCAN", "nokey", "0").Is([]any{"0", []any{}}),
		S("HSCAN", "nokey", "0", "COUNT", "0").Is([]any{"0", []any{}}),
		S("HSCAN", "nokey", "x").Is(E("ERR invalid cursor")),
		S("HSET", "h", "a", "1", "b", "2", "ab", "3").Is(3),
		S("HSCAN", "h", "0").Is([]any{"0", []any{"a", "1", "b", "2", "ab", "3"}}),
		S("HSCAN", "h", "123").Is([]any{"0", []any{"a", "1", "b", "2", "ab", "3"}}),
		S("HSCAN", "h", "0", "COUNT", "1").Is([]any{"0", []any{"a", "1", "b", "2", "ab", "3"}}),
		S("HSCAN", "h", "0", "MATCH", "a*").Is([]any{"0", []any{"a", "1", "ab", "3"}}),
		S("HSCAN", "h", "0", "match", "*", "count", "5").Is([]any{"0", []any{"a", "1", "b", "2", "ab", "3"}}),
		S("HSCAN", "h", "0", "MATCH", "zz").Is([]any{"0", []any{}}),
		S("HSCAN", "h", "0", "COUNT", "0").Is(E("ERR syntax error")),
		S("HSCAN", "h", "0", "COUNT", "-1").Is(E("ERR syntax error")),
		S("HSCAN", "h", "0", "COUNT", "x").Is(E("ERR value is not an integer or out of range")),
		S("HSCAN", "h", "0", "COUNT").Is(E("ERR syntax error")),
		S("HSCAN", "h", "0", "MATCH").Is(E("ERR syntax error")),
		S("HSCAN", "h", "0", "TYPE", "string").Is(E("ERR syntax error")),
		S("HSCAN", "h", "0", "NOVALUES").Is(E("ERR syntax error")),
		S("HSCAN", "h", "-1").Is([]any{"0", []any{"a", "1", "b", "2", "ab", "3"}}),
		S("HSCAN", "h", "1.5").Is(E("ERR invalid cursor")),
		S("HSCAN", "h", " 1").Is(E("ERR invalid cursor")),
		S("HSCAN", "h", "18446744073709551616").Is(E("ERR invalid cursor")),
		S("HSCAN", "h").Is(E("ERR wrong number of arguments for 'hscan' command")),
	)
}

// TestHashScanHashtable iterates a hashtable-encoded hash to the end with small COUNTs
// and checks that every field comes back exactly with its value.
func TestHashScanHashtable(t *testing.T) {
	eachServer(t, nil, func(t *testing.T, c *redis.Client) {
		ctx := t.Context()
		for i := range 1000 {
			c.HSet(ctx, "h", fmt.Sprint("f", i), fmt.Sprint("v", i))
		}
		for _, match := range []string{"*", "f1*"} {
			seen := map[string]string{}
			cursor := uint64(0)
			for {
				kv, next, err := c.HScan(ctx, "h", cursor, match, 7).Result()
				if err != nil {
					t.Fatal(err)
				}
				for i := 0; i < len(kv); i += 2 {
					seen[kv[i]] = kv[i+1]
				}
				if cursor = next; cursor == 0 {
					break
				}
			}
			want := 0
			for i := range 1000 {
				f := fmt.Sprint("f", i)
				if match == "*" || strings.HasPrefix(f, "f1") {
					want++
					if seen[f] != fmt.Sprint("v", i) {
						t.Fatalf("%s: field %s = %q", match, f, seen[f])
					}
				}
			}
			if len(seen) != want {
				t.Fatalf("%s: saw %d fields, want %d", match, len(seen), want)
			}
		}
	})
}

func TestHashEncoding(t *testing.T) {
	long := strings.Repeat("x", 65)
	transcript(t,
		S("HSET", "h", "a", "1").Is(1),
		S("OBJECT", "ENCODING", "h").Is("listpack"),
		S("HSET", "h", "b", strings.Repeat("x", 64)).Is(1),
		S("OBJECT", "ENCODING", "h").Is("listpack"),
		S("HSET", "h", "c", long).Is(1),
		S("OBJECT", "ENCODING", "h").Is("hashtable"),
		S("HDEL", "h", "c", "b").Is(2),
		S("OBJECT", "ENCODING", "h").Is("hashtable"),
		// A long field converts too, and so do HINCRBY/HINCRBYFLOAT/HSETNX.
		S("HSET", "h2", long, "1").Is(1),
		S("OBJECT", "ENCODING", "h2").Is("hashtable"),
		S("HINCRBY", "h3", long, "1").Is(1),
		S("OBJECT", "ENCODING", "h3").Is("hashtable"),
		S("HINCRBYFLOAT", "h4", "f", "1e70").Is(Any),
		S("OBJECT", "ENCODING", "h4").Is("hashtable"),
		S("HSET", "h5", "a", "1").Is(1),
		S("HSETNX", "h5", "a", long).Is(0),
		S("OBJECT", "ENCODING", "h5").Is("listpack"),
		S("HSETNX", "h5", "b", long).Is(1),
		S("OBJECT", "ENCODING", "h5").Is("hashtable"),
		// hash-max-listpack-entries, changed at run time.
		S("CONFIG", "SET", "hash-max-listpack-entries", "2").Is("OK"),
		S("CONFIG", "GET", "hash-max-listpack-entries").Is([]any{"hash-max-listpack-entries", "2"}),
		S("HSET", "e", "a", "1", "b", "2").Is(2),
		S("OBJECT", "ENCODING", "e").Is("listpack"),
		S("HSET", "e", "a", "11").Is(0),
		S("OBJECT", "ENCODING", "e").Is("listpack"),
		S("HSET", "e", "c", "3").Is(1),
		S("OBJECT", "ENCODING", "e").Is("hashtable"),
		S("HSET", "e3", "a", "1", "b", "2", "c", "3").Is(3),
		S("OBJECT", "ENCODING", "e3").Is("hashtable"),
		S("CONFIG", "SET", "hash-max-listpack-entries", "0").Is("OK"),
		S("HSET", "e0", "a", "1").Is(1),
		S("OBJECT", "ENCODING", "e0").Is("hashtable"),
		S("CONFIG", "SET", "hash-max-listpack-entries", "128", "hash-max-listpack-value", "0").Is("OK"),
		S("HSET", "v0", "", "").Is(1),
		S("OBJECT", "ENCODING", "v0").Is("listpack"),
		S("HSET", "v0", "a", "").Is(1),
		S("OBJECT", "ENCODING", "v0").Is("hashtable"),
		S("CONFIG", "SET", "hash-max-listpack-value", "64").Is("OK"),
	)
	// The default without a config file (redis.conf sets 128): 512 entries stay packed,
	// 513 convert.
	var args []any
	for i := range 512 {
		args = append(args, fmt.Sprint("f", i), i)
	}
	transcript(t,
		S("CONFIG", "GET", "hash-max-listpack-entries").Is([]any{"hash-max-listpack-entries", "512"}),
		S(append([]any{"HSET", "h"}, args...)...).Is(512),
		S("OBJECT", "ENCODING", "h").Is("listpack"),
		S("HSET", "h", "one-more", "x").Is(1),
		S("OBJECT", "ENCODING", "h").Is("hashtable"),
		S("HLEN", "h").Is(513),
	)
}
