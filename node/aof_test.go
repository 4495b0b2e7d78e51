package node

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/shoal-db/shoal/node/conf"
	"github.com/shoal-db/shoal/storage/aof"
)

// propagationScript covers every command whose propagated form differs from what the
// client sent (relative expires, pops, blocking forms, scripts, transactions, stream
// IDs and trims, group reads and claims), plus plain writes and writes that change
// nothing (not propagated).
var propagationScript = [][]any{
	{"set", "plain", "v"},
	{"set", "ex", "v", "ex", "100"},
	{"set", "px", "v", "px", "100000", "get"},
	{"set", "pxat", "v", "pxat", "99999999999999"},
	{"set", "nx", "v", "nx"},
	{"set", "nx", "v", "nx"}, // not set: not propagated
	{"setex", "setex", "100", "v"},
	{"psetex", "psetex", "100000", "v"},
	{"expire", "plain", "200"},
	{"expire", "plain", "300", "gt"},
	{"pexpire", "ex", "-1"},
	{"expireat", "px", "99999999999"},
	{"pexpireat", "psetex", "99999999999999"},
	{"getex", "plain", "ex", "50"},
	{"getex", "plain", "persist"},
	{"getex", "plain", "pxat", "1"},
	{"set", "gd", "1"},
	{"getdel", "gd"},
	{"del", "nothing"},
	{"incrbyfloat", "f", "1.5"},
	{"incrbyfloat", "f", "0.25"},
	{"hincrbyfloat", "h", "x", "2.5"},
	{"sadd", "s1", "only"},
	{"spop", "s1"},
	{"sadd", "s2", "a", "b", "c"},
	{"spop", "s2", "5"},
	{"rpush", "l", "a", "b", "c", "d", "e"},
	{"blpop", "l", "0"},
	{"brpop", "l", "0"},
	{"blmove", "l", "l2", "left", "right", "0"},
	{"brpoplpush", "l", "l2", "0"},
	{"lmpop", "1", "l", "left", "count", "5"},
	{"blmpop", "0", "1", "l2", "right", "count", "1"},
	{"zadd", "z", "1", "a", "2", "b", "3", "c", "4", "d"},
	{"bzpopmin", "z", "0"},
	{"bzpopmax", "z", "0"},
	{"zmpop", "1", "z", "min", "count", "1"},
	{"bzmpop", "0", "1", "z", "max"},
	{"eval", "redis.call('set', KEYS[1], '1'); redis.call('incr', KEYS[1]); return 1", "1", "sc"},
	{"eval", "redis.call('set', KEYS[1], '1'); return 1", "1", "sc1"},
	{"eval", "return redis.call('get', KEYS[1])", "1", "sc1"},
	{"multi"}, {"set", "m1", "1"}, {"incr", "m1"}, {"exec"},
	{"multi"}, {"set", "m2", "1"}, {"get", "m2"}, {"exec"},
	{"select", "3"}, {"set", "in3", "1"}, {"select", "0"},
	{"xadd", "st", "1-1", "f", "v"},
	{"xadd", "st", "2-*", "f", "v"},
	{"xadd", "st", "maxlen", "~", "1", "3-1", "f", "v"},
	{"xadd", "st", "maxlen", "=", "2", "4-1", "f", "v"},
	{"xgroup", "create", "st", "g", "0"},
	{"xreadgroup", "group", "g", "alice", "count", "1", "streams", "st", ">"},
	{"xreadgroup", "group", "g", "bob", "count", "1", "noack", "streams", "st", ">"},
	{"xreadgroup", "group", "g", "alice", "streams", "st", "0"},
	{"xclaim", "st", "g", "carol", "0", "3-1", "justid"},
	{"xautoclaim", "st", "g", "dave", "0", "0", "justid"},
	{"xtrim", "st", "maxlen", "~", "0"},
	{"restore", "rs", "0", dumpOfV},
	{"restore", "rs2", "100000", dumpOfV},
	{"flushdb"},
}

