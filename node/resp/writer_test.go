package resp

import (
	"math"
	"testing"
)

func TestWriterRESP2AndRESP3(t *testing.T) {
	cases := []struct {
		name   string
		write  func(w *Writer)
		r2, r3 string
	}{
		{"simple", func(w *Writer) { w.Simple("OK") }, "+OK\r\n", "+OK\r\n"},
		{"error", func(w *Writer) { w.Error("ERR bad\r\nthing") }, "-ERR bad  thing\r\n", "-ERR bad  thing\r\n"},
		{"int", func(w *Writer) { w.Int(-42) }, ":-42\r\n", ":-42\r\n"},
		{"bulk", func(w *Writer) { w.BulkString("hé") }, "$3\r\nhé\r\n", "$3\r\nhé\r\n"},
		{"null", func(w *Writer) { w.Null() }, "$-1\r\n", "_\r\n"},
		{"nullarray", func(w *Writer) { w.NullArray() }, "*-1\r\n", "_\r\n"},
		{"map", func(w *Writer) { w.Map(1); w.BulkString("a"); w.Int(1) }, "*2\r\n$1\r\na\r\n:1\r\n", "%1\r\n$1\r\na\r\n:1\r\n"},
		{"set", func(w *Writer) { w.Set(1); w.BulkString("a") }, "*1\r\n$1\r\na\r\n", "~1\r\n$1\r\na\r\n"},
		{"push", func(w *Writer) { w.Push(1); w.BulkString("a") }, "*1\r\n$1\r\na\r\n", ">1\r\n$1\r\na\r\n"},
		{"bool", func(w *Writer) { w.Bool(true) }, ":1\r\n", "#t\r\n"},
		{"double", func(w *Writer) { w.Double(1.1) }, "$18\r\n1.1000000000000001\r\n", ",1.1000000000000001\r\n"},
		{"double int", func(w *Writer) { w.Double(3) }, "$1\r\n3\r\n", ",3\r\n"},
		{"double inf", func(w *Writer) { w.Double(math.Inf(-1)) }, "$4\r\n-inf\r\n", ",-inf\r\n"},
		{"double exp", func(w *Writer) { w.Double(1e21) }, "$5\r\n1e+21\r\n", ",1e+21\r\n"},
		{"verbatim", func(w *Writer) { w.Verbatim("txt", "hi") }, "$2\r\nhi\r\n", "=6\r\ntxt:hi\r\n"},
	}
	for _, c := range cases {
		for proto, want := range map[int]string{2: c.r2, 3: c.r3} {
			w := &Writer{Proto: proto}
			c.write(w)
			if string(w.B) != want {
				t.Errorf("%s RESP%d: got %q want %q", c.name, proto, w.B, want)
			}
		}
	}
}

func BenchmarkWriterBulk(b *testing.B) {
	w := &Writer{}
	v := []byte("value-value-value")
	b.ReportAllocs()
	for b.Loop() {
		w.Reset()
		w.Bulk(v)
	}
}
