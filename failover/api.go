package failover

import (
	"errors"
	"fmt"
	"net"
	"os"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/shoal-db/shoal/node/glob"
	"github.com/shoal-db/shoal/node/resp"
)

// The Redis Sentinel API: what Sentinel-aware clients and operator tools ask a
// sentinel on port 26379. Each cluster shard is a master named after its shard ID
// (its primary and replicas as Redis Sentinel shows a master's); standalone groups
// (SENTINEL MONITOR, groups.go) are masters named by the user. The field names and
// flag tokens are Redis 7's.

// redisVersion is the Redis release whose Sentinel this API follows.
const redisVersion = "7.0.15"

// Redis Sentinel's per-master defaults, reported as such.
const (
	defaultFailoverTimeout = 180 * time.Second
	defaultParallelSyncs   = 1
)

// master is one master of the API.
type master struct {
	name     string
	primary  string   // probe key: a shard primary's node ID, a group primary's "ip:port"
	replicas []string // probe keys
	quorum   int
	epoch    uint64 // config-epoch: the epoch the primary took over in
	// per-master settings (SENTINEL SET)
	downAfter       time.Duration
	failoverTimeout time.Duration
	parallelSyncs   int
}

// masters lists the masters: the shards with a primary, by shard ID, then the
// standalone groups, by name.
func (s *Sentinel) masters() []master {
	top := s.store.Topology()
	quorum := len(s.store.Voters())/2 + 1
	var out []master
	for _, sh := range top.Shards() {
		if sh.Primary == "" {
			continue
		}
		out = append(out, master{name: sh.ID, primary: sh.Primary, replicas: sh.Replicas, quorum: quorum,
			epoch: sh.Since, downAfter: s.cfg.DownAfter, failoverTimeout: defaultFailoverTimeout,
			parallelSyncs: defaultParallelSyncs})
	}
	slices.SortFunc(out, func(a, b master) int { return strings.Compare(a.name, b.name) })
	return append(out, s.groupMasters()...)
}

// masterNamed finds a master by name.
func (s *Sentinel) masterNamed(name string) (master, bool) {
	for _, m := range s.masters() {
		if m.name == name {
			return m, true
		}
	}
	return master{}, false
}

// addrOf is where the instance of probe key k listens.
func (s *Sentinel) addrOf(k string) (ip string, port int) {
	if n, ok := s.store.Topology().Node(k); ok {
		return n.IP, n.Port
	}
	host, p, _ := net.SplitHostPort(k)
	port, _ = strconv.Atoi(p)
	return host, port
}

// ms is the age of t in milliseconds, 0 for the zero time (Redis's "never").
func ms(t time.Time) string {
	if t.IsZero() {
		return "0"
	}
	return strconv.FormatInt(time.Since(t).Milliseconds(), 10)
}

