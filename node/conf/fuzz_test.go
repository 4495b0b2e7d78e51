package conf

import (
	"slices"
	"strings"
	"testing"
)

// FuzzParse feeds arbitrary config text to Parse: it must not panic; what parses must
// answer CONFIG GET * (each name once), and CONFIG REWRITE's output must parse back to
// the same values.
func FuzzParse(f *testing.F) {
	for _, seed := range []string{
		"",
		"port 7000\nbind 127.0.0.1 ::1\nsave 900 1\nsave 300 10\n",
		"save ''\nmaxmemory 1gb\nmaxmemory-policy allkeys-lru\nhz 1000\n",
		"requirepass \"a\\x00b\\\"c\"\nmasterauth 'it\\'s'\nnotify-keyspace-events KEA\n",
		"client-output-buffer-limit replica 1mb 2mb 3\nclient-output-buffer-limit \"pubsub 1 2 3\"\n",
		"slaveof 10.0.0.1 6379\nshutdown-on-sigint save now\nmaxmemory-clients 10%\n",
		"unixsocketperm 700\noom-score-adj-values '0 100 200'\nlatency-tracking-info-percentiles \"\"\n",
		"# comment\n  \t\nrename-command CONFIG \"\"\nuser default on\nloadmodule /x.so a b\n",
		"hash-max-ziplist-entries 1\nlist-max-ziplist-size -3\ndir .\ndir /\nbind \"\"\n",
		"proc-title-template \"{title} {port}\"\nsentinel\nlist-max-ziplist-entries 5\n",
	} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, text string) {
		if strings.Contains(strings.ToLower(text), "include") {
			t.Skip("include reads arbitrary files; the fuzz target stays hermetic")
		}
		c, _, err := Parse(text, "fuzz.conf")
		if err != nil {
			if _, ok := err.(*FileError); !ok {
				t.Fatalf("error of type %T: %v", err, err)
			}
			return
		}
		all := c.Get("*")
		pairs(t, all)
		if len(all) != 2*192 {
			t.Fatalf("Get(*) has %d names", len(all)/2)
		}
		// Parse read the text up to its first NUL, as Redis does; rewrite that text.
		if i := strings.IndexByte(text, 0); i >= 0 {
			text = text[:i]
		}
		out := c.rewriteText(text)
		c2, _, err := Parse(out, "rewritten.conf")
		if err != nil {
			t.Fatalf("rewrite of %q does not parse: %v\n%s", text, err, out)
		}
		if again := c2.Get("*"); !slices.Equal(again, all) {
			for i := 0; i < len(all); i += 2 {
				if all[i+1] != again[i+1] {
					t.Errorf("%s: %q became %q", all[i], all[i+1], again[i+1])
				}
			}
			t.Fatalf("rewrite of %q changed values:\n%s", text, out)
		}
	})
}
