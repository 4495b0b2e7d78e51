package node

import (
	"context"
	"maps"
	"net"
	"slices"
	"strconv"
	"sync"
	"testing"

	"github.com/redis/go-redis/v9"

	"github.com/shoal-db/shoal/storage"
)

func TestKeys(t *testing.T) {
	eachServer(t, nil, func(t *testing.T, c *redis.Client) {
		wantKeys(t, c, nil, "KEYS", "*")
		setKeys(t, c, "foo", "foobar", "fxo", "bar", "f*o", "{tag}1", "{tag}2", "x{tag}3", "{tag2}1", "FOO")
		wantKeys(t, c, []string{"foo", "foobar", "fxo", "bar", "f*o", "{tag}1", "{tag}2", "x{tag}3", "{tag2}1", "FOO"}, "KEYS", "*")
		wantKeys(t, c, []string{"foo", "foobar", "fxo", "f*o"}, "KEYS", "f*")
		wantKeys(t, c, []string{"foo", "fxo", "f*o"}, "KEYS", "f?o")
		wantKeys(t, c, []string{"f*o"}, "KEYS", `f\*o`)
		wantKeys(t, c, []string{"foo", "fxo"}, "KEYS", "f[ox]o")
		wantKeys(t, c, []string{"f*o"}, "KEYS", "f[^ox]o")
		wantKeys(t, c, []string{"FOO"}, "KEYS", "FOO")
		wantKeys(t, c, nil, "KEYS", "nomatch")
		wantKeys(t, c, []string{"{tag}1", "{tag}2"}, "KEYS", "{tag}*")
		wantKeys(t, c, []string{"{tag}1"}, "KEYS", "{tag}1")
		wantKeys(t, c, []string{"{tag}1", "{tag}2", "x{tag}3", "{tag2}1"}, "KEYS", "*{tag*")
		wantKeys(t, c, []string{"{tag2}1"}, "KEYS", "{tag2}?")
		runTranscript(t, c, []step{
			S("KEYS").Is(E("ERR wrong number of arguments for 'keys' command")),
			S("KEYS", "a", "b").Is(E("ERR wrong number of arguments for 'keys' command")),
		})
	})
}

func TestScanErrors(t *testing.T) {
	transcript(t,
		S("SCAN", "abc").Is(E("ERR invalid cursor")),
		S("SCAN", " 1").Is(E("ERR invalid cursor")),
		S("SCAN", "1 ").Is(E("ERR invalid cursor")),
		S("SCAN", "-").Is(E("ERR invalid cursor")),
		S("SCAN", "0x10").Is(E("ERR invalid cursor")),
		S("SCAN", "18446744073709551616").Is(E("ERR invalid cursor")),
		S("SCAN", "-18446744073709551616").Is(E("ERR invalid cursor")),
		S("SCAN", "0", "COUNT", "0").Is(E("ERR syntax error")),
		S("SCAN", "0", "COUNT", "-1").Is(E("ERR syntax error")),
		S("SCAN", "0", "COUNT", "x").Is(E("ERR value is not an integer or out of range")),
		S("SCAN", "0", "COUNT").Is(E("ERR syntax error")),
		S("SCAN", "0", "MATCH").Is(E("ERR syntax error")),
		S("SCAN", "0", "TYPE").Is(E("ERR syntax error")),
		S("SCAN", "0", "foo", "bar").Is(E("ERR syntax error")),
		S("SCAN", "0", "MATCH", "*", "COUNT", "10", "x").Is(E("ERR syntax error")),
		S("SCAN").Is(E("ERR wrong number of arguments for 'scan' command")),
		// Valid cursors on an empty database.
		S("SCAN", "0").Is([]any{"0", []any{}}),
		S("SCAN", "").Is([]any{"0", []any{}}),
		S("SCAN", "+0").Is([]any{"0", []any{}}),
		S("SCAN", "-0").Is([]any{"0", []any{}}),
		S("SCAN", "0", "TYPE", "nosuchtype").Is([]any{"0", []any{}}),
		S("SCAN", "0", "COUNT", "9223372036854775807").Is([]any{"0", []any{}}),
		S("SET", "a", "1").Is("OK"),
		S("SCAN", "0").Is([]any{"0", []any{"a"}}),
		S("SCAN", "0", "MATCH", "b*", "MATCH", "a*").Is([]any{"0", []any{"a"}}),
		S("SCAN", "0", "count", "1", "COUNT", "100").Is([]any{"0", []any{"a"}}),
		S("SCAN", "0", "TYPE", "STRING").Is([]any{"0", []any{"a"}}),
		S("SCAN", "0", "TYPE", "list").Is([]any{"0", []any{}}),
		S("SCAN", "0", "TYPE", "none").Is([]any{"0", []any{}}),
	)
}

