package node

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/shoal-db/shoal/node/conf"
	"github.com/shoal-db/shoal/storage"
	"github.com/shoal-db/shoal/storage/aof"
	"github.com/shoal-db/shoal/storage/rdb"
)

// infoField reads one field of INFO replication.
func infoField(ctx context.Context, c *redis.Client, field string) string {
	for _, line := range strings.Split(c.Info(ctx, "replication").Val(), "\r\n") {
		if v, ok := strings.CutPrefix(line, field+":"); ok {
			return v
		}
	}
	return ""
}

// waitLinkUp waits until c reports master_link_status:up.
func waitLinkUp(t *testing.T, c *redis.Client) {
	t.Helper()
	waitFor(t, 30*time.Second, "master_link_status:up", func() bool {
		return infoField(context.Background(), c, "master_link_status") == "up"
	})
}

// dataset reads every key of database 0 of c in a comparable form.
func dataset(ctx context.Context, c *redis.Client) map[string]string {
	keys := c.Keys(ctx, "*").Val()
	sort.Strings(keys)
	out := make(map[string]string, len(keys))
	for _, k := range keys {
		out[k] = snapshot(ctx, c, k)
	}
	return out
}

// sameDataset waits until every replica reached the primary's stream offset and then
// holds the primary's dataset (the offsets first: they are cheap to read, and a
// dataset is compared only once they agree).
func sameDataset(t *testing.T, primary *redis.Client, replicas ...*redis.Client) {
	t.Helper()
	ctx := context.Background()
	var diff string
	defer func() {
		if t.Failed() {
			t.Log(diff)
		}
	}()
	sameOffsets := func() bool {
		off := infoField(ctx, primary, "master_repl_offset")
		for i, r := range replicas {
			if o := infoField(ctx, r, "master_repl_offset"); o != off {
				diff = fmt.Sprintf("replica %d at offset %s, primary at %s", i, o, off)
				return false
			}
		}
		return true
	}
	waitFor(t, 30*time.Second, "the replicas to hold the primary's dataset", func() bool {
		if !sameOffsets() {
			return false
		}
		want := dataset(ctx, primary)
		for i, r := range replicas {
			got := dataset(ctx, r)
			if len(got) != len(want) {
				diff = fmt.Sprintf("replica %d has %d keys, primary %d", i, len(got), len(want))
				for k := range want {
					if _, ok := got[k]; !ok {
						diff += "; missing " + k + ": " + want[k]
					}
				}
				for k := range got {
					if _, ok := want[k]; !ok {
						diff += "; extra " + k + ": " + got[k]
					}
				}
				return false
			}
			for k, v := range want {
				if got[k] != v {
					diff = fmt.Sprintf("replica %d, key %s:\n  primary %s\n  replica %s", i, k, v, got[k])
					return false
				}
			}
		}
		return sameOffsets() // nothing moved while the datasets were read
	})
}

// sameValues waits until replica holds the n string keys prefix0 … prefix(n-1) with
// the primary's values (DEBUG POPULATE's keys), reading them in batches.
func sameValues(t *testing.T, primary, replica *redis.Client, prefix string, n int) {
	t.Helper()
	ctx := context.Background()
	waitFor(t, 60*time.Second, "the replica to hold the primary's keys", func() bool {
		if replica.DBSize(ctx).Val() != primary.DBSize(ctx).Val() {
			return false
		}
		for i := 0; i < n; i += 1000 {
			var keys []string
			for j := i; j < min(i+1000, n); j++ {
				keys = append(keys, prefix+strconv.Itoa(j))
			}
			a, b := primary.MGet(ctx, keys...).Val(), replica.MGet(ctx, keys...).Val()
			if fmt.Sprint(a) != fmt.Sprint(b) {
				return false
			}
		}
		return true
	})
}

// streamAdvances waits until the primary's stream has grown by n bytes.
func streamAdvances(t *testing.T, c *redis.Client, n int64) {
	t.Helper()
	ctx := context.Background()
	from, _ := strconv.ParseInt(infoField(ctx, c, "master_repl_offset"), 10, 64)
	waitFor(t, 30*time.Second, "the stream to advance", func() bool {
		off, _ := strconv.ParseInt(infoField(ctx, c, "master_repl_offset"), 10, 64)
		return off >= from+n
	})
}

