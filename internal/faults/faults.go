// Package faults injects network faults for the reliability tests. A Link is a TCP
// proxy in front of one target whose mode can change at any moment; a Net gives
// every process of a test cluster its own Links to every address it dials, so that
// partitions between processes (both ways or one way), slow links and dropped
// connections can be set up and healed by name.
//
// Link modes:
//
//	pass        bytes flow both ways
//	blackhole   bytes are held both ways (not lost: a partition as TCP sees it, no
//	            RST, no FIN; they flow again when the link heals, unless an end gave
//	            up on the connection first)
//	delay       each chunk is held for a duration before it is passed on
//	reset       every connection is closed at once, new ones too (a crash as peers see it)
//	oneway      bytes flow from the dialer to the target only; the replies are held
//	onewayback  bytes flow from the target to the dialer only
//
// Schedules of mode changes are driven by the tests, from a seed, so a failing run can
// be replayed.
package faults

import (
	"errors"
	"io"
	"net"
	"sync"
	"sync/atomic"
	"time"
)

// Mode is what a Link does to its traffic.
type Mode int

const (
	Pass Mode = iota
	Blackhole
	Delay
	Reset
	OneWay
	OneWayBack
)

func (m Mode) String() string {
	return [...]string{"pass", "blackhole", "delay", "reset", "oneway", "onewayback"}[m]
}

// holds reports whether the mode holds back the bytes of one direction (forward:
// dialer to target).
func (m Mode) holds(forward bool) bool {
	return m == Blackhole || m == OneWay && !forward || m == OneWayBack && forward
}

// Link forwards the connections made to its address to a target, applying its mode.
type Link struct {
	ln     net.Listener
	target string

	mu    sync.Mutex
	moved *sync.Cond // broadcast on every mode change and on Close
	mode  Mode
	delay time.Duration
	conns map[net.Conn]struct{}
	done  bool
	wg    sync.WaitGroup
}

// Listen starts a Link on addr (host:0 for any free port) forwarding to target, in
// Pass mode.
func Listen(addr, target string) (*Link, error) {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, err
	}
	l := &Link{ln: ln, target: target, conns: map[net.Conn]struct{}{}}
	l.moved = sync.NewCond(&l.mu)
	l.wg.Add(1)
	go l.accept()
	return l, nil
}

// Addr is the address to dial instead of the target.
func (l *Link) Addr() string { return l.ln.Addr().String() }

// Target is the address the link forwards to.
func (l *Link) Target() string { return l.target }

// Set changes the link's mode (and, for Delay, the delay) from now on; Reset closes
// every open connection.
func (l *Link) Set(m Mode, delay time.Duration) {
	l.mu.Lock()
	l.mode, l.delay = m, delay
	var cut []net.Conn
	if m == Reset {
		for c := range l.conns {
			cut = append(cut, c)
		}
	}
	l.moved.Broadcast()
	l.mu.Unlock()
	for _, c := range cut {
		c.Close()
	}
}

// Mode returns the current mode.
func (l *Link) Mode() Mode {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.mode
}

// Close stops the link and closes its connections.
func (l *Link) Close() error {
	l.mu.Lock()
	l.done = true
	for c := range l.conns {
		c.Close()
	}
	l.moved.Broadcast()
	l.mu.Unlock()
	err := l.ln.Close()
	l.wg.Wait()
	return err
}

func (l *Link) track(cs ...net.Conn) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.done || l.mode == Reset {
		return false
	}
	for _, c := range cs {
		l.conns[c] = struct{}{}
	}
	return true
}

func (l *Link) untrack(cs ...net.Conn) {
	l.mu.Lock()
	for _, c := range cs {
		delete(l.conns, c)
		c.Close()
	}
	l.mu.Unlock()
}

func (l *Link) accept() {
	defer l.wg.Done()
	for {
		in, err := l.ln.Accept()
		if err != nil {
			return
		}
		l.wg.Add(1)
		go func() {
			defer l.wg.Done()
			// A dial into a blackhole hangs as a SYN would, until the link heals or
			// the dialer gives up (its end closes, seen only once bytes may flow).
			if !l.await(true) {
				in.Close()
				return
			}
			out, err := net.DialTimeout("tcp", l.target, 2*time.Second)
			if err != nil || !l.track(in, out) {
				in.Close()
				if out != nil {
					out.Close()
				}
				return
			}
			l.wg.Add(2)
			ends := new(atomic.Int32)
			go l.pipe(in, out, true, ends)
			go l.pipe(out, in, false, ends)
		}()
	}
}

// await waits while the mode holds the direction's bytes; it reports false when the
// link closed or was reset.
func (l *Link) await(forward bool) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	for !l.done && l.mode.holds(forward) {
		l.moved.Wait()
	}
	return !l.done && l.mode != Reset
}

// pipe copies src to dst as the mode says; forward is the dialer-to-target
// direction. Held bytes wait in the pipe (and, behind it, in the kernel's buffers,
// so the sender sees a stalled peer). A direction that ends with EOF passes the
// half-close on once it may flow; the pair is closed when both have ended, or at
// once on any other end.
func (l *Link) pipe(src, dst net.Conn, forward bool, ends *atomic.Int32) {
	defer l.wg.Done()
	halfClosed := false
	defer func() {
		if !halfClosed || ends.Add(1) == 2 {
			l.untrack(src, dst)
		}
	}()
	buf := make([]byte, 32<<10)
	for {
		n, err := src.Read(buf)
		if !l.await(forward) {
			return
		}
		if n > 0 {
			l.mu.Lock()
			mode, delay := l.mode, l.delay
			l.mu.Unlock()
			if mode == Delay {
				time.Sleep(delay)
				if !l.await(forward) { // (a cut that came meanwhile holds the chunk too)
					return
				}
			}
			if _, werr := dst.Write(buf[:n]); werr != nil {
				return
			}
		}
		if err != nil {
			if tc, ok := dst.(*net.TCPConn); ok && errors.Is(err, io.EOF) {
				tc.CloseWrite()
				halfClosed = true
			}
			return
		}
	}
}
