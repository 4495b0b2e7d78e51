package admin

import (
	"fmt"
	"testing"

	"github.com/shoal-db/shoal/slots"
)

func TestSplitSlots(t *testing.T) {
	for n, want := range map[int]string{
		1: "[0-16383]",
		3: "[0-5460 5461-10922 10923-16383]", // redis-cli --cluster create's split
		4: "[0-4095 4096-8191 8192-12287 12288-16383]",
		5: "[0-3276 3277-6553 6554-9829 9830-13106 13107-16383]",
	} {
		if got := fmt.Sprint(splitSlots(n)); got != want {
			t.Errorf("splitSlots(%d) = %s, want %s", n, got, want)
		}
	}
}

func TestPlaceReplicas(t *testing.T) {
	// Three primaries on hosts a, b, c; replicas on a, b, c, a: each goes to a primary
	// on another host, spread over the primaries.
	addrs := []string{"a:1", "b:1", "c:1", "a:2", "b:2", "c:2", "a:3"}
	got := placeReplicas(addrs, 3)
	want := map[int]int{3: 1, 4: 0, 5: 0, 6: 2}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("placeReplicas = %v, want %v", got, want)
	}
	// All on one host: round robin.
	got = placeReplicas([]string{"h:1", "h:2", "h:3", "h:4", "h:5", "h:6"}, 3)
	if want := map[int]int{3: 0, 4: 1, 5: 2}; fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("placeReplicas on one host = %v, want %v", got, want)
	}
}

func TestReshardTable(t *testing.T) {
	p := func(id string, rs string) primary {
		r, err := slots.ParseRanges(rs)
		if err != nil {
			t.Fatal(err)
		}
		return primary{shard: slots.Shard{ID: id, Slots: r}, node: slots.Node{ID: id}}
	}
	a, b, dst := p("a", "0-5460"), p("b", "5461-10922"), p("d", "")
	moves := reshardTable([]primary{a, b}, dst, 1000)
	if len(moves) != 1000 {
		t.Fatalf("%d moves", len(moves))
	}
	from := map[string][]int{}
	for _, m := range moves {
		from[m.from.node.ID] = append(from[m.from.node.ID], m.slot)
	}
	// b has one slot more: it rounds up (501), a down (499); the lowest slots of each.
	if len(from["b"]) != 501 || from["b"][0] != 5461 || len(from["a"]) != 499 || from["a"][498] != 498 {
		t.Errorf("from b %d (first %d), from a %d", len(from["b"]), from["b"][0], len(from["a"]))
	}
}
