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

// crc16Bytewise is the textbook one-byte-at-a-time CRC-16/XMODEM.
func crc16Bytewise(b []byte) uint16 {
	var crc uint16
	for _, c := range b {
		crc ^= uint16(c) << 8
		for range 8 {
			if crc&0x8000 != 0 {
				crc = crc<<1 ^ 0x1021
			} else {
				crc <<= 1
			}
		}
	}
	return crc
}

func FuzzCRC16(f *testing.F) {
	f.Add([]byte("123456789"))
	f.Add([]byte{0xff})
	f.Fuzz(func(t *testing.T, b []byte) {
		if got, want := CRC16(b), crc16Bytewise(b); got != want {
			t.Fatalf("CRC16(%x) = %#x, want %#x", b, got, want)
		}
	})
}

func TestPatternSlot(t *testing.T) {
	for pat, want := range map[string]int{
		"{user1}:*":  KeySlot([]byte("user1")),
		"a{b}*":      KeySlot([]byte("b")),
		"{a{b}*":     KeySlot([]byte("a{b")),
		"x{a}{b}?":   KeySlot([]byte("a")),
		"*":          -1,
		"a*{b}":      -1,
		"{a*}":       -1,
		"{a?}":       -1,
		"{[ab]}":     -1,
		`{a\}}`:      -1,
		"{}{a}":      -1,
		"{nobrace":   -1,
		"plain-key":  -1,
		"":           -1,
		"}{x}":       KeySlot([]byte("x")),
		"{x}\\*more": KeySlot([]byte("x")),
	} {
		if got := PatternSlot([]byte(pat)); got != want {
			t.Errorf("PatternSlot(%q) = %d, want %d", pat, got, want)
		}
	}
}
