// Command failoverdrill measures failover drills on a running cluster (shoal or Redis
// Cluster): each drill finds the primary of a slot, writes to that slot through a
// go-redis ClusterClient, kills the primary with SIGKILL, and measures the
// unavailability window — from the kill to the first successful write to the slot.
// Then it restarts the killed node (its start script), waits until it is back as a
// replica in sync, and checks that every acknowledged write is still there.
//
// With -sentinels and -master it drills a standalone primary/replica group watched
// by sentinels (shoal's or Redis Sentinel) instead, writing through go-redis's
// FailoverClient.
//
// Each node's start script is <dir>/start-<port>.sh and writes the process ID to
// <dir>/<port>.pid. It prints one line per drill and a summary line:
// "median-ms max-ms acknowledged lost". Used by scripts/bench-failover.sh.
package main

import (
	"context"
	"flag"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/shoal-db/shoal/slots"
)

func main() {
	seed := flag.String("seed", "", "a node's address")
	dir := flag.String("dir", "", "directory of the start scripts and pid files")
	n := flag.Int("n", 20, "drills")
	slot := flag.Int("slot", 0, "the slot whose primary is killed (drills alternate with slot+8192)")
	sentinels := flag.String("sentinels", "", "sentinel addresses, comma-separated (a standalone group)")
	name := flag.String("master", "", "the group's master name (with -sentinels)")
	gap := flag.Duration("gap", 0, "pause between drills")
	flag.Parse()
	ctx := context.Background()
	var t target
	if *sentinels != "" {
		addrs := strings.Split(*sentinels, ",")
		t.client = redis.NewFailoverClient(&redis.FailoverOptions{MasterName: *name, SentinelAddrs: addrs,
			DialTimeout: 500 * time.Millisecond, ReadTimeout: time.Second, WriteTimeout: time.Second})
		sc := redis.NewSentinelClient(&redis.Options{Addr: addrs[0]})
		defer sc.Close()
		t.primary = func(context.Context, int) (string, error) {
			a, err := sc.GetMasterAddrByName(ctx, *name).Result()
			if err != nil {
				return "", err
			}
			return net.JoinHostPort(a[0], a[1]), nil
		}
	} else {
		cc := redis.NewClusterClient(&redis.ClusterOptions{Addrs: []string{*seed},
			// go-redis reads the slots again on MOVED, or every ClusterStateReloadInterval
			// (60 s by default); a dead primary sends no MOVED. Same setting for every
			// target.
			ClusterStateReloadInterval: 250 * time.Millisecond,
			DialTimeout:                500 * time.Millisecond, ReadTimeout: time.Second, WriteTimeout: time.Second})
		t.client = cc
		t.primary = func(ctx context.Context, s int) (string, error) { return primaryOf(ctx, cc, s) }
	}
	defer t.client.Close()
	var windows []float64
	acked, lost := 0, 0
	for d := 1; d <= *n; d++ {
		if d > 1 {
			time.Sleep(*gap)
		}
		s := (*slot + (d%2)*8192) % slots.Count
		w, a, l, err := drill(ctx, t, *dir, s, d)
		if err != nil {
			fmt.Fprintln(os.Stderr, "failoverdrill:", err)
			os.Exit(1)
		}
		fmt.Fprintf(os.Stderr, "drill %d: slot %d, unavailable %.0f ms, %d writes acknowledged, %d lost\n", d, s, w, a, l)
		windows = append(windows, w)
		acked += a
		lost += l
	}
	slices.Sort(windows)
	fmt.Printf("%.0f %.0f %d %d\n", windows[(len(windows)-1)/2], windows[len(windows)-1], acked, lost)
}

// target is what the drills write through, and how they find the primary to kill.
type target struct {
	client  redis.UniversalClient
	primary func(ctx context.Context, slot int) (string, error)
}

