package node

import (
	"bufio"
	"net"
	"strconv"
	"time"

	"github.com/shoal-db/shoal/node/resp"
	"github.com/shoal-db/shoal/storage/rdb"
)

// MIGRATE host port key|"" destination-db timeout [COPY] [REPLACE]
// [AUTH password | AUTH2 username password] [KEYS key …]: the keys go to another
// server as DUMP payloads (RESTORE, or RESTORE-ASKING in cluster mode) and are
// deleted here once it accepted them (unless COPY). The keys' stripes stay held for
// the exchange, as Redis blocks for it.
func cmdMigrate(c *Client) {
	copyKeys, replace := false, false
	var auth []string
	keys := [][]byte{c.args[3]}
	for i := 6; i < len(c.args); i++ {
		more := len(c.args) - 1 - i
		switch {
		case c.is(i, "COPY"):
			copyKeys = true
		case c.is(i, "REPLACE"):
			replace = true
		case c.is(i, "AUTH") && more >= 1:
			auth = []string{string(c.args[i+1])}
			i++
		case c.is(i, "AUTH2") && more >= 2:
			auth = []string{string(c.args[i+1]), string(c.args[i+2])}
			i += 2
		case c.is(i, "KEYS"):
			if len(c.args[3]) != 0 {
				c.Err("ERR When using MIGRATE KEYS option, the key argument must be set to the empty string")
				return
			}
			keys = c.args[i+1:]
			i = len(c.args)
		default:
			c.Err(errSyntax)
			return
		}
	}
	dbNum, ok := c.intArg(4)
	if !ok {
		return
	}
	timeout, ok := c.intArg(5)
	if !ok {
		return
	}
	if timeout <= 0 {
		timeout = 1000
	}
	// The keys that exist, with their payloads and remaining times.
	type item struct {
		key, payload []byte
		ttl          int64
	}
	var items []item
	now := c.s.eng.Now()
	for _, key := range keys {
		sl := c.slot(key)
		str, v, found := c.db.Get(sl, key)
		if !found {
			continue
		}
		payload, err := rdb.Dump(str, v, c.s.config().Rdbcompression)
		if err != nil {
			c.Err("ERR " + err.Error())
			return
		}
		ttl := int64(0)
		if at, _ := c.db.Expire(sl, key); at != 0 {
			ttl = max(at-now, 1)
		}
		items = append(items, item{key, payload, ttl})
	}
	if len(items) == 0 {
		c.w.Simple("NOKEY")
		return
	}
	addr := net.JoinHostPort(string(c.args[1]), string(c.args[2]))
	d := time.Duration(timeout) * time.Millisecond
	conn, err := net.DialTimeout("tcp", addr, d)
	if err != nil {
		c.Err("IOERR error or timeout connecting to the client")
		return
	}
	defer conn.Close()
	conn.SetDeadline(time.Now().Add(d + time.Duration(len(items))*time.Millisecond))
	var w resp.Writer
	w.Proto = 2
	writeCmd := func(args ...[]byte) {
		w.Array(len(args))
		for _, a := range args {
			w.Bulk(a)
		}
	}
	replies := 0
	if len(auth) > 0 {
		args := [][]byte{[]byte("AUTH")}
		for _, a := range auth {
			args = append(args, []byte(a))
		}
		writeCmd(args...)
		replies++
	}
	writeCmd([]byte("SELECT"), []byte(strconv.FormatInt(dbNum, 10)))
	replies++
	restore := []byte("RESTORE")
	if c.s.cluster.enabled {
		restore = []byte("RESTORE-ASKING")
	}
	for _, it := range items {
		args := [][]byte{restore, it.key, []byte(strconv.FormatInt(it.ttl, 10)), it.payload}
		if replace {
			args = append(args, []byte("REPLACE"))
		}
		writeCmd(args...)
	}
	if _, err := conn.Write(w.B); err != nil {
		c.Err("IOERR error or timeout writing to target instance")
		return
	}
	br := bufio.NewReader(conn)
	readLine := func() (string, bool) {
		line, err := br.ReadString('\n')
		if err != nil || len(line) < 3 {
			return "", false
		}
		return line[:len(line)-2], true
	}
	for range replies { // AUTH and SELECT
		line, ok := readLine()
		if !ok {
			c.Err("IOERR error or timeout reading to target instance")
			return
		}
		if line[0] == '-' {
			c.Err("ERR Target instance replied with error: " + line[1:])
			return
		}
	}
	var firstErr string
	for _, it := range items {
		line, ok := readLine()
		if !ok {
			c.Err("IOERR error or timeout reading to target instance")
			return
		}
		if line[0] == '-' {
			if firstErr == "" {
				firstErr = line[1:]
			}
			continue
		}
		if !copyKeys {
			c.db.Delete(c.slot(it.key), it.key)
			c.dirty++
			c.alsoPropagate(bDEL, it.key)
		}
	}
	if !copyKeys {
		c.propagateNone() // the deletions propagate as DELs, not as MIGRATE
	}
	if firstErr != "" {
		c.Err("ERR Target instance replied with error: " + firstErr)
		return
	}
	c.OK()
}
