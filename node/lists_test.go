package node

import (
	"strconv"
	"strings"
	"testing"
)

func TestListPushPop(t *testing.T) {
	transcript(t,
		S("LPUSH", "l", "a", "b", "c").Is(3),
		S("RPUSH", "l", "d", "e").Is(5),
		S("LRANGE", "l", "0", "-1").Is([]any{"c", "b", "a", "d", "e"}),
		S("LLEN", "l").Is(5),
		S("LPUSHX", "l", "x").Is(6),
		S("RPUSHX", "l", "y", "z").Is(8),
		S("LPUSHX", "nokey", "x").Is(0),
		S("RPUSHX", "nokey", "x").Is(0),
		S("EXISTS", "nokey").Is(0),
		S("LPOP", "l").Is("x"),
		S("RPOP", "l").Is("z"),
		S("LPOP", "l", "2").Is([]any{"c", "b"}),
		S("RPOP", "l", "2").Is([]any{"y", "e"}),
		S("LPOP", "l", "0").Is([]any{}),
		S("RPOP", "l", "0").Is([]any{}),
		S("LPOP", "l", "100").Is([]any{"a", "d"}),
		S("EXISTS", "l").Is(0),
		S("LPOP", "l").Is(nil),
		S("RPOP", "l").Is(nil),
		S("LPOP", "l", "0").Is(nil),
		S("RPOP", "l", "3").Is(nil),
		S("LLEN", "l").Is(0),
		S("RPUSH", "l", "a", "b").Is(Any),
		S("RPOP", "l", "9223372036854775807").Is([]any{"b", "a"}),
		// Errors.
		S("SET", "s", "v").Is("OK"),
		S("LPUSH", "s", "a").Is(E(wrongType)),
		S("RPUSH", "s", "a").Is(E(wrongType)),
		S("LPUSHX", "s", "a").Is(E(wrongType)),
		S("RPUSHX", "s", "a").Is(E(wrongType)),
		S("LPOP", "s").Is(E(wrongType)),
		S("RPOP", "s", "0").Is(E(wrongType)),
		S("LLEN", "s").Is(E(wrongType)),
		S("LPOP", "s", "x").Is(E("ERR value is out of range, must be positive")),
		S("LPOP", "l", "-1").Is(E("ERR value is out of range, must be positive")),
		S("RPOP", "l", "99999999999999999999").Is(E("ERR value is out of range, must be positive")),
		S("LPOP", "l", "1", "2").Is(E("ERR wrong number of arguments for 'lpop' command")),
		S("RPOP", "l", "1", "2").Is(E("ERR wrong number of arguments for 'rpop' command")),
		S("LPUSH", "l").Is(E("ERR wrong number of arguments for 'lpush' command")),
		S("RPUSHX", "l").Is(E("ERR wrong number of arguments for 'rpushx' command")),
		S("LLEN").Is(E("ERR wrong number of arguments for 'llen' command")),
	)
}

