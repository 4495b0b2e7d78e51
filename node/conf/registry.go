package conf

import (
	"math"
	"strings"
)

// kind says how a directive's arguments are parsed, shown and rewritten.
type kind uint8

const (
	kBool        kind = iota // yes|no
	kNum                     // integer; fMem, fPct, fOctal and fUnsigned refine it
	kEnum                    // one name out of d.enum
	kFlags                   // a set of names out of d.enum (bit i-1 for d.enum[i], d.enum[0] = 0)
	kString                  // free text, optionally checked by d.check
	kDir                     // dir: an existing directory, kept absolute
	kSave                    // save: <seconds> <changes> pairs
	kBind                    // bind: up to 16 addresses
	kOutBuf                  // client-output-buffer-limit: <class> <hard> <soft> <seconds> groups
	kOOM                     // oom-score-adj-values: three integers
	kNotify                  // notify-keyspace-events: class characters
	kReplicaOf               // replicaof: <host> <port> | no one
	kPercentiles             // latency-tracking-info-percentiles: floats in [0, 100]
)

// flag is a set of directive properties.
type flag uint16

const (
	fImpl      flag = 1 << iota // shoal implements it; otherwise loading it warns
	fImmutable                  // CONFIG SET refuses it
	fProtected                  // CONFIG SET needs enable-protected-configs
	fHidden                     // CONFIG GET shows it only when asked by exact name
	fMulti                      // takes several arguments (MULTI_ARG_CONFIG)
	fSensitive                  // its value must be redacted from logs
	fNullEmpty                  // "" means unset: CONFIG REWRITE drops its lines
	fMem                        // kNum: memory units accepted, shown as bytes
	fPct                        // kNum: "n%" accepted, stored as -n
	fOctal                      // kNum: octal in and out
	fUnsigned                   // kNum: C unsigned type, bounds compared unsigned
)

// C limits used by Redis's bounds.
const (
	intMin   = math.MinInt32
	intMax   = math.MaxInt32
	uintMax  = math.MaxUint32
	longMax  = math.MaxInt64
	ullMax   = -1 // ULLONG_MAX, read as uint64 under fUnsigned
	mb       = 1 << 20
	cobl     = "normal 0 0 0 slave 268435456 67108864 60 pubsub 33554432 8388608 60"
	yes, no  = "yes", "no"
	protEnum = "no,yes,local"
)

// directive describes one config directive: how it parses, its default (in CONFIG GET
// form), its flags and, for directives the server reads, where its typed field lives.
type directive struct {
	name, alias string
	kind        kind
	flags       flag
	def         string
	min, max    int64                     // kNum bounds (max -1 with fUnsigned = ULLONG_MAX)
	enum        []string                  // kEnum, kFlags names; "a|b" makes b a synonym of a
	check       func(string) string       // kString extra validation: reason, or ""
	post        func(int64) int64         // kNum: adjusts an accepted value (hz clamping)
	bind        func(c *Config, v string) // copies the canonical value into a typed field
	idx         int                       // position in registry
}

func boolean(name, alias string, fl flag, def string, b func(*Config, string)) directive {
	return directive{name: name, alias: alias, kind: kBool, flags: fl, def: def, bind: b}
}

func number(name, alias string, fl flag, min, max int64, def string, b func(*Config, string)) directive {
	return directive{name: name, alias: alias, kind: kNum, flags: fl, min: min, max: max, def: def, bind: b}
}

func enum(name string, fl flag, values, def string, b func(*Config, string)) directive {
	k := kEnum
	if fl&fMulti != 0 {
		k = kFlags
	}
	return directive{name: name, kind: k, flags: fl, enum: strings.Split(values, ","), def: def, bind: b}
}

func str(name, alias string, fl flag, def string, check func(string) string, b func(*Config, string)) directive {
	return directive{name: name, alias: alias, kind: kString, flags: fl, def: def, check: check, bind: b}
}

