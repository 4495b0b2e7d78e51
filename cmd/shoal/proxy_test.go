package main

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"os/exec"
	"strconv"
	"strings"
	"syscall"
	"testing"

	"github.com/shoal-db/shoal/internal/clustertest"
)

// TestProxyProcess: `shoal proxy` in front of a cluster of three node processes
// follows it by gossip; redis-cli and redis-benchmark (when installed) work through
// it as against one server; it serves its metrics and stops cleanly on SIGTERM.
func TestProxyProcess(t *testing.T) {
	ctx := context.Background()
	bin := buildShoal(t)
	c := clustertest.Start(t, 1, 0)
	var addrs []string
	for range 3 {
		_, cl := startProc(t, bin, "--dir", t.TempDir(), "--cluster-enabled", "yes", "--cluster-secret", clustertest.Secret,
			"--cluster-port", "{port}")
		addrs = append(addrs, cl.Options().Addr)
	}
	// shoal cluster create --if-new, as a compose or Kubernetes start-up step runs it:
	// the cluster the first time, nothing the second.
	for i, want := range []string{"[OK] All 16384 slots covered", "nothing to create"} {
		out, err := exec.Command(bin, append([]string{"cluster", "--sentinels", c.Sentinels[0].Addr(), "create", "--if-new"}, addrs...)...).CombinedOutput()
		if err != nil || !strings.Contains(string(out), want) {
			t.Fatalf("shoal cluster create --if-new (run %d): %v\n%s", i+1, err, out)
		}
	}
	mp := freePort(t)
	proc, cl := startRole(t, bin, "proxy", "--cluster", addrs[0], "--cluster-secret", clustertest.Secret,
		"--metrics-port", strconv.Itoa(mp))
	waitFor(t, "a write through the proxy", func() bool { return cl.Set(ctx, "k", "v", 0).Err() == nil })
	port := strings.TrimPrefix(cl.Options().Addr, "127.0.0.1:")
	if _, err := exec.LookPath("redis-cli"); err == nil {
		for _, tc := range []struct{ args, want string }{
			{"MSET a 1 b 2 c 3", "OK"},
			{"MGET c b a nope", "3\n2\n1\n"},
			{"DBSIZE", "4"},
			{"SELECT 1", "ERR SELECT is not allowed in cluster mode"},
		} {
			out, _ := exec.Command("redis-cli", append([]string{"-p", port}, strings.Fields(tc.args)...)...).CombinedOutput()
			if strings.TrimSpace(string(out)) != strings.TrimSpace(tc.want) {
				t.Errorf("redis-cli %s through the proxy: %q, want %q", tc.args, out, tc.want)
			}
		}
	} else {
		t.Log("redis-cli is not installed (apt-get install redis-tools)")
	}
	if _, err := exec.LookPath("redis-benchmark"); err == nil {
		out, err := exec.Command("redis-benchmark", "-p", port, "-t", "set,get,mset,lpush,lpop", "-n", "2000", "-c", "10", "-P", "4", "-q").CombinedOutput()
		if err != nil || strings.Count(string(out), "requests per second") != 5 {
			t.Errorf("redis-benchmark through the proxy: %v\n%s", err, out)
		}
	} else {
		t.Log("redis-benchmark is not installed (apt-get install redis-tools)")
	}
	resp, err := http.Get(fmt.Sprintf("http://127.0.0.1:%d/metrics", mp))
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	for _, want := range []string{"shoal_proxy_requests_total ", "shoal_proxy_topology_epoch ", "shoal_proxy_node_latency_seconds_bucket"} {
		if !strings.Contains(string(body), want) {
			t.Errorf("the proxy's /metrics lacks %q", want)
		}
	}
	if err := proc.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	v, _ := procExits.Load(proc)
	<-v.(chan struct{})
	if !proc.ProcessState.Success() {
		t.Errorf("the proxy exited with %v after SIGTERM", proc.ProcessState)
	}
}
