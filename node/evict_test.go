package node

import (
	"context"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
)

// infoInt reads an integer field of INFO.
func infoInt(t *testing.T, c *redis.Client, section, field string) int64 {
	t.Helper()
	for _, line := range strings.Split(c.Info(context.Background(), section).Val(), "\r\n") {
		if v, ok := strings.CutPrefix(line, field+":"); ok {
			n, err := strconv.ParseInt(v, 10, 64)
			if err != nil {
				t.Fatalf("INFO %s: %q", field, v)
			}
			return n
		}
	}
	t.Fatalf("INFO has no %s", field)
	return 0
}

// TestMaxmemoryNoeviction: past maxmemory, denyoom writes get Redis's OOM error;
// reads, deletes and writes that are not denyoom still run; nothing is evicted.
func TestMaxmemoryNoeviction(t *testing.T) {
	ctx := context.Background()
	eachServer(t, []string{"maxmemory", "2mb", "maxmemory-policy", "noeviction"}, func(t *testing.T, c *redis.Client) {
		val := strings.Repeat("x", 1000)
		var err error
		for i := 0; i < 100000 && err == nil; i++ {
			err = c.Set(ctx, "k"+strconv.Itoa(i), val, 0).Err()
		}
		if err == nil || err.Error() != errOOM {
			t.Fatalf("SET past maxmemory: %v", err)
		}
		conn := c.Conn()
		defer conn.Close()
		conn.Do(ctx, "MULTI")
		if err := conn.Do(ctx, "GET", "k2").Err(); err == nil || err.Error() != errOOM {
			t.Errorf("a read queued in MULTI while over maxmemory: %v", err)
		}
		conn.Do(ctx, "DISCARD")
		if err := c.Get(ctx, "k1").Err(); err != nil {
			t.Errorf("GET: %v", err)
		}
		if err := c.Del(ctx, "k1").Err(); err != nil {
			t.Errorf("DEL: %v", err)
		}
		if n := infoInt(t, c, "stats", "evicted_keys"); n != 0 {
			t.Errorf("evicted_keys = %d", n)
		}
	})
}

// TestMaxmemoryPolicies: under each policy the dataset stays within maxmemory, the
// keys evicted are those the policy ranks first (old, rare, soon-expiring: set up with
// RESTORE IDLETIME/FREQ and TTLs), the volatile policies never evict a key without an
// expire (and answer OOM once none is left), and evictions are counted and announced.
func TestMaxmemoryPolicies(t *testing.T) {
	ctx := context.Background()
	val := strings.Repeat("v", 2000)
	for _, policy := range []string{"allkeys-lru", "allkeys-lfu", "allkeys-random", "volatile-lru", "volatile-lfu", "volatile-random", "volatile-ttl"} {
		t.Run(policy, func(t *testing.T) {
			s, addr := startShoal(t, "maxmemory-policy", policy, "notify-keyspace-events", "Ee")
			c := newClient(t, addr, 2)
			sub := c.Subscribe(ctx, "__keyevent@0__:evicted")
			defer sub.Close()
			if _, err := sub.Receive(ctx); err != nil {
				t.Fatal(err)
			}
			payload := c.Dump(ctx, func() string { c.Set(ctx, "tmp", val, 0); return "tmp" }()).Val()
			c.Del(ctx, "tmp")
			volatile := strings.HasPrefix(policy, "volatile-")
			// 200 cold keys then 200 hot ones; for the volatile policies 100 keys
			// without an expire as well, which must all survive.
			for i := range 200 {
				cold, hot := "cold:"+strconv.Itoa(i), "hot:"+strconv.Itoa(i)
				ttlCold, ttlHot := time.Hour, 10*time.Hour
				if err := c.Do(ctx, "RESTORE", cold, 0, payload, "IDLETIME", 100000).Err(); err != nil && !strings.Contains(policy, "lfu") {
					t.Fatal(err)
				}
				if strings.Contains(policy, "lfu") {
					c.Do(ctx, "RESTORE", cold, 0, payload, "FREQ", 0, "REPLACE")
					c.Do(ctx, "RESTORE", hot, 0, payload, "FREQ", 100)
				} else {
					c.Do(ctx, "RESTORE", hot, 0, payload)
				}
				c.Expire(ctx, cold, ttlCold)
				c.Expire(ctx, hot, ttlHot)
			}
			if volatile {
				for i := range 100 {
					c.Set(ctx, "persistent:"+strconv.Itoa(i), val, 0)
				}
			}
			total := s.eng.MemTotal()
			limit := total * 3 / 4 // a quarter must go: about 100 keys
			if err := c.ConfigSet(ctx, "maxmemory", strconv.FormatInt(limit, 10)).Err(); err != nil {
				t.Fatal(err)
			}
			if err := c.Set(ctx, "trigger", "x", 0).Err(); err != nil {
				t.Fatalf("SET under %s: %v", policy, err)
			}
			c.Ping(ctx) // evictions run before each command: the SET itself may go over
			if got := s.eng.MemTotal(); got > limit {
				t.Errorf("memory total %d over maxmemory %d", got, limit)
			}
			evicted := infoInt(t, c, "stats", "evicted_keys")
			coldLeft, hotLeft := 0, 0
			for i := range 200 {
				coldLeft += int(c.Exists(ctx, "cold:"+strconv.Itoa(i)).Val())
				hotLeft += int(c.Exists(ctx, "hot:"+strconv.Itoa(i)).Val())
			}
			gone := int64(400-coldLeft-hotLeft) + 1 - c.Exists(ctx, "trigger").Val() // the random policies may take it too
			if gone != evicted || evicted < 50 {
				t.Errorf("evicted_keys %d, %d cold and %d hot keys left", evicted, coldLeft, hotLeft)
			}
			if !strings.HasSuffix(policy, "random") && 200-hotLeft > int(evicted)/10 {
				t.Errorf("%s evicted %d hot keys of %d evictions", policy, 200-hotLeft, evicted)
			}
			if volatile {
				if n := c.Exists(ctx, persistentKeys()...).Val(); n != 100 {
					t.Errorf("%s evicted keys without an expire: %d of 100 left", policy, n)
				}
			}
			msg, err := sub.ReceiveTimeout(ctx, 5*time.Second)
			if err != nil {
				t.Fatalf("no evicted event: %v", err)
			}
			if m, ok := msg.(*redis.Message); !ok || !strings.HasPrefix(m.Payload, "cold:") && !strings.HasPrefix(m.Payload, "hot:") {
				t.Errorf("evicted event: %v", msg)
			}
			if volatile {
				// With every volatile key gone, nothing is left to evict.
				c.ConfigSet(ctx, "maxmemory", "1")
				if err := c.Set(ctx, "more", val, 0).Err(); err == nil || err.Error() != errOOM {
					t.Errorf("SET with no volatile key left: %v", err)
				}
				if n := c.Exists(ctx, persistentKeys()...).Val(); n != 100 {
					t.Errorf("keys without an expire evicted: %d of 100 left", n)
				}
			}
		})
	}
}

