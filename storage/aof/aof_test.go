package aof

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestManifestRoundTrip(t *testing.T) {
	text := "file appendonly.aof.3.base.rdb seq 3 type b\n" +
		"file appendonly.aof.2.incr.aof seq 2 type h\n" +
		"file appendonly.aof.4.incr.aof seq 4 type i\n" +
		"file \"with space.aof\" seq 5 type i\n"
	m, err := ParseManifest([]byte(text))
	if err != nil {
		t.Fatal(err)
	}
	if m.Base.Name != "appendonly.aof.3.base.rdb" || len(m.History) != 1 || len(m.Incr) != 2 || m.Incr[1].Name != "with space.aof" || m.CurIncrSeq != 5 {
		t.Fatalf("parsed %+v", m)
	}
	if got := string(m.Format()); got != text {
		t.Errorf("Format:\n%s\nwant\n%s", got, text)
	}
	// Keys in any order, comments, unknown keys.
	m2, err := ParseManifest([]byte("# comment\ntype i seq 1 extra x file a.aof\n"))
	if err != nil || m2.Incr[0].Name != "a.aof" || m2.Incr[0].Seq != 1 {
		t.Errorf("reordered keys: %+v %v", m2, err)
	}
}

func TestManifestErrors(t *testing.T) {
	for _, tt := range []struct{ text, want string }{
		{"", "Found an empty AOF manifest"},
		{"# only\n", "Found an empty AOF manifest"},
		{"file a seq 1\n", "Invalid AOF manifest file format"},
		{"file a seq x type i\n", "Invalid AOF manifest file format"},
		{"file a seq 1 type z\n", "Unknown AOF file type"},
		{"file a seq 1 type b\nfile b seq 2 type b\n", "Found duplicate base file information"},
		{"file a seq 2 type i\nfile b seq 1 type i\n", "Found a non-monotonic sequence number"},
		{"file ../x seq 1 type i\n", "Invalid AOF manifest file format"},
		{"file \"a seq 1 type i\n", "Invalid AOF manifest file format"},
		{"file " + strings.Repeat("a", 2000) + " seq 1 type i\n", "too long line"},
	} {
		_, err := ParseManifest([]byte(tt.text))
		if err == nil || !errors.Is(err, ErrManifest) || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%q: %v, want %q", tt.text, err, tt.want)
		}
	}
}

func TestManifestRewrite(t *testing.T) {
	m := &Manifest{}
	base := m.NextBase("appendonly.aof", true)
	m.InstallBase(base, 1)
	m.NextIncr("appendonly.aof")
	m.NextIncr("appendonly.aof") // a rewrite started: incr 2
	m.InstallBase(m.NextBase("appendonly.aof", true), 2)
	want := "file appendonly.aof.2.base.rdb seq 2 type b\n" +
		"file appendonly.aof.1.base.rdb seq 1 type h\n" +
		"file appendonly.aof.1.incr.aof seq 1 type h\n" +
		"file appendonly.aof.2.incr.aof seq 2 type i\n"
	if got := string(m.Format()); got != want {
		t.Errorf("after a rewrite:\n%s\nwant\n%s", got, want)
	}
}

func cmds(args ...[]string) []byte {
	var b []byte
	for _, a := range args {
		bs := make([][]byte, len(a))
		for i, s := range a {
			bs[i] = []byte(s)
		}
		b = AppendCommand(b, bs...)
	}
	return b
}

func readAll(data []byte) ([][][]byte, error) {
	r := NewReader(bytes.NewReader(data), 0, 1<<20)
	var out [][][]byte
	for {
		args, err := r.Next()
		if err == io.EOF {
			return out, nil
		}
		if err != nil {
			return out, err
		}
		out = append(out, args)
	}
}

func TestReader(t *testing.T) {
	whole := cmds([]string{"SET", "a", "1"}, []string{"MULTI"}, []string{"SET", "b", "2"}, []string{"EXEC"})
	data := append(AppendTimestamp(nil, 1700000000), whole...)
	got, err := readAll(data)
	if err != nil || len(got) != 4 || string(got[2][1]) != "b" {
		t.Fatalf("read %q %v", got, err)
	}
	first := len(cmds([]string{"SET", "a", "1"})) + len(AppendTimestamp(nil, 1700000000))
	// Cut inside the transaction: truncation goes back to before MULTI.
	for cut := first + 1; cut < len(data); cut++ {
		_, err := readAll(data[:cut])
		var te *TruncatedError
		if !errors.As(err, &te) || te.Off != int64(first) {
			t.Fatalf("cut at %d: %v, want truncation at %d", cut, err, first)
		}
	}
	for _, bad := range []string{"SET a 1\r\n", "*1\r\n+OK\r\n", "*-1\r\n", "*1\r\n$3\r\nabcX\n", "*1\r\n$2000000\r\nab\r\n"} {
		_, err := readAll([]byte(bad))
		var fe *FormatError
		if !errors.As(err, &fe) {
			t.Errorf("%q: %v, want a format error", bad, err)
		}
	}
}

