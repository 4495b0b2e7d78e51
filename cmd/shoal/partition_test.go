package main

import (
	"context"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
	"golang.org/x/sys/unix"

	"github.com/shoal-db/shoal/admin"
	"github.com/shoal-db/shoal/failover"
	"github.com/shoal-db/shoal/internal/clustertest"
)

// netns is a network namespace joined to the host by a veth pair: the host side has
// Host, the namespace side NS; Cut and Heal take the link down and up.
type netns struct {
	t        *testing.T
	name     string
	hostLink string
	Host, NS string
}

// newNetns creates a namespace for the test, or skips it where namespaces cannot be
// made (not root, no ip(8)).
func newNetns(t *testing.T) *netns {
	t.Helper()
	if os.Geteuid() != 0 {
		t.Skip("partition tests need root for network namespaces")
	}
	if _, err := exec.LookPath("ip"); err != nil {
		t.Skip("partition tests need ip(8) (iproute2)")
	}
	id := os.Getpid() % 10000
	n := &netns{t: t, name: fmt.Sprintf("shoal-part-%d", id), hostLink: fmt.Sprintf("shp%dh", id),
		Host: fmt.Sprintf("10.213.%d.1", id%250), NS: fmt.Sprintf("10.213.%d.2", id%250)}
	nsLink := fmt.Sprintf("shp%dn", id)
	n.cleanup()
	for _, cmd := range [][]string{
		{"netns", "add", n.name},
		{"link", "add", n.hostLink, "type", "veth", "peer", "name", nsLink},
		{"link", "set", nsLink, "netns", n.name},
		{"addr", "add", n.Host + "/24", "dev", n.hostLink},
		{"link", "set", n.hostLink, "up"},
		{"netns", "exec", n.name, "ip", "addr", "add", n.NS + "/24", "dev", nsLink},
		{"netns", "exec", n.name, "ip", "link", "set", nsLink, "up"},
		{"netns", "exec", n.name, "ip", "link", "set", "lo", "up"},
	} {
		if out, err := exec.Command("ip", cmd...).CombinedOutput(); err != nil {
			n.cleanup()
			t.Skipf("cannot set up a network namespace (ip %s: %v %s)", strings.Join(cmd, " "), err, out)
		}
	}
	t.Cleanup(n.cleanup)
	return n
}

func (n *netns) cleanup() {
	exec.Command("ip", "link", "del", n.hostLink).Run()
	exec.Command("ip", "netns", "del", n.name).Run()
}

func (n *netns) link(state string) {
	n.t.Helper()
	if out, err := exec.Command("ip", "link", "set", n.hostLink, state).CombinedOutput(); err != nil {
		n.t.Fatalf("ip link set %s %s: %v %s", n.hostLink, state, err, out)
	}
}

// Cut separates the namespace from the host; Heal joins them again.
func (n *netns) Cut()  { n.link("down") }
func (n *netns) Heal() { n.link("up") }

// Dial dials from inside the namespace (a client on its side of a partition): the
// socket is made on a thread moved into the namespace, and the thread is discarded.
func (n *netns) Dial(ctx context.Context, network, addr string) (net.Conn, error) {
	type result struct {
		c   net.Conn
		err error
	}
	ch := make(chan result, 1)
	go func() {
		runtime.LockOSThread() // never unlocked: the thread ends with the goroutine
		f, err := os.Open("/run/netns/" + n.name)
		if err != nil {
			ch <- result{nil, err}
			return
		}
		defer f.Close()
		if err := unix.Setns(int(f.Fd()), unix.CLONE_NEWNET); err != nil {
			ch <- result{nil, err}
			return
		}
		c, err := (&net.Dialer{}).DialContext(ctx, network, addr)
		ch <- result{c, err}
	}()
	r := <-ch
	return r.c, r.err
}

// freePorts finds n distinct free ports: the listeners stay open until all are
// found (so no two are the same), and the kernel hands out ports in turn.
func freePorts(t *testing.T, n int) []int {
	t.Helper()
	var ls []net.Listener
	var ports []int
	for range n {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		ls = append(ls, l)
		ports = append(ports, l.Addr().(*net.TCPAddr).Port)
	}
	for _, l := range ls {
		l.Close()
	}
	return ports
}

// startNode starts a data node process in cluster mode listening on ip:port, its
// gossip on busPort (inside the namespace when ns is set), with shard-durability
// mode; it is killed when the test ends.
func startNode(t *testing.T, bin string, ns *netns, ip, mode string, port, busPort int) string {
	t.Helper()
	args := []string{"server", "--port", strconv.Itoa(port), "--bind", ip, "--save", "", "--dir", t.TempDir(),
		"--cluster-enabled", "yes", "--cluster-secret", clustertest.Secret, "--cluster-port", strconv.Itoa(busPort),
		"--repl-diskless-sync-delay", "0", "--shard-durability", mode,
		"--protected-mode", "no"} // (clients on other addresses than loopback)
	cmd := exec.Command(bin, args...)
	if ns != nil {
		cmd = exec.Command("ip", append([]string{"netns", "exec", ns.name, bin}, args...)...)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		cmd.Process.Kill()
		cmd.Wait()
	})
	return net.JoinHostPort(ip, strconv.Itoa(port))
}

// TestPartitionedPrimary: a primary cut off from the sentinels and its replicas by a
// network partition, with clients on its side writing: it stops acknowledging writes
// before a replica, promoted on the majority side, acknowledges any; after the
// partition heals it comes back as a replica of the new primary, one primary for the
// shard. In safe mode (two replicas, so the new primary keeps one) every write the
// old primary acknowledged is on the new one; in async mode the writes lost are
// counted.
func TestPartitionedPrimary(t *testing.T) {
	bin := buildShoal(t)
	for _, mode := range []string{"async", "safe"} {
		t.Run(mode, func(t *testing.T) { partitionPrimary(t, bin, mode) })
	}
}

