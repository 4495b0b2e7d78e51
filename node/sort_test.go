package node

import (
	"context"
	"testing"

	"github.com/shoal-db/shoal/storage"
)

func TestSortBasics(t *testing.T) {
	transcript(t,
		S("RPUSH", "l", "3", "1", "2", "10", "-1.5").Is(5),
		S("SORT", "l").Is([]any{"-1.5", "1", "2", "3", "10"}),
		S("SORT", "l", "DESC").Is([]any{"10", "3", "2", "1", "-1.5"}),
		S("SORT", "l", "ASC").Is([]any{"-1.5", "1", "2", "3", "10"}),
		S("SORT", "l", "desc", "asc").Is([]any{"-1.5", "1", "2", "3", "10"}),
		S("SORT", "l", "ALPHA").Is([]any{"-1.5", "1", "10", "2", "3"}),
		S("SORT", "l", "alpha", "desc").Is([]any{"3", "2", "10", "1", "-1.5"}),
		S("SORT", "l", "LIMIT", "1", "2").Is([]any{"1", "2"}),
		S("SORT", "l", "LIMIT", "-1", "2").Is([]any{"-1.5", "1"}),
		S("SORT", "l", "LIMIT", "3", "-1").Is([]any{"3", "10"}),
		S("SORT", "l", "LIMIT", "3", "100").Is([]any{"3", "10"}),
		S("SORT", "l", "LIMIT", "5", "1").Is([]any{}),
		S("SORT", "l", "LIMIT", "0", "0").Is([]any{}),
		S("SORT", "l", "LIMIT", "9223372036854775807", "9223372036854775807").Is([]any{}),
		S("SORT", "l", "DESC", "ALPHA", "LIMIT", "1", "2").Is([]any{"2", "10"}),
		S("SORT", "l", "LIMIT", "1", "2", "LIMIT", "0", "1").Is([]any{"-1.5"}),
		S("SORT_RO", "l", "DESC", "LIMIT", "0", "2").Is([]any{"10", "3"}),
		S("SORT", "nokey").Is([]any{}),
		S("SORT_RO", "nokey", "BY", "nosort").Is([]any{}),
		// Numeric ties are broken by the elements' bytes.
		S("RPUSH", "ties", "1.0", "1", "01", "2", "1e0").Is(5),
		S("SORT", "ties").Is([]any{"01", "1", "1.0", "1e0", "2"}),
		S("SORT", "ties", "DESC").Is([]any{"2", "1e0", "1.0", "1", "01"}),
		// What strtod accepts.
		S("RPUSH", "forms", "00012", "+3", "1e308", "  7", "", "0x10", "0X1P3", "Infinity", "-inf", "1.0", ".5", "5.", "-.5e1").Is(13),
		S("SORT", "forms").Is([]any{"-inf", "-.5e1", "", ".5", "1.0", "+3", "5.", "  7", "0X1P3", "00012", "0x10", "1e308", "Infinity"}),
		// Errors.
		S("RPUSH", "words", "b", "1", "a").Is(3),
		S("SORT", "words").Is(E("ERR One or more scores can't be converted into double")),
		S("SORT", "words", "STORE", "dst").Is(E("ERR One or more scores can't be converted into double")),
		S("EXISTS", "dst").Is(0),
		S("SORT", "words", "ALPHA").Is([]any{"1", "a", "b"}),
		S("SORT", "words", "BY", "nosort").Is([]any{"b", "1", "a"}),
		S("RPUSH", "spaces", "5 ").Is(1),
		S("SORT", "spaces").Is(E("ERR One or more scores can't be converted into double")),
		S("RPUSH", "blank", "  ").Is(1),
		S("SORT", "blank").Is(E("ERR One or more scores can't be converted into double")),
		S("RPUSH", "nan", "nan").Is(1),
		S("SORT", "nan").Is(E("ERR One or more scores can't be converted into double")),
		S("SORT", "l", "foo").Is(E("ERR syntax error")),
		S("SORT", "l", "LIMIT", "0").Is(E("ERR syntax error")),
		S("SORT", "l", "LIMIT", "x", "1").Is(E("ERR value is not an integer or out of range")),
		S("SORT", "l", "LIMIT", "0", "x").Is(E("ERR value is not an integer or out of range")),
		S("SORT", "l", "BY").Is(E("ERR syntax error")),
		S("SORT", "l", "GET").Is(E("ERR syntax error")),
		S("SORT", "l", "STORE").Is(E("ERR syntax error")),
		S("SORT_RO", "l", "STORE", "dst").Is(E("ERR syntax error")),
		S("SORT", "nokey", "foo").Is(E("ERR syntax error")),
		S("SET", "s", "v").Is("OK"),
		S("SORT", "s").Is(E(wrongType)),
		S("SORT_RO", "s").Is(E(wrongType)),
		S("SORT", "s", "foo").Is(E("ERR syntax error")),
		S("SORT").Is(E("ERR wrong number of arguments for 'sort' command")),
		S("SORT_RO").Is(E("ERR wrong number of arguments for 'sort_ro' command")),
	)
}