func TestLog(t *testing.T) {
	dir := t.TempDir()
	f, err := os.Create(filepath.Join(dir, "a.aof"))
	if err != nil {
		t.Fatal(err)
	}
	l := NewLog(f, 0, FsyncAlways, false)
	syncs := 0
	l.SetSync(func(f *os.File) error { syncs++; return f.Sync() })
	off := l.Append(Cmd{DB: 0, Args: [][]byte{[]byte("SET"), []byte("k"), []byte("v")}})
	if l.Written(off) {
		t.Fatal("written before Flush")
	}
	if err := l.Flush(off); err != nil || !l.Written(off) || syncs != 1 {
		t.Fatalf("Flush: %v (%d fsyncs through SetSync's function)", err, syncs)
	}
	off = l.Append(Cmd{DB: 2, Args: [][]byte{[]byte("INCR"), []byte("a")}}, Cmd{DB: 2, Args: [][]byte{[]byte("INCR"), []byte("b")}})
	g, err := os.Create(filepath.Join(dir, "b.aof"))
	if err != nil {
		t.Fatal(err)
	}
	prev, err := l.Rotate(g)
	if err != nil {
		t.Fatal(err)
	}
	prev.Close()
	l.Append(Cmd{DB: 2, Args: [][]byte{[]byte("DEL"), []byte("a")}})
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}
	a, _ := os.ReadFile(filepath.Join(dir, "a.aof"))
	want := cmds([]string{"SELECT", "0"}, []string{"SET", "k", "v"}, []string{"SELECT", "2"}, []string{"MULTI"},
		[]string{"INCR", "a"}, []string{"INCR", "b"}, []string{"EXEC"})
	if !bytes.Equal(a, want) {
		t.Errorf("first file:\n%q\nwant\n%q", a, want)
	}
	b, _ := os.ReadFile(filepath.Join(dir, "b.aof"))
	if want := cmds([]string{"SELECT", "2"}, []string{"DEL", "a"}); !bytes.Equal(b, want) {
		t.Errorf("second file starts with its own SELECT:\n%q", b)
	}
	_ = off
}

// FuzzManifest: any input parses or fails with ErrManifest, never panics; what parses
// formats to something that parses to the same.
func FuzzManifest(f *testing.F) {
	f.Add([]byte("file appendonly.aof.1.base.rdb seq 1 type b\nfile appendonly.aof.1.incr.aof seq 1 type i\n"))
	f.Add([]byte("file \"a b\" seq 2 type h\n# c\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		m, err := ParseManifest(data)
		if err != nil {
			if !errors.Is(err, ErrManifest) {
				t.Fatalf("error not ErrManifest: %v", err)
			}
			return
		}
		m2, err := ParseManifest(m.Format())
		if err != nil && strings.Contains(err.Error(), "too long line") {
			return // a name that quoting makes longer than a manifest line may be: Redis's limit too
		}
		if err != nil {
			t.Fatalf("the formatted manifest does not parse: %v\n%q", err, m.Format())
		}
		if !bytes.Equal(m2.Format(), m.Format()) {
			t.Fatalf("round trip:\n%q\n%q", m.Format(), m2.Format())
		}
	})
}

// FuzzReader: any input (AOF commands, annotations, garbage, cut anywhere) reads as
// commands then io.EOF, a TruncatedError or a FormatError, never panics or allocates
// beyond the input.
func FuzzReader(f *testing.F) {
	f.Add(cmds([]string{"SET", "a", "1"}, []string{"MULTI"}, []string{"INCR", "a"}, []string{"EXEC"}))
	f.Add(append(AppendTimestamp(nil, 1), cmds([]string{"DEL", "x"})...))
	f.Add([]byte("*1\r\n$1000000000\r\nab"))
	f.Fuzz(func(t *testing.T, data []byte) {
		r := NewReader(bytes.NewReader(data), 0, 512<<20)
		for i := 0; ; i++ {
			_, err := r.Next()
			if err == nil {
				continue
			}
			var te *TruncatedError
			var fe *FormatError
			if err != io.EOF && !errors.As(err, &te) && !errors.As(err, &fe) {
				t.Fatalf("unexpected error %T %v", err, err)
			}
			if te != nil && (te.Off < 0 || te.Off > int64(len(data))) {
				t.Fatalf("truncation offset %d outside the input", te.Off)
			}
			return
		}
	})
}

// TestAppendCommand: arguments of every length class (one digit, two, more) and an
// array of more than 9 and 99 arguments are encoded as RESP and read back whole.
func TestAppendCommand(t *testing.T) {
	if got, want := string(AppendCommand(nil, []byte("GET"), []byte{})), "*2\r\n$3\r\nGET\r\n$0\r\n\r\n"; got != want {
		t.Errorf("got %q, want %q", got, want)
	}
	for _, n := range []int{1, 9, 10, 11, 99, 100, 101, 12345} {
		args := [][]byte{[]byte("RPUSH")}
		for i := range n {
			args = append(args, bytes.Repeat([]byte{'a' + byte(i%26)}, (i*37+n)%150))
		}
		enc := AppendCommand([]byte("x"), args...)
		if !bytes.HasPrefix(enc[1:], []byte(fmt.Sprintf("*%d\r\n$5\r\nRPUSH\r\n$%d\r\n", n+1, n%150))) {
			t.Fatalf("%d arguments: starts %q", n, enc[:min(40, len(enc))])
		}
		got, err := readAll(enc[1:])
		if err != nil || len(got) != 1 || len(got[0]) != n+1 {
			t.Fatalf("%d arguments: read back %d commands, %v", n, len(got), err)
		}
		for i, a := range got[0] {
			if !bytes.Equal(a, args[i]) {
				t.Fatalf("%d arguments: argument %d read back as %.20q", n, i, a)
			}
		}
	}
}

// BenchmarkAppendCommand encodes a SET of a 16-byte key and value, as the propagation
// of a write to the AOF and the replication stream does.
func BenchmarkAppendCommand(b *testing.B) {
	args := [][]byte{[]byte("SET"), []byte("key:000000012345"), []byte("0123456789abcdef")}
	buf := make([]byte, 0, 4096)
	for b.Loop() {
		buf = AppendCommand(buf[:0], args...)
	}
}
