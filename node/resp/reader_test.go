package resp

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"math"
	"math/rand/v2"
	"reflect"
	"strings"
	"testing"
	"testing/iotest"
)

// req is a Request copied out of the reader's buffer.
type req struct {
	Args   []string
	Raw    string
	Inline bool
}

func (q req) String() string { return fmt.Sprintf("{%q %q inline=%v}", q.Args, q.Raw, q.Inline) }

func copyReq(r Request) req {
	c := req{Raw: string(r.Raw), Inline: r.Inline}
	for _, a := range r.Args {
		c.Args = append(c.Args, string(a))
	}
	return c
}

// readAll runs the Next/Fill loop of a connection over rd until EOF or an error.
func readAll(t testing.TB, rd io.Reader, lim Limits, unauth bool) ([]req, error) {
	t.Helper()
	r := NewReader(rd, lim)
	r.SetUnauthenticated(unauth)
	var out []req
	var ahead []Head // announced by Ahead, not yet returned by Next
	for {
		q, ok, err := r.Next()
		if err != nil {
			return out, err
		}
		if ok {
			if len(ahead) > 0 {
				checkHead(t, ahead[0], q)
				ahead = ahead[1:]
			}
			out = append(out, copyReq(q))
			continue
		}
		if len(ahead) > 0 {
			t.Fatalf("Ahead announced %q, which Next did not return", ahead)
		}
		if err := r.Fill(); err != nil {
			if err == io.EOF {
				return out, nil
			}
			return out, err
		}
		r.Ahead(func(h Head) bool {
			ahead = append(ahead, Head{Name: bytes.Clone(h.Name), Arg: bytes.Clone(h.Arg),
				More: [2][]byte{bytes.Clone(h.More[0]), bytes.Clone(h.More[1])}})
			return true
		})
	}
}

// checkHead fails unless h, announced by Ahead, is the head of q, returned by Next.
func checkHead(t testing.TB, h Head, q Request) {
	t.Helper()
	arg, ok := []byte(nil), !q.Inline && bytes.Equal(h.Name, q.Args[0])
	if len(q.Args) > 1 {
		arg = q.Args[1]
	}
	if !ok || !bytes.Equal(h.Arg, arg) || (h.Arg == nil) != (len(q.Args) == 1) {
		t.Fatalf("Ahead announced %q %q, Next returned %q", h.Name, h.Arg, q.Args)
	}
	for i, m := range h.More {
		if want := argAt(q.Args, i+2); !bytes.Equal(m, want) || (m == nil) != (want == nil) {
			t.Fatalf("Ahead announced %q as argument %d, Next returned %q", m, i+2, q.Args)
		}
	}
}

// argAt is args[i], or nil when there are not that many.
func argAt(args [][]byte, i int) []byte {
	if i < len(args) {
		return args[i]
	}
	return nil
}

// errText is the reply text of a protocol error, the error text otherwise, "" for nil.
func errText(err error) string {
	var pe *ProtocolError
	switch {
	case err == nil:
		return ""
	case errors.As(err, &pe):
		return pe.Msg
	}
	return err.Error()
}

// feeders deliver the same input in different chunkings.
var feeders = map[string]func(string) io.Reader{
	"whole":   func(s string) io.Reader { return strings.NewReader(s) },
	"bytes":   func(s string) io.Reader { return iotest.OneByteReader(strings.NewReader(s)) },
	"dataerr": func(s string) io.Reader { return iotest.DataErrReader(strings.NewReader(s)) },
	"chunks": func(s string) io.Reader {
		return &chunkReader{data: []byte(s), rng: rand.New(rand.NewPCG(1, 2)), max: 5000}
	},
}

func mb(args ...string) req {
	var b strings.Builder
	b.WriteString("*" + itoa(len(args)) + "\r\n")
	for _, a := range args {
		b.WriteString("$" + itoa(len(a)) + "\r\n" + a + "\r\n")
	}
	return req{Args: args, Raw: b.String()}
}

