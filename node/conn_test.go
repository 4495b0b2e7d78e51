package node

import (
	"bufio"
	"net"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

// countingConn counts the writes the server makes.
type countingConn struct {
	net.Conn
	writes atomic.Int64
}

func (c *countingConn) Write(b []byte) (int, error) {
	c.writes.Add(1)
	return c.Conn.Write(b)
}

// A pipeline that arrives in one read is answered with one write.
func TestPipelineOneFlushPerBatch(t *testing.T) {
	s, _ := startShoal(t, "protected-mode", "no") // a net.Pipe peer is not loopback
	server, client := net.Pipe()
	cc := &countingConn{Conn: server}
	done := make(chan struct{})
	go func() {
		s.serveConn(cc)
		close(done)
	}()
	defer func() {
		client.Close()
		<-done
	}()
	const n = 100
	go client.Write([]byte(strings.Repeat("*1\r\n$4\r\nPING\r\n", n)))
	client.SetReadDeadline(time.Now().Add(5 * time.Second))
	r := bufio.NewReader(client)
	for i := range n {
		line, err := r.ReadString('\n')
		if err != nil || line != "+PONG\r\n" {
			t.Fatalf("reply %d: %q %v", i, line, err)
		}
	}
	if w := cc.writes.Load(); w != 1 {
		t.Fatalf("%d pipelined PINGs took %d writes, want 1", n, w)
	}
}
