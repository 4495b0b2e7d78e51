// Package glob matches Redis glob-style patterns (KEYS, SCAN MATCH, CONFIG GET, PSUBSCRIBE,
// ACL key patterns): '*' any run, '?' any byte, '[abc]', '[^abc]', '[a-z]' classes and
// '\' escapes, with Redis's stringmatchlen semantics.
//
// Unlike a naive recursive matcher it never backtracks more than once per pattern star,
// so matching costs O(len(pattern)·len(s)) at worst, never exponential time.
// It imports nothing of shoal's.
package glob

// Match reports whether s matches pattern; nocase folds ASCII letters.
func Match(pattern, s []byte, nocase bool) bool {
	p, i := 0, 0
	starP, starI := -1, 0 // the last '*' seen and where in s it is anchored
	for i < len(s) {
		if p < len(pattern) {
			switch pattern[p] {
			case '*':
				for p < len(pattern) && pattern[p] == '*' {
					p++
				}
				if p == len(pattern) {
					return true
				}
				starP, starI = p, i
				continue
			case '?':
				p++
				i++
				continue
			case '[':
				if np, ok := matchClass(pattern, p, s[i], nocase); ok {
					p = np
					i++
					continue
				}
			default:
				c := pattern[p]
				np := p + 1
				if c == '\\' && p+1 < len(pattern) {
					c = pattern[p+1]
					np = p + 2
				}
				if eq(c, s[i], nocase) {
					p = np
					i++
					continue
				}
			}
		}
		if starP < 0 {
			return false
		}
		starI++
		p, i = starP, starI
	}
	for p < len(pattern) && pattern[p] == '*' {
		p++
	}
	return p == len(pattern)
}

// MatchString is Match for strings.
func MatchString(pattern, s string, nocase bool) bool {
	return Match([]byte(pattern), []byte(s), nocase)
}

// matchClass matches c against the class starting at pattern[p] == '['; it returns the
// index after the class and whether c is in it. A class missing its ']' runs to the end
// of the pattern, as in Redis.
func matchClass(pattern []byte, p int, c byte, nocase bool) (int, bool) {
	p++
	not := p < len(pattern) && pattern[p] == '^'
	if not {
		p++
	}
	match := false
	for p < len(pattern) {
		switch {
		case pattern[p] == '\\' && p+1 < len(pattern):
			p++
			if eq(pattern[p], c, nocase) {
				match = true
			}
		case pattern[p] == ']':
			return p + 1, match != not
		case p+2 < len(pattern) && pattern[p+1] == '-':
			lo, hi := pattern[p], pattern[p+2]
			if lo > hi {
				lo, hi = hi, lo
			}
			p += 2
			cc := c
			if nocase {
				cc, lo, hi = lower(c), lower(lo), lower(hi)
			}
			if cc >= lo && cc <= hi {
				match = true
			}
		default:
			if eq(pattern[p], c, nocase) {
				match = true
			}
		}
		p++
	}
	return p, match != not
}

func lower(c byte) byte {
	if 'A' <= c && c <= 'Z' {
		return c + 'a' - 'A'
	}
	return c
}

func eq(a, b byte, nocase bool) bool {
	return a == b || nocase && lower(a) == lower(b)
}
