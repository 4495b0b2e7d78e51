package conf

import (
	"github.com/shoal-db/shoal/node/glob"

	"errors"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"
)

// Client classes indexing Config.ClientOutputBufferLimit.
const (
	ClassNormal  = iota // normal clients
	ClassReplica        // replicas ("slave" in Redis's output)
	ClassPubSub         // clients subscribed to a channel or pattern
)

// BufferLimit is one class of client-output-buffer-limit: a client is disconnected once
// its output buffer reaches Hard bytes, or stays at Soft bytes or more for SoftSeconds.
// Zero disables a limit.
type BufferLimit struct {
	Hard, Soft  uint64
	SoftSeconds int64
}

// Over reports whether a buffer of used bytes is past the limit: at Hard or more, or
// at Soft or more for longer than SoftSeconds since *softSince (the Unix second it
// first was; 0 while below Soft, which Over maintains).
func (l BufferLimit) Over(used uint64, softSince *int64) bool {
	if l.Hard > 0 && used >= l.Hard {
		return true
	}
	if l.Soft == 0 || used < l.Soft {
		*softSince = 0
		return false
	}
	now := time.Now().Unix()
	if *softSince == 0 {
		*softSince = now
		return false
	}
	return now-*softSince > l.SoftSeconds
}

// Config is one immutable snapshot of every directive. Readers hold a *Config and never
// see it change; CONFIG SET builds a new one (Set) and the server swaps it atomically.
// Slices in it are shared between snapshots and must not be modified.
//
// The typed fields are the directives the server reads, named after the directive; every
// other directive is still kept (CONFIG GET shows it, CONFIG REWRITE writes it).
type Config struct {
	// Network.
	Port           int      // port: TCP port, 0 = no TCP listener
	Bind           []string // bind: addresses ("-" prefix: optional); empty = all interfaces
	ProtectedMode  bool     // protected-mode
	Unixsocket     string   // unixsocket: "" = none
	Unixsocketperm uint32   // unixsocketperm (octal in the file and in CONFIG GET)
	Timeout        int      // timeout: idle client timeout in seconds, 0 = never
	TCPKeepalive   int      // tcp-keepalive, seconds
	TCPBacklog     int      // tcp-backlog
	MaxClients     int      // maxclients

	// TLS.
	TLSPort         int    // tls-port: 0 = no TLS listener
	TLSCertFile     string // tls-cert-file
	TLSKeyFile      string // tls-key-file
	TLSCACertFile   string // tls-ca-cert-file
	TLSCACertDir    string // tls-ca-cert-dir
	TLSAuthClients  string // tls-auth-clients: yes|no|optional
	TLSProtocols    string // tls-protocols: "TLSv1.2 TLSv1.3" (empty: both)
	TLSCiphers      string // tls-ciphers: TLS 1.2 suites, OpenSSL names separated by ':'
	TLSCiphersuites string // tls-ciphersuites: TLS 1.3 suites, separated by ':'

	// Security.
	Requirepass            string // requirepass: "" = none
	EnableProtectedConfigs string // enable-protected-configs: yes|no|local (see Allowed)
	EnableDebugCommand     string // enable-debug-command: yes|no|local
	EnableModuleCommand    string // enable-module-command: yes|no|local
	Aclfile                string // aclfile
	AclPubsubDefault       string // acl-pubsub-default: allchannels|resetchannels
	AcllogMaxLen           int64  // acllog-max-len
	// Users are the "user <name> [rules…]" lines of the file, in order (name first).
	Users [][]string
	// RenameCommands are the "rename-command <name> <new-name>" lines, in order; an
	// empty new name removes the command.
	RenameCommands [][2]string

	// General.
	Daemonize          bool   // daemonize
	Pidfile            string // pidfile: "" = none
	Logfile            string // logfile: "" = standard output
	Loglevel           string // loglevel: debug|verbose|notice|warning
	Databases          int    // databases
	Hz                 int    // hz, already clamped to 1..500
	DynamicHz          bool   // dynamic-hz
	ActiveExpireEffort int    // active-expire-effort: 1..10
	Activerehashing    bool   // activerehashing
	ShutdownTimeout    int    // shutdown-timeout, seconds
	BusyReplyThreshold int64  // busy-reply-threshold (lua-time-limit), milliseconds

	// Limits and eviction.
	ProtoMaxBulkLen           int64          // proto-max-bulk-len, bytes
	ClientQueryBufferLimit    int64          // client-query-buffer-limit, bytes
	ClientOutputBufferLimit   [3]BufferLimit // client-output-buffer-limit, by Class*
	Maxmemory                 int64          // maxmemory, bytes (0 = none; saturates at MaxInt64)
	MaxmemoryPolicy           string         // maxmemory-policy
	MaxmemorySamples          int            // maxmemory-samples
	MaxmemoryEvictionTenacity int            // maxmemory-eviction-tenacity: 0..100
	MaxmemoryClients          int64          // maxmemory-clients: bytes, or -N for N percent of maxmemory
	LFULogFactor              int            // lfu-log-factor
	LFUDecayTime              int            // lfu-decay-time, minutes
	LazyfreeLazyEviction      bool           // lazyfree-lazy-eviction
	LazyfreeLazyExpire        bool           // lazyfree-lazy-expire
	LazyfreeLazyServerDel     bool           // lazyfree-lazy-server-del
	LazyfreeLazyUserDel       bool           // lazyfree-lazy-user-del
	LazyfreeLazyUserFlush     bool           // lazyfree-lazy-user-flush

	// Encodings.
	HashMaxListpackEntries int64 // hash-max-listpack-entries
	HashMaxListpackValue   int64 // hash-max-listpack-value, bytes
	SetMaxIntsetEntries    int64 // set-max-intset-entries
	ZsetMaxListpackEntries int64 // zset-max-listpack-entries
	ZsetMaxListpackValue   int64 // zset-max-listpack-value, bytes
	ListMaxListpackSize    int64 // list-max-listpack-size: > 0 entries, -1..-5 = 4kb..64kb
	ListCompressDepth      int64 // list-compress-depth
	StreamNodeMaxBytes     int64 // stream-node-max-bytes
	StreamNodeMaxEntries   int64 // stream-node-max-entries
	HllSparseMaxBytes      int64 // hll-sparse-max-bytes
	TrackingTableMaxKeys   int64 // tracking-table-max-keys

	// Persistence.
	Dir                      string     // dir: absolute, symlinks resolved; the server's working directory
	Dbfilename               string     // dbfilename
	Save                     [][2]int64 // save: (seconds, changes) points, empty = no snapshots
	Rdbcompression           bool       // rdbcompression
	Rdbchecksum              bool       // rdbchecksum
	StopWritesOnBgsaveError  bool       // stop-writes-on-bgsave-error
	Appendonly               bool       // appendonly
	Appendfilename           string     // appendfilename
	Appenddirname            string     // appenddirname
	Appendfsync              string     // appendfsync: always|everysec|no
	AofLoadTruncated         bool       // aof-load-truncated
	AofUseRdbPreamble        bool       // aof-use-rdb-preamble
	AofTimestampEnabled      bool       // aof-timestamp-enabled
	AutoAofRewritePercentage int64      // auto-aof-rewrite-percentage
	AutoAofRewriteMinSize    int64      // auto-aof-rewrite-min-size, bytes

	// Observability.
	SlowlogLogSlowerThan           int64     // slowlog-log-slower-than, microseconds (-1 = off)
	SlowlogMaxLen                  int64     // slowlog-max-len
	LatencyMonitorThreshold        int64     // latency-monitor-threshold, milliseconds
	LatencyTracking                bool      // latency-tracking
	LatencyTrackingInfoPercentiles []float64 // latency-tracking-info-percentiles
	NotifyKeyspaceEvents           string    // notify-keyspace-events, normalised ("AKE", "Ex", ...)

	// Replication and cluster.
	MasterHost                      string // replicaof host, "" = this is a master
	MasterPort                      int    // replicaof port
	Masterauth                      string // masterauth
	Masteruser                      string // masteruser
	ReplicaReadOnly                 bool   // replica-read-only
	ReplBacklogSize                 int64  // repl-backlog-size, bytes
	ReplPingReplicaPeriod           int    // repl-ping-replica-period, seconds
	ReplTimeout                     int    // repl-timeout, seconds
	ReplBacklogTTL                  int64  // repl-backlog-ttl, seconds
	ReplDisklessSync                bool   // repl-diskless-sync
	ReplDisableTCPNoDelay           bool   // repl-disable-tcp-nodelay
	ReplDisklessSyncDelay           int    // repl-diskless-sync-delay, seconds
	ReplDisklessSyncMax             int    // repl-diskless-sync-max-replicas (0 = no limit)
	ReplDisklessLoad                string // repl-diskless-load: disabled, on-empty-db, swapdb
	ReplicaServeStaleData           bool   // replica-serve-stale-data
	ReplicaIgnoreMaxmem             bool   // replica-ignore-maxmemory
	ReplicaPriority                 int    // replica-priority
	ReplicaAnnounceIP               string // replica-announce-ip
	ReplicaAnnouncePort             int    // replica-announce-port
	ReplicaAnnounced                bool   // replica-announced
	MinReplicasToWrite              int    // min-replicas-to-write
	MinReplicasMaxLag               int    // min-replicas-max-lag, seconds
	ClusterEnabled                  bool   // cluster-enabled
	ClusterConfigFile               string // cluster-config-file
	ClusterRequireFullCoverage      bool   // cluster-require-full-coverage
	ClusterAllowReadsWhenDown       bool   // cluster-allow-reads-when-down
	ClusterAllowPubSubShardWhenDown bool   // cluster-allow-pubsubshard-when-down
	ClusterPreferredEndpoint        string // cluster-preferred-endpoint-type
	ClusterPort                     int    // cluster-port (0: port+10000)
	ClusterAnnounceIP               string // cluster-announce-ip
	ClusterAnnounceBusPort          int    // cluster-announce-bus-port
	ClusterAnnouncePort             int    // cluster-announce-port
	ClusterAnnounceHostname         string // cluster-announce-hostname
	ClusterSecret                   string // cluster-secret (shoal's: the gossip's shared key)
	ClusterJoin                     string // cluster-join (shoal's): gossip addresses joined at start, space- or comma-separated
	ShardDurability                 string // shard-durability (shoal's): async or safe
	ShardDurabilityTimeout          int    // shard-durability-timeout (shoal's), ms
	MetricsPort                     int    // metrics-port (shoal's): HTTP metrics, 0 = none
	MovePauseBudget                 int    // move-pause-budget (shoal's), ms: a slot move's longest write pause

	vals []string // canonical (CONFIG GET) value of every directive, by registry index
	file string   // absolute path of the config file, "" if none
}

