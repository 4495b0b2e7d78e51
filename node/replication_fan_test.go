package node

import (
	"context"
	"fmt"
	"io"
	"net"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// BenchmarkSetReplicas is SET of a 16-byte value over 100,000 keys on a primary with 0,
// 1 and 2 replicas: the executor and the replication feed, with each replica a real
// connection (PSYNC, then every byte read and dropped). The difference between the
// sub-benchmarks is what each replica costs the primary per write.
func BenchmarkSetReplicas(b *testing.B) {
	for _, n := range []int{0, 1, 2} {
		b.Run(fmt.Sprintf("replicas=%d", n), func(b *testing.B) {
			s, c := benchClient(b, "repl-diskless-sync-delay", "0")
			for range n {
				discardReplica(b, s)
			}
			benchKeyed(b, s, c, benchKeys(100_000), [][]byte{[]byte("SET"), nil, []byte("0123456789abcdef")})
		})
	}
}

// discardReplica connects a replica to s that reads the stream and drops it, waits
// until s counts it online, and returns its connection.
func discardReplica(b testing.TB, s *Server) net.Conn {
	b.Helper()
	before := onlineReplicas(s)
	conn, err := net.Dial("tcp", s.Addr().String())
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { conn.Close() })
	if _, err := io.WriteString(conn, "REPLCONF capa eof capa psync2\r\nPSYNC ? -1\r\n"); err != nil {
		b.Fatal(err)
	}
	go io.Copy(io.Discard, conn)
	// A diskless transfer counts the replica online at its first ACK.
	for deadline := time.Now().Add(10 * time.Second); onlineReplicas(s) == before; {
		if time.Now().After(deadline) {
			b.Fatal("the replica did not come online")
		}
		io.WriteString(conn, "REPLCONF ACK 0\r\n")
		time.Sleep(10 * time.Millisecond)
	}
	return conn
}

// TestReplicationFan: the stream's shared buffer holds only what an online replica has
// not taken yet — empty once both replicas caught up, and again after one of them
// went away while it was behind.
func TestReplicationFan(t *testing.T) {
	s, addr := startShoal(t, "repl-diskless-sync-delay", "0")
	r1 := discardReplica(t, s)
	discardReplica(t, s)
	c := newClient(t, addr, 2)
	ctx := context.Background()
	caughtUp := func() bool {
		s.repl.mu.Lock()
		defer s.repl.mu.Unlock()
		return len(s.repl.fan) == 0 && s.repl.fanBase == s.repl.fanEnd.Load()
	}
	for i := range 2000 {
		c.Set(ctx, "k"+strconv.Itoa(i), strings.Repeat("v", 100), 0)
	}
	waitFor(t, 10*time.Second, "both replicas to take the stream", caughtUp)
	s.repl.mu.Lock()
	base := s.repl.fanBase
	s.repl.mu.Unlock()
	if base < 2000*100 {
		t.Fatalf("fan offset %d after 2000 writes of 100 bytes", base)
	}
	r1.Close()
	for i := range 2000 {
		c.Set(ctx, "k"+strconv.Itoa(i), strings.Repeat("w", 100), 0)
	}
	waitFor(t, 10*time.Second, "the other replica to take the stream", caughtUp)
}

// onlineReplicas counts s's replicas in the online state.
func onlineReplicas(s *Server) int {
	s.repl.mu.Lock()
	defer s.repl.mu.Unlock()
	n := 0
	for _, rp := range s.repl.replicas {
		if rp.state == replOnline {
			n++
		}
	}
	return n
}

// TestFanOutWakes: the feed wakes an online replica's writer for new stream bytes,
// except while the writer gathers more of them (outbox.gather) — then only for bytes
// to be rushed (a GETACK from askAcks, which marks how far) or once coalesceBelow bytes
// wait; and gather returns at once while a rushed part is not taken.
func TestFanOutWakes(t *testing.T) {
	s := newShoal(t)
	c := &Client{s: s}
	c.isReplica.Store(true)
	o := &outbox{s: s, c: c, wake: make(chan struct{}, 1), done: make(chan struct{})}
	c.out = o
	rp := &replica{c: c}
	r := &s.repl
	woken := func() bool {
		select {
		case <-o.wake:
			return true
		default:
			return false
		}
	}
	feed := func(rush bool, n int) {
		r.mu.Lock()
		defer r.mu.Unlock()
		r.rushing = rush
		r.appendLocked(make([]byte, n))
		r.rushing = false
	}
	r.mu.Lock()
	s.startStream()
	r.replicas = append(r.replicas, rp)
	r.goOnline(rp, nil)
	r.mu.Unlock()
	woken()

	feed(false, 10)
	if !woken() {
		t.Fatal("a writer not gathering was not woken")
	}
	o.gathering.Store(true)
	feed(false, 10)
	if woken() {
		t.Fatal("a gathering writer was woken for a few bytes")
	}
	feed(true, 10)
	if !woken() {
		t.Fatal("a gathering writer was not woken for a rushed part")
	}
	if got, want := rp.rush.Load(), r.fanEnd.Load(); got != want {
		t.Fatalf("rush mark %d, want the stream's end %d", got, want)
	}
	feed(false, coalesceBelow)
	if !woken() {
		t.Fatal("a gathering writer was not woken with coalesceBelow bytes waiting")
	}
	o.gathering.Store(false)

	o.gather() // the rushed part is not taken: no wait
	if o.timer != nil {
		t.Fatal("gather waited with a rushed part not taken")
	}
}

// TestReplDisableTCPNoDelay: a replica link's socket sends at once (TCP_NODELAY) by
// default, and waits to fill its packets with repl-disable-tcp-nodelay yes.
func TestReplDisableTCPNoDelay(t *testing.T) {
	for _, disable := range []string{"no", "yes"} {
		s, _ := startShoal(t, "repl-diskless-sync-delay", "0", "repl-disable-tcp-nodelay", disable)
		discardReplica(t, s)
		s.repl.mu.Lock()
		conn := s.repl.replicas[0].c.conn
		s.repl.mu.Unlock()
		raw, err := tcpConn(conn).SyscallConn()
		if err != nil {
			t.Fatal(err)
		}
		var nodelay int
		if cerr := raw.Control(func(fd uintptr) {
			nodelay, err = syscall.GetsockoptInt(int(fd), syscall.IPPROTO_TCP, syscall.TCP_NODELAY)
		}); cerr != nil || err != nil {
			t.Fatal(cerr, err)
		}
		if got, want := nodelay != 0, disable == "no"; got != want {
			t.Errorf("repl-disable-tcp-nodelay %s: TCP_NODELAY %v, want %v", disable, got, want)
		}
	}
}