// dumpOfV is DUMP's payload of the string "v".
const dumpOfV = "\x00\x01v\n\x00\x91\b\xce\xb2\x198\x8a\xce"

// TestAOFPropagationMatchesRedis runs propagationScript against shoal and a real Redis,
// both with appendonly on, and compares the commands in their incremental files, times
// and generated stream IDs aside.
func TestAOFPropagationMatchesRedis(t *testing.T) {
	if _, err := exec.LookPath("redis-server"); err != nil {
		t.Skip("redis-server is not installed")
	}
	ctx := context.Background()
	sdir, rdir := t.TempDir(), t.TempDir()
	_, saddr := startShoal(t, "dir", sdir, "appendonly", "yes")
	raddr := startRedis(t, "dir", rdir, "appendonly", "yes")
	for _, addr := range []string{saddr, raddr} {
		c := newClient(t, addr, 2)
		for _, cmd := range propagationScript {
			c.Do(ctx, cmd...) // errors are part of the script
		}
	}
	want := readIncr(t, rdir, 1, "FLUSHDB")
	got := readIncr(t, sdir, 1, "FLUSHDB")
	if len(want) != len(got) {
		t.Errorf("redis propagated %d commands, shoal %d", len(want), len(got))
	}
	for i := range max(len(want), len(got)) {
		var w, g string
		if i < len(want) {
			w = want[i]
		}
		if i < len(got) {
			g = got[i]
		}
		if w != g {
			t.Errorf("command %d:\n  redis %s\n  shoal %s", i, w, g)
		}
	}
}

// timeLike matches what differs between two runs: Unix-ms times and IDs made of them.
var timeLike = regexp.MustCompile(`^1[0-9]{12}(-[0-9]+)?$`)

// readIncr returns the commands of incremental file seq in dir/appendonlydir, one
// string each, with times replaced by "<t>", once the file ends with a command named
// last. (Redis may hold its AOF writes back for up to two seconds while a background
// fsync is slow, so the file can lag the replies.)
func readIncr(t *testing.T, dir string, seq int64, last string) []string {
	t.Helper()
	path := filepath.Join(dir, "appendonlydir", aof.IncrName("appendonly.aof", seq))
	var out []string
	var err error
	waitFor(t, 10*time.Second, path+" to end with "+last, func() bool {
		var data []byte
		if data, err = os.ReadFile(path); err != nil {
			return false
		}
		if out, err = parseIncr(data); err != nil {
			return false
		}
		return len(out) > 0 && strings.HasPrefix(out[len(out)-1], fmt.Sprintf("[%q", last))
	})
	return out
}

// parseIncr reads data as AOF commands, one string each, with times replaced by "<t>"
// and command names upper-cased.
func parseIncr(data []byte) ([]string, error) {
	r := aof.NewReader(bytes.NewReader(data), 0, 1<<30)
	var out []string
	for {
		args, err := r.Next()
		if err == io.EOF {
			return out, nil
		}
		if err != nil {
			return nil, err
		}
		parts := make([]string, len(args))
		for i, a := range args {
			parts[i] = string(a)
			if timeLike.Match(a) {
				parts[i] = "<t>"
			}
		}
		parts[0] = strings.ToUpper(parts[0])
		out = append(out, fmt.Sprintf("%q", parts))
	}
}

