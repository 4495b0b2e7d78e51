package node

import (
	"bufio"
	"context"
	"errors"
	"net"
	"reflect"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
)

func TestBlockingErrors(t *testing.T) {
	transcript(t,
		S("BLPOP", "nokey", "-1").Is(E("ERR timeout is negative")),
		S("BLPOP", "nokey", "x").Is(E("ERR timeout is not a float or out of range")),
		S("BLPOP", "nokey", "nan").Is(E("ERR timeout is not a float or out of range")),
		S("BLPOP", "nokey", " 1").Is(E("ERR timeout is not a float or out of range")),
		S("BLPOP", "nokey", "inf").Is(E("ERR timeout is negative")),
		S("BLPOP", "nokey", "-inf").Is(E("ERR timeout is negative")),
		S("BLPOP", "nokey", "1e30").Is(E("ERR timeout is negative")),
		S("BRPOP", "nokey", "-0.5").Is(E("ERR timeout is negative")),
		S("BLMOVE", "nokey", "x", "left", "left", "-1").Is(E("ERR timeout is negative")),
		S("BLMOVE", "nokey", "x", "left", "middle", "x").Is(E("ERR syntax error")),
		S("BLMOVE", "nokey", "x", "up", "left", "1").Is(E("ERR syntax error")),
		S("BRPOPLPUSH", "nokey", "x", "-1").Is(E("ERR timeout is negative")),
		S("BRPOPLPUSH", "nokey", "x", "y").Is(E("ERR timeout is not a float or out of range")),
		S("BLMPOP", "-1", "1", "nokey", "left").Is(E("ERR timeout is negative")),
		S("BLMPOP", "x", "1", "nokey", "left").Is(E("ERR timeout is not a float or out of range")),
		S("BLMPOP", "x", "0", "nokey", "left").Is(E("ERR numkeys should be greater than 0")),
		S("BLMPOP", "x", "1", "nokey", "middle").Is(E("ERR syntax error")),
		S("BLMPOP", "0.01", "1", "nokey", "left", "count", "0").Is(E("ERR count should be greater than 0")),
		S("BLMPOP", "0.01", "3", "a", "b", "left").Is(E("ERR syntax error")),
		S("BLMPOP", "0", "1", "a", "left", "count", "1", "foo").Is(E("ERR syntax error")),
		S("BLMPOP", "0.01", "2", "a").Is(E("ERR wrong number of arguments for 'blmpop' command")),
		S("BLPOP", "nokey").Is(E("ERR wrong number of arguments for 'blpop' command")),
		S("SET", "s", "v").Is("OK"),
		S("BLPOP", "s", "0").Is(E(wrongType)),
		S("BLPOP", "nokey", "s", "0").Is(E(wrongType)),
		S("BLPOP", "s", "x").Is(E("ERR timeout is not a float or out of range")),
		S("BRPOPLPUSH", "s", "x", "0").Is(E(wrongType)),
		S("BLMPOP", "0", "2", "nokey", "s", "left").Is(E(wrongType)),
		// Served at once when there is data.
		S("RPUSH", "l", "a", "b", "c").Is(3),
		S("BLPOP", "nokey", "s", "l", "0").Is(E(wrongType)),
		S("BLPOP", "nokey", "l", "0").Is([]any{"l", "a"}),
		S("BRPOP", "l", "nokey", "0").Is([]any{"l", "c"}),
		S("BLMPOP", "0", "2", "nokey", "l", "right", "count", "5").Is([]any{"l", []any{"b"}}),
		S("EXISTS", "l").Is(0),
		S("RPUSH", "l", "a", "b").Is(2),
		S("BRPOPLPUSH", "l", "s", "0").Is(E(wrongType)),
		S("BLMOVE", "l", "m", "left", "right", "0").Is("a"),
		S("BRPOPLPUSH", "l", "m", "0").Is("b"),
		S("LRANGE", "m", "0", "-1").Is([]any{"b", "a"}),
		// Timeouts answer a null array, BLMOVE and BRPOPLPUSH included.
		S("BLPOP", "nokey", "0.01").Is(nil),
		S("BRPOP", "nokey", "nokey2", "0.01").Is(nil),
		S("BLMPOP", "0.01", "1", "nokey", "left").Is(nil),
		S("BLMOVE", "nokey", "x", "left", "left", "0.01").Is(nil),
		S("BRPOPLPUSH", "nokey", "x", "0.001").Is(nil),
		S("BLPOP", "nokey", "0.0000001").Is(nil),
	)
}