// writeLoad runs writes of every type on c from n goroutines until stop closes.
func writeLoad(c *redis.Client, n int, stop chan struct{}) *sync.WaitGroup {
	var wg sync.WaitGroup
	for g := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			ctx := context.Background()
			rnd := rand.New(rand.NewPCG(uint64(g), 7))
			for i := 0; ; i++ {
				select {
				case <-stop:
					return
				default:
				}
				k := strconv.Itoa(rnd.IntN(200))
				switch rnd.IntN(9) {
				case 0:
					c.Set(ctx, "s"+k, i, 0)
				case 1:
					c.Incr(ctx, "n"+k)
				case 2:
					c.RPush(ctx, "l"+k, i)
				case 3:
					c.SAdd(ctx, "set"+k, i%50)
				case 4:
					c.ZAdd(ctx, "z"+k, redis.Z{Score: float64(i % 30), Member: i % 40})
				case 5:
					c.HSet(ctx, "h"+k, strconv.Itoa(i%20), i)
				case 6:
					c.Do(ctx, "XADD", "x"+k, "MAXLEN", "50", "*", "f", i)
				case 7:
					c.Set(ctx, "e"+k, i, time.Duration(1+rnd.IntN(3))*time.Second)
				case 8:
					tx := c.TxPipeline()
					tx.Incr(ctx, "tx"+k)
					tx.LPop(ctx, "l"+k)
					tx.Del(ctx, "s"+k)
					tx.Exec(ctx)
				}
			}
		}()
	}
	return &wg
}

