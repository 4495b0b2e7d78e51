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

// crcTable16[x] is the CRC of the two bytes x>>8, x&0xff from a zero register: since the
// register is 16 bits wide, two message bytes XORed into it fully determine the next
// register, so CRC16 consumes two bytes per lookup.
var crcTable16 = func() *[1 << 16]uint16 {
	var t [1 << 16]uint16
	for x := range t {
		crc := crcTable[byte(x>>8)]
		t[x] = crc<<8 ^ crcTable[byte(crc>>8)^byte(x)]
	}
	return &t
}()

// CRC16 is CRC-16/XMODEM (polynomial 0x1021, init 0), the checksum Redis Cluster uses.
func CRC16(b []byte) uint16 {
	var crc uint16
	t := crcTable16
	for len(b) >= 2 {
		crc = t[crc^(uint16(b[0])<<8|uint16(b[1]))]
		b = b[2:]
	}
	if len(b) == 1 {
		crc = crc<<8 ^ crcTable[byte(crc>>8)^b[0]]
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
