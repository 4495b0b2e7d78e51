package node

import (
	"fmt"
	"io"
	"net"
	"testing"
	"time"
)

// BenchmarkSetReplicas is SET of a 16-byte value over 100,000 keys on a primary with 0,
// 1 and 2 replicas: the executor and the replication feed, with each replica a real
// connection (PSYNC, then every byte read and dropped). The difference between the
// sub-benchmarks is what each replica costs the primary per write.
func BenchmarkSetReplicas(b *testing.B) {
	for _, n := range []int{0, 1, 2} {
		b.Run(fmt.Sprintf("replicas=%d", n), func(b *testing.B) {
			s, c := benchClient(b, "repl-diskless-sync-delay", "0")
			for range n {
				benchReplica(b, s)
			}
			keys := benchKeys(100_000)
			set := [][]byte{[]byte("SET"), nil, []byte("0123456789abcdef")}
			b.ReportAllocs()
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				set[1] = keys[i%len(keys)]
				s.execute(c, set)
				c.w.Reset()
			}
		})
	}
}

// benchReplica connects a replica to s that reads the stream and drops it, and waits
// until s counts it online.
func benchReplica(b *testing.B, s *Server) {
	b.Helper()
	before := onlineReplicas(s)
	conn, err := net.Dial("tcp", s.Addr().String())
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { conn.Close() })
	if _, err := io.WriteString(conn, "REPLCONF capa eof capa psync2\r\nPSYNC ? -1\r\n"); err != nil {
		b.Fatal(err)
	}
	go io.Copy(io.Discard, conn)
	// A diskless transfer counts the replica online at its first ACK.
	for deadline := time.Now().Add(10 * time.Second); onlineReplicas(s) == before; {
		if time.Now().After(deadline) {
			b.Fatal("the replica did not come online")
		}
		io.WriteString(conn, "REPLCONF ACK 0\r\n")
		time.Sleep(10 * time.Millisecond)
	}
}

// onlineReplicas counts s's replicas in the online state.
func onlineReplicas(s *Server) int {
	s.repl.mu.Lock()
	defer s.repl.mu.Unlock()
	n := 0
	for _, rp := range s.repl.replicas {
		if rp.state == replOnline {
			n++
		}
	}
	return n
}
