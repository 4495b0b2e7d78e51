package node

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"math"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/shoal-db/shoal/gossip"
	"github.com/shoal-db/shoal/node/conf"
	"github.com/shoal-db/shoal/node/repl"
	"github.com/shoal-db/shoal/node/resp"
	"github.com/shoal-db/shoal/node/spec"
	"github.com/shoal-db/shoal/storage"
	"github.com/shoal-db/shoal/storage/aof"
	"github.com/shoal-db/shoal/storage/rdb"
)

// Replication, replica side: REPLICAOF host port (or the replicaof directive) makes this
// server follow a primary. A link goroutine connects, runs Redis's handshake (PING,
// AUTH, REPLCONF listening-port / ip-address / capa eof psync2, PSYNC), then either
// loads the RDB file of a full resynchronization — sent with a length, or diskless
// with an $EOF: marker — or continues from its offset (+CONTINUE), and applies the
// primary's stream on the primary's client (CLIENT LIST flag M), which obeys: no
// checks, and keys past their expire still there (storage's obeying views), because
// on a replica only the primary's DEL removes a key. Every second the replica sends
// REPLCONF ACK with its offset; a link that breaks is retried every second, with a
// partial resynchronization when the primary still has the history.
//
// The replica's replication ID and offset are the primary's: the stream it applied,
// byte for byte, is appended to its own backlog and sent on to its own replicas (a
// chain carries the same offsets). A transaction reaches them whole, once its EXEC is
// applied, as Redis's replicationFeedStreamFromMasterStream.

// linkState is where the link to the primary stands (ROLE's words).
type linkState int32

const (
	linkNone       linkState = iota // a primary: no link
	linkConnect                     // to (re)connect
	linkConnecting                  // dialing
	linkHandshake                   // PING, AUTH, REPLCONF, PSYNC
	linkTransfer                    // receiving the RDB file
	linkConnected                   // applying the stream
)

func (l linkState) String() string {
	switch l {
	case linkConnect:
		return "connect"
	case linkConnecting:
		return "connecting"
	case linkHandshake:
		return "handshake"
	case linkTransfer:
		return "sync"
	case linkConnected:
		return "connected"
	}
	return "unknown"
}

// upstream is the replica side's state.
type upstream struct {
	following atomic.Bool  // this server is a replica (REPLICAOF host port)
	state     atomic.Int32 // linkState
	lastIO    atomic.Int64 // Unix s of the last bytes from the primary
	downSince atomic.Int64 // Unix s the link went down, 0 while up or never up
	readOff   atomic.Int64 // slave_read_repl_offset: the stream read so far

	// The transfer of a full resynchronization's RDB file.
	syncSize, syncRead, syncLastIO atomic.Int64 // -1 size: diskless, unknown

	mu     sync.Mutex // guards the fields below
	host   string
	port   int
	stop   chan struct{} // closed when the current link must end
	conn   net.Conn      // the current link's connection, nil when none
	client *Client       // the primary's client while streaming, nil otherwise

	wmu sync.Mutex // serializes writes to the link

	// apply is held while the link applies a command of the stream or adopts its
	// primary's history (+CONTINUE), each after checking that the link has not ended;
	// follow and unfollow hold it while they end a link and switch. So nothing the old
	// primary sent — commands still buffered when the link ended — lands after the
	// switch: in a promoted replica's new history, or after the offset a new link
	// asked its next primary for, where it would shift every later offset.
	apply sync.Mutex
}

func (u *upstream) linkState() linkState { return linkState(u.state.Load()) }

// progress records that read bytes of a transfer have arrived.
func (u *upstream) progress(read int) {
	now := time.Now().Unix()
	u.lastIO.Store(now)
	u.syncLastIO.Store(now)
	u.syncRead.Store(int64(read))
}

// errReadOnlyReplica answers writes on a read-only replica.
const errReadOnlyReplica = "READONLY You can't write against a read only replica."

// errMasterDown answers commands without the stale flag while the link is down and
// replica-serve-stale-data is off.
const errMasterDown = "MASTERDOWN Link with MASTER is down and replica-serve-stale-data is set to 'no'."

