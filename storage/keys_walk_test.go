package storage

import (
	"fmt"
	"math"
	"testing"
)

func TestObjectPeekDoesNotTouch(t *testing.T) {
	e, now := testEngine(t)
	db := e.DB(0)
	db.SetString(3, []byte("s"), []byte("12"), 0, false)
	db.SetValue(3, []byte("r"), &RawString{B: []byte("raw")}, 0, false)
	*now += 5000
	e.TickLRU()
	if str, v, ok := db.ObjectPeek(3, []byte("s")); !ok || v != nil || string(str) != "12" {
		t.Fatalf("peek s: %q %v %v", str, v, ok)
	}
	if _, v, ok := db.ObjectPeek(3, []byte("r")); !ok || v.Encoding() != "raw" {
		t.Fatalf("peek r: %v %v", v, ok)
	}
	if _, _, ok := db.ObjectPeek(3, []byte("none")); ok {
		t.Fatal("peek of a missing key")
	}
	if idle, _ := db.Idle(3, []byte("s")); idle != 5 {
		t.Fatalf("idle after peek = %d, want 5", idle)
	}
	db.SetExpire(3, []byte("s"), *now+1)
	*now++
	if _, _, ok := db.ObjectPeek(3, []byte("s")); ok {
		t.Fatal("peek of an expired key")
	}
}

func TestScanSlotN(t *testing.T) {
	e, now := testEngine(t)
	db := e.DB(0)
	const slot = 9
	for i := range 100 {
		exp := int64(0)
		if i%10 == 0 {
			exp = *now + 1 // expired at the walk's time below
		}
		db.SetString(slot, fmt.Appendf(nil, "k%d", i), []byte("v"), exp, false)
	}
	*now++
	// A whole slot at once.
	seen := map[string]int{}
	c, n := db.ScanSlotN(Cursor(slot), math.MaxInt, *now, func(k []byte, typ Type) {
		if typ != TypeString {
			t.Errorf("type %v", typ)
		}
		seen[string(k)]++
	})
	if c != Cursor(slot+1) || n != 90 || len(seen) != 90 {
		t.Fatalf("whole slot: cursor %d, n %d, %d keys", c, n, len(seen))
	}
	// In steps of at least 7 keys, each step ending within the slot until it is done.
	seen = map[string]int{}
	c = Cursor(slot)
	for steps := 0; ; steps++ {
		var got int
		c, got = db.ScanSlotN(c, 7, *now, func(k []byte, _ Type) { seen[string(k)]++ })
		if c.Slot() != slot {
			break
		}
		if got < 7 {
			t.Fatalf("step %d got %d keys, want >= 7", steps, got)
		}
	}
	if len(seen) != 90 {
		t.Fatalf("stepped walk saw %d keys", len(seen))
	}
	for k, n := range seen {
		if n != 1 {
			t.Fatalf("%s seen %d times", k, n)
		}
	}
	// SlotKeysFrom, taking the keys it gives out of the slot (as GETKEYSINSLOT and
	// MIGRATE do), gets every key once, n at a time, from any start, whatever resizes
	// the deletes cause; its cursor stays in the slot.
	for _, start := range []Cursor{Cursor(slot), Cursor(5<<14 | slot), Cursor(12345<<14 | slot)} {
		for i := range 100 {
			db.SetString(slot, fmt.Appendf(nil, "k%d", i), []byte("v"), 0, false)
		}
		seen = map[string]int{}
		for c := start; ; {
			var keys []string
			c = db.SlotKeysFrom(c, 7, *now, func(k []byte) { keys = append(keys, string(k)) })
			if c.Slot() != slot || len(keys) > 7 {
				t.Fatalf("SlotKeysFrom: cursor of slot %d, %d keys", c.Slot(), len(keys))
			}
			if len(keys) == 0 {
				break
			}
			for _, k := range keys {
				seen[k]++
				db.Delete(slot, []byte(k))
			}
			if len(keys) < 7 && db.SlotSize(slot) != 0 {
				t.Fatalf("SlotKeysFrom gave %d keys with %d left", len(keys), db.SlotSize(slot))
			}
		}
		if len(seen) != 100 {
			t.Fatalf("SlotKeysFrom from %d saw %d keys", start, len(seen))
		}
	}
	// Empty slots, and the last slot ends the pass.
	if c, n := db.ScanSlotN(Cursor(100), 10, *now, nil); c != 101 || n != 0 {
		t.Fatalf("empty slot: %d %d", c, n)
	}
	if c, _ := db.ScanSlotN(Cursor(SlotCount-1), 10, *now, nil); c != 0 {
		t.Fatalf("last slot: %d", c)
	}
}
