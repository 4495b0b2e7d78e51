package node

import (
	"bufio"
	"context"
	"net"
	"runtime"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
)

// pstep is one step of a multi-connection raw transcript: optionally send a command on
// connection conn, then read n replies or pushes from it.
type pstep struct {
	conn    int
	send    []string
	n       int
	mode    int
	blocked int // > 0: poll INFO on conn until this many clients are blocked
}

// Send sends args on conn without reading a reply (a blocking command).
func Send(conn int, args ...string) pstep { return pstep{conn: conn, send: args} }

// Blocked waits, polling INFO clients on conn, until n clients are blocked.
func Blocked(conn, n int) pstep { return pstep{conn: conn, blocked: n} }

// P sends args on conn and reads one reply.
func P(conn int, args ...string) pstep { return pstep{conn: conn, send: args, n: 1} }

// Pn sends args on conn and reads n replies (SUBSCRIBE a b c confirms three times).
func Pn(conn, n int, args ...string) pstep { return pstep{conn: conn, send: args, n: n} }

// Recv reads n pushed messages from conn.
func Recv(conn, n int) pstep { return pstep{conn: conn, n: n} }

// Unord reads the reply of args on conn, comparing its elements in any order.
func Unord(conn int, args ...string) pstep {
	return pstep{conn: conn, send: args, n: 1, mode: rawUnordered}
}

// pubsubCompare runs steps over nconns raw connections (those listed in resp3 speak
// RESP3) against shoal and Redis and fails where the replies' renderings differ.
func pubsubCompare(t *testing.T, nconns int, resp3 []int, directives []string, steps ...pstep) {
	t.Helper()
	tgs := servers(t, directives...)
	outs := make([][]string, len(tgs))
	for ti, tg := range tgs {
		conns := make([]net.Conn, nconns)
		rds := make([]*bufio.Reader, nconns)
		for i := range conns {
			conns[i], rds[i] = rawConn(t, tg.addr)
			conns[i].SetDeadline(time.Now().Add(20 * time.Second))
		}
		for _, i := range resp3 {
			writeCmd(conns[i], "HELLO", "3")
			readReply(t, rds[i])
		}
		for _, st := range steps {
			if st.blocked > 0 {
				want := "blocked_clients:" + strconv.Itoa(st.blocked) + "\r\n"
				waitFor(t, 10*time.Second, want, func() bool {
					writeCmd(conns[st.conn], "INFO", "clients")
					return strings.Contains(readReply(t, rds[st.conn]).text, want)
				})
				outs[ti] = append(outs[ti], "")
				continue
			}
			if st.send != nil {
				writeCmd(conns[st.conn], st.send...)
			}
			var parts []string
			for range st.n {
				parts = append(parts, renderReply(readReply(t, rds[st.conn]), st.mode))
			}
			outs[ti] = append(outs[ti], strings.Join(parts, " | "))
		}
	}
	if len(tgs) < 2 {
		return
	}
	for i, st := range steps {
		if outs[0][i] != outs[1][i] {
			t.Errorf("[conn %d] %q\n  shoal %s\n  redis %s", st.conn, st.send, outs[0][i], outs[1][i])
		}
	}
}

