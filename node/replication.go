package node

import (
	"errors"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/shoal-db/shoal/node/conf"
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
// its own SELECTs and appended, under replState.mu, to the backlog, to the shared
// buffer the online replicas' writers take it from (fan), and to the pending buffer of
// each replica still waiting for its RDB file. The offsets are Redis's:
// master_repl_offset counts the stream's bytes.

// replState is the replication history this server holds (its ID and the backlog of
// its stream) and its replicas.
type replState struct {
	getackOff atomic.Int64 // where the stream's last REPLCONF GETACK ends (shard-durability safe)
	active    atomic.Bool  // a backlog exists: commands are fed to it
	// fed is where the stream ends, ackedOff the furthest offset a replica
	// acknowledged: a safe-mode read replies at once only when ackedOff ≥ fed (readSafe).
	fed, ackedOff atomic.Int64

	mu       sync.Mutex // guards the fields below; taken under stripes, before outbox.mu
	id       string
	id2      string // the previous replication ID (PSYNC2), all zeros when none
	off2     int64  // the first offset not in id2's history (second_repl_offset), -1 when none
	backlog  *repl.Backlog
	selected int // the database the stream is at, -1 to emit a SELECT first (a primary)
	streamDB int // the database the primary's stream is at (a replica; repl-stream-db)
	replicas []*replica
	scratch  []byte
	rushing  bool // what appendLocked adds now is to be written at once (askAcks)
	// fan holds the stream's bytes from fan offset fanBase on that not every online
	// replica's writer has taken yet (each takes its part when it wakes: a write is
	// copied once, whatever the number of replicas). Fan offsets count the bytes
	// appended to fan since the server started; fanEnd is fanBase+len(fan), for the
	// writers to read without the lock.
	fan        []byte
	fanBase    int64
	fanEnd     atomic.Int64
	acked      *sync.Cond     // on mu: a replica acknowledged an offset (WAIT)
	diskless   *disklessBatch // replicas waiting for the next diskless transfer, nil if none
	emptySince int64          // Unix s the last replica left (repl-backlog-ttl), 0 with replicas

	good atomic.Int32 // replicas within min-replicas-max-lag (min-replicas-to-write)

	fullSyncs, partialOK, partialErr atomic.Int64 // INFO stats sync_*
}

// Replica link states (Redis's SLAVE_STATE_*).
const (
	replWaitBgsave = iota // waiting for a snapshot to start
	replSendBulk          // being sent the RDB file; the stream collects in pending
	replWaitAck           // sent a diskless file: the stream starts at its first ACK
	replOnline            // streaming
)

// replica is one replica link.
type replica struct {
	c       *Client
	state   int    // replWaitBgsave …; under replState.mu
	eof     bool   // REPLCONF capa eof: can take a diskless transfer
	pending []byte // stream produced while it waits for its RDB file
	port    int    // REPLCONF listening-port
	ip      string // REPLCONF ip-address, "" for the connection's
	oldSync bool   // came with SYNC: the file is sent without +FULLRESYNC (Redis's CLIENT_PRE_PSYNC)
	ackOff  atomic.Int64
	ackTime atomic.Int64 // Unix s of the last REPLCONF ACK
	// The output buffer limit applied to pending (checkPending), then to the stream
	// not yet written (fanOut).
	softSince int64
	dropped   bool
	// Online: the fan offsets up to which its writer has taken the stream, and has
	// written it, and up to which the stream is to be written without gathering more
	// (askAcks).
	taken, sent, rush atomic.Int64
}

func (rp *replica) stateName() string {
	switch rp.state {
	case replWaitBgsave:
		return "wait_bgsave"
	case replSendBulk:
		return "send_bulk"
	case replOnline:
		return "online"
	}
	return "wait_bgsave"
}

// addr is the replica's announced address.
func (rp *replica) host() string {
	if rp.ip != "" {
		return rp.ip
	}
	host, _, _ := net.SplitHostPort(rp.c.getInfo().addr)
	return host
}

// replFeed appends a unit of propagated commands to the stream (a primary) and returns
// the stream's offset after it. The caller holds the stripes of the keys they changed.
func (s *Server) replFeed(cmds []aof.Cmd) int64 {
	return s.feedStream(cmds, false)
}

// askAcks feeds REPLCONF GETACK * for a client waiting for the replicas' offsets
// (WAIT, a safe write, a failover) and returns the stream's offset after it. The
// replicas' writers send it, and the stream before it, without waiting for more to
// gather (see outbox.gather).
func (s *Server) askAcks() int64 {
	return s.feedStream([]aof.Cmd{{DB: -1, Args: [][]byte{[]byte("REPLCONF"), []byte("GETACK"), []byte("*")}}}, true)
}

// feedStream is replFeed; rush has the replicas' writers send it at once.
func (s *Server) feedStream(cmds []aof.Cmd, rush bool) int64 {
	r := &s.repl
	r.mu.Lock()
	defer r.mu.Unlock()
	if s.up.following.Load() || r.backlog == nil {
		// A replica's stream is its primary's, byte for byte (feedFromPrimary): a
		// GETACK of a write made before it was demoted must not shift its offsets.
		return r.fed.Load()
	}
	r.scratch = aof.AppendCmds(r.scratch[:0], &r.selected, cmds)
	r.rushing = rush
	r.appendLocked(r.scratch)
	r.rushing = false
	end := r.backlog.End()
	r.fed.Store(end)
	return end
}

// appendLocked adds b to the stream: the backlog, the online replicas' shared buffer,
// and the pending stream of those still being sent their file. r.mu is held.
func (r *replState) appendLocked(b []byte) {
	r.backlog.Append(b)
	var lim *conf.BufferLimit
	fanned := false
	for _, rp := range r.replicas {
		switch rp.state {
		case replOnline:
			if rp.c.killed.Load() {
				continue
			}
			if !fanned {
				r.fan = append(r.fan, b...)
				r.fanEnd.Store(r.fanBase + int64(len(r.fan)))
				fanned = true
			}
			if lim == nil {
				lim = &rp.c.s.config().ClientOutputBufferLimit[conf.ClassReplica]
			}
			if r.rushing {
				rp.rush.Store(r.fanEnd.Load())
			}
			rp.fanOut(r, lim)
		case replSendBulk, replWaitAck:
			if !rp.dropped {
				rp.pending = append(rp.pending, b...)
				rp.checkPending()
			}
		}
	}
}

// fanOut wakes an online replica's writer for the stream's new bytes (unless it is
// gathering more of them, and they are neither to be rushed nor enough), after applying
// client-output-buffer-limit replica to what it has not written yet. r.mu is held.
func (rp *replica) fanOut(r *replState, lim *conf.BufferLimit) {
	o := rp.c.out
	if lim.Over(uint64(r.fanEnd.Load()-rp.sent.Load()), &rp.softSince) {
		o.mu.Lock()
		if !o.dead {
			o.kill()
		}
		o.mu.Unlock()
		return
	}
	if r.rushing || !o.gathering.Load() || r.fanEnd.Load()-rp.taken.Load() >= coalesceBelow {
		o.poke()
	}
}

// goOnline starts rp's stream, after pre (what it is sent first): from the stream's
// end now. r.mu is held.
func (r *replState) goOnline(rp *replica, pre []byte) {
	rp.c.out.append(pre)
	r.trimFan() // (with no other replica online, fan is empty)
	end := r.fanBase + int64(len(r.fan))
	rp.taken.Store(end)
	rp.sent.Store(end)
	rp.softSince = 0
	rp.state = replOnline
	rp.c.out.rp.Store(rp)
}

// take appends to out the stream bytes rp's writer has not taken yet, and returns the
// fan offset they end at; the bytes every online replica has taken leave fan.
func (r *replState) take(rp *replica, out []byte) ([]byte, int64) {
	r.mu.Lock()
	defer r.mu.Unlock()
	end := r.fanBase + int64(len(r.fan))
	if from := rp.taken.Load(); from >= r.fanBase { // (else it was killed: trimmed past)
		out = append(out, r.fan[from-r.fanBase:]...)
	}
	rp.taken.Store(end)
	r.trimFan()
	return out, end
}

// trimFan drops from fan the bytes every online replica has taken. r.mu is held.
func (r *replState) trimFan() {
	low := r.fanBase + int64(len(r.fan))
	for _, rp := range r.replicas {
		if rp.state == replOnline && !rp.c.killed.Load() {
			low = min(low, rp.taken.Load())
		}
	}
	if n := int(low - r.fanBase); n > 0 {
		r.fan = r.fan[:copy(r.fan, r.fan[n:])]
		r.fanBase = low
	}
	if len(r.fan) == 0 && cap(r.fan) > replyBufKeep {
		r.fan = nil // (a slow replica made it grow)
	}
}

// checkPending applies client-output-buffer-limit replica to the stream a replica
// waiting for its file has collected, as Redis counts it in the replica's output
// buffer: past the hard limit, or the soft one for longer than its seconds, the link
// is closed. replState.mu is held.
func (rp *replica) checkPending() {
	s := rp.c.s
	if !s.config().ClientOutputBufferLimit[conf.ClassReplica].Over(uint64(len(rp.pending)), &rp.softSince) {
		return
	}
	rp.dropped = true
	rp.pending = nil
	s.stats.outputLimitDisconnects.Add(1)
	s.log.Warningf("Client id=%d addr=%s scheduled to be closed ASAP for overcoming of output buffer limits.", rp.c.id, rp.c.getInfo().addr)
	rp.c.killed.Store(true)
	rp.c.conn.Close()
}

// setHistory makes (id, off) the stream this server continues: a new backlog at off,
// no previous ID. r.mu is held.
func (r *replState) setHistory(id string, off int64, size int) {
	r.id = id
	r.id2, r.off2 = zeroID, -1
	r.backlog = repl.NewBacklog(size, off)
	r.selected = -1
	r.active.Store(true)
}

// shiftID starts a new history where the current one ends, keeping the current ID as
// replid2 (a replica promoted to primary). r.mu is held.
func (r *replState) shiftID() {
	end := int64(0)
	if r.backlog != nil {
		end = r.backlog.End()
	}
	r.id2, r.off2 = r.id, end+1
	r.id = repl.NewID()
	r.selected = -1
}

// zeroID is master_replid2 when there is no previous ID.
var zeroID = strings.Repeat("0", 40)

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
		case c.is(i, "IP-ADDRESS"):
			c.replIP = string(c.args[i+1])
		case c.is(i, "CAPA"):
			if equalFold(c.args[i+1], "EOF") {
				c.replEOF = true
			}
		case c.is(i, "ACK"):
			// The replica's processed offset; no reply, as in Redis.
			if rp := c.replica; rp != nil {
				if off, err := strconv.ParseInt(string(c.args[i+1]), 10, 64); err == nil {
					c.s.replicaAcked(rp, off)
				}
			}
			return
		case c.is(i, "GETACK"):
			// From this server's primary: answer with an ACK, no reply.
			if c.primary {
				c.s.sendAck()
			}
			return
		case c.is(i, "RDB-ONLY"), c.is(i, "RDB-FILTER-ONLY"):
		default:
			c.Err("ERR Unrecognized REPLCONF option: " + string(c.args[i]))
			return
		}
	}
	c.OK()
}