// replicaRefuses returns the error a command from an ordinary client gets on a replica
// (read-only, or a stale data set it may not serve), "" when it may run.
func (s *Server) replicaRefuses(c *Client, cmd *Command) string {
	if c.primary || c.replaying {
		return ""
	}
	cfg := s.config()
	if cmd.Has(spec.Write) && cfg.ReplicaReadOnly {
		return errReadOnlyReplica
	}
	if !cfg.ReplicaServeStaleData && s.up.linkState() != linkConnected && !cmd.Has(spec.Stale) {
		return errMasterDown
	}
	return ""
}

// cmdReplicaof is REPLICAOF host port | NO ONE (and SLAVEOF).
func cmdReplicaof(c *Client) {
	s := c.s
	if s.config().ClusterEnabled {
		c.Err("ERR REPLICAOF not allowed in cluster mode.")
		return
	}
	if c.is(1, "NO") && c.is(2, "ONE") {
		if s.up.following.Load() {
			s.unfollow()
			s.log.Noticef("MASTER MODE enabled (user request from '%s')", c.getInfo().addr)
		}
		c.OK()
		return
	}
	if c.replica != nil {
		c.Err("ERR Command is not valid when client is a replica.")
		return
	}
	port, ok := c.intArg(2)
	if !ok {
		return
	}
	host := string(c.args[1])
	u := &s.up
	u.mu.Lock()
	same := u.following.Load() && u.host == host && u.port == int(port)
	u.mu.Unlock()
	if same {
		s.log.Noticef("REPLICAOF would result into synchronization with the master we are already connected with. No operation performed.")
		c.w.Simple("OK Already connected to specified master")
		return
	}
	s.follow(host, int(port))
	s.log.Noticef("REPLICAOF %s:%d enabled (user request from '%s')", host, port, c.getInfo().addr)
	c.OK()
}

// follow makes the server a replica of host:port, ending any current link. Its own
// replicas are disconnected so they resynchronize with the new history (partially,
// when they can).
func (s *Server) follow(host string, port int) {
	u := &s.up
	u.apply.Lock()
	defer u.apply.Unlock()
	u.mu.Lock()
	select {
	case <-s.stop: // closing: Close ended the link already, start no other
		u.mu.Unlock()
		return
	default:
	}
	s.endLinkLocked()
	u.host, u.port = host, port
	stop := make(chan struct{})
	u.stop = stop
	u.following.Store(true)
	u.state.Store(int32(linkConnect))
	if u.downSince.Load() == 0 {
		u.downSince.Store(time.Now().Unix())
	}
	u.mu.Unlock()
	s.eng.SetReplica(true)
	s.disconnectReplicas()
	s.goTracked(func() { s.linkLoop(stop) })
}

// unfollow makes a replica a primary again (REPLICAOF NO ONE): the link ends, and the
// history continues under a new replication ID with the old one kept as replid2, so
// replicas that followed the same primary can continue from this one partially
// (PSYNC2's shiftReplicationId).
func (s *Server) unfollow() {
	u := &s.up
	u.apply.Lock()
	defer u.apply.Unlock()
	u.mu.Lock()
	s.endLinkLocked()
	u.following.Store(false)
	u.state.Store(int32(linkNone))
	u.host, u.port = "", 0
	u.mu.Unlock()
	s.eng.SetReplica(false)
	r := &s.repl
	r.mu.Lock()
	r.shiftID()
	r.mu.Unlock()
	s.disconnectReplicas()
}

// endLinkLocked stops the current link goroutine and closes its connection. u.mu is
// held.
func (s *Server) endLinkLocked() {
	u := &s.up
	if u.stop != nil {
		close(u.stop)
		u.stop = nil
	}
	if u.conn != nil {
		u.conn.Close()
		u.conn = nil
	}
}

// disconnectReplicas closes every replica link (their history changed).
func (s *Server) disconnectReplicas() {
	r := &s.repl
	r.mu.Lock()
	for _, rp := range r.replicas {
		rp.c.conn.Close()
	}
	r.mu.Unlock()
}