// instance is the field list SENTINEL MASTER / REPLICAS / MASTERS answer for the
// instance of probe key k (a master's primary when replica is false).
func (s *Sentinel) instance(k string, m master, replica bool) [][2]string {
	ip, port := s.addrOf(k)
	st, probed := s.probes.view(k)
	sdown := probed && s.probes.down(st, s.probes.alive(k))
	role := "master"
	if replica {
		role = "slave"
	}
	flags := []string{role}
	if sdown {
		flags = append(flags, "s_down")
	}
	odownSince, odown := s.odownSince(m.name)
	if !replica && odown {
		flags = append(flags, "o_down")
	}
	if !probed || !st.connected {
		flags = append(flags, "disconnected")
	}
	if !replica && s.inProgress(m.name) {
		flags = append(flags, "failover_in_progress")
	}
	name := m.name
	if replica {
		name = net.JoinHostPort(ip, strconv.Itoa(port))
	}
	f := [][2]string{
		{"name", name}, {"ip", ip}, {"port", strconv.Itoa(port)}, {"runid", st.info.RunID},
		{"flags", strings.Join(flags, ",")}, {"link-pending-commands", "0"}, {"link-refcount", "1"},
		{"last-ping-sent", ms(st.pingSent)}, {"last-ok-ping-reply", ms(st.lastOK)},
		{"last-ping-reply", ms(st.lastReply)},
	}
	if sdown {
		last := st.lastOK
		if last.IsZero() {
			last = st.since
		}
		f = append(f, [2]string{"s-down-time", ms(last.Add(m.downAfter))})
	}
	if !replica && odown {
		f = append(f, [2]string{"o-down-time", ms(odownSince)})
	}
	reported := st.info.Role
	if reported == "" {
		reported = role
	}
	f = append(f, [][2]string{{"down-after-milliseconds", strconv.FormatInt(m.downAfter.Milliseconds(), 10)},
		{"info-refresh", ms(st.infoAt)}, {"role-reported", reported}, {"role-reported-time", ms(st.roleAt)}}...)
	if !replica {
		return append(f, [][2]string{{"config-epoch", strconv.FormatUint(m.epoch, 10)},
			{"num-slaves", strconv.Itoa(len(m.replicas))}, {"num-other-sentinels", strconv.Itoa(len(s.otherSentinels()))},
			{"quorum", strconv.Itoa(m.quorum)}, {"failover-timeout", strconv.FormatInt(m.failoverTimeout.Milliseconds(), 10)},
			{"parallel-syncs", strconv.Itoa(m.parallelSyncs)}}...)
	}
	linkDown, status := "0", "err"
	if st.info.LinkUp {
		status = "ok"
	} else if st.info.LinkDown > 0 {
		linkDown = strconv.FormatInt(st.info.LinkDown*1000, 10)
	}
	mhost, mport := st.info.MasterHost, st.info.MasterPort
	if mhost == "" {
		h, p := s.addrOf(m.primary)
		mhost, mport = h, p
	}
	return append(f, [][2]string{{"master-link-down-time", linkDown}, {"master-link-status", status},
		{"master-host", mhost}, {"master-port", strconv.Itoa(mport)}, {"slave-priority", strconv.Itoa(st.info.Priority)},
		{"slave-repl-offset", strconv.FormatInt(st.info.Offset, 10)}, {"replica-announced", "1"}}...)
}

// otherSentinels are the other members of the group the gossip knows: ID → RESP
// address.
func (s *Sentinel) otherSentinels() map[string]string {
	addrs := s.sentinelAddrs()
	delete(addrs, s.cfg.ID)
	return addrs
}

// sentinelFields is what SENTINEL SENTINELS answers about the sentinel id at addr.
func (s *Sentinel) sentinelFields(id, addr string, m master) [][2]string {
	ip, port, _ := net.SplitHostPort(addr)
	leader, term := s.leaderID(), strconv.FormatUint(s.store.Term(), 10)
	if leader == "" {
		leader = "?"
	}
	return [][2]string{{"name", id}, {"ip", ip}, {"port", port}, {"runid", id}, {"flags", "sentinel"},
		{"link-pending-commands", "0"}, {"link-refcount", "1"}, {"last-ping-sent", "0"},
		{"last-ok-ping-reply", "0"}, {"last-ping-reply", "0"},
		{"down-after-milliseconds", strconv.FormatInt(m.downAfter.Milliseconds(), 10)},
		{"last-hello-message", "0"}, {"voted-leader", leader}, {"voted-leader-epoch", term}}
}

// leaderID is the Raft leader's sentinel ID ("" when unknown).
func (s *Sentinel) leaderID() string {
	_, id := s.store.raft.LeaderWithID()
	return string(id)
}

// writeFields writes a field list as a map (RESP3) or a flat array (RESP2).
func writeFields(w *resp.Writer, f [][2]string) {
	w.Map(len(f))
	for _, kv := range f {
		w.BulkString(kv[0])
		w.BulkString(kv[1])
	}
}

// usableSentinels counts the voting members the gossip sees alive, this one
// included (SENTINEL CKQUORUM).
func (s *Sentinel) usableSentinels() (usable, voters int) {
	ids := s.store.Voters()
	for _, id := range ids {
		if id == s.cfg.ID || s.gossipAlive(id) {
			usable++
		}
	}
	return usable, len(ids)
}

