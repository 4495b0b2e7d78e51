package slots

import "bytes"

// Count is the number of hash slots.
const Count = 16384

// crcTables[k][b] is the CRC-16/XMODEM contribution of byte b followed by k zero
// bytes (crcTables[0] is the classic one-byte table). A CRC is linear over XOR, so the
// checksum of 8 bytes is the XOR of each byte's contribution, with the running CRC
// folded into the first two: CRC16 reads 8 bytes per step from 8 independent lookups
// (4 KiB of tables, which stay in the L1 cache however busy the server is).
var crcTables = func() (t [8][256]uint16) {
	for i := range t[0] {
		crc := uint16(i) << 8
		for range 8 {
			if crc&0x8000 != 0 {
				crc = crc<<1 ^ 0x1021
			} else {
				crc <<= 1
			}
		}
		t[0][i] = crc
	}
	for k := 1; k < len(t); k++ {
		for i := range t[k] {
			prev := t[k-1][i]
			t[k][i] = prev<<8 ^ t[0][prev>>8]
		}
	}
	return t
}()

// CRC16 is CRC-16/XMODEM (polynomial 0x1021, init 0), the checksum Redis Cluster uses.
func CRC16(b []byte) uint16 {
	var crc uint16
	t := &crcTables
	for ; len(b) >= 8; b = b[8:] {
		x := crc ^ uint16(b[0])<<8 ^ uint16(b[1])
		crc = t[7][x>>8] ^ t[6][x&0xff] ^ t[5][b[2]] ^ t[4][b[3]] ^
			t[3][b[4]] ^ t[2][b[5]] ^ t[1][b[6]] ^ t[0][b[7]]
	}
	for _, c := range b {
		crc = crc<<8 ^ t[0][byte(crc>>8)^c]
	}
	return crc
}

// HashTag returns the part of key that is hashed: the bytes between the first '{' and
// the first '}' after it, when that is non-empty; otherwise the whole key.
func HashTag(key []byte) []byte {
	i := bytes.IndexByte(key, '{')
	if i < 0 {
		return key
	}
	j := bytes.IndexByte(key[i+1:], '}')
	if j <= 0 {
		return key // no '}', or "{}"
	}
	return key[i+1 : i+1+j]
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
