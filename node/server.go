package node

import (
	"crypto/rand"
	"crypto/tls"
	"encoding/hex"
	"errors"
	"fmt"
	"net"
	"os"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/shoal-db/shoal/gossip"
	"github.com/shoal-db/shoal/node/conf"
	"github.com/shoal-db/shoal/node/repl"
	"github.com/shoal-db/shoal/storage"
	"github.com/shoal-db/shoal/storage/aof"
)

// Version is the Redis version shoal reports (INFO redis_version, HELLO): the Redis
// release whose behaviour it follows.
const Version = "7.0.15"

// ShoalVersion is shoal's own release.
const ShoalVersion = "0.1.0"

// Options are a server's injected dependencies.
type Options struct {
	Log *Logger // default: notice level to stdout
	// BeforeLoad, if set, runs when Start begins loading the data set, listeners open
	// and clients answered -LOADING (a test seam: it can hold the server in that state).
	BeforeLoad func()
	// Faults, if set, carries every connection the node makes and its gossip (tests
	// of partitions: internal/faults).
	Faults gossip.Faults
	// Fsync, if set, replaces the AOF's fsync (tests of slow or failing disks).
	Fsync func(*os.File) error
}

// Server is one data node. New builds it, Start opens its listeners, Close stops it.
type Server struct {
	migrateConns migrateCache // MIGRATE's connections to targets
	bus          busState     // PUBLISH forwarded to other nodes (cluster mode)
	lease        leaseState   // the write lease of a primary (cluster mode)
	cfg          atomic.Pointer[conf.Config]
	cfgMu        sync.Mutex // serializes CONFIG SET / REWRITE
	log          *Logger
	opt          Options
	eng          *storage.Engine
	table        *Table
	stats        stats
	runID        string
	start        time.Time
	limits       *storage.Limits

	mu              sync.Mutex // guards listeners, clients, closed
	listeners       []net.Listener
	clients         map[int64]*Client
	nextID          atomic.Int64
	closed          bool
	wg              sync.WaitGroup // every goroutine the server starts
	trackMu         sync.Mutex     // orders goTracked's wg.Add before Close's wg.Wait
	untracked       bool           // Close waits: goTracked starts nothing more (trackMu)
	stop            chan struct{}
	shutdown        chan struct{} // closed when SHUTDOWN asks the process to exit
	lastSave        atomic.Int64
	peakMem         atomic.Int64
	slowlog         slowlog
	blocking        blockRegistry
	latency         latencyMonitor
	watches         watchRegistry
	pubsub          pubsubRegistry
	scripts         scriptState
	monitors        monitorRegistry
	pause           pauseState
	fo              failoverState // FAILOVER (failover_cmd.go)
	tracking        trackingState
	tlsAddr         string // the TLS listener's address
	persist         persistStats
	snapshot        atomic.Pointer[bgsave]  // the background save running, nil if none
	moving          atomic.Pointer[mover]   // the slot move this node sends, nil if none (move.go)
	movers          moverSet                // slot moves this node runs as their source
	foreignPending  atomic.Bool             // a look for keys of slots not owned is due (move_import.go)
	aofLog          atomic.Pointer[aof.Log] // the AOF being appended to, nil when off
	aof             aofState
	loading         loadState
	evict           evictState
	repl            replState
	up              upstream // the replica side: the primary this server follows
	cluster         clusterState
	roleMu          sync.Mutex  // orders the replication role changes topologies ask for
	noActiveExpire  atomic.Bool // DEBUG SET-ACTIVE-EXPIRE 0
	renameMu        sync.Mutex  // orders installing snapshot files (persist.go, bgsave.go)
	acl             aclState
	lastRequirepass string       // requirepass as last applied to the default user
	notifyFlags     atomic.Int32 // notify-keyspace-events as ev* bits
}

// New builds a server from cfg. It opens nothing; see Start.
func New(cfg *conf.Config, opt Options) (*Server, error) {
	if cfg == nil {
		cfg = conf.Default()
	}
	if opt.Log == nil {
		opt.Log = NewLogger(os.Stdout, ParseLevel(cfg.Loglevel))
	}
	var id [20]byte
	if _, err := rand.Read(id[:]); err != nil {
		return nil, err
	}
	s := &Server{
		log:      opt.Log,
		opt:      opt,
		runID:    hex.EncodeToString(id[:]),
		start:    time.Now(),
		clients:  map[int64]*Client{},
		stop:     make(chan struct{}),
		shutdown: make(chan struct{}),
		limits:   storage.DefaultLimits(),
	}
	s.lease.kick = make(chan struct{}, 1)
	s.cfg.Store(cfg)
	s.applyLimits(cfg)
	s.eng = storage.New(storage.Options{Databases: cfg.Databases, Limits: s.limits, OnExpire: s.keyExpired,
		OnNew:  func(db int, key []byte) { s.keyEvent(db, evNew, "new", key) },
		OnMiss: func(db int, key []byte) { s.keyEvent(db, evKeyMiss, "keymiss", key) }})
	s.applyMemoryConfig(cfg)
	s.table = newTable(allDefs())
	if err := s.initACL(cfg); err != nil {
		return nil, err
	}
	if err := s.initCluster(cfg); err != nil {
		return nil, err
	}
	s.table.assignACLIDs(s.acl.reg)
	s.persist.lastOK.Store(true)
	s.aof.lastSec.Store(-1)
	s.repl.id = repl.NewID()
	s.repl.id2, s.repl.off2 = zeroID, -1
	s.repl.acked = sync.NewCond(&s.repl.mu)
	for _, r := range cfg.RenameCommands {
		if err := s.table.rename(r[0], r[1]); err != nil {
			return nil, fmt.Errorf("rename-command %s: %v", r[0], err)
		}
	}
	s.lastRequirepass = cfg.Requirepass
	s.lastSave.Store(time.Now().Unix())
	s.slowlog.init()
	s.latency.init()
	return s, nil
}

