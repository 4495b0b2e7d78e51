package node

import (
	"strings"
	"testing"
)

// zTranscript runs steps against shoal and the real Redis started with directives.
func zTranscript(t *testing.T, directives []string, steps ...step) {
	t.Helper()
	for _, tg := range servers(t, directives...) {
		t.Run(tg.name, func(t *testing.T) {
			runTranscript(t, newClient(t, tg.addr, 2), steps)
		})
	}
}

// zEncodings are the server configurations the encoding-sensitive transcripts run
// under: default thresholds (small sets packed) and every sorted set a skiplist.
var zEncodings = map[string][]string{
	"listpack": nil,
	"skiplist": {"zset-max-listpack-entries", "0"},
}

func TestZaddTranscript(t *testing.T) {
	transcript(t,
		S("SET", "str", "x").Is("OK"),
		S("ZADD", "z").Is(E("ERR wrong number of arguments for 'zadd' command")),
		S("ZADD", "z", "NX").Is(E("ERR wrong number of arguments for 'zadd' command")),
		S("ZADD", "z", "1", "a", "2").Is(E("ERR syntax error")),
		S("ZADD", "z", "NX", "XX", "1").Is(E("ERR syntax error")),
		S("ZADD", "z", "NX", "XX", "1", "a").Is(E("ERR XX and NX options at the same time are not compatible")),
		S("ZADD", "z", "NX", "XX", "x", "a").Is(E("ERR XX and NX options at the same time are not compatible")),
		S("ZADD", "z", "GT", "LT", "1", "a").Is(E("ERR GT, LT, and/or NX options at the same time are not compatible")),
		S("ZADD", "z", "NX", "GT", "1", "a").Is(E("ERR GT, LT, and/or NX options at the same time are not compatible")),
		S("ZADD", "z", "lt", "nx", "1", "a").Is(E("ERR GT, LT, and/or NX options at the same time are not compatible")),
		S("ZADD", "z", "INCR", "1", "a", "2", "b").Is(E("ERR INCR option supports a single increment-element pair")),
		S("ZADD", "z", "x", "a").Is(E("ERR value is not a valid float")),
		S("ZADD", "z", "1", "a", "2", "b", "nan", "c").Is(E("ERR value is not a valid float")),
		S("EXISTS", "z").Is(0),
		S("ZADD", "str", "1", "a").Is(E("WRONGTYPE Operation against a key holding the wrong kind of value")),
		S("ZADD", "str", "x", "a").Is(E("ERR value is not a valid float")),
		S("ZADD", "z", "XX", "1", "a").Is(0),
		S("ZADD", "z", "XX", "INCR", "1", "a").Is(nil),
		S("EXISTS", "z").Is(0),
		S("ZADD", "z", "1", "a", "2", "b", "3", "c").Is(3),
		S("ZADD", "z", "1", "a", "5", "b").Is(0),
		S("ZADD", "z", "CH", "1", "a", "6", "b", "7", "d").Is(2),
		S("ZADD", "z", "NX", "CH", "100", "a", "0", "e").Is(1),
		S("ZADD", "z", "XX", "CH", "100", "a", "0", "f").Is(1),
		S("ZADD", "z", "GT", "CH", "1", "a", "10", "b").Is(1),
		S("ZADD", "z", "XX", "LT", "CH", "50", "a", "50", "b").Is(1),
		S("ZADD", "z", "LT", "INCR", "-1", "a").Is("49"),
		S("ZADD", "z", "GT", "INCR", "-1", "a").Is(nil),
		S("ZADD", "z", "NX", "INCR", "5", "a").Is(nil),
		S("ZADD", "z", "incr", "0", "a").Is("49"),
		S("ZADD", "z", "INCR", "2.5", "new").Is("2.5"),
		S("ZRANGE", "z", "0", "-1", "WITHSCORES").Is([]any{"e", "0", "new", "2.5", "c", "3", "d", "7", "b", "10", "a", "49"}),
		// Score syntax: strtod's, whole argument, no overflow.
		S("ZADD", "s", "1.1", "a", "0x10", "b", "-INF", "c", "+inf", "d", "infinity", "e", ".5", "f", "5.", "g", "1e308", "h", "4.9e-324", "i", "0x1p3", "j").Is(10),
		S("ZRANGE", "s", "0", "-1", "WITHSCORES").Is([]any{"c", "-inf", "i", "4.9406564584124654e-324", "f", "0.5", "a", "1.1000000000000001",
			"g", "5", "j", "8", "b", "16", "h", "1e+308", "d", "inf", "e", "inf"}),
		S("ZADD", "s", "1e400", "x").Is(E("ERR value is not a valid float")),
		S("ZADD", "s", "1e-400", "x").Is(E("ERR value is not a valid float")),
		S("ZADD", "s", " 1", "x").Is(E("ERR value is not a valid float")),
		S("ZADD", "s", "1 ", "x").Is(E("ERR value is not a valid float")),
		S("ZADD", "s", "", "x").Is(E("ERR value is not a valid float")),
		S("ZADD", "s", "1_0", "x").Is(E("ERR value is not a valid float")),
		S("ZADD", "s", "0x", "x").Is(E("ERR value is not a valid float")),
		S("ZADD", "s", "1e", "x").Is(E("ERR value is not a valid float")),
		S("ZADD", "s", "-nan", "x").Is(E("ERR value is not a valid float")),
		// NaN results.
		S("ZADD", "s", "INCR", "-inf", "d").Is(E("ERR resulting score is not a number (NaN)")),
		S("ZINCRBY", "s", "-inf", "e").Is(E("ERR resulting score is not a number (NaN)")),
		S("ZSCORE", "s", "e").Is("inf"),
		// ZINCRBY shares ZADD's parser.
		S("ZINCRBY", "s", "1").Is(E("ERR wrong number of arguments for 'zincrby' command")),
		S("ZINCRBY", "s", "x", "a").Is(E("ERR value is not a valid float")),
		S("ZINCRBY", "s", "nx", "a").Is(E("ERR syntax error")),
		S("ZINCRBY", "str", "1", "a").Is(E("WRONGTYPE Operation against a key holding the wrong kind of value")),
		S("ZINCRBY", "s", "2", "a").Is("3.1000000000000001"),
		S("ZINCRBY", "inc", "-5", "m").Is("-5"),
		S("ZINCRBY", "inc", "5", "m").Is("0"),
	)
}