// linkLoop keeps the link to the primary up until stop closes: a link that was up
// when it broke is retried after 100 ms (a dropped connection costs a safe-mode
// primary its writes until a replica is back), a failed attempt after a second, as
// Redis's replicationCron does.
func (s *Server) linkLoop(stop chan struct{}) {
	u := &s.up
	for {
		err := s.syncWithPrimary(stop)
		select {
		case <-stop:
			return
		case <-s.stop:
			return
		default:
		}
		retry := time.Second
		if u.linkState() == linkConnected {
			s.log.Noticef("Connection with master lost.")
			retry = 100 * time.Millisecond
		}
		if err != nil {
			s.log.Warningf("Replication link: %v", err)
		}
		u.state.Store(int32(linkConnect))
		if u.downSince.Load() == 0 {
			u.downSince.Store(time.Now().Unix())
		}
		select {
		case <-stop:
			return
		case <-s.stop:
			return
		case <-time.After(retry):
		}
	}
}

// linkConn is the link's connection with the reads of the handshake on top.
type linkConn struct {
	s       *Server
	conn    net.Conn
	br      *bufio.Reader
	timeout time.Duration
	stop    chan struct{} // closed when the link must end (upstream.stop)
}

// errLinkEnded: the link ended (REPLICAOF or the topology changed the primary).
var errLinkEnded = errors.New("the link to the master ended")

// lockApply takes upstream.apply for one step of the link, unless the link ended:
// then it reports false, holding nothing.
func (l *linkConn) lockApply() bool {
	u := &l.s.up
	u.apply.Lock()
	select {
	case <-l.stop:
		u.apply.Unlock()
		return false
	default:
		return true
	}
}

// send writes one command to the primary.
func (l *linkConn) send(args ...string) error {
	var b []byte
	b = append(b, '*')
	b = strconv.AppendInt(b, int64(len(args)), 10)
	b = append(b, "\r\n"...)
	for _, a := range args {
		b = append(b, '$')
		b = strconv.AppendInt(b, int64(len(a)), 10)
		b = append(b, "\r\n"...)
		b = append(b, a...)
		b = append(b, "\r\n"...)
	}
	return l.s.writeLink(l.conn, b, l.timeout)
}

// line reads one reply line without its CRLF; empty lines (the primary's keepalive
// newlines while it prepares a transfer) are skipped when skipEmpty is set.
func (l *linkConn) line(skipEmpty bool) (string, error) {
	for {
		l.conn.SetReadDeadline(time.Now().Add(l.timeout))
		line, err := l.br.ReadSlice('\n')
		if err == bufio.ErrBufferFull {
			return "", errors.New("reply line too long")
		}
		if err != nil {
			return "", err
		}
		l.s.up.lastIO.Store(time.Now().Unix())
		str := strings.TrimRight(string(line), "\r\n")
		if str == "" && skipEmpty {
			continue
		}
		return str, nil
	}
}

// command sends a command and reads its one-line reply.
func (l *linkConn) command(args ...string) (string, error) {
	if err := l.send(args...); err != nil {
		return "", err
	}
	return l.line(true)
}

// writeLink writes b to the primary, serialized with the cron's ACKs.
func (s *Server) writeLink(conn net.Conn, b []byte, timeout time.Duration) error {
	u := &s.up
	u.wmu.Lock()
	defer u.wmu.Unlock()
	conn.SetWriteDeadline(time.Now().Add(timeout))
	_, err := conn.Write(b)
	return err
}