func TestSortByGet(t *testing.T) {
	transcript(t,
		S("RPUSH", "l", "3", "1", "2", "10").Is(4),
		S("SET", "w_1", "5").Is("OK"),
		S("SET", "w_2", "3").Is("OK"),
		S("SET", "w_3", "4").Is("OK"),
		S("SET", "w_10", "1").Is("OK"),
		S("SET", "o_1", "one").Is("OK"),
		S("SET", "o_3", "three").Is("OK"),
		S("SORT", "l", "BY", "w_*").Is([]any{"10", "2", "3", "1"}),
		S("SORT", "l", "BY", "w_*", "DESC").Is([]any{"1", "3", "2", "10"}),
		S("SORT", "l", "BY", "w_*", "LIMIT", "1", "2").Is([]any{"2", "3"}),
		S("SORT", "l", "BY", "w_*", "GET", "#").Is([]any{"10", "2", "3", "1"}),
		S("SORT", "l", "BY", "w_*", "GET", "w_*", "GET", "#").Is([]any{"1", "10", "3", "2", "4", "3", "5", "1"}),
		S("SORT", "l", "GET", "o_*").Is([]any{"one", nil, "three", nil}),
		S("SORT", "l", "GET", "nostar").Is([]any{nil, nil, nil, nil}),
		S("SORT", "l", "GET", "l").Is([]any{nil, nil, nil, nil}),
		S("SORT", "l", "BY", "w_*", "ALPHA").Is([]any{"10", "2", "3", "1"}),
		// Missing BY keys score 0 (ties broken by the element); with ALPHA they sort first.
		S("SORT", "l", "BY", "o_*", "ALPHA").Is([]any{"2", "10", "1", "3"}),
		S("SORT", "l", "BY", "missing_*").Is([]any{"1", "10", "2", "3"}),
		S("SORT", "l", "BY", "o_*").Is(E("ERR One or more scores can't be converted into double")),
		S("SORT", "l", "BY", "l").Is([]any{"3", "1", "2", "10"}),
		// BY without '*' keeps the list's order: DESC reverses it, LIMIT slices it, and it
		// stays in force even after a later BY pattern.
		S("SORT", "l", "BY", "nosort").Is([]any{"3", "1", "2", "10"}),
		S("SORT", "l", "BY", "nosort", "DESC").Is([]any{"10", "2", "1", "3"}),
		S("SORT", "l", "BY", "nosort", "LIMIT", "1", "2").Is([]any{"1", "2"}),
		S("SORT", "l", "BY", "nosort", "DESC", "LIMIT", "1", "2").Is([]any{"2", "1"}),
		S("SORT", "l", "BY", "nosort", "LIMIT", "3", "5").Is([]any{"10"}),
		S("SORT", "l", "BY", "nosort", "LIMIT", "4", "5").Is([]any{}),
		S("SORT", "l", "BY", "nosort", "BY", "w_*").Is([]any{"3", "1", "2", "10"}),
		S("SORT", "l", "BY", "w_*", "BY", "nosort", "GET", "#", "GET", "w_*").Is([]any{"3", "4", "1", "5", "2", "3", "10", "1"}),
		S("SORT", "l", "BY", "nosort", "GET", "o_*").Is([]any{"three", "one", nil, nil}),
		S("SORT_RO", "l", "BY", "w_*", "GET", "o_*").Is([]any{nil, nil, "three", "one"}),
		// A BY/GET key of another type counts as missing.
		S("RPUSH", "w_x", "1").Is(1),
		S("RPUSH", "k", "x").Is(1),
		S("SORT", "k", "BY", "w_*", "GET", "w_*").Is([]any{nil}),
		// "->" needs a field after it; otherwise it is part of the key name.
		S("SET", "o_1->", "arrow").Is("OK"),
		S("SORT", "l", "BY", "nosort", "GET", "o_*->").Is([]any{nil, "arrow", nil, nil}),
		S("SORT", "l", "BY", "nosort", "GET", "o_*->f").Is([]any{nil, nil, nil, nil}),
	)
}

