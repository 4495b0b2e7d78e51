package node

import (
	"strconv"
	"sync"
	"time"

	"github.com/shoal-db/shoal/storage"
)

// slowlog keeps the commands slower than slowlog-log-slower-than (SLOWLOG).
type slowlog struct {
	mu      sync.Mutex
	entries []slowEntry // oldest first: a command is recorded in O(1) at any slowlog-max-len
	nextID  int64
}

type slowEntry struct {
	id     int64
	at     int64 // Unix seconds
	micros int64
	args   []string
	addr   string
	name   string
}

const (
	slowlogMaxArgs   = 32
	slowlogMaxArgLen = 128
)

func (l *slowlog) init() {}

// record adds the command c ran in d if the threshold says so. It copies what it keeps.
func (l *slowlog) record(c *Client, d time.Duration) {
	cfg := c.s.config()
	if cfg.SlowlogLogSlowerThan < 0 || d.Microseconds() < cfg.SlowlogLogSlowerThan {
		return
	}
	n := min(len(c.args), slowlogMaxArgs)
	args := make([]string, n)
	for i := range n {
		if i == slowlogMaxArgs-1 && len(c.args) > slowlogMaxArgs {
			args[i] = "... (" + strconv.Itoa(len(c.args)-slowlogMaxArgs+1) + " more arguments)"
			break
		}
		a := c.args[i]
		if len(a) > slowlogMaxArgLen {
			args[i] = string(a[:slowlogMaxArgLen]) + "... (" + strconv.Itoa(len(a)-slowlogMaxArgLen) + " more bytes)"
		} else {
			args[i] = string(a)
		}
	}
	info := c.getInfo()
	l.mu.Lock()
	defer l.mu.Unlock()
	l.entries = append(l.entries, slowEntry{id: l.nextID, at: time.Now().Unix(), micros: d.Microseconds(), args: args, addr: info.addr, name: info.name})
	l.nextID++
	if drop := len(l.entries) - int(max(cfg.SlowlogMaxLen, 0)); drop > 0 {
		clear(l.entries[:drop]) // (the array keeps no dropped arguments alive)
		l.entries = l.entries[drop:]
	}
}

func cmdSlowlog(c *Client) {
	l := &c.s.slowlog
	switch {
	case c.is(1, "GET"):
		count := int64(10)
		if len(c.args) == 3 {
			n, ok := storage.ParseInt(c.args[2])
			if !ok || n < -1 {
				c.Err("ERR count should be greater than or equal to -1")
				return
			}
			count = n
		} else if len(c.args) > 3 {
			c.Err(wrongArgs("slowlog|get"))
			return
		}
		l.mu.Lock()
		entries := l.entries
		if count >= 0 && int(count) < len(entries) {
			entries = entries[len(entries)-int(count):]
		}
		c.w.Array(len(entries))
		for i := len(entries) - 1; i >= 0; i-- { // newest first
			e := &entries[i]
			c.w.Array(6)
			c.w.Int(e.id)
			c.w.Int(e.at)
			c.w.Int(e.micros)
			c.w.StringArray(e.args)
			c.w.BulkString(e.addr)
			c.w.BulkString(e.name)
		}
		l.mu.Unlock()
	case c.is(1, "LEN"):
		l.mu.Lock()
		c.w.Int(int64(len(l.entries)))
		l.mu.Unlock()
	case c.is(1, "RESET"):
		l.mu.Lock()
		l.entries = nil
		l.mu.Unlock()
		c.OK()
	}
}

func cmdSlowlogHelp(c *Client) {
	writeHelp(c, "SLOWLOG",
		"GET [<count>]",
		"    Return top <count> entries from the slowlog (default: 10, -1 mean all).",
		"    Entries are made of:",
		"    id, timestamp, time in microseconds, arguments array, client IP and port,",
		"    client name",
		"LEN",
		"    Return the length of the slowlog.",
		"RESET",
		"    Reset the slowlog.")
}

// writeHelp answers a HELP subcommand the way Redis formats it.
func writeHelp(c *Client, cmd string, lines ...string) {
	c.w.Array(len(lines) + 3)
	c.w.Simple(cmd + " <subcommand> [<arg> [value] [opt] ...]. Subcommands are:")
	for _, l := range lines {
		c.w.Simple(l)
	}
	c.w.Simple("HELP")
	c.w.Simple("    Prints this help.")
}