// redisCommand runs the Redis Sentinel subcommands and INFO/ROLE; it reports false
// for a command it does not know.
func (s *Sentinel) redisCommand(w *resp.Writer, args [][]byte) bool {
	name := strings.ToUpper(string(args[0]))
	switch name {
	case "INFO":
		s.info(w, args[1:])
		return true
	case "ROLE":
		ms := s.masters()
		w.Array(2)
		w.BulkString("sentinel")
		w.Array(len(ms))
		for _, m := range ms {
			w.BulkString(m.name)
		}
		return true
	case "SENTINEL":
	default:
		return false
	}
	if len(args) < 2 {
		return false
	}
	sub := strings.ToUpper(string(args[1]))
	named := func() (master, bool) {
		m, ok := s.masterNamed(string(args[2]))
		if !ok {
			w.Error("ERR No such master with that name")
		}
		return m, ok
	}
	switch {
	case (sub == "MASTERS") && len(args) == 2:
		ms := s.masters()
		w.Array(len(ms))
		for _, m := range ms {
			writeFields(w, s.instance(m.primary, m, false))
		}
	case sub == "MASTER" && len(args) == 3:
		if m, ok := named(); ok {
			writeFields(w, s.instance(m.primary, m, false))
		}
	case (sub == "REPLICAS" || sub == "SLAVES") && len(args) == 3:
		if m, ok := named(); ok {
			w.Array(len(m.replicas))
			for _, r := range m.replicas {
				writeFields(w, s.instance(r, m, true))
			}
		}
	case sub == "SENTINELS" && len(args) == 3:
		if m, ok := named(); ok {
			others := s.otherSentinels()
			ids := slices.Sorted(func(yield func(string) bool) {
				for id := range others {
					if !yield(id) {
						return
					}
				}
			})
			w.Array(len(ids))
			for _, id := range ids {
				writeFields(w, s.sentinelFields(id, others[id], m))
			}
		}
	case sub == "GET-MASTER-ADDR-BY-NAME" && len(args) == 3:
		m, ok := s.masterNamed(string(args[2]))
		if !ok {
			w.NullArray()
			return true
		}
		ip, port := s.addrOf(m.primary)
		w.Array(2)
		w.BulkString(ip)
		w.BulkString(strconv.Itoa(port))
	case sub == "CKQUORUM" && len(args) == 3:
		if m, ok := named(); ok {
			usable, voters := s.usableSentinels()
			var why []string
			if usable < m.quorum {
				why = append(why, "Not enough available Sentinels to reach the specified quorum for this master")
			}
			if usable < voters/2+1 {
				why = append(why, "Not enough available Sentinels to reach the majority and authorize a failover")
			}
			if len(why) > 0 {
				w.Error(fmt.Sprintf("NOQUORUM %d usable Sentinels. %s", usable, strings.Join(why, ". ")))
				return true
			}
			w.Simple(fmt.Sprintf("OK %d usable Sentinels. Quorum and failover authorization can be reached", usable))
		}
	case sub == "INFO-CACHE" && len(args) >= 2:
		s.infoCache(w, args[2:])
	case sub == "RESET" && len(args) == 3:
		w.Int(int64(s.reset(string(args[2]))))
	case sub == "CONFIG" && len(args) >= 3:
		s.config(w, args[2:])
	case sub == "SIMULATE-FAILURE" && len(args) >= 3:
		s.simulateFailure(w, args[2:])
	case sub == "MONITOR" && len(args) == 6, sub == "REMOVE" && len(args) == 3, sub == "SET" && len(args) >= 5 && len(args)%2 == 1:
		s.groupCommand(w, sub, args[2:])
	default:
		return false
	}
	return true
}

