package sds

import (
	"slices"
	"testing"
)

func TestSplitArgs(t *testing.T) {
	tests := []struct {
		line string
		want []string
		ok   bool
	}{
		{"port 6379", []string{"port", "6379"}, true},
		{"  a \t b  ", []string{"a", "b"}, true},
		{`a "b c" 'd e'`, []string{"a", "b c", "d e"}, true},
		{`"\n\r\t\b\a\\\"\x41\x4a\xzz\q"`, []string{"\n\r\t\b\a\\\"AJxzzq"}, true},
		{`'it\'s \n'`, []string{`it's \n`}, true},
		{`""`, []string{""}, true},
		{`a""b`, nil, false},
		{`"abc`, nil, false},
		{`'abc`, nil, false},
		{`"a"b`, nil, false},
		{`foo"bar baz"`, []string{"foobar baz"}, true},
		{"a\vb", []string{"a\vb"}, true},
		{`"\x00"`, []string{"\x00"}, true},
	}
	for _, tt := range tests {
		got, ok := SplitArgs(tt.line)
		if ok != tt.ok || !slices.Equal(got, tt.want) {
			t.Errorf("SplitArgs(%q) = %q, %v; want %q, %v", tt.line, got, ok, tt.want, tt.ok)
		}
	}
	for _, s := range []string{"", "a b", "\x00\x7f\xff", `"'\`, "\n\r\t\a\b"} {
		if got, ok := SplitArgs(Repr(s)); !ok || len(got) != 1 || got[0] != s {
			t.Errorf("Repr(%q) = %s reads back as %q", s, Repr(s), got)
		}
	}
}
