package resp

import (
	"bytes"
	"errors"
	"io"
	"math"
)

// Defaults of the configurable limits (redis.conf proto-max-bulk-len and
// client-query-buffer-limit).
const (
	DefaultMaxBulkLen  = 512 << 20
	DefaultMaxQueryBuf = 1 << 30
)

// Fixed protocol limits of Redis 7.0 (server.h, networking.c).
const (
	inlineMaxSize  = 64 << 10      // PROTO_INLINE_MAX_SIZE: longest line still waiting for its terminator
	mbulkBigArg    = 32 << 10      // PROTO_MBULK_BIG_ARG: such bulks are read exactly up to their end
	ioBufLen       = 16 << 10      // PROTO_IOBUF_LEN: the default buffer and read size
	maxMultibulk   = math.MaxInt32 // INT_MAX, the largest multibulk count
	unauthMaxArgs  = 10            // before AUTH: arguments per request
	unauthMaxBulk  = 16384         // before AUTH: bytes per argument
	unauthMaxQuery = 1 << 20       // before AUTH: buffered bytes
	minFree        = 4 << 10       // grow the buffer rather than read into less room than this
	minArgSize     = 6             // "$0\r\n\r\n": the fewest bytes an argument takes
	maxBulkClamp   = math.MaxInt / 4
)

// The messages of Redis 7.0's protocol errors (the reply is "-ERR " + message).
const (
	errTooBigInline = "Protocol error: too big inline request"
	errTooBigMbulk  = "Protocol error: too big mbulk count string"
	errTooBigBulk   = "Protocol error: too big bulk count string"
	errUnbalanced   = "Protocol error: unbalanced quotes in request"
	errInvalidMbulk = "Protocol error: invalid multibulk length"
	errUnauthMbulk  = "Protocol error: unauthenticated multibulk length"
	errInvalidBulk  = "Protocol error: invalid bulk length"
	errUnauthBulk   = "Protocol error: unauthenticated bulk length"
)

// ProtocolError is returned by Next for malformed input. Msg is the exact text Redis
// replies with, without the "ERR " prefix, e.g. "Protocol error: invalid bulk length".
// After writing "-ERR "+Msg the caller closes the connection.
type ProtocolError struct{ Msg string }

// Error returns the reply text, "ERR " + Msg.
func (e *ProtocolError) Error() string { return "ERR " + e.Msg }

// ErrQueryBufLimit reports a client whose unparsed input exceeded the query buffer
// limit; Redis closes such a connection without a reply.
var ErrQueryBufLimit = errors.New("resp: client query buffer limit reached")

// Limits bound what a Reader accepts. Zero (or negative) values mean the Redis defaults.
type Limits struct {
	// MaxBulkLen is proto-max-bulk-len, the longest argument (default 512 MiB).
	MaxBulkLen int64
	// MaxQueryBuf is client-query-buffer-limit (default 1 GiB). As in Redis, it bounds
	// the unparsed input right after a read: the bytes received after the last argument
	// (or header) parsed whole. Arguments already parsed do not count. Above it the
	// connection is closed, with ErrQueryBufLimit and no reply.
	MaxQueryBuf int64
}

// Request is one client request. Args and Raw alias the Reader's buffers and stay valid
// only until the next call to Next or Fill; each Arg's capacity ends at its length, so
// appending to one copies it.
type Request struct {
	Args   [][]byte // the arguments, at least one
	Raw    []byte   // the request's exact bytes, terminator included
	Inline bool     // the request came as an inline line rather than a multibulk
}

// state is where the parser stands in the pending request.
type state uint8

const (
	stIdle   state = iota // between requests
	stInline              // an inline line, waiting for its '\n'
	stCount               // a multibulk count line, "*<n>\r\n"
	stBulk                // the bulks of a multibulk request: a header or a payload
)

// span locates a parsed argument, relative to the start of its request.
type span struct{ off, n int }