// infoCache answers SENTINEL INFO-CACHE [name …]: for each master, the last INFO
// of its primary and replicas with its age in milliseconds.
func (s *Sentinel) infoCache(w *resp.Writer, names [][]byte) {
	var ms []master
	for _, m := range s.masters() {
		if len(names) == 0 || slices.ContainsFunc(names, func(n []byte) bool { return string(n) == m.name }) {
			ms = append(ms, m)
		}
	}
	w.Array(2 * len(ms))
	for _, m := range ms {
		w.BulkString(m.name)
		keys := append([]string{m.primary}, m.replicas...)
		w.Array(len(keys))
		for _, k := range keys {
			st, _ := s.probes.view(k)
			w.Array(2)
			if st.infoAt.IsZero() {
				w.Null()
				w.Null()
				continue
			}
			w.Int(time.Since(st.infoAt).Milliseconds())
			w.BulkString(st.infoText)
		}
	}
}

// Sentinel-wide settings of CONFIG GET/SET (Redis 7.0's sentinel config). They
// concern how this sentinel announces itself; shoal's sentinels announce their
// configured addresses, so the values are kept and reported only.
var sentinelConfigNames = []string{"resolve-hostnames", "announce-hostnames", "announce-ip", "announce-port",
	"sentinel-user", "sentinel-pass", "loglevel"}

func (s *Sentinel) config(w *resp.Writer, args [][]byte) {
	op := strings.ToUpper(string(args[0]))
	s.cfgMu.Lock()
	defer s.cfgMu.Unlock()
	switch {
	case op == "GET" && len(args) == 2:
		var f [][2]string
		for _, n := range sentinelConfigNames {
			if glob.Match(args[1], []byte(n), true) {
				f = append(f, [2]string{n, s.settings[n]})
			}
		}
		writeFields(w, f)
	case op == "SET" && len(args) >= 3 && len(args)%2 == 1:
		next := map[string]string{}
		for i := 1; i < len(args); i += 2 {
			n, v := strings.ToLower(string(args[i])), string(args[i+1])
			if !slices.Contains(sentinelConfigNames, n) {
				w.Error(fmt.Sprintf("ERR Invalid argument '%s' to SENTINEL CONFIG SET", args[i]))
				return
			}
			switch n {
			case "resolve-hostnames", "announce-hostnames":
				if v = strings.ToLower(v); v != "yes" && v != "no" {
					w.Error(fmt.Sprintf("ERR Invalid value '%s' to SENTINEL CONFIG SET '%s'", args[i+1], n))
					return
				}
			case "announce-port":
				if p, err := strconv.Atoi(v); err != nil || p < 0 || p > 65535 {
					w.Error(fmt.Sprintf("ERR Invalid value '%s' to SENTINEL CONFIG SET '%s'", args[i+1], n))
					return
				}
			case "loglevel":
				if v = strings.ToLower(v); !slices.Contains([]string{"debug", "verbose", "notice", "warning", "nothing"}, v) {
					w.Error(fmt.Sprintf("ERR Invalid value '%s' to SENTINEL CONFIG SET '%s'", args[i+1], n))
					return
				}
			}
			next[n] = v
		}
		for n, v := range next {
			s.settings[n] = v
		}
		w.OK()
	default:
		w.Error("ERR Only SENTINEL CONFIG GET <option> / SET <option> <value> are supported.")
	}
}

// defaultSettings are CONFIG GET's values before any SET.
func defaultSettings() map[string]string {
	return map[string]string{"resolve-hostnames": "no", "announce-hostnames": "no", "announce-ip": "",
		"announce-port": "0", "sentinel-user": "", "sentinel-pass": "", "loglevel": "notice"}
}

// Failures SENTINEL SIMULATE-FAILURE can inject into the leader's next failover.
const (
	simCrashAfterElection  = 1 << iota // once the votes are in, before the commit
	simCrashAfterPromotion             // right after the commit
)