func TestZsetReadsTranscript(t *testing.T) {
	for enc, dirs := range zEncodings {
		t.Run(enc, func(t *testing.T) {
			zTranscript(t, dirs,
				S("SET", "str", "x").Is("OK"),
				S("ZADD", "z", "1", "a", "2", "b", "3", "c", "3", "cc", "-0", "neg0").Is(5),
				S("ZSCORE", "z", "b").Is("2"),
				S("ZSCORE", "z", "nosuch").Is(nil),
				S("ZSCORE", "nokey", "a").Is(nil),
				S("ZSCORE", "str", "a").Is(E("WRONGTYPE Operation against a key holding the wrong kind of value")),
				S("ZMSCORE", "z", "a", "nosuch", "c").Is([]any{"1", nil, "3"}),
				S("ZMSCORE", "nokey", "a", "b").Is([]any{nil, nil}),
				S("ZMSCORE", "str", "a").Is(E("WRONGTYPE Operation against a key holding the wrong kind of value")),
				S("ZMSCORE", "z").Is(E("ERR wrong number of arguments for 'zmscore' command")),
				S("ZCARD", "z").Is(5),
				S("ZCARD", "nokey").Is(0),
				S("ZCARD", "str").Is(E("WRONGTYPE Operation against a key holding the wrong kind of value")),
				S("ZRANK", "z", "neg0").Is(0),
				S("ZRANK", "z", "cc").Is(4),
				S("ZREVRANK", "z", "cc").Is(0),
				S("ZREVRANK", "z", "a").Is(3),
				S("ZRANK", "z", "nosuch").Is(nil),
				S("ZRANK", "nokey", "a").Is(nil),
				S("ZRANK", "z", "a", "WITHSCORE").Is(E("ERR wrong number of arguments for 'zrank' command")),
				S("ZRANK", "str", "a").Is(E("WRONGTYPE Operation against a key holding the wrong kind of value")),
				S("ZCOUNT", "z", "-inf", "+inf").Is(5),
				S("ZCOUNT", "z", "(1", "3").Is(3),
				S("ZCOUNT", "z", "(1", "(3").Is(1),
				S("ZCOUNT", "z", "3", "1").Is(0),
				S("ZCOUNT", "z", "(3", "3").Is(0),
				S("ZCOUNT", "z", "", "(").Is(0),
				S("ZCOUNT", "z", " 1", "1e400").Is(4),
				S("ZCOUNT", "z", "(-1e-400", "0x2").Is(2),
				S("ZCOUNT", "z", "x", "1").Is(E("ERR min or max is not a float")),
				S("ZCOUNT", "z", "1", "nan").Is(E("ERR min or max is not a float")),
				S("ZCOUNT", "z", "1", "((2").Is(E("ERR min or max is not a float")),
				S("ZCOUNT", "nokey", "x", "1").Is(E("ERR min or max is not a float")),
				S("ZCOUNT", "nokey", "0", "1").Is(0),
				S("ZCOUNT", "str", "0", "1").Is(E("WRONGTYPE Operation against a key holding the wrong kind of value")),
				S("ZREM", "z", "a", "nosuch", "a").Is(1),
				S("ZREM", "nokey", "a").Is(0),
				S("ZREM", "str", "a").Is(E("WRONGTYPE Operation against a key holding the wrong kind of value")),
				S("ZREM", "z", "b", "c", "cc", "neg0", "more").Is(4),
				S("EXISTS", "z").Is(0),
				// Lexicographic counts on equal scores.
				S("ZADD", "lex", "0", "a", "0", "b", "0", "c", "0", "d", "0", "e", "0", "ee", "0", "f").Is(7),
				S("ZLEXCOUNT", "lex", "-", "+").Is(7),
				S("ZLEXCOUNT", "lex", "[b", "[d").Is(3),
				S("ZLEXCOUNT", "lex", "(b", "(d").Is(1),
				S("ZLEXCOUNT", "lex", "[e", "(f").Is(2),
				S("ZLEXCOUNT", "lex", "+", "-").Is(0),
				S("ZLEXCOUNT", "lex", "[d", "[b").Is(0),
				S("ZLEXCOUNT", "lex", "[", "[a").Is(1),
				S("ZLEXCOUNT", "lex", "a", "[b").Is(E("ERR min or max not valid string range item")),
				S("ZLEXCOUNT", "lex", "[a", "").Is(E("ERR min or max not valid string range item")),
				S("ZLEXCOUNT", "lex", "-a", "+").Is(E("ERR min or max not valid string range item")),
				S("ZLEXCOUNT", "nokey", "-", "+").Is(0),
				S("ZLEXCOUNT", "str", "-", "+").Is(E("WRONGTYPE Operation against a key holding the wrong kind of value")),
				// Score text: %.17g everywhere, and ZSCAN prints what the encoding holds.
				S("ZADD", "f", "1.1", "a", "1e20", "b", "123456789012345678", "c", "-0", "d", "0.1", "e", "4611686018427387904", "g").Is(6),
				S("ZRANGE", "f", "0", "-1", "WITHSCORES").Is([]any{"d", Any, "e", "0.10000000000000001", "a", "1.1000000000000001",
					"c", "1.2345678901234568e+17", "g", "4.6116860184273879e+18", "b", "1e+20"}),
				S("ZSCAN", "f", "0", "MATCH", "[ceg]").Is(Any),
			)
		})
	}
}

