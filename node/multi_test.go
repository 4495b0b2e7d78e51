package node

import (
	"context"
	"errors"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/redis/go-redis/v9"
)

func TestMultiExec(t *testing.T) {
	connTranscript(t, 1,
		S("EXEC").Is(E("ERR EXEC without MULTI")),
		S("DISCARD").Is(E("ERR DISCARD without MULTI")),
		S("MULTI").Is("OK"),
		S("MULTI").Is(E("ERR MULTI calls can not be nested")),
		S("SET", "a", "1").Is("QUEUED"),
		S("INCR", "a").Is("QUEUED"),
		S("LPUSH", "a", "x").Is("QUEUED"),
		S("GET", "a").Is("QUEUED"),
		S("EXEC").Is([]any{"OK", int64(2), wrongType, "2"}),
		S("MULTI").Is("OK"),
		S("EXEC").Is([]any{}),
		S("MULTI").Is("OK"),
		S("SET", "b", "1").Is("QUEUED"),
		S("DISCARD").Is("OK"),
		S("EXISTS", "b").Is(0),
		S("MULTI").Is("OK"),
		S("WATCH", "a").Is(E("ERR WATCH inside MULTI is not allowed")),
		S("SET", "b", "1").Is("QUEUED"),
		S("EXEC").Is([]any{"OK"}),
		S("MULTI").Is("OK"),
		S("UNWATCH").Is("QUEUED"),
		S("EXEC").Is([]any{"OK"}),
		S("MULTI").Is("OK"),
		S("BLPOP", "nolist", "0").Is("QUEUED"),
		S("BZPOPMIN", "nozset", "0").Is("QUEUED"),
		S("BLMOVE", "nolist", "x", "LEFT", "LEFT", "0").Is("QUEUED"),
		S("EXEC").Is([]any{nil, nil, nil}),
	)
}

func TestMultiAbort(t *testing.T) {
	connTranscript(t, 1,
		S("MULTI").Is("OK"),
		S("SET", "a", "1").Is("QUEUED"),
		S("NOSUCHCMD", "x").Is(E("ERR unknown command 'NOSUCHCMD', with args beginning with: 'x' ")),
		S("SET", "b", "1").Is("QUEUED"),
		S("EXEC").Is(E("EXECABORT Transaction discarded because of previous errors.")),
		S("EXISTS", "a", "b").Is(0),
		S("MULTI").Is("OK"),
		S("GET").Is(E("ERR wrong number of arguments for 'get' command")),
		S("EXEC").Is(E("EXECABORT Transaction discarded because of previous errors.")),
		S("MULTI").Is("OK"),
		S("CONFIG", "NOPE").Is(Prefix("ERR unknown subcommand")),
		S("EXEC").Is(E("EXECABORT Transaction discarded because of previous errors.")),
		S("EXEC").Is(E("ERR EXEC without MULTI")),
		S("MULTI").Is("OK"),
		S("SET", "a", "1").Is("QUEUED"),
		S("RESET").Is("RESET"),
		S("EXEC").Is(E("ERR EXEC without MULTI")),
		S("EXISTS", "a").Is(0),
	)
}

func TestWatch(t *testing.T) {
	connTranscript(t, 2,
		S("SET", "k", "1").Is("OK"),
		S("WATCH", "k").Is("OK"),
		S("SET", "k", "2").On(1).Is("OK"),
		S("MULTI").Is("OK"),
		S("SET", "k", "3").Is("QUEUED"),
		S("EXEC").Is(nil),
		S("GET", "k").Is("2"),
		// EXEC forgets the watches: the next transaction succeeds.
		S("MULTI").Is("OK"),
		S("SET", "k", "3").Is("QUEUED"),
		S("EXEC").Is([]any{"OK"}),
		// A write by the same client also counts.
		S("WATCH", "k").Is("OK"),
		S("SET", "k", "4").Is("OK"),
		S("MULTI").Is("OK"),
		S("GET", "k").Is("QUEUED"),
		S("EXEC").Is(nil),
		// UNWATCH and DISCARD forget them.
		S("WATCH", "k").Is("OK"),
		S("SET", "k", "5").On(1).Is("OK"),
		S("UNWATCH").Is("OK"),
		S("MULTI").Is("OK"),
		S("GET", "k").Is("QUEUED"),
		S("EXEC").Is([]any{"5"}),
		S("WATCH", "k").Is("OK"),
		S("SET", "k", "6").On(1).Is("OK"),
		S("MULTI").Is("OK"),
		S("DISCARD").Is("OK"),
		S("MULTI").Is("OK"),
		S("GET", "k").Is("QUEUED"),
		S("EXEC").Is([]any{"6"}),
		// Watching a missing key: creating it is a change; a write to another is not.
		S("WATCH", "missing", "k").Is("OK"),
		S("SET", "other", "1").On(1).Is("OK"),
		S("MULTI").Is("OK"),
		S("PING").Is("QUEUED"),
		S("EXEC").Is([]any{"PONG"}),
		S("WATCH", "missing").Is("OK"),
		S("SET", "missing", "1").On(1).Is("OK"),
		S("MULTI").Is("OK"),
		S("PING").Is("QUEUED"),
		S("EXEC").Is(nil),
		// Deleting a key, and types other than strings.
		S("WATCH", "missing").Is("OK"),
		S("DEL", "missing").On(1).Is(1),
		S("MULTI").Is("OK"),
		S("EXEC").Is(nil),
		S("RPUSH", "l", "a").Is(1),
		S("WATCH", "l").Is("OK"),
		S("LPOP", "l").On(1).Is("a"),
		S("MULTI").Is("OK"),
		S("EXEC").Is(nil),
		S("HSET", "h", "f", "v").Is(1),
		S("WATCH", "h").Is("OK"),
		S("HSET", "h", "f", "w").On(1).Is(0),
		S("MULTI").Is("OK"),
		S("EXEC").Is(nil),
		// A watched key in another database than the write's is untouched.
		S("WATCH", "k").Is("OK"),
		S("SELECT", "1").On(1).Is("OK"),
		S("SET", "k", "x").On(1).Is("OK"),
		S("MULTI").Is("OK"),
		S("EXEC").Is([]any{}),
	)
}

