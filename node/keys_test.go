package node

import (
	"context"
	"errors"
	"slices"
	"strconv"
	"testing"

	"github.com/redis/go-redis/v9"
)

// keysDo runs a command that must succeed (a null reply is nil).
func keysDo(t testing.TB, c *redis.Client, args ...any) any {
	t.Helper()
	v, err := c.Do(context.Background(), args...).Result()
	if err != nil && !errors.Is(err, redis.Nil) {
		t.Fatalf("%v: %v", fmtCmd(args), err)
	}
	return v
}

// keysSorted converts an array reply of strings, sorted.
func keysSorted(t testing.TB, v any) []string {
	t.Helper()
	arr, ok := v.([]any)
	if !ok {
		t.Fatalf("not an array: %#v", v)
	}
	out := make([]string, len(arr))
	for i, x := range arr {
		if out[i], ok = x.(string); !ok {
			t.Fatalf("not a string: %#v", x)
		}
	}
	slices.Sort(out)
	return out
}

// wantKeys checks that the array reply of args holds exactly want, in any order.
func wantKeys(t testing.TB, c *redis.Client, want []string, args ...any) {
	t.Helper()
	got := keysSorted(t, keysDo(t, c, args...))
	want = slices.Sorted(slices.Values(want))
	if !slices.Equal(got, want) {
		t.Errorf("%s\n  got  %q\n  want %q", fmtCmd(args), got, want)
	}
}

// scanAll runs a whole SCAN pass with the given options and counts how often each key
// came back; it fails on a cursor that does not fit in a uint64.
func scanAll(t testing.TB, c *redis.Client, opts ...any) map[string]int {
	t.Helper()
	seen := map[string]int{}
	cursor := "0"
	for i := 0; ; i++ {
		if i > 10_000_000 {
			t.Fatal("SCAN does not end")
		}
		v := keysDo(t, c, append([]any{"SCAN", cursor}, opts...)...).([]any)
		cursor = v[0].(string)
		if _, err := strconv.ParseUint(cursor, 10, 64); err != nil {
			t.Fatalf("cursor %q is not a uint64", cursor)
		}
		for _, k := range keysSorted(t, v[1]) {
			seen[k]++
		}
		if cursor == "0" {
			return seen
		}
	}
}

func setKeys(t testing.TB, c *redis.Client, keys ...string) {
	t.Helper()
	p := c.Pipeline()
	for _, k := range keys {
		p.Do(context.Background(), "SET", k, "v")
	}
	if _, err := p.Exec(context.Background()); err != nil {
		t.Fatal(err)
	}
}

func TestDelExistsTypeTouch(t *testing.T) {
	transcript(t,
		S("SET", "a", "1").Is("OK"),
		S("SET", "b", "2").Is("OK"),
		S("EXISTS", "a", "a", "b", "nokey").Is(3),
		S("EXISTS", "nokey").Is(0),
		S("TYPE", "a").Is("string"),
		S("TYPE", "nokey").Is("none"),
		S("TOUCH", "a", "a", "nokey").Is(2),
		S("DEL", "a", "a", "nokey").Is(1),
		S("DEL", "a").Is(0),
		S("UNLINK", "b", "nokey").Is(1),
		S("EXISTS", "a", "b").Is(0),
		S("DEL").Is(E("ERR wrong number of arguments for 'del' command")),
		S("UNLINK").Is(E("ERR wrong number of arguments for 'unlink' command")),
		S("EXISTS").Is(E("ERR wrong number of arguments for 'exists' command")),
		S("TOUCH").Is(E("ERR wrong number of arguments for 'touch' command")),
		S("TYPE").Is(E("ERR wrong number of arguments for 'type' command")),
		S("TYPE", "a", "b").Is(E("ERR wrong number of arguments for 'type' command")),
	)
}