// TestReplicaOfShoal: a primary, a replica and a replica of the replica (a chain),
// all shoal, synchronizing while writes of every type go on; the datasets and offsets
// end equal; replicas refuse writes; an expired key leaves the replicas only through
// the primary's DEL; a cut link resynchronizes partially; REPLICAOF NO ONE promotes.
func TestReplicaOfShoal(t *testing.T) {
	ctx := context.Background()
	_, paddr := startShoal(t, "repl-diskless-sync-delay", "0", "enable-debug-command", "yes")
	pc := newClient(t, paddr, 2)
	keys := dumpDataset(ctx, pc)
	_ = keys
	stop := make(chan struct{})
	load := writeLoad(pc, 2, stop)
	host, port, _ := net.SplitHostPort(paddr)
	_, aaddr := startShoal(t, "replicaof", host+" "+port, "repl-diskless-sync", "no")
	ac := newClient(t, aaddr, 2)
	ahost, aport, _ := net.SplitHostPort(aaddr)
	_, baddr := startShoal(t, "replicaof", ahost+" "+aport, "repl-diskless-load", "swapdb")
	bc := newClient(t, baddr, 2)
	_, caddr := startShoal(t, "replicaof", host+" "+port, "repl-diskless-load", "on-empty-db")
	cc := newClient(t, caddr, 2)
	waitLinkUp(t, ac)
	waitLinkUp(t, bc)
	waitLinkUp(t, cc)
	streamAdvances(t, pc, 200_000) // writes go on while the replicas stream
	close(stop)
	load.Wait()
	sameDataset(t, pc, ac, bc, cc)

	if err := ac.Set(ctx, "k", "v", 0).Err(); err == nil || err.Error() != errReadOnlyReplica {
		t.Errorf("SET on a replica: %v", err)
	}
	if err := ac.Eval(ctx, "return redis.call('set','k','v')", nil).Err(); err == nil || !strings.Contains(err.Error(), "READONLY") {
		t.Errorf("a script writing on a replica: %v", err)
	}
	if role := ac.Do(ctx, "ROLE").Val().([]any); role[0] != "slave" || role[3] != "connected" {
		t.Errorf("ROLE on a replica = %v", role)
	}
	if role := pc.Do(ctx, "ROLE").Val().([]any); role[0] != "master" || len(role[2].([]any)) != 2 {
		t.Errorf("ROLE on the primary = %v", role)
	}

	// PUBLISH on the primary reaches subscribers of its replicas, down the chain.
	for _, rc := range []*redis.Client{ac, bc} {
		sub := rc.Subscribe(ctx, "news")
		if _, err := sub.Receive(ctx); err != nil {
			t.Fatal(err)
		}
		if err := pc.Publish(ctx, "news", "hello").Err(); err != nil {
			t.Fatal(err)
		}
		rctx, cancel := context.WithTimeout(ctx, 10*time.Second)
		if m, err := sub.ReceiveMessage(rctx); err != nil || m.Payload != "hello" {
			t.Errorf("a replica's subscriber: %v %v", m, err)
		}
		cancel()
		sub.Close()
	}

	// Expiry: the replica hides the key once its time passed, but removes it only when
	// the primary's DEL arrives.
	if err := pc.Do(ctx, "DEBUG", "SET-ACTIVE-EXPIRE", "0").Err(); err != nil {
		t.Fatal(err)
	}
	pc.FlushAll(ctx)
	pc.Set(ctx, "e", "v", 100*time.Millisecond)
	waitFor(t, 10*time.Second, "the key on the replica", func() bool { return ac.DBSize(ctx).Val() == 1 })
	waitFor(t, 10*time.Second, "the key to be past its expire", func() bool { return ac.Get(ctx, "e").Err() == redis.Nil })
	if n := ac.DBSize(ctx).Val(); n != 1 {
		t.Errorf("the replica removed an expired key by itself (DBSIZE %d)", n)
	}
	pc.Get(ctx, "e") // the primary expires it and propagates DEL
	waitFor(t, 10*time.Second, "the primary's DEL", func() bool {
		return ac.DBSize(ctx).Val() == 0 && bc.DBSize(ctx).Val() == 0 && cc.DBSize(ctx).Val() == 0
	})
	pc.Do(ctx, "DEBUG", "SET-ACTIVE-EXPIRE", "1")

	// Cut the links: partial resynchronizations continue from the backlog.
	pc.Do(ctx, "CLIENT", "KILL", "TYPE", "replica")
	pc.Set(ctx, "after-cut", "1", 0)
	waitFor(t, 10*time.Second, "partial resynchronizations", func() bool {
		return strings.Contains(pc.Info(ctx, "stats").Val(), "sync_partial_ok:2")
	})
	waitLinkUp(t, ac)
	sameDataset(t, pc, ac, bc, cc)

	// WAIT counts the direct replicas.
	waitLinkUp(t, cc)
	conn := pc.Conn()
	defer conn.Close()
	conn.Set(ctx, "w", "1", 0)
	if n, err := conn.Do(ctx, "WAIT", 2, 5000).Int(); err != nil || n != 2 {
		t.Errorf("WAIT 2 = %d, %v", n, err)
	}
	if n, err := conn.Do(ctx, "WAIT", 3, 100).Int(); err != nil || n != 2 {
		t.Errorf("WAIT 3 100 = %d, %v", n, err)
	}

	// Promotion: the replica becomes a writable primary; its own replica continues
	// partially under the new ID (PSYNC2).
	if err := ac.Do(ctx, "REPLICAOF", "NO", "ONE").Err(); err != nil {
		t.Fatal(err)
	}
	if err := ac.Set(ctx, "promoted", "1", 0).Err(); err != nil {
		t.Fatalf("SET on the promoted replica: %v", err)
	}
	waitLinkUp(t, bc)
	sameDataset(t, ac, bc)
	if got := infoField(ctx, ac, "master_replid2"); got != infoField(ctx, pc, "master_replid") {
		t.Errorf("master_replid2 after promotion = %s, want the old primary's ID", got)
	}
	if st := ac.Info(ctx, "stats").Val(); !strings.Contains(st, "sync_partial_ok:1") || !strings.Contains(st, "sync_full:1") {
		t.Errorf("the chained replica did not continue partially after the promotion:\n%s", st)
	}
}

