package node

import (
	"fmt"
	"strings"
	"testing"
)

func TestSetAddRemMembers(t *testing.T) {
	transcript(t,
		S("SADD", "s", "3", "1", "2", "1").Is(3),
		S("SADD", "s", "2").Is(0),
		S("SMEMBERS", "s").Is([]any{"1", "2", "3"}),
		S("SCARD", "s").Is(3),
		S("SISMEMBER", "s", "2").Is(1),
		S("SISMEMBER", "s", "02").Is(0),
		S("SISMEMBER", "s", "x").Is(0),
		S("SMISMEMBER", "s", "1", "x", "3", "02").Is([]any{int64(1), int64(0), int64(1), int64(0)}),
		S("SMISMEMBER", "nokey", "1").Is([]any{int64(0)}),
		S("SMISMEMBER", "s").Is(E("ERR wrong number of arguments for 'smismember' command")),
		S("SADD", "s").Is(E("ERR wrong number of arguments for 'sadd' command")),
		S("SREM", "s", "2", "2", "9", "x").Is(1),
		S("SMEMBERS", "s").Is([]any{"1", "3"}),
		S("SREM", "s", "1", "3", "4").Is(2),
		S("EXISTS", "s").Is(0),
		S("SREM", "nokey", "1").Is(0),
		S("SREM", "s").Is(E("ERR wrong number of arguments for 'srem' command")),
		S("SMEMBERS", "nokey").Is([]any{}),
		S("SCARD", "nokey").Is(0),
		S("SISMEMBER", "nokey", "a").Is(0),
		S("SADD", "w", "b", "a", "", "-5").Is(4),
		S("SMEMBERS", "w").Is(Unordered{"a", "b", "", "-5"}),
		S("SREM", "w", "a", "b", "", "-5").Is(4),
		S("EXISTS", "w").Is(0),
		// Integers: the intset keeps them sorted, whatever their width.
		S("SADD", "n", "-9223372036854775808", "9223372036854775807", "70000", "-3", "0").Is(5),
		S("SMEMBERS", "n").Is([]any{"-9223372036854775808", "-3", "0", "70000", "9223372036854775807"}),
		S("SISMEMBER", "n", "70000").Is(1),
		S("SISMEMBER", "n", "9223372036854775808").Is(0),
	)
}

func TestSetWrongType(t *testing.T) {
	wt := E("WRONGTYPE Operation against a key holding the wrong kind of value")
	transcript(t,
		S("SET", "str", "x").Is("OK"),
		S("SADD", "s", "a").Is(1),
		S("SADD", "str", "a").Is(wt),
		S("SREM", "str", "a").Is(wt),
		S("SMEMBERS", "str").Is(wt),
		S("SISMEMBER", "str", "a").Is(wt),
		S("SMISMEMBER", "str", "a").Is(wt),
		S("SCARD", "str").Is(wt),
		S("SPOP", "str").Is(wt),
		S("SPOP", "str", "2").Is(wt),
		S("SPOP", "str", "0").Is(wt),
		S("SRANDMEMBER", "str").Is(wt),
		S("SRANDMEMBER", "str", "2").Is(wt),
		S("SRANDMEMBER", "str", "0").Is(wt),
		S("SSCAN", "str", "0").Is(wt),
		S("SINTER", "s", "str").Is(wt),
		S("SINTER", "str", "nokey").Is(wt),
		S("SINTER", "nokey", "str").Is(wt),
		S("SINTERCARD", "2", "s", "str").Is(wt),
		S("SINTERCARD", "2", "nokey", "str").Is(wt),
		S("SINTERSTORE", "d", "nokey", "str").Is(wt),
		S("SINTERSTORE", "d", "s", "str").Is(wt),
		S("SUNION", "nokey", "str").Is(wt),
		S("SUNIONSTORE", "d", "s", "str").Is(wt),
		S("SDIFF", "s", "str").Is(wt),
		S("SDIFF", "nokey", "str").Is(wt),
		S("SDIFFSTORE", "d", "s", "str").Is(wt),
		S("SMOVE", "str", "s", "a").Is(wt),
		S("SMOVE", "s", "str", "a").Is(wt),
		S("SMOVE", "nokey", "str", "a").Is(0),
		S("SMEMBERS", "s").Is([]any{"a"}),
		S("EXISTS", "d").Is(0),
		// A set key is the wrong type for the hash commands and the other way round.
		S("HSET", "s", "f", "v").Is(wt),
		S("HSET", "h", "f", "v").Is(1),
		S("SADD", "h", "a").Is(wt),
	)
}

