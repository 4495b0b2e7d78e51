package node

import (
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/shoal-db/shoal/node/repl"
	"github.com/shoal-db/shoal/storage/aof"
)

// Replication, primary side: a replica (a redis-server with replicaof, or a shoal
// replica) connects, sends REPLCONF and PSYNC, and receives either +CONTINUE and the
// stream from the backlog (partial resync), or +FULLRESYNC, an RDB file of the dataset
// as of the moment the sync started — written by the fork-less snapshot while clients
// keep writing — and then the stream from that moment.
//
// The stream is what the propagation step produces (propagate.go), encoded once with
// its own SELECTs and appended, under replState.mu, to the backlog and to every
// replica: an online replica's outbox, or the pending buffer of one still waiting for
// its RDB file. The offsets are Redis's: master_repl_offset counts the stream's bytes.

// replState is the primary side's state.
type replState struct {
	active atomic.Bool // the stream is being produced (a backlog exists)

	mu       sync.Mutex // guards the fields below; taken under stripes, before outbox.mu
	id       string
	backlog  *repl.Backlog
	selected int
	replicas []*replica
	scratch  []byte
	acked    *sync.Cond // on mu: a replica acknowledged an offset (WAIT)

	fullSyncs, partialOK, partialErr atomic.Int64 // INFO stats sync_*
}

// replica is one replica link.
type replica struct {
	c       *Client
	online  bool   // streaming; false while its RDB file is being made and sent
	pending []byte // stream produced while it waits for its RDB file
	port    int    // REPLCONF listening-port
	ackOff  atomic.Int64
	ackTime atomic.Int64 // Unix s of the last REPLCONF ACK
}

// replFeed appends a unit of propagated commands to the stream and returns the
// stream's offset after it. The caller holds the stripes of the keys they changed.
func (s *Server) replFeed(cmds []aof.Cmd) int64 {
	r := &s.repl
	r.mu.Lock()
	defer r.mu.Unlock()
	r.scratch = aof.AppendCmds(r.scratch[:0], &r.selected, cmds)
	r.backlog.Append(r.scratch)
	for _, rp := range r.replicas {
		if rp.online {
			rp.c.out.append(r.scratch)
		} else {
			rp.pending = append(rp.pending, r.scratch...)
		}
	}
	return r.backlog.End()
}

// startStream creates the backlog (the first replica arrives). r.mu is held.
func (s *Server) startStream() {
	r := &s.repl
	if r.backlog != nil {
		return
	}
	r.backlog = repl.NewBacklog(int(s.config().ReplBacklogSize), 0)
	r.selected = -1
	r.active.Store(true)
}

// cmdReplconf is REPLCONF listening-port|ip-address|capa|ack|getack ….
func cmdReplconf(c *Client) {
	if len(c.args)%2 == 0 {
		c.Err(errSyntax)
		return
	}
	for i := 1; i+1 < len(c.args); i += 2 {
		switch {
		case c.is(i, "LISTENING-PORT"):
			p, ok := c.intArg(i + 1)
			if !ok {
				return
			}
			c.replPort = int(p)
		case c.is(i, "ACK"):
			// The replica's processed offset; no reply, as in Redis.
			if rp := c.replica; rp != nil {
				if off, err := strconv.ParseInt(string(c.args[i+1]), 10, 64); err == nil {
					r := &c.s.repl
					r.mu.Lock()
					rp.ackOff.Store(off)
					rp.ackTime.Store(time.Now().Unix())
					r.acked.Broadcast()
					r.mu.Unlock()
				}
			}
			return
		case c.is(i, "IP-ADDRESS"), c.is(i, "CAPA"), c.is(i, "GETACK"), c.is(i, "RDB-ONLY"), c.is(i, "RDB-FILTER-ONLY"):
		default:
			c.Err("ERR Unrecognized REPLCONF option: " + string(c.args[i]))
			return
		}
	}
	c.OK()
}