func TestListRangeIndexSet(t *testing.T) {
	transcript(t,
		S("RPUSH", "l", "a", "b", "c", "d", "e").Is(5),
		S("LRANGE", "l", "1", "3").Is([]any{"b", "c", "d"}),
		S("LRANGE", "l", "-2", "-1").Is([]any{"d", "e"}),
		S("LRANGE", "l", "-100", "1").Is([]any{"a", "b"}),
		S("LRANGE", "l", "3", "100").Is([]any{"d", "e"}),
		S("LRANGE", "l", "3", "1").Is([]any{}),
		S("LRANGE", "l", "5", "10").Is([]any{}),
		S("LRANGE", "l", "-9223372036854775808", "9223372036854775807").Is([]any{"a", "b", "c", "d", "e"}),
		S("LRANGE", "nokey", "0", "-1").Is([]any{}),
		S("LRANGE", "l", "x", "1").Is(E("ERR value is not an integer or out of range")),
		S("LRANGE", "l", "0", "1.5").Is(E("ERR value is not an integer or out of range")),
		S("LRANGE", "nokey", "x", "1").Is(E("ERR value is not an integer or out of range")),
		S("LINDEX", "l", "0").Is("a"),
		S("LINDEX", "l", "-1").Is("e"),
		S("LINDEX", "l", "4").Is("e"),
		S("LINDEX", "l", "5").Is(nil),
		S("LINDEX", "l", "-6").Is(nil),
		S("LINDEX", "nokey", "0").Is(nil),
		S("LINDEX", "nokey", "x").Is(nil),
		S("LINDEX", "l", "x").Is(E("ERR value is not an integer or out of range")),
		S("LSET", "l", "0", "A").Is("OK"),
		S("LSET", "l", "-1", "E").Is("OK"),
		S("LSET", "l", "2", strings.Repeat("long", 100)).Is("OK"),
		S("LRANGE", "l", "0", "-1").Is([]any{"A", "b", strings.Repeat("long", 100), "d", "E"}),
		S("LSET", "l", "5", "x").Is(E("ERR index out of range")),
		S("LSET", "l", "-6", "x").Is(E("ERR index out of range")),
		S("LSET", "l", "x", "x").Is(E("ERR value is not an integer or out of range")),
		S("LSET", "nokey", "0", "x").Is(E("ERR no such key")),
		S("LSET", "nokey", "x", "x").Is(E("ERR no such key")),
		S("SET", "s", "v").Is(Any),
		S("LRANGE", "s", "0", "1").Is(E(wrongType)),
		S("LRANGE", "s", "x", "1").Is(E("ERR value is not an integer or out of range")),
		S("LINDEX", "s", "0").Is(E(wrongType)),
		S("LINDEX", "s", "x").Is(E(wrongType)),
		S("LSET", "s", "0", "x").Is(E(wrongType)),
		S("LSET", "s", "x", "x").Is(E(wrongType)),
		S("LSET", "l", "0").Is(E("ERR wrong number of arguments for 'lset' command")),
	)
}

func TestListInsertRemTrim(t *testing.T) {
	transcript(t,
		S("RPUSH", "l", "a", "b", "a", "c", "a").Is(5),
		S("LINSERT", "l", "BEFORE", "a", "x").Is(6),
		S("LINSERT", "l", "after", "c", "y").Is(7),
		S("LRANGE", "l", "0", "-1").Is([]any{"x", "a", "b", "a", "c", "y", "a"}),
		S("LINSERT", "l", "before", "zz", "q").Is(-1),
		S("LINSERT", "nokey", "before", "a", "q").Is(0),
		S("LINSERT", "l", "middle", "a", "q").Is(E("ERR syntax error")),
		S("LINSERT", "nokey", "middle", "a", "q").Is(E("ERR syntax error")),
		S("LREM", "l", "1", "a").Is(1),
		S("LRANGE", "l", "0", "-1").Is([]any{"x", "b", "a", "c", "y", "a"}),
		S("LREM", "l", "-1", "a").Is(1),
		S("LRANGE", "l", "0", "-1").Is([]any{"x", "b", "a", "c", "y"}),
		S("RPUSH", "l", "a", "a").Is(Any),
		S("LREM", "l", "0", "a").Is(3),
		S("LREM", "l", "0", "zz").Is(0),
		S("LREM", "l", "-9223372036854775808", "x").Is(1),
		S("LREM", "nokey", "1", "a").Is(0),
		S("LREM", "l", "x", "a").Is(E("ERR value is not an integer or out of range")),
		S("LREM", "nokey", "x", "a").Is(E("ERR value is not an integer or out of range")),
		S("LRANGE", "l", "0", "-1").Is([]any{"b", "c", "y"}),
		S("LREM", "l", "0", "b").Is(Any),
		S("LREM", "l", "0", "c").Is(Any),
		S("LREM", "l", "0", "y").Is(1),
		S("EXISTS", "l").Is(0),
		S("RPUSH", "l", "1", "2", "3", "4", "5", "6").Is(Any),
		S("LTRIM", "l", "1", "-2").Is("OK"),
		S("LRANGE", "l", "0", "-1").Is([]any{"2", "3", "4", "5"}),
		S("LTRIM", "l", "-100", "100").Is("OK"),
		S("LLEN", "l").Is(4),
		S("LTRIM", "l", "1", "1").Is("OK"),
		S("LRANGE", "l", "0", "-1").Is([]any{"3"}),
		S("LTRIM", "l", "2", "1").Is("OK"),
		S("EXISTS", "l").Is(0),
		S("LTRIM", "nokey", "0", "1").Is("OK"),
		S("LTRIM", "l", "x", "1").Is(E("ERR value is not an integer or out of range")),
		S("LTRIM", "l", "0", "y").Is(E("ERR value is not an integer or out of range")),
		S("SET", "s", "v").Is(Any),
		S("LINSERT", "s", "before", "a", "x").Is(E(wrongType)),
		S("LREM", "s", "1", "a").Is(E(wrongType)),
		S("LREM", "s", "x", "a").Is(E("ERR value is not an integer or out of range")),
		S("LTRIM", "s", "0", "1").Is(E(wrongType)),
		S("LTRIM", "s", "x", "1").Is(E("ERR value is not an integer or out of range")),
		S("LINSERT", "l", "before", "a").Is(E("ERR wrong number of arguments for 'linsert' command")),
	)
}