func TestSetPop(t *testing.T) {
	pool := []string{"1", "2", "3", "4", "5"}
	transcript(t,
		S("SPOP", "nokey").Is(nil),
		S("SPOP", "nokey", "3").Is([]any{}),
		S("SPOP", "nokey", "x").Is(E("ERR value is out of range, must be positive")),
		S("SADD", "s", "1", "2", "3", "4", "5").Is(5),
		S("SPOP", "s", "-1").Is(E("ERR value is out of range, must be positive")),
		S("SPOP", "s", "x").Is(E("ERR value is out of range, must be positive")),
		S("SPOP", "s", "1.5").Is(E("ERR value is out of range, must be positive")),
		S("SPOP", "s", "1", "2").Is(E("ERR syntax error")),
		S("SPOP", "s", "0").Is([]any{}),
		S("SPOP", "s").Is(oneOf("1", "2", "3", "4", "5")),
		S("SCARD", "s").Is(4),
		S("SPOP", "s", "2").Is(subsetOf(2, true, pool...)),
		S("SCARD", "s").Is(2),
		S("SPOP", "s", "1").Is(subsetOf(1, true, pool...)),
		S("SPOP", "s", "5").Is(subsetOf(1, true, pool...)),
		S("EXISTS", "s").Is(0),
		S("SADD", "t", "c", "a", "b").Is(3),
		S("SPOP", "t", "3").Is(Unordered{"a", "b", "c"}),
		S("EXISTS", "t").Is(0),
		S("SADD", "u", "7").Is(1),
		S("SPOP", "u").Is("7"),
		S("EXISTS", "u").Is(0),
		S("SADD", "i", "3", "1", "2").Is(3),
		S("SPOP", "i", "100").Is([]any{"1", "2", "3"}),
		S("SPOP").Is(E("ERR wrong number of arguments for 'spop' command")),
	)
	// Popping a large hashtable set until it is gone returns every member once.
	var members []any
	for i := range 1000 {
		members = append(members, fmt.Sprint("m", i))
	}
	var steps []step
	steps = append(steps, S(append([]any{"SADD", "big"}, members...)...).Is(1000))
	seen := map[string]int{}
	collect := func(got any) bool {
		for _, m := range got.([]any) {
			seen[m.(string)]++
		}
		return true
	}
	for _, n := range []int{1, 10, 100, 300, 500, 89} {
		steps = append(steps, S("SPOP", "big", n).Is(Check(func(got any) bool {
			return isLen(n)(got) && collect(got)
		})))
	}
	steps = append(steps, S("EXISTS", "big").Is(0))
	for _, tg := range servers(t) {
		t.Run(tg.name+"/all", func(t *testing.T) {
			clear(seen)
			runTranscript(t, newClient(t, tg.addr, 2), steps)
			if len(seen) != 1000 {
				t.Fatalf("popped %d distinct members", len(seen))
			}
			for m, n := range seen {
				if n != 1 {
					t.Fatalf("%s popped %d times", m, n)
				}
			}
		})
	}
}

