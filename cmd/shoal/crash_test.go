package main

import (
	"context"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
)

// startProc starts the built binary as "shoal server" with args on a free port and
// waits until it answers PING; an argument "{port}" is replaced by another free port.
// A free port may be taken by someone else before the server binds it: a server that
// exits at once is started again on new ports. The process is killed when the test
// ends.
func startProc(t *testing.T, bin string, args ...string) (*exec.Cmd, *redis.Client) {
	t.Helper()
	return startRole(t, bin, "server", append([]string{"--save", ""}, args...)...)
}

// startRole is startProc for "shoal <role> --port P --bind 127.0.0.1 args…".
func startRole(t *testing.T, bin, role string, args ...string) (*exec.Cmd, *redis.Client) {
	t.Helper()
	for attempt := 1; ; attempt++ {
		port := freePort(t)
		full := []string{role, "--port", strconv.Itoa(port), "--bind", "127.0.0.1"}
		for _, a := range args {
			if a == "{port}" {
				a = strconv.Itoa(freePort(t))
			}
			full = append(full, a)
		}
		cmd, exited := launch(t, bin, full)
		c := redis.NewClient(&redis.Options{Addr: "127.0.0.1:" + strconv.Itoa(port), MaxRetries: -1, PoolSize: 16})
		t.Cleanup(func() { c.Close() })
		if up(c, exited) {
			return cmd, c
		}
		if attempt == 3 {
			t.Fatalf("shoal %s did not start", role)
		}
	}
}

// launch starts bin with args, killed when the test ends; the channel is closed when
// it exits.
func launch(t *testing.T, bin string, args []string) (*exec.Cmd, chan struct{}) {
	t.Helper()
	cmd := exec.Command(bin, args...)
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan struct{})
	procExits.Store(cmd, exited)
	go func() {
		cmd.Wait()
		close(exited)
	}()
	t.Cleanup(func() {
		cmd.Process.Kill()
		<-exited
	})
	return cmd, exited
}

// startAgain starts what startProc or startRole started, once it exited, with the
// same arguments (the same ports and directory), and waits until c, its client,
// gets an answer to PING.
func startAgain(t *testing.T, old *exec.Cmd, c *redis.Client) *exec.Cmd {
	t.Helper()
	cmd, exited := launch(t, old.Path, old.Args[1:])
	if !up(c, exited) {
		t.Fatalf("%s did not start again", strings.Join(old.Args, " "))
	}
	return cmd
}

// up waits until c's server answers PING (true), exits or 20 s pass (false).
func up(c *redis.Client, exited chan struct{}) bool {
	deadline := time.Now().Add(20 * time.Second)
	for c.Ping(context.Background()).Err() != nil {
		select {
		case <-exited:
			return false
		default:
		}
		if time.Now().After(deadline) {
			return false
		}
		time.Sleep(10 * time.Millisecond)
	}
	return true
}

// procExits maps the processes startProc started to a channel closed when they exit.
var procExits sync.Map

func kill9(t *testing.T, cmd *exec.Cmd) {
	t.Helper()
	cmd.Process.Signal(syscall.SIGKILL)
	if ch, ok := procExits.Load(cmd); ok {
		<-ch.(chan struct{})
	}
}

// TestAOFKill9: with appendfsync always, every write acknowledged before kill -9 is
// there after a restart; with everysec, at most the writes acknowledged in the last
// second before the kill are missing.
func TestAOFKill9(t *testing.T) {
	bin := buildShoal(t)
	for _, policy := range []string{"always", "everysec"} {
		t.Run(policy, func(t *testing.T) { kill9Writers(t, bin, policy) })
	}
}

func kill9Writers(t *testing.T, bin, policy string) {
	dir := t.TempDir()
	cmd, c := startProc(t, bin, "--dir", dir, "--appendonly", "yes", "--appendfsync", policy)
	ctx := context.Background()
	const writers = 8
	acked := make([][]time.Time, writers) // when each push was acknowledged
	var wg sync.WaitGroup
	var total sync.WaitGroup
	total.Add(1)
	var once sync.Once
	var mu sync.Mutex
	count := 0
	for w := range writers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; ; i++ {
				if err := c.RPush(ctx, "list:"+strconv.Itoa(w), i).Err(); err != nil {
					return // the server is gone
				}
				acked[w] = append(acked[w], time.Now())
				mu.Lock()
				count++
				if count == 3000 {
					once.Do(total.Done)
				}
				mu.Unlock()
			}
		}()
	}
	total.Wait()
	killedAt := time.Now()
	kill9(t, cmd)
	wg.Wait()

	_, c2 := startProc(t, bin, "--dir", dir, "--appendonly", "yes")
	for w := range writers {
		got, err := c2.LRange(ctx, "list:"+strconv.Itoa(w), 0, -1).Result()
		if err != nil {
			t.Fatal(err)
		}
		for i, v := range got {
			if v != strconv.Itoa(i) {
				t.Fatalf("writer %d: element %d is %q", w, i, v)
			}
		}
		missing := acked[w][min(len(got), len(acked[w])):]
		if policy == "always" && len(missing) > 0 {
			t.Errorf("writer %d: %d acknowledged pushes, %d after the restart", w, len(acked[w]), len(got))
		}
		if len(missing) > 0 && killedAt.Sub(missing[0]) > time.Second {
			t.Errorf("writer %d (%s): a push acknowledged %v before the kill is missing", w, policy, killedAt.Sub(missing[0]))
		}
	}
}

// TestKill9DuringRewriteAndSave: killed during BGREWRITEAOF or BGSAVE, the server
// restarts from the files that were complete before.
func TestKill9DuringRewriteAndSave(t *testing.T) {
	bin := buildShoal(t)
	ctx := context.Background()
	fill := func(c *redis.Client) {
		p := c.Pipeline()
		for i := range 200000 {
			p.Set(ctx, "key:"+strconv.Itoa(i), "value-"+strconv.Itoa(i), 0)
		}
		if _, err := p.Exec(ctx); err != nil {
			t.Fatal(err)
		}
	}
	check := func(c *redis.Client, what string) {
		if n := c.DBSize(ctx).Val(); n != 200000 {
			t.Errorf("%s: %d keys after the restart", what, n)
		}
		if v := c.Get(ctx, "key:199999").Val(); v != "value-199999" {
			t.Errorf("%s: key:199999 = %q", what, v)
		}
	}
	t.Run("bgrewriteaof", func(t *testing.T) {
		dir := t.TempDir()
		cmd, c := startProc(t, bin, "--dir", dir, "--appendonly", "yes")
		fill(c)
		if err := c.BgRewriteAOF(ctx).Err(); err != nil {
			t.Fatal(err)
		}
		kill9(t, cmd)
		_, c2 := startProc(t, bin, "--dir", dir, "--appendonly", "yes")
		check(c2, "killed during BGREWRITEAOF")
	})
	t.Run("bgsave", func(t *testing.T) {
		dir := t.TempDir()
		cmd, c := startProc(t, bin, "--dir", dir)
		fill(c)
		if err := c.Save(ctx).Err(); err != nil {
			t.Fatal(err)
		}
		c.Set(ctx, "after-save", "x", 0)
		if err := c.BgSave(ctx).Err(); err != nil {
			t.Fatal(err)
		}
		kill9(t, cmd)
		_, c2 := startProc(t, bin, "--dir", dir)
		check(c2, "killed during BGSAVE")
	})
}