func TestListPos(t *testing.T) {
	transcript(t,
		S("RPUSH", "l", "a", "b", "a", "c", "a").Is(5),
		S("LPOS", "l", "a").Is(0),
		S("LPOS", "l", "c").Is(3),
		S("LPOS", "l", "z").Is(nil),
		S("LPOS", "l", "a", "RANK", "2").Is(2),
		S("LPOS", "l", "a", "rank", "-1").Is(4),
		S("LPOS", "l", "a", "RANK", "-3").Is(0),
		S("LPOS", "l", "a", "RANK", "4").Is(nil),
		S("LPOS", "l", "a", "COUNT", "0").Is([]any{0, 2, 4}),
		S("LPOS", "l", "a", "COUNT", "2").Is([]any{0, 2}),
		S("LPOS", "l", "a", "RANK", "-1", "COUNT", "2").Is([]any{4, 2}),
		S("LPOS", "l", "a", "RANK", "2", "COUNT", "0", "MAXLEN", "3").Is([]any{2}),
		S("LPOS", "l", "a", "RANK", "-2", "MAXLEN", "2").Is(nil),
		S("LPOS", "l", "a", "RANK", "-2", "MAXLEN", "3").Is(2),
		S("LPOS", "l", "a", "MAXLEN", "0", "COUNT", "0").Is([]any{0, 2, 4}),
		S("LPOS", "l", "a", "COUNT", "9223372036854775807").Is([]any{0, 2, 4}),
		S("LPOS", "l", "a", "RANK", "1", "RANK", "2").Is(2),
		S("LPOS", "l", "z", "COUNT", "2").Is([]any{}),
		S("LPOS", "l", "a", "RANK", "-9223372036854775808").Is(4),
		S("LPOS", "l", "a", "RANK", "-9223372036854775808", "COUNT", "1").Is([]any{4, 2, 0}),
		S("LPOS", "l", "a", "RANK", "-9223372036854775807").Is(nil),
		S("LPOS", "nokey", "a").Is(nil),
		S("LPOS", "nokey", "a", "COUNT", "1").Is([]any{}),
		S("LPOS", "l", "a", "RANK", "0").Is(E("ERR RANK can't be zero: use 1 to start from the first match, 2 from the second ... or use negative to start from the end of the list")),
		S("LPOS", "nokey", "a", "RANK", "0").Is(E("ERR RANK can't be zero: use 1 to start from the first match, 2 from the second ... or use negative to start from the end of the list")),
		S("LPOS", "l", "a", "RANK", "x").Is(E("ERR value is not an integer or out of range")),
		S("LPOS", "l", "a", "RANK", "9223372036854775808").Is(E("ERR value is not an integer or out of range")),
		S("LPOS", "l", "a", "COUNT", "-1").Is(E("ERR COUNT can't be negative")),
		S("LPOS", "l", "a", "COUNT", "x").Is(E("ERR COUNT can't be negative")),
		S("LPOS", "l", "a", "MAXLEN", "-1").Is(E("ERR MAXLEN can't be negative")),
		S("LPOS", "l", "a", "MAXLEN", "x").Is(E("ERR MAXLEN can't be negative")),
		S("LPOS", "l", "a", "foo").Is(E("ERR syntax error")),
		S("LPOS", "l", "a", "RANK").Is(E("ERR syntax error")),
		S("LPOS", "l", "a", "COUNT", "1", "foo").Is(E("ERR syntax error")),
		S("SET", "s", "v").Is(Any),
		S("LPOS", "s", "a").Is(E(wrongType)),
		S("LPOS", "s", "a", "RANK", "0").Is(E("ERR RANK can't be zero: use 1 to start from the first match, 2 from the second ... or use negative to start from the end of the list")),
	)
}