// cmdPsync is PSYNC replid offset (and SYNC, the old form: always a full resync).
func cmdPsync(c *Client) {
	s := c.s
	if c.replica != nil {
		return // already a replica: Redis ignores it
	}
	if c.multi != nil {
		c.Err("ERR Replica can't interact with the keyspace")
		return
	}
	r := &s.repl
	var off int64
	if len(c.args) == 3 {
		var err error
		if off, err = strconv.ParseInt(string(c.args[2]), 10, 64); err != nil {
			c.Err(errNotInt)
			return
		}
	}
	// From here on the connection is a replica link: its output goes through an outbox.
	c.ensureOutbox()
	c.putReplies()
	if len(c.args) == 3 {
		want := string(c.args[1])
		r.mu.Lock()
		if r.backlog != nil && want == r.id {
			if data, ok := r.backlog.Since(off); ok {
				rp := &replica{c: c, online: true, port: c.replPort}
				c.out.append([]byte("+CONTINUE " + r.id + "\r\n"))
				c.out.append(data)
				r.replicas = append(r.replicas, rp)
				c.replica = rp
				c.isReplica.Store(true)
				r.mu.Unlock()
				r.partialOK.Add(1)
				s.log.Noticef("Partial resynchronization request from %s accepted. Sending %d bytes of backlog starting from offset %d.", c.getInfo().addr, len(data), off)
				return
			}
		}
		r.mu.Unlock()
		if want != "?" {
			r.partialErr.Add(1)
		}
	}
	s.fullSync(c)
}

// fullSync starts a full resynchronization of c: +FULLRESYNC at the snapshot's moment,
// then the RDB file, then the stream from that moment.
func (s *Server) fullSync(c *Client) {
	r := &s.repl
	rp := &replica{c: c, port: c.replPort}
	c.replica = rp
	c.isReplica.Store(true)
	cfg := s.config()
	tmp := filepath.Join(cfg.Dir, "temp-repl-"+strconv.Itoa(os.Getpid())+"-"+strconv.FormatInt(c.id, 10)+".rdb")
	job := snapshotJob{
		dir: cfg.Dir,
		tmp: tmp,
		begin: func() error {
			// Every stripe is held: the stream from here on is what follows the file.
			r.mu.Lock()
			defer r.mu.Unlock()
			s.startStream()
			r.selected = -1 // the stream after the file starts with a SELECT
			c.out.append([]byte(fmt.Sprintf("+FULLRESYNC %s %d\r\n", r.id, r.backlog.End())))
			r.replicas = append(r.replicas, rp)
			return nil
		},
		finish: func(b *bgsave, err error) {
			defer os.Remove(tmp)
			if err == nil {
				err = s.sendRDB(c, tmp)
			}
			if err != nil {
				s.log.Warningf("Full resynchronization of %s failed: %v", c.getInfo().addr, err)
				s.dropReplica(rp)
				c.conn.Close()
				return
			}
			r.mu.Lock()
			c.out.append(rp.pending)
			rp.pending, rp.online = nil, true
			r.mu.Unlock()
			s.log.Noticef("Synchronization with replica %s succeeded", c.getInfo().addr)
		},
	}
	r.fullSyncs.Add(1)
	s.log.Noticef("Replica %s asks for synchronization; starting a full resynchronization", c.getInfo().addr)
	// One snapshot at a time: wait for a running BGSAVE or rewrite to end.
	for {
		ok, err := s.startSnapshot(job)
		if err != nil {
			s.dropReplica(rp)
			c.Err("ERR " + err.Error())
			return
		}
		if ok {
			return
		}
		select {
		case <-s.stop:
			return
		case <-time.After(10 * time.Millisecond):
		}
	}
}

// sendRDB sends the RDB file at path to the replica as a bulk payload, in pieces,
// letting its outbox drain in between so the file does not count against the
// replica's output buffer limit all at once.
func (s *Server) sendRDB(c *Client, path string) error {
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return err
	}
	c.out.append([]byte("$" + strconv.FormatInt(st.Size(), 10) + "\r\n"))
	buf := make([]byte, 1<<20)
	for {
		n, err := f.Read(buf)
		if n > 0 && !c.out.append(buf[:n]) {
			return fmt.Errorf("the replica's connection closed")
		}
		if err != nil {
			break
		}
		for c.out.pending() > 8<<20 && !c.killed.Load() {
			time.Sleep(time.Millisecond)
		}
	}
	return nil
}

// dropReplica forgets a replica link (it closed, or its sync failed).
func (s *Server) dropReplica(rp *replica) {
	r := &s.repl
	r.mu.Lock()
	defer r.mu.Unlock()
	for i, x := range r.replicas {
		if x == rp {
			r.replicas = append(r.replicas[:i], r.replicas[i+1:]...)
			return
		}
	}
}