// bResult is the outcome of a command run in the background.
type bResult struct {
	v   any
	err error
}

// blockingClient is a client whose reads wait long enough for blocking commands.
func blockingClient(t *testing.T, addr string) *redis.Client {
	t.Helper()
	c := redis.NewClient(&redis.Options{Addr: addr, Protocol: 2, DisableIdentity: true, MaxRetries: -1,
		PoolSize: 1, ReadTimeout: 20 * time.Second})
	t.Cleanup(func() { c.Close() })
	if err := c.Ping(context.Background()).Err(); err != nil {
		t.Fatal(err)
	}
	return c
}

// goDo runs a command in the background on c.
func goDo(c *redis.Client, args ...any) <-chan bResult {
	ch := make(chan bResult, 1)
	go func() {
		v, err := c.Do(context.Background(), args...).Result()
		if errors.Is(err, redis.Nil) {
			err = nil
		}
		ch <- bResult{v, err}
	}()
	return ch
}

// blockedClients reads blocked_clients from INFO clients; ok is false when INFO fails
// or lacks the field.
func blockedClients(admin *redis.Client) (n int, ok bool) {
	info, err := admin.Info(context.Background(), "clients").Result()
	if err != nil {
		return 0, false
	}
	for _, line := range strings.Split(info, "\n") {
		if v, found := strings.CutPrefix(strings.TrimSpace(line), "blocked_clients:"); found {
			n, err := strconv.Atoi(v)
			return n, err == nil
		}
	}
	return 0, false
}

// waitBlockedClients polls INFO clients until blocked_clients is n.
func waitBlockedClients(t *testing.T, admin *redis.Client, n int) {
	t.Helper()
	waitFor(t, 10*time.Second, "blocked_clients:"+strconv.Itoa(n), func() bool {
		got, ok := blockedClients(admin)
		return ok && got == n
	})
}

// expect waits for a background result and compares it.
func expect(t *testing.T, what string, ch <-chan bResult, want any) {
	t.Helper()
	select {
	case r := <-ch:
		got := r.v
		if r.err != nil {
			got = E(r.err.Error())
		}
		if !matches(want, got) {
			t.Fatalf("%s: got %#v, want %#v", what, got, want)
		}
	case <-time.After(10 * time.Second):
		t.Fatalf("%s: no reply", what)
	}
}

// expectNoReply checks that a background command is still waiting.
func expectNoReply(t *testing.T, what string, ch <-chan bResult) {
	t.Helper()
	select {
	case r := <-ch:
		t.Fatalf("%s: unexpected reply %#v %v", what, r.v, r.err)
	default:
	}
}

func do(t *testing.T, c *redis.Client, want any, args ...any) {
	t.Helper()
	runTranscript(t, c, []step{S(args...).Is(want)})
}

func TestBlockingServedByPush(t *testing.T) {
	eachAddr(t, func(t *testing.T, addr string) {
		admin, a := newClient(t, addr, 2), blockingClient(t, addr)
		res := goDo(a, "BLPOP", "k1", "k2", "0")
		waitBlockedClients(t, admin, 1)
		do(t, admin, 2, "RPUSH", "k2", "x", "y")
		expect(t, "BLPOP", res, []any{"k2", "x"})
		waitBlockedClients(t, admin, 0)
		do(t, admin, []any{"y"}, "LRANGE", "k2", "0", "-1")

		res = goDo(a, "BRPOP", "k3", "0")
		waitBlockedClients(t, admin, 1)
		do(t, admin, 2, "LPUSH", "k3", "a", "b")
		expect(t, "BRPOP", res, []any{"k3", "a"})

		res = goDo(a, "BLMPOP", "0", "2", "k4", "k5", "RIGHT", "COUNT", "2")
		waitBlockedClients(t, admin, 1)
		do(t, admin, 3, "RPUSH", "k5", "a", "b", "c")
		expect(t, "BLMPOP", res, []any{"k5", []any{"c", "b"}})
		do(t, admin, 1, "LLEN", "k5")
	})
}