// Reader parses client requests from a net.Conn-like io.Reader, with the limits and the
// error messages of Redis 7.0's processInlineBuffer and processMultibulkBuffer.
//
// It reads into one buffer that holds the pending request whole, so arguments are
// handed out without copying, and parses incrementally: a request that arrives over
// many reads is parsed once, in time linear in its size. A Reader is not safe for
// concurrent use.
type Reader struct {
	rd       io.Reader
	maxBulk  int64
	maxQuery int64
	unauth   bool

	buf   []byte // buf[start:end] is input not yet returned; len(buf) is the capacity
	start int    // the first byte of the pending request
	pos   int    // the first byte not yet parsed
	end   int    // the end of the data read

	st    state
	left  int64  // multibulk: arguments still to read, the current one included
	bulk  int64  // the current bulk's length, -1 while its header is unparsed
	scan  int    // the search for the current line's terminator resumes here
	stuck bool   // a NUL precedes the line's terminator: the line never ends
	spans []span // the pending multibulk request's parsed arguments

	args    [][]byte
	scratch []byte // unquoted inline arguments

	err  error // sticky: a *ProtocolError or ErrQueryBufLimit
	rerr error // a read error held back because its Read also returned data
}

// NewReader returns a Reader of rd with the given limits. The buffer is allocated on
// the first Fill.
func NewReader(rd io.Reader, lim Limits) *Reader {
	r := &Reader{rd: rd, bulk: -1}
	r.SetLimits(lim)
	return r
}

// SetLimits changes the limits (CONFIG SET); they apply from the next header parsed
// and the next Fill.
func (r *Reader) SetLimits(lim Limits) {
	r.maxBulk = lim.MaxBulkLen
	if r.maxBulk <= 0 {
		r.maxBulk = DefaultMaxBulkLen
	}
	r.maxBulk = min(r.maxBulk, maxBulkClamp)
	r.maxQuery = lim.MaxQueryBuf
	if r.maxQuery <= 0 {
		r.maxQuery = DefaultMaxQueryBuf
	}
}

// SetUnauthenticated, when true, applies Redis's limits for clients that still must
// AUTH: at most 10 arguments ("Protocol error: unauthenticated multibulk length"), bulks
// of at most 16384 bytes ("Protocol error: unauthenticated bulk length"), and at most
// 1 MiB of buffered request (connection closed). Like the other limits it applies from
// the next header parsed, so an AUTH lifts it for the very next request of a pipeline.
func (r *Reader) SetUnauthenticated(b bool) { r.unauth = b }

// Buffered reports the number of unparsed bytes in the buffer: what Redis's query
// buffer holds, the bytes after the last argument or header parsed whole.
func (r *Reader) Buffered() int { return r.end - r.pos }

