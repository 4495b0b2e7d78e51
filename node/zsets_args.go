package node

import (
	"github.com/shoal-db/shoal/storage"
)

// Argument parsing for the sorted set commands, following the C library functions Redis
// uses (strtod, strtoul) where Go's strconv disagrees with them.

// Sorted set error replies (Redis 7.0.15).
const (
	errZMinMaxFloat = "ERR min or max is not a float"
	errZMinMaxLex   = "ERR min or max not valid string range item"
	errZWeight      = "ERR weight value is not a float"
)

// parseZScore parses a score, increment or weight (storage.ParseFloat).
func parseZScore(b []byte) (float64, bool) { return storage.ParseFloat(b) }

// zScoreArg parses args[i] as a score, writing Redis's error when it is not one.
func (c *Client) zScoreArg(i int) (float64, bool) {
	f, ok := parseZScore(c.args[i])
	if !ok {
		c.Err(errNotFloat)
	}
	return f, ok
}

// parseZScoreBound parses one end of a score range as Redis's zslParseRange: an optional
// "(" for an open end, then strtod's syntax (leading spaces allowed, out-of-range values
// saturate, an empty string is 0), NaN rejected.
func parseZScoreBound(b []byte) (f float64, ex, ok bool) {
	if len(b) > 0 && b[0] == '(' {
		ex, b = true, b[1:]
	}
	if len(b) == 0 {
		return 0, ex, true
	}
	f, ok, _ = storage.Strtod(b, true)
	return f, ex, ok
}

// zScoreRangeArgs parses args[i] and args[j] as the min and max of a score range,
// writing Redis's error when they are not.
func (c *Client) zScoreRangeArgs(i, j int) (r storage.ScoreRange, ok bool) {
	var ok1, ok2 bool
	r.Min, r.MinEx, ok1 = parseZScoreBound(c.args[i])
	r.Max, r.MaxEx, ok2 = parseZScoreBound(c.args[j])
	if !ok1 || !ok2 {
		c.Err(errZMinMaxFloat)
		return r, false
	}
	return r, true
}

// parseZLexBound parses one end of a lexicographic range: "-", "+", or "[" / "(" and a
// value. The value aliases b.
func parseZLexBound(b []byte) (storage.LexBound, bool) {
	if len(b) == 0 {
		return storage.LexBound{}, false
	}
	switch b[0] {
	case '-', '+':
		if len(b) != 1 {
			return storage.LexBound{}, false
		}
		if b[0] == '-' {
			return storage.LexBound{Inf: -1}, true
		}
		return storage.LexBound{Inf: 1}, true
	case '(':
		return storage.LexBound{Value: b[1:], Ex: true}, true
	case '[':
		return storage.LexBound{Value: b[1:]}, true
	}
	return storage.LexBound{}, false
}

// zLexRangeArgs parses args[i] and args[j] as the min and max of a lexicographic range,
// writing Redis's error when they are not. The range aliases the arguments.
func (c *Client) zLexRangeArgs(i, j int) (r storage.LexRange, ok bool) {
	var ok1, ok2 bool
	r.Min, ok1 = parseZLexBound(c.args[i])
	r.Max, ok2 = parseZLexBound(c.args[j])
	if !ok1 || !ok2 {
		c.Err(errZMinMaxLex)
		return r, false
	}
	return r, true
}
