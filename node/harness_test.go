package node

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/shoal-db/shoal/node/conf"
	"github.com/shoal-db/shoal/slots"
)

// startShoal starts an in-process server on 127.0.0.1:0 configured by directives
// ("name", "value", …) and returns its address; it is closed when the test ends.
func startShoal(t testing.TB, directives ...string) (*Server, string) {
	t.Helper()
	s := newShoal(t, directives...)
	if err := s.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s, s.Addr().String()
}

// newShoal builds a server like startShoal without starting it.
func newShoal(t testing.TB, directives ...string) *Server {
	t.Helper()
	s, err := newShoalErr(t, directives...)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// startShoalErr builds and starts a server, returning New's or Start's error (a load
// failure is Start's); a server that starts is closed when the test ends.
func startShoalErr(t testing.TB, directives ...string) (*Server, error) {
	t.Helper()
	s, err := newShoalErr(t, directives...)
	if err != nil {
		return nil, err
	}
	if err := s.Start(); err != nil {
		return nil, err
	}
	t.Cleanup(func() { s.Close() })
	return s, nil
}

// newShoalErr is newShoal that returns New's error.
func newShoalErr(t testing.TB, directives ...string) (*Server, error) {
	t.Helper()
	args := []string{"--port", "0", "--bind", "127.0.0.1", "--save", "", "--dir", t.TempDir()}
	for i := 0; i+1 < len(directives); i += 2 {
		args = append(args, "--"+directives[i], directives[i+1])
	}
	cfg, _, err := conf.Load("", args)
	if err != nil {
		t.Fatalf("config: %v", err)
	}
	return New(cfg, Options{Log: NewLogger(io.Discard, LevelWarning)})
}

// startRedis starts a real redis-server on a free port, or skips the test when none is
// installed. It is killed when the test ends.
func startRedis(t testing.TB, directives ...string) string {
	t.Helper()
	bin, err := exec.LookPath("redis-server")
	if err != nil {
		t.Skip("redis-server is not installed: the transcript is not compared with a real Redis (apt-get install redis-server)")
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := l.Addr().(*net.TCPAddr).Port
	l.Close()
	args := []string{"--port", strconv.Itoa(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no", "--dir", t.TempDir()}
	for i := 0; i+1 < len(directives); i += 2 {
		args = append(args, "--"+directives[i], directives[i+1])
	}
	cmd := exec.Command(bin, args...)
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		cmd.Process.Kill()
		cmd.Wait()
	})
	addr := net.JoinHostPort("127.0.0.1", strconv.Itoa(port))
	waitFor(t, 10*time.Second, "redis-server to accept connections", func() bool {
		c, err := net.Dial("tcp", addr)
		if err == nil {
			c.Close()
		}
		return err == nil
	})
	return addr
}

// waitFor polls cond until it holds or the deadline passes.
func waitFor(t testing.TB, d time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(d)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func newClient(t testing.TB, addr string, protocol int) *redis.Client {
	t.Helper()
	c := redis.NewClient(&redis.Options{Addr: addr, Protocol: protocol, DisableIdentity: true, MaxRetries: -1, PoolSize: 4})
	t.Cleanup(func() { c.Close() })
	return c
}

// target is a server a transcript runs against.
type target struct {
	name string
	addr string
}

// servers returns shoal and, when installed, a real redis-server, both configured by
// directives.
func servers(t *testing.T, directives ...string) []target {
	t.Helper()
	_, addr := startShoal(t, directives...)
	out := []target{{"shoal", addr}}
	if _, err := exec.LookPath("redis-server"); err == nil {
		out = append(out, target{"redis", startRedis(t, directives...)})
	} else if !loggedNoRedis {
		loggedNoRedis = true
		t.Log("redis-server is not installed: transcripts run against shoal only (apt-get install redis-server to compare)")
	}
	return out
}

var loggedNoRedis bool

// E is an expected error reply (its full text).
type E string

// wrongType is the WRONGTYPE error reply.
const wrongType = E(errWrongType)

// Prefix is an expected error reply that starts with the given text.
type Prefix string

// anyReply matches any reply (for nondeterministic answers).
type anyReply struct{}

// Any matches whatever the server answers.
var Any = anyReply{}

// step is one line of a transcript: a command and the reply it must get.
type step struct {
	cmd  []any
	want any
	conn int // connTranscript: which connection sends it
}

// S builds a step: S("SET", "k", "v").Is("OK").
func S(args ...any) step { return step{cmd: args} }

// Is sets the expected reply: a string, int64/int, nil (null), []any, E / Prefix for
// errors, Any; float64 for RESP3 doubles.
func (s step) Is(want any) step { s.want = want; return s }

// On sends the step on connection i of a connTranscript.
func (s step) On(i int) step { s.conn = i; return s }

// connTranscript runs steps against each server over n dedicated connections (for
// connection state: MULTI, WATCH, SELECT …); a step goes on the connection On names.
func connTranscript(t *testing.T, n int, steps ...step) {
	t.Helper()
	connTranscriptWith(t, n, nil, steps...)
}

// connTranscriptWith is connTranscript against servers configured by directives.
func connTranscriptWith(t *testing.T, n int, directives []string, steps ...step) {
	t.Helper()
	targets := servers(t, directives...)
	if tg, ok := proxyTarget(t, directives); ok {
		targets = append(targets, tg)
	}
	for _, tg := range targets {
		t.Run(tg.name, func(t *testing.T) {
			c := newClient(t, tg.addr, 2)
			conns := make([]*redis.Conn, n)
			for i := range conns {
				conns[i] = c.Conn()
				defer conns[i].Close()
			}
			ctx := context.Background()
			for _, s := range steps {
				got, err := conns[s.conn].Do(ctx, s.cmd...).Result()
				if err != nil && !errors.Is(err, redis.Nil) {
					var re redis.Error
					if !errors.As(err, &re) {
						t.Fatalf("%v: transport error %v", s.cmd, err)
					}
					got = E(err.Error())
				}
				if tg.name == "proxy" && clusterRestriction(s.want, got) {
					t.Skipf("[conn %d] %v: %v (a cluster's restriction)", s.conn, fmtCmd(s.cmd), got)
				}
				if !matches(s.want, got) {
					t.Errorf("[conn %d] %v\n  got  %#v\n  want %#v", s.conn, fmtCmd(s.cmd), got, s.want)
				}
			}
		})
	}
}

// runTranscript executes steps in order and reports every mismatch.
func runTranscript(t *testing.T, c *redis.Client, steps []step) {
	t.Helper()
	ctx := context.Background()
	for _, s := range steps {
		got, err := c.Do(ctx, s.cmd...).Result()
		if err != nil && !errors.Is(err, redis.Nil) {
			var re redis.Error
			if !errors.As(err, &re) {
				t.Fatalf("%v: transport error %v", s.cmd, err)
			}
			got = E(err.Error())
		}
		if strings.Contains(t.Name(), "/proxy") && clusterRestriction(s.want, got) { // (see proxyTarget)
			t.Skipf("%v: %v (a cluster's restriction)", fmtCmd(s.cmd), got)
		}
		if !matches(s.want, got) {
			t.Errorf("%v\n  got  %#v\n  want %#v", fmtCmd(s.cmd), got, s.want)
		}
	}
}

func fmtCmd(args []any) string {
	parts := make([]string, len(args))
	for i, a := range args {
		parts[i] = fmt.Sprint(a)
	}
	return strings.Join(parts, " ")
}

func matches(want, got any) bool {
	if err, ok := got.(error); ok { // an error nested in an array (EXEC)
		got = E(err.Error())
	}
	switch w := want.(type) {
	case anyReply:
		return true
	case Check:
		return w(got)
	case Unordered:
		g, ok := got.([]any)
		return ok && sameMultiset(groups(w, 1), groups(g, 1))
	case UnorderedPairs:
		g, ok := got.([]any)
		return ok && sameMultiset(groups(w, 2), groups(g, 2))
	case int:
		return reflect.DeepEqual(int64(w), got)
	case Prefix:
		g, ok := got.(E)
		return ok && strings.HasPrefix(string(g), string(w))
	case []any:
		g, ok := got.([]any)
		if !ok || len(g) != len(w) {
			return false
		}
		for i := range w {
			if !matches(w[i], g[i]) {
				return false
			}
		}
		return true
	case nil:
		return got == nil
	}
	return reflect.DeepEqual(want, got)
}

// transcript runs steps (RESP2) against shoal and the real redis-server, each fresh.
func transcript(t *testing.T, steps ...step) {
	t.Helper()
	transcriptWith(t, 2, nil, steps...)
}

// transcriptWith is transcript speaking protocol proto to servers started with
// directives ("name", "value", …); without directives, also through the proxy of
// $SHOAL_TRANSCRIPT_PROXY when set (proxyTarget).
func transcriptWith(t *testing.T, proto int, directives []string, steps ...step) {
	t.Helper()
	eachServerProto(t, proto, directives, func(t *testing.T, c *redis.Client) { runTranscript(t, c, steps) })
	if tg, ok := proxyTarget(t, directives); ok {
		t.Run(tg.name, func(t *testing.T) { runTranscript(t, newClient(t, tg.addr, proto), steps) })
	}
}

// proxyTarget is the proxy named by $SHOAL_TRANSCRIPT_PROXY (host:port of a `shoal
// proxy` in front of a cluster, emptied here with FLUSHALL), for transcripts that
// need no directives: scripts/proxy-transcripts.sh runs the transcripts through one.
// A transcript there stops, skipped, at the first reply that is a cluster's
// restriction (keys of several slots, SELECT, MOVE …) rather than what it expects.
func proxyTarget(t *testing.T, directives []string) (target, bool) {
	addr := os.Getenv("SHOAL_TRANSCRIPT_PROXY")
	if addr == "" || len(directives) > 0 {
		return target{}, false
	}
	ctx := context.Background()
	c := newClient(t, addr, 2)
	if err := c.FlushAll(ctx).Err(); err != nil {
		t.Fatalf("FLUSHALL through the proxy at %s: %v", addr, err)
	}
	// The configuration a transcript changed (CONFIG SET goes to every primary) is
	// set back to what the cluster started with.
	cfg, err := c.ConfigGet(ctx, "*").Result()
	if err != nil {
		t.Fatalf("CONFIG GET * through the proxy: %v", err)
	}
	if proxyConfig == nil {
		proxyConfig = cfg
	}
	for k, v := range cfg {
		if base, ok := proxyConfig[k]; ok && base != v {
			c.ConfigSet(ctx, k, base)
		}
	}
	// So are the users (ACL SETUSER and DELUSER go to every primary).
	users, _ := c.Do(ctx, "ACL", "USERS").StringSlice()
	for _, u := range users {
		if u != "default" {
			c.Do(ctx, "ACL", "DELUSER", u)
		}
	}
	c.Do(ctx, "ACL", "SETUSER", "default", "reset", "on", "nopass", "~*", "&*", "+@all")
	return target{"proxy", addr}, true
}

// proxyConfig is the configuration of the cluster behind $SHOAL_TRANSCRIPT_PROXY
// before the first transcript.
var proxyConfig map[string]string

// clusterRestriction reports whether got is an error a cluster gives where a single
// server would not.
func clusterRestriction(want, got any) bool {
	if w, ok := want.(E); ok && got == "QUEUED" {
		// The proxy queues MULTI's commands itself: what a node refuses when queuing
		// (NOPERM, OOM) it refuses at EXEC (EXECABORT).
		return !strings.HasPrefix(string(w), "ERR")
	}
	e, ok := got.(E)
	if !ok {
		return false
	}
	if w, ok := want.(E); ok && w == e {
		return false
	}
	low := strings.ToLower(string(e))
	return strings.HasPrefix(string(e), "CROSSSLOT ") || strings.Contains(low, "in cluster mode") ||
		strings.Contains(low, "non local key in a cluster node") ||
		strings.Contains(low, "is not supported through shoal proxy")
}

// eachServer runs fn against shoal and the real redis-server (when installed), each a
// fresh server started with directives, through a RESP2 client.
func eachServer(t *testing.T, directives []string, fn func(t *testing.T, c *redis.Client)) {
	t.Helper()
	eachServerProto(t, 2, directives, fn)
}

// eachAddr runs fn against the address of shoal and of the real redis-server (when
// installed), each a fresh server with the default configuration.
func eachAddr(t *testing.T, fn func(t *testing.T, addr string)) {
	t.Helper()
	for _, tg := range servers(t) {
		t.Run(tg.name, func(t *testing.T) { fn(t, tg.addr) })
	}
}

func eachServerProto(t *testing.T, proto int, directives []string, fn func(t *testing.T, c *redis.Client)) {
	t.Helper()
	for _, tg := range servers(t, directives...) {
		t.Run(tg.name, func(t *testing.T) { fn(t, newClient(t, tg.addr, proto)) })
	}
}

// Unordered expects an array with these elements in any order.
type Unordered []any

// UnorderedPairs expects a flat array of pairs (HGETALL in RESP2) in any pair order.
type UnorderedPairs []any

// Check expects a reply for which the function returns true.
type Check func(got any) bool

// differential runs each command against shoal and a real redis-server (skipping when
// none is installed) and fails on any difference in the replies, for answers too long
// to write down (COMMAND INFO, COMMAND DOCS …).
func differential(t *testing.T, protocol int, cmds ...[]any) {
	t.Helper()
	_, saddr := startShoal(t)
	raddr := startRedis(t)
	sc, rc := newClient(t, saddr, protocol), newClient(t, raddr, protocol)
	ctx := context.Background()
	for _, cmd := range cmds {
		want, werr := rc.Do(ctx, cmd...).Result()
		got, gerr := sc.Do(ctx, cmd...).Result()
		if fmt.Sprint(werr) != fmt.Sprint(gerr) || !reflect.DeepEqual(normalize(want), normalize(got)) {
			t.Errorf("%s\n  shoal %#v %v\n  redis %#v %v", fmtCmd(cmd), got, gerr, want, werr)
		}
	}
}

// normalize turns RESP3 maps into sorted key/value lists so replies compare by content.
func normalize(v any) any {
	switch v := v.(type) {
	case []any:
		out := make([]any, len(v))
		for i := range v {
			out[i] = normalize(v[i])
		}
		return out
	case map[any]any:
		keys := make([]string, 0, len(v))
		byKey := map[string]any{}
		for k, x := range v {
			ks := fmt.Sprint(k)
			keys = append(keys, ks)
			byKey[ks] = normalize(x)
		}
		sortStrings(keys)
		out := make([]any, 0, 2*len(keys))
		for _, k := range keys {
			out = append(out, k, byKey[k])
		}
		return out
	}
	return v
}

func sortStrings(s []string) {
	for i := 1; i < len(s); i++ {
		for j := i; j > 0 && s[j] < s[j-1]; j-- {
			s[j], s[j-1] = s[j-1], s[j]
		}
	}
}

// groups renders xs in groups of n, for order-insensitive comparison.
func groups(xs []any, n int) []string {
	if len(xs)%n != 0 {
		return []string{"odd length"}
	}
	out := make([]string, 0, len(xs)/n)
	for i := 0; i < len(xs); i += n {
		out = append(out, fmt.Sprintf("%v", xs[i:i+n]))
	}
	return out
}

func sameMultiset(a, b []string) bool {
	slices.Sort(a)
	slices.Sort(b)
	return slices.Equal(a, b)
}

// startShoalAddr is startShoal for tests that need only the address.
func startShoalAddr(t testing.TB, directives ...string) string {
	t.Helper()
	_, addr := startShoal(t, directives...)
	return addr
}

// slot returns the hash slot of key (handlers use Client.slot).
func slot(key []byte) int { return slots.KeySlot(key) }