// Next parses the next complete request already in the buffer, without reading.
// ok=false, err=nil: need more data — the caller flushes its replies, then calls Fill.
// Args alias the reader's buffer and stay valid only until the next call to Next or
// Fill. Raw is the request's exact bytes (also aliasing). Empty requests ("*0\r\n",
// "*-1\r\n", blank inline lines) are skipped silently, as Redis does.
//
// err is a *ProtocolError for malformed input, or ErrQueryBufLimit once Fill found the
// input over the query buffer limit; either is sticky, and the caller closes the
// connection.
func (r *Reader) Next() (req Request, ok bool, err error) {
	if r.err != nil {
		return Request{}, false, r.err
	}
	for {
		switch r.st {
		case stIdle:
			if r.pos == r.end {
				r.start, r.pos, r.end = 0, 0, 0 // all consumed: rewind for free
				return Request{}, false, nil
			}
			r.start = r.pos
			r.newLine()
			if r.buf[r.pos] == '*' {
				r.st = stCount
			} else {
				r.st = stInline
			}

		case stInline:
			i := r.lineEnd('\n')
			if i < 0 {
				return r.short(errTooBigInline)
			}
			line := r.buf[r.pos:i]
			if n := len(line); n > 0 && line[n-1] == '\r' {
				line = line[:n-1]
			}
			if cap(r.scratch) < len(line) {
				r.scratch = make([]byte, 0, len(line))
			}
			var good bool
			r.args, good = splitArgs(line, r.args[:0], r.scratch[:0])
			if !good {
				return r.fail(errUnbalanced)
			}
			r.pos = i + 1
			if len(r.args) == 0 {
				r.st = stIdle
				continue
			}
			return r.emit(true)

		case stCount:
			i := r.lineEnd('\r')
			if i < 0 {
				return r.short(errTooBigMbulk)
			}
			if i+2 > r.end { // the byte after '\r' (not checked to be '\n')
				return Request{}, false, nil
			}
			n, good := parseInt(r.buf[r.pos+1 : i])
			switch {
			case !good || n > maxMultibulk:
				return r.fail(errInvalidMbulk)
			case r.unauth && n > unauthMaxArgs:
				return r.fail(errUnauthMbulk)
			}
			r.pos = i + 2
			if n <= 0 {
				r.st = stIdle
				continue
			}
			// The argument list grows as arguments arrive: a large count costs nothing.
			r.st, r.left, r.bulk, r.spans = stBulk, n, -1, r.spans[:0]
			r.newLine()

		case stBulk:
			if r.bulk < 0 {
				i := r.lineEnd('\r')
				if i < 0 {
					return r.short(errTooBigBulk)
				}
				if i+2 > r.end {
					return Request{}, false, nil
				}
				if c := r.buf[r.pos]; c != '$' {
					return r.fail(expectedDollar(c))
				}
				n, good := parseInt(r.buf[r.pos+1 : i])
				switch {
				case !good || n < 0 || n > r.maxBulk:
					return r.fail(errInvalidBulk)
				case r.unauth && n > unauthMaxBulk:
					return r.fail(errUnauthBulk)
				}
				r.pos, r.bulk = i+2, n
			}
			if int64(r.end-r.pos) < r.bulk+2 {
				return Request{}, false, nil
			}
			// The two bytes after the payload are skipped unchecked, as Redis does.
			r.spans = append(r.spans, span{r.pos - r.start, int(r.bulk)})
			r.pos += int(r.bulk) + 2
			r.bulk = -1
			if r.left--; r.left > 0 {
				r.newLine()
				continue
			}
			r.args = r.args[:0]
			for _, s := range r.spans {
				a, b := r.start+s.off, r.start+s.off+s.n
				r.args = append(r.args, r.buf[a:b:b])
			}
			return r.emit(false)
		}
	}
}

// Head is the start of a request buffered ahead of the parse position (see Ahead).
type Head struct {
	Name []byte    // the first argument
	Arg  []byte    // the second argument; nil when the request has only the name
	More [2][]byte // the third and fourth arguments, each nil when absent
}

// Ahead calls yield with the head of each complete multibulk request already buffered
// after the parse position, in order, until yield returns false. It is a hint for work
// that can start before the requests run (the node prefetches their keys): it reads
// nothing and changes nothing, and stops at the first request that is incomplete,
// inline or malformed, which Next then handles as usual. It yields nothing while a
// request is partly parsed. The slices alias the buffer and stay valid until the next
// call to Next or Fill.
func (r *Reader) Ahead(yield func(Head) bool) {
	if r.err != nil || r.st != stIdle {
		return
	}
	b := r.buf[r.pos:r.end]
	for len(b) > 0 && b[0] == '*' {
		count, rest, ok := aheadInt(b)
		if !ok || count <= 0 {
			return
		}
		h := Head{}
		for i := int64(0); i < count; i++ {
			if len(rest) == 0 || rest[0] != '$' {
				return
			}
			var l int64
			if l, rest, ok = aheadInt(rest); !ok || int64(len(rest)) < l+2 {
				return
			}
			switch i {
			case 0:
				h.Name = rest[:l:l]
			case 1:
				h.Arg = rest[:l:l]
			case 2, 3:
				h.More[i-2] = rest[:l:l]
			}
			rest = rest[l+2:]
		}
		if !yield(h) {
			return
		}
		b = rest
	}
}

