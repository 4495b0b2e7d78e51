package slots

import "testing"

// Answers of a real Redis 7 to CLUSTER KEYSLOT.
func TestKeySlot(t *testing.T) {
	cases := []struct {
		key  string
		slot int
	}{
		{"", 0},
		{"foo", 12182},
		{"bar", 5061},
		{"hello", 866},
		{"123456789", 12739},
		{"{user1000}.following", 3443},
		{"{user1000}.followers", 3443},
		{"foo{}{bar}", 8363},
		{"foo{{bar}}zap", 4015},
		{"foo{bar}{zap}", 5061},
		{"{}", 15257},
	}
	for _, c := range cases {
		if got := KeySlot([]byte(c.key)); got != c.slot {
			t.Errorf("KeySlot(%q) = %d, want %d", c.key, got, c.slot)
		}
	}
	if CRC16([]byte("123456789")) != 0x31C3 {
		t.Fatalf("CRC16 check value: got %#x", CRC16([]byte("123456789")))
	}
}

func BenchmarkKeySlot(b *testing.B) {
	k := []byte("key:000000000001")
	for b.Loop() {
		KeySlot(k)
	}
}