func special(name, alias string, k kind, fl flag, def string, b func(*Config, string)) directive {
	return directive{name: name, alias: alias, kind: k, flags: fl, def: def, bind: b}
}

// registry lists every Redis 7.0.15 directive with its true default. fImpl marks the ones
// shoal implements: flipping it is all it takes to stop the "not implemented" warning.
var registry = [...]directive{
	// Booleans.
	boolean("rdbchecksum", "", fImpl|fImmutable, yes, boolF(func(c *Config) *bool { return &c.Rdbchecksum })),
	boolean("daemonize", "", fImpl|fImmutable, no, boolF(func(c *Config) *bool { return &c.Daemonize })),
	boolean("io-threads-do-reads", "", fImmutable, no, nil),
	boolean("always-show-logo", "", fImmutable, no, nil),
	boolean("protected-mode", "", fImpl, yes, boolF(func(c *Config) *bool { return &c.ProtectedMode })),
	boolean("rdbcompression", "", fImpl, yes, boolF(func(c *Config) *bool { return &c.Rdbcompression })),
	boolean("rdb-del-sync-files", "", 0, no, nil),
	boolean("activerehashing", "", 0, yes, boolF(func(c *Config) *bool { return &c.Activerehashing })),
	boolean("stop-writes-on-bgsave-error", "", fImpl, yes, boolF(func(c *Config) *bool { return &c.StopWritesOnBgsaveError })),
	boolean("set-proc-title", "", fImmutable, yes, nil),
	boolean("dynamic-hz", "", fImpl, yes, boolF(func(c *Config) *bool { return &c.DynamicHz })),
	boolean("lazyfree-lazy-eviction", "", fImpl, no, boolF(func(c *Config) *bool { return &c.LazyfreeLazyEviction })),
	boolean("lazyfree-lazy-expire", "", fImpl, no, boolF(func(c *Config) *bool { return &c.LazyfreeLazyExpire })),
	boolean("lazyfree-lazy-server-del", "", fImpl, no, boolF(func(c *Config) *bool { return &c.LazyfreeLazyServerDel })),
	boolean("lazyfree-lazy-user-del", "", fImpl, no, boolF(func(c *Config) *bool { return &c.LazyfreeLazyUserDel })),
	boolean("lazyfree-lazy-user-flush", "", fImpl, no, boolF(func(c *Config) *bool { return &c.LazyfreeLazyUserFlush })),
	boolean("repl-disable-tcp-nodelay", "", fImpl, no, boolF(func(c *Config) *bool { return &c.ReplDisableTCPNoDelay })),
	boolean("repl-diskless-sync", "", fImpl, yes, boolF(func(c *Config) *bool { return &c.ReplDisklessSync })),
	boolean("aof-rewrite-incremental-fsync", "", 0, yes, nil),
	boolean("no-appendfsync-on-rewrite", "", 0, no, nil),
	boolean("cluster-require-full-coverage", "", fImpl, yes, boolF(func(c *Config) *bool { return &c.ClusterRequireFullCoverage })),
	boolean("rdb-save-incremental-fsync", "", 0, yes, nil),
	boolean("aof-load-truncated", "", fImpl, yes, boolF(func(c *Config) *bool { return &c.AofLoadTruncated })),
	boolean("aof-use-rdb-preamble", "", fImpl, yes, boolF(func(c *Config) *bool { return &c.AofUseRdbPreamble })),
	boolean("aof-timestamp-enabled", "", fImpl, no, boolF(func(c *Config) *bool { return &c.AofTimestampEnabled })),
	boolean("cluster-replica-no-failover", "cluster-slave-no-failover", 0, no, nil),
	boolean("replica-lazy-flush", "slave-lazy-flush", 0, no, nil),
	boolean("replica-serve-stale-data", "slave-serve-stale-data", fImpl, yes, boolF(func(c *Config) *bool { return &c.ReplicaServeStaleData })),
	boolean("replica-read-only", "slave-read-only", fImpl, yes, boolF(func(c *Config) *bool { return &c.ReplicaReadOnly })),
	boolean("replica-ignore-maxmemory", "slave-ignore-maxmemory", fImpl, yes, boolF(func(c *Config) *bool { return &c.ReplicaIgnoreMaxmem })),
	boolean("jemalloc-bg-thread", "", 0, yes, nil),
	boolean("activedefrag", "", 0, no, nil),
	boolean("syslog-enabled", "", fImmutable, no, nil),
	boolean("cluster-enabled", "", fImpl|fImmutable, no, boolF(func(c *Config) *bool { return &c.ClusterEnabled })),
	boolean("appendonly", "", fImpl, no, boolF(func(c *Config) *bool { return &c.Appendonly })),
	boolean("cluster-allow-reads-when-down", "", fImpl, no, boolF(func(c *Config) *bool { return &c.ClusterAllowReadsWhenDown })),
	boolean("cluster-allow-pubsubshard-when-down", "", fImpl, yes, boolF(func(c *Config) *bool { return &c.ClusterAllowPubSubShardWhenDown })),
	boolean("crash-log-enabled", "", 0, yes, nil),
	boolean("crash-memcheck-enabled", "", 0, yes, nil),
	boolean("use-exit-on-panic", "", fHidden, no, nil),
	boolean("disable-thp", "", fImmutable, yes, nil),
	boolean("cluster-allow-replica-migration", "", 0, yes, nil),
	boolean("replica-announced", "", fImpl, yes, boolF(func(c *Config) *bool { return &c.ReplicaAnnounced })),
	boolean("latency-tracking", "", 0, yes, boolF(func(c *Config) *bool { return &c.LatencyTracking })),
	boolean("aof-disable-auto-gc", "", 0, no, nil),
	boolean("replica-ignore-disk-write-errors", "", 0, no, nil),
	boolean("tls-cluster", "", 0, no, nil),
	boolean("tls-replication", "", 0, no, nil),
	boolean("tls-prefer-server-ciphers", "", 0, no, nil),
	boolean("tls-session-caching", "", 0, yes, nil),

	// Strings.
	str("aclfile", "", fImpl|fImmutable, "", nil, strF(func(c *Config) *string { return &c.Aclfile })),
	str("unixsocket", "", fImpl|fImmutable|fNullEmpty, "", nil, strF(func(c *Config) *string { return &c.Unixsocket })),
	str("pidfile", "", fImpl|fImmutable|fNullEmpty, "", nil, strF(func(c *Config) *string { return &c.Pidfile })),
	str("replica-announce-ip", "slave-announce-ip", fImpl|fNullEmpty, "", nil, strF(func(c *Config) *string { return &c.ReplicaAnnounceIP })),
	str("masteruser", "", fImpl|fNullEmpty|fSensitive, "", nil, strF(func(c *Config) *string { return &c.Masteruser })),
	str("cluster-announce-ip", "", fImpl|fNullEmpty, "", nil, strF(func(c *Config) *string { return &c.ClusterAnnounceIP })),
	// shoal's own: the key every member of the cluster's gossip shares (hidden from
	// CONFIG GET *, which lists Redis's directives only).
	str("cluster-secret", "", fImpl|fHidden|fSensitive|fImmutable|fNullEmpty, "", nil, strF(func(c *Config) *string { return &c.ClusterSecret })),
	// shoal's: gossip addresses (host:port, names resolved on every attempt) joined at
	// start until one answers, e.g. the sentinels' where their IPs change (Kubernetes).
	str("cluster-join", "", fImpl|fHidden|fImmutable|fNullEmpty, "", nil, strF(func(c *Config) *string { return &c.ClusterJoin })),
	// shoal's: a primary acknowledges a write only once a replica has it (safe), or at
	// once as Redis does (async); a safe write not acknowledged by a replica within
	// shard-durability-timeout milliseconds closes the client's connection.
	enum("shard-durability", fImpl|fHidden, "async,safe", "async", strF(func(c *Config) *string { return &c.ShardDurability })),
	number("shard-durability-timeout", "", fImpl|fHidden, 1, intMax, "2000", intF(func(c *Config) *int { return &c.ShardDurabilityTimeout })),
	// shoal's: how long a slot move (slots.Move) may pause writes for its hand-off, ms;
	// a hand-off that would take longer is put off and tried again.
	number("move-pause-budget", "", fImpl|fHidden, 1, 60000, "100", intF(func(c *Config) *int { return &c.MovePauseBudget })),
	// shoal's: the HTTP port of /metrics, /healthz and /readyz (0: none).
	number("metrics-port", "", fImpl|fHidden|fImmutable, 0, 65535, "0", intF(func(c *Config) *int { return &c.MetricsPort })),
	str("cluster-config-file", "", fImpl|fImmutable, "nodes.conf", nil, strF(func(c *Config) *string { return &c.ClusterConfigFile })),
	str("cluster-announce-hostname", "", fImpl|fNullEmpty, "", checkHostname, strF(func(c *Config) *string { return &c.ClusterAnnounceHostname })),
	str("syslog-ident", "", fImmutable, "redis", nil, nil),
	str("dbfilename", "", fImpl|fProtected, "dump.rdb", checkDBFilename, strF(func(c *Config) *string { return &c.Dbfilename })),
	str("appendfilename", "", fImpl|fImmutable, "appendonly.aof", checkAOFFilename, strF(func(c *Config) *string { return &c.Appendfilename })),
	str("appenddirname", "", fImpl|fImmutable, "appendonlydir", checkAOFDirname, strF(func(c *Config) *string { return &c.Appenddirname })),
	str("server_cpulist", "", fImmutable|fNullEmpty, "", nil, nil),
	str("bio_cpulist", "", fImmutable|fNullEmpty, "", nil, nil),
	str("aof_rewrite_cpulist", "", fImmutable|fNullEmpty, "", nil, nil),
	str("bgsave_cpulist", "", fImmutable|fNullEmpty, "", nil, nil),
	str("ignore-warnings", "", 0, "", nil, nil),
	str("proc-title-template", "", 0, "{title} {listen-addr} {server-mode}", checkProcTitle, nil),
	str("bind-source-addr", "", fNullEmpty, "", nil, nil),
	str("logfile", "", fImpl|fImmutable, "", nil, strF(func(c *Config) *string { return &c.Logfile })),
	str("masterauth", "", fImpl|fNullEmpty|fSensitive, "", nil, strF(func(c *Config) *string { return &c.Masterauth })),
	str("requirepass", "", fImpl|fNullEmpty|fSensitive, "", nil, strF(func(c *Config) *string { return &c.Requirepass })),
	str("tls-cert-file", "", fImpl|fNullEmpty, "", nil, strF(func(c *Config) *string { return &c.TLSCertFile })),
	str("tls-key-file", "", fImpl|fNullEmpty, "", nil, strF(func(c *Config) *string { return &c.TLSKeyFile })),
	str("tls-key-file-pass", "", fNullEmpty, "", nil, nil),
	str("tls-client-cert-file", "", fNullEmpty, "", nil, nil),
	str("tls-client-key-file", "", fNullEmpty, "", nil, nil),
	str("tls-client-key-file-pass", "", fNullEmpty, "", nil, nil),
	str("tls-dh-params-file", "", fNullEmpty, "", nil, nil),
	str("tls-ca-cert-file", "", fImpl|fNullEmpty, "", nil, strF(func(c *Config) *string { return &c.TLSCACertFile })),
	str("tls-ca-cert-dir", "", fImpl|fNullEmpty, "", nil, strF(func(c *Config) *string { return &c.TLSCACertDir })),
	str("tls-protocols", "", fImpl|fNullEmpty, "", nil, strF(func(c *Config) *string { return &c.TLSProtocols })),
	str("tls-ciphers", "", fImpl|fNullEmpty, "", nil, strF(func(c *Config) *string { return &c.TLSCiphers })),
	str("tls-ciphersuites", "", fImpl|fNullEmpty, "", nil, strF(func(c *Config) *string { return &c.TLSCiphersuites })),

	// Enums.
	enum("supervised", fImmutable, "upstart,systemd,auto,no", "no", nil),
	enum("syslog-facility", fImmutable, "user,local0,local1,local2,local3,local4,local5,local6,local7", "local0", nil),
	enum("repl-diskless-load", fImpl, "disabled,on-empty-db,swapdb", "disabled", strF(func(c *Config) *string { return &c.ReplDisklessLoad })),
	enum("loglevel", fImpl, "debug,verbose,notice,warning", "notice", strF(func(c *Config) *string { return &c.Loglevel })),
	enum("maxmemory-policy", fImpl, "volatile-lru,volatile-lfu,volatile-random,volatile-ttl,allkeys-lru,allkeys-lfu,allkeys-random,noeviction", "noeviction", strF(func(c *Config) *string { return &c.MaxmemoryPolicy })),
	enum("appendfsync", fImpl, "everysec,always,no", "everysec", strF(func(c *Config) *string { return &c.Appendfsync })),
	enum("oom-score-adj", 0, "no,yes|relative,absolute", "no", nil),
	enum("acl-pubsub-default", fImpl, "allchannels,resetchannels", "resetchannels", strF(func(c *Config) *string { return &c.AclPubsubDefault })),
	enum("sanitize-dump-payload", 0, "no,yes,clients", "no", nil),
	enum("enable-protected-configs", fImpl|fImmutable, protEnum, "no", strF(func(c *Config) *string { return &c.EnableProtectedConfigs })),
	enum("enable-debug-command", fImpl|fImmutable, protEnum, "no", strF(func(c *Config) *string { return &c.EnableDebugCommand })),
	enum("enable-module-command", fImpl|fImmutable, protEnum, "no", strF(func(c *Config) *string { return &c.EnableModuleCommand })),
	enum("cluster-preferred-endpoint-type", fImpl, "ip,hostname,unknown-endpoint", "ip", strF(func(c *Config) *string { return &c.ClusterPreferredEndpoint })),
	enum("propagation-error-behavior", 0, "ignore,panic,panic-on-replicas", "ignore", nil),
	enum("tls-auth-clients", fImpl, "no,yes,optional", "yes", strF(func(c *Config) *string { return &c.TLSAuthClients })),
	enum("shutdown-on-sigint", fMulti, "default,save,nosave,now,force", "default", nil),
	enum("shutdown-on-sigterm", fMulti, "default,save,nosave,now,force", "default", nil),

	// Signed integers.
	number("databases", "", fImpl|fImmutable, 1, intMax, "16", intF(func(c *Config) *int { return &c.Databases })),
	number("port", "", fImpl, 0, 65535, "6379", intF(func(c *Config) *int { return &c.Port })),
	number("io-threads", "", fImmutable, 1, 128, "1", nil),
	number("auto-aof-rewrite-percentage", "", fImpl, 0, intMax, "100", intF(func(c *Config) *int64 { return &c.AutoAofRewritePercentage })),
	number("cluster-replica-validity-factor", "cluster-slave-validity-factor", 0, 0, intMax, "10", nil),
	number("list-max-listpack-size", "list-max-ziplist-size", fImpl, intMin, intMax, "-2", intF(func(c *Config) *int64 { return &c.ListMaxListpackSize })),
	number("tcp-keepalive", "", fImpl, 0, intMax, "300", intF(func(c *Config) *int { return &c.TCPKeepalive })),
	number("cluster-migration-barrier", "", 0, 0, intMax, "1", nil),
	number("active-defrag-cycle-min", "", 0, 1, 99, "1", nil),
	number("active-defrag-cycle-max", "", 0, 1, 99, "25", nil),
	number("active-defrag-threshold-lower", "", 0, 0, 1000, "10", nil),
	number("active-defrag-threshold-upper", "", 0, 0, 1000, "100", nil),
	number("lfu-log-factor", "", fImpl, 0, intMax, "10", intF(func(c *Config) *int { return &c.LFULogFactor })),
	number("lfu-decay-time", "", fImpl, 0, intMax, "1", intF(func(c *Config) *int { return &c.LFUDecayTime })),
	number("replica-priority", "slave-priority", fImpl, 0, intMax, "100", intF(func(c *Config) *int { return &c.ReplicaPriority })),
	number("repl-diskless-sync-delay", "", fImpl, 0, intMax, "5", intF(func(c *Config) *int { return &c.ReplDisklessSyncDelay })),
	number("maxmemory-samples", "", fImpl, 1, intMax, "5", intF(func(c *Config) *int { return &c.MaxmemorySamples })),
	number("maxmemory-eviction-tenacity", "", 0, 0, 100, "10", intF(func(c *Config) *int { return &c.MaxmemoryEvictionTenacity })),
	number("timeout", "", fImpl, 0, intMax, "0", intF(func(c *Config) *int { return &c.Timeout })),
	number("replica-announce-port", "slave-announce-port", fImpl, 0, 65535, "0", intF(func(c *Config) *int { return &c.ReplicaAnnouncePort })),
	number("tcp-backlog", "", fImpl|fImmutable, 0, intMax, "511", intF(func(c *Config) *int { return &c.TCPBacklog })),
	number("cluster-port", "", fImpl|fImmutable, 0, 65535, "0", intF(func(c *Config) *int { return &c.ClusterPort })),
	number("cluster-announce-bus-port", "", fImpl, 0, 65535, "0", intF(func(c *Config) *int { return &c.ClusterAnnounceBusPort })),
	number("cluster-announce-port", "", fImpl, 0, 65535, "0", intF(func(c *Config) *int { return &c.ClusterAnnouncePort })),
	number("cluster-announce-tls-port", "", 0, 0, 65535, "0", nil),
	number("repl-timeout", "", fImpl, 1, intMax, "60", intF(func(c *Config) *int { return &c.ReplTimeout })),
	number("repl-ping-replica-period", "repl-ping-slave-period", fImpl, 1, intMax, "10", intF(func(c *Config) *int { return &c.ReplPingReplicaPeriod })),
	number("list-compress-depth", "", fImpl, 0, intMax, "0", intF(func(c *Config) *int64 { return &c.ListCompressDepth })),
	number("rdb-key-save-delay", "", fHidden, intMin, intMax, "0", nil),
	number("key-load-delay", "", fHidden, intMin, intMax, "0", nil),
	number("active-expire-effort", "", fImpl, 1, 10, "1", intF(func(c *Config) *int { return &c.ActiveExpireEffort })),
	{name: "hz", kind: kNum, flags: fImpl, min: 0, max: intMax, def: "10", post: clampHz, bind: intF(func(c *Config) *int { return &c.Hz })},
	number("min-replicas-to-write", "min-slaves-to-write", fImpl, 0, intMax, "0", intF(func(c *Config) *int { return &c.MinReplicasToWrite })),
	number("min-replicas-max-lag", "min-slaves-max-lag", fImpl, 0, intMax, "10", intF(func(c *Config) *int { return &c.MinReplicasMaxLag })),
	number("watchdog-period", "", fHidden, 0, intMax, "0", nil),
	number("shutdown-timeout", "", 0, 0, intMax, "10", intF(func(c *Config) *int { return &c.ShutdownTimeout })),
	number("repl-diskless-sync-max-replicas", "", fImpl, 0, intMax, "0", intF(func(c *Config) *int { return &c.ReplDisklessSyncMax })),
	number("active-defrag-max-scan-fields", "", 0, 1, longMax, "1000", nil),
	number("slowlog-max-len", "", fImpl, 0, longMax, "128", intF(func(c *Config) *int64 { return &c.SlowlogMaxLen })),
	number("acllog-max-len", "", fImpl, 0, longMax, "128", intF(func(c *Config) *int64 { return &c.AcllogMaxLen })),
	number("busy-reply-threshold", "lua-time-limit", fImpl, 0, longMax, "5000", intF(func(c *Config) *int64 { return &c.BusyReplyThreshold })),
	number("cluster-node-timeout", "", 0, 0, longMax, "15000", nil),
	number("slowlog-log-slower-than", "", fImpl, -1, longMax, "10000", intF(func(c *Config) *int64 { return &c.SlowlogLogSlowerThan })),
	number("latency-monitor-threshold", "", fImpl, 0, longMax, "0", intF(func(c *Config) *int64 { return &c.LatencyMonitorThreshold })),
	number("stream-node-max-entries", "", fImpl, 0, longMax, "100", intF(func(c *Config) *int64 { return &c.StreamNodeMaxEntries })),
	number("repl-backlog-ttl", "", fImpl, 0, longMax, "3600", intF(func(c *Config) *int64 { return &c.ReplBacklogTTL })),
	number("tls-port", "", fImpl, 0, 65535, "0", intF(func(c *Config) *int { return &c.TLSPort })),
	number("tls-session-cache-size", "", 0, 0, intMax, "20480", nil),
	number("tls-session-cache-timeout", "", 0, 0, intMax, "300", nil),
	number("loading-process-events-interval-bytes", "", fHidden, 1024, intMax, "2097152", nil),

	// Unsigned integers (C unsigned int, size_t): bounds are compared unsigned.
	number("maxclients", "", fImpl|fUnsigned, 1, uintMax, "10000", intF(func(c *Config) *int { return &c.MaxClients })),
	number("unixsocketperm", "", fImpl|fImmutable|fUnsigned|fOctal, 0, 0o777, "0", octalF(func(c *Config) *uint32 { return &c.Unixsocketperm })),
	number("socket-mark-id", "", fImmutable|fUnsigned, 0, uintMax, "0", nil),
	number("hash-max-listpack-entries", "hash-max-ziplist-entries", fImpl|fUnsigned, 0, longMax, "512", intF(func(c *Config) *int64 { return &c.HashMaxListpackEntries })),
	number("set-max-intset-entries", "", fImpl|fUnsigned, 0, longMax, "512", intF(func(c *Config) *int64 { return &c.SetMaxIntsetEntries })),
	number("zset-max-listpack-entries", "zset-max-ziplist-entries", fImpl|fUnsigned, 0, longMax, "128", intF(func(c *Config) *int64 { return &c.ZsetMaxListpackEntries })),
	number("tracking-table-max-keys", "", fUnsigned, 0, longMax, "1000000", intF(func(c *Config) *int64 { return &c.TrackingTableMaxKeys })),

	// Memory values.
	number("proto-max-bulk-len", "", fImpl|fMem, mb, longMax, "536870912", intF(func(c *Config) *int64 { return &c.ProtoMaxBulkLen })),
	number("repl-backlog-size", "", fImpl|fMem, 1, longMax, "1048576", intF(func(c *Config) *int64 { return &c.ReplBacklogSize })),
	number("maxmemory", "", fImpl|fMem|fUnsigned, 0, ullMax, "0", intF(func(c *Config) *int64 { return &c.Maxmemory })),
	number("cluster-link-sendbuf-limit", "", fMem|fUnsigned, 0, ullMax, "0", nil),
	number("active-defrag-ignore-bytes", "", fMem|fUnsigned, 1, longMax, "104857600", nil),
	number("hash-max-listpack-value", "hash-max-ziplist-value", fImpl|fMem|fUnsigned, 0, longMax, "64", intF(func(c *Config) *int64 { return &c.HashMaxListpackValue })),
	number("stream-node-max-bytes", "", fImpl|fMem|fUnsigned, 0, longMax, "4096", intF(func(c *Config) *int64 { return &c.StreamNodeMaxBytes })),
	number("zset-max-listpack-value", "zset-max-ziplist-value", fImpl|fMem|fUnsigned, 0, longMax, "64", intF(func(c *Config) *int64 { return &c.ZsetMaxListpackValue })),
	number("hll-sparse-max-bytes", "", fImpl|fMem|fUnsigned, 0, longMax, "3000", intF(func(c *Config) *int64 { return &c.HllSparseMaxBytes })),
	number("client-query-buffer-limit", "", fImpl|fMem|fUnsigned, mb, longMax, "1073741824", intF(func(c *Config) *int64 { return &c.ClientQueryBufferLimit })),
	number("maxmemory-clients", "", fMem|fPct, -100, longMax, "0", intF(func(c *Config) *int64 { return &c.MaxmemoryClients })),
	number("auto-aof-rewrite-min-size", "", fImpl|fMem, 0, longMax, "67108864", intF(func(c *Config) *int64 { return &c.AutoAofRewriteMinSize })),

	// Special directives.
	special("dir", "", kDir, fImpl|fProtected, "", strF(func(c *Config) *string { return &c.Dir })),
	special("save", "", kSave, fImpl|fMulti, "3600 1 300 100 60 10000", bindSave),
	special("client-output-buffer-limit", "", kOutBuf, fImpl|fMulti, cobl, bindOutBuf),
	special("oom-score-adj-values", "", kOOM, fMulti, "0 200 800", nil),
	special("notify-keyspace-events", "", kNotify, fImpl, "", strF(func(c *Config) *string { return &c.NotifyKeyspaceEvents })),
	special("bind", "", kBind, fImpl|fMulti, "127.0.0.1 -::1", bindBind),
	special("replicaof", "slaveof", kReplicaOf, fImpl|fImmutable|fMulti, "", bindReplicaOf),
	special("latency-tracking-info-percentiles", "", kPercentiles, fMulti, "50 99 99.9", bindPercentiles),
}