// syncWithPrimary runs one link: connect, handshake, resynchronize, then apply the
// stream until the link breaks or stop closes.
func (s *Server) syncWithPrimary(stop chan struct{}) error {
	u := &s.up
	cfg := s.config()
	timeout := time.Duration(cfg.ReplTimeout) * time.Second
	u.mu.Lock()
	addr := net.JoinHostPort(u.host, strconv.Itoa(u.port))
	u.mu.Unlock()
	u.state.Store(int32(linkConnecting))
	s.log.Noticef("Connecting to MASTER %s", addr)
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	go func() {
		select {
		case <-stop:
		case <-s.stop:
		case <-ctx.Done():
		}
		cancel()
	}()
	conn, err := gossip.Dial(ctx, s.dial(), addr)
	cancel()
	if err != nil {
		return fmt.Errorf("Error condition on socket for SYNC: %v", err)
	}
	u.mu.Lock()
	select {
	case <-stop: // REPLICAOF changed while dialing
		u.mu.Unlock()
		conn.Close()
		return nil
	case <-s.stop: // the server is closing
		u.mu.Unlock()
		conn.Close()
		return nil
	default:
	}
	u.conn = conn
	u.mu.Unlock()
	defer func() {
		u.mu.Lock()
		if u.conn == conn {
			u.conn = nil
		}
		u.client = nil
		u.mu.Unlock()
		conn.Close()
	}()
	if tc, ok := conn.(*net.TCPConn); ok {
		tc.SetNoDelay(true)
	}
	s.log.Noticef("MASTER <-> REPLICA sync started")
	u.state.Store(int32(linkHandshake))
	rc := resp.RawConn(conn)
	l := &linkConn{s: s, conn: rc, br: bufio.NewReaderSize(rc, 64<<10), timeout: timeout, stop: stop}
	if err := s.handshake(l, cfg); err != nil {
		return err
	}
	id, off := s.psyncArgs()
	args := []string{id, strconv.FormatInt(off, 10)}
	failingOver := s.fo.inProgress()
	if failingOver {
		args = append(args, "FAILOVER") // (FAILOVER: this server hands its primaryship over)
	}
	reply, err := l.command(append([]string{"PSYNC"}, args...)...)
	if err != nil {
		return fmt.Errorf("Error reading reply to PSYNC: %v", err)
	}
	if failingOver {
		if strings.HasPrefix(reply, "+FULLRESYNC") || strings.HasPrefix(reply, "+CONTINUE") {
			s.failoverDone()
		} else {
			s.goTracked(func() { s.abortFailover("Failover target rejected psync request") })
			return fmt.Errorf("Failover target rejected psync request: %s", reply)
		}
	}
	switch {
	case strings.HasPrefix(reply, "+FULLRESYNC"):
		f := strings.Fields(reply)
		if len(f) != 3 || len(f[1]) != 40 {
			return fmt.Errorf("Master replied with wrong +FULLRESYNC syntax: %q", reply)
		}
		start, err := strconv.ParseInt(f[2], 10, 64)
		if err != nil {
			return fmt.Errorf("Master replied with wrong +FULLRESYNC syntax: %q", reply)
		}
		s.log.Noticef("Full resync from master: %s:%d", f[1], start)
		if err := s.receiveFullSync(l, cfg, f[1], start, stop); err != nil {
			return err
		}
	case strings.HasPrefix(reply, "+CONTINUE"):
		s.log.Noticef("Successful partial resynchronization with master.")
		if !l.lockApply() {
			return errLinkEnded
		}
		if f := strings.Fields(reply); len(f) == 2 && len(f[1]) == 40 {
			s.continueAs(f[1])
		}
		u.apply.Unlock()
		s.log.Noticef("MASTER <-> REPLICA sync: Master accepted a Partial Resynchronization.")
	default:
		return fmt.Errorf("Unexpected reply to PSYNC from master: %s", reply)
	}
	u.readOff.Store(s.replOffset())
	return s.applyStream(l, cfg)
}