func TestRename(t *testing.T) {
	transcript(t,
		S("RENAME", "nokey", "b").Is(E("ERR no such key")),
		S("RENAME", "nokey", "nokey").Is(E("ERR no such key")),
		S("RENAMENX", "nokey", "b").Is(E("ERR no such key")),
		S("SET", "a", "va").Is("OK"),
		S("RENAME", "a", "a").Is("OK"),
		S("RENAMENX", "a", "a").Is(0),
		S("GET", "a").Is("va"),
		S("EXPIRE", "a", "100").Is(1),
		S("RENAME", "a", "b").Is("OK"),
		S("EXISTS", "a").Is(0),
		S("GET", "b").Is("va"),
		S("TTL", "b").Is(100),
		S("SET", "c", "vc").Is("OK"),
		S("RENAME", "c", "b").Is("OK"), // replaces b, and b's expire goes with it
		S("GET", "b").Is("vc"),
		S("TTL", "b").Is(-1),
		S("SET", "d", "vd").Is("OK"),
		S("RENAMENX", "d", "b").Is(0),
		S("RENAMENX", "d", "{x}e").Is(1),
		S("GET", "{x}e").Is("vd"),
		S("EXISTS", "d").Is(0),
		S("RENAME", "a").Is(E("ERR wrong number of arguments for 'rename' command")),
		S("RENAMENX", "a", "b", "c").Is(E("ERR wrong number of arguments for 'renamenx' command")),
	)
}

func TestCopy(t *testing.T) {
	transcript(t,
		S("COPY", "nokey", "b").Is(0),
		S("COPY", "nokey", "nokey").Is(E("ERR source and destination objects are the same")),
		S("SET", "a", "va").Is("OK"),
		S("COPY", "a", "a").Is(E("ERR source and destination objects are the same")),
		S("COPY", "a", "a", "DB", "0").Is(E("ERR source and destination objects are the same")),
		S("COPY", "a", "b").Is(1),
		S("GET", "b").Is("va"),
		S("SET", "a", "va2").Is("OK"),
		S("GET", "b").Is("va"), // a copy, not a reference
		S("COPY", "a", "b").Is(0),
		S("COPY", "a", "b", "replace").Is(1),
		S("GET", "b").Is("va2"),
		S("EXPIRE", "a", "100").Is(1),
		S("COPY", "a", "c").Is(1),
		S("TTL", "c").Is(100),
		S("COPY", "a", "b", "REPLACE", "REPLACE").Is(1),
		S("TTL", "b").Is(100),
		S("COPY", "a", "a", "db", "1").Is(1),
		S("COPY", "a", "a", "DB", "1").Is(0),
		S("COPY", "a", "x", "DB", "1", "DB", "2").Is(1),
		S("COPY", "a", "b", "DB").Is(E("ERR syntax error")),
		S("COPY", "a", "b", "foo").Is(E("ERR syntax error")),
		S("COPY", "a", "b", "DB", "x").Is(E("ERR value is not an integer or out of range")),
		S("COPY", "a", "b", "DB", "16").Is(E("ERR DB index is out of range")),
		S("COPY", "a", "b", "DB", "-1").Is(E("ERR DB index is out of range")),
		S("COPY", "a", "b", "DB", "99999999999").Is(E("ERR value is out of range, value must between -2147483648 and 2147483647")),
		S("COPY", "a").Is(E("ERR wrong number of arguments for 'copy' command")),
		S("SELECT", "1").Is("OK"),
		S("GET", "a").Is("va2"),
		S("TTL", "a").Is(100),
		S("EXISTS", "x").Is(0),
		S("SELECT", "2").Is("OK"),
		S("GET", "x").Is("va2"),
		S("COPY", "x", "y", "DB", "0").Is(1),
		S("SELECT", "0").Is("OK"),
		S("GET", "y").Is("va2"),
	)
}

func TestMove(t *testing.T) {
	transcript(t,
		S("SET", "a", "va").Is("OK"),
		S("MOVE", "a", "0").Is(E("ERR source and destination objects are the same")),
		S("MOVE", "nokey", "0").Is(E("ERR source and destination objects are the same")),
		S("MOVE", "a", "x").Is(E("ERR value is not an integer or out of range")),
		S("MOVE", "a", "16").Is(E("ERR DB index is out of range")),
		S("MOVE", "a", "-1").Is(E("ERR DB index is out of range")),
		S("MOVE", "a", "99999999999").Is(E("ERR value is out of range, value must between -2147483648 and 2147483647")),
		S("MOVE", "nokey", "1").Is(0),
		S("EXPIRE", "a", "100").Is(1),
		S("MOVE", "a", "1").Is(1),
		S("EXISTS", "a").Is(0),
		S("SET", "a", "other").Is("OK"),
		S("SELECT", "1").Is("OK"),
		S("GET", "a").Is("va"),
		S("TTL", "a").Is(100),
		S("MOVE", "a", "0").Is(0), // exists there
		S("GET", "a").Is("va"),
		S("MOVE", "a").Is(E("ERR wrong number of arguments for 'move' command")),
	)
}