func TestListMove(t *testing.T) {
	transcript(t,
		S("RPUSH", "l", "a", "b", "c", "d").Is(Any),
		S("LMOVE", "l", "m", "LEFT", "RIGHT").Is("a"),
		S("LMOVE", "l", "m", "right", "left").Is("d"),
		S("LRANGE", "m", "0", "-1").Is([]any{"d", "a"}),
		S("LMOVE", "l", "l", "LEFT", "RIGHT").Is("b"),
		S("LRANGE", "l", "0", "-1").Is([]any{"c", "b"}),
		S("LMOVE", "l", "l", "RIGHT", "LEFT").Is("b"),
		S("LRANGE", "l", "0", "-1").Is([]any{"b", "c"}),
		S("RPOPLPUSH", "l", "m").Is("c"),
		S("RPOPLPUSH", "l", "m").Is("b"),
		S("EXISTS", "l").Is(0),
		S("LRANGE", "m", "0", "-1").Is([]any{"b", "c", "d", "a"}),
		S("RPOPLPUSH", "nokey", "m").Is(nil),
		S("LMOVE", "nokey", "m", "left", "left").Is(nil),
		S("RPUSH", "one", "x").Is(Any),
		S("RPOPLPUSH", "one", "one").Is("x"),
		S("LRANGE", "one", "0", "-1").Is([]any{"x"}),
		S("SET", "s", "v").Is(Any),
		S("LMOVE", "m", "s", "left", "left").Is(E(wrongType)),
		S("LMOVE", "s", "m", "left", "left").Is(E(wrongType)),
		S("LMOVE", "nokey", "s", "left", "left").Is(nil),
		S("RPOPLPUSH", "m", "s").Is(E(wrongType)),
		S("LLEN", "m").Is(4),
		S("LMOVE", "m", "x", "LEFT", "middle").Is(E("ERR syntax error")),
		S("LMOVE", "m", "x", "up", "left").Is(E("ERR syntax error")),
		S("LMOVE", "m", "x", "left").Is(E("ERR wrong number of arguments for 'lmove' command")),
		S("RPOPLPUSH", "m").Is(E("ERR wrong number of arguments for 'rpoplpush' command")),
	)
}

