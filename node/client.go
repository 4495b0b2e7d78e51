package node

import (
	"net"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"
	"unsafe"

	"github.com/shoal-db/shoal/node/resp"
	"github.com/shoal-db/shoal/slots"
	"github.com/shoal-db/shoal/storage"
	"github.com/shoal-db/shoal/storage/aof"
)

// Client is one connection's state. Its fields are owned by the connection's goroutine
// unless noted; other goroutines (CLIENT LIST/KILL, the cron) read only the fields
// marked "shared".
type Client struct {
	s    *Server
	id   int64
	conn net.Conn
	rd   *resp.Reader
	w    resp.Writer // replies of the current pipeline batch
	// batch counts the commands run since the last read (serve); ahead, the requests
	// left in the current prefetch window (prefetchFrom), or aheadPending; skipRuns, the
	// batches still to start without a scan (skipRunBatches).
	batch, ahead, skipRuns int
	// A pipeline mostly repeats one command on one key: the last command name looked up
	// and the last key hashed, as received, with what they gave (see lookupCmd, keySlot).
	seenName memo
	seenCmd  *Command
	seenKey  memo
	seenSlot int

	// The command being executed.
	args [][]byte
	cmd  *Command

	db       *storage.DB
	locks    storage.LockSet
	keyIdx   []int // argument indices of the command's keys (lockKeys commands)
	keySlots []int // their hash slots, index-aligned with keyIdx
	routed   bool  // keyIdx/keySlots were filled for this command by the redirect check
	dirty    int64 // changes made by the current command (addDirty)
	// clockAt is when the previous command of the current batch ended, or when the read
	// that brought the batch returned (monotonic), or 0: the next command's start (see
	// commandStart).
	clockAt time.Duration

	// Propagation (propagate.go): what the top-level command propagates, the current
	// command's rewrite or its opting out, and the AOF offset its replies wait for.
	prop       []aof.Cmd
	propAs     [][]byte
	propNone   bool
	aofOff     int64
	safeOff    int64       // shard-durability safe: the stream offset a replica must ack before the replies go
	oomAtStart bool        // the memory total was over maxmemory when the command began
	replica    *replica    // the replica link this connection became (PSYNC), nil if none
	isReplica  atomic.Bool // shared: replica != nil
	replPort   int         // REPLCONF listening-port
	replIP     string      // REPLCONF ip-address
	replEOF    bool        // REPLCONF capa eof
	// primary marks the client a replica applies its primary's stream on (Redis's
	// CLIENT_MASTER): it obeys, like replaying, and raw collects the stream it applied
	// until it is passed on (feedFromPrimary).
	primary bool
	raw     []byte
	// Cluster mode: ASKING (for the next command, or the transaction being queued) and
	// READONLY.
	asking, readOnly bool
	importing        string   // the slot move this connection imports for (CLUSTER SYNCSLOTS), "" if none
	routeKeys        [][]byte // reused by the redirect check
	replOff          int64    // the replication offset after this client's last write (WAIT)
	// replaying marks a client whose commands are replayed, not checked (AOF loading):
	// Redis's mustObeyClient.
	replaying bool

	// held is set by a caller that runs commands while it holds every stripe they can
	// touch (EXEC, scripts): the executor takes no locks, handlers that lock slots
	// themselves use c.lockSlot (a no-op then), and blocking commands answer as if their
	// timeout had passed at once, as Redis does inside MULTI and scripts. The caller
	// runs s.serveReady once it has released the stripes.
	held bool

	proto atomic.Int32 // shared: protocol of replies and pushes (2 or 3)
	out   *outbox      // asynchronous output, set once the client subscribes (see outbox.go)
	// sharedOut is out for other goroutines (CLIENT LIST); publishers use out, which
	// they reach through the registry's lock.
	sharedOut atomic.Pointer[outbox]

	subs     *subscriptions  // pub/sub subscriptions, nil before the first
	nSub     [3]atomic.Int32 // shared: subscriptions by kind (CLIENT LIST sub/psub/ssub)
	subCount atomic.Int32    // shared: all subscriptions

	user       atomic.Pointer[userRef] // shared: the authenticated user
	monitoring atomic.Bool             // shared: in MONITOR mode
	fromScript bool                    // a script's fake client (MONITOR shows "lua")
	softSince  int64                   // Unix s its replies first passed the normal soft limit
	tracking   *clientTracking         // CLIENT TRACKING options, nil when off
	// Invalidations of keys the client changed itself, sent after its reply.
	pendingInvalidations [][]byte
	hasPendingInval      bool
	trackingOn           atomic.Bool // shared: tracking is on (CLIENT LIST flag t)

	multi         *multiState  // open transaction (MULTI), nil outside
	watched       []blockKey   // WATCHed keys
	watchDirty    atomic.Bool  // shared: a watched key changed
	multiLen      atomic.Int64 // shared: commands queued, -1 outside MULTI (CLIENT LIST)
	authenticated bool
	closeAfter    bool // close once the current replies are flushed (QUIT, protocol errors)
	noEvict       bool
	noTouch       bool

	info     clientInfo // shared, under infoMu
	infoMu   sync.Mutex
	created  time.Time
	lastSeen atomic.Int64            // shared: when the last request came (monoMs)
	killed   atomic.Bool             // shared: CLIENT KILL asked to close
	blocked  atomic.Bool             // shared: in a blocking command
	lastCmd  atomic.Pointer[Command] // shared: for CLIENT LIST
	waker    chan struct{}

	// Set by block() in a handler, consumed by the executor (see blocking.go).
	parked    *waiter
	onTimeout func(c *Client)
}

