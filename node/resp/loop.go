package resp

import "errors"

// LoopReader is a conn whose reads can run inside one wait of the network poller: a
// connection's read loop is then spared the read that finds nothing after each reply
// (on Linux, the conns of RawConn; see rawConn.ReadLoop).
type LoopReader interface {
	// ReadLoop calls step, and again each time the socket may have more to read,
	// until step reports true (it is done) or the conn is closed or past its read
	// deadline (the error). Inside step, Read returns ErrWait instead of waiting for
	// the socket: step then returns false. While ReadLoop runs, only step reads the
	// conn; anything else may be done inside step, Close included (the socket closes
	// once ReadLoop returns).
	ReadLoop(step func() bool) error
}

// ErrWait is a Read's error inside LoopReader.ReadLoop when the socket has nothing to
// read yet.
var ErrWait = errors.New("resp: nothing to read yet")
