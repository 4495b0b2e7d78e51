package node

import (
	"context"
	"encoding/binary"
	"fmt"
	"strings"
	"testing"

	"github.com/redis/go-redis/v9"
	"github.com/shoal-db/shoal/storage/rdb"
)

// dumpDataset writes keys of every type and encoding.
func dumpDataset(ctx context.Context, c *redis.Client) []string {
	big := strings.Repeat("x", 300)
	c.Set(ctx, "s:int", "12345", 0)
	c.Set(ctx, "s:neg", "-7", 0)
	c.Set(ctx, "s:raw", "hello world", 0)
	c.Set(ctx, "s:big", big+big, 0)
	c.Set(ctx, "s:bin", "\x00\xff\r\n", 0)
	c.RPush(ctx, "l:small", "a", "1", "-5", "b")
	for i := range 3000 {
		c.RPush(ctx, "l:big", fmt.Sprint("element-", i, strings.Repeat("y", i%50)))
	}
	c.SAdd(ctx, "set:int", 1, 2, 3, -100000, 5000000000)
	c.SAdd(ctx, "set:str", "a", "b", "c")
	for i := range 600 {
		c.SAdd(ctx, "set:bigint", i)
	}
	c.ZAdd(ctx, "z:small", redis.Z{Score: 1.5, Member: "a"}, redis.Z{Score: -2, Member: "b"}, redis.Z{Score: 1e20, Member: "c"})
	for i := range 200 {
		c.ZAdd(ctx, "z:big", redis.Z{Score: float64(i) / 3, Member: fmt.Sprint("m", i)})
	}
	c.HSet(ctx, "h:small", "f1", "v1", "n", "42")
	for i := range 600 {
		c.HSet(ctx, "h:big", fmt.Sprint("field", i), fmt.Sprint("value", i))
	}
	c.HSet(ctx, "h:longval", "f", big)
	for i := 1; i <= 250; i++ {
		args := []any{"XADD", "x:big", fmt.Sprint(i, "-1"), "f", i, "g", "v"}
		if i%7 == 0 {
			args = []any{"XADD", "x:big", fmt.Sprint(i, "-1"), "other", i}
		}
		c.Do(ctx, args...)
	}
	c.Do(ctx, "XDEL", "x:big", "3-1", "100-1", "1-1")
	c.Do(ctx, "XGROUP", "CREATE", "x:big", "g1", "0")
	c.Do(ctx, "XGROUP", "CREATE", "x:big", "g2", "$", "ENTRIESREAD", "5")
	c.Do(ctx, "XREADGROUP", "GROUP", "g1", "alice", "COUNT", "3", "STREAMS", "x:big", ">")
	c.Do(ctx, "XREADGROUP", "GROUP", "g1", "bob", "COUNT", "2", "STREAMS", "x:big", ">")
	c.Do(ctx, "XGROUP", "CREATECONSUMER", "x:big", "g2", "carol")
	c.Do(ctx, "XADD", "x:small", "5-5", "a", "1")
	c.Do(ctx, "XADD", "x:empty", "1-1", "a", "1")
	c.Do(ctx, "XDEL", "x:empty", "1-1")
	return []string{"x:big", "x:small", "x:empty", "s:int", "s:neg", "s:raw", "s:big", "s:bin", "l:small", "l:big", "set:int", "set:str",
		"set:bigint", "z:small", "z:big", "h:small", "h:big", "h:longval"}
}

// snapshot reads a key's type, encoding and content in a comparable form.
func snapshot(ctx context.Context, c *redis.Client, key string) string {
	typ := c.Type(ctx, key).Val()
	enc := c.ObjectEncoding(ctx, key).Val()
	var content any
	switch typ {
	case "string":
		content = c.Get(ctx, key).Val()
	case "list":
		content = c.LRange(ctx, key, 0, -1).Val()
	case "set":
		m := c.SMembers(ctx, key).Val()
		content = len(m)
		for _, x := range m {
			if !c.SIsMember(ctx, key, x).Val() {
				content = "missing " + x
			}
		}
	case "zset":
		content = c.ZRangeWithScores(ctx, key, 0, -1).Val()
	case "hash":
		content = c.HGetAll(ctx, key).Val()
	case "stream":
		info := c.Do(ctx, "XINFO", "STREAM", key).Val().([]any)
		for i := 0; i+1 < len(info); i += 2 {
			if k := info[i].(string); k == "radix-tree-keys" || k == "radix-tree-nodes" {
				info[i+1] = 0
			}
		}
		content = fmt.Sprint(c.Do(ctx, "XRANGE", key, "-", "+").Val(), info,
			c.Do(ctx, "XINFO", "GROUPS", key).Val(), c.Do(ctx, "XPENDING", key, "g1").Val(),
			c.Do(ctx, "XPENDING", key, "g1", "-", "+", "10", "bob").Val() != nil)
	}
	return fmt.Sprint(typ, " ", enc, " ", content, " ttl>0:", c.PTTL(ctx, key).Val() > 0)
}