// drill runs one drill on slot s and returns the window in ms, the writes
// acknowledged and the acknowledged writes lost.
func drill(ctx context.Context, t target, dir string, s, round int) (float64, int, int, error) {
	cc := t.client
	addr, err := t.primary(ctx, s)
	if err != nil {
		return 0, 0, 0, err
	}
	_, port, _ := net.SplitHostPort(addr)
	pidb, err := os.ReadFile(filepath.Join(dir, port+".pid"))
	if err != nil {
		return 0, 0, 0, err
	}
	pid, _ := strconv.Atoi(strings.TrimSpace(string(pidb)))
	tag := tagOf(s)
	var keys []string
	write := func(i int) error {
		k := fmt.Sprintf("{%s}:%d:%d", tag, round, i)
		wctx, cancel := context.WithTimeout(ctx, 2*time.Second)
		defer cancel()
		err := cc.Set(wctx, k, i, 0).Err()
		if err == nil {
			keys = append(keys, k)
		}
		return err
	}
	i := 0
	for start := time.Now(); i < 200; i++ { // writes before the kill (the cluster may still settle)
		for err := write(i); err != nil; err = write(i) {
			if time.Since(start) > time.Minute {
				return 0, 0, 0, fmt.Errorf("write before the kill: %w", err)
			}
			time.Sleep(50 * time.Millisecond)
		}
	}
	// The replicas have every write (a replica still in its first full sync cannot take
	// over, in Redis Cluster as in shoal).
	if err := waitInSync(ctx, addr); err != nil {
		return 0, 0, 0, err
	}
	killed := time.Now()
	if err := syscall.Kill(pid, syscall.SIGKILL); err != nil {
		return 0, 0, 0, err
	}
	var window time.Duration
	for {
		i++
		if write(i) == nil {
			window = time.Since(killed)
			break
		}
		if time.Since(killed) > 2*time.Minute {
			return 0, 0, 0, fmt.Errorf("no write to slot %d within 2 minutes of the kill", s)
		}
	}
	for range 200 { // writes after the failover
		i++
		write(i)
	}
	// The killed node comes back and catches up as a replica.
	if out, err := exec.Command("sh", filepath.Join(dir, "start-"+port+".sh")).CombinedOutput(); err != nil {
		return 0, 0, 0, fmt.Errorf("restarting %s: %v %s", addr, err, out)
	}
	node := redis.NewClient(&redis.Options{Addr: addr, Protocol: 2, DisableIdentity: true, MaxRetries: -1})
	defer node.Close()
	deadline := time.Now().Add(2 * time.Minute)
	for {
		info, _ := node.Info(ctx, "replication").Result()
		if strings.Contains(info, "role:slave") && strings.Contains(info, "master_link_status:up") {
			break
		}
		if time.Now().After(deadline) {
			return 0, 0, 0, fmt.Errorf("%s not back as a replica in sync", addr)
		}
		time.Sleep(50 * time.Millisecond)
	}
	lost := 0
	for _, k := range keys {
		if err := cc.Get(ctx, k).Err(); err == redis.Nil {
			lost++
		} else if err != nil {
			return 0, 0, 0, fmt.Errorf("checking %s: %w", k, err)
		}
	}
	return float64(window.Microseconds()) / 1000, len(keys), lost, nil
}

// waitInSync waits until the primary at addr has a replica online at its offset.
func waitInSync(ctx context.Context, addr string) error {
	cl := redis.NewClient(&redis.Options{Addr: addr, Protocol: 2, DisableIdentity: true})
	defer cl.Close()
	for start := time.Now(); time.Since(start) < time.Minute; time.Sleep(50 * time.Millisecond) {
		info, err := cl.Info(ctx, "replication").Result()
		if err != nil {
			continue
		}
		off := ""
		for _, line := range strings.Split(info, "\r\n") {
			if v, ok := strings.CutPrefix(line, "master_repl_offset:"); ok {
				off = v
			}
		}
		for _, line := range strings.Split(info, "\r\n") {
			if strings.HasPrefix(line, "slave") && strings.Contains(line, "state=online") &&
				strings.Contains(line, ",offset="+off+",") {
				return nil
			}
		}
	}
	return fmt.Errorf("no replica of %s in sync", addr)
}

// primaryOf is the address of slot s's primary, from CLUSTER SLOTS.
func primaryOf(ctx context.Context, cc *redis.ClusterClient, s int) (string, error) {
	for range 100 {
		cc.ReloadState(ctx)
		rs, err := cc.ClusterSlots(ctx).Result()
		if err == nil {
			for _, r := range rs {
				if int(r.Start) <= s && s <= int(r.End) && len(r.Nodes) > 0 {
					return r.Nodes[0].Addr, nil
				}
			}
		}
		time.Sleep(100 * time.Millisecond)
	}
	return "", fmt.Errorf("no primary for slot %d", s)
}

// tagOf is a hash tag of slot s.
func tagOf(s int) string {
	for i := 0; ; i++ {
		t := "t" + strconv.Itoa(i)
		if slots.KeySlot([]byte(t)) == s {
			return t
		}
	}
}