// TestAOFRestart writes every type with appendonly on, rewrites the AOF in the middle,
// restarts on the same directory and finds the same dataset.
func TestAOFRestart(t *testing.T) {
	ctx := context.Background()
	for _, tc := range []struct{ policy, preamble string }{{"always", "yes"}, {"everysec", "no"}, {"no", "yes"}} {
		policy := tc.policy
		t.Run(policy+"/rdb-preamble-"+tc.preamble, func(t *testing.T) {
			dir := t.TempDir()
			s, addr := startShoal(t, "dir", dir, "appendonly", "yes", "appendfsync", policy, "aof-use-rdb-preamble", tc.preamble)
			c := newClient(t, addr, 2)
			keys := dumpDataset(ctx, c)
			c.Expire(ctx, "s:raw", time.Hour)
			c.FunctionLoad(ctx, "#!lua name=aoflib\nredis.register_function('af', function() return 'kept' end)")
			if err := c.BgRewriteAOF(ctx).Err(); err != nil {
				t.Fatal(err)
			}
			waitRewrite(t, c)
			c.Set(ctx, "after-rewrite", "v", 0)
			c.Del(ctx, "s:int")
			keys = append(keys, "after-rewrite", "s:int")
			before := map[string]string{}
			for _, k := range keys {
				before[k] = snapshot(ctx, c, k)
			}
			s.Close()

			_, addr2 := startShoal(t, "dir", dir, "appendonly", "yes")
			c2 := newClient(t, addr2, 2)
			for _, k := range keys {
				if got := snapshot(ctx, c2, k); got != before[k] {
					t.Errorf("%s after restart:\n  was %s\n  now %s", k, before[k], got)
				}
			}
			if v, err := c2.FCall(ctx, "af", nil).Result(); err != nil || v != "kept" {
				t.Errorf("function after restart: %v %v", v, err)
			}
			m, err := aof.ReadManifest(filepath.Join(dir, "appendonlydir"), "appendonly.aof")
			if err != nil || m.Base == nil || m.Base.Seq != 2 || len(m.Incr) != 1 || m.Incr[0].Seq != 2 || len(m.History) != 0 {
				t.Errorf("manifest after a rewrite: %+v %v", m, err)
			}
		})
	}
}

func waitRewrite(t *testing.T, c *redis.Client) {
	t.Helper()
	waitFor(t, 10*time.Second, "the AOF rewrite to finish", func() bool {
		info := c.Info(context.Background(), "persistence").Val()
		return strings.Contains(info, "aof_rewrite_in_progress:0") && strings.Contains(info, "aof_rewrite_scheduled:0")
	})
}

// TestAOFWithRedis moves AOF directories both ways: shoal's passes redis-check-aof and
// loads into redis-server, Redis's loads into shoal, with the same content.
func TestAOFWithRedis(t *testing.T) {
	if _, err := exec.LookPath("redis-server"); err != nil {
		t.Skip("redis-server is not installed")
	}
	ctx := context.Background()
	want := map[string]string{}
	// shoal → redis, with an RDB base, and with a base of commands written by a rewrite.
	for _, preamble := range []string{"yes", "no"} {
		dir := t.TempDir()
		s, saddr := startShoal(t, "dir", dir, "appendonly", "yes", "aof-use-rdb-preamble", preamble)
		sc := newClient(t, saddr, 2)
		keys := dumpDataset(ctx, sc)
		for _, cmd := range propagationScript[:len(propagationScript)-1] { // all but FLUSHDB
			sc.Do(ctx, cmd...)
		}
		if preamble == "no" {
			sc.FunctionLoad(ctx, "#!lua name=aoflib\nredis.register_function('af', function() return 'kept' end)")
			if err := sc.BgRewriteAOF(ctx).Err(); err != nil {
				t.Fatal(err)
			}
			waitRewrite(t, sc)
			sc.Set(ctx, "after-rewrite", "v", 0)
			keys = append(keys, "after-rewrite")
		}
		keys = append(keys, "ex", "px", "f", "h", "l2", "z", "sc", "st", "rs", "rs2", "m1")
		for _, k := range keys {
			want[k] = snapshot(ctx, sc, k)
		}
		s.Close()
		manifest := filepath.Join(dir, "appendonlydir", "appendonly.aof.manifest")
		if check, err := exec.LookPath("redis-check-aof"); err == nil {
			if out, err := exec.Command(check, manifest).CombinedOutput(); err != nil {
				t.Fatalf("redis-check-aof (preamble %s): %v\n%s", preamble, err, out)
			}
		}
		rc := newClient(t, startRedis(t, "dir", dir, "appendonly", "yes"), 2)
		waitFor(t, 10*time.Second, "redis-server to load the AOF", func() bool { return rc.Ping(ctx).Err() == nil })
		for _, k := range keys {
			if preamble == "no" && k == "st" {
				// Its group holds a pending entry trimmed from the stream: commands
				// cannot recreate it (Redis's own rewrite loses it too).
				continue
			}
			if got := snapshot(ctx, rc, k); got != want[k] {
				t.Errorf("shoal→redis (preamble %s) %s:\n  shoal %s\n  redis %s", preamble, k, want[k], got)
			}
		}
		if preamble == "no" {
			if v, err := rc.FCall(ctx, "af", nil).Result(); err != nil || v != "kept" {
				t.Errorf("function from a base of commands: %v %v", v, err)
			}
		}
	}

	// redis → shoal
	dir2 := t.TempDir()
	raddr := startRedis(t, "dir", dir2, "appendonly", "yes")
	rc2 := newClient(t, raddr, 2)
	keys := dumpDataset(ctx, rc2)
	for _, cmd := range propagationScript[:len(propagationScript)-1] {
		rc2.Do(ctx, cmd...)
	}
	keys = append(keys, "ex", "px", "f", "h", "l2", "z", "sc", "st", "rs", "rs2", "m1")
	for _, k := range keys {
		want[k] = snapshot(ctx, rc2, k)
	}
	_, saddr2 := startShoal(t, "dir", dir2, "appendonly", "yes")
	sc2 := newClient(t, saddr2, 2)
	for _, k := range keys {
		if got := snapshot(ctx, sc2, k); got != want[k] {
			t.Errorf("redis→shoal %s:\n  redis %s\n  shoal %s", k, want[k], got)
		}
	}
}