// clientInfo is what CLIENT LIST shows and other goroutines read.
type clientInfo struct {
	name    string
	libName string
	libVer  string
	dbIndex int
	proto   int
	user    string
	flags   string
	addr    string
	laddr   string
	unix    bool
}

// obeys reports whether the client's commands are replayed rather than checked: AOF
// loading, or a replica's primary (Redis's mustObeyClient).
func (c *Client) obeys() bool { return c.replaying || c.primary }

func (c *Client) setInfo(f func(i *clientInfo)) {
	c.infoMu.Lock()
	f(&c.info)
	c.infoMu.Unlock()
}

func (c *Client) getInfo() clientInfo {
	c.infoMu.Lock()
	defer c.infoMu.Unlock()
	return c.info
}

// Reply helpers. All write into the client's pending batch.

// OK writes +OK.
func (c *Client) OK() { c.w.OK() }

// Err writes an error reply (msg with its prefix, e.g. "ERR syntax error") and counts it
// in INFO errorstats.
func (c *Client) Err(msg string) {
	c.s.stats.countError(msg)
	if c.cmd != nil {
		c.cmd.failed.Add(1)
	}
	c.w.Error(msg)
}

// ErrFor writes a storage or protocol error returned as a Go error.
func (c *Client) ErrFor(err error) { c.Err(errorReply(err)) }

// Common Redis 7.0 error replies.
const (
	errSyntax       = "ERR syntax error"
	errNotInt       = "ERR value is not an integer or out of range"
	errNotFloat     = "ERR value is not a valid float"
	errWrongType    = "WRONGTYPE Operation against a key holding the wrong kind of value"
	errOverflow     = "ERR increment or decrement would overflow"
	errNoSuchKey    = "ERR no such key"
	errNoAuth       = "NOAUTH Authentication required."
	errDBIndex      = "ERR DB index is out of range"
	errIndexRange   = "ERR index out of range"
	errNotIntOrNeg  = "ERR value is out of range, must be positive"
	errBitOffset    = "ERR bit offset is not an integer or out of range"
	errMaxBulk      = "ERR string exceeds maximum allowed size (proto-max-bulk-len)"
	errNaN          = "ERR resulting score is not a number (NaN)"
	errInvalidPass  = "WRONGPASS invalid username-password pair or user is disabled."
	errTimeoutNeg   = "ERR timeout is negative"
	errTimeoutFloat = "ERR timeout is not a float or out of range"
)

func errorReply(err error) string {
	if err == storage.ErrWrongType {
		return errWrongType
	}
	return err.Error()
}

// wrongArgs is Redis's arity error for a command.
func wrongArgs(fullName string) string {
	return "ERR wrong number of arguments for '" + fullName + "' command"
}

// lockSlot takes the stripe of slot for a handler with lock policy lockNone, unless the
// caller already holds every stripe (c.held). unlockSlot undoes it.
func (c *Client) lockSlot(slot int) {
	if !c.held {
		c.s.eng.LockSlot(slot)
	}
}

