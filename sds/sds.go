// Package sds holds the string helpers of Redis's sds library that several file formats
// share: sdssplitargs (redis.conf lines, AOF manifests) and sdscatrepr. It imports
// nothing of shoal's.
package sds

import (
	"fmt"
	"strconv"
	"strings"
)

// SplitArgs splits a line into arguments like Redis's sdssplitargs: spaces separate
// arguments; "double quotes" understand \n \r \t \b \a \\ \" and \xHH; 'single quotes'
// understand \' only; a closing quote must be followed by a space or the end. ok is false
// for unbalanced quotes.
func SplitArgs(line string) (args []string, ok bool) {
	i, n := 0, len(line)
	for {
		for i < n && isSpace(line[i]) {
			i++
		}
		if i == n {
			return args, true
		}
		var cur []byte
		inDouble, inSingle := false, false
		for done := false; !done; {
			if i == n {
				if inDouble || inSingle {
					return nil, false
				}
				break
			}
			c := line[i]
			i++
			switch {
			case inDouble && c == '\\' && i+2 < n && line[i] == 'x' && isHex(line[i+1]) && isHex(line[i+2]):
				v, _ := strconv.ParseUint(line[i+1:i+3], 16, 8)
				cur = append(cur, byte(v))
				i += 3
			case inDouble && c == '\\' && i < n:
				c = line[i]
				i++
				if j := strings.IndexByte("nrtba", c); j >= 0 {
					c = "\n\r\t\b\a"[j]
				}
				cur = append(cur, c)
			case inDouble && c == '"', inSingle && c == '\'':
				if i < n && !isSpace(line[i]) {
					return nil, false
				}
				done = true
			case inSingle && c == '\\' && i < n && line[i] == '\'':
				cur = append(cur, '\'')
				i++
			case inDouble, inSingle:
				cur = append(cur, c)
			case c == ' ' || c == '\n' || c == '\r' || c == '\t':
				done = true
			case c == '"':
				inDouble = true
			case c == '\'':
				inSingle = true
			default:
				cur = append(cur, c)
			}
		}
		args = append(args, string(cur))
	}
}

func isSpace(c byte) bool { return c == ' ' || c >= '\t' && c <= '\r' }

func isHex(c byte) bool {
	return '0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F'
}

// Repr quotes s so that SplitArgs reads it back: Redis's sdscatrepr.
func Repr(s string) string {
	b := []byte{'"'}
	for i := 0; i < len(s); i++ {
		switch c := s[i]; c {
		case '\\', '"':
			b = append(b, '\\', c)
		case '\n':
			b = append(b, `\n`...)
		case '\r':
			b = append(b, `\r`...)
		case '\t':
			b = append(b, `\t`...)
		case '\a':
			b = append(b, `\a`...)
		case '\b':
			b = append(b, `\b`...)
		default:
			if c >= ' ' && c <= '~' {
				b = append(b, c)
			} else {
				b = fmt.Appendf(b, `\x%02x`, c)
			}
		}
	}
	return string(append(b, '"'))
}
