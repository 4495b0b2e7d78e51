package clustertest

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/shoal-db/shoal/admin"
	"github.com/shoal-db/shoal/proxy"
	"github.com/shoal-db/shoal/slots"
)

// startProxy starts a proxy in front of c (three shards of one primary, created here);
// with gossip it follows the topology as a gossip member (else by CLUSTER SLOTS).
func startProxy(t *testing.T, c *Cluster, gossip bool) *proxy.Proxy {
	t.Helper()
	epoch := c.Create(0)
	cfg := proxy.Config{Addr: "127.0.0.1:0", Seeds: []string{c.Nodes[0].Addr().String()}}
	if gossip {
		cfg.Secret = Secret
	}
	p, err := proxy.Start(cfg)
	if err != nil {
		t.Fatal(err)
	}
	if gossip {
		c.waitFor("the proxy to hear the topology", func() bool { return p.Epoch() >= epoch })
	}
	t.Cleanup(func() { p.Close() })
	cl := redis.NewClient(&redis.Options{Addr: p.Addr(), MaxRetries: -1})
	defer cl.Close()
	c.waitFor("a write through the proxy", func() bool { return cl.Set(context.Background(), "k", "v", 0).Err() == nil })
	return p
}

// TestProxyTransactions: MULTI/EXEC of one slot runs on its primary; a key of another
// slot in the transaction gets CROSSSLOT and EXEC EXECABORT; WATCH sees another
// client's write (EXEC answers nil) and lets an untouched transaction through.
func TestProxyTransactions(t *testing.T) {
	ctx := context.Background()
	c := Start(t, 1, 3)
	p := startProxy(t, c, false)
	for _, proto := range []int{2, 3} {
		cl := redis.NewClient(&redis.Options{Addr: p.Addr(), MaxRetries: -1, Protocol: proto})
		defer cl.Close()
		cmds, err := cl.TxPipelined(ctx, func(pipe redis.Pipeliner) error {
			pipe.Set(ctx, "{tx}a", "1", 0)
			pipe.Incr(ctx, "{tx}a")
			pipe.Get(ctx, "{tx}a")
			return nil
		})
		if err != nil || len(cmds) != 3 || cmds[2].(*redis.StringCmd).Val() != "2" {
			t.Fatalf("RESP%d MULTI/EXEC: %v %v", proto, cmds, err)
		}
		// A key of another slot: CROSSSLOT when queued, EXECABORT at EXEC.
		conn := cl.Conn()
		if err := conn.Do(ctx, "MULTI").Err(); err != nil {
			t.Fatal(err)
		}
		conn.Do(ctx, "SET", "{tx}a", "x")
		if err := conn.Do(ctx, "SET", "other", "x").Err(); err == nil || !strings.HasPrefix(err.Error(), "CROSSSLOT") {
			t.Errorf("RESP%d a key of another slot in MULTI: %v", proto, err)
		}
		if err := conn.Do(ctx, "EXEC").Err(); err == nil || !strings.HasPrefix(err.Error(), "EXECABORT") {
			t.Errorf("RESP%d EXEC after CROSSSLOT: %v", proto, err)
		}
		if v := cl.Get(ctx, "{tx}a").Val(); v != "2" {
			t.Errorf("RESP%d the aborted transaction wrote: %q", proto, v)
		}
		if err := conn.Do(ctx, "EXEC").Err(); err == nil || err.Error() != "ERR EXEC without MULTI" {
			t.Errorf("RESP%d EXEC without MULTI: %v", proto, err)
		}
		conn.Close()
		// WATCH: another client's write between WATCH and EXEC fails the transaction.
		other := redis.NewClient(&redis.Options{Addr: p.Addr(), MaxRetries: -1})
		defer other.Close()
		err = cl.Watch(ctx, func(tx *redis.Tx) error {
			n, _ := tx.Get(ctx, "{tx}a").Int()
			other.Set(ctx, "{tx}a", "100", 0)
			_, err := tx.TxPipelined(ctx, func(pipe redis.Pipeliner) error {
				pipe.Set(ctx, "{tx}a", n+1, 0)
				return nil
			})
			return err
		}, "{tx}a")
		if !errors.Is(err, redis.TxFailedErr) {
			t.Errorf("RESP%d WATCH with a write in between: %v", proto, err)
		}
		err = cl.Watch(ctx, func(tx *redis.Tx) error {
			n, _ := tx.Get(ctx, "{tx}a").Int()
			_, err := tx.TxPipelined(ctx, func(pipe redis.Pipeliner) error {
				pipe.Set(ctx, "{tx}a", n+1, 0)
				return nil
			})
			return err
		}, "{tx}a")
		if err != nil || cl.Get(ctx, "{tx}a").Val() != "101" {
			t.Errorf("RESP%d WATCH untouched: %v %q", proto, err, cl.Get(ctx, "{tx}a").Val())
		}
	}
	// Without a password of its own, the proxy passes AUTH through: a user made with
	// ACL SETUSER (sent to every node) is who the client's requests run as.
	admin := redis.NewClient(&redis.Options{Addr: p.Addr(), MaxRetries: -1})
	defer admin.Close()
	if err := admin.Do(ctx, "ACL", "SETUSER", "app", "on", ">pw", "~app:*", "+@all").Err(); err != nil {
		t.Fatal(err)
	}
	app := redis.NewClient(&redis.Options{Addr: p.Addr(), MaxRetries: -1, Username: "app", Password: "pw"})
	defer app.Close()
	for i := range 10 { // keys of every shard
		if err := app.Set(ctx, fmt.Sprint("app:", i), i, 0).Err(); err != nil {
			t.Errorf("SET as app through the proxy: %v", err)
		}
	}
	if err := app.Set(ctx, "other", 1, 0).Err(); err == nil || !strings.HasPrefix(err.Error(), "NOPERM") {
		t.Errorf("SET of a key app may not touch: %v", err)
	}
	// In MULTI, what the user may not run is refused when queued, as a node does.
	tx := app.Conn()
	defer tx.Close()
	if err := tx.Do(ctx, "MULTI").Err(); err != nil {
		t.Fatal(err)
	}
	if v, err := tx.Do(ctx, "SET", "app:tx", "1").Result(); err != nil || v != "QUEUED" {
		t.Errorf("SET of the user's key in MULTI: %v %v", v, err)
	}
	if err := tx.Do(ctx, "SET", "other", "1").Err(); err == nil || err.Error() != "NOPERM this user has no permissions to access one of the keys used as arguments" {
		t.Errorf("SET of a key app may not touch, in MULTI: %v", err)
	}
	if err := tx.Do(ctx, "EXEC").Err(); err == nil || !strings.HasPrefix(err.Error(), "EXECABORT") {
		t.Errorf("EXEC after a refused command: %v", err)
	}
	if v := app.Do(ctx, "ACL", "WHOAMI").Val(); v != "app" {
		t.Errorf("ACL WHOAMI through the proxy: %v", v)
	}
	wrong := redis.NewClient(&redis.Options{Addr: p.Addr(), MaxRetries: -1, Username: "app", Password: "nope", Protocol: 2})
	defer wrong.Close()
	if err := wrong.Ping(ctx).Err(); err == nil || !strings.HasPrefix(err.Error(), "WRONGPASS") {
		t.Errorf("a wrong password through the proxy: %v", err)
	}
	// A proxy with a password and room for two clients.
	p2, err := proxy.Start(proxy.Config{Addr: "127.0.0.1:0", Seeds: []string{c.Nodes[0].Addr().String()},
		RequirePass: "sesame", MaxClients: 2})
	if err != nil {
		t.Fatal(err)
	}
	defer p2.Close()
	anon := redis.NewClient(&redis.Options{Addr: p2.Addr(), MaxRetries: -1, Protocol: 2, PoolSize: 1})
	defer anon.Close()
	if err := anon.Get(ctx, "k").Err(); err == nil || err.Error() != "NOAUTH Authentication required." {
		t.Errorf("a command before AUTH: %v", err)
	}
	if err := anon.Do(ctx, "AUTH", "wrong").Err(); err == nil || !strings.HasPrefix(err.Error(), "WRONGPASS") {
		t.Errorf("AUTH with a wrong password: %v", err)
	}
	authed := redis.NewClient(&redis.Options{Addr: p2.Addr(), MaxRetries: -1, Password: "sesame", PoolSize: 1})
	defer authed.Close()
	if v, err := authed.Get(ctx, "{tx}a").Result(); err != nil || v != "101" {
		t.Errorf("GET after HELLO 3 AUTH: %q %v", v, err)
	}
	third, err := net.Dial("tcp", p2.Addr())
	if err != nil {
		t.Fatal(err)
	}
	defer third.Close()
	if line, err := bufio.NewReader(third).ReadString('\n'); line != "-ERR max number of clients reached\r\n" {
		t.Errorf("a third client of a proxy with maxclients 2: %q %v", line, err)
	}
}