func (c *Client) unlockSlot(slot int) {
	if !c.held {
		c.s.eng.UnlockSlot(slot)
	}
}

// Argument helpers.

// slot returns the hash slot of key, reusing the one the executor computed when key is
// one of the command's key arguments (so a key is hashed once per command).
func (c *Client) slot(key []byte) int {
	if len(key) > 0 {
		p := unsafe.SliceData(key)
		for i, idx := range c.keyIdx {
			if a := c.args[idx]; unsafe.SliceData(a) == p && len(a) == len(key) {
				return c.keySlots[i]
			}
		}
	}
	return slots.KeySlot(key)
}

// intArg parses args[i] as a Redis integer, writing the standard error when it is not.
func (c *Client) intArg(i int) (int64, bool) {
	n, ok := storage.ParseInt(c.args[i])
	if !ok {
		c.Err(errNotInt)
	}
	return n, ok
}

// floatArg parses args[i] as a double, writing the standard error when it is not.
func (c *Client) floatArg(i int) (float64, bool) {
	f, ok := storage.ParseFloat(c.args[i])
	if !ok {
		c.Err(errNotFloat)
	}
	return f, ok
}

// is reports whether args[i] equals word, case-insensitively (word in upper case).
func (c *Client) is(i int, word string) bool { return equalFold(c.args[i], word) }

func equalFold(b []byte, upper string) bool {
	if len(b) != len(upper) {
		return false
	}
	for i := range b {
		ch := b[i]
		if 'a' <= ch && ch <= 'z' {
			ch -= 'a' - 'A'
		}
		if ch != upper[i] {
			return false
		}
	}
	return true
}

// listLine renders one CLIENT LIST / CLIENT INFO line (without the newline).
func (c *Client) listLine(now time.Time) string {
	i := c.getInfo()
	var b strings.Builder
	idle := monoMs() - c.lastSeen.Load()
	flags := i.flags
	if c.monitoring.Load() {
		flags += "O"
	}
	if c.subscribed() {
		flags += "P"
	}
	multi := c.multiLen.Load()
	if multi >= 0 {
		flags += "x"
	}
	if c.blocked.Load() {
		flags += "b"
	}
	if c.trackingOn.Load() {
		flags += "t"
	}
	if c.isReplica.Load() {
		flags += "S"
	}
	if flags == "" {
		flags = "N"
	}
	fd := 8
	addr := i.addr
	if i.unix {
		addr = "/tmp/redis.sock:0"
	}
	b.WriteString("id=" + strconv.FormatInt(c.id, 10))
	b.WriteString(" addr=" + addr)
	b.WriteString(" laddr=" + i.laddr)
	b.WriteString(" fd=" + strconv.Itoa(fd))
	b.WriteString(" name=" + i.name)
	b.WriteString(" age=" + strconv.FormatInt(int64(now.Sub(c.created)/time.Second), 10))
	b.WriteString(" idle=" + strconv.FormatInt(idle/1000, 10))
	b.WriteString(" flags=" + flags)
	b.WriteString(" db=" + strconv.Itoa(i.dbIndex))
	b.WriteString(" sub=" + strconv.Itoa(int(c.nSub[kindChannel].Load())))
	b.WriteString(" psub=" + strconv.Itoa(int(c.nSub[kindPattern].Load())))
	b.WriteString(" ssub=" + strconv.Itoa(int(c.nSub[kindShard].Load())))
	b.WriteString(" multi=" + strconv.FormatInt(multi, 10))
	omem := 0
	if o := c.sharedOut.Load(); o != nil {
		omem = o.pending()
	}
	b.WriteString(" qbuf=0 qbuf-free=0 argv-mem=0 multi-mem=0 rbs=16384 rbp=0 obl=0 oll=0 omem=" + strconv.Itoa(omem) + " tot-mem=0 events=r")
	last := "NULL"
	if lc := c.lastCmd.Load(); lc != nil {
		last = lc.FullName
	}
	b.WriteString(" cmd=" + last)
	b.WriteString(" user=" + i.user)
	b.WriteString(" redir=-1 resp=" + strconv.Itoa(i.proto))
	b.WriteString(" lib-name=" + i.libName + " lib-ver=" + i.libVer)
	return b.String()
}
