package main

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"net"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"
)

// rssKB is the resident set of process pid in KiB (from /proc), 0 where unreadable.
func rssKB(pid int) int64 {
	data, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0
	}
	for _, line := range strings.Split(string(data), "\n") {
		if v, ok := strings.CutPrefix(line, "VmRSS:"); ok {
			n, _ := strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(v), " kB"), 10, 64)
			return n
		}
	}
	return 0
}

// TestTenThousandConnections: with the default maxclients (10000), 10,001
// connections each send PING: 10,000 are answered and the last one gets Redis's
// "-ERR max number of clients reached" and is closed; once they are gone a new client
// is served.
func TestTenThousandConnections(t *testing.T) {
	bin := buildShoal(t)
	_, c := startProc(t, bin)
	addr := c.Options().Addr
	c.Close() // (its connections would count)
	var conns []net.Conn
	defer func() {
		for _, cn := range conns {
			cn.Close()
		}
	}()
	dial := func() (net.Conn, *bufio.Reader) {
		cn, err := net.Dial("tcp", addr)
		if err != nil {
			t.Fatalf("connection %d: %v", len(conns)+1, err)
		}
		conns = append(conns, cn)
		cn.SetDeadline(time.Now().Add(20 * time.Second))
		return cn, bufio.NewReader(cn)
	}
	first, fr := dial()
	waitFor(t, "the server counting one client", func() bool {
		first.Write([]byte("INFO clients\r\n"))
		head, _ := fr.ReadString('\n')
		n, _ := strconv.Atoi(strings.TrimSpace(strings.TrimPrefix(head, "$")))
		body := make([]byte, n+2)
		if _, err := io.ReadFull(fr, body); err != nil {
			t.Fatal(err)
		}
		return strings.Contains(string(body), "connected_clients:1\r\n")
	})
	for i := 2; i <= 10001; i++ {
		cn, r := dial()
		cn.Write([]byte("PING\r\n"))
		line, err := r.ReadString('\n')
		switch {
		case i <= 10000 && line != "+PONG\r\n":
			t.Fatalf("connection %d: %q %v, want +PONG", i, line, err)
		case i == 10001 && line != "-ERR max number of clients reached\r\n":
			t.Fatalf("connection 10001: %q %v, want the max clients error", line, err)
		}
	}
	last := bufio.NewReader(conns[len(conns)-1])
	if _, err := last.ReadByte(); err == nil {
		t.Error("the refused connection stayed open")
	}
	for _, cn := range conns {
		cn.Close()
	}
	conns = nil
	cn, r := dial()
	waitFor(t, "a new client served", func() bool {
		cn.Write([]byte("PING\r\n"))
		line, _ := r.ReadString('\n')
		return line == "+PONG\r\n"
	})
}

// TestSlowloris: 1,000 connections each announce a 1 MB argument and then trickle
// its bytes; the server keeps answering other clients, and its memory grows by far
// less than the 1 GB announced (argument buffers grow with what arrives).
func TestSlowloris(t *testing.T) {
	bin := buildShoal(t)
	cmd, c := startProc(t, bin)
	ctx := context.Background()
	before := rssKB(cmd.Process.Pid)
	var conns []net.Conn
	defer func() {
		for _, cn := range conns {
			cn.Close()
		}
	}()
	for range 1000 {
		cn, err := net.Dial("tcp", c.Options().Addr)
		if err != nil {
			t.Fatal(err)
		}
		conns = append(conns, cn)
		cn.Write([]byte("*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$1048576\r\n"))
	}
	for round := range 5 {
		for _, cn := range conns {
			cn.Write([]byte(strings.Repeat("x", 100)))
		}
		if err := c.Set(ctx, "normal", round, 0).Err(); err != nil {
			t.Fatalf("a normal client during the attack: %v", err)
		}
	}
	after := rssKB(cmd.Process.Pid)
	t.Logf("server RSS %d MB before, %d MB with 1,000 slow 1 MB arguments under way", before>>10, after>>10)
	if after-before > 256<<10 {
		t.Errorf("the server's RSS grew by %d MB for 1,000 announced 1 MB arguments of 500 bytes each so far", (after-before)>>10)
	}
}