// ZSCAN's output for the encodings, checked exactly (listpack: one call, integers as
// integers; skiplist: dict order, so only its shape).
func TestZscanTranscript(t *testing.T) {
	transcript(t,
		S("SET", "str", "x").Is("OK"),
		S("ZADD", "f", "1.1", "a", "123456789012345678", "c", "-0", "d", "4611686018427387904", "g", "1e19", "h", "inf", "i").Is(6),
		S("ZSCAN", "f", "0").Is([]any{"0", []any{"d", "0", "a", "1.1000000000000001", "c", "123456789012345680",
			"g", "4611686018427387904", "h", "1e+19", "i", "inf"}}),
		S("ZSCAN", "f", "0", "MATCH", "[ag]", "COUNT", "1").Is([]any{"0", []any{"a", "1.1000000000000001", "g", "4611686018427387904"}}),
		S("ZSCAN", "f", "7").Is([]any{"0", []any{"d", "0", "a", "1.1000000000000001", "c", "123456789012345680",
			"g", "4611686018427387904", "h", "1e+19", "i", "inf"}}),
		S("ZSCAN", "f", "x").Is(E("ERR invalid cursor")),
		S("ZSCAN", "f", " 0").Is(E("ERR invalid cursor")),
		S("ZSCAN", "f", "18446744073709551616").Is(E("ERR invalid cursor")),
		S("ZSCAN", "f", "-1", "MATCH", "a").Is([]any{"0", []any{"a", "1.1000000000000001"}}),
		S("ZSCAN", "f", "18446744073709551615", "MATCH", "a").Is([]any{"0", []any{"a", "1.1000000000000001"}}),
		S("ZSCAN", "f", "", "MATCH", "a").Is([]any{"0", []any{"a", "1.1000000000000001"}}),
		S("ZSCAN", "f", "0", "COUNT", "0").Is(E("ERR syntax error")),
		S("ZSCAN", "f", "0", "COUNT", "x").Is(E("ERR value is not an integer or out of range")),
		S("ZSCAN", "f", "0", "MATCH").Is(E("ERR syntax error")),
		S("ZSCAN", "f", "0", "TYPE", "zset").Is(E("ERR syntax error")),
		S("ZSCAN", "f", "0", "NOVALUES").Is(E("ERR syntax error")),
		S("ZSCAN", "nokey", "0", "COUNT", "0").Is([]any{"0", []any{}}),
		S("ZSCAN", "nokey", "x").Is(E("ERR invalid cursor")),
		S("ZSCAN", "str", "0").Is(E("WRONGTYPE Operation against a key holding the wrong kind of value")),
		S("CONFIG", "SET", "zset-max-listpack-entries", "0").Is("OK"),
		S("ZADD", "s", "1.1", "a", "123456789012345678", "c", "-0", "d").Is(3),
		S("ZSCAN", "s", "0", "MATCH", "c").Is([]any{"0", []any{"c", "1.2345678901234568e+17"}}),
		S("ZSCAN", "s", "0", "MATCH", "d").Is([]any{"0", []any{"d", "-0"}}),
		S("ZSCORE", "s", "d").Is("-0"),
	)
}