func TestSetRandMember(t *testing.T) {
	pool := []string{"1", "2", "3"}
	transcript(t,
		S("SRANDMEMBER", "nokey").Is(nil),
		S("SRANDMEMBER", "nokey", "3").Is([]any{}),
		S("SRANDMEMBER", "nokey", "-3").Is([]any{}),
		S("SRANDMEMBER", "nokey", "x").Is(E("ERR value is not an integer or out of range")),
		S("SADD", "s", "3", "1", "2").Is(3),
		S("SRANDMEMBER", "s").Is(oneOf("1", "2", "3")),
		S("SRANDMEMBER", "s", "0").Is([]any{}),
		S("SRANDMEMBER", "s", "3").Is([]any{"1", "2", "3"}),
		S("SRANDMEMBER", "s", "30").Is([]any{"1", "2", "3"}),
		S("SRANDMEMBER", "s", "2").Is(subsetOf(2, true, pool...)),
		S("SRANDMEMBER", "s", "1").Is(subsetOf(1, true, pool...)),
		S("SRANDMEMBER", "s", "-1").Is(subsetOf(1, true, pool...)),
		S("SRANDMEMBER", "s", "-20").Is(subsetOf(20, false, pool...)),
		S("SRANDMEMBER", "s", "x").Is(E("ERR value is not an integer or out of range")),
		S("SRANDMEMBER", "s", "1", "2").Is(E("ERR syntax error")),
		S("SRANDMEMBER", "s", "-9223372036854775808").Is(E("ERR value is out of range, value must between -9223372036854775807 and 9223372036854775807")),
		S("SRANDMEMBER", "nokey", "-9223372036854775807").Is([]any{}),
		S("SCARD", "s").Is(3),
	)
	var members []any
	var pool2 []string
	for i := range 1000 {
		members = append(members, fmt.Sprint("m", i))
		pool2 = append(pool2, fmt.Sprint("m", i))
	}
	transcript(t,
		S(append([]any{"SADD", "big"}, members...)...).Is(1000),
		S("SRANDMEMBER", "big", "1000").Is(Unordered(members)),
		S("SRANDMEMBER", "big", "999").Is(subsetOf(999, true, pool2...)),
		S("SRANDMEMBER", "big", "400").Is(subsetOf(400, true, pool2...)),
		S("SRANDMEMBER", "big", "5").Is(subsetOf(5, true, pool2...)),
		S("SRANDMEMBER", "big", "-3000").Is(subsetOf(3000, false, pool2...)),
		S("SRANDMEMBER", "big").Is(Check(func(got any) bool { return strings.HasPrefix(got.(string), "m") })),
	)
}

// TestSetRandMemberHugeCount asks for more repetitions than any reply may hold: shoal
// must neither preallocate them nor grow without bound, and closes the connection as
// Redis does for a client over its output buffer limit.
func TestSetRandMemberHugeCount(t *testing.T) {
	addr := startShoalAddr(t, "client-output-buffer-limit", "normal 1mb 0 0")
	c := newClient(t, addr, 2)
	ctx := t.Context()
	c.SAdd(ctx, "s", "a", "b", "c")
	c.HSet(ctx, "h", "a", "1")
	for _, cmd := range [][]any{
		{"SRANDMEMBER", "s", "-9223372036854775807"},
		{"HRANDFIELD", "h", "-9223372036854775807"},
		{"HRANDFIELD", "h", "-4611686018427387903", "WITHVALUES"},
	} {
		if err := c.Do(ctx, cmd...).Err(); err == nil {
			t.Fatalf("%v: got a reply", cmd)
		}
	}
	if n, err := c.SCard(ctx, "s").Result(); err != nil || n != 3 {
		t.Fatalf("server unusable after: %d %v", n, err)
	}
}

