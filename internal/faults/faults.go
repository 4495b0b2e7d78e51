// Package faults is a TCP proxy that injects network faults into one link — a
// client's, a replica's, a gossip or Raft peer's — for the reliability tests: the
// link's traffic passes through a Link, whose mode can be changed at any moment.
//
//	pass       bytes flow both ways
//	blackhole  bytes are read and dropped both ways; connections stay open (a
//	           partition as TCP sees it: no RST, no FIN)
//	delay      each chunk is held for a duration before it is passed on
//	reset      every connection is closed at once, new ones too (a crash as peers see it)
//	oneway     bytes flow from the dialer to the target only; the replies are dropped
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
)

func (m Mode) String() string {
	return [...]string{"pass", "blackhole", "delay", "reset", "oneway"}[m]
}

// Link forwards the connections made to its address to a target, applying its mode.
type Link struct {
	ln     net.Listener
	target string

	mu    sync.Mutex
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
	l.wg.Add(1)
	go l.accept()
	return l, nil
}

// Addr is the address to dial instead of the target.
func (l *Link) Addr() string { return l.ln.Addr().String() }

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
		out, err := net.DialTimeout("tcp", l.target, 2*time.Second)
		if err != nil || !l.track(in, out) {
			in.Close()
			if out != nil {
				out.Close()
			}
			continue
		}
		l.wg.Add(2)
		ends := new(atomic.Int32)
		go l.pipe(in, out, true, ends)
		go l.pipe(out, in, false, ends)
	}
}

// pipe copies src to dst as the mode says; forward is the dialer-to-target
// direction. A direction that ends with EOF passes the half-close on; the pair is
// closed when both have ended, or at once on any other end.
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
		if n > 0 {
			l.mu.Lock()
			mode, delay := l.mode, l.delay
			l.mu.Unlock()
			switch {
			case mode == Reset:
				return
			case mode == Blackhole, mode == OneWay && !forward:
				// dropped
			default:
				if mode == Delay {
					time.Sleep(delay)
				}
				if _, werr := dst.Write(buf[:n]); werr != nil {
					return
				}
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