// Default returns the configuration of a redis-server started without a file: Redis's
// defaults, with dir the current working directory.
func Default() *Config {
	c := &Config{vals: make([]string, len(registry))}
	for i := range registry {
		c.vals[i] = registry[i].def
	}
	if wd, err := os.Getwd(); err == nil {
		if real, err := filepath.EvalSymlinks(wd); err == nil {
			wd = real
		}
		c.vals[byName["dir"].idx] = wd
	}
	c.derive()
	return c
}

// File is the absolute path of the configuration file Load read, "" if none.
func (c *Config) File() string { return c.file }

// clone copies c so that it can be changed without touching c.
func (c *Config) clone() *Config {
	n := *c
	n.vals = append([]string(nil), c.vals...)
	return &n
}

// derive fills the typed fields from the canonical values.
func (c *Config) derive() {
	for i := range registry {
		if b := registry[i].bind; b != nil {
			b(c, c.vals[i])
		}
	}
}

func (c *Config) val(name string) string { return c.vals[byName[name].idx] }

// Get answers CONFIG GET: flattened name/value pairs for the directives matching any of
// the patterns (Redis globs, case-insensitive), each name at most once. Aliases are names
// of their own, as in Redis 7.0 ("slaveof" and "replicaof" both match "*"). A pattern
// without * ? or [ is an exact lookup and answers under the name as given; hidden
// directives answer only such lookups. Get never fails: no match is an empty slice.
func (c *Config) Get(patterns ...string) []string {
	var out []string
	seen := make(map[string]bool)
	for _, p := range patterns {
		if !strings.ContainsAny(p, "*?[") {
			if d := lookup(p); d != nil && !seen[strings.ToLower(p)] {
				seen[strings.ToLower(p)] = true
				out = append(out, p, c.vals[d.idx])
			}
			continue
		}
		for i := range registry {
			d := &registry[i]
			if d.flags&fHidden != 0 {
				continue
			}
			for _, name := range [2]string{d.name, d.alias} {
				if name != "" && !seen[name] && globMatch(p, name) {
					seen[name] = true
					out = append(out, name, c.vals[i])
				}
			}
		}
	}
	return out
}

