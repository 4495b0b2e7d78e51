package node

import (
	"context"
	"strings"
	"testing"

	"github.com/redis/go-redis/v9"
)

// dirtyScript is a command sequence covering every write path that counts changes.
var dirtyScript = [][]any{
	{"SET", "s", "1"}, {"SET", "s", "2", "NX"}, {"SET", "s", "3", "XX", "EX", "100"},
	{"SETNX", "s", "x"}, {"SETEX", "s2", "100", "v"}, {"GETSET", "s", "4"}, {"GETDEL", "s2"},
	{"GETEX", "s", "EX", "100"}, {"GETEX", "s", "PERSIST"}, {"GETEX", "s", "PERSIST"},
	{"MSET", "a", "1", "b", "2"}, {"MSETNX", "a", "1", "c", "3"}, {"MSETNX", "d", "1", "e", "3"},
	{"INCR", "n"}, {"INCRBY", "n", "5"}, {"DECR", "n"}, {"INCRBYFLOAT", "f", "1.5"},
	{"APPEND", "s", "xy"}, {"APPEND", "new", "xy"}, {"SETRANGE", "s", "1", "zz"}, {"SETRANGE", "s", "1", ""},
	{"SETBIT", "bits", "7", "1"}, {"SETBIT", "bits", "7", "1"}, {"BITOP", "OR", "dst", "bits", "s"},
	{"BITOP", "AND", "dst", "nope1", "nope2"},
	{"BITFIELD", "bf", "SET", "u8", "0", "255", "INCRBY", "u8", "0", "10", "GET", "u8", "0"},
	{"BITFIELD", "bf", "OVERFLOW", "FAIL", "INCRBY", "u8", "0", "300"},
	{"EXPIRE", "a", "100"}, {"EXPIRE", "nokey", "100"}, {"PERSIST", "a"}, {"PERSIST", "a"},
	{"PEXPIREAT", "b", "1"}, {"DEL", "a", "b", "zzz"}, {"UNLINK", "c"},
	{"RENAME", "d", "d2"}, {"RENAMENX", "d2", "e"}, {"COPY", "e", "e2"}, {"MOVE", "e2", "1"},
	{"HSET", "h", "a", "1", "b", "2"}, {"HSET", "h", "a", "1"}, {"HMSET", "h", "c", "3"},
	{"HSETNX", "h", "a", "x"}, {"HSETNX", "h", "z", "x"}, {"HDEL", "h", "a", "b", "nope"},
	{"HINCRBY", "h", "n", "2"}, {"HINCRBYFLOAT", "h", "f", "2.5"}, {"HDEL", "h", "c", "z", "n", "f"},
	{"LPUSH", "l", "a", "b", "c", "d", "e"}, {"RPUSH", "l", "f"}, {"LPUSHX", "nol", "a"}, {"RPUSHX", "l", "g"},
	{"LPOP", "l"}, {"RPOP", "l", "2"}, {"LSET", "l", "0", "x"}, {"LINSERT", "l", "BEFORE", "x", "y"},
	{"LINSERT", "l", "BEFORE", "nope", "y"}, {"LREM", "l", "0", "y"}, {"LTRIM", "l", "0", "1"},
	{"LMOVE", "l", "l2", "LEFT", "RIGHT"}, {"RPOPLPUSH", "l2", "l"}, {"LMPOP", "2", "x", "l", "LEFT", "COUNT", "5"},
	{"BLPOP", "l2", "0.01"},
	{"SADD", "st", "a", "b", "c", "1"}, {"SADD", "st", "a"}, {"SREM", "st", "a", "zz"},
	{"SMOVE", "st", "st2", "b"}, {"SMOVE", "st", "st2", "nope"}, {"SPOP", "st"}, {"SADD", "st", "p", "q", "r"},
	{"SPOP", "st", "2"}, {"SINTERSTORE", "sd", "st", "st2"}, {"SUNIONSTORE", "sd", "st", "st2"},
	{"SDIFFSTORE", "sd", "nope", "st2"},
	{"ZADD", "z", "1", "a", "2", "b", "3", "c"}, {"ZADD", "z", "1", "a"}, {"ZADD", "z", "CH", "5", "a", "9", "d"},
	{"ZINCRBY", "z", "1", "a"}, {"ZREM", "z", "a", "nope"}, {"ZPOPMIN", "z"}, {"ZPOPMAX", "z", "2"},
	{"ZADD", "z", "1", "a", "2", "b", "3", "c", "4", "d"}, {"ZREMRANGEBYRANK", "z", "0", "0"},
	{"ZREMRANGEBYSCORE", "z", "2", "2"}, {"ZRANGESTORE", "zd", "z", "0", "-1"},
	{"ZUNIONSTORE", "zd", "2", "z", "zd"}, {"ZINTERSTORE", "zd", "1", "nope"}, {"ZMPOP", "1", "z", "MIN"},
	{"SORT", "st", "ALPHA", "STORE", "sorted"}, {"SORT", "nope", "STORE", "sorted"},
	{"XADD", "xs", "1-1", "f", "v"}, {"XADD", "xs", "MAXLEN", "1", "2-1", "f", "v"}, {"XADD", "xs", "3-1", "f", "v"},
	{"XDEL", "xs", "2-1", "9-9"}, {"XGROUP", "CREATE", "xs", "g", "0"}, {"XGROUP", "CREATE", "xs2", "g", "$", "MKSTREAM"},
	{"XREADGROUP", "GROUP", "g", "c", "STREAMS", "xs", ">"}, {"XREADGROUP", "GROUP", "g", "c", "STREAMS", "xs", ">"},
	{"XREADGROUP", "GROUP", "g", "c2", "STREAMS", "xs", "0"}, {"XACK", "xs", "g", "3-1", "3-1"},
	{"XADD", "xs", "4-1", "f", "v"}, {"XREADGROUP", "GROUP", "g", "c", "NOACK", "STREAMS", "xs", ">"},
	{"XADD", "xs", "5-1", "f", "v"}, {"XREADGROUP", "GROUP", "g", "c", "STREAMS", "xs", ">"},
	{"XCLAIM", "xs", "g", "c3", "0", "5-1"}, {"XAUTOCLAIM", "xs", "g", "c4", "0", "0"},
	{"XGROUP", "CREATECONSUMER", "xs", "g", "c5"}, {"XGROUP", "DELCONSUMER", "xs", "g", "c4"},
	{"XGROUP", "SETID", "xs", "g", "0"}, {"XSETID", "xs", "9-9"}, {"XTRIM", "xs", "MAXLEN", "0"},
	{"XGROUP", "DESTROY", "xs", "g"}, {"XLEN", "xs"}, {"XRANGE", "nox", "-", "+"},
	{"PFADD", "hl", "a", "b"}, {"PFADD", "hl", "a"}, {"PFCOUNT", "hl"}, {"PFCOUNT", "hl"}, {"PFCOUNT", "hl", "nohl"},
	{"PFMERGE", "hl2", "hl", "nohl"}, {"PFADD", "hl3"},
	{"GEOADD", "geo", "13.361389", "38.115556", "Palermo", "15.087269", "37.502669", "Catania"},
	{"GEOADD", "geo", "13.361389", "38.115556", "Palermo"}, {"GEODIST", "geo", "Palermo", "Catania"},
	{"GEORADIUS", "geo", "15", "37", "200", "km", "STORE", "geo2"}, {"GEOSEARCHSTORE", "geo3", "geo", "FROMMEMBER", "Palermo", "BYRADIUS", "10", "km"},
	{"GEOSEARCHSTORE", "geo3", "nogeo", "FROMLONLAT", "0", "0", "BYRADIUS", "10", "km"}, {"GEOPOS", "nogeo", "x"},
	{"SWAPDB", "0", "1"}, {"SWAPDB", "0", "1"}, {"FLUSHDB"}, {"SET", "x", "1"}, {"FLUSHALL"},
}