// handshake is PING, AUTH (with masterauth), REPLCONF listening-port / ip-address and
// REPLCONF capa eof capa psync2.
func (s *Server) handshake(l *linkConn, cfg *conf.Config) error {
	reply, err := l.command("PING")
	if err != nil {
		return fmt.Errorf("Error reply to PING from master: %v", err)
	}
	// An error about authentication is fine here: AUTH comes next.
	if strings.HasPrefix(reply, "-") && !strings.HasPrefix(reply, "-NOAUTH") &&
		!strings.HasPrefix(reply, "-NOPERM") && !strings.HasPrefix(reply, "-ERR operation not permitted") {
		return fmt.Errorf("Error reply to PING from master: '%s'", reply)
	}
	s.log.Noticef("Master replied to PING, replication can continue...")
	if cfg.Masterauth != "" {
		args := []string{"AUTH", cfg.Masterauth}
		if cfg.Masteruser != "" {
			args = []string{"AUTH", cfg.Masteruser, cfg.Masterauth}
		}
		if reply, err := l.command(args...); err != nil || strings.HasPrefix(reply, "-") {
			return fmt.Errorf("Unable to AUTH to MASTER: %s%v", reply, errOrNil(err))
		}
	}
	port := cfg.ReplicaAnnouncePort
	if port == 0 {
		port = s.listeningPort()
	}
	if reply, err := l.command("REPLCONF", "listening-port", strconv.Itoa(port)); err != nil {
		return err
	} else if strings.HasPrefix(reply, "-") {
		s.log.Noticef("(Non critical) Master does not understand REPLCONF listening-port: %s", reply)
	}
	if cfg.ReplicaAnnounceIP != "" {
		if reply, err := l.command("REPLCONF", "ip-address", cfg.ReplicaAnnounceIP); err != nil {
			return err
		} else if strings.HasPrefix(reply, "-") {
			s.log.Noticef("(Non critical) Master does not understand REPLCONF ip-address: %s", reply)
		}
	}
	if reply, err := l.command("REPLCONF", "capa", "eof", "capa", "psync2"); err != nil {
		return err
	} else if strings.HasPrefix(reply, "-") {
		s.log.Noticef("(Non critical) Master does not understand REPLCONF capa: %s", reply)
	}
	return nil
}

func errOrNil(err error) string {
	if err == nil {
		return ""
	}
	return err.Error()
}

// listeningPort is the TCP port this server serves (REPLCONF listening-port).
func (s *Server) listeningPort() int {
	if a, ok := s.Addr().(*net.TCPAddr); ok {
		return a.Port
	}
	return s.config().Port
}

// psyncArgs is what PSYNC asks for: this server's history (its replication ID and the
// next offset) when it has one, else "? -1".
func (s *Server) psyncArgs() (string, int64) {
	r := &s.repl
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.backlog == nil {
		return "?", -1
	}
	return r.id, r.backlog.End() + 1
}

// replOffset is the stream offset this server's data set stands at.
func (s *Server) replOffset() int64 {
	r := &s.repl
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.backlog == nil {
		return 0
	}
	return r.backlog.End()
}

// continueAs records the primary's replication ID after a partial resynchronization:
// when it changed (the primary was promoted), the old one becomes replid2 and this
// server's replicas reconnect to learn the new one.
func (s *Server) continueAs(id string) {
	r := &s.repl
	r.mu.Lock()
	changed := id != r.id
	if changed {
		r.id2, r.off2 = r.id, r.backlog.End()+1
		r.id = id
	}
	r.mu.Unlock()
	if changed {
		s.log.Noticef("Master replication ID changed to %s", id)
		s.disconnectReplicas()
	}
}

// receiveFullSync reads the RDB file of a full resynchronization and loads it in place
// of the data set; the stream then continues from offset start under replication ID id.
func (s *Server) receiveFullSync(l *linkConn, cfg *conf.Config, id string, start int64, stop chan struct{}) error {
	u := &s.up
	u.state.Store(int32(linkTransfer))
	defer func() {
		u.syncSize.Store(0)
		u.syncRead.Store(0)
	}()
	header, err := l.line(true)
	if err != nil {
		return fmt.Errorf("I/O error reading bulk count from MASTER: %v", err)
	}
	if strings.HasPrefix(header, "-") {
		return fmt.Errorf("MASTER aborted replication with an error: %s", header[1:])
	}
	if len(header) == 0 || header[0] != '$' {
		return fmt.Errorf("Bad protocol from MASTER, the first byte is not '$' (we received '%s'), are you sure the host and port are right?", header)
	}
	var data []byte
	if mark, ok := strings.CutPrefix(header, "$EOF:"); ok {
		if len(mark) != rdbEOFMarkLen {
			return fmt.Errorf("Bad EOF marker from MASTER: %q", header)
		}
		s.log.Noticef("MASTER <-> REPLICA sync: receiving streamed RDB from master with EOF to disk")
		u.syncSize.Store(-1)
		data, err = s.readUntilMark(l, []byte(mark))
	} else {
		n, perr := strconv.ParseInt(header[1:], 10, 64)
		if perr != nil || n < 0 {
			return fmt.Errorf("Bad bulk length from MASTER: %q", header)
		}
		s.log.Noticef("MASTER <-> REPLICA sync: receiving %d bytes from master to disk", n)
		u.syncSize.Store(n)
		data, err = s.readPayload(l, n)
	}
	if err != nil {
		return fmt.Errorf("I/O error trying to sync with MASTER: %v", err)
	}
	return s.installSync(cfg, data, id, start, stop)
}