// A whole SCAN pass returns every key once when nothing changes; MATCH, TYPE and a
// hash-tagged pattern filter it; COUNT bounds a call's work.
func TestScanPass(t *testing.T) {
	eachServer(t, nil, func(t *testing.T, c *redis.Client) {
		var keys []string
		for i := range 1000 {
			keys = append(keys, "key:"+strconv.Itoa(i))
		}
		for i := range 20 {
			keys = append(keys, "{tag}:"+strconv.Itoa(i))
		}
		setKeys(t, c, keys...)
		for _, count := range []string{"1", "10", "1000", "100000"} {
			seen := scanAll(t, c, "COUNT", count)
			if len(seen) != len(keys) {
				t.Fatalf("COUNT %s: %d keys, want %d", count, len(seen), len(keys))
			}
			for _, k := range keys {
				if seen[k] != 1 {
					t.Fatalf("COUNT %s: key %q returned %d times", count, k, seen[k])
				}
			}
		}
		got := slices.Sorted(maps.Keys(scanAll(t, c, "MATCH", "key:99*")))
		if want := []string{"key:99", "key:990", "key:991", "key:992", "key:993", "key:994", "key:995", "key:996", "key:997", "key:998", "key:999"}; !slices.Equal(got, want) {
			t.Errorf("MATCH key:99* = %q", got)
		}
		if got := scanAll(t, c, "MATCH", "{tag}:*", "COUNT", "3"); len(got) != 20 {
			t.Errorf("MATCH {tag}:* found %d keys, want 20", len(got))
		}
		if got := scanAll(t, c, "TYPE", "string", "MATCH", "{tag}:1?"); len(got) != 10 {
			t.Errorf("TYPE string MATCH {tag}:1? found %d keys, want 10", len(got))
		}
		if got := scanAll(t, c, "TYPE", "hash"); len(got) != 0 {
			t.Errorf("TYPE hash found %v", got)
		}
		// One call with COUNT n returns at least n keys, or ends the pass.
		v := keysDo(t, c, "SCAN", "0", "COUNT", "100").([]any)
		if n := len(v[1].([]any)); n < 100 && v[0] != "0" {
			t.Errorf("SCAN 0 COUNT 100 returned %d keys and cursor %v", n, v[0])
		}
	})
}

// Every key present for the whole pass is returned at least once while other keys are
// added and deleted and the pass proceeds. The churn is concentrated in a few slots (hash
// tags) that also hold stable keys, so their tables grow and shrink under the cursor.
func TestScanConcurrentChanges(t *testing.T) {
	if testing.Short() {
		t.Skip("slow")
	}
	eachServer(t, nil, func(t *testing.T, c *redis.Client) {
		const workers, perTag, spread = 3, 300, 11100
		var keys []string
		for i := range spread {
			keys = append(keys, "stable:"+strconv.Itoa(i))
		}
		for w := range workers {
			for i := range perTag {
				keys = append(keys, "{t"+strconv.Itoa(w)+"}stable:"+strconv.Itoa(i))
			}
		}
		setKeys(t, c, keys...)
		stop := make(chan struct{})
		var wg sync.WaitGroup
		for w := range workers {
			wg.Add(1)
			go func() {
				defer wg.Done()
				ctx := context.Background()
				// Rounds alternately add and delete 3000 keys, 300 per pipeline.
				for batch := 0; ; batch++ {
					select {
					case <-stop:
						return
					default:
					}
					p := c.Pipeline()
					for i := range 300 {
						k := "{t" + strconv.Itoa(w) + "}churn:" + strconv.Itoa(batch%10*300+i)
						if batch/10%2 == 0 {
							p.Do(ctx, "SET", k, "v")
						} else {
							p.Do(ctx, "DEL", k)
						}
					}
					if _, err := p.Exec(ctx); err != nil {
						t.Error(err)
						return
					}
				}
			}()
		}
		for pass := range 2 {
			seen := scanAll(t, c, "COUNT", strconv.Itoa(10+pass*90))
			for _, k := range keys {
				if seen[k] == 0 {
					t.Errorf("pass %d: key %q never returned", pass, k)
				}
			}
		}
		close(stop)
		wg.Wait()
	})
}

// keysFakeValue is a collection stand-in for the types whose commands live elsewhere.
type keysFakeValue struct{ t storage.Type }

func (v *keysFakeValue) Type() storage.Type   { return v.t }
func (v *keysFakeValue) Encoding() string     { return "fake-" + v.t.String() }
func (v *keysFakeValue) Mem() int64           { return 16 }
func (v *keysFakeValue) Clone() storage.Value { return &keysFakeValue{v.t} }

// keysPut stores v under key in db 0 of s, as a command would.
func keysPut(s *Server, key string, v storage.Value, expire int64) {
	sl := slot([]byte(key))
	s.eng.LockSlot(sl)
	defer s.eng.UnlockSlot(sl)
	if v == nil {
		s.eng.DB(0).SetString(sl, []byte(key), []byte("v"), expire, false)
	} else {
		s.eng.DB(0).SetValue(sl, []byte(key), v, expire, false)
	}
}