func persistentKeys() []string {
	keys := make([]string, 100)
	for i := range keys {
		keys[i] = "persistent:" + strconv.Itoa(i)
	}
	return keys
}

// TestMemoryTotalTracksWrites: the total maxmemory is compared with follows values
// growing and shrinking in place, deletions, FLUSHALL and CONFIG SET maxmemory turned
// on after changes made without it.
func TestMemoryTotalTracksWrites(t *testing.T) {
	ctx := context.Background()
	s, addr := startShoal(t)
	c := newClient(t, addr, 2)
	for i := range 1000 {
		c.RPush(ctx, "list", strings.Repeat("e", 100)+strconv.Itoa(i))
		c.HSet(ctx, "hash", "f"+strconv.Itoa(i), strings.Repeat("h", 100))
	}
	c.ConfigSet(ctx, "maxmemory", "1gb") // recounts what changed without maxmemory
	want := c.MemoryUsage(ctx, "list").Val() + c.MemoryUsage(ctx, "hash").Val()
	if got := s.eng.MemTotal(); got != want {
		t.Errorf("after recount: total %d, MEMORY USAGE sum %d", got, want)
	}
	for i := range 500 {
		c.LPop(ctx, "list")
		c.HDel(ctx, "hash", "f"+strconv.Itoa(i))
		c.SAdd(ctx, "set", i)
	}
	want = c.MemoryUsage(ctx, "list").Val() + c.MemoryUsage(ctx, "hash").Val() + c.MemoryUsage(ctx, "set").Val()
	if got := s.eng.MemTotal(); got != want {
		t.Errorf("after writes in place: total %d, MEMORY USAGE sum %d", got, want)
	}
	c.Del(ctx, "list")
	c.FlushAll(ctx)
	if got := s.eng.MemTotal(); got != 0 {
		t.Errorf("after FLUSHALL: total %d", got)
	}
}

// TestObjectFreq: under an LFU policy a new key starts at 5 and accesses raise it.
func TestObjectFreq(t *testing.T) {
	ctx := context.Background()
	_, addr := startShoal(t, "maxmemory-policy", "allkeys-lfu", "lfu-log-factor", "0")
	c := newClient(t, addr, 2)
	c.Set(ctx, "k", "v", 0)
	if f := c.ObjectFreq(ctx, "k").Val(); f != 5 {
		t.Errorf("new key: freq %d", f)
	}
	for range 20 {
		c.Get(ctx, "k")
	}
	if f := c.ObjectFreq(ctx, "k").Val(); f < 20 {
		t.Errorf("after 20 reads with lfu-log-factor 0: freq %d", f)
	}
}