// TestShoalReplicaOfRedis: shoal follows a real redis-server under write load — the
// zero-downtime migration path: it holds exactly the primary's dataset, survives a
// link drop with a partial resynchronization, and REPLICAOF NO ONE leaves a writable
// copy.
func TestShoalReplicaOfRedis(t *testing.T) {
	for _, diskless := range []string{"no", "yes"} {
		t.Run("repl-diskless-sync="+diskless, func(t *testing.T) {
			ctx := context.Background()
			// With a password: the replica authenticates with masterauth.
			raddr := startRedis(t, "repl-diskless-sync", diskless, "repl-diskless-sync-delay", "0", "requirepass", "pw")
			rc := redis.NewClient(&redis.Options{Addr: raddr, Password: "pw", Protocol: 2, DisableIdentity: true, MaxRetries: -1, PoolSize: 4})
			t.Cleanup(func() { rc.Close() })
			dumpDataset(ctx, rc)
			stop := make(chan struct{})
			load := writeLoad(rc, 2, stop)
			host, port, _ := net.SplitHostPort(raddr)
			_, saddr := startShoal(t, "replicaof", host+" "+port, "masterauth", "pw", "replica-announce-ip", "10.1.2.3")
			sc := newClient(t, saddr, 2)
			waitLinkUp(t, sc)
			streamAdvances(t, rc, 200_000)
			close(stop)
			load.Wait()
			sameDataset(t, rc, sc)
			if info := rc.Info(ctx, "replication").Val(); !strings.Contains(info, "ip=10.1.2.3,") {
				t.Errorf("the primary does not show the announced address:\n%s", info)
			}

			rc.Do(ctx, "CLIENT", "KILL", "TYPE", "replica")
			rc.Set(ctx, "after-cut", "1", 0)
			waitFor(t, 10*time.Second, "a partial resynchronization", func() bool {
				return strings.Contains(rc.Info(ctx, "stats").Val(), "sync_partial_ok:1")
			})
			waitLinkUp(t, sc)
			sameDataset(t, rc, sc)

			if err := sc.Do(ctx, "REPLICAOF", "NO", "ONE").Err(); err != nil {
				t.Fatal(err)
			}
			if err := sc.Set(ctx, "mine", "1", 0).Err(); err != nil {
				t.Errorf("SET after REPLICAOF NO ONE: %v", err)
			}
		})
	}
}

