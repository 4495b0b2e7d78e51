package node

import (
	"context"
	"math/rand/v2"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/shoal-db/shoal/node/spec"
	"github.com/shoal-db/shoal/storage"
)

// robustSkip are commands the random-argument test must not send: they stop the server,
// drop the connection, sleep, pause every client, change the connection's mode
// (subscriber, monitor, transaction, replica link) or lock the test's user out.
var robustSkip = map[string]bool{
	"shutdown": true, "debug": true, "quit": true, "reset": true, "client|kill": true,
	"hello": true, "auth": true, "select": true, "swapdb": true,
	"client|pause": true, "monitor": true, "subscribe": true, "psubscribe": true, "ssubscribe": true,
	"multi": true, "acl|setuser": true, "acl|load": true, "acl|deluser": true,
	"psync": true, "sync": true,
}

// docTokens collects the keyword tokens a command's COMMAND DOCS arguments mention.
func docTokens(doc []any) []string {
	var out []string
	var walk func(args []any)
	walk = func(args []any) {
		for _, a := range args {
			m := a.([]any)
			for i := 0; i+1 < len(m); i += 2 {
				switch m[i] {
				case "token":
					out = append(out, m[i+1].(string))
				case "arguments":
					walk(m[i+1].([]any))
				}
			}
		}
	}
	for i := 0; i+1 < len(doc); i += 2 {
		if doc[i] == "arguments" {
			walk(doc[i+1].([]any))
		}
	}
	return out
}

// Every implemented command, sent random arguments built from its own keywords, numbers
// of every awkward kind and keys of every type, never makes a handler panic (a panic
// answers "ERR internal error…") and never hangs the connection.
func TestRandomArgumentsNeverPanic(t *testing.T) {
	s, addr := startShoal(t)
	c := redis.NewClient(&redis.Options{Addr: addr, Protocol: 2, DisableIdentity: true, MaxRetries: -1,
		ReadTimeout: 5 * time.Second, PoolSize: 1})
	defer c.Close()
	ctx := context.Background()
	rng := rand.New(rand.NewPCG(1, 2))
	numbers := []string{"0", "1", "-1", "2", "3", "10", "-10", "100", "1.5", "-2.5", "inf", "-inf", "+inf",
		"nan", "9223372036854775807", "-9223372036854775808", "9223372036854775808", "1e308", "0x10",
		"4294967296", "-4294967297", "", " 1", "(1", "[a", "-", "+", "*", "0.01"}
	keys := []string{"str", "int", "list", "hash", "set", "zset", "nokey", "{t}a", "{t}b"}
	populate := func() {
		c.FlushAll(ctx)
		c.Set(ctx, "str", "hello world", 0)
		c.Set(ctx, "int", "12345", 0)
		c.Do(ctx, "RPUSH", "list", "a", "b", "c", "1", "2")
		c.Do(ctx, "HSET", "hash", "f1", "v1", "f2", "2")
		c.Do(ctx, "SADD", "set", "a", "b", "1")
		c.Do(ctx, "ZADD", "zset", "1", "a", "2", "b", "2.5", "c")
	}
	for _, top := range s.table.order {
		cmds := []*Command{top}
		if top.subs != nil {
			cmds = top.subsInOrder()
		}
		for _, cmd := range cmds {
			if robustSkip[cmd.FullName] || robustSkip[top.Name] {
				continue
			}
			tokens := docTokens(cmd.Docs)
			blocking := cmd.Has(spec.Blocking)
			for iter := range 60 {
				if iter%20 == 0 {
					populate()
				}
				args := strings.Split(cmd.FullName, "|")
				n := rng.IntN(7)
				if cmd.Arity > 0 {
					n = cmd.Arity - len(args)
				} else if min := -cmd.Arity - len(args); n < min {
					n = min
				}
				for range n {
					switch r := rng.IntN(10); {
					case r < 3 && len(tokens) > 0:
						args = append(args, tokens[rng.IntN(len(tokens))])
					case r < 6:
						args = append(args, numbers[rng.IntN(len(numbers))])
					case r < 9:
						args = append(args, keys[rng.IntN(len(keys))])
					default:
						b := make([]byte, rng.IntN(8))
						for i := range b {
							b[i] = byte(rng.IntN(256))
						}
						args = append(args, string(b))
					}
				}
				if blocking { // bound the wait: every number could be the timeout
					for i, a := range args {
						if _, ok, _ := storage.Strtod([]byte(a), true); ok || strings.Contains(a, "inf") {
							args[i] = "0.01"
						}
					}
				}
				iargs := make([]any, len(args))
				for i, a := range args {
					iargs[i] = a
				}
				err := c.Do(ctx, iargs...).Err()
				if err != nil && strings.Contains(err.Error(), "internal error") {
					t.Errorf("%q: %v", args, err)
				} else if err != nil && !isRedisError(err) {
					t.Fatalf("%q: connection failed: %v", args, err)
				}
			}
		}
	}
	if err := c.Ping(ctx).Err(); err != nil {
		t.Fatalf("server unhealthy after the run: %v", err)
	}
}

func isRedisError(err error) bool {
	_, ok := err.(redis.Error)
	return ok || err == redis.Nil
}