// TYPE, SCAN TYPE and the key commands on every type, and expired keys the active cycle
// has not reached yet (they are stored already expired, with a slow cron).
func TestKeysAllTypesAndLazyExpiry(t *testing.T) {
	s, addr := startShoal(t, "hz", "1")
	c := newClient(t, addr, 2)
	for _, ty := range []storage.Type{storage.TypeList, storage.TypeSet, storage.TypeZSet, storage.TypeHash, storage.TypeStream} {
		keysPut(s, ty.String(), &keysFakeValue{ty}, 0)
	}
	past := s.eng.Now() - 1000
	for i := range 50 {
		keysPut(s, "gone:"+strconv.Itoa(i), nil, past)
	}
	keysPut(s, "gonelist", &keysFakeValue{storage.TypeList}, past)
	runTranscript(t, c, []step{
		S("TYPE", "list").Is("list"),
		S("TYPE", "set").Is("set"),
		S("TYPE", "zset").Is("zset"),
		S("TYPE", "hash").Is("hash"),
		S("TYPE", "stream").Is("stream"),
		S("OBJECT", "ENCODING", "zset").Is("fake-zset"),
		S("OBJECT", "REFCOUNT", "zset").Is(1),
		S("SCAN", "0", "TYPE", "ZSET", "COUNT", "1000").Is([]any{"0", []any{"zset"}}),
		S("SCAN", "0", "TYPE", "list", "COUNT", "1000").Is([]any{"0", []any{"list"}}),
		S("KEYS", "gone*").Is([]any{}),
		S("EXISTS", "gonelist").Is(0),
		S("TYPE", "gone:1").Is("none"),
		S("COPY", "set", "set2").Is(1),
		S("TYPE", "set2").Is("set"),
		S("MOVE", "hash", "3").Is(1),
		S("RENAME", "stream", "s2").Is("OK"),
		S("TYPE", "s2").Is("stream"),
	})
	wantKeys(t, c, []string{"list", "set", "zset", "s2", "set2"}, "KEYS", "*")
	if seen := scanAll(t, c, "COUNT", "2"); len(seen) != 5 {
		t.Errorf("SCAN: %v", seen)
	}
	for range 100 {
		if k := keysDo(t, c, "RANDOMKEY"); k == nil || k.(string)[0] == 'g' {
			t.Fatalf("RANDOMKEY = %v", k)
		}
	}
	// Only expired keys: RANDOMKEY purges them and answers null.
	keysDo(t, c, "FLUSHALL")
	for i := range 300 {
		keysPut(s, "gone:"+strconv.Itoa(i), nil, past)
	}
	runTranscript(t, c, []step{S("RANDOMKEY").Is(nil), S("DBSIZE").Is(0)})
}

// keysBenchClient is a connection-less client of s for benchmarks: it returns a function
// that builds a request and one that executes it, straight through the executor,
// discarding the reply.
func keysBenchClient(b *testing.B) (s *Server, req func(args ...string) [][]byte, run func([][]byte)) {
	b.Helper()
	s, _ = startShoal(b, "enable-debug-command", "yes")
	p1, p2 := net.Pipe()
	b.Cleanup(func() { p1.Close(); p2.Close() })
	c := s.newClient(p1)
	req = func(a ...string) [][]byte {
		args := make([][]byte, len(a))
		for i, x := range a {
			args[i] = []byte(x)
		}
		return args
	}
	run = func(args [][]byte) {
		s.execute(c, args)
		if len(c.w.B) > 0 && c.w.B[0] == '-' {
			b.Fatalf("%q: %s", args, c.w.B)
		}
		c.w.Reset()
	}
	return s, req, run
}

func BenchmarkScan(b *testing.B) {
	s, req, run := keysBenchClient(b)
	run(req("DEBUG", "POPULATE", "100000"))
	if s.eng.DB(0).Size() != 100000 {
		b.Fatal("not populated")
	}
	for _, bc := range []struct{ name, count, match string }{
		{"count10", "10", "*"}, {"count100", "100", "*"}, {"count100-match", "100", "key:1*"},
	} {
		b.Run(bc.name, func(b *testing.B) {
			r := req("SCAN", "0", "COUNT", bc.count, "MATCH", bc.match)
			for b.Loop() {
				run(r)
			}
		})
	}
}

func BenchmarkExists(b *testing.B) {
	_, req, run := keysBenchClient(b)
	run(req("SET", "k", "v"))
	r := req("EXISTS", "k")
	for b.Loop() {
		run(r)
	}
}

func BenchmarkKeys(b *testing.B) {
	_, req, run := keysBenchClient(b)
	run(req("DEBUG", "POPULATE", "10000"))
	r := req("KEYS", "key:99*")
	for b.Loop() {
		run(r)
	}
}