func TestListMpop(t *testing.T) {
	transcript(t,
		S("RPUSH", "b", "1", "2", "3").Is(Any),
		S("LMPOP", "2", "a", "b", "LEFT").Is([]any{"b", []any{"1"}}),
		S("LMPOP", "2", "a", "b", "right", "COUNT", "5").Is([]any{"b", []any{"3", "2"}}),
		S("EXISTS", "b").Is(0),
		S("LMPOP", "2", "a", "b", "left").Is(nil),
		S("RPUSH", "a", "x", "y").Is(Any),
		S("LMPOP", "1", "a", "left", "count", "1").Is([]any{"a", []any{"x"}}),
		S("LMPOP", "0", "a", "left").Is(E("ERR numkeys should be greater than 0")),
		S("LMPOP", "-1", "a", "left").Is(E("ERR numkeys should be greater than 0")),
		S("LMPOP", "x", "a", "left").Is(E("ERR numkeys should be greater than 0")),
		S("LMPOP", "99999999999999999999", "a", "left").Is(E("ERR numkeys should be greater than 0")),
		S("LMPOP", "9223372036854775807", "a", "left").Is(E("ERR syntax error")),
		S("LMPOP", "2", "a", "left").Is(E("ERR syntax error")),
		S("LMPOP", "1", "a", "middle").Is(E("ERR syntax error")),
		S("LMPOP", "1", "a", "left", "count", "0").Is(E("ERR count should be greater than 0")),
		S("LMPOP", "1", "a", "left", "count", "-1").Is(E("ERR count should be greater than 0")),
		S("LMPOP", "1", "a", "left", "count", "x").Is(E("ERR count should be greater than 0")),
		S("LMPOP", "1", "a", "left", "count", "1", "count", "2").Is(E("ERR syntax error")),
		S("LMPOP", "1", "a", "left", "count").Is(E("ERR syntax error")),
		S("LMPOP", "1", "a", "left", "foo").Is(E("ERR syntax error")),
		S("SET", "s", "v").Is(Any),
		S("LMPOP", "2", "s", "a", "left").Is(E(wrongType)),
		S("LMPOP", "2", "a", "s", "left").Is([]any{"a", []any{"y"}}),
		S("LMPOP", "2", "a", "s", "left").Is(E(wrongType)),
		S("LMPOP", "1", "a").Is(E("ERR wrong number of arguments for 'lmpop' command")),
	)
}

// RESP3 null shapes: LPOP/RPOP with a count and the LMPOP/LPOS misses.
func TestListRESP3(t *testing.T) {
	for _, tg := range servers(t) {
		t.Run(tg.name, func(t *testing.T) {
			runTranscript(t, newClient(t, tg.addr, 3), []step{
				S("LPOP", "nokey").Is(nil),
				S("LPOP", "nokey", "2").Is(nil),
				S("RPOP", "nokey", "0").Is(nil),
				S("LMPOP", "1", "nokey", "left").Is(nil),
				S("LPOS", "nokey", "a").Is(nil),
				S("RPUSH", "l", "a").Is(Any),
				S("LPOP", "l", "0").Is([]any{}),
				S("LMPOP", "1", "l", "left").Is([]any{"l", []any{"a"}}),
				S("BLPOP", "nokey", "0.01").Is(nil),
				S("BLMOVE", "nokey", "x", "left", "left", "0.01").Is(nil),
			})
		})
	}
}

// Lists large enough to span many nodes, with list-max-listpack-size at its default
// and at a small count, go through the positional commands the same way.
func TestListManyNodes(t *testing.T) {
	for _, fill := range []string{"-2", "3"} {
		var steps []step
		var want []any
		for i := range 300 {
			v := strconv.Itoa(i) + strings.Repeat("x", i%50)
			steps = append(steps, S("RPUSH", "l", v).Is(i+1))
			want = append(want, v)
		}
		steps = append(steps,
			S("LRANGE", "l", "0", "-1").Is(want),
			S("LINDEX", "l", "150").Is(want[150]),
			S("LINDEX", "l", "-7").Is(want[293]),
			S("LSET", "l", "200", strings.Repeat("y", 5000)).Is("OK"),
			S("LINDEX", "l", "200").Is(strings.Repeat("y", 5000)),
			S("LINSERT", "l", "AFTER", want[100], "ins").Is(301),
			S("LRANGE", "l", "99", "102").Is([]any{want[99], want[100], "ins", want[101]}),
			S("LREM", "l", "0", "ins").Is(1),
			S("LTRIM", "l", "10", "-10").Is("OK"),
			S("LLEN", "l").Is(281),
			S("LPOS", "l", want[250]).Is(240),
			S("LRANGE", "l", "-3", "-1").Is([]any{want[288], want[289], want[290]}),
			S("CONFIG", "SET", "list-max-listpack-size", "-1").Is("OK"),
			S("LPUSH", "l", "head").Is(282),
			S("LINDEX", "l", "0").Is("head"),
		)
		t.Run("fill"+fill, func(t *testing.T) {
			for _, tg := range servers(t, "list-max-listpack-size", fill) {
				t.Run(tg.name, func(t *testing.T) {
					runTranscript(t, newClient(t, tg.addr, 2), steps)
				})
			}
		})
	}
}
