package node

import (
	"context"
	"reflect"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
)

// zBlock sends a blocking command on its own connection and waits until the server
// counts want blocked clients; the reply arrives on the returned channel.
func zBlock(t *testing.T, addr string, ctl *redis.Client, want int, args ...any) <-chan bResult {
	t.Helper()
	ch := goDo(blockingClient(t, addr), args...)
	waitBlockedClients(t, ctl, want)
	return ch
}

func TestZsetBlockingPops(t *testing.T) {
	ctx := context.Background()
	eachAddr(t, func(t *testing.T, addr string) {
		ctl := newClient(t, addr, 2)
		do := func(args ...any) any {
			t.Helper()
			r, err := ctl.Do(ctx, args...).Result()
			if err != nil && err != redis.Nil {
				t.Fatalf("%v: %v", args, err)
			}
			return r
		}

		// Two clients on one key are served in arrival order by one ZADD.
		first := zBlock(t, addr, ctl, 1, "BZPOPMIN", "z", "0")
		second := zBlock(t, addr, ctl, 2, "BZPOPMIN", "other", "z", "0")
		do("ZADD", "z", "2", "b", "1", "a", "3", "c")
		expect(t, "blocked first", first, []any{"z", "a", "1"})
		expect(t, "blocked second", second, []any{"z", "b", "2"})
		if got := do("ZRANGE", "z", "0", "-1"); !reflect.DeepEqual(got, []any{"c"}) {
			t.Fatalf("left %v", got)
		}

		// BZPOPMAX on several keys: the key that was written answers.
		max := zBlock(t, addr, ctl, 1, "BZPOPMAX", "k1", "k2", "0")
		do("ZADD", "k2", "1", "x", "5", "y")
		expect(t, "blocked max", max, []any{"k2", "y", "5"})

		// BZMPOP with a count; the key is deleted when emptied.
		mpop := zBlock(t, addr, ctl, 1, "BZMPOP", "0", "2", "m1", "m2", "MAX", "COUNT", "5")
		do("ZADD", "m2", "1", "a", "2", "b")
		expect(t, "blocked mpop", mpop, []any{"m2", []any{[]any{"b", "2"}, []any{"a", "1"}}})
		if n := do("EXISTS", "m2"); n != int64(0) {
			t.Fatalf("emptied key still exists: %v", n)
		}

		// A key of another type does not serve a waiter; it stays blocked.
		typed := zBlock(t, addr, ctl, 1, "BZPOPMIN", "w", "10")
		do("SET", "w", "x")
		if n, _ := blockedClients(ctl); n != 1 {
			t.Fatalf("blocked_clients %d after SET", n)
		}
		do("DEL", "w")
		do("ZADD", "w", "7", "m")
		expect(t, "blocked typed", typed, []any{"w", "m", "7"})

		// Timeouts answer a null array.
		start := time.Now()
		r, err := ctl.Do(ctx, "BZPOPMIN", "nokey", "0.05").Result()
		if err != redis.Nil || r != nil {
			t.Fatalf("timeout reply %#v %v", r, err)
		}
		if time.Since(start) < 40*time.Millisecond {
			t.Fatal("timed out too early")
		}
		r, err = ctl.Do(ctx, "BZMPOP", "0.05", "1", "nokey", "MIN").Result()
		if err != redis.Nil || r != nil {
			t.Fatalf("BZMPOP timeout reply %#v %v", r, err)
		}
		waitBlockedClients(t, ctl, 0)
	})
}
