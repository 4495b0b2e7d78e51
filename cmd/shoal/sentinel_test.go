package main

import (
	"fmt"
	"testing"
)

func TestParsePeers(t *testing.T) {
	peers, bus, err := parsePeers([]string{"s1=10.0.0.1:26379", "s2=10.0.0.2:26379", "s3=10.0.0.3:26400"}, "s2")
	if err != nil {
		t.Fatal(err)
	}
	if fmt.Sprint(peers) != "map[s1:10.0.0.1:27379 s2:10.0.0.2:27379 s3:10.0.0.3:27400]" ||
		fmt.Sprint(bus) != "[10.0.0.1:28379 10.0.0.3:28400]" {
		t.Errorf("peers %v, bus %v", peers, bus)
	}
	// Malformed entries, and a list without this sentinel (s1), are refused.
	for _, bad := range [][]string{{"s1"}, {"=1.2.3.4:1"}, {"s1=host"}, {"s1=h:x"}, {"s9=1.2.3.4:1"}} {
		if _, _, err := parsePeers(bad, "s1"); err == nil {
			t.Errorf("parsePeers(%q) accepted", bad)
		}
	}
}