// rdbEOFMarkLen is the length of a diskless transfer's end marker.
const rdbEOFMarkLen = 40

// readPayload reads n bytes of RDB file.
func (s *Server) readPayload(l *linkConn, n int64) ([]byte, error) {
	u := &s.up
	data := make([]byte, 0, min(n, 64<<20))
	buf := make([]byte, 1<<20)
	for int64(len(data)) < n {
		l.conn.SetReadDeadline(time.Now().Add(l.timeout))
		k, err := l.br.Read(buf[:min(int64(len(buf)), n-int64(len(data)))])
		data = append(data, buf[:k]...)
		u.progress(len(data))
		if err != nil {
			return nil, err
		}
	}
	return data, nil
}

// readUntilMark reads a diskless transfer: RDB bytes up to the end marker. The primary
// sends nothing after the marker until this replica's first ACK, so the marker is the
// last thing read.
func (s *Server) readUntilMark(l *linkConn, mark []byte) ([]byte, error) {
	u := &s.up
	var data []byte
	buf := make([]byte, 1<<20)
	for {
		l.conn.SetReadDeadline(time.Now().Add(l.timeout))
		k, err := l.br.Read(buf)
		data = append(data, buf[:k]...)
		u.progress(len(data))
		if bytes.HasSuffix(data, mark) {
			return data[:len(data)-len(mark)], nil
		}
		if err != nil {
			return nil, err
		}
	}
}

// installSync replaces the data set with the RDB file data (under every stripe, while
// other clients are answered -LOADING), makes (id, start) this server's history, and
// restarts the AOF from the new data set. With repl-diskless-load disabled the file is
// also saved as the RDB file first, as Redis's disk-based load; with swapdb a file that
// does not load leaves the old data set in place.
func (s *Server) installSync(cfg *conf.Config, data []byte, id string, start int64, stop chan struct{}) error {
	if cfg.ReplDisklessLoad == "disabled" {
		tmp := filepath.Join(cfg.Dir, fmt.Sprintf("temp-%d.%d.rdb", time.Now().Unix(), os.Getpid()))
		if err := aof.WriteFileSync(tmp, data); err != nil {
			s.log.Warningf("Opening the temp file needed for MASTER <-> REPLICA synchronization: %v", err)
		} else {
			s.renameMu.Lock()
			if err := os.Rename(tmp, rdbPath(cfg)); err != nil {
				os.Remove(tmp)
				s.log.Warningf("Failed trying to rename the temp DB into %s in MASTER <-> REPLICA synchronization: %v", cfg.Dbfilename, err)
			}
			s.renameMu.Unlock()
		}
	}
	if cfg.ReplDisklessLoad == "swapdb" {
		if _, err := rdb.LoadPrefix(data, s.eng.Limits(), rdb.LoadHandler{
			Key:      func(int, []byte, []byte, storage.Value, int64, rdb.Hint) error { return nil },
			Function: func(string) error { return nil },
		}); err != nil {
			return fmt.Errorf("Failed trying to load the MASTER synchronization DB from socket, keeping the old data set: %v", err)
		}
	}
	aofWasOn := s.aofLog.Load() != nil
	if aofWasOn {
		s.cfgMu.Lock()
		s.setAppendonly(false)
		s.cfgMu.Unlock()
	}
	s.log.Noticef("MASTER <-> REPLICA sync: Flushing old data")
	l := &s.loading
	l.start.Store(time.Now().Unix())
	l.on.Store(true)
	var all storage.LockSet
	all.AddAll()
	s.eng.Lock(&all)
	if b := s.snapshot.Load(); b != nil {
		for slot := range len(b.pending) {
			b.capture(s.eng, slot)
		}
	}
	for i := range s.eng.NumDBs() {
		s.dbReplaced(i, nil)
	}
	s.eng.FlushAll()
	st := &s.scripts
	st.mu.Lock()
	st.funcs = functionRegistry{}
	st.mu.Unlock()
	s.log.Noticef("MASTER <-> REPLICA sync: Loading DB in memory")
	streamDB := 0
	_, err := s.loadRDBData(data, func(k, v string) {
		if k == "repl-stream-db" {
			streamDB, _ = strconv.Atoi(v)
		}
	})
	if err == nil {
		r := &s.repl
		r.mu.Lock()
		select {
		case <-stop:
			// REPLICAOF changed during the load: the data set is the old primary's,
			// but its history is not this server's to continue.
			r.setHistory(repl.NewID(), 0, int(cfg.ReplBacklogSize))
		default:
			r.setHistory(id, start, int(cfg.ReplBacklogSize))
			r.streamDB = min(max(streamDB, 0), s.eng.NumDBs()-1)
		}
		r.mu.Unlock()
	}
	s.eng.Unlock(&all)
	l.on.Store(false)
	if err != nil {
		return fmt.Errorf("Failed trying to load the MASTER synchronization DB from disk: %v", err)
	}
	s.disconnectReplicas()
	if aofWasOn {
		s.cfgMu.Lock()
		if err := s.setAppendonly(true); err != nil {
			s.log.Warningf("Failed enabling the AOF after successful master synchronization: %v", err)
		}
		s.cfgMu.Unlock()
	}
	s.log.Noticef("MASTER <-> REPLICA sync: Finished with success")
	return nil
}