func TestSortStore(t *testing.T) {
	transcript(t,
		S("RPUSH", "l", "3", "1", "2").Is(3),
		S("SORT", "l", "STORE", "dst").Is(3),
		S("LRANGE", "dst", "0", "-1").Is([]any{"1", "2", "3"}),
		S("SORT", "l", "DESC", "LIMIT", "0", "2", "STORE", "dst").Is(2),
		S("LRANGE", "dst", "0", "-1").Is([]any{"3", "2"}),
		S("SET", "o_1", "one").Is("OK"),
		S("SORT", "l", "GET", "o_*", "GET", "#", "STORE", "dst").Is(6),
		S("LRANGE", "dst", "0", "-1").Is([]any{"one", "1", "", "2", "", "3"}),
		S("SET", "str", "v").Is("OK"),
		S("SORT", "l", "STORE", "str").Is(3),
		S("LRANGE", "str", "0", "-1").Is([]any{"1", "2", "3"}),
		S("SORT", "l", "STORE", "l").Is(3),
		S("LRANGE", "l", "0", "-1").Is([]any{"1", "2", "3"}),
		S("SORT", "l", "BY", "nosort", "DESC", "STORE", "dst").Is(3),
		S("LRANGE", "dst", "0", "-1").Is([]any{"3", "2", "1"}),
		S("SORT", "l", "STORE", "a", "STORE", "b").Is(3),
		S("EXISTS", "a").Is(0),
		S("LRANGE", "b", "0", "-1").Is([]any{"1", "2", "3"}),
		// An empty result deletes the destination.
		S("SORT", "nokey", "STORE", "dst").Is(0),
		S("EXISTS", "dst").Is(0),
		S("SORT", "l", "LIMIT", "10", "1", "STORE", "str").Is(0),
		S("EXISTS", "str").Is(0),
		S("SORT", "nokey", "STORE", "nokey2").Is(0),
	)
}

// strtod's range errors (underflow to a subnormal or zero, overflow) are conversion
// errors. (Redis never clears errno before strtod, so after one such error it may
// reject later valid input too; the comparison therefore runs these last.)
func TestSortRangeErrors(t *testing.T) {
	transcript(t,
		S("RPUSH", "ok", "0e-400", "0x0p-2000").Is(2),
		S("SORT", "ok").Is([]any{"0e-400", "0x0p-2000"}),
		S("RPUSH", "sub", "1e-310").Is(1),
		S("SORT", "sub").Is(E("ERR One or more scores can't be converted into double")),
	)
	transcript(t,
		S("RPUSH", "big", "1e400").Is(1),
		S("SORT", "big").Is(E("ERR One or more scores can't be converted into double")),
	)
}

// fakeHash stands in for the hash type (written in parallel) to exercise "->" lookups.
type fakeHash map[string]string

func (h fakeHash) Type() storage.Type   { return storage.TypeHash }
func (h fakeHash) Encoding() string     { return "listpack" }
func (h fakeHash) Mem() int64           { return 0 }
func (h fakeHash) Clone() storage.Value { return h }
func (h fakeHash) Get(f []byte) ([]byte, bool) {
	v, ok := h[string(f)]
	return []byte(v), ok
}

// Hash field patterns, checked against what Redis 7.0.15 answers for the same data
// (HSET h_1 f a, HSET h_2 f b, HSET h_3 g c).
func TestSortHashFields(t *testing.T) {
	s, addr := startShoal(t)
	for key, h := range map[string]fakeHash{"h_1": {"f": "a"}, "h_2": {"f": "b"}, "h_3": {"g": "c"}} {
		sl := slot([]byte(key))
		s.eng.LockSlot(sl)
		s.eng.DB(0).SetValue(sl, []byte(key), h, 0, false)
		s.eng.UnlockSlot(sl)
	}
	c := newClient(t, addr, 2)
	if err := c.RPush(context.Background(), "l", "3", "1", "2", "10").Err(); err != nil {
		t.Fatal(err)
	}
	runTranscript(t, c, []step{
		S("SORT", "l", "BY", "nosort", "GET", "h_*->f").Is([]any{nil, "a", "b", nil}),
		S("SORT", "l", "BY", "nosort", "GET", "h_*->g", "GET", "#").Is([]any{"c", "3", nil, "1", nil, "2", nil, "10"}),
		S("SORT", "l", "BY", "h_*->f", "ALPHA").Is([]any{"3", "10", "1", "2"}),
		S("SORT", "l", "BY", "h_*->f", "ALPHA", "DESC").Is([]any{"2", "1", "3", "10"}),
		S("SORT", "l", "BY", "h_*->f").Is(E("ERR One or more scores can't be converted into double")),
		S("SORT", "l", "GET", "h_*").Is([]any{nil, nil, nil, nil}),
		S("SORT", "l", "BY", "nosort", "GET", "h_*->f", "STORE", "dst").Is(4),
		S("LRANGE", "dst", "0", "-1").Is([]any{"", "a", "b", ""}),
	})
}

