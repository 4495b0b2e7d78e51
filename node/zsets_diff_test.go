package node

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"os/exec"
	"reflect"
	"strconv"
	"strings"
	"testing"

	"github.com/redis/go-redis/v9"
)

// TestZsetDifferential sends the same pseudo-random sorted set commands to shoal and to
// the real Redis and compares every reply, under the default thresholds and under tiny
// ones (frequent listpack → skiplist conversions). Lexicographic commands go to keys
// whose members all have score 0, where the order they rely on is defined.
func TestZsetDifferential(t *testing.T) {
	if _, err := exec.LookPath("redis-server"); err != nil {
		t.Skip("redis-server is not installed")
	}
	for name, dirs := range map[string][]string{
		"default": nil,
		"tiny":    {"zset-max-listpack-entries", "4", "zset-max-listpack-value", "3"},
	} {
		t.Run(name, func(t *testing.T) {
			tgs := servers(t, dirs...)
			a, b := newClient(t, tgs[0].addr, 2), newClient(t, tgs[1].addr, 2)
			rng := rand.New(rand.NewPCG(zdiffSeed, uint64(len(name))))
			g := &zcmdGen{rng: rng, scan: dirs == nil} // ZSCAN is deterministic on listpacks
			ctx := context.Background()
			fails := 0
			for i := uint64(0); i < zdiffSteps && fails < 10; i++ {
				cmd := g.next()
				ra, ea := zdo(ctx, a, cmd)
				rb, eb := zdo(ctx, b, cmd)
				if !reflect.DeepEqual(ra, rb) || ea != eb {
					fails++
					t.Errorf("#%d %s\n shoal %#v %s\n redis %#v %s", i, strings.Join(cmd, " "), ra, ea, rb, eb)
				}
			}
		})
	}
}

// The differential run's seed and length (raise them locally for a longer search).
var zdiffSeed, zdiffSteps uint64 = 7, 4000

func zdo(ctx context.Context, c *redis.Client, cmd []string) (any, string) {
	args := make([]any, len(cmd))
	for i, s := range cmd {
		args[i] = s
	}
	r, err := c.Do(ctx, args...).Result()
	var re redis.Error
	switch {
	case err == nil, errors.Is(err, redis.Nil):
		return r, ""
	case errors.As(err, &re):
		return nil, err.Error()
	}
	return nil, "transport: " + err.Error()
}

type zcmdGen struct {
	rng  *rand.Rand
	scan bool
}

func (g *zcmdGen) pick(xs ...string) string { return xs[g.rng.IntN(len(xs))] }

func (g *zcmdGen) key() string { return g.pick("z1", "z2", "z3", "z3", "str", "none") }
func (g *zcmdGen) lexKey() string {
	return g.pick("l1", "l2", "l2", "lstr") // lstr: only ever a string
}

func (g *zcmdGen) member() string {
	if g.rng.IntN(12) == 0 {
		return "long-" + strconv.Itoa(g.rng.IntN(5))
	}
	return string(rune('a' + g.rng.IntN(12)))
}

func (g *zcmdGen) score() string {
	switch g.rng.IntN(8) {
	case 0:
		return g.pick("inf", "-inf", "+inf", "1.5", "-0", "0.1", "3.0000000000000004", "1e3", "x", "0x1p1")
	case 1:
		return fmt.Sprintf("%.3f", g.rng.NormFloat64()*5)
	default:
		return strconv.Itoa(g.rng.IntN(10) - 3)
	}
}

func (g *zcmdGen) bound() string {
	s := g.pick("-inf", "+inf", "0", "1", "2", "3", "5", "1.5", "-1", "x", "")
	if g.rng.IntN(3) == 0 {
		s = "(" + s
	}
	return s
}

func (g *zcmdGen) lexBound() string {
	switch g.rng.IntN(6) {
	case 0:
		return g.pick("-", "+", "x", "")
	}
	return g.pick("[", "(") + g.member()
}

func (g *zcmdGen) index() string { return strconv.Itoa(g.rng.IntN(14) - 7) }

func (g *zcmdGen) limit(cmd []string) []string {
	if g.rng.IntN(3) == 0 {
		cmd = append(cmd, "LIMIT", strconv.Itoa(g.rng.IntN(6)-1), strconv.Itoa(g.rng.IntN(6)-2))
	}
	return cmd
}

func (g *zcmdGen) maybe(cmd []string, opt ...string) []string {
	if g.rng.IntN(3) == 0 {
		cmd = append(cmd, opt...)
	}
	return cmd
}

func (g *zcmdGen) keys() []string {
	n := 1 + g.rng.IntN(3)
	out := []string{strconv.Itoa(n)}
	for range n {
		out = append(out, g.key())
	}
	return out
}

