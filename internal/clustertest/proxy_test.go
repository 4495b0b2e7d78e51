package clustertest

import (
	"bytes"
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/redis/go-redis/v9"

	"github.com/shoal-db/shoal/admin"
	"github.com/shoal-db/shoal/proxy"
)

// TestProxy: a plain go-redis Client through the proxy reads and writes keys of
// every shard, multi-key commands work within a slot and, split and merged, across
// slots (MSETNX across slots gets CROSSSLOT), a pipeline keeps its order, and after
// slots move the proxy follows MOVED without the client seeing it.
func TestProxy(t *testing.T) {
	ctx := context.Background()
	c := Start(t, 3, 3)
	c.Create(0) // three shards of one primary
	p, err := proxy.Start(proxy.Config{Addr: "127.0.0.1:0", Seeds: []string{c.Nodes[0].Addr().String()}})
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	cl := redis.NewClient(&redis.Options{Addr: p.Addr(), MaxRetries: -1})
	defer cl.Close()
	c.waitFor("a write through the proxy", func() bool { return cl.Set(ctx, "k", "v", 0).Err() == nil })
	for i := range 300 {
		if err := cl.Set(ctx, fmt.Sprint("key:", i), i, 0).Err(); err != nil {
			t.Fatalf("SET through the proxy: %v", err)
		}
	}
	for i := range 300 {
		if v, err := cl.Get(ctx, fmt.Sprint("key:", i)).Int(); err != nil || v != i {
			t.Fatalf("GET through the proxy: %v %v", v, err)
		}
	}
	var total int64
	for _, n := range c.Nodes {
		total += c.Client(n).DBSize(ctx).Val()
	}
	if total != 301 {
		t.Errorf("the nodes hold %d keys, want 301", total)
	}
	if err := cl.MSet(ctx, "{u}a", 1, "{u}b", 2).Err(); err != nil {
		t.Errorf("MSET of one slot: %v", err)
	}
	if v := cl.MGet(ctx, "{u}a", "{u}b").Val(); fmt.Sprint(v) != "[1 2]" {
		t.Errorf("MGET of one slot: %v", v)
	}
	// Across slots: MSET, MGET, DEL, EXISTS, TOUCH, UNLINK are split and merged;
	// MSETNX (which must be atomic) gets CROSSSLOT.
	if err := cl.MSet(ctx, "a", 1, "b", 2, "c", 3, "{a}x", 4).Err(); err != nil {
		t.Errorf("MSET across slots: %v", err)
	}
	if v, err := cl.MGet(ctx, "c", "a", "nope", "{a}x", "b").Result(); err != nil || fmt.Sprint(v) != "[3 1 <nil> 4 2]" {
		t.Errorf("MGET across slots: %v %v", v, err)
	}
	if n := cl.Exists(ctx, "a", "b", "nope", "a").Val(); n != 3 {
		t.Errorf("EXISTS across slots: %d", n)
	}
	if n := cl.Touch(ctx, "a", "b", "c").Val(); n != 3 {
		t.Errorf("TOUCH across slots: %d", n)
	}
	if n := cl.Del(ctx, "a", "b", "nope").Val(); n != 2 {
		t.Errorf("DEL across slots: %d", n)
	}
	if n := cl.Unlink(ctx, "c", "{a}x").Val(); n != 2 {
		t.Errorf("UNLINK across slots: %d", n)
	}
	if err := cl.MSetNX(ctx, "a", 1, "b", 2).Err(); err == nil || !strings.HasPrefix(err.Error(), "CROSSSLOT") {
		t.Errorf("MSETNX across slots: %v", err)
	}
	// Whole-data-set commands go to every primary.
	if n := cl.DBSize(ctx).Val(); n != total+2 { // (and {u}a, {u}b)
		t.Errorf("DBSIZE through the proxy: %d, want %d", n, total+2)
	}
	if ks := cl.Keys(ctx, "key:1*").Val(); len(ks) != 111 {
		t.Errorf("KEYS key:1* through the proxy: %d keys", len(ks))
	}
	sha, err := cl.ScriptLoad(ctx, "return redis.call('GET', KEYS[1])").Result()
	if err != nil {
		t.Fatal(err)
	}
	for _, k := range []string{"key:1", "key:2", "key:3", "key:4"} { // (shards 0–2 between them)
		if v, err := cl.EvalSha(ctx, sha, []string{k}).Result(); err != nil || v != k[4:] {
			t.Errorf("EVALSHA on %s through the proxy: %v %v", k, v, err)
		}
	}
	// The client above speaks RESP3 (go-redis's default); one speaking RESP2 too.
	if cl.HSet(ctx, "h", "f", "v").Err() != nil || fmt.Sprint(cl.HGetAll(ctx, "h").Val()) != "map[f:v]" {
		t.Errorf("HSET/HGETALL (a map in RESP3) through the proxy: %v", cl.HGetAll(ctx, "h").Val())
	}
	cl2 := redis.NewClient(&redis.Options{Addr: p.Addr(), MaxRetries: -1, Protocol: 2})
	defer cl2.Close()
	if v, err := cl2.MGet(ctx, "key:1", "key:2", "nope").Result(); err != nil || fmt.Sprint(v) != "[1 2 <nil>]" {
		t.Errorf("MGET in RESP2 through the proxy: %v %v", v, err)
	}
	if fmt.Sprint(cl2.HGetAll(ctx, "h").Val()) != "map[f:v]" {
		t.Errorf("HGETALL in RESP2 through the proxy: %v", cl2.HGetAll(ctx, "h").Val())
	}
	cl2.Del(ctx, "h")
	// CLIENT SETNAME/GETNAME/ID are the client's own, whichever node it reaches.
	conn := cl2.Conn()
	defer conn.Close()
	if err := conn.ClientSetName(ctx, "app").Err(); err != nil {
		t.Errorf("CLIENT SETNAME through the proxy: %v", err)
	}
	for i := range 10 {
		if n := conn.ClientGetName(ctx).Val(); n != "app" {
			t.Fatalf("CLIENT GETNAME %d through the proxy: %q", i, n)
		}
		conn.Get(ctx, fmt.Sprint("key:", i)) // (on the way, keys of every shard)
	}
	if id, err := conn.ClientID(ctx).Result(); err != nil || id <= 0 {
		t.Errorf("CLIENT ID through the proxy: %v %v", id, err)
	}
	if v := cl.Ping(ctx).Val(); v != "PONG" {
		t.Errorf("PING: %q", v)
	}
	if err := cl.Do(ctx, "SELECT", "1").Err(); err == nil || err.Error() != "ERR SELECT is not allowed in cluster mode" {
		t.Errorf("SELECT 1: %v", err)
	}
	// SCAN walks every primary with one cursor; RANDOMKEY finds a key; INFO sums the
	// keyspace.
	seen := map[string]bool{}
	for cursor := uint64(0); ; {
		keys, next, err := cl.Scan(ctx, cursor, "key:*", 50).Result()
		if err != nil {
			t.Fatalf("SCAN through the proxy: %v", err)
		}
		for _, k := range keys {
			seen[k] = true
		}
		if cursor = next; cursor == 0 {
			break
		}
	}
	if len(seen) != 300 {
		t.Errorf("a SCAN pass through the proxy saw %d keys, want 300", len(seen))
	}
	if keys, _, err := cl.Scan(ctx, 0, "{u}*", 1000).Result(); err != nil || fmt.Sprint(keys) != "[{u}a {u}b]" && fmt.Sprint(keys) != "[{u}b {u}a]" {
		t.Errorf("SCAN of a hash-tagged pattern: %v %v", keys, err)
	}
	if k, err := cl.RandomKey(ctx).Result(); err != nil || k == "" {
		t.Errorf("RANDOMKEY through the proxy: %q %v", k, err)
	}
	if info := cl.Info(ctx, "keyspace").Val(); !strings.Contains(info, fmt.Sprintf("db0:keys=%d,", total+2)) {
		t.Errorf("INFO keyspace through the proxy: %q", info)
	}
	if info := cl.Info(ctx).Val(); !strings.Contains(info, "redis_mode:proxy") || !strings.Contains(info, "proxy_primaries:3") {
		t.Errorf("INFO through the proxy: %q", info)
	}
	// A pipeline keeps its order.
	pipe := cl.Pipeline()
	var gets []*redis.StringCmd
	for i := range 100 {
		gets = append(gets, pipe.Get(ctx, fmt.Sprint("key:", i)))
	}
	if _, err := pipe.Exec(ctx); err != nil {
		t.Fatal(err)
	}
	for i, g := range gets {
		if g.Val() != fmt.Sprint(i) {
			t.Fatalf("pipelined GET %d: %q", i, g.Val())
		}
	}
	// 2,000 slots of shard 0 move to shard 1 (a reshard with the admin CLI): the
	// proxy's client goes on reading every key.
	var out bytes.Buffer
	if err := c.session(&out).Reshard([]string{c.Nodes[0].ClusterID()}, c.Nodes[1].ClusterID(), 2000, admin.MoveOptions{}); err != nil {
		t.Fatalf("reshard: %v\n%s", err, out.String())
	}
	for i := range 300 {
		if v, err := cl.Get(ctx, fmt.Sprint("key:", i)).Int(); err != nil || v != i {
			t.Fatalf("GET through the proxy after the reshard: %v %v", v, err)
		}
	}
	if err := cl.FlushAll(ctx).Err(); err != nil || cl.DBSize(ctx).Val() != 0 {
		t.Errorf("FLUSHALL through the proxy: %v, %d keys left", err, cl.DBSize(ctx).Val())
	}
	// The metrics count what happened.
	reg := prometheus.NewRegistry()
	reg.MustRegister(p.Collector())
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]float64{}
	for _, mf := range mfs {
		for _, m := range mf.GetMetric() {
			name := mf.GetName()
			for _, l := range m.GetLabel() {
				name += "/" + l.GetValue()
			}
			switch {
			case m.GetCounter() != nil:
				got[name] = m.GetCounter().GetValue()
			case m.GetGauge() != nil:
				got[name] = m.GetGauge().GetValue()
			case m.GetHistogram() != nil:
				got[name] = float64(m.GetHistogram().GetSampleCount())
			}
		}
	}
	for name, least := range map[string]float64{"shoal_proxy_requests_total": 700, "shoal_proxy_connections_received_total": 2,
		"shoal_proxy_connected_clients": 1, "shoal_proxy_primaries": 3, "shoal_proxy_node_latency_seconds": 700,
		"shoal_proxy_error_replies_total/CROSSSLOT": 1} {
		if got[name] < least {
			t.Errorf("metric %s = %v, want at least %v", name, got[name], least)
		}
	}
}
