package node

import (
	"context"
	"strings"
	"testing"
)

// A panic inside a handler becomes an error reply; the server and the connection go on.
func TestHandlerPanicBecomesError(t *testing.T) {
	s := newShoal(t)
	s.table.byName["echo"].fn = func(c *Client) { panic("boom") }
	if err := s.Start(); err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	addr := s.Addr().String()
	c := newClient(t, addr, 2)
	ctx := context.Background()
	err := c.Echo(ctx, "x").Err()
	if err == nil || err.Error() != "ERR internal error while executing 'echo'" {
		t.Fatalf("ECHO after panic: %v", err)
	}
	if got, err := c.Ping(ctx).Result(); err != nil || got != "PONG" {
		t.Fatalf("PING after panic: %q %v", got, err)
	}
}

func TestKeyspaceStats(t *testing.T) {
	_, addr := startShoal(t)
	c := newClient(t, addr, 2)
	ctx := context.Background()
	c.Set(ctx, "k", "v", 0)
	c.Get(ctx, "k")
	c.Get(ctx, "nosuch")
	info := c.Info(ctx, "stats").Val()
	if !strings.Contains(info, "keyspace_hits:1\r\n") || !strings.Contains(info, "keyspace_misses:1\r\n") {
		t.Fatalf("stats:\n%s", info)
	}
}
