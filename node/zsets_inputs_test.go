package node

import (
	"context"
	"reflect"
	"strconv"
	"strings"
	"testing"

	"github.com/shoal-db/shoal/storage"
)

// zFakeCollection stands in for the set (and list) types, written elsewhere: ZUNION and
// friends must take any Iterable of type set as members with score 1, and refuse others.
type zFakeCollection struct {
	typ     storage.Type
	members []string
}

func (f *zFakeCollection) Type() storage.Type { return f.typ }
func (f *zFakeCollection) Encoding() string   { return "hashtable" }
func (f *zFakeCollection) Mem() int64         { return 0 }
func (f *zFakeCollection) Clone() storage.Value {
	return &zFakeCollection{f.typ, append([]string(nil), f.members...)}
}
func (f *zFakeCollection) Len() int { return len(f.members) }
func (f *zFakeCollection) Each(fn func([]byte) bool) {
	for _, m := range f.members {
		if !fn([]byte(m)) {
			return
		}
	}
}

// zPut stores v under key in database 0 of s, as a command would (stripe held).
func zPut(s *Server, key string, v storage.Value) {
	sl := slot([]byte(key))
	s.eng.LockSlot(sl)
	s.eng.DB(0).SetValue(sl, []byte(key), v, 0, false)
	s.eng.UnlockSlot(sl)
}

func zEncodingOf(s *Server, key string) string {
	sl := slot([]byte(key))
	s.eng.LockSlot(sl)
	defer s.eng.UnlockSlot(sl)
	enc, _ := s.eng.DB(0).Encoding(sl, []byte(key))
	return enc
}

func TestZsetSetInputs(t *testing.T) {
	s, addr := startShoal(t)
	zPut(s, "set", &zFakeCollection{storage.TypeSet, []string{"b", "x", "a"}})
	zPut(s, "list", &zFakeCollection{storage.TypeList, []string{"a"}})
	c := newClient(t, addr, 2)
	runTranscript(t, c, []step{
		S("ZADD", "z", "1", "a", "2", "b", "3", "c").Is(3),
		S("ZUNION", "2", "z", "set", "WITHSCORES").Is([]any{"x", "1", "a", "2", "b", "3", "c", "3"}),
		S("ZUNION", "2", "z", "set", "WEIGHTS", "1", "10", "AGGREGATE", "MAX", "WITHSCORES").Is([]any{"c", "3", "a", "10", "b", "10", "x", "10"}),
		S("ZINTER", "2", "set", "z", "WITHSCORES").Is([]any{"a", "2", "b", "3"}),
		S("ZINTER", "2", "z", "set", "AGGREGATE", "MIN", "WITHSCORES").Is([]any{"a", "1", "b", "1"}),
		S("ZINTERCARD", "2", "z", "set").Is(2),
		S("ZDIFF", "2", "set", "z", "WITHSCORES").Is([]any{"x", "1"}),
		S("ZDIFF", "2", "z", "set").Is([]any{"c"}),
		S("ZUNIONSTORE", "d", "1", "set").Is(3),
		S("ZRANGE", "d", "0", "-1", "WITHSCORES").Is([]any{"a", "1", "b", "1", "x", "1"}),
		S("ZUNION", "2", "z", "list").Is(E(errWrongType)),
		S("ZINTERCARD", "1", "list").Is(E(errWrongType)),
		S("ZRANGE", "set", "0", "-1").Is(E(errWrongType)),
	})
}

// With the real set type present (SADD registered), the same checks run against Redis.
func TestZsetSetInputsTranscript(t *testing.T) {
	if c := newTable(allDefs()).byName["sadd"]; c == nil || c.fn == nil {
		t.Skip("the set type is not in this build yet (SADD unregistered)")
	}
	transcript(t,
		S("ZADD", "z", "1", "a", "2", "b", "3", "c").Is(3),
		S("SADD", "set", "b", "x", "a").Is(3),
		S("SADD", "iset", "1", "2", "3").Is(3),
		S("ZUNION", "2", "z", "set", "WITHSCORES").Is([]any{"x", "1", "a", "2", "b", "3", "c", "3"}),
		S("ZINTER", "2", "set", "z", "WITHSCORES").Is([]any{"a", "2", "b", "3"}),
		S("ZDIFF", "2", "set", "z", "WITHSCORES").Is([]any{"x", "1"}),
		S("ZINTERCARD", "2", "z", "set").Is(2),
		S("ZUNIONSTORE", "d", "2", "iset", "set", "WEIGHTS", "2", "3").Is(6),
		S("ZRANGE", "d", "0", "-1", "WITHSCORES").Is([]any{"1", "2", "2", "2", "3", "2", "a", "3", "b", "3", "x", "3"}),
	)
}

// OBJECT ENCODING is not in this build yet: the encodings are read from the engine.
func TestZsetEncodings(t *testing.T) {
	s, addr := startShoal(t)
	c := newClient(t, addr, 2)
	ctx := context.Background()
	do := func(args ...any) {
		t.Helper()
		if err := c.Do(ctx, args...).Err(); err != nil {
			t.Fatalf("%v: %v", args, err)
		}
	}
	args := []any{"ZADD", "z"}
	for i := range 128 {
		args = append(args, i, "m"+strconv.Itoa(i))
	}
	do(args...)
	if enc := zEncodingOf(s, "z"); enc != "listpack" {
		t.Fatalf("128 members: %s", enc)
	}
	do("ZADD", "z", 1, "one-more")
	if enc := zEncodingOf(s, "z"); enc != "skiplist" {
		t.Fatalf("129 members: %s", enc)
	}
	do("ZREMRANGEBYRANK", "z", 0, 120)
	if enc := zEncodingOf(s, "z"); enc != "skiplist" {
		t.Fatalf("after removals: %s", enc)
	}
	do("ZRANGESTORE", "small", "z", 0, 2)
	do("ZUNIONSTORE", "big", 2, "z", "small")
	do("ZADD", "long", 1, strings.Repeat("x", 65))
	for key, want := range map[string]string{"small": "listpack", "big": "listpack", "long": "skiplist"} {
		if enc := zEncodingOf(s, key); enc != want {
			t.Errorf("%s: %s, want %s", key, enc, want)
		}
	}
	do("CONFIG", "SET", "zset-max-listpack-entries", "2")
	do("ZUNIONSTORE", "big", 2, "z", "small")
	do("ZADD", "three", 1, "a", 2, "b", 3, "c")
	for key, want := range map[string]string{"big": "skiplist", "three": "skiplist"} {
		if enc := zEncodingOf(s, key); enc != want {
			t.Errorf("%s: %s, want %s", key, enc, want)
		}
	}
	if r, _ := c.Do(ctx, "ZRANGE", "three", 0, -1).Result(); !reflect.DeepEqual(r, []any{"a", "b", "c"}) {
		t.Errorf("three: %v", r)
	}
}