// TestReplicationFaults: min-replicas-to-write, a link cut for longer than the backlog
// holds (a full resynchronization), a replica killed and restarted mid full-sync, and
// a primary sending a bad RDB file or a bad stream (the link drops and is retried;
// nothing panics).
func TestReplicationFaults(t *testing.T) {
	ctx := context.Background()
	t.Run("min-replicas-to-write", func(t *testing.T) {
		_, paddr := startShoal(t, "min-replicas-to-write", "1", "min-replicas-max-lag", "1", "repl-diskless-sync-delay", "0")
		pc := newClient(t, paddr, 2)
		if err := pc.Set(ctx, "k", "v", 0).Err(); err == nil || err.Error() != errNoReplicas {
			t.Fatalf("SET with no replica: %v", err)
		}
		if err := pc.Get(ctx, "k").Err(); err != redis.Nil {
			t.Errorf("GET with no replica: %v", err)
		}
		host, port, _ := net.SplitHostPort(paddr)
		r, _ := startShoal(t, "replicaof", host+" "+port)
		waitFor(t, 30*time.Second, "writes to be accepted", func() bool { return pc.Set(ctx, "k", "v", 0).Err() == nil })
		if got := infoField(ctx, pc, "min_slaves_good_slaves"); got != "1" {
			t.Errorf("min_slaves_good_slaves = %q", got)
		}
		r.Close()
		waitFor(t, 30*time.Second, "writes to be refused again", func() bool {
			err := pc.Set(ctx, "k", "v", 0).Err()
			return err != nil && err.Error() == errNoReplicas
		})
	})
	t.Run("backlog overrun", func(t *testing.T) {
		_, paddr := startShoal(t, "repl-backlog-size", "16384", "repl-diskless-sync-delay", "0")
		pc := newClient(t, paddr, 2)
		host, port, _ := net.SplitHostPort(paddr)
		_, raddr := startShoal(t, "replicaof", host+" "+port)
		rc := newClient(t, raddr, 2)
		waitLinkUp(t, rc)
		pc.Do(ctx, "CLIENT", "KILL", "TYPE", "replica")
		pc.Set(ctx, "big", strings.Repeat("x", 64<<10), 0) // more than the backlog holds
		waitFor(t, 30*time.Second, "a second full resynchronization", func() bool {
			return strings.Contains(pc.Info(ctx, "stats").Val(), "sync_full:2")
		})
		sameDataset(t, pc, rc)
	})
	t.Run("replica killed mid full-sync", func(t *testing.T) {
		_, paddr := startShoal(t, "repl-diskless-sync", "no", "enable-debug-command", "yes")
		pc := newClient(t, paddr, 2)
		if err := pc.Do(ctx, "DEBUG", "POPULATE", "200000", "key", "100").Err(); err != nil {
			t.Fatal(err)
		}
		host, port, _ := net.SplitHostPort(paddr)
		dir := t.TempDir()
		r := newShoal(t, "replicaof", host+" "+port, "dir", dir)
		if err := r.Start(); err != nil {
			t.Fatal(err)
		}
		waitFor(t, 30*time.Second, "the full sync to start", func() bool {
			return strings.Contains(pc.Info(ctx, "stats").Val(), "sync_full:1")
		})
		r.Close()
		_, raddr := startShoal(t, "replicaof", host+" "+port, "dir", dir)
		rc := newClient(t, raddr, 2)
		waitLinkUp(t, rc)
		sameValues(t, pc, rc, "key:", 200000)
	})
	t.Run("link down", func(t *testing.T) {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		host, port, _ := net.SplitHostPort(ln.Addr().String())
		ln.Close() // nothing listens there
		_, raddr := startShoal(t, "replicaof", host+" "+port, "replica-serve-stale-data", "no")
		rc := newClient(t, raddr, 2)
		if err := rc.Get(ctx, "k").Err(); err == nil || err.Error() != errMasterDown {
			t.Errorf("GET with the link down and replica-serve-stale-data no: %v", err)
		}
		info := rc.Info(ctx, "replication").Val()
		for _, want := range []string{"role:slave", "master_link_status:down", "master_link_down_since_seconds:", "slave_read_only:1", "master_host:127.0.0.1"} {
			if !strings.Contains(info, want) {
				t.Errorf("INFO replication lacks %q:\n%s", want, info)
			}
		}
		role := rc.Do(ctx, "ROLE").Val().([]any)
		if role[0] != "slave" || role[4] != int64(-1) {
			t.Errorf("ROLE with the link down = %v", role)
		}
		rc.ConfigSet(ctx, "replica-serve-stale-data", "yes")
		if err := rc.Get(ctx, "k").Err(); err != redis.Nil {
			t.Errorf("GET with replica-serve-stale-data yes: %v", err)
		}
		rc.ConfigSet(ctx, "replica-read-only", "no")
		if err := rc.Set(ctx, "k", "v", 0).Err(); err != nil {
			t.Errorf("SET on a writable replica: %v", err)
		}
	})
	t.Run("replica output buffer limit", func(t *testing.T) {
		_, paddr := startShoal(t, "client-output-buffer-limit", "replica 1mb 0 0", "repl-diskless-sync", "no", "enable-debug-command", "yes")
		pc := newClient(t, paddr, 2)
		if err := pc.Do(ctx, "DEBUG", "POPULATE", "100000", "key", "100").Err(); err != nil {
			t.Fatal(err)
		}
		// A replica that never reads: its file and stream pile up until the limit.
		conn, err := net.Dial("tcp", paddr)
		if err != nil {
			t.Fatal(err)
		}
		defer conn.Close()
		conn.Write([]byte("PSYNC ? -1\r\n"))
		waitFor(t, 30*time.Second, "the replica to be dropped", func() bool {
			pc.Set(ctx, "k", strings.Repeat("v", 64<<10), 0)
			st := pc.Info(ctx, "stats").Val()
			return !strings.Contains(st, "client_output_buffer_limit_disconnections:0") &&
				infoField(ctx, pc, "connected_slaves") == "0"
		})
	})
	t.Run("online replica output buffer limit", func(t *testing.T) {
		_, paddr := startShoal(t, "client-output-buffer-limit", "replica 1mb 0 0", "repl-diskless-sync", "no")
		pc := newClient(t, paddr, 2)
		// A replica that takes its file, then stops reading the stream.
		conn, err := net.Dial("tcp", paddr)
		if err != nil {
			t.Fatal(err)
		}
		defer conn.Close()
		conn.Write([]byte("PSYNC ? -1\r\n"))
		br := bufio.NewReader(conn)
		line, _ := br.ReadString('\n')
		for line == "\n" { // (keepalives while the file is written)
			line, _ = br.ReadString('\n')
		}
		if !strings.HasPrefix(line, "+FULLRESYNC") {
			t.Fatalf("PSYNC answered %q", line)
		}
		for line == "\n" || !strings.HasPrefix(line, "$") {
			if line, err = br.ReadString('\n'); err != nil {
				t.Fatal(err)
			}
		}
		n, _ := strconv.Atoi(strings.TrimSpace(line[1:]))
		if _, err := io.CopyN(io.Discard, br, int64(n)); err != nil {
			t.Fatal(err)
		}
		waitFor(t, 10*time.Second, "the replica to be online", func() bool {
			return strings.Contains(pc.Info(ctx, "replication").Val(), "state=online")
		})
		waitFor(t, 30*time.Second, "the replica to be dropped", func() bool {
			pc.Set(ctx, "k", strings.Repeat("v", 64<<10), 0)
			st := pc.Info(ctx, "stats").Val()
			return !strings.Contains(st, "client_output_buffer_limit_disconnections:0") &&
				infoField(ctx, pc, "connected_slaves") == "0"
		})
	})
	t.Run("bad input from the primary", func(t *testing.T) {
		var empty bytes.Buffer
		if err := rdb.Save(&empty, storage.New(storage.Options{}), rdb.SaveOptions{Checksum: true}); err != nil {
			t.Fatal(err)
		}
		for name, payload := range map[string]string{
			"bad RDB":    "$5\r\nhello",
			"bad stream": "$" + strconv.Itoa(empty.Len()) + "\r\n" + empty.String() + "*1\r\n$x\r\n",
			"bad header": "%%%\r\n",
		} {
			t.Run(name, func(t *testing.T) {
				ln, err := net.Listen("tcp", "127.0.0.1:0")
				if err != nil {
					t.Fatal(err)
				}
				defer ln.Close()
				links := make(chan struct{}, 16)
				go fakePrimary(ln, payload, links)
				host, port, _ := net.SplitHostPort(ln.Addr().String())
				var logs lockedBuffer
				cfg, _, err := conf.Load("", []string{"--port", "0", "--bind", "127.0.0.1", "--save", "", "--dir", t.TempDir(), "--replicaof", host + " " + port})
				if err != nil {
					t.Fatal(err)
				}
				s, err := New(cfg, Options{Log: NewLogger(&logs, LevelWarning)})
				if err != nil {
					t.Fatal(err)
				}
				if err := s.Start(); err != nil {
					t.Fatal(err)
				}
				defer s.Close()
				for range 2 { // the link drops and is retried
					select {
					case <-links:
					case <-time.After(30 * time.Second):
						t.Fatalf("the replica did not reconnect; log:\n%s", logs.String())
					}
				}
				// (Between two attempts: while one reads the next bad input, PING is
				// answered LOADING.)
				c := newClient(t, s.Addr().String(), 2)
				waitFor(t, 10*time.Second, "PING answered after bad input", func() bool { return c.Ping(ctx).Err() == nil })
				if !strings.Contains(logs.String(), "Replication link") {
					t.Errorf("no log line about the dropped link:\n%s", logs.String())
				}
			})
		}
	})
}