// config returns the current configuration snapshot.
func (s *Server) config() *conf.Config { return s.cfg.Load() }

// applyLimits copies the encoding thresholds of cfg into the engine's live limits.
func (s *Server) applyLimits(cfg *conf.Config) {
	s.notifyFlags.Store(int32(parseNotifyFlags(cfg.NotifyKeyspaceEvents)))
	l := s.limits
	l.HashMaxListpackEntries.Store(cfg.HashMaxListpackEntries)
	l.HashMaxListpackValue.Store(cfg.HashMaxListpackValue)
	l.SetMaxIntsetEntries.Store(cfg.SetMaxIntsetEntries)
	l.ZsetMaxListpackEntries.Store(cfg.ZsetMaxListpackEntries)
	l.ZsetMaxListpackValue.Store(cfg.ZsetMaxListpackValue)
	l.ListMaxListpackSize.Store(cfg.ListMaxListpackSize)
	l.ListCompressDepth.Store(cfg.ListCompressDepth)
}

// listenTCP listens on port at every bind address ("-" prefix: optional).
func (s *Server) listenTCP(cfg *conf.Config, portNum int) ([]net.Listener, error) {
	var lns []net.Listener
	port := strconv.Itoa(portNum)
	binds := cfg.Bind
	if len(binds) == 0 {
		binds = []string{"*", "-::*"}
	}
	for _, b := range binds {
		optional := strings.HasPrefix(b, "-")
		host := strings.TrimPrefix(b, "-")
		network := "tcp"
		switch host {
		case "*":
			host, network = "0.0.0.0", "tcp4"
		case "::*":
			host, network = "::", "tcp6"
		}
		ln, err := net.Listen(network, net.JoinHostPort(host, port))
		if err != nil {
			if optional {
				s.log.Verbosef("Could not listen on optional address %s: %v", b, err)
				continue
			}
			for _, l := range lns {
				l.Close()
			}
			return nil, fmt.Errorf("Could not create server TCP listening socket %s: %w", net.JoinHostPort(host, port), err)
		}
		lns = append(lns, ln)
		if port == "0" { // every address shares the first one's ephemeral port
			port = strconv.Itoa(ln.Addr().(*net.TCPAddr).Port)
		}
	}
	return lns, nil
}

// Engine exposes the storage engine (tests, persistence).
func (s *Server) Engine() *storage.Engine { return s.eng }

// Start opens the configured listeners (TCP on every bind address at port, and the Unix
// socket if set) and serves them in the background. An address prefixed with '-' in
// bind is optional: failing to listen on it is not an error, as in Redis.
func (s *Server) Start() error {
	cfg := s.config()
	var lns []net.Listener
	fail := func(err error) error {
		for _, ln := range lns {
			ln.Close()
		}
		return err
	}
	if err := tlsPortsClash(cfg); err != nil {
		return err
	}
	// Port 0 alongside a TLS port means TLS only, as in Redis; alone it still listens
	// (on an ephemeral port), so a server always has somewhere to serve.
	if cfg.Port != 0 || cfg.TLSPort == 0 {
		tcp, err := s.listenTCP(cfg, cfg.Port)
		if err != nil {
			return fail(err)
		}
		lns = append(lns, tcp...)
	}
	if cfg.TLSPort != 0 {
		tc, err := tlsConfig(cfg)
		if err != nil {
			return fail(err)
		}
		tlns, err := s.listenTCP(cfg, cfg.TLSPort)
		if err != nil {
			return fail(err)
		}
		for _, ln := range tlns {
			lns = append(lns, tls.NewListener(ln, tc))
		}
		s.mu.Lock()
		s.tlsAddr = tlns[0].Addr().String()
		s.mu.Unlock()
	}
	if cfg.Unixsocket != "" {
		os.Remove(cfg.Unixsocket)
		ln, err := net.Listen("unix", cfg.Unixsocket)
		if err != nil {
			return fail(fmt.Errorf("Failed opening Unix socket: %w", err))
		}
		if cfg.Unixsocketperm != 0 {
			if err := os.Chmod(cfg.Unixsocket, os.FileMode(cfg.Unixsocketperm)); err != nil {
				ln.Close()
				return fail(err)
			}
		}
		lns = append(lns, ln)
	}
	if len(lns) == 0 {
		return errors.New("Configured to not listen anywhere, exiting.")
	}
	s.mu.Lock()
	s.listeners = lns
	s.mu.Unlock()
	// Clients connect while the data loads, and are answered -LOADING (see loadData).
	s.loading.on.Store(true)
	for _, ln := range lns {
		s.goTracked(func() { s.acceptLoop(ln) })
	}
	if err := s.loadData(cfg); err != nil {
		s.Close()
		return err
	}
	if s.cluster.enabled {
		if err := s.startGossip(cfg); err != nil {
			s.Close()
			return err
		}
	}
	s.goTracked(s.cron)
	if cfg.MasterHost != "" {
		s.follow(cfg.MasterHost, cfg.MasterPort)
	}
	for _, ln := range lns {
		s.log.Noticef("Ready to accept connections %s", ln.Addr().Network()+" "+ln.Addr().String())
	}
	return nil
}