func TestSetMove(t *testing.T) {
	transcript(t,
		S("SADD", "a", "1", "2", "x").Is(3),
		S("SMOVE", "a", "b", "1").Is(1),
		S("SMEMBERS", "b").Is([]any{"1"}),
		S("OBJECT", "ENCODING", "b").Is("intset"),
		S("SMOVE", "a", "b", "1").Is(0),
		S("SMOVE", "a", "b", "nope").Is(0),
		S("SMOVE", "nokey", "b", "1").Is(0),
		S("SMOVE", "a", "a", "2").Is(1),
		S("SMOVE", "a", "a", "9").Is(0),
		S("SMOVE", "a", "c", "x").Is(1),
		S("OBJECT", "ENCODING", "c").Is("hashtable"),
		S("SMOVE", "a", "b", "2").Is(1),
		S("EXISTS", "a").Is(0),
		S("SMEMBERS", "b").Is([]any{"1", "2"}),
		S("SADD", "d", "2").Is(1),
		S("SMOVE", "d", "b", "2").Is(1),
		S("EXISTS", "d").Is(0),
		S("SCARD", "b").Is(2),
		S("SMOVE", "b", "c").Is(E("ERR wrong number of arguments for 'smove' command")),
	)
}

func TestSetInter(t *testing.T) {
	transcript(t,
		S("SADD", "a", "1", "2", "3", "4", "x").Is(5),
		S("SADD", "b", "2", "3", "4", "5").Is(4),
		S("SADD", "c", "3", "4", "6").Is(3),
		S("SINTER", "a", "b", "c").Is([]any{"3", "4"}),
		S("SINTER", "a").Is(Unordered{"1", "2", "3", "4", "x"}),
		S("SINTER", "b", "b").Is([]any{"2", "3", "4", "5"}),
		S("SINTER", "a", "b", "nokey").Is([]any{}),
		S("SINTER", "a", "b").Is(Unordered{"2", "3", "4"}),
		S("SINTER").Is(E("ERR wrong number of arguments for 'sinter' command")),
		S("SINTERSTORE", "d", "a", "b", "c").Is(2),
		S("SMEMBERS", "d").Is([]any{"3", "4"}),
		S("OBJECT", "ENCODING", "d").Is("intset"),
		S("SINTERSTORE", "d", "a", "nokey").Is(0),
		S("EXISTS", "d").Is(0),
		S("SET", "d", "string").Is("OK"),
		S("SINTERSTORE", "d", "a", "b").Is(3),
		S("TYPE", "d").Is(Any),
		S("SMEMBERS", "d").Is([]any{"2", "3", "4"}),
		S("SINTERSTORE", "a", "a", "c").Is(2),
		S("SMEMBERS", "a").Is([]any{"3", "4"}),
		S("SINTERSTORE", "d").Is(E("ERR wrong number of arguments for 'sinterstore' command")),
		S("SADD", "w1", "x", "y", "z").Is(3),
		S("SADD", "w2", "y", "z", "q").Is(3),
		S("SINTERSTORE", "d", "w1", "w2").Is(2),
		S("OBJECT", "ENCODING", "d").Is("hashtable"),
		S("SINTER", "w1", "c").Is([]any{}),
		S("SINTERSTORE", "d", "w1", "c").Is(0),
		S("EXISTS", "d").Is(0),
	)
}

func TestSetInterCard(t *testing.T) {
	transcript(t,
		S("SADD", "a", "1", "2", "3", "4", "5").Is(5),
		S("SADD", "b", "2", "3", "4", "5", "6").Is(5),
		S("SINTERCARD", "2", "a", "b").Is(4),
		S("SINTERCARD", "1", "a").Is(5),
		S("SINTERCARD", "2", "a", "b", "LIMIT", "2").Is(2),
		S("SINTERCARD", "2", "a", "b", "limit", "0").Is(4),
		S("SINTERCARD", "2", "a", "b", "LIMIT", "100").Is(4),
		S("SINTERCARD", "2", "a", "b", "LIMIT", "1", "LIMIT", "3").Is(3),
		S("SINTERCARD", "2", "a", "nokey").Is(0),
		S("SINTERCARD", "1", "nokey").Is(0),
		S("SINTERCARD", "0", "a").Is(E("ERR numkeys should be greater than 0")),
		S("SINTERCARD", "-1", "a").Is(E("ERR numkeys should be greater than 0")),
		S("SINTERCARD", "x", "a").Is(E("ERR numkeys should be greater than 0")),
		S("SINTERCARD", "3", "a", "b").Is(E("ERR Number of keys can't be greater than number of args")),
		S("SINTERCARD", "9223372036854775807", "a").Is(E("ERR Number of keys can't be greater than number of args")),
		S("SINTERCARD", "2", "a", "b", "LIMIT", "-1").Is(E("ERR LIMIT can't be negative")),
		S("SINTERCARD", "2", "a", "b", "LIMIT", "x").Is(E("ERR LIMIT can't be negative")),
		S("SINTERCARD", "2", "a", "b", "LIMIT").Is(E("ERR syntax error")),
		S("SINTERCARD", "1", "a", "b").Is(E("ERR syntax error")),
		S("SINTERCARD", "1", "a", "FOO", "1").Is(E("ERR syntax error")),
		S("SINTERCARD", "1").Is(E("ERR wrong number of arguments for 'sintercard' command")),
	)
}