// cmdWait is WAIT numreplicas timeout: it blocks until numreplicas replicas have
// acknowledged every write this client made (its offset in the stream), or timeout
// milliseconds pass (0: no limit), and answers how many have. Inside a transaction or
// a script it answers at once.
func cmdWait(c *Client) {
	need, ok := c.intArg(1)
	if !ok {
		return
	}
	ms, ok := c.intArg(2)
	if !ok {
		return
	}
	if ms < 0 {
		c.Err("ERR timeout is negative")
		return
	}
	s := c.s
	r := &s.repl
	acked := func() int64 {
		n := int64(0)
		for _, rp := range r.replicas {
			if rp.online && rp.ackOff.Load() >= c.replOff {
				n++
			}
		}
		return n
	}
	r.mu.Lock()
	n := acked()
	r.mu.Unlock()
	if n >= need || c.held || !r.active.Load() {
		c.w.Int(n)
		return
	}
	// Ask the replicas for their offsets now rather than at their next periodic ACK.
	s.replFeed([]aof.Cmd{{DB: -1, Args: [][]byte{[]byte("REPLCONF"), []byte("GETACK"), []byte("*")}}})
	done := make(chan struct{})
	if ms > 0 {
		t := time.AfterFunc(time.Duration(ms)*time.Millisecond, func() {
			r.mu.Lock()
			close(done)
			r.acked.Broadcast()
			r.mu.Unlock()
		})
		defer t.Stop()
	}
	finished := make(chan struct{})
	defer close(finished)
	go func() { // wake the wait when the server stops
		select {
		case <-s.stop:
			r.mu.Lock()
			r.acked.Broadcast()
			r.mu.Unlock()
		case <-finished:
		}
	}()
	c.blocked.Store(true)
	defer c.blocked.Store(false)
	r.mu.Lock()
	defer r.mu.Unlock()
	for n = acked(); n < need; n = acked() {
		select {
		case <-done:
			c.w.Int(n)
			return
		case <-s.stop:
			c.w.Int(n)
			return
		default:
		}
		r.acked.Wait()
	}
	c.w.Int(n)
}

// replCron sends the replicas a PING every repl-ping-replica-period seconds, as Redis
// does, so they can tell a quiet primary from a dead link.
func (s *Server) replCron(now time.Time, last *time.Time) {
	if !s.repl.active.Load() {
		return
	}
	period := time.Duration(s.config().ReplPingReplicaPeriod) * time.Second
	if now.Sub(*last) < period {
		return
	}
	*last = now
	s.repl.mu.Lock()
	n := len(s.repl.replicas)
	s.repl.mu.Unlock()
	if n > 0 {
		s.replFeed([]aof.Cmd{{DB: -1, Args: [][]byte{[]byte("PING")}}})
	}
}

// writeReplicationInfo writes INFO replication for a primary.
func (s *Server) writeReplicationInfo(w infoWriter) {
	r := &s.repl
	r.mu.Lock()
	defer r.mu.Unlock()
	w.kv("role", "master")
	w.kv("connected_slaves", len(r.replicas))
	now := time.Now().Unix()
	for i, rp := range r.replicas {
		state := "wait_bgsave"
		if rp.online {
			state = "online"
		}
		host, _, _ := net.SplitHostPort(rp.c.getInfo().addr)
		lag := int64(0)
		if t := rp.ackTime.Load(); t != 0 {
			lag = now - t
		}
		w.kv("slave"+strconv.Itoa(i), fmt.Sprintf("ip=%s,port=%d,state=%s,offset=%d,lag=%d", host, rp.port, state, rp.ackOff.Load(), lag))
	}
	w.kv("master_failover_state", "no-failover")
	w.kv("master_replid", r.id)
	w.kv("master_replid2", strings.Repeat("0", 40))
	var end, first, hist int64
	size := s.config().ReplBacklogSize
	if r.backlog != nil {
		end, first, hist, size = r.backlog.End(), r.backlog.First(), int64(r.backlog.Len()), int64(r.backlog.Size())
	}
	w.kv("master_repl_offset", end)
	w.kv("second_repl_offset", -1)
	w.kv("repl_backlog_active", b2i(r.backlog != nil))
	w.kv("repl_backlog_size", size)
	w.kv("repl_backlog_first_byte_offset", first)
	w.kv("repl_backlog_histlen", hist)
}