// goTracked starts fn in a goroutine that Close waits for — unless Close is waiting
// already (a gossip message that arrived as the server closed, say): then fn does not
// run, since whatever it would do ends with the server.
func (s *Server) goTracked(fn func()) {
	s.trackMu.Lock()
	defer s.trackMu.Unlock()
	if s.untracked {
		return
	}
	s.wg.Add(1)
	go func() {
		defer s.wg.Done()
		fn()
	}()
}

// Addr is the first TCP listener's address (the port when started with port 0).
func (s *Server) Addr() net.Addr {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, ln := range s.listeners {
		if _, ok := ln.Addr().(*net.TCPAddr); ok {
			return ln.Addr()
		}
	}
	return nil
}

// ShutdownRequested is closed when a client ran SHUTDOWN; the process should Close and
// exit.
func (s *Server) ShutdownRequested() <-chan struct{} { return s.shutdown }

// Close stops the listeners, disconnects every client and waits for every goroutine the
// server started.
func (s *Server) Close() error {
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return nil
	}
	s.closed = true
	close(s.stop)
	for _, ln := range s.listeners {
		ln.Close()
	}
	for _, c := range s.clients {
		c.conn.Close()
	}
	s.mu.Unlock()
	s.up.mu.Lock()
	s.endLinkLocked()
	s.up.mu.Unlock()
	if g := s.cluster.gossip.Load(); g != nil {
		g.Close()
	}
	s.trackMu.Lock()
	s.untracked = true
	s.trackMu.Unlock()
	s.wg.Wait()
	s.migrateConns.close()
	s.closeAOF()
	if sock := s.config().Unixsocket; sock != "" {
		os.Remove(sock)
	}
	return nil
}

func (s *Server) acceptLoop(ln net.Listener) {
	for {
		conn, err := ln.Accept()
		if err != nil {
			if errors.Is(err, net.ErrClosed) {
				return
			}
			s.log.Warningf("Accepting client connection: %v", err)
			select {
			case <-s.stop:
				return
			case <-time.After(10 * time.Millisecond):
			}
			continue
		}
		s.goTracked(func() { s.serveConn(conn) })
	}
}

// cron runs the periodic work: LRU clock, active expiry, client timeouts.
func (s *Server) cron() {
	hz := max(s.config().Hz, 1)
	tick := time.NewTicker(time.Second / time.Duration(hz))
	defer tick.Stop()
	var exp expireCycle
	var lastRepl replTimes
	for {
		select {
		case <-s.stop:
			return
		case <-tick.C:
		}
		s.eng.TickLRU()
		cfg := s.config()
		if !s.eng.Replica() && !s.noActiveExpire.Load() { // a replica's keys expire when its primary says so
			exp.run(s.eng, cfg.ActiveExpireEffort, time.Second/time.Duration(max(cfg.Hz, 1)))
		}
		s.closeTimedOutClients(cfg)
		s.saveCron()
		s.aofCron(cfg)
		s.replCron(time.Now(), &lastRepl)
		if newHz := max(cfg.Hz, 1); newHz != hz {
			hz = newHz
			tick.Reset(time.Second / time.Duration(hz))
		}
	}
}

func (s *Server) closeTimedOutClients(cfg *conf.Config) {
	if cfg.Timeout <= 0 {
		return
	}
	limit := monoMs() - int64(cfg.Timeout)*1000
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, c := range s.clients {
		if c.lastSeen.Load() < limit && !c.blocked.Load() && !c.subscribed() && !c.isReplica.Load() && !c.primary {
			s.log.Verbosef("Closing idle client")
			c.conn.Close()
		}
	}
}

// dial is how the node connects to another server (a primary, a slot move's or
// MIGRATE's target): through its fault injection when it has one, nil otherwise (use
// it with gossip.Dial and gossip.DialTimeout).
func (s *Server) dial() gossip.DialFunc { return gossip.DialOf(s.opt.Faults) }