func TestWatchFlushAndSwap(t *testing.T) {
	connTranscript(t, 2,
		S("SET", "k", "1").Is("OK"),
		S("WATCH", "k").Is("OK"),
		S("FLUSHALL").On(1).Is("OK"),
		S("MULTI").Is("OK"),
		S("EXEC").Is(nil),
		// FLUSHDB of an empty watched key's database is not a change.
		S("WATCH", "k").Is("OK"),
		S("FLUSHDB").On(1).Is("OK"),
		S("MULTI").Is("OK"),
		S("EXEC").Is([]any{}),
		S("SET", "k", "1").Is("OK"),
		S("WATCH", "k").Is("OK"),
		S("FLUSHDB").On(1).Is("OK"),
		S("MULTI").Is("OK"),
		S("EXEC").Is(nil),
		// SWAPDB: the key exists in the other database.
		S("SELECT", "1").On(1).Is("OK"),
		S("SET", "k", "other").On(1).Is("OK"),
		S("WATCH", "k").Is("OK"),
		S("SWAPDB", "0", "1").On(1).Is("OK"),
		S("MULTI").Is("OK"),
		S("EXEC").Is(nil),
		S("GET", "k").Is("other"),
	)
}

func TestWatchExpire(t *testing.T) {
	connTranscriptWith(t, 2, []string{"enable-debug-command", "yes"},
		S("DEBUG", "SET-ACTIVE-EXPIRE", "0").Is("OK"),
		// A key that expires after WATCH is a change.
		S("SET", "k", "1", "PX", "5").Is("OK"),
		S("WATCH", "k").Is("OK"),
		S("DEBUG", "SLEEP", "0.05").On(1).Is("OK"),
		S("MULTI").Is("OK"),
		S("PING").Is("QUEUED"),
		S("EXEC").Is(nil),
		// One already expired when WATCHed is not.
		S("SET", "k", "1", "PX", "5").Is("OK"),
		S("DEBUG", "SLEEP", "0.05").On(1).Is("OK"),
		S("WATCH", "k").Is("OK"),
		S("MULTI").Is("OK"),
		S("PING").Is("QUEUED"),
		S("EXEC").Is([]any{"PONG"}),
		S("DEBUG", "SET-ACTIVE-EXPIRE", "1").Is("OK"),
	)
}

func TestMultiClientList(t *testing.T) {
	connTranscript(t, 1,
		S("MULTI").Is("OK"),
		S("SET", "a", "1").Is("QUEUED"),
		S("CLIENT", "INFO").Is("QUEUED"),
		S("EXEC").Is([]any{"OK", Check(func(got any) bool {
			s, _ := got.(string)
			return strings.Contains(s, " flags=x ") && strings.Contains(s, " multi=2 ")
		})}),
	)
}

// TestWatchRace runs optimistic-locking increments (WATCH, GET, MULTI, SET, EXEC) from
// many clients at once: every EXEC that succeeded must be counted exactly once.
func TestWatchRace(t *testing.T) {
	_, addr := startShoal(t)
	rdb := redis.NewClient(&redis.Options{Addr: addr, PoolSize: 16})
	defer rdb.Close()
	ctx := context.Background()
	const workers, each = 8, 50
	var ok atomic.Int64
	var wg sync.WaitGroup
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range each {
				err := rdb.Watch(ctx, func(tx *redis.Tx) error {
					n, err := tx.Get(ctx, "counter").Int()
					if err != nil && !errors.Is(err, redis.Nil) {
						return err
					}
					_, err = tx.TxPipelined(ctx, func(p redis.Pipeliner) error {
						p.Set(ctx, "counter", strconv.Itoa(n+1), 0)
						return nil
					})
					return err
				}, "counter")
				if err == nil {
					ok.Add(1)
				} else if !errors.Is(err, redis.TxFailedErr) {
					t.Error(err)
					return
				}
			}
		}()
	}
	wg.Wait()
	n, err := rdb.Get(ctx, "counter").Int64()
	if err != nil {
		t.Fatal(err)
	}
	if n != ok.Load() {
		t.Fatalf("counter %d, successful transactions %d", n, ok.Load())
	}
	if ok.Load() == 0 {
		t.Fatal("no transaction succeeded")
	}
}