// aheadInt parses the header line at the start of b ("*<n>\r\n" or "$<n>\r\n") and
// returns its number and what follows the line; ok is false when the line is
// incomplete or its number malformed or negative.
func aheadInt(b []byte) (v int64, rest []byte, ok bool) {
	i := bytes.IndexByte(b, '\r')
	if i < 0 || i+2 > len(b) {
		return 0, nil, false
	}
	v, ok = parseInt(b[1:i])
	return v, b[i+2:], ok && v >= 0
}

// emit returns the request that ends at pos and makes the reader idle.
func (r *Reader) emit(inline bool) (Request, bool, error) {
	req := Request{Args: r.args, Raw: r.buf[r.start:r.pos:r.pos], Inline: inline}
	r.st, r.start = stIdle, r.pos
	return req, true, nil
}

// fail records a protocol error; it is sticky.
func (r *Reader) fail(msg string) (Request, bool, error) {
	r.err = &ProtocolError{Msg: msg}
	return Request{}, false, r.err
}

// short handles a line whose terminator has not arrived: wait for more data, unless
// more than 64 KiB are already buffered past the line's start.
func (r *Reader) short(msg string) (Request, bool, error) {
	if r.end-r.pos > inlineMaxSize {
		return r.fail(msg)
	}
	return Request{}, false, nil
}

// newLine starts the search for the terminator of a line beginning at pos.
func (r *Reader) newLine() { r.scan, r.stuck = r.pos, false }

// lineEnd returns the index of the byte c that ends the line starting at pos, or -1 if
// it has not arrived. The search resumes where the previous one stopped. As with the
// strchr Redis uses, a NUL byte ends the search, so a line with a NUL before its
// terminator never ends. Only the first inlineMaxSize+1 bytes of the line are searched:
// Redis fails a line once more than 64 KiB are buffered without a terminator, and
// taking the bytes as if they came one by one makes the outcome independent of how
// the input was split into reads.
func (r *Reader) lineEnd(c byte) int {
	if r.stuck {
		return -1
	}
	lim := min(r.end, r.pos+inlineMaxSize+1)
	for i, b := range r.buf[r.scan:lim] {
		if b == c {
			return r.scan + i
		}
		if b == 0 {
			r.stuck = true
			return -1
		}
	}
	r.scan = lim
	return -1
}

// expectedDollar is the message for a bulk header starting with c. Redis formats it
// with %c and then turns CR and LF into spaces.
func expectedDollar(c byte) string {
	if c == '\r' || c == '\n' {
		c = ' '
	}
	return "Protocol error: expected '$', got '" + string([]byte{c}) + "'"
}

// Fill reads more bytes from the underlying reader (one Read call), growing the buffer
// as a pending request needs, and returns the read error (io.EOF etc.). A Read that
// returns data along with an error counts as a success: its data is parsed first and
// the next Fill returns the error without reading.
//
// Like Redis it reads at most 16 KiB, or exactly the rest of a bulk of 32 KiB or more.
// The buffer grows by doubling, and never beyond what the pending request is known to
// need plus 16 KiB: an announced bulk costs memory only as its bytes arrive. Once a big
// request has been consumed, the buffer shrinks back to 16 KiB.
//
// If the unparsed input then exceeds the query buffer limit (Limits.MaxQueryBuf, or
// 1 MiB while unauthenticated), Fill still returns nil, and Next reports
// ErrQueryBufLimit.
func (r *Reader) Fill() error {
	if r.err != nil {
		return r.err
	}
	if err := r.rerr; err != nil {
		r.rerr = nil
		return err
	}
	want := ioBufLen
	if r.st == stBulk && r.bulk >= mbulkBigArg {
		if rest := int64(r.pos) + r.bulk + 2 - int64(r.end); rest > 0 {
			want = int(rest)
		}
	}
	r.makeRoom(want)
	n, err := r.rd.Read(r.buf[r.end:min(len(r.buf), r.end+want)])
	if n < 0 || n > len(r.buf)-r.end {
		panic("resp: reader returned an invalid count")
	}
	r.end += n
	limit := r.maxQuery
	if r.unauth {
		limit = min(limit, unauthMaxQuery)
	}
	if int64(r.end-r.pos) > limit {
		r.err = ErrQueryBufLimit
		return nil
	}
	if n > 0 && err != nil {
		r.rerr, err = err, nil
	}
	return err
}

