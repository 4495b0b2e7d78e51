package failover

import (
	"io"
	"net"
	"testing"
	"time"

	"github.com/hashicorp/raft"
)

// TestRaftNeedsSecret: a sentinel's Raft port answers a Raft RPC only from a peer that
// proves it knows the cluster secret: a plain Raft transport and one with another
// secret get no answer, one with the secret does.
func TestRaftNeedsSecret(t *testing.T) {
	st, err := OpenStore(StoreConfig{ID: "s0", Dir: t.TempDir(), Bind: "127.0.0.1:0", Bootstrap: true, Fast: true, Secret: "sesame"}, NewFSM())
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	vote := func(trans raft.Transport) error {
		var resp raft.RequestVoteResponse
		return trans.RequestVote("s0", raft.ServerAddress(st.Addr()), &raft.RequestVoteRequest{
			RPCHeader: raft.RPCHeader{ProtocolVersion: raft.ProtocolVersionMax, ID: []byte("intruder"), Addr: []byte("127.0.0.1:1")},
			Term:      1000,
		}, &resp)
	}
	withKey := func(secret string) raft.Transport {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		trans := raft.NewNetworkTransport(&streamLayer{ln: ln, adv: ln.Addr(), key: raftKey(secret)}, 1, 2*time.Second, io.Discard)
		t.Cleanup(func() { trans.Close() })
		return trans
	}
	plain, err := raft.NewTCPTransport("127.0.0.1:0", nil, 1, 2*time.Second, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	defer plain.Close()
	if err := vote(plain); err == nil {
		t.Error("a Raft peer without the secret was answered")
	}
	if err := vote(withKey("open sesame")); err == nil {
		t.Error("a Raft peer with another secret was answered")
	}
	if err := vote(withKey("sesame")); err != nil {
		t.Errorf("a Raft peer with the secret: %v", err)
	}
}