// Set answers CONFIG SET name value [name value ...] for a client that is not local: see
// SetFrom.
func (c *Config) Set(pairs [][2]string) (*Config, error) { return c.SetFrom(pairs, false) }

// SetFrom answers CONFIG SET for a client; local reports whether it connected over a
// loopback address or the unix socket, which matters when enable-protected-configs is
// "local". It is all-or-nothing: it returns a new Config with every pair applied, or c's
// values untouched and an error whose text is Redis's reply without the leading "-".
// Applying the change (listening on a new port, resizing, ...) is the caller's business.
func (c *Config) SetFrom(pairs [][2]string, local bool) (*Config, error) {
	ds := make([]*directive, len(pairs))
	for i, p := range pairs {
		d := lookup(p[0])
		if d == nil {
			return nil, fmt.Errorf("ERR Unknown option or number of arguments for CONFIG SET - '%s'", p[0])
		}
		reason := ""
		switch {
		case d.flags&fImmutable != 0:
			reason = "can't set immutable config"
		case d.flags&fProtected != 0 && !Allowed(c.EnableProtectedConfigs, local):
			reason = "can't set protected config"
		}
		for _, prev := range ds[:i] {
			if prev == d && reason == "" {
				reason = "duplicate parameter"
			}
		}
		if reason != "" {
			return nil, setError(p[0], reason)
		}
		ds[i] = d
	}
	n := c.clone()
	for i, p := range pairs {
		args := []string{p[1]}
		if ds[i].flags&fMulti != 0 {
			args = splitSpaces(p[1])
		}
		if err := n.apply(ds[i], args, nil); err != nil {
			return nil, setError(ds[i].name, err.Error())
		}
	}
	n.derive()
	return n, nil
}

