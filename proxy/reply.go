// Package proxy is `shoal proxy`: one RESP endpoint for clients that cannot follow
// a cluster's redirections. It routes each request by its keys' slot (the command
// table's key positions, the same data the nodes use) to the primary that owns it,
// passes the reply back byte for byte, and follows MOVED and ASK itself.
package proxy

import (
	"bufio"
	"errors"
	"io"
	"strconv"
)

// ErrReply is a malformed reply from a node (the connection is then dropped).
var ErrReply = errors.New("proxy: malformed reply from a node")

// maxDepth bounds the nesting of an aggregate reply; maxBulk the length of one bulk
// string; maxElems the elements of one aggregate (a node sending more is broken).
const (
	maxDepth = 64
	maxBulk  = 512 << 20
	maxElems = 1 << 28
)

// readReply appends to buf one whole RESP2/RESP3 reply read from br, exactly as it
// came, and returns buf.
func readReply(br *bufio.Reader, buf []byte) ([]byte, error) {
	return readValue(br, buf, 0)
}

func readValue(br *bufio.Reader, buf []byte, depth int) ([]byte, error) {
	if depth > maxDepth {
		return buf, ErrReply
	}
	line, err := br.ReadSlice('\n')
	if err != nil {
		if errors.Is(err, bufio.ErrBufferFull) {
			return buf, ErrReply // a header or simple reply longer than the buffer
		}
		return buf, err
	}
	if len(line) < 3 || line[len(line)-2] != '\r' {
		return buf, ErrReply
	}
	buf = append(buf, line...)
	body := line[1 : len(line)-2]
	switch line[0] {
	case '+', '-', ':', ',', '#', '_', '(':
		return buf, nil
	case '$', '=', '!': // bulk string, verbatim string, bulk error
		n, err := strconv.ParseInt(string(body), 10, 64)
		if err != nil || n < -1 || n > maxBulk {
			return buf, ErrReply
		}
		if n == -1 {
			return buf, nil
		}
		// In chunks: a reply that claims a long string but ends early costs no more
		// memory than what arrived.
		for left := n + 2; left > 0; {
			chunk := min(left, 64<<10)
			start := len(buf)
			buf = append(buf, make([]byte, chunk)...)
			if _, err := io.ReadFull(br, buf[start:]); err != nil {
				return buf, err
			}
			left -= chunk
		}
		if buf[len(buf)-2] != '\r' || buf[len(buf)-1] != '\n' {
			return buf, ErrReply
		}
		return buf, nil
	case '*', '~', '>', '%', '|': // array, set, push, map, attribute
		n, err := strconv.ParseInt(string(body), 10, 64)
		if err != nil || n < -1 || n > maxElems {
			return buf, ErrReply
		}
		if line[0] == '%' || line[0] == '|' {
			n *= 2
		}
		for range n {
			if buf, err = readValue(br, buf, depth+1); err != nil {
				return buf, err
			}
		}
		if line[0] == '|' { // an attribute comes before the reply it annotates
			return readValue(br, buf, depth)
		}
		return buf, nil
	}
	return buf, ErrReply
}