func TestSetUnionDiff(t *testing.T) {
	transcript(t,
		S("SADD", "a", "5", "1", "2", "3").Is(4),
		S("SADD", "b", "3", "4").Is(2),
		S("SADD", "c", "1", "x").Is(2),
		S("SUNION", "a", "b").Is([]any{"1", "2", "3", "4", "5"}),
		S("SUNION", "a", "nokey", "b").Is([]any{"1", "2", "3", "4", "5"}),
		S("SUNION", "nokey").Is([]any{}),
		S("SUNION", "a", "c").Is(Unordered{"1", "2", "3", "5", "x"}),
		S("SDIFF", "a", "b").Is([]any{"1", "2", "5"}),
		S("SDIFF", "a", "b", "c").Is([]any{"2", "5"}),
		S("SDIFF", "a", "nokey").Is([]any{"1", "2", "3", "5"}),
		S("SDIFF", "nokey", "a").Is([]any{}),
		S("SDIFF", "a", "a").Is([]any{}),
		S("SDIFF", "a", "b", "a").Is([]any{}),
		S("SDIFF", "c", "a").Is([]any{"x"}),
		S("SDIFF", "a").Is([]any{"1", "2", "3", "5"}),
		S("SUNIONSTORE", "d", "a", "b").Is(5),
		S("SMEMBERS", "d").Is([]any{"1", "2", "3", "4", "5"}),
		S("OBJECT", "ENCODING", "d").Is("intset"),
		S("SUNIONSTORE", "d", "a", "c").Is(5),
		S("OBJECT", "ENCODING", "d").Is("hashtable"),
		S("SUNIONSTORE", "d", "nokey").Is(0),
		S("EXISTS", "d").Is(0),
		S("SDIFFSTORE", "d", "a", "b", "c").Is(2),
		S("SMEMBERS", "d").Is([]any{"2", "5"}),
		S("SDIFFSTORE", "d", "a", "a").Is(0),
		S("EXISTS", "d").Is(0),
		S("SDIFFSTORE", "a", "a", "b").Is(3),
		S("SMEMBERS", "a").Is([]any{"1", "2", "5"}),
		S("SUNIONSTORE", "b", "b", "c").Is(4),
		S("SMEMBERS", "b").Is(Unordered{"1", "3", "4", "x"}),
		S("SUNION").Is(E("ERR wrong number of arguments for 'sunion' command")),
		S("SDIFFSTORE", "d").Is(E("ERR wrong number of arguments for 'sdiffstore' command")),
		S("SUNIONSTORE", "d").Is(E("ERR wrong number of arguments for 'sunionstore' command")),
	)
	// Both SDIFF strategies: a small first set against big others, and the other way.
	var big []any
	for i := range 700 {
		big = append(big, i)
	}
	transcript(t,
		S(append([]any{"SADD", "big"}, big...)...).Is(700),
		S("OBJECT", "ENCODING", "big").Is("hashtable"),
		S("SADD", "small", "5", "699", "700", "-1").Is(4),
		S("SDIFF", "small", "big").Is([]any{"-1", "700"}),
		S("SDIFF", "big", "small", "small").Is(isLen(698)),
		S("SDIFFSTORE", "d", "big", "small").Is(698),
		S("OBJECT", "ENCODING", "d").Is("hashtable"),
		S("SINTER", "big", "small").Is([]any{"5", "699"}),
		S("SUNION", "small", "big").Is(isLen(702)),
	)
}