// TestProxyBlocking: BLPOP and XREAD BLOCK wait on the session's own connection
// (other clients' requests go on meanwhile) and are woken by writes through the
// proxy; a pipeline of 10,000 mixed commands keeps its order.
func TestProxyBlocking(t *testing.T) {
	ctx := context.Background()
	c := Start(t, 1, 3)
	p := startProxy(t, c, true)
	cl := redis.NewClient(&redis.Options{Addr: p.Addr(), MaxRetries: -1, PoolSize: 8})
	defer cl.Close()
	got := make(chan []string, 1)
	go func() { got <- cl.BLPop(ctx, 0, "queue").Val() }()
	gotX := make(chan []redis.XStream, 1)
	go func() { gotX <- cl.XRead(ctx, &redis.XReadArgs{Streams: []string{"stream", "$"}, Block: 0}).Val() }()
	time.Sleep(100 * time.Millisecond) // (the blocked clients are waiting before the writes)
	for i := range 100 {               // meanwhile other requests are answered
		if err := cl.Set(ctx, fmt.Sprint("b", i), i, 0).Err(); err != nil {
			t.Fatal(err)
		}
	}
	cl.RPush(ctx, "queue", "job")
	cl.XAdd(ctx, &redis.XAddArgs{Stream: "stream", Values: []string{"f", "v"}})
	select {
	case v := <-got:
		if fmt.Sprint(v) != "[queue job]" {
			t.Errorf("BLPOP through the proxy: %v", v)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("BLPOP through the proxy was not woken")
	}
	select {
	case v := <-gotX:
		if len(v) != 1 || len(v[0].Messages) != 1 {
			t.Errorf("XREAD BLOCK through the proxy: %v", v)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("XREAD BLOCK through the proxy was not woken")
	}
	// 10,000 mixed commands in one pipeline, keys on every shard.
	pipe := cl.Pipeline()
	var cmds []redis.Cmder
	for i := range 10000 {
		k := fmt.Sprint("p", i/4%500)
		switch i % 4 {
		case 0:
			cmds = append(cmds, pipe.Set(ctx, k, i, 0))
		case 1:
			cmds = append(cmds, pipe.Get(ctx, k))
		case 2:
			cmds = append(cmds, pipe.Incr(ctx, k))
		default:
			cmds = append(cmds, pipe.Get(ctx, k))
		}
	}
	if _, err := pipe.Exec(ctx); err != nil {
		t.Fatal(err)
	}
	for i, cmd := range cmds {
		want := ""
		switch i % 4 {
		case 0:
			want = "OK"
		case 1:
			want = fmt.Sprint(i - 1)
		case 2:
			want = fmt.Sprint(i - 1)
		default:
			want = fmt.Sprint(i - 2)
		}
		var v string
		switch x := cmd.(type) {
		case *redis.StatusCmd:
			v = x.Val()
		case *redis.StringCmd:
			v = x.Val()
		case *redis.IntCmd:
			v = fmt.Sprint(x.Val())
		}
		if v != want {
			t.Fatalf("pipelined command %d (%v): %q, want %q", i, cmd.Args(), v, want)
		}
	}
}

// TestProxyPubSub: SUBSCRIBE and PSUBSCRIBE through the proxy receive what is
// published on any node; SSUBSCRIBE receives SPUBLISH of its shard, and still does
// after the channel's slot moved to another primary (the proxy, a gossip member, hears
// of the move as the nodes do), as a BLPOP waiting on a key of that slot is answered
// by a push after the move; the counts are the client's.
func TestProxyPubSub(t *testing.T) {
	ctx := context.Background()
	c := Start(t, 1, 3)
	p := startProxy(t, c, true)
	for _, proto := range []int{2, 3} {
		cl := redis.NewClient(&redis.Options{Addr: p.Addr(), MaxRetries: -1, Protocol: proto})
		defer cl.Close()
		ps := cl.Subscribe(ctx, "news")
		if err := ps.PSubscribe(ctx, "ev.*"); err != nil {
			t.Fatal(err)
		}
		for want := 1; want <= 2; want++ { // the confirmations, counted by the proxy
			m, err := ps.ReceiveTimeout(ctx, 5*time.Second)
			if s, ok := m.(*redis.Subscription); err != nil || !ok || s.Count != want {
				t.Fatalf("RESP%d confirmation %d: %v %v", proto, want, m, err)
			}
		}
		for i, n := range c.Nodes { // published on each node in turn
			c.Client(n).Publish(ctx, "news", fmt.Sprint("hello", i))
			c.Client(n).Publish(ctx, "ev.x", fmt.Sprint("ev", i))
		}
		var got []string
		for range 2 * len(c.Nodes) {
			m, err := ps.ReceiveTimeout(ctx, 5*time.Second)
			msg, ok := m.(*redis.Message)
			if err != nil || !ok {
				t.Fatalf("RESP%d a message through the proxy: %v %v", proto, m, err)
			}
			got = append(got, msg.Channel+"="+msg.Payload)
		}
		sort.Strings(got) // (messages published on different nodes come in any order)
		if fmt.Sprint(got) != "[ev.x=ev0 ev.x=ev1 ev.x=ev2 news=hello0 news=hello1 news=hello2]" {
			t.Errorf("RESP%d messages through the proxy: %v", proto, got)
		}
		ps.Close()
	}
	// A shard channel of slot 0 (the first a reshard moves), and its slot moving to
	// another primary.
	ch := ""
	for i := 0; ch == ""; i++ {
		if slots.KeySlot([]byte(fmt.Sprint("orders", i))) == 0 {
			ch = fmt.Sprint("orders", i)
		}
	}
	cl := redis.NewClient(&redis.Options{Addr: p.Addr(), MaxRetries: -1})
	defer cl.Close()
	ps := cl.SSubscribe(ctx, ch)
	defer ps.Close()
	if m, err := ps.ReceiveTimeout(ctx, 5*time.Second); err != nil {
		t.Fatalf("SSUBSCRIBE: %v %v", m, err)
	}
	spublish := func(msg string) {
		t.Helper()
		if err := cl.SPublish(ctx, ch, msg).Err(); err != nil {
			t.Fatalf("SPUBLISH through the proxy: %v", err)
		}
		for {
			m, err := ps.ReceiveTimeout(ctx, 5*time.Second)
			msg2, ok := m.(*redis.Message)
			if ok && msg2.Payload == "probe" {
				continue // (late from the wait below)
			}
			if err != nil || !ok || msg2.Payload != msg {
				t.Fatalf("SPUBLISH %s through the proxy: %v %v", msg, m, err)
			}
			return
		}
	}
	spublish("one")
	// A BLPOP waiting on a key of slot 0 while the slot moves.
	queue := ""
	for i := 0; queue == ""; i++ {
		if slots.KeySlot([]byte(fmt.Sprint("queue", i))) == 0 {
			queue = fmt.Sprint("queue", i)
		}
	}
	popped := make(chan string, 1)
	go func() {
		v, err := cl.BLPop(ctx, 0, queue).Result()
		popped <- fmt.Sprint(v, err)
	}()
	from, to := 0, 0
	for i, n := range c.Nodes {
		if ownsSlot(ctx, c.Client(n), 0) {
			from, to = i, (i+1)%len(c.Nodes)
		}
	}
	var out bytes.Buffer
	if err := c.session(&out).Reshard([]string{c.Nodes[from].ClusterID()}, c.Nodes[to].ClusterID(), 1, admin.MoveOptions{}); err != nil {
		t.Fatalf("moving slot 0: %v\n%s", err, out.String())
	}
	c.waitFor("the proxy to follow the slot", func() bool {
		return cl.SPublish(ctx, ch, "probe").Err() == nil && p.Owner(0) == c.Nodes[to].Addr().String()
	})
	c.waitFor("a push through the proxy", func() bool { return cl.RPush(ctx, queue, "job").Err() == nil })
	select {
	case v := <-popped:
		if v != fmt.Sprintf("[%s job] <nil>", queue) {
			t.Errorf("BLPOP through the proxy across a slot move: %s", v)
		}
	case <-time.After(10 * time.Second):
		t.Error("BLPOP through the proxy not answered after its slot moved")
	}
	c.waitFor("the shard subscription on the new owner", func() bool {
		n, _ := c.Client(c.Nodes[to]).Do(ctx, "PUBSUB", "SHARDNUMSUB", ch).Slice()
		return len(n) == 2 && n[1] == int64(1)
	})
	spublish("two")
}

// ownsSlot reports whether the node behind cl serves slot.
func ownsSlot(ctx context.Context, cl *redis.Client, slot int) bool {
	rs, _ := cl.ClusterSlots(ctx).Result()
	self := cl.Options().Addr
	for _, r := range rs {
		if r.Start <= slot && slot <= r.End && len(r.Nodes) > 0 {
			return r.Nodes[0].Addr == self
		}
	}
	return false
}

// TestProxyReshardUnderLoad: clients writing and reading through the proxy while
// slots move between primaries (keys migrating with ASK, then MOVED) see no error,
// and every acknowledged write is there afterwards.
func TestProxyReshardUnderLoad(t *testing.T) {
	ctx := context.Background()
	c := Start(t, 1, 3)
	p := startProxy(t, c, true)
	const workers, keys = 4, 200
	stop := make(chan struct{})
	type result struct {
		errs []string
		last map[string]int // key → the last value acknowledged
	}
	results := make(chan result, workers)
	var done atomic.Int64 // pipelines acknowledged
	for w := range workers {
		go func() {
			cl := redis.NewClient(&redis.Options{Addr: p.Addr(), MaxRetries: -1, PoolSize: 2})
			defer cl.Close()
			r := result{last: map[string]int{}}
			for i := 0; ; i++ {
				select {
				case <-stop:
					results <- r
					return
				default:
				}
				k := fmt.Sprintf("w%d:%d", w, i%keys)
				pipe := cl.Pipeline()
				set := pipe.Set(ctx, k, i, 0)
				get := pipe.Get(ctx, k)
				mget := pipe.MGet(ctx, k, fmt.Sprintf("w%d:%d", w, (i+1)%keys))
				if _, err := pipe.Exec(ctx); err != nil && !errors.Is(err, redis.Nil) {
					r.errs = append(r.errs, fmt.Sprintf("%s: %v", k, err))
					continue
				}
				if set.Err() != nil || get.Val() != fmt.Sprint(i) || len(mget.Val()) != 2 || mget.Val()[0] != fmt.Sprint(i) {
					r.errs = append(r.errs, fmt.Sprintf("%s: SET %v, GET %q, MGET %v", k, set.Err(), get.Val(), mget.Val()))
					continue
				}
				r.last[k] = i
				done.Add(1)
			}
		}()
	}
	// Every key written once before the slots move (the moves are quick: the load
	// must be under way when they start, and the check below needs the keys).
	c.waitFor("the load under way", func() bool { return done.Load() >= workers*keys })
	var out bytes.Buffer
	a := c.session(&out)
	if err := a.Reshard([]string{c.Nodes[0].ClusterID()}, c.Nodes[1].ClusterID(), 3000, admin.MoveOptions{Batch: 16, Pipeline: 10}); err != nil {
		t.Fatalf("reshard: %v\n%s", err, out.String())
	}
	if err := a.Reshard([]string{c.Nodes[1].ClusterID()}, c.Nodes[2].ClusterID(), 2000, admin.MoveOptions{Batch: 16, Pipeline: 10}); err != nil {
		t.Fatalf("reshard: %v\n%s", err, out.String())
	}
	close(stop)
	cl := redis.NewClient(&redis.Options{Addr: p.Addr(), MaxRetries: -1})
	defer cl.Close()
	writes := 0
	for range workers {
		r := <-results
		for _, e := range r.errs {
			t.Errorf("a client of the proxy during the reshard: %s", e)
		}
		for k, v := range r.last {
			writes++
			if got := cl.Get(ctx, k).Val(); got != fmt.Sprint(v) {
				t.Errorf("%s = %q after the reshard, want %d", k, got, v)
			}
		}
	}
	if writes < workers*keys/2 {
		t.Errorf("only %d keys written during the reshard", writes)
	}
}

// failoverProxy starts a cluster of two shards of a primary and a replica each
// (shard 0: node 0 + node 1; shard 1: node 2 + node 3) with fast failover, and a
// proxy in it as a gossip member that holds the topology; it returns them and the
// topology's epoch.
func failoverProxy(t *testing.T) (*Cluster, *proxy.Proxy, uint64) {
	t.Helper()
	c := fastFailover(t, 3, 4, nil)
	epoch := c.Create(1)
	p, err := proxy.Start(proxy.Config{Addr: "127.0.0.1:0", Seeds: []string{c.Nodes[2].Addr().String()}, Secret: Secret})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { p.Close() })
	c.waitFor("the proxy to hear the topology", func() bool { return p.Epoch() >= epoch })
	return c, p, epoch
}

// TestProxyFailover: the primary of a shard dies while a client of the proxy waits
// in BLPOP on one of its keys and is subscribed to a channel and a shard channel of
// it; after the sentinels promote its replica, the BLPOP is answered by a push made
// through the proxy, messages published reach the subscriber, and requests go on.
func TestProxyFailover(t *testing.T) {
	ctx := context.Background()
	c, p, _ := failoverProxy(t)
	cl := redis.NewClient(&redis.Options{Addr: p.Addr(), MaxRetries: -1, PoolSize: 4})
	defer cl.Close()
	queue, channel := slotKey(0, 2, "queue"), slotKey(0, 2, "orders")
	c.waitFor("a write through the proxy", func() bool { return cl.Set(ctx, queue+"x", "1", 0).Err() == nil })
	ps := cl.Subscribe(ctx, "news")
	defer ps.Close()
	if _, err := ps.ReceiveTimeout(ctx, 5*time.Second); err != nil {
		t.Fatal(err)
	}
	if err := ps.SSubscribe(ctx, channel); err != nil {
		t.Fatal(err)
	}
	if _, err := ps.ReceiveTimeout(ctx, 5*time.Second); err != nil {
		t.Fatal(err)
	}
	popped := make(chan []string, 1)
	go func() {
		v, err := cl.BLPop(ctx, 0, queue).Result()
		if err != nil {
			v = []string{err.Error()}
		}
		popped <- v
	}()
	c.waitShardSynced(0)
	old, _ := c.primaryOf(0)
	c.waitFor("the BLPOP waiting on shard 0's primary", func() bool {
		info := c.Client(c.Nodes[c.nodeIndex(old)]).Info(ctx, "clients").Val()
		return strings.Contains(info, "blocked_clients:1")
	})
	c.RestartNode(c.nodeIndex(old), func() {
		c.waitFor("a new primary for shard 0 and the proxy following it", func() bool {
			p0, _ := c.primaryOf(0)
			return p0 != old && p0 != "" && p.Owner(slots.KeySlot([]byte(queue))) == c.Nodes[c.nodeIndex(p0)].Addr().String()
		})
		c.waitFor("a push through the proxy", func() bool { return cl.RPush(ctx, queue, "job").Err() == nil })
		select {
		case v := <-popped:
			if fmt.Sprint(v) != fmt.Sprintf("[%s job]", queue) {
				t.Errorf("BLPOP through the proxy across the failover: %v", v)
			}
		case <-time.After(20 * time.Second):
			t.Fatal("BLPOP through the proxy not answered after the failover")
		}
		for _, kind := range []string{"news", channel} {
			c.waitFor("a message on "+kind+" after the failover", func() bool {
				var err error
				if kind == "news" {
					err = cl.Publish(ctx, "news", "after").Err()
				} else {
					err = cl.SPublish(ctx, channel, "after").Err()
				}
				if err != nil {
					return false
				}
				m, err := ps.ReceiveTimeout(ctx, 500*time.Millisecond)
				msg, ok := m.(*redis.Message)
				return err == nil && ok && msg.Channel == kind && msg.Payload == "after"
			})
		}
	})
}

// TestProxyAfterRestartAll: every node and sentinel stops and starts again, and none
// of them remembers the proxy (it is struck from the sentinels' gossip-members, as
// for a proxy that joined after they last saved it); the proxy joins their gossip
// again by itself and so follows the failover that comes next (writes through it
// reach the new primary).
func TestProxyAfterRestartAll(t *testing.T) {
	ctx := context.Background()
	c, p, epoch := failoverProxy(t)
	c.RestartAll(func() {
		for _, cfg := range c.sentCfgs {
			path := filepath.Join(cfg.Dir, "gossip-members")
			b, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			kept := slices.DeleteFunc(strings.Fields(string(b)), func(a string) bool { return a == p.GossipAddr() })
			if err := os.WriteFile(path, []byte(strings.Join(kept, "\n")), 0o644); err != nil {
				t.Fatal(err)
			}
		}
	})
	c.WaitEpoch(epoch)
	cl := redis.NewClient(&redis.Options{Addr: p.Addr(), MaxRetries: -1})
	defer cl.Close()
	key := slotKey(0, 2, "after-restart")
	c.waitFor("a write through the proxy after the restart", func() bool { return cl.Set(ctx, key, "1", 0).Err() == nil })
	c.waitShardSynced(0)
	old, _ := c.primaryOf(0)
	c.RestartNode(c.nodeIndex(old), func() {
		c.waitFor("a new primary for shard 0 and the proxy following it", func() bool {
			p0, _ := c.primaryOf(0)
			return p0 != old && p0 != "" && p.Owner(slots.KeySlot([]byte(key))) == c.Nodes[c.nodeIndex(p0)].Addr().String()
		})
		c.waitFor("a write through the proxy after the failover", func() bool { return cl.Set(ctx, key, "2", 0).Err() == nil })
	})
}

// TestProxyReadFromReplicas: with read-from replicas, reads through the proxy are
// served by the shards' replicas (READONLY connections) and writes by the primaries,
// also for a user made with ACL SETUSER through the proxy; with nearest, reads are
// served too (by whichever answered fastest).
func TestProxyReadFromReplicas(t *testing.T) {
	ctx := context.Background()
	c := Start(t, 1, 4)
	epoch := c.Create(1) // shard 0: node 0 + node 1; shard 1: node 2 + node 3
	gets := func(i int) int {
		for _, line := range strings.Split(c.Client(c.Nodes[i]).Info(ctx, "commandstats").Val(), "\n") {
			if v, ok := strings.CutPrefix(line, "cmdstat_get:calls="); ok {
				n, _, _ := strings.Cut(v, ",")
				calls, _ := strconv.Atoi(n)
				return calls
			}
		}
		return 0
	}
	for _, policy := range []string{proxy.ReadReplicas, proxy.ReadNearest} {
		p, err := proxy.Start(proxy.Config{Addr: "127.0.0.1:0", Seeds: []string{c.Nodes[0].Addr().String()},
			Secret: Secret, ReadFrom: policy})
		if err != nil {
			t.Fatal(err)
		}
		defer p.Close()
		c.waitFor("the proxy to hear the topology", func() bool { return p.Epoch() >= epoch })
		cl := redis.NewClient(&redis.Options{Addr: p.Addr(), MaxRetries: -1})
		defer cl.Close()
		before := []int{gets(0), gets(1), gets(2), gets(3)}
		for i := range 20 {
			k := fmt.Sprint(policy, i)
			if err := cl.Set(ctx, k, i, 0).Err(); err != nil {
				t.Fatal(err)
			}
			c.waitFor("a read of "+k, func() bool { return cl.Get(ctx, k).Val() == fmt.Sprint(i) })
		}
		if policy != proxy.ReadReplicas {
			continue
		}
		// ACL SETUSER through the proxy reaches the replicas too: the user reads there.
		if err := cl.Do(ctx, "ACL", "SETUSER", "reader", "on", ">pw", "~*", "+@read", "+@connection").Err(); err != nil {
			t.Fatal(err)
		}
		for i := range c.Nodes {
			if err := c.Client(c.Nodes[i]).Do(ctx, "ACL", "GETUSER", "reader").Err(); err != nil {
				t.Errorf("node %d lacks the user made through the proxy: %v", i, err)
			}
		}
		reader := redis.NewClient(&redis.Options{Addr: p.Addr(), MaxRetries: -1, Username: "reader", Password: "pw"})
		defer reader.Close()
		if v, err := reader.Get(ctx, policy+"3").Result(); err != nil || v != "3" {
			t.Errorf("GET as a user made through the proxy, from a replica: %q %v", v, err)
		}
		for _, primary := range []int{0, 2} {
			if n := gets(primary) - before[primary]; n != 0 {
				t.Errorf("primary node %d served %d GETs with read-from replicas", primary, n)
			}
		}
		for _, replica := range []int{1, 3} {
			if gets(replica) == before[replica] {
				t.Errorf("replica node %d served no GET with read-from replicas", replica)
			}
		}
	}
}

// TestProxyTracking: a RESP3 client with CLIENT TRACKING ON through the proxy is told
// of a change another client makes to a key of any shard (the proxy tracks in
// broadcasting mode on the client's own connections to the primaries); in RESP2 the
// proxy refuses it.
func TestProxyTracking(t *testing.T) {
	c := Start(t, 1, 3)
	p := startProxy(t, c, true)
	conn, err := net.Dial("tcp", p.Addr())
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	br := bufio.NewReader(conn)
	// expect reads until want shows up in what the proxy sent.
	expect := func(want string) {
		t.Helper()
		var got strings.Builder
		conn.SetReadDeadline(time.Now().Add(10 * time.Second))
		for !strings.Contains(got.String(), want) {
			line, err := br.ReadString('\n')
			if err != nil {
				t.Fatalf("waiting for %q: %v; got %q", want, err, got.String())
			}
			got.WriteString(line)
		}
	}
	fmt.Fprint(conn, "CLIENT TRACKING ON\r\n")
	expect("-ERR CLIENT TRACKING through shoal proxy needs RESP3")
	fmt.Fprint(conn, "HELLO 3\r\nCLIENT TRACKING ON PREFIX user:\r\nGET user:1\r\nPING\r\n")
	expect("+PONG")
	other := redis.NewClient(&redis.Options{Addr: p.Addr(), MaxRetries: -1})
	defer other.Close()
	for i := range 20 { // keys of every shard
		other.Set(context.Background(), fmt.Sprint("user:", i), "v", 0)
		expect(fmt.Sprintf("user:%d\r\n", i))
	}
	other.Set(context.Background(), "other", "v", 0) // not a tracked prefix
	fmt.Fprint(conn, "CLIENT TRACKING OFF\r\nPING\r\n")
	line := ""
	conn.SetReadDeadline(time.Now().Add(10 * time.Second))
	for !strings.HasPrefix(line, "+PONG") {
		if line, err = br.ReadString('\n'); err != nil {
			t.Fatal(err)
		}
		if strings.HasPrefix(line, "other") {
			t.Errorf("an invalidation of a key outside the tracked prefixes")
		}
	}
}