func (g *zcmdGen) next() []string {
	switch g.rng.IntN(30) {
	case 0, 1, 2, 3:
		cmd := []string{"ZADD", g.key()}
		for _, o := range []string{"NX", "XX", "GT", "LT", "CH", "INCR"} {
			if g.rng.IntN(8) == 0 {
				cmd = append(cmd, o)
			}
		}
		for range 1 + g.rng.IntN(3) {
			cmd = append(cmd, g.score(), g.member())
		}
		return cmd
	case 4:
		cmd := []string{"ZADD", g.lexKey()}
		for range 1 + g.rng.IntN(4) {
			cmd = append(cmd, "0", g.member())
		}
		return cmd
	case 5:
		return []string{"ZINCRBY", g.key(), g.score(), g.member()}
	case 6:
		return []string{"ZREM", g.key(), g.member(), g.member()}
	case 7:
		cmd := []string{"ZRANGE", g.key(), g.index(), g.index()}
		cmd = g.maybe(cmd, "REV")
		return g.maybe(cmd, "WITHSCORES")
	case 8, 9:
		cmd := []string{"ZRANGE", g.key(), g.bound(), g.bound(), "BYSCORE"}
		cmd = g.maybe(cmd, "REV")
		cmd = g.maybe(cmd, "WITHSCORES")
		return g.limit(cmd)
	case 10:
		cmd := []string{"ZRANGE", g.lexKey(), g.lexBound(), g.lexBound(), "BYLEX"}
		cmd = g.maybe(cmd, "REV")
		return g.limit(cmd)
	case 11:
		cmd := []string{g.pick("ZRANGEBYSCORE", "ZREVRANGEBYSCORE"), g.key(), g.bound(), g.bound()}
		cmd = g.maybe(cmd, "WITHSCORES")
		return g.limit(cmd)
	case 12:
		return g.limit([]string{g.pick("ZRANGEBYLEX", "ZREVRANGEBYLEX"), g.lexKey(), g.lexBound(), g.lexBound()})
	case 13:
		return []string{"ZCOUNT", g.key(), g.bound(), g.bound()}
	case 14:
		return []string{"ZLEXCOUNT", g.lexKey(), g.lexBound(), g.lexBound()}
	case 15:
		return []string{g.pick("ZRANK", "ZREVRANK", "ZSCORE"), g.key(), g.member()}
	case 16:
		return []string{"ZMSCORE", g.key(), g.member(), g.member()}
	case 17:
		return []string{"ZCARD", g.pick(g.key(), g.lexKey())}
	case 18:
		switch g.rng.IntN(3) {
		case 0:
			return []string{"ZREMRANGEBYRANK", g.key(), g.index(), g.index()}
		case 1:
			return []string{"ZREMRANGEBYSCORE", g.key(), g.bound(), g.bound()}
		}
		return []string{"ZREMRANGEBYLEX", g.lexKey(), g.lexBound(), g.lexBound()}
	case 19:
		return g.maybe([]string{g.pick("ZPOPMIN", "ZPOPMAX"), g.key()}, strconv.Itoa(g.rng.IntN(4)))
	case 20:
		cmd := append([]string{"ZMPOP"}, g.keys()...)
		cmd = append(cmd, g.pick("MIN", "MAX"))
		return g.maybe(cmd, "COUNT", strconv.Itoa(g.rng.IntN(4)))
	case 21, 22:
		op := g.pick("ZUNION", "ZINTER", "ZDIFF")
		cmd := append([]string{op}, g.keys()...)
		if op != "ZDIFF" && g.rng.IntN(3) == 0 {
			n, _ := strconv.Atoi(cmd[1])
			cmd = append(cmd, "WEIGHTS")
			for range n {
				cmd = append(cmd, g.pick("1", "2", "-1", "0", "0.5", "inf"))
			}
		}
		if op != "ZDIFF" {
			cmd = g.maybe(cmd, "AGGREGATE", g.pick("SUM", "MIN", "MAX"))
		}
		return g.maybe(cmd, "WITHSCORES")
	case 23, 24:
		op := g.pick("ZUNIONSTORE", "ZINTERSTORE", "ZDIFFSTORE")
		cmd := append([]string{op, g.key()}, g.keys()...)
		if op != "ZDIFFSTORE" {
			cmd = g.maybe(cmd, "AGGREGATE", g.pick("SUM", "MIN", "MAX"))
		}
		return cmd
	case 25:
		return g.maybe(append([]string{"ZINTERCARD"}, g.keys()...), "LIMIT", strconv.Itoa(g.rng.IntN(3)))
	case 26:
		cmd := []string{"ZRANGESTORE", g.key(), g.key()}
		if g.rng.IntN(2) == 0 {
			return append(cmd, g.index(), g.index())
		}
		return g.limit(append(cmd, g.bound(), g.bound(), "BYSCORE"))
	case 27:
		if g.scan && g.rng.IntN(2) == 0 {
			return g.maybe([]string{"ZSCAN", g.key(), "0"}, "MATCH", g.pick("[a-f]*", "long*", "?"))
		}
		return []string{"ZRANDMEMBER", g.key(), "1000", "WITHSCORES"}
	case 28:
		return []string{"SET", g.pick("str", "lstr"), "v"}
	}
	return []string{"ZRANGE", g.key(), "0", "-1", "WITHSCORES"}
}