func TestPubSubRESP2(t *testing.T) {
	pubsubCompare(t, 2, nil, nil,
		Pn(0, 2, "SUBSCRIBE", "news", "sport"),
		P(1, "PUBLISH", "news", "hello"),
		Recv(0, 1),
		P(1, "PUBLISH", "nobody", "x"),
		Pn(0, 1, "PSUBSCRIBE", "n*"),
		P(1, "PUBLISH", "news", "both"),
		Recv(0, 2),
		P(1, "PUBLISH", "nest", "pattern only"),
		Recv(0, 1),
		P(0, "GET", "k"),
		P(0, "SET", "k", "v"),
		P(0, "PING"),
		P(0, "PING", "hi"),
		Pn(0, 1, "SUBSCRIBE", "news"), // already subscribed: confirmed, count unchanged
		Unord(1, "PUBSUB", "CHANNELS"),
		P(1, "PUBSUB", "CHANNELS", "s*"),
		P(1, "PUBSUB", "NUMSUB", "news", "sport", "none"),
		P(1, "PUBSUB", "NUMSUB"),
		P(1, "PUBSUB", "NUMPAT"),
		P(1, "PUBSUB", "CHANNELS", "a", "b"),
		P(1, "PUBSUB", "NOPE"),
		P(1, "INFO", "NOTHING"),
		Pn(0, 1, "UNSUBSCRIBE", "news"),
		P(1, "PUBLISH", "news", "pattern still"),
		Recv(0, 1),
		Pn(0, 1, "UNSUBSCRIBE", "never"),
		Pn(0, 1, "UNSUBSCRIBE"),
		Pn(0, 1, "PUNSUBSCRIBE"),
		P(0, "GET", "k"),
		Pn(0, 1, "UNSUBSCRIBE"),
		Pn(0, 1, "PUNSUBSCRIBE"),
		Pn(0, 1, "SUNSUBSCRIBE"),
		P(0, "PING"),
		// Shard channels are their own namespace.
		Pn(0, 2, "SSUBSCRIBE", "s1", "s2"),
		P(1, "PUBLISH", "s1", "not shard"),
		P(1, "SPUBLISH", "s1", "shard"),
		Recv(0, 1),
		Unord(1, "PUBSUB", "SHARDCHANNELS"),
		P(1, "PUBSUB", "SHARDCHANNELS", "*2"),
		P(1, "PUBSUB", "SHARDNUMSUB", "s1", "x"),
		P(1, "PUBSUB", "CHANNELS"),
		Pn(0, 1, "SUBSCRIBE", "c"),
		Pn(0, 1, "SUNSUBSCRIBE", "s1"),
		Pn(0, 1, "UNSUBSCRIBE", "c"),
		Pn(0, 1, "SUNSUBSCRIBE", "s2"),
		P(0, "GET", "k"),
		P(0, "SUBSCRIBE"),
		P(0, "PUBLISH", "only-one"),
	)
}

func TestPubSubRESP3(t *testing.T) {
	pubsubCompare(t, 2, []int{0}, nil,
		Pn(0, 2, "SUBSCRIBE", "a", "b"),
		P(0, "SET", "k", "v"), // RESP3 clients may run anything while subscribed
		P(0, "GET", "k"),
		P(0, "PING"),
		P(1, "PUBLISH", "a", "m1"),
		Recv(0, 1),
		Pn(0, 1, "PSUBSCRIBE", "*"),
		P(1, "PUBLISH", "b", "m2"),
		Recv(0, 2),
		P(1, "PUBSUB", "NUMSUB", "a"),
		Pn(0, 2, "UNSUBSCRIBE", "a", "b"),
		Pn(0, 1, "PUNSUBSCRIBE", "*"),
		Pn(0, 1, "UNSUBSCRIBE"),
		P(1, "SPUBLISH", "a", "none"),
		Pn(0, 1, "SSUBSCRIBE", "sh"),
		P(1, "SPUBLISH", "sh", "m3"),
		Recv(0, 1),
		P(0, "RESET"),
		P(1, "SPUBLISH", "sh", "after reset"),
		P(1, "PUBSUB", "SHARDNUMSUB", "sh"),
	)
}

// TestPubSubPipeline checks that replies and messages keep their order when a
// subscriber pipelines commands while messages arrive.
func TestPubSubPipeline(t *testing.T) {
	pubsubCompare(t, 2, []int{0}, nil,
		Pn(0, 1, "SUBSCRIBE", "ch"),
		P(1, "PUBLISH", "ch", "1"),
		P(0, "ECHO", "after 1"), // the message is queued before this reply
		Recv(0, 1),
	)
}