func TestZrangeTranscript(t *testing.T) {
	for enc, dirs := range zEncodings {
		t.Run(enc, func(t *testing.T) {
			zTranscript(t, dirs,
				S("SET", "str", "x").Is("OK"),
				S("ZADD", "z", "1", "a", "2", "b", "3", "c", "4", "d", "4", "dd", "5", "e").Is(6),
				// By rank.
				S("ZRANGE", "z", "0", "-1").Is([]any{"a", "b", "c", "d", "dd", "e"}),
				S("ZRANGE", "z", "1", "2", "WITHSCORES").Is([]any{"b", "2", "c", "3"}),
				S("ZRANGE", "z", "-2", "100").Is([]any{"dd", "e"}),
				S("ZRANGE", "z", "-100", "0").Is([]any{"a"}),
				S("ZRANGE", "z", "3", "1").Is([]any{}),
				S("ZRANGE", "z", "6", "10").Is([]any{}),
				S("ZRANGE", "z", "0", "-7").Is([]any{}),
				S("ZRANGE", "z", "0", "1", "REV").Is([]any{"e", "dd"}),
				S("ZRANGE", "z", "-2", "-1", "REV", "WITHSCORES").Is([]any{"b", "2", "a", "1"}),
				S("ZREVRANGE", "z", "0", "2").Is([]any{"e", "dd", "d"}),
				S("ZREVRANGE", "z", "0", "0", "WITHSCORES").Is([]any{"e", "5"}),
				S("ZRANGE", "z", "0", "-1", "LIMIT", "0", "-1").Is([]any{"a", "b", "c", "d", "dd", "e"}),
				S("ZRANGE", "z", "0", "-1", "LIMIT", "0", "1").Is(E("ERR syntax error, LIMIT is only supported in combination with either BYSCORE or BYLEX")),
				S("ZRANGE", "z", "0", "-1", "LIMIT", "0").Is(E("ERR syntax error")),
				S("ZRANGE", "z", "a", "b").Is(E("ERR value is not an integer or out of range")),
				S("ZRANGE", "nokey", "a", "b").Is(E("ERR value is not an integer or out of range")),
				S("ZRANGE", "z", "0", "1", "BYSCORE", "BYLEX").Is(E("ERR syntax error")),
				S("ZRANGE", "z", "0", "1", "REV", "REV").Is(E("ERR syntax error")),
				S("ZRANGE", "z", "0", "1", "FOO").Is(E("ERR syntax error")),
				S("ZRANGE", "str", "0", "-1").Is(E("WRONGTYPE Operation against a key holding the wrong kind of value")),
				S("ZRANGE", "nokey", "0", "-1").Is([]any{}),
				S("ZREVRANGE", "z", "0", "-1", "LIMIT", "0", "1").Is(E("ERR syntax error, LIMIT is only supported in combination with either BYSCORE or BYLEX")),
				S("ZREVRANGE", "z", "0", "1", "BYSCORE").Is(E("ERR syntax error")),
				S("ZREVRANGE", "z", "0", "1", "REV").Is(E("ERR syntax error")),
				// By score.
				S("ZRANGE", "z", "2", "4", "BYSCORE").Is([]any{"b", "c", "d", "dd"}),
				S("ZRANGE", "z", "(2", "(4", "BYSCORE", "WITHSCORES").Is([]any{"c", "3"}),
				S("ZRANGE", "z", "-inf", "+inf", "BYSCORE", "LIMIT", "1", "2").Is([]any{"b", "c"}),
				S("ZRANGE", "z", "-inf", "+inf", "BYSCORE", "LIMIT", "1", "-5").Is([]any{"b", "c", "d", "dd", "e"}),
				S("ZRANGE", "z", "-inf", "+inf", "BYSCORE", "LIMIT", "-1", "2").Is([]any{}),
				S("ZRANGE", "z", "-inf", "+inf", "BYSCORE", "LIMIT", "6", "1").Is([]any{}),
				S("ZRANGE", "z", "-inf", "+inf", "BYSCORE", "LIMIT", "3", "0").Is([]any{}),
				S("ZRANGE", "z", "2", "4", "BYSCORE", "REV").Is([]any{}),
				S("ZRANGE", "z", "4", "2", "BYSCORE", "REV").Is([]any{"dd", "d", "c", "b"}),
				S("ZRANGE", "z", "4", "2", "BYSCORE", "REV", "LIMIT", "1", "2", "WITHSCORES").Is([]any{"d", "4", "c", "3"}),
				S("ZRANGE", "z", "x", "2", "BYSCORE").Is(E("ERR min or max is not a float")),
				S("ZRANGE", "z", "1", "3", "BYSCORE", "LIMIT", "1", "x").Is(E("ERR value is not an integer or out of range")),
				S("ZRANGEBYSCORE", "z", "1", "2", "WITHSCORES", "LIMIT", "0", "1").Is([]any{"a", "1"}),
				S("ZRANGEBYSCORE", "z", "(1", "+inf").Is([]any{"b", "c", "d", "dd", "e"}),
				S("ZRANGEBYSCORE", "z", "1", "2", "REV").Is(E("ERR syntax error")),
				S("ZRANGEBYSCORE", "z", "1", "2", "BYSCORE").Is(E("ERR syntax error")),
				S("ZRANGEBYSCORE", "z", "1", "2", "LIMIT", "1").Is(E("ERR syntax error")),
				S("ZREVRANGEBYSCORE", "z", "4", "2").Is([]any{"dd", "d", "c", "b"}),
				S("ZREVRANGEBYSCORE", "z", "+inf", "-inf", "WITHSCORES", "LIMIT", "2", "3").Is([]any{"d", "4", "c", "3", "b", "2"}),
				S("ZREVRANGEBYSCORE", "z", "2", "4").Is([]any{}),
				S("ZREVRANGEBYSCORE", "z", "(4", "(1").Is([]any{"c", "b"}),
				S("ZREVRANGEBYSCORE", "str", "2", "4").Is(E("WRONGTYPE Operation against a key holding the wrong kind of value")),
				// By member.
				S("ZADD", "lex", "0", "a", "0", "b", "0", "c", "0", "d", "0", "e", "0", "f", "0", "g").Is(7),
				S("ZRANGE", "lex", "[b", "(e", "BYLEX").Is([]any{"b", "c", "d"}),
				S("ZRANGE", "lex", "-", "+", "BYLEX", "LIMIT", "2", "3").Is([]any{"c", "d", "e"}),
				S("ZRANGE", "lex", "+", "-", "BYLEX", "REV", "LIMIT", "1", "2").Is([]any{"f", "e"}),
				S("ZRANGE", "lex", "-", "+", "BYLEX", "LIMIT", "-1", "2").Is([]any{}),
				S("ZRANGE", "lex", "-", "+", "BYLEX", "LIMIT", "5", "-1").Is([]any{"f", "g"}),
				S("ZRANGE", "lex", "[a", "[c", "BYLEX", "WITHSCORES").Is(E("ERR syntax error, WITHSCORES not supported in combination with BYLEX")),
				S("ZRANGE", "lex", "[a", "[c", "BYLEX", "LIMIT", "x", "1").Is(E("ERR value is not an integer or out of range")),
				S("ZRANGE", "lex", "0", "1", "BYLEX").Is(E("ERR min or max not valid string range item")),
				S("ZRANGEBYLEX", "lex", "(c", "+").Is([]any{"d", "e", "f", "g"}),
				S("ZRANGEBYLEX", "lex", "-", "[c", "LIMIT", "1", "5").Is([]any{"b", "c"}),
				S("ZRANGEBYLEX", "lex", "-", "+", "WITHSCORES").Is(E("ERR syntax error, WITHSCORES not supported in combination with BYLEX")),
				S("ZRANGEBYLEX", "lex", "a", "b").Is(E("ERR min or max not valid string range item")),
				S("ZREVRANGEBYLEX", "lex", "+", "-", "LIMIT", "1", "2").Is([]any{"f", "e"}),
				S("ZREVRANGEBYLEX", "lex", "[c", "(a").Is([]any{"c", "b"}),
				S("ZREVRANGEBYLEX", "lex", "(a", "[c").Is([]any{}),
				S("ZREVRANGEBYLEX", "nokey", "+", "-").Is([]any{}),
			)
		})
	}
}

func TestZrangestoreTranscript(t *testing.T) {
	transcript(t,
		S("SET", "str", "x").Is("OK"),
		S("ZADD", "z", "1", "a", "2", "b", "3", "c", "4", "d").Is(4),
		S("ZRANGESTORE", "d", "z", "0", "-1", "WITHSCORES").Is(E("ERR syntax error")),
		S("ZRANGESTORE", "d", "z", "1", "2").Is(2),
		S("ZRANGE", "d", "0", "-1", "WITHSCORES").Is([]any{"b", "2", "c", "3"}),
		S("ZRANGESTORE", "d", "z", "(1", "3", "BYSCORE", "LIMIT", "1", "5").Is(1),
		S("ZRANGE", "d", "0", "-1", "WITHSCORES").Is([]any{"c", "3"}),
		S("ZRANGESTORE", "d", "z", "+inf", "2", "BYSCORE", "REV").Is(3),
		S("ZRANGE", "d", "0", "-1", "WITHSCORES").Is([]any{"b", "2", "c", "3", "d", "4"}),
		S("ZRANGESTORE", "d", "z", "0", "1", "REV").Is(2),
		S("ZRANGE", "d", "0", "-1").Is([]any{"c", "d"}),
		S("ZRANGESTORE", "d", "z", "[b", "[c", "BYLEX").Is(2),
		S("ZRANGESTORE", "d", "z", "[x", "[z", "BYLEX").Is(0),
		S("EXISTS", "d").Is(0),
		S("ZRANGESTORE", "d", "z", "0", "0").Is(1),
		S("ZRANGESTORE", "d", "nokey", "0", "-1").Is(0),
		S("EXISTS", "d").Is(0),
		S("ZRANGESTORE", "d", "str", "0", "-1").Is(E("WRONGTYPE Operation against a key holding the wrong kind of value")),
		S("ZRANGESTORE", "str", "z", "0", "0").Is(1),
		S("ZRANGE", "str", "0", "-1").Is([]any{"a"}),
		S("ZRANGESTORE", "z", "z", "1", "2").Is(2),
		S("ZRANGE", "z", "0", "-1").Is([]any{"b", "c"}),
	)
}