func partitionPrimary(t *testing.T, bin, mode string) {
	ns := newNetns(t)
	ctx := context.Background()
	c := clustertest.StartTuned(t, 3, 0, func(cfg *failover.SentinelConfig) {
		cfg.DownAfter, cfg.ProbeEvery = 500*time.Millisecond, 50*time.Millisecond
		cfg.Addr, cfg.Raft, cfg.Bus = ns.Host+":0", ns.Host+":0", ns.Host+":0"
	})
	var sentinels []string
	for _, s := range c.Sentinels {
		sentinels = append(sentinels, s.Addr())
	}
	replicas := 1
	if mode == "safe" {
		replicas = 2
	}
	ports := freePorts(t, 2*(1+replicas))                                     // (one node's gossip port is never another's client port)
	addrs := []string{startNode(t, bin, ns, ns.NS, mode, ports[0], ports[1])} // the primary, in the namespace
	for i := range replicas {
		addrs = append(addrs, startNode(t, bin, nil, ns.Host, mode, ports[2+2*i], ports[3+2*i])) // its replicas, on the host
	}
	a := admin.New(sentinels, io.Discard, nil)
	defer a.Close()
	waitFor(t, "the nodes listening", func() bool {
		for _, addr := range addrs {
			conn, err := net.Dial("tcp", addr)
			if err != nil {
				return false
			}
			conn.Close()
		}
		return true
	})
	if err := a.Create(addrs, replicas); err != nil {
		t.Fatal(err)
	}
	inside := redis.NewClient(&redis.Options{Addr: addrs[0], Dialer: ns.Dial, MaxRetries: -1, PoolSize: 4,
		DialTimeout: time.Second, ReadTimeout: 5 * time.Second})
	defer inside.Close()
	var outside []*redis.Client
	for _, addr := range addrs[1:] {
		cl := redis.NewClient(&redis.Options{Addr: addr, MaxRetries: -1, DialTimeout: time.Second, ReadTimeout: 5 * time.Second})
		defer cl.Close()
		outside = append(outside, cl)
	}
	waitFor(t, "a write and the replicas linked", func() bool {
		if inside.Set(ctx, "k", "v", 0).Err() != nil {
			return false
		}
		for _, cl := range outside {
			if !strings.Contains(cl.Info(ctx, "replication").Val(), "master_link_status:up") {
				return false
			}
		}
		return true
	})

	// Writers on the primary's side, each key written once, recording the
	// acknowledged ones and when the last acknowledgement came back.
	var (
		mu      sync.Mutex
		lastAck time.Time
		acked   []string
		done    = make(chan struct{})
		wg      sync.WaitGroup
	)
	for w := range 3 {
		wg.Go(func() {
			for i := 0; ; i++ {
				select {
				case <-done:
					return
				default:
				}
				k := fmt.Sprintf("w%d:%d", w, i)
				err := inside.Set(ctx, k, i, 0).Err()
				now := time.Now()
				mu.Lock()
				if err == nil {
					lastAck, acked = now, append(acked, k)
				}
				mu.Unlock()
				if err != nil {
					time.Sleep(5 * time.Millisecond)
				}
			}
		})
	}
	waitFor(t, "writes under way", func() bool { mu.Lock(); defer mu.Unlock(); return len(acked) > 100 })
	ns.Cut()
	// The first write a replica, promoted, acknowledges: sent at firstNew.
	var firstNew time.Time
	var promoted *redis.Client
	waitFor(t, "a replica promoted and taking writes", func() bool {
		firstNew = time.Now()
		for _, cl := range outside {
			if cl.Set(ctx, "k", "new", 0).Err() == nil {
				promoted = cl
				return true
			}
		}
		return false
	})
	mu.Lock()
	last := lastAck
	mu.Unlock()
	if !last.Before(firstNew) {
		t.Fatalf("the cut-off primary acknowledged a write %v after the new primary took one", last.Sub(firstNew))
	}
	t.Logf("the old primary's last acknowledged write came back %v before the new primary took its first", firstNew.Sub(last))
	waitFor(t, "the old primary refusing writes", func() bool {
		err := inside.Set(ctx, "probe", 1, 0).Err()
		return err != nil && strings.HasPrefix(err.Error(), "CLUSTERDOWN")
	})

	ns.Heal()
	healed := time.Now()
	waitFor(t, "the old primary replicating from the new one", func() bool {
		info := inside.Info(ctx, "replication").Val()
		return strings.Contains(info, "role:slave") && strings.Contains(info, "master_link_status:up")
	})
	t.Logf("healed: the old primary replicating after %v", time.Since(healed))
	close(done)
	wg.Wait()
	nodes, err := promoted.ClusterNodes(ctx).Result()
	if err != nil || strings.Count(nodes, "master") != 1 {
		t.Errorf("after healing, CLUSTER NODES:\n%s %v", nodes, err)
	}
	lost := 0
	cmds, err := promoted.Pipelined(ctx, func(p redis.Pipeliner) error {
		for _, k := range acked {
			p.Exists(ctx, k)
		}
		return nil
	})
	if err != nil && err != redis.Nil {
		t.Fatalf("reading the acknowledged writes: %v", err)
	}
	for _, cmd := range cmds {
		if cmd.(*redis.IntCmd).Val() != 1 {
			lost++
		}
	}
	t.Logf("%s mode: %d writes acknowledged by the old primary, %d of them lost", mode, len(acked), lost)
	if mode == "safe" && lost > 0 {
		t.Errorf("safe mode lost %d acknowledged writes", lost)
	}
}