// applyStream applies the primary's commands until the link breaks.
func (s *Server) applyStream(l *linkConn, cfg *conf.Config) error {
	u := &s.up
	pc := s.primaryClient(l.conn)
	r := &s.repl
	r.mu.Lock()
	pc.selectDB(r.streamDB)
	r.mu.Unlock()
	u.mu.Lock()
	u.client = pc
	u.mu.Unlock()
	s.mu.Lock()
	s.clients[pc.id] = pc
	s.mu.Unlock()
	defer func() {
		pc.discardMulti()
		s.mu.Lock()
		delete(s.clients, pc.id)
		s.mu.Unlock()
	}()
	u.state.Store(int32(linkConnected))
	u.downSince.Store(0)
	s.sendAck() // at once: a diskless primary starts the stream on the first ACK
	// The server's own request parser: arguments alias its buffer (handlers copy what
	// they keep, as for any client), and Raw is each command's exact bytes. The query
	// buffer limit does not apply to a primary, as in Redis.
	rd := resp.NewReader(l.br, resp.Limits{MaxBulkLen: cfg.ProtoMaxBulkLen, MaxQueryBuf: math.MaxInt64})
	// The stream comes in large reads of many commands: their keys are prefetched a
	// window at a time, as a client's pipelined batch is (without it, a replica
	// applying SETs on random keys spent half its time waiting for cache misses).
	ahead := 0
	for {
		req, ok, err := rd.Next()
		if err != nil {
			return fmt.Errorf("Protocol error in the stream from MASTER, closing the link: %v", err)
		}
		if !ok {
			l.conn.SetReadDeadline(time.Now().Add(l.timeout))
			if err := rd.Fill(); err != nil {
				return err
			}
			now := time.Now()
			u.lastIO.Store(now.Unix())
			pc.lastSeen.Store(monoMs())
			ahead = pc.prefetchFrom(rd, nil)
			continue
		}
		if req.Inline {
			return fmt.Errorf("Protocol error in the stream from MASTER (an inline command %q at offset %d), closing the link",
				req.Raw[:min(len(req.Raw), 64)], u.readOff.Load())
		}
		if !l.lockApply() {
			return errLinkEnded
		}
		u.readOff.Add(int64(len(req.Raw)))
		pc.raw = append(pc.raw, req.Raw...)
		if msg := s.replay(pc, req.Args); msg != "" {
			s.log.Warningf("== CRITICAL == This replica is unable to run a command of its master: %s", msg)
		}
		s.feedFromPrimary(pc)
		u.apply.Unlock()
		pc.prefetchNext(rd, &ahead)
	}
}