func TestSwapdb(t *testing.T) {
	transcript(t,
		S("SET", "a", "in0").Is("OK"),
		S("SELECT", "1").Is("OK"),
		S("SET", "b", "in1").Is("OK"),
		S("SWAPDB", "0", "1").Is("OK"),
		S("GET", "a").Is("in0"), // still on db 1, which now holds db 0's keys
		S("GET", "b").Is(nil),
		S("DBSIZE").Is(1),
		S("SWAPDB", "1", "1").Is("OK"),
		S("GET", "a").Is("in0"),
		S("SELECT", "0").Is("OK"),
		S("GET", "b").Is("in1"),
		S("SWAPDB", "x", "1").Is(E("ERR invalid first DB index")),
		S("SWAPDB", "1", "x").Is(E("ERR invalid second DB index")),
		S("SWAPDB", "99999999999", "1").Is(E("ERR invalid first DB index")),
		S("SWAPDB", "1", "99999999999").Is(E("ERR invalid second DB index")),
		S("SWAPDB", "0", "16").Is(E("ERR DB index is out of range")),
		S("SWAPDB", "-1", "0").Is(E("ERR DB index is out of range")),
		S("SWAPDB", "0").Is(E("ERR wrong number of arguments for 'swapdb' command")),
	)
}

func TestFlush(t *testing.T) {
	transcript(t,
		S("SET", "a", "1").Is("OK"),
		S("SET", "b", "1").Is("OK"),
		S("SELECT", "1").Is("OK"),
		S("SET", "c", "1").Is("OK"),
		S("FLUSHDB").Is("OK"),
		S("DBSIZE").Is(0),
		S("SELECT", "0").Is("OK"),
		S("DBSIZE").Is(2),
		S("FLUSHDB", "x").Is(E("ERR syntax error")),
		S("FLUSHDB", "sync", "async").Is(E("ERR syntax error")),
		S("FLUSHDB", "ASYNC").Is("OK"),
		S("DBSIZE").Is(0),
		S("SET", "a", "1").Is("OK"),
		S("FLUSHDB", "sync").Is("OK"),
		S("DBSIZE").Is(0),
		S("SET", "a", "1").Is("OK"),
		S("SELECT", "2").Is("OK"),
		S("SET", "a", "1").Is("OK"),
		S("FLUSHALL", "foo").Is(E("ERR syntax error")),
		S("FLUSHALL", "async", "x").Is(E("ERR syntax error")),
		S("FLUSHALL").Is("OK"),
		S("DBSIZE").Is(0),
		S("SELECT", "0").Is("OK"),
		S("DBSIZE").Is(0),
		S("SET", "a", "1").Is("OK"),
		S("FLUSHALL", "SYNC").Is("OK"),
		S("SET", "a", "1").Is("OK"),
		S("FLUSHALL", "async").Is("OK"),
		S("EXISTS", "a").Is(0),
	)
}

func TestRandomkey(t *testing.T) {
	transcript(t,
		S("RANDOMKEY").Is(nil),
		S("SET", "only", "1").Is("OK"),
		S("RANDOMKEY").Is("only"),
		S("RANDOMKEY", "x").Is(E("ERR wrong number of arguments for 'randomkey' command")),
	)
	eachServer(t, nil, func(t *testing.T, c *redis.Client) {
		keys := make([]string, 50)
		for i := range keys {
			keys[i] = "k" + strconv.Itoa(i)
		}
		setKeys(t, c, keys...)
		seen := map[string]bool{}
		for range 2000 {
			k, ok := keysDo(t, c, "RANDOMKEY").(string)
			if !ok || !slices.Contains(keys, k) {
				t.Fatalf("RANDOMKEY = %q", k)
			}
			seen[k] = true
		}
		if len(seen) < 45 { // each key is missed with probability (49/50)^2000
			t.Errorf("RANDOMKEY returned only %d of 50 keys in 2000 calls", len(seen))
		}
	})
}