// TestDirtyMatchesRedis checks INFO rdb_changes_since_last_save after every command of
// dirtyScript against a real Redis: shoal counts changes where Redis does.
func TestDirtyMatchesRedis(t *testing.T) {
	_, saddr := startShoal(t)
	raddr := startRedis(t)
	ctx := context.Background()
	sc := redis.NewClient(&redis.Options{Addr: saddr, PoolSize: 1})
	rc := redis.NewClient(&redis.Options{Addr: raddr, PoolSize: 1})
	defer sc.Close()
	defer rc.Close()
	dirty := func(c *redis.Client) string {
		info, err := c.Info(ctx, "persistence").Result()
		if err != nil {
			t.Fatal(err)
		}
		for _, line := range strings.Split(info, "\r\n") {
			if v, ok := strings.CutPrefix(line, "rdb_changes_since_last_save:"); ok {
				return v
			}
		}
		t.Fatal("no rdb_changes_since_last_save in INFO")
		return ""
	}
	for _, cmd := range dirtyScript {
		_, rerr := rc.Do(ctx, cmd...).Result()
		_, serr := sc.Do(ctx, cmd...).Result()
		if (rerr == nil) != (serr == nil) {
			t.Errorf("%s: redis error %v, shoal error %v", fmtCmd(cmd), rerr, serr)
		}
		if want, got := dirty(rc), dirty(sc); want != got {
			t.Errorf("%s: rdb_changes_since_last_save %s, redis %s", fmtCmd(cmd), got, want)
		}
	}
}