// primaryClient is the client the primary's stream runs on: it obeys (no checks; keys
// past their expire stay until the primary deletes them), and its replies are dropped.
func (s *Server) primaryClient(conn net.Conn) *Client {
	c := s.internalClient()
	c.id = s.nextID.Add(1)
	c.waker = make(chan struct{}, 1)
	c.replaying = false
	c.primary = true
	c.conn = conn
	c.db = c.db.Obeying()
	c.created = time.Now()
	c.info = clientInfo{proto: 2, user: "default", addr: conn.RemoteAddr().String(), laddr: conn.LocalAddr().String(), flags: "M"}
	return c
}

// feedFromPrimary passes the stream the primary's client applied on to this server's
// backlog and replicas, once it is outside a transaction. The caller holds the stripes
// of what the commands changed, if any.
func (s *Server) feedFromPrimary(c *Client) {
	if c.multi != nil || len(c.raw) == 0 {
		return
	}
	r := &s.repl
	r.mu.Lock()
	if r.backlog != nil {
		r.appendLocked(c.raw)
	}
	r.streamDB = c.db.ID()
	r.mu.Unlock()
	c.raw = c.raw[:0]
}

// sendAck sends REPLCONF ACK with the offset applied (every second, and when the
// primary asks with GETACK).
func (s *Server) sendAck() {
	u := &s.up
	u.mu.Lock()
	conn := u.conn
	u.mu.Unlock()
	if conn == nil || u.linkState() != linkConnected {
		return
	}
	off := strconv.FormatInt(s.replOffset(), 10)
	b := []byte("*3\r\n$8\r\nREPLCONF\r\n$3\r\nACK\r\n$" + strconv.Itoa(len(off)) + "\r\n" + off + "\r\n")
	if err := s.writeLink(conn, b, time.Duration(s.config().ReplTimeout)*time.Second); err != nil {
		conn.Close()
	}
}

// writeReplicaInfo writes INFO replication's replica fields.
func (s *Server) writeReplicaInfo(w infoWriter, cfg *conf.Config) {
	u := &s.up
	u.mu.Lock()
	host, port := u.host, u.port
	u.mu.Unlock()
	st := u.linkState()
	now := time.Now().Unix()
	w.kv("master_host", host)
	w.kv("master_port", port)
	w.kv("master_link_status", map[bool]string{true: "up", false: "down"}[st == linkConnected])
	lastIO := int64(-1)
	if st == linkConnected {
		lastIO = now - u.lastIO.Load()
	}
	w.kv("master_last_io_seconds_ago", lastIO)
	w.kv("master_sync_in_progress", b2i(st == linkTransfer))
	w.kv("slave_read_repl_offset", u.readOff.Load())
	w.kv("slave_repl_offset", s.replOffset())
	if st == linkTransfer {
		size, read := u.syncSize.Load(), u.syncRead.Load()
		perc, left := 0.0, int64(0)
		if size > 0 {
			perc, left = float64(read)*100/float64(size), size-read
		}
		w.kv("master_sync_total_bytes", size)
		w.kv("master_sync_read_bytes", read)
		w.kv("master_sync_left_bytes", left)
		w.kv("master_sync_perc", strconv.FormatFloat(perc, 'f', 2, 64))
		w.kv("master_sync_last_io_seconds_ago", now-u.syncLastIO.Load())
	}
	if st != linkConnected {
		down := int64(-1)
		if t := u.downSince.Load(); t != 0 {
			down = now - t
		}
		w.kv("master_link_down_since_seconds", down)
	}
	w.kv("slave_priority", cfg.ReplicaPriority)
	w.kv("slave_read_only", b2i(cfg.ReplicaReadOnly))
	w.kv("replica_announced", b2i(cfg.ReplicaAnnounced))
}
