package faults

import (
	"bufio"
	"context"
	"net"
	"testing"
	"time"
)

// echoServer answers every line with itself.
func echoServer(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go func() {
				defer c.Close()
				r := bufio.NewReader(c)
				for {
					line, err := r.ReadString('\n')
					if err != nil {
						return
					}
					c.Write([]byte(line))
				}
			}()
		}
	}()
	return ln.Addr().String()
}

// roundTrip sends a line through c and waits up to d for it back.
func roundTrip(c net.Conn, r *bufio.Reader, d time.Duration) (time.Duration, error) {
	start := time.Now()
	c.SetDeadline(start.Add(d))
	if _, err := c.Write([]byte("ping\n")); err != nil {
		return 0, err
	}
	_, err := r.ReadString('\n')
	return time.Since(start), err
}

// TestLink: a link passes traffic, holds it back for a delay, holds it in a
// blackhole or one way (the connection staying open) and delivers it when it heals,
// and resets connections.
func TestLink(t *testing.T) {
	l, err := Listen("127.0.0.1:0", echoServer(t))
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	c, err := net.Dial("tcp", l.Addr())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	r := bufio.NewReader(c)
	if _, err := roundTrip(c, r, time.Second); err != nil {
		t.Fatalf("pass: %v", err)
	}
	l.Set(Delay, 100*time.Millisecond)
	if d, err := roundTrip(c, r, 2*time.Second); err != nil || d < 200*time.Millisecond {
		t.Errorf("delay: %v %v (each direction held 100 ms)", d, err)
	}
	for _, m := range []Mode{Blackhole, OneWay} {
		l.Set(m, 0)
		if _, err := roundTrip(c, r, 200*time.Millisecond); err == nil {
			t.Errorf("%v: the reply came back", m)
		}
		if ne, ok := err.(net.Error); ok && !ne.Timeout() {
			t.Errorf("%v: %v, want a timeout (the connection open)", m, err)
		}
	}
	// Healed, the held replies arrive: the blackhole's ping went on under OneWay,
	// and the two replies were held there.
	l.Set(Pass, 0)
	c.SetDeadline(time.Now().Add(time.Second))
	for i := range 2 {
		if _, err := r.ReadString('\n'); err != nil {
			t.Fatalf("held reply %d after healing: %v", i, err)
		}
	}
	l.Set(Reset, 0)
	if _, err := roundTrip(c, r, time.Second); err == nil {
		t.Error("reset: the connection still answers")
	}
	l.Set(Pass, 0)
	c2, err := net.Dial("tcp", l.Addr())
	if err != nil {
		t.Fatal(err)
	}
	defer c2.Close()
	if _, err := roundTrip(c2, bufio.NewReader(c2), time.Second); err != nil {
		t.Errorf("pass again, a new connection: %v", err)
	}
}

// TestNet: a partition holds both ways, a one-way block only one way, between the
// named processes only, and packets follow the same rules.
func TestNet(t *testing.T) {
	n := NewNet()
	defer n.Close()
	srv := echoServer(t)
	n.Add("b", srv)
	a, c := n.Endpoint("a"), n.Endpoint("c")
	dial := func(e *Endpoint) (net.Conn, *bufio.Reader) {
		conn, err := e.Dial(context.Background(), "tcp", srv)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { conn.Close() })
		return conn, bufio.NewReader(conn)
	}
	ac, ar := dial(a)
	cc, cr := dial(c)
	n.Partition([]string{"a"}, []string{"b"})
	if _, err := roundTrip(ac, ar, 200*time.Millisecond); err == nil {
		t.Error("a reached b across the partition")
	}
	if _, err := roundTrip(cc, cr, time.Second); err != nil {
		t.Errorf("c, outside the partition: %v", err)
	}
	if !a.Drop(srv, true) || !a.Drop(srv, false) || c.Drop(srv, true) {
		t.Error("packets: a<->b should be dropped, c->b not")
	}
	n.Heal()
	n.Block("b", "a")
	if a.Drop(srv, true) || !a.Drop(srv, false) {
		t.Error("packets: b->a blocked, a->b not")
	}
	if _, err := roundTrip(ac, ar, 200*time.Millisecond); err == nil {
		t.Error("b's reply reached a through a one-way block")
	}
	n.Heal()
	ac.SetDeadline(time.Now().Add(time.Second))
	for i := range 2 {
		if _, err := ar.ReadString('\n'); err != nil {
			t.Fatalf("held reply %d after healing: %v", i, err)
		}
	}
	if n.Rules() != "" {
		t.Errorf("rules after Heal: %q", n.Rules())
	}
}
