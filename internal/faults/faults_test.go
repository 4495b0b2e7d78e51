package faults

import (
	"bufio"
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

// TestLink: a link passes traffic, holds it back for a delay, drops it in a
// blackhole or one way (the connection staying open), and resets connections.
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
	// (what OneWay let through reached the server: its reply was dropped)
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
