package glob

import (
	"strings"
	"testing"
)

func TestMatch(t *testing.T) {
	cases := []struct {
		p, s string
		want bool
	}{
		{"*", "", true}, {"*", "abc", true}, {"a*", "abc", true}, {"*c", "abc", true},
		{"a*c", "abbbc", true}, {"a*c", "abbb", false}, {"h?llo", "hello", true},
		{"h?llo", "hllo", false}, {"h[ae]llo", "hallo", true}, {"h[ae]llo", "hillo", false},
		{"h[^e]llo", "hallo", true}, {"h[^e]llo", "hello", false}, {"h[a-b]llo", "hbllo", true},
		{"h[b-a]llo", "hallo", true}, {`h\*llo`, "h*llo", true}, {`h\*llo`, "hallo", false},
		{"*.*", "a.b", true}, {"user:*:name", "user:12:name", true}, {"a**b", "ab", true},
		{"[abc", "a", true}, {"[\\]]", "]", true}, {"", "", true}, {"", "a", false},
		{"*a*b*c*", "xxaxxbxxcxx", true}, {"*a*b*c*", "xxaxxcxxbxx", false},
	}
	for _, c := range cases {
		if got := MatchString(c.p, c.s, false); got != c.want {
			t.Errorf("Match(%q, %q) = %v", c.p, c.s, got)
		}
	}
	if !MatchString("HeLLo*", "hello world", true) || MatchString("HeLLo*", "hello world", false) {
		t.Error("nocase")
	}
}

// A pattern that makes naive matchers exponential finishes at once.
func TestMatchPathological(t *testing.T) {
	p := strings.Repeat("a*", 30) + "b"
	s := strings.Repeat("a", 5000)
	if MatchString(p, s, false) {
		t.Fatal("matched")
	}
}

func FuzzMatch(f *testing.F) {
	f.Add("a*b?[c-d]\\e", "abcde")
	f.Fuzz(func(t *testing.T, p, s string) {
		MatchString(p, s, false)
		MatchString(p, s, true)
	})
}
