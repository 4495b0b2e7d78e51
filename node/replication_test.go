package node

import (
	"context"
	"net"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
)

// TestReplicaRedis: a real redis-server replicates from shoal — a full resynchronization
// from the fork-less snapshot while writes go on, then the stream (every command family,
// transactions, scripts, expiries); after its link is cut it continues with a partial
// resynchronization from the backlog.
func TestReplicaRedis(t *testing.T) {
	if _, err := exec.LookPath("redis-server"); err != nil {
		t.Skip("redis-server is not installed")
	}
	ctx := context.Background()
	_, saddr := startShoal(t)
	sc := newClient(t, saddr, 2)
	keys := dumpDataset(ctx, sc)
	host, port, _ := net.SplitHostPort(saddr)
	rc := newClient(t, startRedis(t, "replicaof", host+" "+port), 2)
	waitFor(t, 20*time.Second, "the replica to sync", func() bool {
		return strings.Contains(rc.Info(ctx, "replication").Val(), "master_link_status:up")
	})
	for _, cmd := range propagationScript[:len(propagationScript)-1] { // all but FLUSHDB
		sc.Do(ctx, cmd...)
	}
	keys = append(keys, "ex", "px", "f", "h", "l2", "z", "sc", "st", "rs", "rs2", "m1")
	same := func(what string) {
		t.Helper()
		var diff string
		waitFor(t, 20*time.Second, what, func() bool {
			diff = ""
			for _, k := range keys {
				if a, b := snapshot(ctx, sc, k), snapshot(ctx, rc, k); a != b {
					diff = k + ":\n  shoal   " + a + "\n  replica " + b
					return false
				}
			}
			return true
		})
		if diff != "" {
			t.Errorf("%s: %s", what, diff)
		}
	}
	same("the replica to apply the stream")
	info := sc.Info(ctx, "replication").Val()
	if !strings.Contains(info, "connected_slaves:1") || !strings.Contains(info, "state=online") {
		t.Errorf("INFO replication on the primary:\n%s", info)
	}
	// Cut the link: the replica reconnects and continues from the backlog.
	if err := sc.Do(ctx, "CLIENT", "KILL", "TYPE", "replica").Err(); err != nil {
		sc.Do(ctx, "CLIENT", "KILL", "TYPE", "slave")
	}
	sc.Set(ctx, "after-cut", "v", 0)
	keys = append(keys, "after-cut")
	waitFor(t, 20*time.Second, "a partial resynchronization", func() bool {
		return strings.Contains(sc.Info(ctx, "stats").Val(), "sync_partial_ok:1")
	})
	same("the replica to catch up after the cut")
	// WAIT: the write is acknowledged by the one replica.
	conn := sc.Conn()
	defer conn.Close()
	conn.Set(ctx, "waited", "v", 0)
	if n, err := conn.Do(ctx, "WAIT", 1, 0).Int(); err != nil || n != 1 {
		t.Errorf("WAIT 1 0 = %d, %v\n%s", n, err, sc.Info(ctx, "replication").Val())
	}
	if n, err := conn.Do(ctx, "WAIT", 2, 50).Int(); err != nil || n != 1 {
		t.Errorf("WAIT 2 50 (one replica) = %d, %v", n, err)
	}
}

var _ = redis.Nil
