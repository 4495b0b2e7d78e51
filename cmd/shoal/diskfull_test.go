package main

import (
	"context"
	"crypto/rand"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
)

// smallDisk mounts a tmpfs of size bytes on a new temporary directory (unmounted
// when the test ends, after the processes it started are gone) and fills all but
// free bytes of it with a file it returns the path of: deleting that file frees the
// disk. The test is skipped where tmpfs cannot be mounted (not root).
func smallDisk(t *testing.T, size, free int64) (dir, filler string) {
	t.Helper()
	dir = t.TempDir()
	if out, err := exec.Command("mount", "-t", "tmpfs", "-o", fmt.Sprintf("size=%d", size), "tmpfs", dir).CombinedOutput(); err != nil {
		t.Skipf("cannot mount a tmpfs (%v: %s)", err, strings.TrimSpace(string(out)))
	}
	t.Cleanup(func() { exec.Command("umount", "-l", dir).Run() })
	filler = filepath.Join(dir, "filler")
	if err := os.WriteFile(filler, make([]byte, size-free), 0o644); err != nil {
		t.Fatal(err)
	}
	return dir, filler
}

// fillUntilError writes 4 KiB values under new keys until a write fails, and
// returns the keys acknowledged and the error.
func fillUntilError(t *testing.T, c *redis.Client) ([]string, error) {
	t.Helper()
	val := strings.Repeat("v", 4096)
	var acked []string
	for i := 0; i < 100000; i++ {
		key := fmt.Sprint("k:", i)
		if err := c.Set(context.Background(), key, val, 0).Err(); err != nil {
			return acked, err
		}
		acked = append(acked, key)
	}
	t.Fatal("the disk never filled")
	return nil, nil
}

// checkKeys fails the test unless c holds every key of keys.
func checkKeys(t *testing.T, c *redis.Client, keys []string) {
	t.Helper()
	for _, k := range keys {
		if n, err := c.Exists(context.Background(), k).Result(); err != nil || n != 1 {
			t.Fatalf("acknowledged key %s missing after the restart (%d, %v) of %d", k, n, err, len(keys))
		}
	}
}

// TestDiskFull: the data directory runs out of space.
//   - AOF with appendfsync everysec: writes get Redis's MISCONF error, the server
//     goes on answering reads; once space is freed the buffered writes reach the
//     file and writes are taken again; after a restart every acknowledged write is
//     there.
//   - AOF with appendfsync always: the server exits, as Redis does (an acknowledged
//     write must be on disk); restarted with space, it has every acknowledged write.
//   - RDB: BGSAVE fails, writes get MISCONF (stop-writes-on-bgsave-error), the last
//     good dump.rdb is untouched; once space is freed a BGSAVE succeeds and writes
//     are taken again.
func TestDiskFull(t *testing.T) {
	bin := buildShoal(t)
	ctx := context.Background()
	t.Run("aof-everysec", func(t *testing.T) {
		dir, filler := smallDisk(t, 4<<20, 1<<20)
		cmd, c := startProc(t, bin, "--dir", dir, "--appendonly", "yes", "--appendfsync", "everysec")
		acked, err := fillUntilError(t, c)
		if err == nil || !strings.HasPrefix(err.Error(), "MISCONF Errors writing to the AOF file: no space left on device") {
			t.Fatalf("after %d writes: %v, want MISCONF … no space left on device", len(acked), err)
		}
		if err := c.Get(ctx, acked[0]).Err(); err != nil {
			t.Fatalf("a read on a full disk: %v", err)
		}
		if err := os.Remove(filler); err != nil {
			t.Fatal(err)
		}
		waitWrite(t, c, "after-full")
		acked = append(acked, "after-full")
		stopProc(t, cmd)
		_, c2 := startProc(t, bin, "--dir", dir, "--appendonly", "yes")
		checkKeys(t, c2, acked)
	})
	t.Run("aof-always", func(t *testing.T) {
		dir, filler := smallDisk(t, 4<<20, 1<<20)
		cmd, c := startProc(t, bin, "--dir", dir, "--appendonly", "yes", "--appendfsync", "always")
		acked, err := fillUntilError(t, c)
		if err == nil {
			t.Fatal("no error on a full disk")
		}
		ch, _ := procExits.Load(cmd)
		select {
		case <-ch.(chan struct{}):
		case <-time.After(20 * time.Second):
			t.Fatalf("the server did not exit after an AOF write error with appendfsync always (%v)", err)
		}
		if err := os.Remove(filler); err != nil {
			t.Fatal(err)
		}
		_, c2 := startProc(t, bin, "--dir", dir, "--appendonly", "yes")
		checkKeys(t, c2, acked)
	})
	t.Run("rdb", func(t *testing.T) {
		dir, filler := smallDisk(t, 4<<20, 1<<20)
		_, c := startProc(t, bin, "--dir", dir, "--save", "3600 1") // (MISCONF needs save points, as in Redis)
		// Random values: RDB compresses repeated bytes (LZF) to nothing.
		val := func() string { b := make([]byte, 4096); rand.Read(b); return string(b) }
		for i := range 100 {
			c.Set(ctx, fmt.Sprint("k:", i), val(), 0)
		}
		if err := c.Save(ctx).Err(); err != nil {
			t.Fatal(err)
		}
		good, err := os.ReadFile(filepath.Join(dir, "dump.rdb"))
		if err != nil {
			t.Fatal(err)
		}
		for i := 100; i < 400; i++ { // 1.2 MB more than the last dump
			c.Set(ctx, fmt.Sprint("k:", i), val(), 0)
		}
		c.BgSave(ctx)
		waitFor(t, "the background save to fail", func() bool {
			return strings.Contains(c.Info(ctx, "persistence").Val(), "rdb_last_bgsave_status:err")
		})
		if err := c.Set(ctx, "x", "y", 0).Err(); err == nil || !strings.HasPrefix(err.Error(), "MISCONF") {
			t.Fatalf("a write after the failed save: %v, want MISCONF", err)
		}
		if now, _ := os.ReadFile(filepath.Join(dir, "dump.rdb")); string(now) != string(good) {
			t.Fatal("the last good dump.rdb changed")
		}
		if err := os.Remove(filler); err != nil {
			t.Fatal(err)
		}
		c.BgSave(ctx)
		waitFor(t, "a background save to succeed", func() bool {
			return strings.Contains(c.Info(ctx, "persistence").Val(), "rdb_last_bgsave_status:ok")
		})
		if err := c.Set(ctx, "x", "y", 0).Err(); err != nil {
			t.Fatalf("a write after a good save: %v", err)
		}
	})
}

// waitWrite polls SET key until it succeeds (20 s at most).
func waitWrite(t *testing.T, c *redis.Client, key string) {
	t.Helper()
	waitFor(t, "writes taken again", func() bool { return c.Set(context.Background(), key, "1", 0).Err() == nil })
}

// stopProc stops a server with SIGTERM (a clean shutdown) and waits for it.
func stopProc(t *testing.T, cmd *exec.Cmd) {
	t.Helper()
	cmd.Process.Signal(os.Interrupt)
	if ch, ok := procExits.Load(cmd); ok {
		<-ch.(chan struct{})
	}
}
