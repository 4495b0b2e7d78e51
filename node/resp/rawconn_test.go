package resp

import (
	"bytes"
	"errors"
	"io"
	"net"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"
)

// connPair returns the two ends of a real socket of network ("tcp" or "unix"), the
// first through RawConn.
func connPair(t *testing.T, network string) (net.Conn, net.Conn) {
	t.Helper()
	addr := "127.0.0.1:0"
	if network == "unix" {
		addr = filepath.Join(t.TempDir(), "s")
	}
	ln, err := net.Listen(network, addr)
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	accepted := make(chan net.Conn, 1)
	go func() {
		c, _ := ln.Accept()
		accepted <- c
	}()
	c, err := net.Dial(network, ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	peer := <-accepted
	if peer == nil {
		t.Fatal("accept failed")
	}
	raw := RawConn(c)
	t.Cleanup(func() { raw.Close(); peer.Close() })
	return raw, peer
}

func TestRawConnIO(t *testing.T) {
	for _, network := range []string{"tcp", "unix"} {
		t.Run(network, func(t *testing.T) {
			raw, peer := connPair(t, network)
			if _, err := raw.Write([]byte("hello")); err != nil {
				t.Fatal(err)
			}
			buf := make([]byte, 5)
			if _, err := io.ReadFull(peer, buf); err != nil || string(buf) != "hello" {
				t.Fatalf("peer read %q, %v", buf, err)
			}
			peer.Write([]byte("world"))
			if _, err := io.ReadFull(raw, buf); err != nil || string(buf) != "world" {
				t.Fatalf("raw read %q, %v", buf, err)
			}
			if n, err := raw.Read(nil); n != 0 || err != nil {
				t.Fatalf("empty read: %d, %v", n, err)
			}

			// Writes far larger than the socket's buffer, from several goroutines at
			// once: each Write's bytes arrive whole and in order, while the peer reads
			// slowly (the writers meet EAGAIN and wait in the poller).
			const writers, size = 4, 3 << 20
			var wg sync.WaitGroup
			for i := range writers {
				wg.Add(1)
				go func() {
					defer wg.Done()
					msg := bytes.Repeat([]byte{byte('a' + i)}, size)
					if n, err := raw.Write(msg); n != size || err != nil {
						t.Errorf("write %d: %d, %v", i, n, err)
					}
				}()
			}
			got := make([]byte, writers*size)
			for off := 0; off < len(got); {
				n, err := peer.Read(got[off:min(len(got), off+64<<10)])
				if err != nil {
					t.Fatal(err)
				}
				off += n
			}
			wg.Wait()
			seen := map[byte]bool{}
			for i := 0; i < len(got); i += size {
				b := got[i]
				if seen[b] || !bytes.Equal(got[i:i+size], bytes.Repeat([]byte{b}, size)) {
					t.Fatalf("write at %d interleaved or repeated", i)
				}
				seen[b] = true
			}

			// The peer's close is io.EOF.
			peer.Close()
			if n, err := raw.Read(buf); n != 0 || err != io.EOF {
				t.Fatalf("read after the peer closed: %d, %v", n, err)
			}
		})
	}
}

func TestRawConnDeadlineAndClose(t *testing.T) {
	raw, peer := connPair(t, "tcp")
	buf := make([]byte, 16)

	raw.SetReadDeadline(time.Now().Add(20 * time.Millisecond))
	if _, err := raw.Read(buf); !errors.Is(err, os.ErrDeadlineExceeded) {
		t.Fatalf("read past its deadline: %v", err)
	}
	raw.SetReadDeadline(time.Time{})
	peer.Write([]byte("x"))
	if n, err := raw.Read(buf); n != 1 || err != nil {
		t.Fatalf("read after the deadline was lifted: %d, %v", n, err)
	}

	// Close from another goroutine ends a read waiting in the poller.
	time.AfterFunc(10*time.Millisecond, func() { raw.Close() })
	if _, err := raw.Read(buf); !errors.Is(err, net.ErrClosed) {
		t.Fatalf("read ended by Close: %v", err)
	}
	if _, err := raw.Write([]byte("x")); !errors.Is(err, net.ErrClosed) {
		t.Fatalf("write after Close: %v", err)
	}
}

func TestRawConnWriteToClosedPeer(t *testing.T) {
	raw, peer := connPair(t, "tcp")
	peer.Close()
	// The first writes may be accepted by the kernel; once the peer's reset is back,
	// a write fails (EPIPE or ECONNRESET), and the process goes on.
	deadline := time.Now().Add(10 * time.Second)
	for {
		if _, err := raw.Write(make([]byte, 1024)); err != nil {
			return
		}
		if time.Now().After(deadline) {
			t.Fatal("writes to a closed peer kept succeeding")
		}
		time.Sleep(time.Millisecond)
	}
}

func TestRawConnOtherConns(t *testing.T) {
	a, b := net.Pipe()
	defer a.Close()
	defer b.Close()
	if RawConn(a) != a {
		t.Fatal("a conn without a socket was wrapped")
	}
}
