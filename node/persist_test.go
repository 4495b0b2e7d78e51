package node

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
)

// TestRDBWithRedis writes every type and encoding with SAVE on one server, loads the
// file into the other at start, both ways, and compares every key (and checks shoal's
// file with redis-check-rdb).
func TestRDBWithRedis(t *testing.T) {
	if _, err := exec.LookPath("redis-server"); err != nil {
		t.Skip("redis-server is not installed")
	}
	ctx := context.Background()
	// shoal → redis
	dir := t.TempDir()
	_, saddr := startShoal(t, "dir", dir)
	sc := newClient(t, saddr, 2)
	keys := dumpDataset(ctx, sc)
	sc.Expire(ctx, "s:raw", time.Hour)
	sc.FunctionLoad(ctx, "#!lua name=persisted\nredis.register_function('pf', function() return 'kept' end)")
	c3 := redis.NewClient(&redis.Options{Addr: saddr, DB: 3})
	defer c3.Close()
	c3.Set(ctx, "in-db-3", "v", 0)
	if err := sc.Save(ctx).Err(); err != nil {
		t.Fatal(err)
	}
	file := filepath.Join(dir, "dump.rdb")
	if check, err := exec.LookPath("redis-check-rdb"); err == nil {
		if out, err := exec.Command(check, file).CombinedOutput(); err != nil {
			t.Fatalf("redis-check-rdb: %v\n%s", err, out)
		}
	}
	raddr := startRedis(t, "dir", dir)
	rc := newClient(t, raddr, 2)
	for _, k := range keys {
		if a, b := snapshot(ctx, sc, k), snapshot(ctx, rc, k); a != b {
			t.Errorf("shoal→redis %s:\n  shoal %s\n  redis %s", k, a, b)
		}
	}
	if v, err := rc.FCall(ctx, "pf", nil).Result(); err != nil || v != "kept" {
		t.Errorf("function after load into Redis: %v %v", v, err)
	}
	r3 := redis.NewClient(&redis.Options{Addr: raddr, DB: 3})
	defer r3.Close()
	if v := r3.Get(ctx, "in-db-3").Val(); v != "v" {
		t.Errorf("db 3 key: %q", v)
	}

	// redis → shoal
	dir2 := t.TempDir()
	raddr2 := startRedis(t, "dir", dir2)
	rc2 := newClient(t, raddr2, 2)
	keys = dumpDataset(ctx, rc2)
	rc2.Expire(ctx, "s:raw", time.Hour)
	rc2.Set(ctx, "gone", "v", time.Millisecond)
	time.Sleep(0) // the key above may or may not have expired by SAVE; either is fine
	if err := rc2.Save(ctx).Err(); err != nil {
		t.Fatal(err)
	}
	s2, saddr2 := startShoal(t, "dir", dir2)
	sc2 := newClient(t, saddr2, 2)
	for _, k := range keys {
		if a, b := snapshot(ctx, rc2, k), snapshot(ctx, sc2, k); a != b {
			t.Errorf("redis→shoal %s:\n  redis %s\n  shoal %s", k, a, b)
		}
	}
	if s2.persist.loadedKeys.Load() < int64(len(keys)) {
		t.Errorf("INFO rdb_last_load_keys_loaded = %d", s2.persist.loadedKeys.Load())
	}
}

// TestRDBCorrupt: a truncated or damaged file stops the server with an error naming
// the offset; it never panics.
func TestRDBCorrupt(t *testing.T) {
	dir := t.TempDir()
	s, addr := startShoal(t, "dir", dir)
	c := newClient(t, addr, 2)
	ctx := context.Background()
	dumpDataset(ctx, c)
	if err := c.Save(ctx).Err(); err != nil {
		t.Fatal(err)
	}
	s.Close()
	data, err := os.ReadFile(filepath.Join(dir, "dump.rdb"))
	if err != nil {
		t.Fatal(err)
	}
	for _, bad := range [][]byte{data[:len(data)/2], append(append([]byte{}, data[:100]...), 0xEE, 0xEE), []byte("NOTREDIS0010")} {
		os.WriteFile(filepath.Join(dir, "dump.rdb"), bad, 0o644)
		if _, err := startShoalErr(t, "dir", dir); err == nil {
			t.Fatalf("a damaged file (%d bytes) loaded", len(bad))
		}
	}
	os.WriteFile(filepath.Join(dir, "dump.rdb"), data, 0o644)
	if _, err := startShoalErr(t, "dir", dir); err != nil {
		t.Fatalf("the intact file: %v", err)
	}
}

