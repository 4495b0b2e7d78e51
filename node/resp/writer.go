package resp

import (
	"math"
	"strconv"
)

// Writer appends RESP replies to B. Proto selects the encoding of the RESP3-only types
// (2 or 3); in RESP2 maps are flattened arrays, sets are arrays, doubles are bulk strings,
// booleans are integers and every null is a null bulk string (or a null array where the
// Redis reply is one, see NullArray).
//
// A Writer is not safe for concurrent use; each connection owns one. The zero value
// writes RESP2.
type Writer struct {
	B     []byte
	Proto int
}

// Reset empties the buffer, keeping its capacity.
func (w *Writer) Reset() { w.B = w.B[:0] }

// Len is the number of bytes buffered.
func (w *Writer) Len() int { return len(w.B) }

// RESP3 reports whether the writer emits RESP3 types.
func (w *Writer) RESP3() bool { return w.Proto >= 3 }

func (w *Writer) header(c byte, n int64) {
	w.B = append(w.B, c)
	w.B = strconv.AppendInt(w.B, n, 10)
	w.B = append(w.B, '\r', '\n')
}

// Simple writes a simple string (+s). s must not contain CR or LF.
func (w *Writer) Simple(s string) {
	w.B = append(w.B, '+')
	w.B = append(w.B, s...)
	w.B = append(w.B, '\r', '\n')
}

// OK writes +OK.
func (w *Writer) OK() { w.B = append(w.B, "+OK\r\n"...) }

// Error writes an error reply. msg carries its own prefix ("ERR ...", "WRONGTYPE ...");
// a msg that starts with '-' is written as is. CR and LF in msg are replaced by spaces so
// the reply stays one line, as Redis does.
func (w *Writer) Error(msg string) {
	if len(msg) > 0 && msg[0] == '-' {
		msg = msg[1:]
	}
	w.B = append(w.B, '-')
	for i := 0; i < len(msg); i++ {
		c := msg[i]
		if c == '\r' || c == '\n' {
			c = ' '
		}
		w.B = append(w.B, c)
	}
	w.B = append(w.B, '\r', '\n')
}

// Int writes an integer reply (:n).
func (w *Writer) Int(n int64) { w.header(':', n) }

// Bulk writes a bulk string.
func (w *Writer) Bulk(b []byte) {
	w.header('$', int64(len(b)))
	w.B = append(w.B, b...)
	w.B = append(w.B, '\r', '\n')
}

// BulkString writes a bulk string.
func (w *Writer) BulkString(s string) {
	w.header('$', int64(len(s)))
	w.B = append(w.B, s...)
	w.B = append(w.B, '\r', '\n')
}

// BulkInt writes n as a bulk string in decimal.
func (w *Writer) BulkInt(n int64) {
	var tmp [24]byte
	w.Bulk(strconv.AppendInt(tmp[:0], n, 10))
}

// Null writes the null reply: $-1 in RESP2, _ in RESP3.
func (w *Writer) Null() {
	if w.Proto >= 3 {
		w.B = append(w.B, "_\r\n"...)
		return
	}
	w.B = append(w.B, "$-1\r\n"...)
}

// NullArray writes the null array: *-1 in RESP2, _ in RESP3 (BLPOP timeout, EXEC abort).
func (w *Writer) NullArray() {
	if w.Proto >= 3 {
		w.B = append(w.B, "_\r\n"...)
		return
	}
	w.B = append(w.B, "*-1\r\n"...)
}

// Array writes an array header of n elements; the caller writes the n elements next.
func (w *Writer) Array(n int) { w.header('*', int64(n)) }

// Defer marks where an aggregate whose length is not known yet starts; Fill writes its
// header there once the elements are written.
func (w *Writer) Defer() int { return len(w.B) }

// Fill inserts, at the mark Defer returned, the header of an array ('*'), a map ('%':
// n pairs) or a set ('~') of n elements, encoded for the protocol as Array, Map and Set
// do. The elements written since the mark move up.
func (w *Writer) Fill(at int, kind byte, n int) {
	var tmp Writer
	tmp.Proto = w.Proto
	tmp.B = make([]byte, 0, 24)
	switch kind {
	case '%':
		tmp.Map(n)
	case '~':
		tmp.Set(n)
	default:
		tmp.Array(n)
	}
	w.B = append(w.B, tmp.B...) // grow, then shift the elements up
	copy(w.B[at+len(tmp.B):], w.B[at:len(w.B)-len(tmp.B)])
	copy(w.B[at:], tmp.B)
}

// Map writes a map header of n key/value pairs (2n elements follow): %n in RESP3, *2n
// in RESP2.
func (w *Writer) Map(n int) {
	if w.Proto >= 3 {
		w.header('%', int64(n))
		return
	}
	w.header('*', int64(2*n))
}

// Set writes a set header of n elements: ~n in RESP3, *n in RESP2.
func (w *Writer) Set(n int) {
	if w.Proto >= 3 {
		w.header('~', int64(n))
		return
	}
	w.header('*', int64(n))
}

// Push writes a push header of n elements: >n in RESP3, *n in RESP2.
func (w *Writer) Push(n int) {
	if w.Proto >= 3 {
		w.header('>', int64(n))
		return
	}
	w.header('*', int64(n))
}

// Bool writes a boolean: #t/#f in RESP3, :1/:0 in RESP2.
func (w *Writer) Bool(b bool) {
	if w.Proto >= 3 {
		if b {
			w.B = append(w.B, "#t\r\n"...)
		} else {
			w.B = append(w.B, "#f\r\n"...)
		}
		return
	}
	if b {
		w.B = append(w.B, ":1\r\n"...)
	} else {
		w.B = append(w.B, ":0\r\n"...)
	}
}

// Double writes a double: ",f" in RESP3, a bulk string in RESP2, formatted as Redis 7.0
// does (%.17g, "inf", "-inf", "nan").
func (w *Writer) Double(f float64) {
	var tmp [32]byte
	b := AppendDouble(tmp[:0], f)
	if w.Proto >= 3 {
		w.B = append(w.B, ',')
		w.B = append(w.B, b...)
		w.B = append(w.B, '\r', '\n')
		return
	}
	w.Bulk(b)
}

// AppendDouble appends f formatted as Redis 7.0 formats a double reply: %.17g, with
// "inf", "-inf" and "nan" for the special values.
func AppendDouble(b []byte, f float64) []byte {
	switch {
	case math.IsInf(f, 1):
		return append(b, "inf"...)
	case math.IsInf(f, -1):
		return append(b, "-inf"...)
	case math.IsNaN(f):
		return append(b, "nan"...)
	}
	return strconv.AppendFloat(b, f, 'g', 17, 64)
}

// Verbatim writes a verbatim string with a three-letter format ("txt", "mkd"): =len in
// RESP3, a plain bulk string in RESP2.
func (w *Writer) Verbatim(format, s string) {
	if w.Proto >= 3 {
		w.header('=', int64(len(s)+4))
		w.B = append(w.B, format...)
		w.B = append(w.B, ':')
		w.B = append(w.B, s...)
		w.B = append(w.B, '\r', '\n')
		return
	}
	w.BulkString(s)
}

// Raw appends already encoded RESP.
func (w *Writer) Raw(b []byte) { w.B = append(w.B, b...) }

// StringArray writes an array of bulk strings.
func (w *Writer) StringArray(items []string) {
	w.Array(len(items))
	for _, s := range items {
		w.BulkString(s)
	}
}
