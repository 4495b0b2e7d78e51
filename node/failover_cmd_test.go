package node

import (
	"context"
	"fmt"
	"net"
	"os/exec"
	"strings"
	"testing"
	"time"
)

// TestFailoverCommand: FAILOVER TO hands a standalone primary's role to its replica
// — the replica turns primary with every write, the old primary follows it with a
// partial resynchronization — and answers Redis's errors; run against shoal and,
// when installed, a real Redis, each with replicas of its own kind.
func TestFailoverCommand(t *testing.T) {
	kinds := []string{"shoal"}
	if _, err := exec.LookPath("redis-server"); err == nil {
		kinds = append(kinds, "redis")
	}
	for _, kind := range kinds {
		t.Run(kind, func(t *testing.T) {
			ctx := context.Background()
			start := func(directives ...string) string {
				if kind == "redis" {
					return startRedis(t, directives...)
				}
				_, addr := startShoal(t, directives...)
				return addr
			}
			paddr := start()
			p := newClient(t, paddr, 2)
			runTranscript(t, p, []step{
				S("FAILOVER").Is(E("ERR FAILOVER requires connected replicas.")),
				S("FAILOVER", "ABORT").Is(E("ERR No failover in progress.")),
				S("FAILOVER", "TIMEOUT", "0").Is(E("ERR FAILOVER timeout must be greater than 0")),
				S("FAILOVER", "NOW").Is(E("ERR syntax error")),
			})
			host, port, _ := net.SplitHostPort(paddr)
			r1addr := start("replicaof", host+" "+port)
			start("replicaof", host+" "+port) // a second replica: it stays with the old primary
			r1 := newClient(t, r1addr, 2)
			waitFor(t, 10*time.Second, "both replicas online", func() bool {
				return strings.Count(p.Info(ctx, "replication").Val(), "state=online") == 2
			})
			for i := range 1000 {
				p.Set(ctx, fmt.Sprint("k", i), i, 0)
			}
			r1host, r1port, _ := net.SplitHostPort(r1addr)
			runTranscript(t, p, []step{
				S("FAILOVER", "TO", r1host, r1port, "FORCE").Is(E("ERR FAILOVER with force option requires both a timeout and target HOST and IP.")),
				S("FAILOVER", "TO", "127.0.0.1", "1").Is(E("ERR FAILOVER target HOST and PORT is not a replica.")),
				S("FAILOVER", "ABORT", "TIMEOUT", "10").Is(E("ERR syntax error")),
			})
			runTranscript(t, r1, []step{S("FAILOVER").Is(E("ERR FAILOVER is not valid when server is a replica."))})

			if err := p.Do(ctx, "FAILOVER", "TO", r1host, r1port, "TIMEOUT", "10000").Err(); err != nil {
				t.Fatalf("FAILOVER TO: %v", err)
			}
			waitFor(t, 10*time.Second, "the old primary following the new one", func() bool {
				info := p.Info(ctx, "replication").Val()
				return strings.Contains(info, "role:slave") && strings.Contains(info, "master_port:"+r1port+"\r") &&
					strings.Contains(info, "master_link_status:up") && strings.Contains(info, "master_failover_state:no-failover")
			})
			if info := r1.Info(ctx, "replication").Val(); !strings.Contains(info, "role:master") {
				t.Fatalf("the target is not a primary:\n%s", info)
			}
			if n := r1.DBSize(ctx).Val(); n != 1000 {
				t.Errorf("the new primary holds %d keys", n)
			}
			if err := p.Set(ctx, "k", "v", 0).Err(); err == nil || !strings.HasPrefix(err.Error(), "READONLY") {
				t.Errorf("SET on the old primary: %v", err)
			}
			if err := r1.Set(ctx, "after", "1", 0).Err(); err != nil {
				t.Errorf("SET on the new primary: %v", err)
			}
			waitFor(t, 10*time.Second, "the write on the old primary", func() bool { return p.Exists(ctx, "after").Val() == 1 })
			if info := r1.Info(ctx, "stats").Val(); !strings.Contains(info, "sync_partial_ok:1") {
				t.Errorf("the old primary did not resynchronize partially:\n%s", info)
			}
		})
	}
}
