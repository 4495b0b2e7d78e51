package node

import "math"

// lcsMatch is one matched range of LCS IDX: positions in the first and second string
// (inclusive).
type lcsMatch struct{ aStart, aEnd, bStart, bEnd uint32 }

// cmdLcs is LCS key1 key2 [LEN] [IDX] [MINMATCHLEN n] [WITHMATCHLEN], Redis 7.0's
// dynamic-programming LCS: absent keys are empty strings; the (len1+1)·(len2+1) table
// of 32-bit lengths may not exceed proto-max-bulk-len bytes. IDX answers the matched
// ranges from the end of the strings backwards, as Redis does.
func cmdLcs(c *Client) {
	a, _, errA := c.db.GetString(c.slot(c.args[1]), c.args[1])
	b, _, errB := c.db.GetString(c.slot(c.args[2]), c.args[2])
	if errA != nil || errB != nil {
		c.Err("ERR The specified keys must contain string values")
		return
	}
	var getLen, getIdx, withMatchLen bool
	var minMatchLen int64
	for j := 3; j < len(c.args); j++ {
		switch {
		case c.is(j, "IDX"):
			getIdx = true
		case c.is(j, "LEN"):
			getLen = true
		case c.is(j, "WITHMATCHLEN"):
			withMatchLen = true
		case c.is(j, "MINMATCHLEN") && j+1 < len(c.args):
			n, ok := c.intArg(j + 1)
			if !ok {
				return
			}
			minMatchLen = max(n, 0)
			j++
		default:
			c.Err(errSyntax)
			return
		}
	}
	if getLen && getIdx {
		c.Err("ERR If you want both the length and indexes, please just use IDX.")
		return
	}
	if len(a) >= math.MaxUint32-1 || len(b) >= math.MaxUint32-1 {
		c.Err("ERR String too long for LCS")
		return
	}
	cells := uint64(len(a)+1) * uint64(len(b)+1)
	if cells*4/4 != cells || cells*4 > uint64(c.maxBulk()) {
		c.Err("ERR Insufficient memory, transient memory for LCS exceeds proto-max-bulk-len")
		return
	}

	// t[i*w+j] is the LCS length of a[:i] and b[:j].
	w := len(b) + 1
	t := make([]uint32, cells)
	for i := 1; i <= len(a); i++ {
		row, prev := t[i*w:(i+1)*w], t[(i-1)*w:i*w]
		for j := 1; j < w; j++ {
			switch {
			case a[i-1] == b[j-1]:
				row[j] = prev[j-1] + 1
			case prev[j] > row[j-1]:
				row[j] = prev[j]
			default:
				row[j] = row[j-1]
			}
		}
	}
	total := t[len(a)*w+len(b)]
	if getLen {
		c.w.Int(int64(total))
		return
	}

	// Walk back from the end, collecting the LCS and its contiguous matched ranges.
	lcs := make([]byte, total)
	k := total
	var matches []lcsMatch
	var cur lcsMatch
	inRange := false
	emit := func() {
		if n := cur.aEnd - cur.aStart + 1; minMatchLen == 0 || int64(n) >= minMatchLen {
			matches = append(matches, cur)
		}
		inRange = false
	}
	for i, j := len(a), len(b); i > 0 && j > 0; {
		if a[i-1] == b[j-1] {
			k--
			lcs[k] = a[i-1]
			if !inRange {
				cur = lcsMatch{uint32(i - 1), uint32(i - 1), uint32(j - 1), uint32(j - 1)}
				inRange = true
			} else {
				cur.aStart, cur.bStart = uint32(i-1), uint32(j-1)
			}
			i--
			j--
			if i == 0 || j == 0 {
				emit()
			}
			continue
		}
		if t[(i-1)*w+j] > t[i*w+j-1] {
			i--
		} else {
			j--
		}
		if inRange {
			emit()
		}
	}
	if !getIdx {
		c.w.Bulk(lcs)
		return
	}
	c.w.Map(2)
	c.w.BulkString("matches")
	c.w.Array(len(matches))
	for _, m := range matches {
		if withMatchLen {
			c.w.Array(3)
		} else {
			c.w.Array(2)
		}
		c.w.Array(2)
		c.w.Int(int64(m.aStart))
		c.w.Int(int64(m.aEnd))
		c.w.Array(2)
		c.w.Int(int64(m.bStart))
		c.w.Int(int64(m.bEnd))
		if withMatchLen {
			c.w.Int(int64(m.aEnd - m.aStart + 1))
		}
	}
	c.w.BulkString("len")
	c.w.Int(int64(total))
}
