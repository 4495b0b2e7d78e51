package storage

import (
	"fmt"
	"math"
	"testing"
)

func testEngine(t testing.TB) (*Engine, *int64) {
	t.Helper()
	now := int64(1_000_000)
	return New(Options{Now: func() int64 { return now }}), &now
}

func TestSetGetDeleteExpire(t *testing.T) {
	e, now := testEngine(t)
	db := e.DB(0)
	db.SetString(1, []byte("k"), []byte("v"), 0, false)
	if b, ok, err := db.GetString(1, []byte("k")); !ok || err != nil || string(b) != "v" {
		t.Fatalf("get: %q %v %v", b, ok, err)
	}
	if db.Size() != 1 {
		t.Fatalf("size %d", db.Size())
	}
	db.SetExpire(1, []byte("k"), *now+100)
	if db.Volatile() != 1 {
		t.Fatal("volatile")
	}
	*now += 100
	if db.Exists(1, []byte("k")) {
		t.Fatal("expired key still visible")
	}
	if db.Size() != 0 || db.Volatile() != 0 {
		t.Fatalf("counters %d %d", db.Size(), db.Volatile())
	}
}

// A full SCAN pass returns every key present for the whole pass, even when the tables
// grow and shrink in between.
func TestScanSurvivesResize(t *testing.T) {
	e, _ := testEngine(t)
	db := e.DB(0)
	const slot = 7
	for i := range 1000 {
		db.SetString(slot, fmt.Appendf(nil, "k%d", i), []byte("v"), 0, false)
	}
	seen := map[string]bool{}
	var c Cursor = slot
	steps := 0
	for {
		c, _ = db.ScanSlotN(c, 1, e.Now(), func(k []byte, _ Type) { seen[string(k)] = true })
		steps++
		switch steps {
		case 10: // grow
			for i := 1000; i < 5000; i++ {
				db.SetString(slot, fmt.Appendf(nil, "k%d", i), []byte("v"), 0, false)
			}
		case 40: // shrink
			for i := 1000; i < 5000; i++ {
				db.Delete(slot, fmt.Appendf(nil, "k%d", i))
			}
		}
		if c.Slot() != slot {
			break
		}
	}
	for i := range 1000 {
		if !seen[fmt.Sprintf("k%d", i)] {
			t.Fatalf("k%d missed", i)
		}
	}
}

func TestActiveExpireSlot(t *testing.T) {
	e, now := testEngine(t)
	db := e.DB(0)
	for i := range 100 {
		db.SetString(3, fmt.Appendf(nil, "k%d", i), []byte("v"), *now+int64(i%2)*1000+1, false)
	}
	*now += 10
	var v uint64
	total := 0
	for {
		_, d, next := db.ExpireSlot(3, v, 16, nil)
		total += d
		if v = next; v == 0 {
			break
		}
	}
	if total != 50 || db.Size() != 50 || db.Volatile() != 50 {
		t.Fatalf("deleted %d size %d volatile %d", total, db.Size(), db.Volatile())
	}
}

func TestParseInt(t *testing.T) {
	good := map[string]int64{"0": 0, "-1": -1, "9223372036854775807": 1<<63 - 1, "-9223372036854775808": -1 << 63}
	for s, want := range good {
		if v, ok := ParseInt([]byte(s)); !ok || v != want {
			t.Errorf("ParseInt(%q) = %d %v", s, v, ok)
		}
	}
	for _, s := range []string{"", "-", "01", "+1", " 1", "1 ", "-0", "9223372036854775808", "1a", "-9223372036854775809"} {
		if _, ok := ParseInt([]byte(s)); ok {
			t.Errorf("ParseInt(%q) accepted", s)
		}
	}
}

func BenchmarkGetString(b *testing.B) {
	e, _ := testEngine(b)
	db := e.DB(0)
	k := []byte("key:000000000001")
	db.SetString(5, k, []byte("xxx"), 0, false)
	b.ReportAllocs()
	for b.Loop() {
		db.GetString(5, k)
	}
}

func TestSetStringOverwriteKeepsCountsAndTTL(t *testing.T) {
	e, now := testEngine(t)
	db := e.DB(0)
	k := []byte("k")
	db.SetString(2, k, []byte("aaa"), *now+1000, false)
	db.SetString(2, k, []byte("bbb"), 0, true) // same length, in place, TTL kept
	if at, _ := db.Expire(2, k); at != *now+1000 || db.Volatile() != 1 {
		t.Fatalf("keepTTL: expire %d volatile %d", at, db.Volatile())
	}
	db.SetString(2, k, []byte("cccc"), 0, false) // new length, TTL dropped
	if at, _ := db.Expire(2, k); at != 0 || db.Volatile() != 0 || db.Size() != 1 {
		t.Fatalf("overwrite: expire %d volatile %d size %d", at, db.Volatile(), db.Size())
	}
	if b, _, _ := db.GetString(2, k); string(b) != "cccc" {
		t.Fatalf("value %q", b)
	}
	db.SetValue(2, k, &RawString{B: []byte("x")}, 0, false)
	db.SetString(2, k, []byte("y"), 0, false) // replaces a non-plain value
	if b, _, _ := db.GetString(2, k); string(b) != "y" {
		t.Fatalf("value %q", b)
	}
	if enc, _ := db.Encoding(2, k); enc != "embstr" {
		t.Fatalf("encoding %q", enc)
	}
}

func TestIncrBy(t *testing.T) {
	e, now := testEngine(t)
	db := e.DB(0)
	k := []byte("n")
	if v, err := db.IncrBy(3, k, 5); v != 5 || err != nil {
		t.Fatalf("absent: %d %v", v, err)
	}
	db.SetExpire(3, k, *now+1000)
	if v, err := db.IncrBy(3, k, 5); v != 10 || err != nil { // new length: new entry
		t.Fatalf("incr: %d %v", v, err)
	}
	if at, _ := db.Expire(3, k); at != *now+1000 || db.Volatile() != 1 || db.Size() != 1 {
		t.Fatalf("expire %d volatile %d size %d", at, db.Volatile(), db.Size())
	}
	if _, err := db.IncrBy(3, k, math.MaxInt64); err != ErrIncrOverflow {
		t.Fatalf("overflow: %v", err)
	}
	db.SetValue(3, k, &RawString{B: []byte("-7")}, 0, false)
	if v, err := db.IncrBy(3, k, 1); v != -6 || err != nil {
		t.Fatalf("raw: %d %v", v, err)
	}
	if enc, _ := db.Encoding(3, k); enc != "int" {
		t.Fatalf("encoding %q", enc)
	}
	db.SetString(3, k, []byte("x1"), 0, false)
	if _, err := db.IncrBy(3, k, 1); err != ErrNotInteger {
		t.Fatalf("not integer: %v", err)
	}
	db.SetValue(3, k, NewSet(), 0, false)
	if _, err := db.IncrBy(3, k, 1); err != ErrWrongType {
		t.Fatalf("wrong type: %v", err)
	}
}