// fakePrimary answers each replica's handshake and PSYNC with +FULLRESYNC and payload,
// then closes the link. Each link is reported on links.
func fakePrimary(ln net.Listener, payload string, links chan struct{}) {
	for {
		conn, err := ln.Accept()
		if err != nil {
			return
		}
		go func() {
			defer conn.Close()
			rd := bufio.NewReader(conn)
			for {
				line, err := rd.ReadString('\n')
				if err != nil {
					return
				}
				if !strings.HasPrefix(line, "*") {
					continue
				}
				n, _ := strconv.Atoi(strings.TrimSpace(line[1:]))
				var args []string
				for range n {
					rd.ReadString('\n')
					a, _ := rd.ReadString('\n')
					args = append(args, strings.TrimSpace(a))
				}
				switch strings.ToUpper(args[0]) {
				case "PING":
					conn.Write([]byte("+PONG\r\n"))
				case "REPLCONF":
					if strings.EqualFold(args[1], "ACK") {
						continue
					}
					conn.Write([]byte("+OK\r\n"))
				case "PSYNC":
					conn.Write([]byte("+FULLRESYNC " + strings.Repeat("a", 40) + " 0\r\n" + payload))
					links <- struct{}{}
				}
			}
		}()
	}
}

// lockedBuffer is a bytes.Buffer safe for concurrent use (a logger's output).
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// TestRedisCliRDB: redis-cli --rdb (REPLCONF rdb-only, then the old SYNC) takes a
// backup of a shoal server over the replication protocol.
func TestRedisCliRDB(t *testing.T) {
	cli, err := exec.LookPath("redis-cli")
	if err != nil {
		t.Skip("redis-cli is not installed")
	}
	ctx := context.Background()
	_, addr := startShoal(t, "repl-diskless-sync-delay", "0")
	c := newClient(t, addr, 2)
	dumpDataset(ctx, c)
	host, port, _ := net.SplitHostPort(addr)
	path := filepath.Join(t.TempDir(), "backup.rdb")
	if out, err := exec.Command(cli, "-h", host, "-p", port, "--rdb", path).CombinedOutput(); err != nil {
		t.Fatalf("redis-cli --rdb: %v\n%s", err, out)
	}
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	n := int64(0)
	if _, err := rdb.LoadPrefix(data, storage.DefaultLimits(), rdb.LoadHandler{
		Key:      func(int, []byte, []byte, storage.Value, int64, rdb.Hint) error { n++; return nil },
		Function: func(string) error { return nil },
	}); err != nil {
		t.Fatalf("the backup does not load: %v", err)
	}
	if want := c.DBSize(ctx).Val(); n != want {
		t.Errorf("the backup holds %d keys, the server %d", n, want)
	}
}