// TestAOFTruncated: a last incremental file cut inside a command loads up to its last
// whole command (and is truncated there) with aof-load-truncated yes, and stops the
// server with a clear error with no.
func TestAOFTruncated(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	s, addr := startShoal(t, "dir", dir, "appendonly", "yes")
	c := newClient(t, addr, 2)
	c.Set(ctx, "a", "1", 0)
	c.Set(ctx, "b", "2", 0)
	s.Close()
	incr := filepath.Join(dir, "appendonlydir", aof.IncrName("appendonly.aof", 1))
	data, err := os.ReadFile(incr)
	if err != nil {
		t.Fatal(err)
	}
	cut := data[:len(data)-3]
	if err := os.WriteFile(incr, cut, 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := startShoalErr(t, "dir", dir, "appendonly", "yes", "aof-load-truncated", "no"); err == nil || !strings.Contains(err.Error(), "Unexpected end of file") {
		t.Errorf("aof-load-truncated no: %v", err)
	}
	s2, addr2 := startShoal(t, "dir", dir, "appendonly", "yes")
	c2 := newClient(t, addr2, 2)
	if v := c2.Get(ctx, "a").Val(); v != "1" {
		t.Errorf("a = %q", v)
	}
	if n := c2.Exists(ctx, "b").Val(); n != 0 {
		t.Errorf("b exists after its command was cut")
	}
	c2.Set(ctx, "c", "3", 0)
	s2.Close()
	_, addr3 := startShoal(t, "dir", dir, "appendonly", "yes")
	if v := newClient(t, addr3, 2).Get(ctx, "c").Val(); v != "3" {
		t.Errorf("a write after the truncated tail: c = %q", v)
	}
}

// TestAOFConfigSet turns the AOF on and off at runtime: turning it on writes a base
// file of the current dataset.
func TestAOFConfigSet(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	s, addr := startShoal(t, "dir", dir)
	c := newClient(t, addr, 2)
	c.Set(ctx, "before", "1", 0)
	if err := c.ConfigSet(ctx, "appendonly", "yes").Err(); err != nil {
		t.Fatal(err)
	}
	waitRewrite(t, c)
	c.Set(ctx, "after", "2", 0)
	if info := c.Info(ctx, "persistence").Val(); !strings.Contains(info, "aof_enabled:1") || !strings.Contains(info, "aof_rewrites:1") {
		t.Errorf("INFO after CONFIG SET appendonly yes:\n%s", info)
	}
	if err := c.ConfigSet(ctx, "appendonly", "no").Err(); err != nil {
		t.Fatal(err)
	}
	c.Set(ctx, "unlogged", "3", 0)
	s.Close()
	_, addr2 := startShoal(t, "dir", dir, "appendonly", "yes")
	c2 := newClient(t, addr2, 2)
	if got := c2.MGet(ctx, "before", "after", "unlogged").Val(); fmt.Sprint(got) != "[1 2 <nil>]" {
		t.Errorf("after restart: %v", got)
	}
}

// TestLoading: while the data set loads, clients connect, get -LOADING for commands
// that need the data, and INFO says loading:1.
func TestLoading(t *testing.T) {
	ctx := context.Background()
	hold, entered := make(chan struct{}), make(chan struct{})
	args := []string{"--port", "0", "--bind", "127.0.0.1", "--save", "", "--dir", t.TempDir()}
	cfg, _, err := conf.Load("", args)
	if err != nil {
		t.Fatal(err)
	}
	s, err := New(cfg, Options{Log: NewLogger(io.Discard, LevelWarning), BeforeLoad: func() {
		close(entered)
		<-hold
	}})
	if err != nil {
		t.Fatal(err)
	}
	started := make(chan error, 1)
	go func() { started <- s.Start() }()
	<-entered
	c := newClient(t, s.Addr().String(), 2)
	if err := c.Get(ctx, "k").Err(); err == nil || err.Error() != errLoading {
		t.Errorf("GET while loading: %v", err)
	}
	if info := c.Info(ctx, "persistence").Val(); !strings.Contains(info, "loading:1") || !strings.Contains(info, "loading_eta_seconds:") {
		t.Errorf("INFO while loading:\n%s", info)
	}
	close(hold)
	if err := <-started; err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if err := c.Set(ctx, "k", "v", 0).Err(); err != nil {
		t.Errorf("SET after loading: %v", err)
	}
	if info := c.Info(ctx, "persistence").Val(); !strings.Contains(info, "loading:0") || strings.Contains(info, "loading_eta_seconds") {
		t.Errorf("INFO after loading:\n%s", info)
	}
}

// TestAOFAutoRewrite: past auto-aof-rewrite-min-size and -percentage growth the AOF
// rewrites itself; timestamps annotate the incremental file and load back.
func TestAOFAutoRewrite(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	s, addr := startShoal(t, "dir", dir, "appendonly", "yes", "aof-timestamp-enabled", "yes",
		"auto-aof-rewrite-min-size", "64kb", "auto-aof-rewrite-percentage", "100")
	c := newClient(t, addr, 2)
	val := strings.Repeat("v", 1000)
	// Overwrites (the rewrite shrinks them) until the first rewrite starts: writing on
	// could grow the new file enough for a second one.
	rewrote := func() bool { return !strings.Contains(c.Info(ctx, "persistence").Val(), "aof_rewrites:0") }
	for i := 0; i < 2000 && (i%10 != 0 || !rewrote()); i++ {
		c.Set(ctx, "k"+fmt.Sprint(i%10), val, 0)
	}
	waitFor(t, 10*time.Second, "an automatic rewrite", rewrote)
	waitRewrite(t, c)
	c.Set(ctx, "after", "1", 0)
	s.Close()
	incrs, _ := filepath.Glob(filepath.Join(dir, "appendonlydir", "appendonly.aof.*.incr.aof"))
	if len(incrs) != 1 {
		t.Fatalf("incremental files after the rewrite: %v", incrs)
	}
	incr, err := os.ReadFile(incrs[0])
	if err != nil || !bytes.HasPrefix(incr, []byte("#TS:")) {
		t.Errorf("incremental file after the rewrite: %q %v", incr, err)
	}
	_, addr2 := startShoal(t, "dir", dir, "appendonly", "yes")
	c2 := newClient(t, addr2, 2)
	if n := c2.DBSize(ctx).Val(); n != 11 {
		t.Errorf("after restart: %d keys", n)
	}
}
