package sentinelapi

import "testing"

// TestGrantsMajority: a lease needs its granters to be a majority of the largest
// voter count and of every voter set a granter reported — a sentinel forgotten while
// cut off (still reporting the old set) and one current member are not enough.
func TestGrantsMajority(t *testing.T) {
	type grant struct {
		id     string
		voters int64
		set    []string
	}
	old, cur := []string{"gone", "a", "b"}, []string{"a", "b", "new"}
	for _, tc := range []struct {
		name   string
		grants []grant
		want   bool
	}{
		{"one of three", []grant{{"a", 3, cur}}, false},
		{"two of three", []grant{{"a", 3, cur}, {"b", 3, cur}}, true},
		{"forgotten and one current member", []grant{{"gone", 3, old}, {"a", 3, cur}}, false},
		{"forgotten and two current members", []grant{{"gone", 3, old}, {"a", 3, cur}, {"b", 3, cur}}, true},
		{"two current members after a join", []grant{{"a", 4, []string{"a", "b", "new", "more"}}, {"b", 3, cur}}, false},
		{"no sets sent (older sentinels): counts only", []grant{{"x", 3, nil}, {"y", 3, nil}}, true},
		{"the largest count wins", []grant{{"x", 5, nil}, {"y", 3, nil}}, false},
	} {
		g := grants{by: map[string]bool{}}
		for _, gr := range tc.grants {
			g.add(gr.id, gr.voters, gr.set)
		}
		if got := g.majority(); got != tc.want {
			t.Errorf("%s: majority %v, want %v", tc.name, got, tc.want)
		}
	}
}
