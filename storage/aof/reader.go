package aof

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"strconv"
)

// FormatError is a file that is not a sequence of RESP commands: Redis's "Bad file
// format reading the append only file". Off is where the bad command starts.
type FormatError struct{ Off int64 }

func (e *FormatError) Error() string {
	return fmt.Sprintf("Bad file format reading the append only file (at offset %d)", e.Off)
}

// TruncatedError is a file that ends inside a command or inside a MULTI without its
// EXEC. Off is where the incomplete part starts: truncating the file there leaves only
// whole commands and transactions (what aof-load-truncated does).
type TruncatedError struct{ Off int64 }

func (e *TruncatedError) Error() string {
	return fmt.Sprintf("unexpected end of file (the last whole command ends at offset %d)", e.Off)
}

// maxArgs bounds a command's argument count as Redis bounds a request's (1024*1024*1024
// would be allowed by Redis; memory is the real bound, and arguments are read
// incrementally, so a huge count in a short file costs nothing).
const maxArgs = 1 << 30

// readChunk is the most a bulk read allocates ahead of the bytes actually present.
const readChunk = 1 << 20

// Reader reads the commands of an AOF file (or of what follows an RDB preamble).
type Reader struct {
	r          *bufio.Reader
	off        int64 // offset of the next unread byte
	multiStart int64 // offset of an open MULTI, -1 when none
	maxBulk    int64
}

// NewReader reads commands from r, whose first byte is at offset off of the file.
// maxBulk bounds one argument's length (proto-max-bulk-len).
func NewReader(r io.Reader, off int64, maxBulk int64) *Reader {
	return &Reader{r: bufio.NewReaderSize(r, 64<<10), off: off, multiStart: -1, maxBulk: maxBulk}
}

// Offset is the offset of the next unread byte.
func (r *Reader) Offset() int64 { return r.off }

// Next returns the next command. At the end of the file it returns io.EOF, or a
// *TruncatedError when the file ends inside a command or a transaction; a malformed
// command is a *FormatError. Annotations ("#TS:…" lines) are skipped.
func (r *Reader) Next() ([][]byte, error) {
	for {
		start := r.off
		line, err := r.line()
		if err == io.EOF && len(line) == 0 {
			if r.multiStart >= 0 {
				return nil, &TruncatedError{Off: r.multiStart}
			}
			return nil, io.EOF
		}
		if err != nil {
			return nil, r.truncated(start)
		}
		if line[0] == '#' {
			continue
		}
		if line[0] != '*' {
			return nil, &FormatError{Off: start}
		}
		argc, ok := parseLen(line[1:])
		if !ok || argc < 1 || argc > maxArgs {
			return nil, &FormatError{Off: start}
		}
		var args [][]byte
		for range argc {
			line, err := r.line()
			if err != nil {
				return nil, r.truncated(start)
			}
			if line[0] != '$' {
				return nil, &FormatError{Off: start}
			}
			n, ok := parseLen(line[1:])
			if !ok || n > r.maxBulk {
				return nil, &FormatError{Off: start}
			}
			arg, err := r.bulk(n)
			if err != nil {
				if errors.Is(err, errBadBulk) {
					return nil, &FormatError{Off: start}
				}
				return nil, r.truncated(start)
			}
			args = append(args, arg)
		}
		switch {
		case isCommand(args, "MULTI"):
			r.multiStart = start
		case isCommand(args, "EXEC"):
			r.multiStart = -1
		}
		return args, nil
	}
}

// truncated is the error of a file that ends inside the command starting at start.
func (r *Reader) truncated(start int64) error {
	if r.multiStart >= 0 {
		start = r.multiStart
	}
	return &TruncatedError{Off: start}
}

var errBadBulk = errors.New("bulk not followed by CRLF")

// line reads one line without its CRLF. A line must not be empty.
func (r *Reader) line() ([]byte, error) {
	line, err := r.r.ReadSlice('\n')
	r.off += int64(len(line))
	if err == bufio.ErrBufferFull {
		return nil, &FormatError{Off: r.off}
	}
	if err != nil {
		return line, err
	}
	line = bytes.TrimSuffix(line[:len(line)-1], []byte{'\r'})
	if len(line) == 0 {
		return nil, &FormatError{Off: r.off}
	}
	return line, nil
}

// bulk reads n bytes and the CRLF after them, allocating no more than readChunk ahead
// of what the file holds.
func (r *Reader) bulk(n int64) ([]byte, error) {
	buf := make([]byte, 0, min(n, readChunk))
	for int64(len(buf)) < n {
		want := min(n-int64(len(buf)), readChunk)
		if int64(cap(buf)-len(buf)) < want {
			buf = append(buf[:cap(buf)], make([]byte, want)...)[:len(buf)]
		}
		got, err := io.ReadFull(r.r, buf[len(buf):len(buf)+int(want)])
		buf = buf[:len(buf)+got]
		r.off += int64(got)
		if err != nil {
			return nil, io.ErrUnexpectedEOF
		}
	}
	var crlf [2]byte
	got, err := io.ReadFull(r.r, crlf[:])
	r.off += int64(got)
	if err != nil {
		return nil, io.ErrUnexpectedEOF
	}
	if crlf != [2]byte{'\r', '\n'} {
		return nil, errBadBulk
	}
	return buf, nil
}

func parseLen(b []byte) (int64, bool) {
	n, err := strconv.ParseInt(string(b), 10, 64)
	return n, err == nil && n >= 0
}

func isCommand(args [][]byte, name string) bool {
	return len(args) == 1 && bytes.EqualFold(args[0], []byte(name))
}

// AppendCommand appends args as a RESP array of bulk strings: one command of an AOF.
func AppendCommand(b []byte, args ...[]byte) []byte {
	b = appendHeader(b, '*', len(args))
	for _, a := range args {
		b = appendHeader(b, '$', len(a))
		b = append(b, a...)
		b = append(b, '\r', '\n')
	}
	return b
}

// appendHeader appends a RESP header line: kind, then n in decimal, then CRLF. The
// lengths of most arguments take one or two digits.
func appendHeader(b []byte, kind byte, n int) []byte {
	switch {
	case n < 10:
		return append(b, kind, byte('0'+n), '\r', '\n')
	case n < 100:
		return append(b, kind, byte('0'+n/10), byte('0'+n%10), '\r', '\n')
	}
	b = append(b, kind)
	b = strconv.AppendInt(b, int64(n), 10)
	return append(b, '\r', '\n')
}

// AppendTimestamp appends a timestamp annotation (aof-timestamp-enabled).
func AppendTimestamp(b []byte, unix int64) []byte {
	b = append(b, "#TS:"...)
	b = strconv.AppendInt(b, unix, 10)
	return append(b, '\r', '\n')
}

// IsRDB reports whether a file's first bytes are an RDB preamble.
func IsRDB(head []byte) bool { return bytes.HasPrefix(head, []byte("REDIS")) }