func setError(name, reason string) error {
	return fmt.Errorf("ERR CONFIG SET failed (possibly related to argument '%s') - %s", name, reason)
}

// splitSpaces splits a CONFIG SET value of a multi-argument directive on single spaces,
// as Redis does: "" is no argument at all, two spaces make an empty argument.
func splitSpaces(s string) []string {
	if s == "" {
		return nil
	}
	return strings.Split(s, " ")
}

// Allowed reports whether a yes|no|local setting (enable-protected-configs,
// enable-debug-command, enable-module-command) lets a client through.
func Allowed(setting string, local bool) bool {
	return setting == "yes" || setting == "local" && local
}

// Sensitive reports whether name (or an alias) is a directive whose value must be
// redacted from logs, SLOWLOG and MONITOR (requirepass, masterauth, masteruser).
func Sensitive(name string) bool {
	d := lookup(name)
	return d != nil && d.flags&fSensitive != 0
}

// globMatch reports whether name matches a Redis glob pattern, ignoring ASCII case.
func globMatch(pattern, name string) bool { return glob.MatchString(pattern, name, true) }

// Typed-field binders: each copies a canonical value into a field of Config.

func boolF(f func(*Config) *bool) func(*Config, string) {
	return func(c *Config, v string) { *f(c) = v == "yes" }
}

func strF(f func(*Config) *string) func(*Config, string) {
	return func(c *Config, v string) { *f(c) = v }
}

func intF[T int | int64](f func(*Config) *T) func(*Config, string) {
	return func(c *Config, v string) {
		n, err := strconv.ParseInt(strings.TrimSuffix(v, "%"), 10, 64)
		if errors.Is(err, strconv.ErrRange) {
			n = math.MaxInt64 // only maxmemory and friends go that high
		}
		if strings.HasSuffix(v, "%") {
			n = -n
		}
		*f(c) = T(n)
	}
}

func octalF(f func(*Config) *uint32) func(*Config, string) {
	return func(c *Config, v string) {
		n, _ := strconv.ParseUint(v, 8, 32)
		*f(c) = uint32(n)
	}
}

func bindSave(c *Config, v string) {
	f := strings.Fields(v)
	c.Save = make([][2]int64, 0, len(f)/2)
	for i := 0; i+1 < len(f); i += 2 {
		s, _ := strconv.ParseInt(f[i], 10, 64)
		n, _ := strconv.ParseInt(f[i+1], 10, 64)
		c.Save = append(c.Save, [2]int64{s, n})
	}
}

func bindBind(c *Config, v string) {
	c.Bind = splitSpaces(v)
}

func bindReplicaOf(c *Config, v string) {
	c.MasterHost, c.MasterPort = "", 0
	if i := strings.LastIndexByte(v, ' '); i >= 0 {
		c.MasterHost = v[:i]
		c.MasterPort, _ = strconv.Atoi(v[i+1:])
	}
}

func bindOutBuf(c *Config, v string) {
	c.ClientOutputBufferLimit = parseOutBuf(v)
}

func bindPercentiles(c *Config, v string) {
	c.LatencyTrackingInfoPercentiles = nil
	for _, f := range strings.Fields(v) {
		p, _ := strconv.ParseFloat(f, 64)
		c.LatencyTrackingInfoPercentiles = append(c.LatencyTrackingInfoPercentiles, p)
	}
}