// byName maps every lower-case name and alias to its directive; building it also sets
// each directive's idx.
var byName = func() map[string]*directive {
	m := make(map[string]*directive, 2*len(registry))
	for i := range registry {
		d := &registry[i]
		d.idx = i
		m[d.name] = d
		if d.alias != "" {
			m[d.alias] = d
		}
	}
	return m
}()

// lookup finds a directive by name or alias, case-insensitively.
func lookup(name string) *directive {
	if d, ok := byName[name]; ok {
		return d
	}
	return byName[strings.ToLower(name)]
}

// fileDirective is a redis.conf line that is not a config directive (include, user, ...).
type fileDirective struct {
	min, max int // accepted argument counts, directive name included (max -1: any)
	action   fileAction
}

type fileAction uint8

const (
	actIgnore     fileAction = iota // deprecated; silently accepted
	actInclude                      // include <path|glob>
	actWarn                         // accepted, not implemented: warns
	actNoSentinel                   // sentinel <...>: only valid in sentinel mode
	actUser                         // user <name> [rules...]: kept in Config.Users
	actRename                       // rename-command <name> <new-name>: kept in Config.RenameCommands
)

// fileDirectives is looked up only when the line names no config directive. Arities are
// Redis's: a line matching a name but not an arity is a bad directive.
var fileDirectives = map[string][]fileDirective{
	"list-max-ziplist-entries": {{2, 2, actIgnore}},
	"list-max-ziplist-value":   {{2, 2, actIgnore}},
	"lua-replicate-commands":   {{2, 2, actIgnore}},
	"include":                  {{2, 2, actInclude}},
	"rename-command":           {{3, 3, actRename}},
	"user":                     {{2, -1, actUser}},
	"loadmodule":               {{2, -1, actWarn}},
	"sentinel":                 {{1, 1, actWarn}, {2, -1, actNoSentinel}},
}