// TestReplicaStreamIsPrimarys: a replica's stream is its primary's byte for byte —
// something its own code would feed (a safe-mode write made before it was demoted,
// asking for acknowledgements) adds nothing: its offset stays the primary's, and a
// replica of it keeps reading a valid stream. (A GETACK fed on a demoted primary
// shifted its offsets; after its promotion, replicas continuing from it read the
// middle of a command.)
func TestReplicaStreamIsPrimarys(t *testing.T) {
	ctx := context.Background()
	_, paddr := startShoal(t, "repl-diskless-sync-delay", "0")
	pc := newClient(t, paddr, 2)
	host, port, _ := net.SplitHostPort(paddr)
	b, baddr := startShoal(t, "replicaof", host+" "+port, "repl-diskless-sync-delay", "0")
	bc := newClient(t, baddr, 2)
	bhost, bport, _ := net.SplitHostPort(baddr)
	_, caddr := startShoal(t, "replicaof", bhost+" "+bport)
	cc := newClient(t, caddr, 2)
	waitLinkUp(t, bc)
	waitLinkUp(t, cc)
	pc.Set(ctx, "a", "1", 0)
	waitFor(t, 10*time.Second, "the replica caught up", func() bool {
		return infoField(ctx, bc, "master_repl_offset") == infoField(ctx, pc, "master_repl_offset")
	})
	b.replFeed([]aof.Cmd{{DB: -1, Args: [][]byte{[]byte("REPLCONF"), []byte("GETACK"), []byte("*")}}})
	pc.Set(ctx, "b", "2", 0)
	sameDataset(t, pc, bc, cc)
	for _, c := range []*redis.Client{bc, cc} {
		if p, r := infoField(ctx, pc, "master_repl_offset"), infoField(ctx, c, "master_repl_offset"); p != r {
			t.Errorf("a replica's offset %s, its primary's %s", r, p)
		}
	}
	if v := infoField(ctx, cc, "master_link_status"); v != "up" {
		t.Errorf("the replica of the replica: link %s", v)
	}
}