// makeRoom makes room at the end of the buffer for a read of up to want bytes: it
// shrinks a buffer left big by a consumed request, moves the pending request to the
// front, or grows the buffer.
func (r *Reader) makeRoom(want int) {
	pending := r.end - r.start
	if len(r.buf) > ioBufLen && pending <= ioBufLen/2 {
		r.rebase(make([]byte, ioBufLen))
	}
	need := min(want, minFree)
	if len(r.buf)-r.end >= need {
		return
	}
	if len(r.buf)-pending >= need {
		r.rebase(r.buf)
		return
	}
	r.rebase(make([]byte, r.growTo(pending, min(want, ioBufLen))))
}

// growTo returns the capacity for a buffer that is too small for pending bytes and a
// read of readLen: double it, but never beyond what the pending request is known to
// need plus one read.
func (r *Reader) growTo(pending, readLen int) int {
	c := max(2*len(r.buf), pending+readLen)
	if r.st == stIdle {
		return c // complete requests piling up: no request to bound them
	}
	need := int64(pending) + 1
	if r.st == stBulk {
		at := int64(r.pos - r.start)
		n := at + minArgSize*r.left
		if r.bulk >= 0 {
			n = at + r.bulk + 2 + minArgSize*(r.left-1)
		}
		need = max(need, n)
	}
	return int(min(int64(c), need+ioBufLen))
}

// rebase moves the pending request to the front of nb (which may be the current
// buffer) and makes nb the buffer.
func (r *Reader) rebase(nb []byte) {
	copy(nb, r.buf[r.start:r.end])
	d := r.start
	r.buf = nb
	r.start, r.pos, r.end, r.scan = 0, r.pos-d, r.end-d, r.scan-d
	if cap(r.scratch) > ioBufLen {
		r.scratch = nil
	}
}

// parseInt parses b as Redis's string2ll does: an optional '-', then a decimal number
// without leading zeros, spaces or '+', shorter than 21 bytes and within int64.
func parseInt(b []byte) (int64, bool) {
	if n := len(b); n > 0 && n <= 18 && b[0] >= '1' && b[0] <= '9' {
		// The common case (a length or count): positive, no overflow possible.
		var v int64
		for _, c := range b {
			d := c - '0'
			if d > 9 {
				return 0, false
			}
			v = v*10 + int64(d)
		}
		return v, true
	}
	if len(b) == 0 || len(b) >= 21 {
		return 0, false
	}
	if len(b) == 1 && b[0] == '0' {
		return 0, true
	}
	neg := b[0] == '-'
	if neg {
		if b = b[1:]; len(b) == 0 {
			return 0, false
		}
	}
	if b[0] < '1' || b[0] > '9' {
		return 0, false
	}
	var v uint64
	for _, c := range b {
		if c < '0' || c > '9' {
			return 0, false
		}
		d := uint64(c - '0')
		if v > (math.MaxUint64-d)/10 {
			return 0, false
		}
		v = v*10 + d
	}
	if neg {
		if v > 1<<63 {
			return 0, false
		}
		return int64(-v), true
	}
	if v > math.MaxInt64 {
		return 0, false
	}
	return int64(v), true
}

// isSpace is C's isspace in the C locale.
func isSpace(c byte) bool {
	return c == ' ' || c == '\t' || c == '\n' || c == '\v' || c == '\f' || c == '\r'
}