// Waiters on one key are served in arrival order, one element each; pushing several
// elements at once serves several waiters.
func TestBlockingFIFO(t *testing.T) {
	eachAddr(t, func(t *testing.T, addr string) {
		admin := newClient(t, addr, 2)
		var res []<-chan bResult
		for i := range 3 {
			res = append(res, goDo(blockingClient(t, addr), "BLPOP", "q", "0"))
			waitBlockedClients(t, admin, i+1)
		}
		do(t, admin, 1, "RPUSH", "q", "a")
		expect(t, "first waiter", res[0], []any{"q", "a"})
		waitBlockedClients(t, admin, 2)
		expectNoReply(t, "second waiter", res[1])
		do(t, admin, 2, "RPUSH", "q", "b", "c")
		expect(t, "second waiter", res[1], []any{"q", "b"})
		expect(t, "third waiter", res[2], []any{"q", "c"})
		do(t, admin, 0, "EXISTS", "q")

		// Again with BRPOPLPUSH and BLMOVE waiters mixed in: arrival order still rules.
		res = res[:0]
		res = append(res, goDo(blockingClient(t, addr), "BRPOPLPUSH", "q", "out", "0"))
		waitBlockedClients(t, admin, 1)
		res = append(res, goDo(blockingClient(t, addr), "BLMOVE", "q", "out", "LEFT", "LEFT", "0"))
		waitBlockedClients(t, admin, 2)
		res = append(res, goDo(blockingClient(t, addr), "BRPOP", "q", "0"))
		waitBlockedClients(t, admin, 3)
		do(t, admin, 4, "RPUSH", "q", "1", "2", "3", "4")
		expect(t, "BRPOPLPUSH", res[0], "4")
		expect(t, "BLMOVE", res[1], "1")
		expect(t, "BRPOP", res[2], []any{"q", "3"})
		do(t, admin, []any{"1", "4"}, "LRANGE", "out", "0", "-1")
		do(t, admin, []any{"2"}, "LRANGE", "q", "0", "-1")
	})
}

func TestBlockingTimeout(t *testing.T) {
	eachAddr(t, func(t *testing.T, addr string) {
		c := blockingClient(t, addr)
		for _, cmd := range [][]any{
			{"BLPOP", "nokey", "0.1"},
			{"BRPOP", "nokey", "nokey2", "0.1"},
			{"BLMPOP", "0.1", "1", "nokey", "LEFT"},
			{"BLMOVE", "nokey", "dst", "LEFT", "RIGHT", "0.1"},
			{"BRPOPLPUSH", "nokey", "dst", "0.1"},
		} {
			start := time.Now()
			v, err := c.Do(context.Background(), cmd...).Result()
			if !errors.Is(err, redis.Nil) || v != nil {
				t.Fatalf("%v: %#v %v, want nil", cmd, v, err)
			}
			if d := time.Since(start); d < 90*time.Millisecond {
				t.Fatalf("%v returned after %v", cmd, d)
			}
		}
		do(t, c, 0, "EXISTS", "dst")
	})
}

// A BLMOVE served by a push writes its destination, which serves the clients blocked
// on that key in turn.
func TestBlockingChain(t *testing.T) {
	eachAddr(t, func(t *testing.T, addr string) {
		admin := newClient(t, addr, 2)
		last := goDo(blockingClient(t, addr), "BLPOP", "c", "0")
		waitBlockedClients(t, admin, 1)
		mid := goDo(blockingClient(t, addr), "BLMOVE", "b", "c", "RIGHT", "LEFT", "0")
		waitBlockedClients(t, admin, 2)
		first := goDo(blockingClient(t, addr), "BRPOPLPUSH", "a", "b", "0")
		waitBlockedClients(t, admin, 3)
		do(t, admin, 1, "LPUSH", "a", "x")
		expect(t, "BRPOPLPUSH a b", first, "x")
		expect(t, "BLMOVE b c", mid, "x")
		expect(t, "BLPOP c", last, []any{"c", "x"})
		do(t, admin, 0, "EXISTS", "a", "b", "c")

		// LMOVE from a plain command wakes the destination's waiter too.
		res := goDo(blockingClient(t, addr), "BLPOP", "d", "0")
		waitBlockedClients(t, admin, 1)
		do(t, admin, 1, "RPUSH", "src", "v")
		do(t, admin, "v", "LMOVE", "src", "d", "LEFT", "LEFT")
		expect(t, "BLPOP d", res, []any{"d", "v"})

		// SORT ... STORE wakes it as well.
		res = goDo(blockingClient(t, addr), "BLPOP", "sorted", "0")
		waitBlockedClients(t, admin, 1)
		do(t, admin, 3, "RPUSH", "nums", "3", "1", "2")
		do(t, admin, 3, "SORT", "nums", "STORE", "sorted")
		expect(t, "BLPOP sorted", res, []any{"sorted", "1"})
		do(t, admin, []any{"2", "3"}, "LRANGE", "sorted", "0", "-1")
	})
}