func itoa(n int) string {
	var tmp [20]byte
	i := len(tmp)
	for {
		i--
		tmp[i] = byte('0' + n%10)
		if n /= 10; n == 0 {
			return string(tmp[i:])
		}
	}
}

func inl(raw string, args ...string) req { return req{Args: args, Raw: raw, Inline: true} }

func TestReaderRequests(t *testing.T) {
	set := mb("SET", "key", "value")
	tests := []struct {
		name string
		in   string
		want []req
	}{
		{"multibulk", set.Raw, []req{set}},
		{"pipeline", set.Raw + mb("GET", "key").Raw + set.Raw, []req{set, mb("GET", "key"), set}},
		{"inline crlf", "PING\r\n", []req{inl("PING\r\n", "PING")}},
		{"inline lf", "PING\n", []req{inl("PING\n", "PING")}},
		{"inline blanks", "  SET\ta   b \r\n", []req{inl("  SET\ta   b \r\n", "SET", "a", "b")}},
		{"inline inner cr", "a\rb\n", []req{inl("a\rb\n", "a", "b")}},
		{"inline quotes", `set "a b" 'c d'` + "\r\n", []req{inl(`set "a b" 'c d'`+"\r\n", "set", "a b", "c d")}},
		{"empty skipped", "*0\r\n*-1\r\n*-7\r\n\r\n \r\n\n\t\r\nPING\r\n*0\r\n", []req{inl("PING\r\n", "PING")}},
		{"empty arg", "*1\r\n$0\r\n\r\n", []req{mb("")}},
		{"empty quoted arg", "set a \"\"\n", []req{inl("set a \"\"\n", "set", "a", "")}},
		{"binary payload", mb("\r\n\x00\n$*").Raw, []req{mb("\r\n\x00\n$*")}},
		{"mixed", "PING\r\n" + set.Raw + "ECHO x\n", []req{inl("PING\r\n", "PING"), set, inl("ECHO x\n", "ECHO", "x")}},
		// Redis skips the byte after a header's '\r' and the two after a payload unchecked.
		{"unchecked terminators", "*1\rX$1\rYaZZ*1\r\n$1\r\nb\r\n", []req{
			{Args: []string{"a"}, Raw: "*1\rX$1\rYaZZ"}, mb("b")}},
		{"http", "POST / HTTP/1.1\r\nHost: x\r\n", []req{
			inl("POST / HTTP/1.1\r\n", "POST", "/", "HTTP/1.1"), inl("Host: x\r\n", "Host:", "x")}},
		{"incomplete multibulk", "*2\r\n$3\r\nfoo\r\n$3\r\nba", nil},
		{"incomplete header", "*2\r\n$3", nil},
		{"incomplete count", "*2\r", nil},
		{"incomplete inline", "PING", nil},
		{"nul stalls inline", "PI\x00NG\r\nPING\r\n", nil},
		{"nul stalls header", "*1\r\n$\x001\r\na\r\n", nil},
		{"huge count waits", "*2147483647\r\n$1\r\na\r\n", nil},
	}
	for _, tt := range tests {
		for fname, feed := range feeders {
			t.Run(tt.name+"/"+fname, func(t *testing.T) {
				got, err := readAll(t, feed(tt.in), Limits{}, false)
				if err != nil {
					t.Fatalf("error %v", err)
				}
				if !reflect.DeepEqual(got, tt.want) {
					t.Fatalf("got %q\nwant %q", got, tt.want)
				}
			})
		}
	}
}