func TestKeyspaceNotifications(t *testing.T) {
	pubsubCompare(t, 2, nil, []string{"notify-keyspace-events", "KEA"},
		Pn(0, 1, "PSUBSCRIBE", "__key*@*"),
		P(1, "SET", "s", "1"),
		Recv(0, 2),
		P(1, "INCRBY", "s", "2"),
		Recv(0, 2),
		P(1, "APPEND", "s", "x"),
		Recv(0, 2),
		P(1, "EXPIRE", "s", "100"),
		Recv(0, 2),
		P(1, "PERSIST", "s"),
		Recv(0, 2),
		P(1, "RENAME", "s", "t"),
		Recv(0, 4),
		P(1, "RPUSH", "l", "a", "b"),
		Recv(0, 2),
		P(1, "LPOP", "l", "2"),
		Recv(0, 4), // lpop, then del of the emptied list
		P(1, "HSET", "h", "f", "v"),
		Recv(0, 2),
		P(1, "SADD", "set", "m"),
		Recv(0, 2),
		P(1, "ZADD", "z", "1", "m"),
		Recv(0, 2),
		P(1, "DEL", "h", "set", "z", "none"),
		Recv(0, 6),
		P(1, "SELECT", "3"),
		P(1, "SET", "in3", "v", "PX", "1"),
		Recv(0, 4), // set, expire
		Recv(0, 2), // expired (active expiry, or the next access)
		P(1, "CONFIG", "SET", "notify-keyspace-events", "Eg"),
		P(1, "SET", "quiet", "v"),
		P(1, "DEL", "quiet"),
		Recv(0, 1), // only the keyevent for del
		P(1, "CONFIG", "SET", "notify-keyspace-events", ""),
		P(1, "SET", "x", "1"),
		P(1, "CONFIG", "GET", "notify-keyspace-events"),
		P(1, "DEL", "x"),
		P(1, "CONFIG", "SET", "notify-keyspace-events", "Kl"),
		P(1, "LPUSH", "x", "1"),
		Recv(0, 1),
	)
}

func TestPubSubClientList(t *testing.T) {
	_, addr := startShoal(t)
	ctx := context.Background()
	c := newClient(t, addr, 2)
	sub := c.Subscribe(ctx, "a", "b")
	defer sub.Close()
	if err := sub.PSubscribe(ctx, "p*"); err != nil {
		t.Fatal(err)
	}
	waitFor(t, 5*time.Second, "subscriptions", func() bool {
		return c.PubSubNumPat(ctx).Val() == 1
	})
	list := c.ClientList(ctx).Val()
	if !strings.Contains(list, "flags=P") || !strings.Contains(list, "sub=2 psub=1 ssub=0") || !strings.Contains(list, "cmd=psubscribe") {
		t.Fatalf("CLIENT LIST:\n%s", list)
	}
	pubsub := c.Do(ctx, "CLIENT", "LIST", "TYPE", "pubsub").String()
	normal := c.Do(ctx, "CLIENT", "LIST", "TYPE", "normal").String()
	if strings.Count(pubsub, "id=") != 1 || !strings.Contains(pubsub, "flags=P") || strings.Contains(normal, "flags=P") {
		t.Fatalf("TYPE filters:\npubsub %s\nnormal %s", pubsub, normal)
	}
	if n := c.Do(ctx, "CLIENT", "KILL", "TYPE", "pubsub").Val(); n != int64(1) {
		t.Fatalf("CLIENT KILL TYPE pubsub = %v", n)
	}
	waitFor(t, 5*time.Second, "subscriber gone", func() bool {
		return c.PubSubNumPat(ctx).Val() == 0 && len(c.PubSubChannels(ctx, "*").Val()) == 0
	})
}

