package resp

import (
	"bytes"
	"errors"
	"fmt"
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

// TestRawConnReadLoop runs a request/reply exchange and a stream of bytes through a
// ReadLoop: nothing is lost or waited for in vain when the loop skips the read after a
// short one, and Close, a deadline and the peer's close end it.
func TestRawConnReadLoop(t *testing.T) {
	for _, network := range []string{"tcp", "unix"} {
		t.Run(network, func(t *testing.T) {
			raw, peer := connPair(t, network)
			lr, ok := raw.(LoopReader)
			if !ok {
				t.Skip("no LoopReader on this platform")
			}
			// Request/reply: the peer sends the next request once the reply is in,
			// so most reads are short and most waits skip a read.
			const rounds = 2000
			done := make(chan error, 1)
			go func() {
				buf := make([]byte, 8)
				for i := range rounds {
					if _, err := peer.Write([]byte{byte(i)}); err != nil {
						done <- err
						return
					}
					if _, err := io.ReadFull(peer, buf[:1]); err != nil || buf[0] != byte(i)+1 {
						done <- fmt.Errorf("reply %d: %v %v", i, buf[0], err)
						return
					}
				}
				done <- nil
			}()
			buf := make([]byte, 64)
			served, waits := 0, 0
			err := lr.ReadLoop(func() bool {
				for served < rounds {
					n, err := raw.Read(buf)
					if err == ErrWait {
						waits++
						return false
					}
					if err != nil || n != 1 {
						t.Errorf("read %d: %d bytes, %v", served, n, err)
						return true
					}
					raw.Write([]byte{buf[0] + 1})
					served++
				}
				return true
			})
			if err != nil || served != rounds {
				t.Fatalf("ReadLoop: %v after %d", err, served)
			}
			if err := <-done; err != nil {
				t.Fatal(err)
			}
			if waits == 0 {
				t.Fatal("no read returned ErrWait")
			}

			// A stream of small writes: every byte arrives, in order.
			const size = 1 << 20
			go func() {
				for off := 0; off < size; off += 1000 {
					chunk := make([]byte, min(1000, size-off))
					for i := range chunk {
						chunk[i] = byte((off + i) % 251)
					}
					peer.Write(chunk)
				}
			}()
			got := 0
			err = lr.ReadLoop(func() bool {
				for got < size {
					n, err := raw.Read(buf)
					if err == ErrWait {
						return false
					}
					if err != nil {
						t.Errorf("stream read at %d: %v", got, err)
						return true
					}
					for i := range n {
						if buf[i] != byte((got+i)%251) {
							t.Errorf("byte %d: %d", got+i, buf[i])
							return true
						}
					}
					got += n
				}
				return true
			})
			if err != nil || got != size {
				t.Fatalf("stream: %v after %d bytes", err, got)
			}

			// A deadline ends the wait; an ordinary Read works after ReadLoop.
			raw.SetReadDeadline(time.Now().Add(20 * time.Millisecond))
			err = lr.ReadLoop(func() bool {
				_, err := raw.Read(buf)
				return err != ErrWait
			})
			if !errors.Is(err, os.ErrDeadlineExceeded) {
				t.Fatalf("ReadLoop past its deadline: %v", err)
			}
			raw.SetReadDeadline(time.Time{})
			peer.Write([]byte("x"))
			if n, err := raw.Read(buf); n != 1 || err != nil {
				t.Fatalf("Read after ReadLoop: %d, %v", n, err)
			}

			// The peer's close is io.EOF inside the loop.
			peer.Close()
			var last error
			lr.ReadLoop(func() bool {
				_, last = raw.Read(buf)
				return last != ErrWait
			})
			if last != io.EOF {
				t.Fatalf("read after the peer closed: %v", last)
			}
		})
	}
}

// TestRawConnReadLoopClose: Close ends a ReadLoop, whether it waits in the poller or
// runs its step, and never waits for the ReadLoop to return: not when called from
// inside the step, nor from a goroutine the step waits for.
func TestRawConnReadLoopClose(t *testing.T) {
	// From another goroutine, while the loop waits in the poller.
	raw, _ := connPair(t, "tcp")
	lr, ok := raw.(LoopReader)
	if !ok {
		t.Skip("no LoopReader on this platform")
	}
	buf := make([]byte, 16)
	calls := 0
	err := lr.ReadLoop(func() bool {
		calls++
		_, err := raw.Read(buf)
		switch {
		case err == ErrWait && calls == 1:
			go raw.Close()
			return false
		case err == ErrWait:
			return false
		}
		if !errors.Is(err, net.ErrClosed) {
			t.Errorf("read after Close: %v", err)
		}
		return true
	})
	if err != nil && !errors.Is(err, net.ErrClosed) {
		t.Fatalf("ReadLoop ended by Close: %v", err)
	}
	if err := lr.ReadLoop(func() bool { return true }); !errors.Is(err, net.ErrClosed) {
		t.Fatalf("ReadLoop after Close: %v", err)
	}

	// From inside the step, and from a goroutine the step waits for: Close returns at
	// once, the next read fails, and the peer sees the socket closed once the loop
	// has returned.
	for _, inside := range []bool{true, false} {
		raw, peer := connPair(t, "tcp")
		lr := raw.(LoopReader)
		var last error
		lr.ReadLoop(func() bool {
			if inside {
				raw.Close()
			} else {
				closed := make(chan struct{})
				go func() { raw.Close(); close(closed) }()
				<-closed
			}
			_, last = raw.Read(buf)
			return last != ErrWait
		})
		if !errors.Is(last, net.ErrClosed) {
			t.Fatalf("inside=%v: read after Close: %v", inside, last)
		}
		if _, err := peer.Read(buf); err != io.EOF {
			t.Fatalf("inside=%v: the peer reads %v, want EOF", inside, err)
		}
	}
}