func TestSetResp3(t *testing.T) {
	rawCompare(t, 3,
		rc(rawExact, "SADD", "s", "3", "1", "2"),
		rc(rawExact, "SADD", "t", "a", "b"),
		rc(rawExact, "SMEMBERS", "s"),
		rc(rawExact, "SMEMBERS", "nokey"),
		rc(rawExact, "SINTER", "s", "s"),
		rc(rawExact, "SINTER", "nokey", "s"),
		rc(rawUnordered, "SUNION", "s", "t"),
		rc(rawExact, "SDIFF", "s", "t"),
		rc(rawExact, "SISMEMBER", "s", "1"),
		rc(rawExact, "SMISMEMBER", "s", "1", "9"),
		rc(rawExact, "SRANDMEMBER", "s", "5"),
		rc(rawShape, "SRANDMEMBER", "s", "2"),
		rc(rawShape, "SRANDMEMBER", "s", "-5"),
		rc(rawExact, "SRANDMEMBER", "nokey", "5"),
		rc(rawExact, "SRANDMEMBER", "nokey"),
		rc(rawExact, "SPOP", "nokey"),
		rc(rawExact, "SPOP", "nokey", "2"),
		rc(rawExact, "SPOP", "s", "0"),
		rc(rawExact, "SSCAN", "s", "0"),
		rc(rawExact, "SSCAN", "nokey", "0"),
		rc(rawExact, "SINTERCARD", "1", "s"),
		rc(rawExact, "SINTERSTORE", "d", "s"),
		rc(rawExact, "SCARD", "d"),
		rc(rawExact, "SPOP", "d", "10"),
		rc(rawShape, "SPOP", "s", "1"),
		rc(rawShape, "SPOP", "t"),
		rc(rawExact, "SADD", "one", "m"),
		rc(rawExact, "SRANDMEMBER", "one", "-3"),
		rc(rawExact, "SRANDMEMBER", "one", "1"),
		rc(rawExact, "SRANDMEMBER", "one"),
		rc(rawExact, "SPOP", "one", "1"),
		rc(rawExact, "EXISTS", "one"),
	)
}