// replicaAcked records a replica's REPLCONF ACK; the first ACK after a diskless
// transfer starts its stream.
func (s *Server) replicaAcked(rp *replica, off int64) {
	r := &s.repl
	r.mu.Lock()
	defer r.mu.Unlock()
	rp.ackOff.Store(off)
	rp.ackTime.Store(time.Now().Unix())
	if rp.state == replOnline && off > r.ackedOff.Load() {
		r.ackedOff.Store(off) // (r.mu held: no other writer)
	}
	if rp.state == replWaitAck {
		r.goOnline(rp, rp.pending)
		rp.pending = nil
		s.log.Noticef("Synchronization with replica %s succeeded", rp.c.getInfo().addr)
	}
	r.acked.Broadcast()
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
	if len(c.args) > 3 && !s.psyncFailover(c) {
		return
	}
	if s.fo.stateName() != "no-failover" {
		c.Err("NOMASTERLINK Can't SYNC while failing over")
		return
	}
	if s.up.following.Load() && s.up.linkState() != linkConnected {
		c.Err("NOMASTERLINK Can't SYNC while not connected with my master")
		return
	}
	r := &s.repl
	var off int64
	if len(c.args) >= 3 {
		var err error
		if off, err = strconv.ParseInt(string(c.args[2]), 10, 64); err != nil {
			c.Err(errNotInt)
			return
		}
	}
	// From here on the connection is a replica link: its output goes through an outbox.
	c.ensureOutbox()
	c.putReplies()
	if len(c.args) >= 3 {
		want := string(c.args[1])
		r.mu.Lock()
		if r.backlog != nil && (want == r.id || want == r.id2 && off <= r.off2) {
			if data, ok := r.backlog.Since(off); ok {
				rp := s.newReplica(c, replWaitBgsave)
				c.out.append([]byte("+CONTINUE " + r.id + "\r\n"))
				r.replicas = append(r.replicas, rp)
				r.goOnline(rp, data)
				r.emptySince = 0
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

// newReplica makes c a replica link in state. With repl-disable-tcp-nodelay, as in
// Redis, the link's socket waits to fill its packets (Nagle's algorithm): fewer and
// larger packets to the replica, which may see the stream up to about 40 ms later.
func (s *Server) newReplica(c *Client, state int) *replica {
	rp := &replica{c: c, state: state, port: c.replPort, ip: c.replIP, eof: c.replEOF}
	rp.ackTime.Store(time.Now().Unix())
	c.replica = rp
	c.isReplica.Store(true)
	if s.config().ReplDisableTCPNoDelay {
		if tc := tcpConn(c.conn); tc != nil {
			tc.SetNoDelay(false)
		}
	}
	return rp
}

// fullSync starts a full resynchronization of c: +FULLRESYNC at a snapshot's moment,
// then the RDB file, then the stream from that moment. A replica that can take a
// diskless transfer (and repl-diskless-sync) joins the next one, which starts after
// repl-diskless-sync-delay seconds so that replicas arriving together share it;
// otherwise the file is written to disk and sent.
func (s *Server) fullSync(c *Client) {
	r := &s.repl
	rp := s.newReplica(c, replWaitBgsave)
	rp.oldSync = c.is(0, "SYNC")
	r.mu.Lock()
	r.replicas = append(r.replicas, rp)
	r.emptySince = 0
	r.mu.Unlock()
	r.fullSyncs.Add(1)
	cfg := s.config()
	if cfg.ReplDisklessSync && rp.eof {
		s.log.Noticef("Replica %s asks for synchronization; starting a full resynchronization (diskless)", c.getInfo().addr)
		s.queueDiskless(rp, cfg)
		return
	}
	s.log.Noticef("Replica %s asks for synchronization; starting a full resynchronization", c.getInfo().addr)
	s.goTracked(func() { s.syncBatch([]*replica{rp}, false) })
}

// disklessBatch is the replicas waiting for the next diskless transfer.
type disklessBatch struct {
	replicas []*replica
	full     chan struct{} // closed when repl-diskless-sync-max-replicas is reached
}

// queueDiskless adds rp to the next diskless transfer, starting its delay if it is the
// first.
func (s *Server) queueDiskless(rp *replica, cfg *conf.Config) {
	r := &s.repl
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.diskless == nil {
		batch := &disklessBatch{full: make(chan struct{})}
		r.diskless = batch
		delay := time.Duration(cfg.ReplDisklessSyncDelay) * time.Second
		s.goTracked(func() {
			t := time.NewTimer(delay)
			defer t.Stop()
			select {
			case <-t.C:
			case <-batch.full:
			case <-s.stop:
			}
			r.mu.Lock()
			r.diskless = nil
			replicas := batch.replicas
			r.mu.Unlock()
			s.syncBatch(replicas, true)
		})
	}
	b := r.diskless
	b.replicas = append(b.replicas, rp)
	if max := cfg.ReplDisklessSyncMax; max > 0 && len(b.replicas) == max {
		close(b.full)
		r.diskless = nil
	}
}

// syncBatch takes one snapshot for replicas and sends it to each: written to a
// temporary file and sent from it, or (diskless) sent as it is made, framed by an
// $EOF: marker. It waits for a running BGSAVE or AOF rewrite to end first.
func (s *Server) syncBatch(replicas []*replica, diskless bool) {
	r := &s.repl
	cfg := s.config()
	var mark []byte
	var sink *replicaSink
	var tmp string
	if diskless {
		mark = []byte(repl.NewID())
		sink = &replicaSink{s: s}
	} else {
		tmp = filepath.Join(cfg.Dir, "temp-repl-"+strconv.Itoa(os.Getpid())+"-"+strconv.FormatInt(replicas[0].c.id, 10)+".rdb")
	}
	var sent []*replica
	var at int64
	job := snapshotJob{
		dir: cfg.Dir,
		tmp: tmp,
		begin: func() error {
			// Every stripe is held: the stream from here on is what follows the file.
			r.mu.Lock()
			defer r.mu.Unlock()
			s.startStream()
			r.selected = -1 // the stream after the file starts with a SELECT
			at = r.backlog.End()
			for _, rp := range replicas {
				if rp.c.killed.Load() || !s.isReplicaLink(rp) {
					continue
				}
				if !rp.oldSync {
					rp.c.out.append([]byte(fmt.Sprintf("+FULLRESYNC %s %d\r\n", r.id, at)))
				}
				if diskless {
					rp.c.out.append([]byte("$EOF:" + string(mark) + "\r\n"))
				}
				rp.state = replSendBulk
				sent = append(sent, rp)
			}
			if len(sent) == 0 {
				return errors.New("no replica left to synchronize")
			}
			if sink != nil {
				sink.replicas = slices.Clone(sent)
			}
			return nil
		},
		aux: func() [][2]string {
			r.mu.Lock()
			defer r.mu.Unlock()
			db := 0 // a primary's stream starts with a SELECT after the file
			if s.up.following.Load() {
				db = r.streamDB // a replica passes its primary's stream on as it is
			}
			return [][2]string{{"repl-stream-db", strconv.Itoa(db)}, {"repl-id", r.id}, {"repl-offset", strconv.FormatInt(at, 10)}}
		},
		finish: func(b *bgsave, err error) {
			if tmp != "" {
				defer os.Remove(tmp)
			}
			var wg sync.WaitGroup
			for _, rp := range sent {
				wg.Add(1)
				go func() {
					defer wg.Done()
					s.finishSync(rp, err, tmp, mark)
				}()
			}
			wg.Wait()
		},
	}
	if sink != nil {
		job.sink = sink
	}
	// One snapshot at a time: wait for a running BGSAVE or rewrite to end.
	for {
		ok, err := s.startSnapshot(job)
		if err != nil {
			for _, rp := range replicas {
				s.log.Warningf("Full resynchronization of %s failed: %v", rp.c.getInfo().addr, err)
				rp.c.conn.Close()
			}
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

// isReplicaLink reports whether rp is still among the replicas. r.mu is held.
func (s *Server) isReplicaLink(rp *replica) bool {
	for _, x := range s.repl.replicas {
		if x == rp {
			return true
		}
	}
	return false
}

// finishSync ends one replica's transfer: the file from disk (tmp) or the diskless
// marker, then the stream — at once, or for a diskless transfer at its first ACK.
func (s *Server) finishSync(rp *replica, err error, tmp string, mark []byte) {
	c := rp.c
	if err == nil && tmp != "" {
		err = s.sendRDB(c, tmp)
	}
	r := &s.repl
	if err == nil && mark != nil {
		// The stream starts at the replica's first ACK, which may come as soon as
		// the marker is out.
		r.mu.Lock()
		rp.state = replWaitAck
		if !c.out.append(mark) {
			err = errors.New("the replica's connection closed")
		}
		r.mu.Unlock()
	}
	if err != nil {
		s.log.Warningf("Full resynchronization of %s failed: %v", c.getInfo().addr, err)
		s.dropReplica(rp)
		c.conn.Close()
		return
	}
	if mark != nil {
		s.log.Noticef("Streamed RDB transfer with replica %s succeeded (socket). Waiting for REPLCONF ACK from replica to enable streaming", c.getInfo().addr)
		return
	}
	r.mu.Lock()
	r.goOnline(rp, rp.pending)
	rp.pending = nil
	r.mu.Unlock()
	s.log.Noticef("Synchronization with replica %s succeeded", c.getInfo().addr)
}

// replicaSink sends a diskless transfer to the replicas it is for, letting their
// outboxes drain so the file never sits whole in memory; a replica that goes away is
// dropped, and the transfer fails only when none is left.
type replicaSink struct {
	s        *Server
	replicas []*replica
}

func (k *replicaSink) Write(p []byte) (int, error) {
	live := k.replicas[:0]
	for _, rp := range k.replicas {
		if rp.c.out.append(p) {
			live = append(live, rp)
		} else {
			k.s.log.Warningf("Diskless transfer to replica %s failed: its connection closed", rp.c.getInfo().addr)
		}
	}
	k.replicas = live
	if len(live) == 0 {
		return 0, errors.New("every replica of the transfer went away")
	}
	for _, rp := range live {
		rp.c.waitDrained()
	}
	return len(p), nil
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
		c.waitDrained()
	}
	return nil
}

// transferWindow is how much of an RDB transfer may wait in a replica's outbox.
const transferWindow = 8 << 20

// waitDrained waits until at most transferWindow bytes wait in c's outbox (or c is
// gone), so a transfer never sits whole in memory nor trips the output buffer limit.
func (c *Client) waitDrained() {
	for c.out.pending() > transferWindow && !c.killed.Load() {
		time.Sleep(time.Millisecond)
	}
}

// dropReplica forgets a replica link (it closed, or its sync failed).
func (s *Server) dropReplica(rp *replica) {
	r := &s.repl
	r.mu.Lock()
	defer r.mu.Unlock()
	for i, x := range r.replicas {
		if x == rp {
			r.replicas = append(r.replicas[:i], r.replicas[i+1:]...)
			if len(r.replicas) == 0 {
				r.emptySince = time.Now().Unix()
			}
			break
		}
	}
	r.trimFan()
	if b := r.diskless; b != nil {
		for i, x := range b.replicas {
			if x == rp {
				b.replicas = append(b.replicas[:i], b.replicas[i+1:]...)
				break
			}
		}
	}
	s.countGoodReplicas()
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
	if s.up.following.Load() {
		c.Err("ERR WAIT cannot be used with replica instances. Please also note that since Redis 4.0 if a replica is configured to be writable (which is not the default) writes to replicas are just local and are not propagated.")
		return
	}
	r := &s.repl
	acked := func() int64 {
		n := int64(0)
		for _, rp := range r.replicas {
			if rp.state == replOnline && rp.ackOff.Load() >= c.replOff {
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
	s.askAcks()
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

// replCron is replication's share of the cron: a primary sends its replicas a PING
// every repl-ping-replica-period seconds (so they can tell a quiet primary from a dead
// link) and a newline every second to those waiting for a snapshot to start, frees
// the backlog repl-backlog-ttl seconds after the last replica left, and recounts the
// good replicas; a replica sends its primary REPLCONF ACK every second.
func (s *Server) replCron(now time.Time, last *replTimes) {
	if now.Sub(last.second) < time.Second {
		return
	}
	last.second = now
	if s.up.following.Load() {
		s.sendAck()
		return
	}
	if !s.repl.active.Load() {
		return
	}
	cfg := s.config()
	r := &s.repl
	r.mu.Lock()
	n := len(r.replicas)
	for _, rp := range r.replicas {
		switch {
		case rp.state == replWaitBgsave:
			rp.c.out.append([]byte("\n"))
		case rp.state == replOnline && !rp.oldSync && now.Unix()-rp.ackTime.Load() > int64(cfg.ReplTimeout):
			s.log.Warningf("Disconnecting timedout replica (streaming sync): %s", rp.c.getInfo().addr)
			rp.c.conn.Close()
		}
	}
	s.countGoodReplicas()
	if n == 0 && cfg.ReplBacklogTTL > 0 && r.emptySince > 0 && now.Unix()-r.emptySince >= cfg.ReplBacklogTTL {
		// Redis frees the backlog and changes the ID: the history is gone.
		r.backlog = nil
		r.active.Store(false)
		r.id = repl.NewID()
		r.id2, r.off2 = zeroID, -1
		s.log.Noticef("Replication backlog freed after %d seconds without connected replicas.", cfg.ReplBacklogTTL)
	}
	r.mu.Unlock()
	period := time.Duration(cfg.ReplPingReplicaPeriod) * time.Second
	if n > 0 && now.Sub(last.ping) >= period {
		last.ping = now
		s.replFeed([]aof.Cmd{{DB: -1, Args: [][]byte{[]byte("PING")}}})
	}
}

// replTimes is when the cron last did replication's periodic work.
type replTimes struct{ second, ping time.Time }

// countGoodReplicas recounts the replicas that acknowledged within
// min-replicas-max-lag seconds. r.mu is held.
func (s *Server) countGoodReplicas() {
	r := &s.repl
	lag := int64(s.config().MinReplicasMaxLag)
	now := time.Now().Unix()
	n := int32(0)
	for _, rp := range r.replicas {
		if rp.state == replOnline && now-rp.ackTime.Load() <= lag {
			n++
		}
	}
	r.good.Store(n)
}

// errNoReplicas answers writes when fewer than min-replicas-to-write replicas are good.
const errNoReplicas = "NOREPLICAS Not enough good replicas to write."

// tooFewReplicas reports whether writes are refused for want of good replicas.
func (s *Server) tooFewReplicas(cfg *conf.Config) bool {
	if s.up.following.Load() {
		return false
	}
	if cfg.ShardDurability == "safe" && !s.replicaOnline(0) {
		return true // no replica could acknowledge the write
	}
	return cfg.MinReplicasToWrite > 0 && cfg.MinReplicasMaxLag > 0 && int(s.repl.good.Load()) < cfg.MinReplicasToWrite
}

// replicaOnline reports whether an online replica has acknowledged the stream up to
// off.
func (s *Server) replicaOnline(off int64) bool {
	r := &s.repl
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.ackedLocked(off)
}

// ackedLocked is replicaOnline with r.mu held.
func (r *replState) ackedLocked(off int64) bool {
	for _, rp := range r.replicas {
		if rp.state == replOnline && rp.ackOff.Load() >= off {
			return true
		}
	}
	return false
}

// waitSafe holds a client's replies (shard-durability safe) until a replica has
// acknowledged its writes (c.safeOff), for at most shard-durability-timeout; false
// when none did, or one did only after the node's write lease ran out: the
// connection is then closed, since the write may or may not survive a failover.
func (s *Server) waitSafe(c *Client) bool {
	off := c.safeOff
	c.safeOff = 0
	if s.replicaOnline(off) {
		return s.ackCounts(c)
	}
	// Ask the replicas for their offsets now (once per stretch of the stream: a GETACK
	// after this write covers it).
	r := &s.repl
	if r.getackOff.Load() <= off {
		r.getackOff.Store(s.askAcks())
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	deadline := time.Now().Add(time.Duration(s.config().ShardDurabilityTimeout) * time.Millisecond)
	t := time.AfterFunc(time.Until(deadline), func() {
		r.mu.Lock()
		r.acked.Broadcast()
		r.mu.Unlock()
	})
	defer t.Stop()
	c.blocked.Store(true)
	defer c.blocked.Store(false)
	for !r.ackedLocked(off) {
		stopping := false
		select {
		case <-s.stop:
			stopping = true
		default:
		}
		if time.Now().After(deadline) || stopping {
			s.stats.safeTimeouts.Add(1)
			s.log.Warningf("No replica acknowledged a write of client id=%d addr=%s within shard-durability-timeout: closing the connection", c.id, c.getInfo().addr)
			return false
		}
		r.acked.Wait()
	}
	return s.ackCounts(c)
}

// ackCounts reports whether a replica's acknowledgement of c's writes, just seen,
// counts: only while this node still holds its write lease (or needs none). Once the
// lease ran out the sentinels may have promoted a replica without the writes — and a
// stream held by a partition can reach an old replica, and be acknowledged, after
// it heals — so their fate is unknown.
func (s *Server) ackCounts(c *Client) bool {
	if s.lease.required.Load() && (s.mono() >= s.lease.until.Load() || !s.needsLease()) {
		s.stats.safeTimeouts.Add(1)
		s.log.Warningf("A replica acknowledged a write of client id=%d addr=%s after this node's write lease ran out: closing the connection", c.id, c.getInfo().addr)
		return false
	}
	return true
}

// writeReplicationInfo writes INFO replication.
func (s *Server) writeReplicationInfo(w infoWriter) {
	cfg := s.config()
	if s.up.following.Load() {
		w.kv("role", "slave")
		s.writeReplicaInfo(w, cfg)
	} else {
		w.kv("role", "master")
	}
	r := &s.repl
	r.mu.Lock()
	defer r.mu.Unlock()
	w.kv("connected_slaves", len(r.replicas))
	if cfg.MinReplicasToWrite > 0 && cfg.MinReplicasMaxLag > 0 {
		w.kv("min_slaves_good_slaves", r.good.Load())
	}
	if cfg.ShardDurability == "safe" { // (shoal's; sentinels read it)
		w.kv("shard_durability", "safe")
		w.kv("shard_durability_timeouts", s.stats.safeTimeouts.Load())
	}
	now := time.Now().Unix()
	for i, rp := range r.replicas {
		lag := int64(0)
		if t := rp.ackTime.Load(); t != 0 {
			lag = now - t
		}
		w.kv("slave"+strconv.Itoa(i), fmt.Sprintf("ip=%s,port=%d,state=%s,offset=%d,lag=%d", rp.host(), rp.port, rp.stateName(), rp.ackOff.Load(), lag))
	}
	w.kv("master_failover_state", s.fo.stateName())
	w.kv("master_replid", r.id)
	w.kv("master_replid2", r.id2)
	var end, first, hist int64
	size := cfg.ReplBacklogSize
	if r.backlog != nil {
		end, first, hist, size = r.backlog.End(), r.backlog.First(), int64(r.backlog.Len()), int64(r.backlog.Size())
	}
	w.kv("master_repl_offset", end)
	w.kv("second_repl_offset", r.off2)
	w.kv("repl_backlog_active", b2i(r.backlog != nil))
	w.kv("repl_backlog_size", size)
	w.kv("repl_backlog_first_byte_offset", first)
	w.kv("repl_backlog_histlen", hist)
}

// cmdRole is ROLE: ["master", offset, [[ip, port, offset] …]] or ["slave", host, port,
// link state, offset].
func cmdRole(c *Client) {
	s := c.s
	if s.up.following.Load() {
		u := &s.up
		u.mu.Lock()
		host, port := u.host, u.port
		u.mu.Unlock()
		c.w.Array(5)
		c.w.BulkString("slave")
		c.w.BulkString(host)
		c.w.Int(int64(port))
		c.w.BulkString(u.linkState().String())
		off := int64(-1)
		if u.linkState() == linkConnected {
			off = s.replOffset()
		}
		c.w.Int(off)
		return
	}
	r := &s.repl
	r.mu.Lock()
	defer r.mu.Unlock()
	c.w.Array(3)
	c.w.BulkString("master")
	end := int64(0)
	if r.backlog != nil {
		end = r.backlog.End()
	}
	c.w.Int(end)
	n := 0
	for _, rp := range r.replicas {
		if rp.state == replOnline {
			n++
		}
	}
	c.w.Array(n)
	for _, rp := range r.replicas {
		if rp.state != replOnline {
			continue
		}
		c.w.Array(3)
		c.w.BulkString(rp.host())
		c.w.BulkString(strconv.Itoa(rp.port))
		c.w.BulkString(strconv.FormatInt(rp.ackOff.Load(), 10))
	}
}