func TestZremrangeTranscript(t *testing.T) {
	for enc, dirs := range zEncodings {
		t.Run(enc, func(t *testing.T) {
			zTranscript(t, dirs,
				S("SET", "str", "x").Is("OK"),
				S("ZADD", "z", "1", "a", "2", "b", "3", "c", "4", "d", "5", "e", "6", "f").Is(6),
				S("ZREMRANGEBYRANK", "z", "1", "2").Is(2),
				S("ZREMRANGEBYRANK", "z", "5", "10").Is(0),
				S("ZREMRANGEBYRANK", "z", "-1", "-1").Is(1),
				S("ZRANGE", "z", "0", "-1").Is([]any{"a", "d", "e"}),
				S("ZREMRANGEBYRANK", "z", "x", "1").Is(E("ERR value is not an integer or out of range")),
				S("ZREMRANGEBYSCORE", "z", "(1", "4").Is(1),
				S("ZREMRANGEBYSCORE", "z", "x", "4").Is(E("ERR min or max is not a float")),
				S("ZREMRANGEBYSCORE", "z", "5", "1").Is(0),
				S("ZREMRANGEBYSCORE", "z", "-inf", "+inf").Is(2),
				S("EXISTS", "z").Is(0),
				S("ZADD", "lex", "0", "a", "0", "b", "0", "c", "0", "d").Is(4),
				S("ZREMRANGEBYLEX", "lex", "(a", "[c").Is(2),
				S("ZREMRANGEBYLEX", "lex", "a", "[c").Is(E("ERR min or max not valid string range item")),
				S("ZRANGE", "lex", "0", "-1").Is([]any{"a", "d"}),
				S("ZREMRANGEBYLEX", "lex", "-", "+").Is(2),
				S("EXISTS", "lex").Is(0),
				S("ZREMRANGEBYRANK", "nokey", "0", "-1").Is(0),
				S("ZREMRANGEBYSCORE", "nokey", "x", "1").Is(E("ERR min or max is not a float")),
				S("ZREMRANGEBYLEX", "str", "-", "+").Is(E("WRONGTYPE Operation against a key holding the wrong kind of value")),
				S("ZREMRANGEBYRANK", "str", "0", "1").Is(E("WRONGTYPE Operation against a key holding the wrong kind of value")),
			)
		})
	}
}

func TestZpopTranscript(t *testing.T) {
	transcript(t,
		S("SET", "str", "x").Is("OK"),
		S("ZADD", "z", "1", "a", "2", "b", "3", "c", "4", "d", "5", "e").Is(5),
		S("ZPOPMIN", "z").Is([]any{"a", "1"}),
		S("ZPOPMAX", "z").Is([]any{"e", "5"}),
		S("ZPOPMIN", "z", "2").Is([]any{"b", "2", "c", "3"}),
		S("ZPOPMIN", "z", "0").Is([]any{}),
		S("ZPOPMIN", "z", "-1").Is(E("ERR value is out of range, must be positive")),
		S("ZPOPMIN", "z", "x").Is(E("ERR value is out of range, must be positive")),
		S("ZPOPMIN", "z", "1", "2").Is(E("ERR syntax error")),
		S("ZPOPMAX", "z", "10").Is([]any{"d", "4"}),
		S("EXISTS", "z").Is(0),
		S("ZPOPMIN", "z").Is([]any{}),
		S("ZPOPMIN", "nokey", "0").Is([]any{}),
		S("ZPOPMAX", "str").Is(E("WRONGTYPE Operation against a key holding the wrong kind of value")),
		// ZMPOP
		S("ZADD", "z", "1", "a", "2", "b", "3", "c").Is(3),
		S("ZMPOP", "x", "z", "MIN").Is(E("ERR numkeys should be greater than 0")),
		S("ZMPOP", "0", "z", "MIN").Is(E("ERR numkeys should be greater than 0")),
		S("ZMPOP", "-1", "z", "MIN").Is(E("ERR numkeys should be greater than 0")),
		S("ZMPOP", "2", "z", "MIN").Is(E("ERR syntax error")),
		S("ZMPOP", "1", "z", "MID").Is(E("ERR syntax error")),
		S("ZMPOP", "1", "z", "MIN", "COUNT", "0").Is(E("ERR count should be greater than 0")),
		S("ZMPOP", "1", "z", "MIN", "COUNT", "x").Is(E("ERR count should be greater than 0")),
		S("ZMPOP", "1", "z", "MIN", "COUNT", "1", "COUNT", "1").Is(E("ERR syntax error")),
		S("ZMPOP", "1", "z", "MIN", "COUNT").Is(E("ERR syntax error")),
		S("ZMPOP", "1", "nokey", "MIN").Is(nil),
		S("ZMPOP", "2", "nokey", "str", "MIN").Is(E("WRONGTYPE Operation against a key holding the wrong kind of value")),
		S("ZMPOP", "2", "str", "z", "MIN").Is(E("WRONGTYPE Operation against a key holding the wrong kind of value")),
		S("ZMPOP", "3", "nokey", "z", "str", "max", "count", "2").Is([]any{"z", []any{[]any{"c", "3"}, []any{"b", "2"}}}),
		S("ZMPOP", "1", "z", "MIN", "COUNT", "10").Is([]any{"z", []any{[]any{"a", "1"}}}),
		S("EXISTS", "z").Is(0),
		// Non-blocking answers of the blocking forms.
		S("ZADD", "z", "1", "a", "2", "b").Is(2),
		S("BZPOPMIN", "nokey", "z", "0").Is([]any{"z", "a", "1"}),
		S("BZPOPMAX", "z", "0").Is([]any{"z", "b", "2"}),
		S("BZPOPMIN", "z", "x").Is(E("ERR timeout is not a float or out of range")),
		S("BZPOPMIN", "z", "-1").Is(E("ERR timeout is negative")),
		S("BZPOPMIN", "str", "0").Is(E("WRONGTYPE Operation against a key holding the wrong kind of value")),
		S("BZPOPMIN", "nokey", "0.01").Is(nil),
		S("ZADD", "z", "1", "a", "2", "b", "3", "c").Is(3),
		S("BZMPOP", "0", "2", "nokey", "z", "MAX", "COUNT", "2").Is([]any{"z", []any{[]any{"c", "3"}, []any{"b", "2"}}}),
		S("BZMPOP", "x", "1", "z", "MIN").Is(E("ERR timeout is not a float or out of range")),
		S("BZMPOP", "x", "0", "z", "MIN").Is(E("ERR numkeys should be greater than 0")),
		S("BZMPOP", "x", "1", "z", "MID").Is(E("ERR syntax error")),
		S("BZMPOP", "0", "1", "str", "MIN").Is(E("WRONGTYPE Operation against a key holding the wrong kind of value")),
		S("BZMPOP", "0.01", "1", "nokey", "MIN").Is(nil),
	)
}