// TestShutdownSaves: SHUTDOWN with save points writes the snapshot; a new server loads
// it.
func TestShutdownSaves(t *testing.T) {
	dir := t.TempDir()
	s, addr := startShoal(t, "dir", dir, "save", "3600 1")
	c := newClient(t, addr, 2)
	ctx := context.Background()
	c.Set(ctx, "survives", "yes", 0)
	c.Do(ctx, "SHUTDOWN")
	waitFor(t, 5*time.Second, "shutdown", func() bool {
		select {
		case <-s.ShutdownRequested():
			return true
		default:
			return false
		}
	})
	s.Close()
	_, addr2 := startShoal(t, "dir", dir)
	if v := newClient(t, addr2, 2).Get(ctx, "survives").Val(); v != "yes" {
		t.Fatalf("after restart: %q", v)
	}
}

// TestBGSavePointInTime: a background save holds the dataset exactly as it was when
// BGSAVE started, while writers change, delete and add keys (and flush everything)
// during the save.
func TestBGSavePointInTime(t *testing.T) {
	dir := t.TempDir()
	_, addr := startShoal(t, "dir", dir)
	ctx := context.Background()
	c := newClient(t, addr, 2)
	const n = 30000
	pipe := c.Pipeline()
	for i := range n {
		pipe.Set(ctx, fmt.Sprint("k", i), fmt.Sprint("v", i), 0)
		if i%10 == 0 {
			pipe.RPush(ctx, fmt.Sprint("l", i), "a", "b", i)
		}
	}
	if _, err := pipe.Exec(ctx); err != nil {
		t.Fatal(err)
	}
	if v := c.BgSave(ctx).Val(); v != "Background saving started" {
		t.Fatalf("BGSAVE: %q", v)
	}
	stop := make(chan struct{})
	var wg sync.WaitGroup
	for w := range 2 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			wc := redis.NewClient(&redis.Options{Addr: addr})
			defer wc.Close()
			for i := w; ; i += 2 {
				select {
				case <-stop:
					return
				default:
				}
				wc.Set(ctx, fmt.Sprint("k", i%n), "changed", 0)
				wc.Del(ctx, fmt.Sprint("k", (i*7)%n))
				wc.RPush(ctx, fmt.Sprint("l", (i%(n/10))*10), "x")
				wc.Set(ctx, fmt.Sprint("new", i), "x", 0)
				if i == 200 {
					wc.FlushAll(ctx)
				}
			}
		}()
	}
	waitFor(t, 60*time.Second, "the background save", func() bool {
		info := c.Info(ctx, "persistence").Val()
		return strings.Contains(info, "rdb_bgsave_in_progress:0") && strings.Contains(info, "rdb_saves:1")
	})
	close(stop)
	wg.Wait()
	s2, addr2 := startShoal(t, "dir", dir)
	if got := s2.persist.loadedKeys.Load(); got != n+n/10 {
		t.Fatalf("the snapshot holds %d keys, want %d", got, n+n/10)
	}
	c2 := newClient(t, addr2, 2)
	for i := 0; i < n; i += 97 {
		if v := c2.Get(ctx, fmt.Sprint("k", i)).Val(); v != fmt.Sprint("v", i) {
			t.Fatalf("k%d = %q", i, v)
		}
		if i%10 == 0 {
			if l := c2.LRange(ctx, fmt.Sprint("l", i), 0, -1).Val(); len(l) != 3 {
				t.Fatalf("l%d = %q", i, l)
			}
		}
	}
}

