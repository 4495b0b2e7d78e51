package proxy

import (
	"bufio"
	"errors"
	"net"
)

// A session's own connections carry what must not share a link: blocking commands
// (which may wait long), transactions with WATCH (the node keeps the watched keys
// per connection) and subscriptions. They are dialed on first use and closed with
// the session.

// errDial is a connection that could not be opened: nothing was sent.
var errDial = errors.New("proxy: cannot connect to the node")

// backend is one of a session's own connections to a node.
type backend struct {
	conn net.Conn
	br   *bufio.Reader
	bw   *bufio.Writer
}

// own is the session's connection to addr, dialed on first use.
func (s *session) ownConn(addr string) (*backend, error) {
	if b := s.own[addr]; b != nil {
		return b, nil
	}
	conn, err := dialNode(s.p.dialer(), addr, s.w.Proto, s.authCmd(), s.p.cfg.Timeout, false)
	if err != nil {
		return nil, errDial
	}
	b := &backend{conn: conn, br: bufio.NewReaderSize(conn, 16<<10), bw: bufio.NewWriterSize(conn, 16<<10)}
	s.own[addr] = b
	return b, nil
}

// roundTrip sends raw (after ASKING when asking) on the session's own connection to
// addr and reads the reply. No deadline: a blocking command waits as long as it asks.
func (s *session) roundTrip(addr string, raw []byte, asking bool) ([]byte, error) {
	rs, err := s.roundTrips(addr, raw, asking, 1)
	if err != nil {
		return nil, err
	}
	return rs[0], nil
}

// roundTrips is roundTrip for raw holding n requests: it returns their n replies
// (ASKING's is dropped).
func (s *session) roundTrips(addr string, raw []byte, asking bool, n int) ([][]byte, error) {
	b, err := s.ownConn(addr)
	if err != nil {
		return nil, err
	}
	if asking {
		b.bw.WriteString("*1\r\n$6\r\nASKING\r\n")
	}
	b.bw.Write(raw)
	if err := b.bw.Flush(); err != nil {
		return nil, err
	}
	if asking {
		if _, err := readReply(b.br, nil); err != nil {
			return nil, err
		}
	}
	out := make([][]byte, n)
	for i := range out {
		if out[i], err = readReply(b.br, nil); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// drop closes the session's own connection to addr.
func (s *session) drop(addr string) {
	if b := s.own[addr]; b != nil {
		b.conn.Close()
		delete(s.own, addr)
	}
}