func TestZrandmemberTranscript(t *testing.T) {
	for enc, dirs := range zEncodings {
		t.Run(enc, func(t *testing.T) {
			zTranscript(t, dirs,
				S("SET", "str", "x").Is("OK"),
				S("ZADD", "z", "1", "a", "2", "b", "3", "c").Is(3),
				S("ZRANDMEMBER", "z", "10").Is([]any{"c", "b", "a"}),
				S("ZRANDMEMBER", "z", "3", "WITHSCORES").Is([]any{"c", "3", "b", "2", "a", "1"}),
				S("ZRANDMEMBER", "z", "0").Is([]any{}),
				S("ZRANDMEMBER", "z", "-5").Is([]any{Any, Any, Any, Any, Any}),
				S("ZRANDMEMBER", "z", "-2", "WITHSCORES").Is([]any{Any, Any, Any, Any}),
				S("ZRANDMEMBER", "z", "2").Is([]any{Any, Any}),
				S("ZRANDMEMBER", "z").Is(Any),
				S("ZRANDMEMBER", "nokey").Is(nil),
				S("ZRANDMEMBER", "nokey", "5", "WITHSCORES").Is([]any{}),
				S("ZRANDMEMBER", "nokey", "x").Is(E("ERR value is not an integer or out of range")),
				S("ZRANDMEMBER", "z", "5", "WITHSCORE").Is(E("ERR syntax error")),
				S("ZRANDMEMBER", "z", "1", "WITHSCORES", "x").Is(E("ERR syntax error")),
				S("ZRANDMEMBER", "z", "-9223372036854775808").Is(E("ERR value is out of range, value must between -9223372036854775807 and 9223372036854775807")),
				S("ZRANDMEMBER", "z", "-9223372036854775808", "foo").Is(E("ERR value is out of range, value must between -9223372036854775807 and 9223372036854775807")),
				S("ZRANDMEMBER", "z", "-4611686018427387904", "foo").Is(E("ERR syntax error")),
				S("ZRANDMEMBER", "z", "-4611686018427387904", "WITHSCORES").Is(E("ERR value is out of range")),
				S("ZRANDMEMBER", "nokey", "4611686018427387904", "WITHSCORES").Is(E("ERR value is out of range")),
				S("ZRANDMEMBER", "z", "4611686018427387903", "WITHSCORES").Is([]any{"c", "3", "b", "2", "a", "1"}),
				S("ZRANDMEMBER", "str").Is(E("WRONGTYPE Operation against a key holding the wrong kind of value")),
				S("ZRANDMEMBER", "str", "1").Is(E("WRONGTYPE Operation against a key holding the wrong kind of value")),
			)
		})
	}
}