// TestSlowSubscriber publishes far more than a subscriber that never reads can hold:
// the publisher is never held up, the subscriber is cut at the hard limit, the server's
// memory stays bounded, and INFO counts the disconnection.
func TestSlowSubscriber(t *testing.T) {
	s, addr := startShoal(t, "client-output-buffer-limit", "pubsub 4mb 0 0")
	ctx := context.Background()
	conn, rd := rawConn(t, addr)
	writeCmd(conn, "SUBSCRIBE", "firehose")
	readReply(t, rd) // confirmed; from here on this client reads nothing

	pub := newClient(t, addr, 2)
	msg := strings.Repeat("x", 64<<10)
	var before runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	var peak uint64
	delivered := 0
	for i := range 1600 { // 100 MB
		n, err := pub.Publish(ctx, "firehose", msg).Result()
		if err != nil {
			t.Fatal(err)
		}
		if n == 0 {
			break
		}
		delivered++
		if i%64 == 0 {
			var ms runtime.MemStats
			runtime.ReadMemStats(&ms)
			peak = max(peak, ms.HeapInuse)
		}
	}
	if delivered == 1600 {
		t.Fatal("the subscriber was never disconnected")
	}
	if growth := int64(peak) - int64(before.HeapInuse); growth > 64<<20 {
		t.Errorf("heap grew by %d MB while publishing to a stalled subscriber", growth>>20)
	}
	info := pub.Info(ctx, "stats").Val()
	if !strings.Contains(info, "client_output_buffer_limit_disconnections:1\r\n") {
		t.Errorf("INFO stats does not count the disconnection:\n%s", info)
	}
	if s.stats.outputLimitDisconnects.Load() != 1 {
		t.Errorf("disconnections = %d", s.stats.outputLimitDisconnects.Load())
	}
	if n := pub.PubSubNumSub(ctx, "firehose").Val()["firehose"]; n != 0 {
		t.Errorf("the cut subscriber is still subscribed (%d)", n)
	}
}

// TestSlowSubscriberSoftLimit: above the soft limit for longer than its seconds, the
// subscriber is cut even though it never reaches the hard limit.
func TestSlowSubscriberSoftLimit(t *testing.T) {
	_, addr := startShoal(t, "client-output-buffer-limit", "pubsub 0 1mb 1")
	ctx := context.Background()
	conn, rd := rawConn(t, addr)
	writeCmd(conn, "SUBSCRIBE", "slow")
	readReply(t, rd)
	pub := newClient(t, addr, 2)
	msg := strings.Repeat("y", 32<<10)
	waitFor(t, 30*time.Second, "soft-limit disconnection", func() bool {
		for range 64 {
			if pub.Publish(ctx, "slow", msg).Val() == 0 {
				return true
			}
		}
		return false
	})
}

// TestSubscriberNotTimedOut: the idle timeout spares clients with subscriptions, as
// Redis does.
func TestSubscriberNotTimedOut(t *testing.T) {
	_, addr := startShoal(t, "timeout", "1")
	ctx := context.Background()
	c := newClient(t, addr, 2)
	sub := c.Subscribe(ctx, "keep")
	defer sub.Close()
	if _, err := sub.Receive(ctx); err != nil {
		t.Fatal(err)
	}
	idle := redis.NewClient(&redis.Options{Addr: addr, MaxRetries: -1})
	defer idle.Close()
	idle.Ping(ctx)
	// The plain idle client goes after a second or two; the subscriber stays.
	waitFor(t, 10*time.Second, "idle client closed", func() bool {
		return strings.Count(c.ClientList(ctx).Val(), "\n") <= 2
	})
	if c.PubSubNumSub(ctx, "keep").Val()["keep"] != 1 {
		t.Fatal("the subscriber was timed out")
	}
}