// A BLMOVE waiter whose destination holds another type when it is served gets
// WRONGTYPE, and the element goes to the next waiter.
func TestBlockingMoveWrongTypeDestination(t *testing.T) {
	eachAddr(t, func(t *testing.T, addr string) {
		admin := newClient(t, addr, 2)
		do(t, admin, "OK", "SET", "dst", "str")
		mover := goDo(blockingClient(t, addr), "BLMOVE", "src", "dst", "LEFT", "LEFT", "0")
		waitBlockedClients(t, admin, 1)
		popper := goDo(blockingClient(t, addr), "BLPOP", "src", "0")
		waitBlockedClients(t, admin, 2)
		do(t, admin, 1, "RPUSH", "src", "x")
		expect(t, "BLMOVE", mover, E(wrongType))
		expect(t, "BLPOP", popper, []any{"src", "x"})
		do(t, admin, "str", "GET", "dst")
	})
}

// A waiting key that becomes another type keeps the client waiting.
func TestBlockingKeyChangesType(t *testing.T) {
	eachAddr(t, func(t *testing.T, addr string) {
		admin := newClient(t, addr, 2)
		res := goDo(blockingClient(t, addr), "BLPOP", "k", "0")
		waitBlockedClients(t, admin, 1)
		do(t, admin, "OK", "SET", "k", "v")
		do(t, admin, 1, "DEL", "k")
		waitBlockedClients(t, admin, 1)
		expectNoReply(t, "BLPOP", res)
		do(t, admin, 1, "RPUSH", "k", "x")
		expect(t, "BLPOP", res, []any{"k", "x"})
	})
}

// A client that disconnects while blocked is forgotten: it takes no element.
func TestBlockingClientDisconnects(t *testing.T) {
	eachAddr(t, func(t *testing.T, addr string) {
		admin := newClient(t, addr, 2)
		conn, err := net.Dial("tcp", addr)
		if err != nil {
			t.Fatal(err)
		}
		conn.Write([]byte("*3\r\n$5\r\nBLPOP\r\n$1\r\nk\r\n$1\r\n0\r\n"))
		waitBlockedClients(t, admin, 1)
		conn.Close()
		waitBlockedClients(t, admin, 0)
		do(t, admin, 1, "RPUSH", "k", "x")
		do(t, admin, []any{"x"}, "LRANGE", "k", "0", "-1")
	})
}

// Replies to commands pipelined before a blocking one are sent before it blocks, and
// commands pipelined after it run once it is served.
func TestBlockingPipeline(t *testing.T) {
	eachAddr(t, func(t *testing.T, addr string) {
		admin := newClient(t, addr, 2)
		conn, err := net.Dial("tcp", addr)
		if err != nil {
			t.Fatal(err)
		}
		defer conn.Close()
		conn.SetDeadline(time.Now().Add(10 * time.Second))
		r := bufio.NewReader(conn)
		conn.Write([]byte("PING\r\nBLPOP k 0\r\nPING\r\n"))
		if line, _ := r.ReadString('\n'); line != "+PONG\r\n" {
			t.Fatalf("first reply %q", line)
		}
		waitBlockedClients(t, admin, 1)
		do(t, admin, 1, "RPUSH", "k", "v")
		var got []string
		for range 6 {
			line, err := r.ReadString('\n')
			if err != nil {
				t.Fatal(err)
			}
			got = append(got, line)
		}
		want := []string{"*2\r\n", "$1\r\n", "k\r\n", "$1\r\n", "v\r\n", "+PONG\r\n"}
		if !reflect.DeepEqual(got, want) {
			t.Fatalf("replies %q, want %q", got, want)
		}
	})
}