func TestZsetAlgebraTranscript(t *testing.T) {
	transcript(t,
		S("SET", "str", "x").Is("OK"),
		S("ZADD", "z1", "1", "a", "2", "b", "3", "c").Is(3),
		S("ZADD", "z2", "10", "b", "20", "c", "30", "d").Is(3),
		S("ZADD", "inf", "inf", "a", "-inf", "b").Is(2),
		S("ZUNION", "2", "z1", "z2", "WITHSCORES").Is([]any{"a", "1", "b", "12", "c", "23", "d", "30"}),
		S("ZUNION", "2", "z1", "z2", "WEIGHTS", "2", "0.5", "AGGREGATE", "MAX", "WITHSCORES").Is([]any{"a", "2", "b", "5", "c", "10", "d", "15"}),
		S("ZUNION", "3", "z1", "z2", "nokey", "AGGREGATE", "min").Is([]any{"a", "b", "c", "d"}),
		S("ZUNION", "2", "z1", "inf", "WITHSCORES").Is([]any{"b", "-inf", "c", "3", "a", "inf"}),
		S("ZUNION", "2", "inf", "inf", "WEIGHTS", "1", "-1", "WITHSCORES").Is([]any{"a", "0", "b", "0"}),
		S("ZUNION", "1", "inf", "WEIGHTS", "0", "WITHSCORES").Is([]any{"a", "0", "b", "0"}),
		S("ZINTER", "2", "z1", "z2", "WITHSCORES").Is([]any{"b", "12", "c", "23"}),
		S("ZINTER", "2", "z1", "z2", "AGGREGATE", "MIN", "WITHSCORES").Is([]any{"b", "2", "c", "3"}),
		S("ZINTER", "2", "z1", "z2", "WEIGHTS", "-1", "1", "AGGREGATE", "SUM").Is([]any{"b", "c"}),
		S("ZINTER", "2", "z1", "nokey").Is([]any{}),
		S("ZINTER", "2", "z1", "z1", "WITHSCORES").Is([]any{"a", "2", "b", "4", "c", "6"}),
		S("ZDIFF", "2", "z1", "z2", "WITHSCORES").Is([]any{"a", "1"}),
		S("ZDIFF", "2", "z2", "z1").Is([]any{"d"}),
		S("ZDIFF", "2", "z1", "z1").Is([]any{}),
		S("ZDIFF", "2", "nokey", "z1").Is([]any{}),
		S("ZDIFF", "1", "z1").Is([]any{"a", "b", "c"}),
		S("ZINTERCARD", "2", "z1", "z2").Is(2),
		S("ZINTERCARD", "2", "z1", "z2", "LIMIT", "1").Is(1),
		S("ZINTERCARD", "2", "z1", "z2", "LIMIT", "0").Is(2),
		S("ZINTERCARD", "1", "z1", "LIMIT", "-1").Is(E("ERR LIMIT can't be negative")),
		S("ZINTERCARD", "1", "z1", "LIMIT", "x").Is(E("ERR LIMIT can't be negative")),
		S("ZINTERCARD", "1", "z1", "WITHSCORES").Is(E("ERR syntax error")),
		S("ZINTERCARD", "1", "z1", "AGGREGATE", "SUM").Is(E("ERR syntax error")),
		S("ZINTERCARD", "0", "z1").Is(E("ERR at least 1 input key is needed for 'zintercard' command")),
		S("ZINTERCARD", "2", "z1").Is(E("ERR syntax error")),
		// Errors, in Redis's order: numkeys, key types, options.
		S("ZUNION", "0", "z1").Is(E("ERR at least 1 input key is needed for 'zunion' command")),
		S("ZINTER", "-1", "z1").Is(E("ERR at least 1 input key is needed for 'zinter' command")),
		S("ZDIFF", "0", "z1").Is(E("ERR at least 1 input key is needed for 'zdiff' command")),
		S("ZUNION", "x", "z1").Is(E("ERR value is not an integer or out of range")),
		S("ZUNION", "3", "z1", "z2").Is(E("ERR syntax error")),
		S("ZUNION", "1", "str", "FOO").Is(E("WRONGTYPE Operation against a key holding the wrong kind of value")),
		S("ZUNION", "1", "z1", "WEIGHTS", "x").Is(E("ERR weight value is not a float")),
		S("ZUNION", "1", "z1", "WEIGHTS", "1e400").Is(E("ERR weight value is not a float")),
		S("ZUNION", "1", "z1", "WEIGHTS", "1", "2").Is(E("ERR syntax error")),
		S("ZUNION", "2", "z1", "z2", "WEIGHTS", "1").Is(E("ERR syntax error")),
		S("ZUNION", "1", "z1", "AGGREGATE", "foo").Is(E("ERR syntax error")),
		S("ZUNION", "1", "z1", "AGGREGATE").Is(E("ERR syntax error")),
		S("ZUNION", "1", "z1", "WITHSCORES", "foo").Is(E("ERR syntax error")),
		S("ZDIFF", "1", "z1", "WEIGHTS", "1").Is(E("ERR syntax error")),
		S("ZDIFF", "1", "z1", "AGGREGATE", "sum").Is(E("ERR syntax error")),
		// STORE forms.
		S("ZUNIONSTORE", "d", "0", "z1").Is(E("ERR at least 1 input key is needed for 'zunionstore' command")),
		S("ZINTERSTORE", "d", "-1", "z1").Is(E("ERR at least 1 input key is needed for 'zinterstore' command")),
		S("ZDIFFSTORE", "d", "0", "z1").Is(E("ERR at least 1 input key is needed for 'zdiffstore' command")),
		S("ZUNIONSTORE", "d", "x", "z1").Is(E("ERR value is not an integer or out of range")),
		S("ZUNIONSTORE", "d", "3", "z1").Is(E("ERR syntax error")),
		S("ZUNIONSTORE", "d", "1", "z1", "WITHSCORES").Is(E("ERR syntax error")),
		S("ZUNIONSTORE", "d", "2", "z1", "str").Is(E("WRONGTYPE Operation against a key holding the wrong kind of value")),
		S("ZUNIONSTORE", "d", "2", "z1", "z2", "WEIGHTS", "1", "2").Is(4),
		S("ZRANGE", "d", "0", "-1", "WITHSCORES").Is([]any{"a", "1", "b", "22", "c", "43", "d", "60"}),
		S("ZINTERSTORE", "d", "2", "z1", "z2", "AGGREGATE", "MAX").Is(2),
		S("ZRANGE", "d", "0", "-1", "WITHSCORES").Is([]any{"b", "10", "c", "20"}),
		S("ZDIFFSTORE", "d", "2", "z2", "z1").Is(1),
		S("ZRANGE", "d", "0", "-1", "WITHSCORES").Is([]any{"d", "30"}),
		S("ZINTERSTORE", "d", "2", "z1", "nokey").Is(0),
		S("EXISTS", "d").Is(0),
		S("ZUNIONSTORE", "str", "1", "z1").Is(3),
		S("ZCARD", "str").Is(3),
		S("ZINTERSTORE", "z1", "2", "z1", "z2").Is(2),
		S("ZRANGE", "z1", "0", "-1", "WITHSCORES").Is([]any{"b", "12", "c", "23"}),
		S("ZDIFFSTORE", "z1", "1", "nokey").Is(0),
		S("EXISTS", "z1").Is(0),
	)
}

