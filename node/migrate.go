package node

import (
	"bufio"
	"net"
	"strconv"
	"sync"
	"time"

	"github.com/shoal-db/shoal/gossip"
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
	mc, err := c.s.migrateConns.get(addr, d, c.s.dial())
	if err != nil {
		c.Err("IOERR error or timeout connecting to the client")
		return
	}
	conn, br := mc.conn, mc.r
	clean := false // the connection goes back to the cache only after a clean exchange
	defer func() { c.s.migrateConns.put(addr, mc, clean) }()
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
	clean = true
	if !copyKeys {
		c.propagateNone() // the deletions propagate as DELs, not as MIGRATE
	}
	if firstErr != "" {
		c.Err("ERR Target instance replied with error: " + firstErr)
		return
	}
	c.OK()
}

// migrateCache keeps MIGRATE's connections to targets for reuse, as Redis does: a
// reshard sends thousands of MIGRATEs to the same node. A connection is used by one
// MIGRATE at a time and closed after an error or 10 s unused.
type migrateCache struct {
	mu    sync.Mutex
	conns map[string][]*migrateConn
}

type migrateConn struct {
	conn net.Conn
	r    *bufio.Reader
	used time.Time
}

const migrateIdle = 10 * time.Second

// get takes a cached connection to addr, or dials one within timeout.
func (m *migrateCache) get(addr string, timeout time.Duration, dial gossip.DialFunc) (*migrateConn, error) {
	m.mu.Lock()
	for len(m.conns[addr]) > 0 {
		l := m.conns[addr]
		mc := l[len(l)-1]
		m.conns[addr] = l[:len(l)-1]
		if time.Since(mc.used) < migrateIdle {
			m.mu.Unlock()
			return mc, nil
		}
		mc.conn.Close()
	}
	m.mu.Unlock()
	conn, err := gossip.DialTimeout(dial, addr, timeout)
	if err != nil {
		return nil, err
	}
	return &migrateConn{conn: conn, r: bufio.NewReader(conn)}, nil
}

// put returns a connection after use: to the cache when the exchange was clean,
// closed otherwise (its replies may be out of step).
func (m *migrateCache) put(addr string, mc *migrateConn, clean bool) {
	if !clean || mc.r.Buffered() > 0 {
		mc.conn.Close()
		return
	}
	mc.used = time.Now()
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.conns == nil {
		m.conns = map[string][]*migrateConn{}
	}
	if len(m.conns[addr]) >= 4 {
		mc.conn.Close()
		return
	}
	m.conns[addr] = append(m.conns[addr], mc)
}

// close closes every cached connection.
func (m *migrateCache) close() {
	m.mu.Lock()
	defer m.mu.Unlock()
	for _, l := range m.conns {
		for _, mc := range l {
			mc.conn.Close()
		}
	}
	m.conns = nil
}