// Several clients blocked on several keys, fed concurrently: every element pushed is
// delivered exactly once.
func TestBlockingConcurrentDelivery(t *testing.T) {
	_, addr := startShoal(t)
	admin := newClient(t, addr, 2)
	const waiters = 8
	var res []<-chan bResult
	for i := range waiters {
		res = append(res, goDo(blockingClient(t, addr), "BLPOP", "k"+strconv.Itoa(i%2), "k"+strconv.Itoa(2+i%3), "0"))
	}
	waitBlockedClients(t, admin, waiters)
	done := make(chan struct{})
	for p := range 4 {
		go func() {
			defer func() { done <- struct{}{} }()
			c := newClient(t, addr, 2)
			for j := range waiters / 4 {
				c.RPush(context.Background(), "k"+strconv.Itoa((p+j)%5), "v"+strconv.Itoa(p)+"-"+strconv.Itoa(j))
			}
		}()
	}
	for range 4 {
		<-done
	}
	// Serving happens inside the pushes, so by now every element is either delivered
	// or left in a list no remaining waiter waits on.
	seen := map[string]int{}
	leftIn := map[string]bool{}
	for k := range 5 {
		key := "k" + strconv.Itoa(k)
		left, _ := admin.LRange(context.Background(), key, 0, -1).Result()
		for _, v := range left {
			seen[v]++
			leftIn[key] = true
		}
	}
	type indexed struct {
		i int
		r bResult
	}
	all := make(chan indexed, waiters)
	for i, ch := range res {
		go func() { all <- indexed{i, <-ch} }()
	}
	served := map[int]bool{}
	for range waiters - len(seen) {
		select {
		case x := <-all:
			v, ok := x.r.v.([]any)
			if x.r.err != nil || !ok || len(v) != 2 {
				t.Fatalf("waiter: %#v %v", x.r.v, x.r.err)
			}
			seen[v[1].(string)]++
			served[x.i] = true
		case <-time.After(10 * time.Second):
			t.Fatal("an element was neither delivered nor left in its list")
		}
	}
	for i := range waiters {
		if !served[i] && (leftIn["k"+strconv.Itoa(i%2)] || leftIn["k"+strconv.Itoa(2+i%3)]) {
			t.Fatalf("waiter %d still waits on a key that holds an element", i)
		}
	}
	if len(seen) != waiters {
		t.Fatalf("elements %v, want %d distinct", seen, waiters)
	}
	for v, n := range seen {
		if n != 1 {
			t.Fatalf("element %s seen %d times", v, n)
		}
	}
}

func TestBlockingTimeoutParsing(t *testing.T) {
	transcript(t,
		S("BLPOP", "k", "1e400").Is(E("ERR timeout is negative")),
		S("BLPOP", "k", "inf").Is(E("ERR timeout is negative")),
		S("BLPOP", "k", "9223372036854775807").Is(E("ERR timeout is negative")),
		S("BLPOP", "k", "-1").Is(E("ERR timeout is negative")),
		S("BLPOP", "k", "abc").Is(E("ERR timeout is not a float or out of range")),
		S("BLPOP", "k", "0.001").Is(nil),
	)
}

// TestClientUnblock: CLIENT UNBLOCK wakes a client blocked in BLPOP with the timeout
// reply, or with the UNBLOCKED error; a client that is not blocked is not touched —
// against shoal and a real Redis.
func TestClientUnblock(t *testing.T) {
	eachAddr(t, func(t *testing.T, addr string) {
		ctx := context.Background()
		blocked, admin := newClient(t, addr, 2), newClient(t, addr, 2)
		id, err := blocked.ClientID(ctx).Result()
		if err != nil {
			t.Fatal(err)
		}
		for _, reason := range []string{"TIMEOUT", "ERROR"} {
			done := make(chan error, 1)
			go func() { done <- blocked.BLPop(ctx, 0, "unblock-me").Err() }()
			waitFor(t, 10*time.Second, "the client blocked", func() bool {
				return strings.Contains(admin.ClientList(ctx).Val(), "flags=b")
			})
			if n, err := admin.Do(ctx, "CLIENT", "UNBLOCK", id, reason).Int(); err != nil || n != 1 {
				t.Fatalf("CLIENT UNBLOCK %s = %d, %v", reason, n, err)
			}
			err := <-done
			if reason == "TIMEOUT" && err != redis.Nil {
				t.Errorf("BLPOP unblocked with TIMEOUT: %v", err)
			}
			if reason == "ERROR" && (err == nil || err.Error() != "UNBLOCKED client unblocked via CLIENT UNBLOCK") {
				t.Errorf("BLPOP unblocked with ERROR: %v", err)
			}
		}
		if n, err := admin.Do(ctx, "CLIENT", "UNBLOCK", id).Int(); err != nil || n != 0 {
			t.Errorf("CLIENT UNBLOCK of a client not blocked = %d, %v", n, err)
		}
		if err := admin.Do(ctx, "CLIENT", "UNBLOCK", id, "LATER").Err(); err == nil || err.Error() != "ERR CLIENT UNBLOCK reason should be TIMEOUT or ERROR" {
			t.Errorf("CLIENT UNBLOCK with a bad reason: %v", err)
		}
		if err := admin.Do(ctx, "CLIENT", "UNBLOCK", "x").Err(); err == nil || err.Error() != "ERR value is not an integer or out of range" {
			t.Errorf("CLIENT UNBLOCK x: %v", err)
		}
		// The client works on afterwards.
		if err := blocked.Ping(ctx).Err(); err != nil {
			t.Error(err)
		}
	})
}