func (s *Sentinel) simulateFailure(w *resp.Writer, args [][]byte) {
	flags := 0
	for _, a := range args {
		switch strings.ToLower(string(a)) {
		case "crash-after-election":
			flags |= simCrashAfterElection
		case "crash-after-promotion":
			flags |= simCrashAfterPromotion
		case "help":
			w.Array(2)
			w.BulkString("crash-after-election")
			w.BulkString("crash-after-promotion")
			return
		default:
			w.Error("ERR Unknown failure simulation specified")
			return
		}
	}
	s.simFailure.Store(int32(flags))
	w.OK()
}

// errCrashed: the failover stopped at a failure SIMULATE-FAILURE asked for.
var errCrashed = errors.New("simulated failure: the sentinel crashed")

// simulated crashes the sentinel if SIMULATE-FAILURE asked for the failure at this
// point (flag): Redis Sentinel exits the process; Crash, when configured, stands in,
// and simulated then returns errCrashed for the caller to stop where it is.
func (s *Sentinel) simulated(flag int32) error {
	if s.simFailure.Load()&flag == 0 {
		return nil
	}
	s.event("-simulated-failure", fmt.Sprintf("%s: crashing", s.cfg.ID))
	if s.cfg.Crash == nil {
		os.Exit(99)
	}
	s.cfg.Crash()
	return errCrashed
}

// info answers INFO [section …] in sentinel mode.
func (s *Sentinel) info(w *resp.Writer, sections [][]byte) {
	want := func(name string) bool {
		if len(sections) == 0 {
			return true
		}
		return slices.ContainsFunc(sections, func(a []byte) bool {
			v := strings.ToLower(string(a))
			return v == name || v == "all" || v == "everything" || v == "default"
		})
	}
	var b strings.Builder
	section := func(title string) {
		if b.Len() > 0 {
			b.WriteString("\r\n")
		}
		b.WriteString("# " + title + "\r\n")
	}
	kv := func(k string, v any) { fmt.Fprintf(&b, "%s:%v\r\n", k, v) }
	if want("server") {
		section("Server")
		kv("redis_version", redisVersion)
		kv("redis_mode", "sentinel")
		kv("os", runtime.GOOS)
		kv("arch_bits", strconv.IntSize)
		kv("process_id", os.Getpid())
		kv("run_id", s.cfg.ID)
		_, port, _ := net.SplitHostPort(s.Addr())
		kv("tcp_port", port)
		kv("uptime_in_seconds", int64(time.Since(s.started).Seconds()))
		kv("uptime_in_days", int64(time.Since(s.started).Hours()/24))
	}
	if want("clients") {
		s.mu.Lock()
		n := len(s.conns)
		s.mu.Unlock()
		s.subMu.Lock()
		subs := len(s.subs)
		s.subMu.Unlock()
		section("Clients")
		kv("connected_clients", n)
		kv("pubsub_clients", subs)
	}
	if want("stats") {
		st := s.Stats()
		section("Stats")
		kv("sentinel_failovers", st.Failovers)
		kv("sentinel_vote_rounds", st.VoteRounds)
		kv("sentinel_events", st.Events)
		kv("raft_term", s.store.Term())
		kv("raft_leader", s.leaderID())
	}
	if want("sentinel") {
		ms := s.masters()
		section("Sentinel")
		kv("sentinel_masters", len(ms))
		kv("sentinel_tilt", 0)
		kv("sentinel_tilt_since_seconds", -1)
		kv("sentinel_running_scripts", 0)
		kv("sentinel_scripts_queue_length", 0)
		kv("sentinel_simulate_failure_flags", s.simFailure.Load())
		for i, m := range ms {
			status := "ok"
			if _, od := s.odownSince(m.name); od {
				status = "odown"
			} else if s.probes.sdown(m.primary) {
				status = "sdown"
			}
			ip, port := s.addrOf(m.primary)
			kv(fmt.Sprintf("master%d", i), fmt.Sprintf("name=%s,status=%s,address=%s,slaves=%d,sentinels=%d",
				m.name, status, net.JoinHostPort(ip, strconv.Itoa(port)), len(m.replicas), len(s.otherSentinels())+1))
		}
	}
	w.Verbatim("txt", b.String())
}