// TestSavePoints: "save 1 1" starts a background save once a change is a second old.
func TestSavePoints(t *testing.T) {
	dir := t.TempDir()
	_, addr := startShoal(t, "dir", dir, "save", "1 1")
	ctx := context.Background()
	c := newClient(t, addr, 2)
	c.Set(ctx, "k", "v", 0)
	waitFor(t, 20*time.Second, "a save point to fire", func() bool {
		return strings.Contains(c.Info(ctx, "persistence").Val(), "rdb_saves:1")
	})
	if !strings.Contains(c.Info(ctx, "persistence").Val(), "rdb_changes_since_last_save:0") {
		t.Error("the change count was not reset")
	}
	if v := c.Do(ctx, "BGSAVE", "BOGUS").Err(); v == nil {
		t.Error("BGSAVE BOGUS accepted")
	}
	if _, err := os.Stat(filepath.Join(dir, "dump.rdb")); err != nil {
		t.Fatal(err)
	}
}

// TestMisconf: after a failed background save, writes get MISCONF until a save works.
func TestMisconf(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "data")
	os.Mkdir(dir, 0o755)
	_, addr := startShoal(t, "dir", dir, "save", "3600 1")
	ctx := context.Background()
	c := newClient(t, addr, 2)
	c.Set(ctx, "k", "v", 0)
	os.RemoveAll(dir)
	c.BgSave(ctx)
	waitFor(t, 10*time.Second, "the save to fail", func() bool {
		return strings.Contains(c.Info(ctx, "persistence").Val(), "rdb_last_bgsave_status:err")
	})
	if err := c.Set(ctx, "k", "w", 0).Err(); err == nil || !strings.HasPrefix(err.Error(), "MISCONF") {
		t.Fatalf("write after a failed save: %v", err)
	}
	if err := c.Get(ctx, "k").Err(); err != nil {
		t.Fatalf("reads go on: %v", err)
	}
	os.Mkdir(dir, 0o755)
	if err := c.Save(ctx).Err(); err != nil {
		t.Fatal(err)
	}
	if err := c.Set(ctx, "k", "w", 0).Err(); err != nil {
		t.Fatalf("write after a good save: %v", err)
	}
}

// TestRDBAccessHints: under an LRU policy a snapshot keeps each key's idle time, under
// an LFU policy its access counter, and both shoal and Redis read them back.
func TestRDBAccessHints(t *testing.T) {
	ctx := context.Background()
	payload := dumpOfV
	for _, tt := range []struct {
		policy, opt string
		read        func(c *redis.Client) int64
	}{
		{"allkeys-lru", "IDLETIME", func(c *redis.Client) int64 { return c.ObjectIdleTime(ctx, "k").Val().Milliseconds() / 1000 }},
		{"allkeys-lfu", "FREQ", func(c *redis.Client) int64 { return c.ObjectFreq(ctx, "k").Val() }},
	} {
		t.Run(tt.policy, func(t *testing.T) {
			dir := t.TempDir()
			s, addr := startShoal(t, "dir", dir, "maxmemory-policy", tt.policy)
			c := newClient(t, addr, 2)
			if err := c.Do(ctx, "RESTORE", "k", 0, payload, tt.opt, 100).Err(); err != nil {
				t.Fatal(err)
			}
			if err := c.Save(ctx).Err(); err != nil {
				t.Fatal(err)
			}
			s.Close()
			_, addr2 := startShoal(t, "dir", dir, "maxmemory-policy", tt.policy)
			if got := tt.read(newClient(t, addr2, 2)); got < 100 || got > 110 {
				t.Errorf("shoal after restart: %s %d, want 100", tt.opt, got)
			}
			if _, err := exec.LookPath("redis-server"); err == nil {
				rc := newClient(t, startRedis(t, "dir", dir, "maxmemory-policy", tt.policy), 2)
				waitFor(t, 10*time.Second, "redis-server to load", func() bool { return rc.Ping(ctx).Err() == nil })
				if got := tt.read(rc); got < 100 || got > 110 {
					t.Errorf("redis from shoal's file: %s %d, want 100", tt.opt, got)
				}
			}
		})
	}
}