// unhex returns the value of the hex digit c, or -1.
func unhex(c byte) int {
	switch {
	case '0' <= c && c <= '9':
		return int(c - '0')
	case 'a' <= c && c <= 'f':
		return int(c-'a') + 10
	case 'A' <= c && c <= 'F':
		return int(c-'A') + 10
	}
	return -1
}

// splitArgs splits an inline request line as Redis's sdssplitargs does, appending the
// arguments to args and their bytes to out. ok is false on unbalanced quotes.
//
// Blanks (isspace) separate arguments; inside an argument only space, tab, CR and LF
// end it. A double quote starts a quoted part with the escapes \n \r \t \b \a, \xHH,
// and \ before any other byte for that byte; a single quote starts one where only \'
// is an escape. A quoted part may follow unquoted bytes (a"b c" is one argument, "ab c"),
// but a closing quote must be followed by a blank or the end of the line ("a"b is an
// error), and an unterminated quote is an error.
//
// out must have room for len(line) bytes, which the result never exceeds, so that
// appending never moves it and the arguments can alias it.
func splitArgs(line []byte, args [][]byte, out []byte) (_ [][]byte, ok bool) {
	i, n := 0, len(line)
	for {
		for i < n && isSpace(line[i]) {
			i++
		}
		if i == n {
			return args, true
		}
		begin := len(out)
		inDouble, inSingle := false, false
	token:
		for {
			switch {
			case inDouble:
				if i == n {
					return nil, false // unterminated quotes
				}
				switch c := line[i]; {
				case c == '\\' && i+3 < n && line[i+1] == 'x' && unhex(line[i+2]) >= 0 && unhex(line[i+3]) >= 0:
					out = append(out, byte(unhex(line[i+2])<<4|unhex(line[i+3])))
					i += 4
				case c == '\\' && i+1 < n:
					switch e := line[i+1]; e {
					case 'n':
						out = append(out, '\n')
					case 'r':
						out = append(out, '\r')
					case 't':
						out = append(out, '\t')
					case 'b':
						out = append(out, '\b')
					case 'a':
						out = append(out, '\a')
					default:
						out = append(out, e)
					}
					i += 2
				case c == '"':
					if i+1 < n && !isSpace(line[i+1]) {
						return nil, false
					}
					i++
					break token
				default:
					out = append(out, c)
					i++
				}
			case inSingle:
				if i == n {
					return nil, false
				}
				switch c := line[i]; {
				case c == '\\' && i+1 < n && line[i+1] == '\'':
					out = append(out, '\'')
					i += 2
				case c == '\'':
					if i+1 < n && !isSpace(line[i+1]) {
						return nil, false
					}
					i++
					break token
				default:
					out = append(out, c)
					i++
				}
			default:
				if i == n {
					break token
				}
				switch c := line[i]; c {
				case ' ', '\n', '\r', '\t':
					i++
					break token
				case '"':
					inDouble = true
				case '\'':
					inSingle = true
				default:
					out = append(out, c)
				}
				i++
			}
		}
		args = append(args, out[begin:len(out):len(out)])
	}
}

// ParseCursor parses a SCAN-family cursor as Redis does (C's strtoul in base 10): an
// optional sign, digits, no leading space; a negative number wraps around; the empty
// string is 0. It reports false for anything else or an overflow ("ERR invalid cursor").
func ParseCursor(b []byte) (uint64, bool) {
	for i, ch := range b { // the argument is a C string to Redis
		if ch == 0 {
			b = b[:i]
			break
		}
	}
	if len(b) == 0 {
		return 0, true
	}
	neg := false
	digits := b
	if b[0] == '+' || b[0] == '-' {
		neg, digits = b[0] == '-', b[1:]
	}
	if len(digits) == 0 {
		return 0, false
	}
	var v uint64
	for _, ch := range digits {
		d := uint64(ch - '0')
		if d > 9 || v > (math.MaxUint64-d)/10 {
			return 0, false
		}
		v = v*10 + d
	}
	if neg {
		v = -v
	}
	return v, true
}
