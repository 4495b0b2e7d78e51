package node

import (
	"testing"
)

func TestClientTrackingRESP3(t *testing.T) {
	pubsubCompare(t, 2, []int{0}, nil,
		P(0, "CLIENT", "TRACKING", "on"),
		P(0, "GET", "k"),
		P(1, "SET", "k", "1"),
		Recv(0, 1),            // invalidate [k]
		P(1, "SET", "k", "2"), // no longer tracked: nothing sent
		P(1, "MSET", "a", "1", "b", "2"),
		P(0, "MGET", "a", "b"),
		P(1, "DEL", "a", "b", "c"),
		Recv(0, 2),
		P(0, "GET", "k"),
		P(0, "SET", "k", "mine"), // its own write invalidates too (no NOLOOP)
		Recv(0, 1),
		P(0, "GET", "k"),
		P(1, "FLUSHALL"),
		Recv(0, 1), // invalidate with a null key list
		P(0, "CLIENT", "TRACKING", "off"),
		P(0, "CLIENT", "TRACKINGINFO"),
		P(0, "CLIENT", "GETREDIR"),
		// OPTIN: only reads after CLIENT CACHING yes are tracked.
		P(0, "CLIENT", "TRACKING", "on", "OPTIN"),
		P(0, "GET", "x"),
		P(0, "CLIENT", "CACHING", "yes"),
		P(0, "GET", "y"),
		P(1, "SET", "x", "1"),
		P(1, "SET", "y", "1"),
		Recv(0, 1), // y only
		P(0, "CLIENT", "CACHING", "no"),
		P(0, "CLIENT", "TRACKINGINFO"),
		P(0, "CLIENT", "TRACKING", "off"),
		// BCAST with prefixes and NOLOOP.
		P(0, "CLIENT", "TRACKING", "on", "BCAST", "PREFIX", "user:", "NOLOOP"),
		P(1, "SET", "user:1", "a"),
		Recv(0, 1),
		P(1, "SET", "other", "a"),
		P(0, "SET", "user:2", "mine"),
		P(1, "SET", "user:3", "b"),
		Recv(0, 1),
		P(0, "CLIENT", "TRACKINGINFO"),
		P(0, "CLIENT", "TRACKING", "on"),
		P(0, "CLIENT", "TRACKING", "off"),
		// Errors.
		P(0, "CLIENT", "TRACKING", "on", "optin", "optout"),
		P(0, "CLIENT", "TRACKING", "on", "bcast", "optin"),
		P(0, "CLIENT", "TRACKING", "on", "prefix", "a"),
		P(0, "CLIENT", "TRACKING", "on", "bcast", "prefix", "a", "prefix", "ab"),
		P(0, "CLIENT", "TRACKING", "on", "redirect", "999999"),
		P(0, "CLIENT", "TRACKING", "on", "redirect", "x"),
		P(0, "CLIENT", "TRACKING", "maybe"),
		P(0, "CLIENT", "CACHING", "yes"),
	)
}

func TestClientTrackingRedirect(t *testing.T) {
	for _, tg := range servers(t) {
		t.Run(tg.name, func(t *testing.T) {
			conn, rd := rawConn(t, tg.addr)
			sub, srd := rawConn(t, tg.addr)
			w, wrd := rawConn(t, tg.addr)
			writeCmd(sub, "CLIENT", "ID")
			id := readReply(t, srd).text
			writeCmd(sub, "SUBSCRIBE", "__redis__:invalidate")
			readReply(t, srd)
			writeCmd(conn, "CLIENT", "TRACKING", "on", "REDIRECT", id)
			if r := readReply(t, rd); r.text != "OK" {
				t.Fatalf("%+v", r)
			}
			writeCmd(conn, "CLIENT", "GETREDIR")
			if r := readReply(t, rd); r.text != id {
				t.Fatalf("GETREDIR %+v", r)
			}
			writeCmd(conn, "GET", "k")
			readReply(t, rd)
			writeCmd(w, "SET", "k", "v")
			readReply(t, wrd)
			got := renderReply(readReply(t, srd), rawExact)
			if got != "*[$message $__redis__:invalidate *[$k]]" {
				t.Fatalf("redirected invalidation: %s", got)
			}
		})
	}
}