func TestSplitArgs(t *testing.T) {
	tests := []struct {
		line string
		want []string // nil: unbalanced quotes
	}{
		{``, []string{}},
		{" \t\v\f\r\n", []string{}},
		{`set "a b" 'c d'`, []string{"set", "a b", "c d"}},
		{`"\x41"`, []string{"A"}},
		{`"\x4a\x4B"`, []string{"JK"}},
		{`"\x4"`, []string{"x4"}},
		{`"\xZZ"`, []string{"xZZ"}},
		{`"a\"b"`, []string{`a"b`}},
		{`"\n\r\t\b\a\\\q"`, []string{"\n\r\t\b\a\\q"}},
		{`'it\'s'`, []string{"it's"}},
		{`'a\nb\\x'`, []string{`a\nb\\x`}},
		{`'a\\'`, nil}, // \' is an escaped quote even after a backslash
		{`'a"b'`, []string{`a"b`}},
		{`"a'b"`, []string{`a'b`}},
		{`""`, []string{""}},
		{`'' x`, []string{"", "x"}},
		{`a"b c"`, []string{"ab c"}},
		{`a'b c'd`, nil},
		{`"a"b`, nil},
		{`'a'b`, nil},
		{`"a""b"`, nil},
		{`"abc`, nil},
		{`'abc`, nil},
		{`"abc\`, nil},
		{`"abc\"`, nil},
		{`'abc\'`, nil},
		{"\"a\"\vb", []string{"a", "b"}},
		{"'a'\tb", []string{"a", "b"}},
		{"a\vb", []string{"a\vb"}},
		{"a\fb c", []string{"a\fb", "c"}},
		{"\v\fa", []string{"a"}},
		{"  a   b  ", []string{"a", "b"}},
		{"\xff\xfe x", []string{"\xff\xfe", "x"}},
	}
	for _, tt := range tests {
		out := make([]byte, 0, len(tt.line))
		args, ok := splitArgs([]byte(tt.line), nil, out)
		if tt.want == nil {
			if ok {
				t.Errorf("%q: got %q, want unbalanced", tt.line, args)
			}
			continue
		}
		got := []string{}
		for _, a := range args {
			got = append(got, string(a))
		}
		if !ok || !reflect.DeepEqual(got, tt.want) {
			t.Errorf("%q: got %q %v, want %q", tt.line, got, ok, tt.want)
		}
	}
}

func TestParseInt(t *testing.T) {
	good := map[string]int64{
		"0": 0, "1": 1, "-1": -1, "10": 10, "2147483647": 2147483647,
		"9223372036854775807": 9223372036854775807, "-9223372036854775808": -9223372036854775808,
	}
	for s, want := range good {
		if n, ok := parseInt([]byte(s)); !ok || n != want {
			t.Errorf("%q: got %d %v", s, n, ok)
		}
	}
	for _, s := range []string{"", "-", "-0", "00", "01", "+1", " 1", "1 ", "1a", "0x1",
		"9223372036854775808", "-9223372036854775809", "18446744073709551616", "99999999999999999999",
		"000000000000000000001", "-00000000000000000001"} {
		if n, ok := parseInt([]byte(s)); ok {
			t.Errorf("%q: got %d, want invalid", s, n)
		}
	}
}

func TestProtocolErrors(t *testing.T) {
	big := func(prefix string, n int) string { return prefix + strings.Repeat("1", n) }
	tests := []struct {
		name   string
		in     string
		lim    Limits
		unauth bool
		want   string // "" = no error
		nreq   int    // requests before the error
	}{
		{"inline 64k", strings.Repeat("a", 65536) + "\n", Limits{}, false, "", 1},
		{"inline 64k+1", strings.Repeat("a", 65537), Limits{}, false, errTooBigInline, 0},
		{"inline 64k+1 with cr", strings.Repeat("a", 65536) + "\r\n", Limits{}, false, errTooBigInline, 0},
		{"inline after request", "PING\r\n" + strings.Repeat("a", 70000) + "\n", Limits{}, false, errTooBigInline, 1},
		{"inline nul", "PI\x00NG\r\n" + strings.Repeat("a", 65530), Limits{}, false, errTooBigInline, 0},
		{"unbalanced", "SET \"a\r\n", Limits{}, false, errUnbalanced, 0},
		{"unbalanced single", "SET 'a\r\n", Limits{}, false, errUnbalanced, 0},
		{"quote then text", "SET \"a\"b\r\n", Limits{}, false, errUnbalanced, 0},
		{"mbulk count 64k", big("*", 65535) + "\r\n", Limits{}, false, errInvalidMbulk, 0},
		{"mbulk count 64k+1", big("*", 65536), Limits{}, false, errTooBigMbulk, 0},
		{"mbulk count nul", "*1\x00\r\n" + strings.Repeat("x", 65533), Limits{}, false, errTooBigMbulk, 0},
		{"bulk count 64k+1", "*1\r\n" + big("$", 65536), Limits{}, false, errTooBigBulk, 0},
		{"bulk count nul", "*1\r\n$\x00\r\n" + strings.Repeat("x", 65533), Limits{}, false, errTooBigBulk, 0},
		{"expected $", "*1\r\nfoo\r\n", Limits{}, false, "Protocol error: expected '$', got 'f'", 0},
		{"expected $ cr", "*1\r\n\r\n", Limits{}, false, "Protocol error: expected '$', got ' '", 0},
		{"expected $ lf", "*1\r\n\n\r\n", Limits{}, false, "Protocol error: expected '$', got ' '", 0},
		{"expected $ high", "*1\r\n\xff\r\n", Limits{}, false, "Protocol error: expected '$', got '\xff'", 0},
		{"expected $ second", "*2\r\n$1\r\na\r\n*1\r\n", Limits{}, false, "Protocol error: expected '$', got '*'", 0},
		{"expected $ waits for line", "*1\r\nfoo", Limits{}, false, "", 0},
		{"mbulk letters", "*abc\r\n", Limits{}, false, errInvalidMbulk, 0},
		{"mbulk empty", "*\r\n", Limits{}, false, errInvalidMbulk, 0},
		{"mbulk leading zero", "*01\r\n", Limits{}, false, errInvalidMbulk, 0},
		{"mbulk minus zero", "*-0\r\n", Limits{}, false, errInvalidMbulk, 0},
		{"mbulk plus", "*+1\r\n", Limits{}, false, errInvalidMbulk, 0},
		{"mbulk space", "*1 \r\n", Limits{}, false, errInvalidMbulk, 0},
		{"mbulk lf only", "*1\n$1\r\na\r\n", Limits{}, false, errInvalidMbulk, 0},
		{"mbulk int max+1", "*2147483648\r\n", Limits{}, false, errInvalidMbulk, 0},
		{"mbulk overflow", "*99999999999999999999\r\n", Limits{}, false, errInvalidMbulk, 0},
		{"mbulk int max", "*2147483647\r\n", Limits{}, false, "", 0},
		{"bulk negative", "*1\r\n$-1\r\n", Limits{}, false, errInvalidBulk, 0},
		{"bulk letters", "*1\r\n$abc\r\n", Limits{}, false, errInvalidBulk, 0},
		{"bulk empty", "*1\r\n$\r\n", Limits{}, false, errInvalidBulk, 0},
		{"bulk leading zero", "*1\r\n$01\r\n", Limits{}, false, errInvalidBulk, 0},
		{"bulk default max", "*1\r\n$536870912\r\n", Limits{}, false, "", 0},
		{"bulk default max+1", "*1\r\n$536870913\r\n", Limits{}, false, errInvalidBulk, 0},
		{"bulk max", "*1\r\n$10\r\n0123456789\r\n", Limits{MaxBulkLen: 10}, false, "", 1},
		{"bulk max+1", "*1\r\n$11\r\n", Limits{MaxBulkLen: 10}, false, errInvalidBulk, 0},
		{"unauth 10 args", "*10\r\n", Limits{}, true, "", 0},
		{"unauth 11 args", "*11\r\n", Limits{}, true, errUnauthMbulk, 0},
		{"unauth invalid first", "*2147483648\r\n", Limits{}, true, errInvalidMbulk, 0},
		{"unauth empty", "*-100\r\n*0\r\n", Limits{}, true, "", 0},
		{"unauth bulk 16384", "*1\r\n$16384\r\n", Limits{}, true, "", 0},
		{"unauth bulk 16385", "*1\r\n$16385\r\n", Limits{}, true, errUnauthBulk, 0},
		{"unauth invalid bulk first", "*1\r\n$536870913\r\n", Limits{}, true, errInvalidBulk, 0},
		{"unauth inline", "a b c d e f g h i j k l\r\n", Limits{}, true, "", 1},
		{"error after requests", "PING\r\n" + mb("GET", "k").Raw + "*x\r\n", Limits{}, false, errInvalidMbulk, 2},
	}
	for _, tt := range tests {
		for fname, feed := range feeders {
			t.Run(tt.name+"/"+fname, func(t *testing.T) {
				got, err := readAll(t, feed(tt.in), tt.lim, tt.unauth)
				if msg := errText(err); msg != tt.want || len(got) != tt.nreq {
					t.Fatalf("got %d requests, error %q; want %d, %q", len(got), msg, tt.nreq, tt.want)
				}
			})
		}
	}
}

func TestErrorsAreSticky(t *testing.T) {
	r := NewReader(strings.NewReader("*x\r\nPING\r\n"), Limits{})
	r.Fill()
	_, _, err := r.Next()
	var pe *ProtocolError
	if !errors.As(err, &pe) || pe.Error() != "ERR "+errInvalidMbulk {
		t.Fatalf("got %v", err)
	}
	if _, ok, err2 := r.Next(); ok || err2 != err {
		t.Fatalf("Next after error: %v %v", ok, err2)
	}
	if err2 := r.Fill(); err2 != err {
		t.Fatalf("Fill after error: %v", err2)
	}
}

// pipeline mixes every kind of request, for the chunking tests.
var pipeline = mb("SET", "key", "value").Raw + "*0\r\n" + "PING\r\n" + mb("", "x").Raw +
	"\r\n" + `set "a b" 'c\'d' "\x41"` + "\n" + "*-1\r\n" + mb(strings.Repeat("v", 300), "\r\n").Raw +
	"*1\rX$1\rYaZZ" + "ECHO\n" + mb("LAST").Raw

func TestSplitAtEveryByte(t *testing.T) {
	want, err := readAll(t, strings.NewReader(pipeline), Limits{}, false)
	if err != nil || len(want) != 8 {
		t.Fatalf("whole: %d requests, %v", len(want), err)
	}
	got, err := readAll(t, iotest.OneByteReader(strings.NewReader(pipeline)), Limits{}, false)
	if err != nil || !reflect.DeepEqual(got, want) {
		t.Fatalf("byte by byte: %v\n%q\nwant %q", err, got, want)
	}
	for i := 0; i <= len(pipeline); i++ {
		for j := i; j <= len(pipeline); j += 7 {
			rd := io.MultiReader(strings.NewReader(pipeline[:i]), strings.NewReader(pipeline[i:j]),
				strings.NewReader(pipeline[j:]))
			got, err := readAll(t, rd, Limits{}, false)
			if err != nil || !reflect.DeepEqual(got, want) {
				t.Fatalf("split at %d, %d: %v\n%q", i, j, err, got)
			}
		}
	}
}

func TestQueryBufLimit(t *testing.T) {
	bigReq := "*1\r\n$5000\r\n" + strings.Repeat("x", 5000) + "\r\n"
	for fname, feed := range feeders {
		// The payload not yet parsed counts, however it arrives.
		if _, err := readAll(t, feed(bigReq), Limits{MaxQueryBuf: 1000}, false); err != ErrQueryBufLimit {
			t.Errorf("%s: big bulk: %v", fname, err)
		}
	}
	// Parsed arguments do not count: three 60 KB arguments under a 100 KB limit.
	v := strings.Repeat("v", 60000)
	got, err := readAll(t, strings.NewReader(mb(v, v, v).Raw), Limits{MaxQueryBuf: 100000}, false)
	if err != nil || len(got) != 1 {
		t.Errorf("parsed arguments: %d requests, %v", len(got), err)
	}
	// Requests consumed as they arrive never pile up.
	small := strings.Repeat("PING\r\n", 1000)
	got, err = readAll(t, iotest.OneByteReader(strings.NewReader(small)), Limits{MaxQueryBuf: 100}, false)
	if err != nil || len(got) != 1000 {
		t.Errorf("pipeline: %d requests, %v", len(got), err)
	}
}

func TestUnauthenticatedQueryBuf(t *testing.T) {
	// A client that sends while its requests are not consumed (Fill without Next).
	for _, unauth := range []bool{true, false} {
		r := NewReader(strings.NewReader(strings.Repeat("PING\r\n", 400000)), Limits{})
		r.SetUnauthenticated(unauth)
		for r.Fill() == nil {
		}
		n := r.Buffered()
		_, _, err := r.Next()
		switch {
		case unauth && (err != ErrQueryBufLimit || n <= 1<<20 || n > 1<<20+ioBufLen):
			t.Errorf("unauthenticated: %v with %d buffered", err, n)
		case !unauth && (err != nil || n != 2400000):
			t.Errorf("authenticated: %v with %d buffered", err, n)
		}
	}
}

func TestBufferGrowsWithData(t *testing.T) {
	// A 512 MiB bulk announced, 1 MiB sent: the buffer follows the data.
	in := "*1\r\n$536870912\r\n" + strings.Repeat("x", 1<<20)
	r := NewReader(strings.NewReader(in), Limits{})
	for r.Fill() == nil {
		if _, ok, err := r.Next(); ok || err != nil {
			t.Fatal(ok, err)
		}
	}
	if r.Buffered() != 1<<20 || len(r.buf) > 2<<20+ioBufLen {
		t.Fatalf("buffered %d, buffer %d", r.Buffered(), len(r.buf))
	}

	// A huge count allocates nothing up front.
	r = NewReader(strings.NewReader("*2147483647\r\n"+strings.Repeat("$1\r\na\r\n", 1000)), Limits{})
	for r.Fill() == nil {
		if _, ok, err := r.Next(); ok || err != nil {
			t.Fatal(ok, err)
		}
	}
	if len(r.spans) != 1000 || cap(r.spans) > 2048 || len(r.buf) != ioBufLen {
		t.Fatalf("spans %d/%d, buffer %d", len(r.spans), cap(r.spans), len(r.buf))
	}
}

func TestBufferGrowthIsBounded(t *testing.T) {
	// A known bulk: the buffer never exceeds the request plus one read.
	v := strings.Repeat("v", 300000)
	in := mb(v).Raw
	r := NewReader(iotest.HalfReader(strings.NewReader(in+"PING\r\n")), Limits{})
	n := 0
	for {
		q, ok, err := r.Next()
		if err != nil {
			t.Fatal(err)
		}
		if ok {
			n++
			if n == 1 && (string(q.Args[0]) != v || string(q.Raw) != in) {
				t.Fatal("bad request")
			}
			continue
		}
		if len(r.buf) > len(in)+ioBufLen {
			t.Fatalf("buffer %d for a request of %d", len(r.buf), len(in))
		}
		if err := r.Fill(); err == io.EOF {
			break
		}
	}
	if n != 2 || len(r.buf) != ioBufLen {
		t.Fatalf("%d requests, buffer %d after", n, len(r.buf))
	}
}

func TestShrinkAfterBigRequest(t *testing.T) {
	big := mb("SET", "k", strings.Repeat("v", 200000)).Raw
	r := NewReader(strings.NewReader(big+"PING\r\n"), Limits{})
	var got []req
	for {
		q, ok, err := r.Next()
		if err != nil {
			t.Fatal(err)
		}
		if ok {
			got = append(got, copyReq(q))
			continue
		}
		if r.Fill() != nil {
			break
		}
		if len(got) == 1 && len(r.buf) != ioBufLen {
			t.Fatalf("buffer %d after the big request", len(r.buf))
		}
	}
	if len(got) != 2 || len(got[0].Args[2]) != 200000 || len(r.buf) != ioBufLen {
		t.Fatalf("%d requests, buffer %d", len(got), len(r.buf))
	}
}

func TestIncrementalParsing(t *testing.T) {
	// 100k arguments and a 60 KB inline line, byte by byte: quadratic re-parsing would
	// take minutes.
	var b strings.Builder
	b.WriteString("*100000\r\n")
	for range 100000 {
		b.WriteString("$1\r\na\r\n")
	}
	line := strings.Repeat("b", 60000) + "\r\n"
	got, err := readAll(t, iotest.OneByteReader(strings.NewReader(b.String()+line)), Limits{}, false)
	if err != nil || len(got) != 2 || len(got[0].Args) != 100000 || len(got[1].Args[0]) != 60000 {
		t.Fatalf("%d requests, %v", len(got), err)
	}
}

func TestFillDefersReadError(t *testing.T) {
	r := NewReader(iotest.DataErrReader(strings.NewReader("PING\r\n")), Limits{})
	if err := r.Fill(); err != nil {
		t.Fatal(err)
	}
	if q, ok, err := r.Next(); !ok || err != nil || string(q.Args[0]) != "PING" {
		t.Fatal(q, ok, err)
	}
	if _, ok, _ := r.Next(); ok {
		t.Fatal("extra request")
	}
	if err := r.Fill(); err != io.EOF {
		t.Fatal(err)
	}
}

func TestArgsAreCapped(t *testing.T) {
	r := NewReader(strings.NewReader(mb("ab", "cd").Raw+"x y\n"), Limits{})
	r.Fill()
	q, _, _ := r.Next()
	_ = append(q.Args[0], 'X')
	if string(q.Args[1]) != "cd" || !bytes.Equal(q.Raw, []byte(mb("ab", "cd").Raw)) || cap(q.Raw) != len(q.Raw) {
		t.Fatal("append to an argument changed the buffer")
	}
	q, _, _ = r.Next()
	_ = append(q.Args[0], 'X')
	if string(q.Args[1]) != "y" {
		t.Fatal("append to an inline argument changed the next one")
	}
}

func TestSetLimitsApplyToNextHeader(t *testing.T) {
	in := mb("AUTH", "pw").Raw + mb("SET", "k", strings.Repeat("v", 20000)).Raw
	r := NewReader(strings.NewReader(in), Limits{})
	r.SetUnauthenticated(true)
	var n int
	for {
		_, ok, err := r.Next()
		if err != nil {
			t.Fatal(err)
		}
		if ok {
			n++
			r.SetUnauthenticated(false) // AUTH succeeded
			continue
		}
		if r.Fill() != nil {
			break
		}
	}
	if n != 2 {
		t.Fatalf("%d requests", n)
	}
}

// repeatReader returns data over and over.
type repeatReader struct {
	data []byte
	off  int
}

func (r *repeatReader) Read(p []byte) (int, error) {
	n := 0
	for n < len(p) {
		c := copy(p[n:], r.data[r.off:])
		n += c
		r.off = (r.off + c) % len(r.data)
	}
	return n, nil
}

// nextRequest runs Next, and Fill when needed, until one request is parsed.
func nextRequest(tb testing.TB, r *Reader) Request {
	for {
		q, ok, err := r.Next()
		if err != nil {
			tb.Fatal(err)
		}
		if ok {
			return q
		}
		if err := r.Fill(); err != nil {
			tb.Fatal(err)
		}
	}
}

const benchReq = "*3\r\n$3\r\nSET\r\n$3\r\nkey\r\n$5\r\nvalue\r\n"

func TestZeroAllocs(t *testing.T) {
	for _, in := range []string{benchReq, "SET key \"value\"\r\n"} {
		r := NewReader(&repeatReader{data: []byte(strings.Repeat(in, 100))}, Limits{})
		nextRequest(t, r)
		if n := testing.AllocsPerRun(10000, func() { nextRequest(t, r) }); n != 0 {
			t.Errorf("%q: %v allocations per request", in, n)
		}
	}
}

func BenchmarkReaderPipeline(b *testing.B) {
	r := NewReader(&repeatReader{data: []byte(strings.Repeat(benchReq, 100))}, Limits{})
	b.SetBytes(int64(len(benchReq)))
	b.ReportAllocs()
	for b.Loop() {
		nextRequest(b, r)
	}
}

func TestParseScanCursor(t *testing.T) {
	for in, want := range map[string]uint64{
		"0": 0, "": 0, "+7": 7, "-0": 0, "-1": math.MaxUint64, "18446744073709551615": math.MaxUint64,
		"-18446744073709551615": 1, "12\x00junk": 12, "\x00": 0,
	} {
		if got, ok := ParseCursor([]byte(in)); !ok || got != want {
			t.Errorf("ParseCursor(%q) = %d, %v; want %d", in, got, ok, want)
		}
	}
	for _, in := range []string{" 1", "\t1", "1 ", "x", "+", "-", "0x1", "18446744073709551616", "1.0"} {
		if _, ok := ParseCursor([]byte(in)); ok {
			t.Errorf("ParseCursor(%q) accepted", in)
		}
	}
}

func TestAhead(t *testing.T) {
	heads := func(r *Reader, max int) []string {
		var got []string
		r.Ahead(func(h Head) bool {
			got = append(got, fmt.Sprintf("%s/%s/%t/%s/%s", h.Name, h.Arg, h.Arg == nil, h.More[0], h.More[1]))
			return len(got) < max
		})
		return got
	}
	for _, tc := range []struct {
		name, in string
		max      int
		want     []string
	}{
		{"pipeline", "*2\r\n$3\r\nGET\r\n$1\r\na\r\n*1\r\n$4\r\nPING\r\n*3\r\n$3\r\nSET\r\n$1\r\nb\r\n$0\r\n\r\n" +
			"*5\r\n$4\r\nZADD\r\n$1\r\nz\r\n$1\r\n1\r\n$1\r\nm\r\n$1\r\nx\r\n", 9,
			[]string{"GET/a/false//", "PING//true//", "SET/b/false//", "ZADD/z/false/1/m"}},
		{"stops when asked", "*2\r\n$3\r\nGET\r\n$1\r\na\r\n*2\r\n$3\r\nGET\r\n$1\r\nb\r\n", 1, []string{"GET/a/false//"}},
		{"incomplete last", "*2\r\n$3\r\nGET\r\n$1\r\na\r\n*2\r\n$3\r\nGET\r\n$1\r\n", 9, []string{"GET/a/false//"}},
		{"inline stops", "*1\r\n$4\r\nPING\r\nPING\r\n*1\r\n$4\r\nPING\r\n", 9, []string{"PING//true//"}},
		{"empty stops", "*0\r\n*1\r\n$4\r\nPING\r\n", 9, nil},
		{"malformed stops", "*1\r\n$x\r\nPING\r\n", 9, nil},
	} {
		r := NewReader(strings.NewReader(tc.in), Limits{})
		if err := r.Fill(); err != nil {
			t.Fatal(err)
		}
		if got := heads(r, tc.max); !reflect.DeepEqual(got, tc.want) {
			t.Errorf("%s: got %q, want %q", tc.name, got, tc.want)
		}
	}

	// Nothing while a request is partly parsed.
	r := NewReader(io.MultiReader(strings.NewReader("*2\r\n$3\r\nGET\r\n$1\r\na\r\n*2\r\n$3\r\nGET"),
		strings.NewReader("\r\n$1\r\nb\r\n*1\r\n$4\r\nPING\r\n")), Limits{})
	if err := r.Fill(); err != nil {
		t.Fatal(err)
	}
	if q, ok, _ := r.Next(); !ok || string(q.Args[1]) != "a" {
		t.Fatal("no first request")
	}
	if got := heads(r, 9); len(got) != 0 {
		t.Fatalf("incomplete request: Ahead gave %q", got)
	}
	if _, ok, _ := r.Next(); ok {
		t.Fatal("second request complete before its rest arrived")
	}
	if err := r.Fill(); err != nil {
		t.Fatal(err)
	}
	if got := heads(r, 9); len(got) != 0 {
		t.Fatalf("partly parsed request: Ahead gave %q", got)
	}
	if q, ok, _ := r.Next(); !ok || string(q.Args[1]) != "b" {
		t.Fatal("no second request")
	}
	if got := heads(r, 9); !reflect.DeepEqual(got, []string{"PING//true//"}) {
		t.Fatalf("after the second request: Ahead gave %q", got)
	}
}
