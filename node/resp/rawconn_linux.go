package resp

import (
	"io"
	"net"
	"os"
	"sync"
	"sync/atomic"
	"syscall"
	"unsafe"
)

// RawConn returns a net.Conn that reads and writes c's socket with raw system calls
// (syscall.RawSyscall): c itself when it is not a TCP or Unix socket.
//
// Go's ordinary read and write on a socket tell the scheduler each time that the
// goroutine enters and leaves a system call. The first such call after the process was
// idle wakes the runtime's monitor thread, which then polls every 20 µs while the
// process is busy, and hands a processor that stays in a call past a poll to another
// thread. For a server whose every request is a read and a write of a non-blocking
// socket (neither ever waits: a socket that is not ready answers EAGAIN, and the
// goroutine parks in the network poller as before) that bookkeeping is pure cost: on
// a small machine it was 10–15% of a node's or the proxy's CPU time per request.
//
// The returned conn keeps c's semantics: deadlines, Close from another goroutine
// (which ends a Read or Write waiting in the poller), io.EOF at the peer's close, and
// a Write that writes all of p or returns an error. Reads are serialized, and so are
// writes.
func RawConn(c net.Conn) net.Conn {
	var sc syscall.Conn
	switch t := c.(type) {
	case *net.TCPConn:
		sc = t
	case *net.UnixConn:
		sc = t
	default:
		return c
	}
	rc, err := sc.SyscallConn()
	if err != nil {
		return c
	}
	r := &rawConn{Conn: c, rc: rc}
	r.readFn = r.read
	r.writeFn = r.write
	return r
}

// rawConn is RawConn's conn. The poller's RawConn.Read and Write call a func until it
// reports done, waiting for readiness between calls; the funcs are made once and take
// their arguments and results from the fields under rmu and wmu.
type rawConn struct {
	net.Conn
	rc syscall.RawConn

	rmu    sync.Mutex
	rp     []byte
	rn     int
	rerr   error
	readFn func(uintptr) bool

	// Inside ReadLoop: the socket, and whether the last read left it empty.
	loopFD  uintptr
	drained bool
	// looping (a ReadLoop runs) and closed (Close was called) change under cmu, so that
	// Close knows whether a ReadLoop holds the socket open.
	cmu     sync.Mutex
	looping atomic.Bool
	closed  atomic.Bool

	wmu     sync.Mutex
	wp      []byte
	wn      int
	werr    error
	writeFn func(uintptr) bool
}

// rawRW makes the read or write system call trap on fd with p, again when a signal
// interrupted it.
func rawRW(trap, fd uintptr, p []byte) (int, syscall.Errno) {
	for {
		n, _, e := syscall.RawSyscall(trap, fd, uintptr(unsafe.Pointer(unsafe.SliceData(p))), uintptr(len(p)))
		if e != syscall.EINTR {
			return int(n), e
		}
	}
}

// read is one attempt to read into rp: false when the socket has nothing yet.
func (r *rawConn) read(fd uintptr) bool {
	n, e := rawRW(syscall.SYS_READ, fd, r.rp)
	switch e {
	case 0:
		r.rn = n
		if n == 0 {
			r.rerr = io.EOF
		}
	case syscall.EAGAIN:
		return false
	default:
		r.rerr = os.NewSyscallError("read", e)
	}
	return true
}

// Read reads into p as net.Conn's Read; inside ReadLoop, as ReadLoop says.
func (r *rawConn) Read(p []byte) (int, error) {
	if len(p) == 0 {
		return 0, nil
	}
	if r.looping.Load() {
		return r.loopRead(p)
	}
	r.rmu.Lock()
	defer r.rmu.Unlock()
	r.rp, r.rn, r.rerr = p, 0, nil
	err := r.rc.Read(r.readFn)
	r.rp = nil
	if err != nil {
		return 0, err
	}
	return r.rn, r.rerr
}

// ReadLoop implements LoopReader.
//
// Go's Read forgets, as it starts, whether the poller saw the socket become readable,
// then reads; when the read finds nothing, the goroutine waits for the next edge. A
// server that has just answered a request therefore makes a read that finds nothing
// almost every time (the client has not sent the next one yet): a system call for
// nothing per request. Inside one poller read that the loop never leaves, the edge
// memory is kept: after a read that returned less than it asked for (which emptied the
// socket), data that arrives later is an edge the poller records, so the next wait
// can go straight to the poller (ErrWait) and the read after it finds the data.
func (r *rawConn) ReadLoop(step func() bool) error {
	r.rmu.Lock()
	defer r.rmu.Unlock()
	r.cmu.Lock()
	if r.closed.Load() {
		r.cmu.Unlock()
		return net.ErrClosed
	}
	r.looping.Store(true)
	r.cmu.Unlock()
	r.drained = false
	err := r.rc.Read(func(fd uintptr) bool {
		r.loopFD = fd
		return step()
	})
	r.cmu.Lock()
	r.looping.Store(false)
	r.cmu.Unlock()
	return err
}

// loopRead is Read inside ReadLoop: ErrWait instead of waiting.
func (r *rawConn) loopRead(p []byte) (int, error) {
	if r.closed.Load() {
		return 0, net.ErrClosed
	}
	if r.drained {
		r.drained = false
		return 0, ErrWait
	}
	n, e := rawRW(syscall.SYS_READ, r.loopFD, p)
	switch e {
	case 0:
		if n == 0 {
			return 0, io.EOF
		}
		r.drained = n < len(p)
		return n, nil
	case syscall.EAGAIN:
		return 0, ErrWait
	}
	return 0, os.NewSyscallError("read", e)
}

// Close closes the conn; a ReadLoop's reads fail from then on. Go's Close waits until
// no read or write holds the socket, and a ReadLoop holds it until it returns, which
// may take a command's time or wait for the caller itself (a server closing its
// clients under a lock a command needs, a client closed from inside its own loop): so
// while a ReadLoop runs, the socket is closed by another goroutine once it returns.
func (r *rawConn) Close() error {
	r.cmu.Lock()
	r.closed.Store(true)
	looping := r.looping.Load()
	r.cmu.Unlock()
	if looping {
		go r.Conn.Close()
		return nil
	}
	return r.Conn.Close()
}

// Unwrap returns the connection r reads and writes (for its socket options).
func (r *rawConn) Unwrap() net.Conn { return r.Conn }

// write writes what is left of wp: false when the socket's buffer is full first.
func (r *rawConn) write(fd uintptr) bool {
	for len(r.wp) > 0 {
		n, e := rawRW(syscall.SYS_WRITE, fd, r.wp)
		switch e {
		case 0:
			r.wn += n
			r.wp = r.wp[n:]
		case syscall.EAGAIN:
			return false
		default:
			r.werr = os.NewSyscallError("write", e)
			return true
		}
	}
	return true
}

// Write writes all of p as net.Conn's Write.
func (r *rawConn) Write(p []byte) (int, error) {
	r.wmu.Lock()
	defer r.wmu.Unlock()
	r.wp, r.wn, r.werr = p, 0, nil
	err := r.rc.Write(r.writeFn)
	r.wp = nil
	if err == nil {
		err = r.werr
	}
	return r.wn, err
}
