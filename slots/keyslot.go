package slots

// Count is the number of hash slots.
const Count = 16384

var crcTable = func() (t [256]uint16) {
	for i := range t {
		crc := uint16(i) << 8
		for range 8 {
			if crc&0x8000 != 0 {
				crc = crc<<1 ^ 0x1021
			} else {
				crc <<= 1
			}
		}
		t[i] = crc
	}
	return t
}()

// CRC16 is CRC-16/XMODEM (polynomial 0x1021, init 0), the checksum Redis Cluster uses.
// It reads a 512-byte table, which stays in the L1 cache however busy the server is.
func CRC16(b []byte) uint16 {
	var crc uint16
	t := &crcTable
	for _, c := range b {
		crc = crc<<8 ^ t[byte(crc>>8)^c]
	}
	return crc
}

// HashTag returns the part of key that is hashed: the bytes between the first '{' and
// the first '}' after it, when that is non-empty; otherwise the whole key.
func HashTag(key []byte) []byte {
	for i, c := range key {
		if c == '{' {
			for j := i + 1; j < len(key); j++ {
				if key[j] == '}' {
					if j == i+1 {
						return key
					}
					return key[i+1 : j]
				}
			}
			return key
		}
	}
	return key
}

// KeySlot returns the hash slot of key, as CLUSTER KEYSLOT answers.
func KeySlot(key []byte) int { return int(CRC16(HashTag(key)) & (Count - 1)) }

// PatternSlot returns the only slot whose keys can match the glob pattern, or -1: a
// pattern that starts with literal text up to a non-empty hash tag ("user:{42}:*")
// matches only keys with that tag, so KEYS and SCAN visit that slot alone. Any glob
// character or escape before the tag closes makes the slot unknown.
func PatternSlot(pat []byte) int {
	open := -1
	for i, ch := range pat {
		switch {
		case ch == '*' || ch == '?' || ch == '[' || ch == '\\':
			return -1
		case ch == '{' && open < 0:
			open = i
		case ch == '}' && open >= 0:
			if i == open+1 {
				return -1 // "{}": the whole key is hashed
			}
			return KeySlot(pat[:i+1])
		}
	}
	return -1
}