// fakeColl stands in for the set and sorted set types (written in parallel): an
// Iterable of the given type whose Each hands out one reused buffer, as an intset does.
type fakeColl struct {
	typ   storage.Type
	elems []string
}

func (f *fakeColl) Type() storage.Type   { return f.typ }
func (f *fakeColl) Encoding() string     { return "fake" }
func (f *fakeColl) Mem() int64           { return 0 }
func (f *fakeColl) Clone() storage.Value { return f }
func (f *fakeColl) Len() int             { return len(f.elems) }
func (f *fakeColl) Each(fn func([]byte) bool) {
	var buf []byte
	for _, e := range f.elems {
		buf = append(buf[:0], e...)
		if !fn(buf) {
			return
		}
	}
}

// SORT of sets and sorted sets, checked against what Redis 7.0.15 answers for the same
// data (ZADD z 1 x 2 y 3 z; SADD s c a b; SADD n 3 1 2): a sorted set keeps its order
// under BY nosort (DESC reverses it); a set stored under BY nosort is sorted ALPHA.
func TestSortOtherTypes(t *testing.T) {
	s, addr := startShoal(t)
	for key, v := range map[string]*fakeColl{
		"z": {storage.TypeZSet, []string{"x", "y", "z"}},
		"s": {storage.TypeSet, []string{"c", "a", "b"}},
		"n": {storage.TypeSet, []string{"3", "1", "2"}},
		"h": {storage.TypeHash, []string{"f", "v"}},
	} {
		sl := slot([]byte(key))
		s.eng.LockSlot(sl)
		s.eng.DB(0).SetValue(sl, []byte(key), v, 0, false)
		s.eng.UnlockSlot(sl)
	}
	runTranscript(t, newClient(t, addr, 2), []step{
		S("SORT", "z", "BY", "nosort", "DESC", "LIMIT", "0", "2").Is([]any{"z", "y"}),
		S("SORT", "z", "BY", "nosort", "LIMIT", "1", "5").Is([]any{"y", "z"}),
		S("SORT", "z", "BY", "nosort").Is([]any{"x", "y", "z"}),
		S("SORT", "z", "BY", "nosort", "DESC").Is([]any{"z", "y", "x"}),
		S("SORT", "z", "ALPHA", "DESC").Is([]any{"z", "y", "x"}),
		S("SORT", "z").Is(E("ERR One or more scores can't be converted into double")),
		S("SORT", "s", "BY", "nosort").Is([]any{"c", "a", "b"}),
		S("SORT", "s", "BY", "nosort", "STORE", "d").Is(3),
		S("LRANGE", "d", "0", "-1").Is([]any{"a", "b", "c"}),
		S("SORT", "s", "BY", "nosort", "DESC", "STORE", "d").Is(3),
		S("LRANGE", "d", "0", "-1").Is([]any{"c", "b", "a"}),
		S("SORT", "s", "ALPHA").Is([]any{"a", "b", "c"}),
		S("SORT", "n").Is([]any{"1", "2", "3"}),
		S("SORT", "n", "BY", "nosort", "LIMIT", "0", "2", "DESC", "STORE", "d2").Is(2),
		S("LRANGE", "d2", "0", "-1").Is([]any{"3", "2"}),
		S("SORT", "h").Is(E(wrongType)),
	})
}

// SORT BY/GET through real hash and set values (the families are all present).
func TestSortWithHashesAndSets(t *testing.T) {
	transcript(t,
		S("SADD", "ids", "3", "1", "2").Is(3),
		S("HSET", "user:1", "name", "ann", "age", "30").Is(2),
		S("HSET", "user:2", "name", "bob", "age", "20").Is(2),
		S("HSET", "user:3", "name", "cy", "age", "25").Is(2),
		S("SORT", "ids", "BY", "user:*->age", "GET", "user:*->name").Is([]any{"bob", "cy", "ann"}),
		S("SORT", "ids", "BY", "user:*->age", "DESC", "GET", "#", "GET", "user:*->age").Is([]any{"1", "30", "3", "25", "2", "20"}),
		S("SORT", "ids", "LIMIT", "0", "2").Is([]any{"1", "2"}),
		S("SORT", "ids", "BY", "user:*->name", "ALPHA", "STORE", "out").Is(3),
		S("LRANGE", "out", "0", "-1").Is([]any{"1", "2", "3"}),
	)
}