func TestSetScan(t *testing.T) {
	transcript(t,
		S("SSCAN", "nokey", "0").Is([]any{"0", []any{}}),
		S("SSCAN", "nokey", "0", "COUNT", "0").Is([]any{"0", []any{}}),
		S("SSCAN", "nokey", "x").Is(E("ERR invalid cursor")),
		S("SADD", "s", "10", "2", "1", "11").Is(4),
		S("SSCAN", "s", "0").Is([]any{"0", []any{"1", "2", "10", "11"}}),
		S("SSCAN", "s", "77", "COUNT", "1").Is([]any{"0", []any{"1", "2", "10", "11"}}),
		S("SSCAN", "s", "0", "MATCH", "1*").Is([]any{"0", []any{"1", "10", "11"}}),
		S("SSCAN", "s", "0", "MATCH", "1?", "COUNT", "100").Is([]any{"0", []any{"10", "11"}}),
		S("SSCAN", "s", "0", "COUNT", "0").Is(E("ERR syntax error")),
		S("SSCAN", "s", "0", "COUNT", "x").Is(E("ERR value is not an integer or out of range")),
		S("SSCAN", "s", "0", "MATCH").Is(E("ERR syntax error")),
		S("SSCAN", "s", "0", "TYPE", "set").Is(E("ERR syntax error")),
		S("SSCAN", "s", "").Is([]any{"0", []any{"1", "2", "10", "11"}}),
		S("SSCAN", "s", "-1").Is([]any{"0", []any{"1", "2", "10", "11"}}),
		S("SSCAN", "s", "+0").Is([]any{"0", []any{"1", "2", "10", "11"}}),
		S("SSCAN", "s", "x").Is(E("ERR invalid cursor")),
		S("SSCAN", "s").Is(E("ERR wrong number of arguments for 'sscan' command")),
	)
	for _, tg := range servers(t) {
		t.Run(tg.name+"/hashtable", func(t *testing.T) {
			c := newClient(t, tg.addr, 2)
			ctx := t.Context()
			var members []any
			for i := range 2000 {
				members = append(members, fmt.Sprint("m", i))
			}
			c.SAdd(ctx, "s", members...)
			for _, count := range []int64{1, 10, 1000} {
				seen := map[string]bool{}
				cursor := uint64(0)
				for {
					ms, next, err := c.SScan(ctx, "s", cursor, "m1*", count).Result()
					if err != nil {
						t.Fatal(err)
					}
					for _, m := range ms {
						if !strings.HasPrefix(m, "m1") {
							t.Fatalf("%s does not match", m)
						}
						seen[m] = true
					}
					if cursor = next; cursor == 0 {
						break
					}
				}
				if len(seen) != 1111 {
					t.Fatalf("COUNT %d: saw %d members", count, len(seen))
				}
			}
		})
	}
}

func TestSetEncoding(t *testing.T) {
	var ints []any
	for i := range 512 {
		ints = append(ints, i*3)
	}
	transcript(t,
		S("SADD", "s", "1", "2").Is(2),
		S("OBJECT", "ENCODING", "s").Is("intset"),
		S("SADD", "s", "x").Is(1),
		S("OBJECT", "ENCODING", "s").Is("hashtable"),
		S("SREM", "s", "x").Is(1),
		S("OBJECT", "ENCODING", "s").Is("hashtable"),
		S("SADD", "t", "a").Is(1),
		S("OBJECT", "ENCODING", "t").Is("hashtable"),
		S("SADD", "u", "01").Is(1),
		S("OBJECT", "ENCODING", "u").Is("hashtable"),
		S("SADD", "v", "-9223372036854775808").Is(1),
		S("OBJECT", "ENCODING", "v").Is("intset"),
		S("SADD", "w", "9223372036854775808").Is(1),
		S("OBJECT", "ENCODING", "w").Is("hashtable"),
		S(append([]any{"SADD", "big"}, ints...)...).Is(512),
		S("OBJECT", "ENCODING", "big").Is("intset"),
		S("SADD", "big", "3").Is(0),
		S("OBJECT", "ENCODING", "big").Is("intset"),
		S("SADD", "big", "1").Is(1),
		S("OBJECT", "ENCODING", "big").Is("hashtable"),
		S("CONFIG", "SET", "set-max-intset-entries", "2").Is("OK"),
		S("SADD", "c", "1", "2").Is(2),
		S("OBJECT", "ENCODING", "c").Is("intset"),
		S("SADD", "c", "3").Is(1),
		S("OBJECT", "ENCODING", "c").Is("hashtable"),
		S("SADD", "c3", "1", "2", "3").Is(3),
		S("OBJECT", "ENCODING", "c3").Is("hashtable"),
		S("SINTERSTORE", "d", "c3").Is(3),
		S("OBJECT", "ENCODING", "d").Is("hashtable"),
		S("SPOP", "c3", "2").Is(isLen(2)),
		S("OBJECT", "ENCODING", "c3").Is("hashtable"),
		S("CONFIG", "SET", "set-max-intset-entries", "0").Is("OK"),
		S("SADD", "z", "1").Is(1),
		S("OBJECT", "ENCODING", "z").Is("hashtable"),
		S("OBJECT", "ENCODING", "nokey").Is(nil),
	)
}