// TestDumpRestoreWithRedis moves every type and encoding between shoal and Redis with
// DUMP and RESTORE, both ways, and compares the values read back.
func TestDumpRestoreWithRedis(t *testing.T) {
	tgs := servers(t)
	if len(tgs) < 2 {
		t.Skip("redis-server is not installed")
	}
	ctx := context.Background()
	shoal, real := newClient(t, tgs[0].addr, 2), newClient(t, tgs[1].addr, 2)
	for _, pair := range []struct {
		name     string
		from, to *redis.Client
	}{{"redis→shoal", real, shoal}, {"shoal→redis", shoal, real}} {
		t.Run(pair.name, func(t *testing.T) {
			pair.from.FlushAll(ctx)
			pair.to.FlushAll(ctx)
			keys := dumpDataset(ctx, pair.from)
			pair.from.Expire(ctx, "s:raw", 1000e9)
			for _, k := range keys {
				payload, err := pair.from.Dump(ctx, k).Result()
				if err != nil {
					t.Fatalf("DUMP %s: %v", k, err)
				}
				ttl := pair.from.PTTL(ctx, k).Val()
				if ttl < 0 {
					ttl = 0
				}
				if err := pair.to.Restore(ctx, k, ttl, payload).Err(); err != nil {
					t.Fatalf("RESTORE %s: %v", k, err)
				}
				if a, b := snapshot(ctx, pair.from, k), snapshot(ctx, pair.to, k); a != b {
					t.Errorf("%s:\n  from %s\n  to   %s", k, a, b)
				}
			}
		})
	}
}

func TestRestoreTranscript(t *testing.T) {
	payload := func(body string) string {
		b := append([]byte(body), 10, 0)
		return string(binary.LittleEndian.AppendUint64(b, rdb.CRC64(0, b)))
	}
	v, w := payload("\x00\x01v"), payload("\x00\x01w")
	rawCompare(t, 2,
		xs("SET", "k", "v"),
		rc(rawShape, "DUMP", "k"),
		xs("DUMP", "nokey"),
		xs("RESTORE", "k", "0", "bogus"),
		xs("RESTORE", "k2", "0", "bogus"),
		xs("RESTORE", "k2", "0", "\x00\x01v\x0a\x00\x00\x00\x00\x00\x00\x00\x00\x00"),
		xs("RESTORE", "k2", "0", v),
		xs("GET", "k2"),
		xs("RESTORE", "k2", "0", v),
		xs("RESTORE", "k2", "0", w, "REPLACE"),
		xs("GET", "k2"),
		xs("RESTORE", "k3", "-1", w),
		xs("RESTORE", "k3", "x", w),
		xs("RESTORE", "k3", "1", w, "ABSTTL"),
		xs("EXISTS", "k3"),
		xs("RESTORE", "k3", "0", w, "IDLETIME", "-1"),
		xs("RESTORE", "k3", "0", w, "FREQ", "300"),
		xs("RESTORE", "k3", "0", w, "IDLETIME", "1", "FREQ", "1"),
		xs("RESTORE", "k3", "0", w, "BOGUS"),
		xs("RESTORE", "k3", "0", w, "IDLETIME", "100"),
		xs("OBJECT", "IDLETIME", "k3"),
		xs("RESTORE", "k4", "0", payload("\x00\x01w"+"x")),
		xs("RESTORE", "k5", "0", payload("\x63\x01w")),
		xs("RESTORE", "k6", "0", payload("\x04\x00")),
		xs("RESTORE", "k7", "0", payload("\x04\x01\x01f")),
	)
}