func TestObject(t *testing.T) {
	transcript(t,
		S("SET", "small", "1").Is("OK"),
		S("SET", "int", "123456").Is("OK"),
		S("SET", "neg", "-1").Is("OK"),
		S("SET", "str", "hello").Is("OK"),
		S("SET", "long", "012345678901234567890123456789012345678901234567890").Is("OK"),
		S("OBJECT", "ENCODING", "small").Is("int"),
		S("OBJECT", "encoding", "int").Is("int"),
		S("OBJECT", "ENCODING", "str").Is("embstr"),
		S("OBJECT", "ENCODING", "long").Is("raw"),
		S("OBJECT", "ENCODING", "nokey").Is(nil),
		S("OBJECT", "REFCOUNT", "small").Is(2147483647),
		S("OBJECT", "REFCOUNT", "int").Is(1),
		S("OBJECT", "REFCOUNT", "neg").Is(1),
		S("OBJECT", "REFCOUNT", "str").Is(1),
		S("OBJECT", "REFCOUNT", "nokey").Is(nil),
		S("OBJECT", "IDLETIME", "str").Is(Any),
		S("OBJECT", "IDLETIME", "nokey").Is(nil),
		S("OBJECT", "FREQ", "nokey").Is(nil),
		S("OBJECT", "FREQ", "str").Is(E("ERR An LFU maxmemory policy is not selected, access frequency not tracked. Please note that when switching between policies at runtime LRU and LFU data will take some time to adjust.")),
		S("CONFIG", "SET", "maxmemory-policy", "allkeys-lfu").Is("OK"),
		S("SET", "fresh", "v").Is("OK"),
		S("OBJECT", "FREQ", "fresh").Is(5),
		S("OBJECT", "IDLETIME", "nokey").Is(nil),
		S("OBJECT", "IDLETIME", "str").Is(E("ERR An LFU maxmemory policy is selected, idle time not tracked. Please note that when switching between policies at runtime LRU and LFU data will take some time to adjust.")),
		S("CONFIG", "SET", "maxmemory-policy", "volatile-lru").Is("OK"),
		S("OBJECT", "REFCOUNT", "small").Is(2147483647), // no maxmemory: still shared
		S("OBJECT", "FREQ", "str").Is(Prefix("ERR An LFU maxmemory policy is not selected")),
		S("OBJECT", "IDLETIME", "str").Is(Any),
		S("OBJECT").Is(E("ERR wrong number of arguments for 'object' command")),
		S("OBJECT", "ENCODING").Is(E("ERR wrong number of arguments for 'object|encoding' command")),
		S("OBJECT", "ENCODING", "a", "b").Is(E("ERR wrong number of arguments for 'object|encoding' command")),
		S("OBJECT", "NOSUCH", "a").Is(E("ERR unknown subcommand 'NOSUCH'. Try OBJECT HELP.")),
		S("OBJECT", "HELP", "x").Is(E("ERR wrong number of arguments for 'object|help' command")),
		S("OBJECT", "HELP").Is([]any{
			"OBJECT <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
			"ENCODING <key>",
			"    Return the kind of internal representation used in order to store the value",
			"    associated with a <key>.",
			"FREQ <key>",
			"    Return the access frequency index of the <key>. The returned integer is",
			"    proportional to the logarithm of the recent access frequency of the key.",
			"IDLETIME <key>",
			"    Return the idle time of the <key>, that is the approximated number of",
			"    seconds elapsed since the last access to the key.",
			"REFCOUNT <key>",
			"    Return the number of references of the value associated with the specified",
			"    <key>.",
			"HELP",
			"    Prints this help.",
		}),
	)
	// With a maxmemory limit and an LRU policy, Redis does not share integers.
	transcriptWith(t, 2, []string{"maxmemory", "100mb", "maxmemory-policy", "allkeys-lru"},
		S("SET", "small", "1").Is("OK"),
		S("OBJECT", "REFCOUNT", "small").Is(1),
	)
}
