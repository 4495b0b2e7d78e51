package node

import (
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/shoal-db/shoal/node/spec"
)

// MONITOR streams every command the server runs to the monitoring clients, as
// "+<unix time> [<db> <addr>] "arg" …", through their outboxes: a slow monitor never
// slows the server, and client-output-buffer-limit bounds what it may fall behind.
// Commands flagged admin are not shown; AUTH and HELLO's AUTH credentials are redacted;
// commands a script runs show "lua" as their address.

type monitorRegistry struct {
	mu      sync.Mutex
	clients map[*Client]struct{}
	count   atomic.Int32
}

func cmdMonitor(c *Client) {
	c.ensureOutbox()
	r := &c.s.monitors
	// The +OK goes out and the client joins the monitors under one lock: every command
	// that runs after the client read +OK is shown, and nothing shows before the +OK.
	r.mu.Lock()
	c.OK()
	c.putReplies()
	if r.clients == nil {
		r.clients = map[*Client]struct{}{}
	}
	if _, ok := r.clients[c]; !ok {
		r.clients[c] = struct{}{}
		r.count.Add(1)
	}
	r.mu.Unlock()
	c.monitoring.Store(true)
}

// stopMonitor removes a closing client from the monitors.
func (c *Client) stopMonitor() {
	if !c.monitoring.Load() {
		return
	}
	r := &c.s.monitors
	r.mu.Lock()
	if _, ok := r.clients[c]; ok {
		delete(r.clients, c)
		r.count.Add(-1)
	}
	r.mu.Unlock()
}

// feedMonitors shows the command c is about to run to every monitor.
func (s *Server) feedMonitors(c *Client, cmd *Command) {
	if cmd.Has(spec.Admin) {
		return
	}
	now := time.Now()
	b := make([]byte, 0, 64)
	b = append(b, '+')
	b = strconv.AppendInt(b, now.Unix(), 10)
	b = append(b, '.')
	us := now.Nanosecond() / 1000
	for d := 100000; d > 1 && us < d; d /= 10 {
		b = append(b, '0')
	}
	b = strconv.AppendInt(b, int64(us), 10)
	b = append(b, " ["...)
	b = strconv.AppendInt(b, int64(c.db.ID()), 10)
	b = append(b, ' ')
	switch info := c.getInfo(); {
	case c.fromScript:
		b = append(b, "lua"...)
	case info.unix:
		b = append(b, "unix:"...)
		b = append(b, s.config().Unixsocket...)
	default:
		b = append(b, info.addr...)
	}
	b = append(b, ']')
	redactFrom := len(c.args)
	switch cmd.FullName {
	case "auth":
		redactFrom = 1
	case "hello":
		for i := 1; i < len(c.args); i++ {
			if c.is(i, "AUTH") {
				redactFrom = i + 1
				break
			}
		}
	}
	for i, a := range c.args {
		b = append(b, ' ')
		if i >= redactFrom && (cmd.FullName != "hello" || i <= redactFrom+1) {
			b = append(b, `"(redacted)"`...)
			continue
		}
		b = appendRepr(b, a)
	}
	b = append(b, '\r', '\n')
	r := &s.monitors
	r.mu.Lock()
	for m := range r.clients {
		if m != c {
			m.out.append(b)
		}
	}
	r.mu.Unlock()
}

// appendRepr quotes a as Redis's sdscatrepr does.
func appendRepr(b, a []byte) []byte {
	b = append(b, '"')
	for _, ch := range a {
		switch ch {
		case '\\', '"':
			b = append(b, '\\', ch)
		case '\n':
			b = append(b, '\\', 'n')
		case '\r':
			b = append(b, '\\', 'r')
		case '\t':
			b = append(b, '\\', 't')
		case '\a':
			b = append(b, '\\', 'a')
		case '\b':
			b = append(b, '\\', 'b')
		default:
			if ch < 0x20 || ch >= 0x7f {
				const hex = "0123456789abcdef"
				b = append(b, '\\', 'x', hex[ch>>4], hex[ch&15])
			} else {
				b = append(b, ch)
			}
		}
	}
	return append(b, '"')
}