// Conversion points, through CONFIG SET so both servers agree, checked through what
// the encodings print differently (ZSCAN).
func TestZsetEncodingThresholds(t *testing.T) {
	long := strings.Repeat("x", 65)
	transcript(t,
		S("CONFIG", "SET", "zset-max-listpack-entries", "3").Is("OK"),
		S("ZADD", "z", "123456789012345678", "a", "2", "b", "3", "c").Is(3),
		S("ZSCAN", "z", "0", "MATCH", "a").Is([]any{"0", []any{"a", "123456789012345680"}}), // listpack
		S("ZADD", "z", "4", "d").Is(1),
		S("ZSCAN", "z", "0", "MATCH", "a", "COUNT", "100").Is([]any{"0", []any{"a", "1.2345678901234568e+17"}}), // skiplist
		S("ZADD", "l", "123456789012345678", "a", "1", long).Is(2),
		S("ZSCAN", "l", "0", "MATCH", "a", "COUNT", "100").Is([]any{"0", []any{"a", "1.2345678901234568e+17"}}),
		S("ZUNIONSTORE", "u", "1", "z", "WEIGHTS", "1").Is(4),
		S("ZSCAN", "u", "0", "MATCH", "a", "COUNT", "100").Is([]any{"0", []any{"a", "1.2345678901234568e+17"}}),
		S("ZRANGESTORE", "r", "z", "-1", "-1").Is(1),
		S("ZSCAN", "r", "0", "MATCH", "a").Is([]any{"0", []any{"a", "123456789012345680"}}),
		S("ZREM", "z", "b", "c", "d").Is(3),
		S("ZSCAN", "z", "0", "MATCH", "a", "COUNT", "100").Is([]any{"0", []any{"a", "1.2345678901234568e+17"}}), // never back
	)
}

// -0 shows which encoding a member went through: a listpack stores it as the integer 0.
func TestZsetNegativeZero(t *testing.T) {
	transcript(t,
		S("CONFIG", "SET", "zset-max-listpack-entries", "2").Is("OK"),
		S("CONFIG", "SET", "zset-max-listpack-value", "3").Is("OK"),
		S("ZADD", "k", "-0", "a", "1", "b", "2", "c").Is(3), // created packed, converted on c
		S("ZSCORE", "k", "a").Is("0"),
		S("ZADD", "k2", "-0", "a", "1", "longmember").Is(2),
		S("ZSCORE", "k2", "a").Is("0"),
		S("ZADD", "k3", "-0", "longmember", "1", "b").Is(2), // created as a skiplist
		S("ZSCORE", "k3", "longmember").Is("-0"),
		S("ZADD", "k3", "-0", "c").Is(1),
		S("ZSCORE", "k3", "c").Is("-0"),
		S("ZINCRBY", "k3", "-0", "d").Is("-0"),
		S("CONFIG", "SET", "zset-max-listpack-entries", "0").Is("OK"),
		S("ZADD", "src", "-0", "a", "1", "b", "2", "c", "3", "d").Is(4),
		S("CONFIG", "SET", "zset-max-listpack-entries", "2").Is("OK"),
		S("ZRANGESTORE", "d1", "src", "0", "-1").Is(4), // rank, known too long: skiplist
		S("ZSCORE", "d1", "a").Is("-0"),
		S("ZRANGESTORE", "d2", "src", "0", "1").Is(2),
		S("ZSCORE", "d2", "a").Is("0"),
		S("ZRANGESTORE", "d3", "src", "-inf", "+inf", "BYSCORE").Is(4), // unknown length: packed first
		S("ZSCORE", "d3", "a").Is("0"),
		S("ZRANGESTORE", "d4", "src", "+inf", "-inf", "BYSCORE", "REV").Is(4), // a comes last
		S("ZSCORE", "d4", "a").Is("-0"),
		S("ZUNIONSTORE", "u1", "1", "src").Is(4), // built whole, too big to pack
		S("ZSCORE", "u1", "a").Is("-0"),
		S("ZUNIONSTORE", "u2", "1", "d2").Is(2),
		S("ZSCORE", "u2", "a").Is("0"),
	)
}

func TestZsetRESP3(t *testing.T) {
	steps := []step{
		S("ZADD", "z", "1", "a", "2.5", "b", "3", "c").Is(3),
		S("ZSCORE", "z", "b").Is(2.5),
		S("ZSCORE", "z", "x").Is(nil),
		S("ZMSCORE", "z", "a", "x").Is([]any{1.0, nil}),
		S("ZINCRBY", "z", "1", "a").Is(2.0),
		S("ZADD", "z", "INCR", "1", "a").Is(3.0),
		S("ZRANGE", "z", "0", "1", "WITHSCORES").Is([]any{[]any{"b", 2.5}, []any{"a", 3.0}}),
		S("ZRANGE", "z", "0", "1").Is([]any{"b", "a"}),
		S("ZRANGEBYSCORE", "z", "-inf", "(3", "WITHSCORES").Is([]any{[]any{"b", 2.5}}),
		S("ZUNION", "1", "z", "WITHSCORES").Is([]any{[]any{"b", 2.5}, []any{"a", 3.0}, []any{"c", 3.0}}),
		S("ZRANDMEMBER", "z", "5", "WITHSCORES").Is([]any{[]any{"c", 3.0}, []any{"a", 3.0}, []any{"b", 2.5}}),
		S("ZSCAN", "z", "0").Is([]any{"0", []any{"b", "2.5", "a", "3", "c", "3"}}),
		S("ZPOPMIN", "z").Is([]any{"b", 2.5}),
		S("ZPOPMAX", "z", "1").Is([]any{[]any{"c", 3.0}}),
		S("ZADD", "z", "5", "e").Is(1),
		S("ZMPOP", "1", "z", "MIN").Is([]any{"z", []any{[]any{"a", 3.0}}}),
		S("BZPOPMAX", "z", "0").Is([]any{"z", "e", 5.0}),
		S("ZMPOP", "1", "z", "MIN").Is(nil),
		S("BZPOPMIN", "z", "0.01").Is(nil),
		S("ZRANK", "z", "a").Is(nil),
	}
	for _, tg := range servers(t) {
		t.Run(tg.name, func(t *testing.T) {
			runTranscript(t, newClient(t, tg.addr, 3), steps)
		})
	}
}