// TestMonitor compares what MONITOR shows with Redis (timestamps and client addresses
// aside).
func TestMonitor(t *testing.T) {
	var outs []string
	for _, tg := range servers(t) {
		mon, rd := rawConn(t, tg.addr)
		writeCmd(mon, "MONITOR")
		if r := readReply(t, rd); r.text != "OK" {
			t.Fatalf("MONITOR: %+v", r)
		}
		c, crd := rawConn(t, tg.addr)
		for _, cmd := range [][]string{
			{"SET", "a b", "x\"y\nz\x01"}, {"AUTH", "nouser", "pw"}, {"HELLO", "3", "AUTH", "default", "x"},
			{"EVAL", "return redis.call('get','k')", "0"}, {"CONFIG", "GET", "port"}, {"MULTI"}, {"DISCARD"},
			{"NOSUCH"}, {"GET"}, {"PING"},
		} {
			writeCmd(c, cmd...)
			readReply(t, crd)
		}
		var lines []string
		for {
			line, err := rd.ReadString('\n')
			if err != nil {
				t.Fatal(err)
			}
			// "+1700000000.123456 [0 127.0.0.1:5555] ..." → "[0 addr] ..."
			_, rest, _ := strings.Cut(line, " ")
			db, rest, _ := strings.Cut(rest, " ")
			addr, rest, _ := strings.Cut(rest, "]")
			if addr != "lua" {
				addr = "addr"
			}
			lines = append(lines, db+" "+addr+"]"+rest)
			if strings.Contains(strings.ToLower(line), `"ping"`) {
				break
			}
		}
		outs = append(outs, strings.Join(lines, ""))
	}
	if len(outs) == 2 && outs[0] != outs[1] {
		t.Fatalf("shoal:\n%s\nredis:\n%s", outs[0], outs[1])
	}
}

// TestClientPause holds writes (not reads) until CLIENT UNPAUSE.
func TestClientPause(t *testing.T) {
	pubsubCompare(t, 2, nil, nil,
		P(1, "CLIENT", "PAUSE", "100000", "WRITE"),
		P(0, "GET", "k"),
		Send(0, "SET", "k", "v"),
		Blocked(1, 1),
		P(1, "CLIENT", "UNPAUSE"),
		Recv(0, 1),
		P(0, "GET", "k"),
		P(1, "CLIENT", "PAUSE", "10", "bogus"),
		P(1, "CLIENT", "PAUSE", "-1"),
		P(1, "CLIENT", "PAUSE", "x"),
	)
}

// TestNormalOutputLimit: a reply past client-output-buffer-limit normal closes the
// client, as Redis does.
func TestNormalOutputLimit(t *testing.T) {
	for _, tg := range servers(t, "client-output-buffer-limit", "normal 1mb 0 0") {
		t.Run(tg.name, func(t *testing.T) {
			ctx := context.Background()
			c := newClient(t, tg.addr, 2)
			if err := c.Set(ctx, "big", strings.Repeat("x", 2<<20), 0).Err(); err != nil {
				t.Fatal(err)
			}
			conn, rd := rawConn(t, tg.addr)
			writeCmd(conn, "GET", "big")
			expectClosed(t, rd)
			if !strings.Contains(c.Info(ctx, "stats").Val(), "client_output_buffer_limit_disconnections:1") && tg.name == "shoal" {
				t.Error("not counted in INFO")
			}
		})
	}
}

// TestEvictedEvent: an evicted key raises the "evicted" events notify-keyspace-events
// asks for (class e, part of A), through the hook maxmemory eviction calls.
func TestEvictedEvent(t *testing.T) {
	s, addr := startShoal(t, "notify-keyspace-events", "KEe")
	conn, rd := rawConn(t, addr)
	writeCmd(conn, "PSUBSCRIBE", "__key*")
	readReply(t, rd)
	s.keyEvicted(0, []byte("gone"))
	got := []string{renderReply(readReply(t, rd), rawExact), renderReply(readReply(t, rd), rawExact)}
	want := []string{"*[$pmessage $__key* $__keyspace@0__:gone $evicted]", "*[$pmessage $__key* $__keyevent@0__:evicted $gone]"}
	if got[0] != want[0] || got[1] != want[1] {
		t.Fatalf("got %q", got)
	}
}