// readScript adds the read paths (hits, misses, "keymiss" events) to dirtyScript.
var readScript = [][]any{
	{"SET", "s", "v"}, {"GET", "s"}, {"GET", "nope"}, {"MGET", "s", "nope", "s"}, {"STRLEN", "nope"},
	{"GETRANGE", "s", "0", "1"}, {"EXISTS", "s", "nope"}, {"TYPE", "nope"}, {"TTL", "nope"},
	{"HSET", "h", "f", "v"}, {"HGET", "h", "f"}, {"HGET", "nope", "f"}, {"HGETALL", "nope"}, {"HLEN", "h"},
	{"RPUSH", "l", "a"}, {"LRANGE", "l", "0", "-1"}, {"LRANGE", "nope", "0", "-1"}, {"LINDEX", "l", "0"},
	{"SADD", "st", "a"}, {"SMEMBERS", "nope"}, {"SISMEMBER", "st", "a"}, {"SCARD", "nope"},
	{"ZADD", "z", "1", "a"}, {"ZSCORE", "z", "a"}, {"ZRANGE", "nope", "0", "-1"}, {"ZCARD", "z"},
	{"APPEND", "s", "x"}, {"SETRANGE", "nope2", "0", "x"}, {"INCR", "ctr"}, {"HINCRBY", "h", "n", "1"},
	{"LPUSH", "l", "b"}, {"SADD", "st", "b"}, {"ZINCRBY", "z", "1", "b"}, {"GETDEL", "nope"},
	{"OBJECT", "ENCODING", "nope"}, {"OBJECT", "ENCODING", "s"}, {"MEMORY", "USAGE", "nope"},
	{"TOUCH", "s", "nope"}, {"PTTL", "s"}, {"EXPIRETIME", "nope"}, {"SINTER", "st", "nope"}, {"SUNION", "st", "nope"},
	{"ZUNION", "2", "z", "nope"}, {"LPOS", "l", "a"}, {"SRANDMEMBER", "nope"}, {"HRANDFIELD", "nope"},
	{"BITCOUNT", "nope"}, {"GETBIT", "s", "1"}, {"BITPOS", "nope", "1"}, {"SORT", "nope"},
	{"RENAME", "s", "s3"}, {"COPY", "s3", "s4"}, {"LMOVE", "l", "l9", "LEFT", "LEFT"}, {"SMOVE", "st", "st9", "a"},
}

// TestKeyspaceEventsMatchRedis runs dirtyScript and readScript against shoal and a real
// Redis with every keyspace event class on ("KEAnm"), and compares, command by command,
// the notifications raised and the keyspace_hits/misses counters.
func TestKeyspaceEventsMatchRedis(t *testing.T) {
	script := append(append([][]any{}, dirtyScript...), readScript...)
	dirs := []string{"notify-keyspace-events", "KEAnm"}
	_, saddr := startShoal(t, dirs...)
	raddr := startRedis(t, dirs...)
	var logs [2][]string
	for i, addr := range []string{saddr, raddr} {
		logs[i] = eventLog(t, addr, script)
	}
	for i, cmd := range script {
		if logs[0][i] != logs[1][i] {
			t.Errorf("%s\n  shoal %s\n  redis %s", fmtCmd(cmd), logs[0][i], logs[1][i])
		}
	}
}

// eventLog runs script on addr and returns, for each command, the keyspace events it
// raised and the keyspace hit/miss counters after it.
func eventLog(t *testing.T, addr string, script [][]any) []string {
	ctx := context.Background()
	conn, rd := rawConn(t, addr)
	writeCmd(conn, "PSUBSCRIBE", "__key*")
	readReply(t, rd)
	writeCmd(conn, "SUBSCRIBE", "marker")
	readReply(t, rd)
	c := redis.NewClient(&redis.Options{Addr: addr, PoolSize: 1})
	defer c.Close()
	var out []string
	for _, cmd := range script {
		c.Do(ctx, cmd...)
		c.Publish(ctx, "marker", "end")
		var events []string
		for {
			m := readReply(t, rd)
			if m.elems[1].text == "marker" {
				break
			}
			events = append(events, m.elems[2].text+"="+m.elems[3].text)
		}
		info := c.Info(ctx, "stats").Val()
		stat := func(name string) string {
			_, v, _ := strings.Cut(info, name+":")
			v, _, _ = strings.Cut(v, "\r\n")
			return v
		}
		out = append(out, strings.Join(events, " ")+" hits="+stat("keyspace_hits")+" misses="+stat("keyspace_misses"))
	}
	return out
}
