package node

import (
	"net"
	"strconv"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/shoal-db/shoal/gossip"
	"github.com/shoal-db/shoal/slots"
)

// The data node's Prometheus metrics, read when scraped: named as
// oliver006/redis_exporter names them where it has an equivalent (the same INFO
// field under the same name and labels, so its dashboards and alerts work), and
// shoal_-prefixed otherwise. `shoal server --metrics-port` serves them (cmd/shoal).

// Collector returns the node's metrics for a Prometheus registry.
func (s *Server) Collector() prometheus.Collector { return nodeCollector{s} }

// SlotCollector returns the per-slot key counts (shoal_slot_keys{slot}) of the slots
// that hold keys: 16,384 series at most, so served apart, on demand.
func (s *Server) SlotCollector() prometheus.Collector { return slotCollector{s} }

type nodeCollector struct{ s *Server }

func desc(name, help string, labels ...string) *prometheus.Desc {
	return prometheus.NewDesc(name, help, labels, nil)
}

var (
	descNodeUp       = desc("redis_up", "1: the server answers.")
	descInfo         = desc("redis_instance_info", "The instance: role, version, mode, run id, port.", "role", "redis_version", "redis_mode", "run_id", "tcp_port")
	descUptime       = desc("redis_uptime_in_seconds", "Seconds since the server started.")
	descStartTime    = desc("redis_start_time_seconds", "When the server started (Unix seconds).")
	descClients      = desc("redis_connected_clients", "Client connections.")
	descBlocked      = desc("redis_blocked_clients", "Clients waiting in a blocking command.")
	descMaxClients   = desc("redis_config_maxclients", "The maxclients setting.")
	descCommands     = desc("redis_commands_processed_total", "Commands processed.")
	descConnsIn      = desc("redis_connections_received_total", "Connections accepted.")
	descRejected     = desc("redis_rejected_connections_total", "Connections refused (maxclients).")
	descNetIn        = desc("redis_net_input_bytes_total", "Bytes read from clients.")
	descNetOut       = desc("redis_net_output_bytes_total", "Bytes written to clients.")
	descHits         = desc("redis_keyspace_hits_total", "Key lookups that found the key.")
	descMisses       = desc("redis_keyspace_misses_total", "Key lookups that did not.")
	descExpired      = desc("redis_expired_keys_total", "Keys removed because their time to live ran out.")
	descEvicted      = desc("redis_evicted_keys_total", "Keys evicted (maxmemory).")
	descErrorReplies = desc("redis_errors_total", "Error replies, by their first word.", "err")
	descCmdCalls     = desc("redis_commands_total", "Calls, by command (subcommands as container|sub).", "cmd")
	descCmdSeconds   = desc("redis_commands_duration_seconds_total", "Seconds spent executing, by command.", "cmd")
	descCmdRejected  = desc("redis_commands_rejected_calls_total", "Calls refused before executing, by command.", "cmd")
	descCmdFailed    = desc("redis_commands_failed_calls_total", "Calls that executed and answered an error, by command.", "cmd")
	descMemUsed      = desc("redis_memory_used_bytes", "Memory the process holds for the data and itself (Go heap).")
	descMemRSS       = desc("redis_memory_used_rss_bytes", "Resident set size.")
	descMemPeak      = desc("redis_memory_used_peak_bytes", "The highest redis_memory_used_bytes seen.")
	descMemDataset   = desc("redis_memory_used_dataset_bytes", "The data set's estimated size.")
	descMemMax       = desc("redis_memory_max_bytes", "The maxmemory setting (0: none).")
	descDBKeys       = desc("redis_db_keys", "Keys per database.", "db")
	descDBExpiring   = desc("redis_db_keys_expiring", "Keys with a time to live, per database.", "db")
	descLoading      = desc("redis_loading_dump_file", "1 while the data set loads.")
	descDirty        = desc("redis_rdb_changes_since_last_save", "Writes since the last save.")
	descLastSave     = desc("redis_rdb_last_save_timestamp_seconds", "When the last successful save ended (Unix seconds).")
	descBgsave       = desc("redis_rdb_bgsave_in_progress", "1 while a background save runs.")
	descBgsaveOK     = desc("redis_rdb_last_bgsave_status", "1 when the last background save succeeded.")
	descAOF          = desc("redis_aof_enabled", "1 when appendonly is on.")
	descReplicas     = desc("redis_connected_slaves", "Replicas connected.")
	descReplOffset   = desc("redis_master_repl_offset", "The replication stream's offset.")
	descSlaveOffset  = desc("redis_connected_slave_offset_bytes", "The offset a replica acknowledged.", "slave_ip", "slave_port", "slave_state")
	descSlaveLag     = desc("redis_connected_slave_lag_seconds", "Seconds since a replica's last acknowledgement.", "slave_ip", "slave_port", "slave_state")
	descReplLagBytes = desc("shoal_replica_lag_bytes", "How far a replica's acknowledged offset is behind this primary's stream.", "replica")
	descLinkUp       = desc("redis_master_link_up", "On a replica: 1 while the link to its primary is up.")
	descLastIO       = desc("redis_master_last_io_seconds_ago", "On a replica: seconds since its primary last sent anything (-1: no link).")
	descSyncing      = desc("redis_master_sync_in_progress", "On a replica: 1 while a full sync is received.")
	descSlaveOff     = desc("redis_slave_repl_offset", "On a replica: the offset applied.")
	descClusterOn    = desc("redis_cluster_enabled", "1 in cluster mode.")
	descClusterState = desc("redis_cluster_state", "1 while the cluster is ok (CLUSTER INFO's cluster_state).")
	descSlotsAssign  = desc("redis_cluster_slots_assigned", "Slots assigned to a shard.")
	descSlotsOK      = desc("redis_cluster_slots_ok", "Slots served by a primary.")
	descSlotsFail    = desc("redis_cluster_slots_fail", "Slots assigned to a shard without a primary.")
	descKnownNodes   = desc("redis_cluster_known_nodes", "Nodes in the topology.")
	descClusterSize  = desc("redis_cluster_size", "Shards serving slots.")
	descEpoch        = desc("redis_cluster_current_epoch", "The topology's epoch.")
	descLeaseHeld    = desc("shoal_write_lease_held", "1 while this primary holds a write lease from the sentinels.")
	descLeaseLost    = desc("shoal_write_lease_lost_total", "Times this primary's write lease ran out.")
	descSafeTimeouts = desc("shoal_shard_durability_timeouts_total",
		"Safe-mode writes no replica acknowledged within shard-durability-timeout (their connection closed).")
	descSlotKeys    = desc("shoal_slot_keys", "Keys in a hash slot (slots holding keys only).", "slot")
	descMoveRunning = desc("shoal_slot_move_running", "1 while this node sends a slot move (shoal's own migration).")
	descMoveKeys    = desc("shoal_slot_move_keys", "Keys the moving slots held when the running move's snapshot began.")
	descMoveSent    = desc("shoal_slot_move_keys_sent", "Keys of the running move sent so far.")
	descMoveBytes   = desc("shoal_slot_move_bytes_sent", "Bytes of the running move sent so far (keys, then writes).")
	descMovesDone   = desc("shoal_slot_moves_handed_off_total", "Slot moves this node handed off as their source.")
	descMoveFails   = desc("shoal_slot_move_attempts_failed_total", "Attempts at slot moves that failed here (each started again).")
	descMovesBack   = desc("shoal_slot_moves_rolled_back_total", "Slot moves this node rolled back after failing again and again.")
	descMoveDigest  = desc("shoal_slot_move_digest_mismatches_total", "Attempts at slot moves failed because a slot's digest differed on the target.")
)

var nodeDescs = []*prometheus.Desc{descNodeUp, descInfo, descUptime, descStartTime, descClients, descBlocked,
	descMaxClients, descCommands, descConnsIn, descRejected, descNetIn, descNetOut, descHits, descMisses, descExpired,
	descEvicted, descErrorReplies, descCmdCalls, descCmdSeconds, descCmdRejected, descCmdFailed, descMemUsed, descMemRSS,
	descMemPeak, descMemDataset, descMemMax, descDBKeys, descDBExpiring, descLoading, descDirty, descLastSave, descBgsave,
	descBgsaveOK, descAOF, descReplicas, descReplOffset, descSlaveOffset, descSlaveLag, descReplLagBytes, descLinkUp,
	descLastIO, descSyncing, descSlaveOff, descClusterOn, descClusterState, descSlotsAssign, descSlotsOK, descSlotsFail,
	descKnownNodes, descClusterSize, descEpoch, descLeaseHeld, descLeaseLost, descSafeTimeouts, descMoveRunning,
	descMoveKeys, descMoveSent, descMoveBytes, descMovesDone, descMoveFails, descMovesBack, descMoveDigest}

func (c nodeCollector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range append(nodeDescs, gossip.Descs...) {
		ch <- d
	}
}

// metricSink sends constant metrics to a Collect channel.
type metricSink chan<- prometheus.Metric

func (m metricSink) gauge(d *prometheus.Desc, v float64, labels ...string) {
	m <- prometheus.MustNewConstMetric(d, prometheus.GaugeValue, v, labels...)
}

func (m metricSink) counter(d *prometheus.Desc, v int64, labels ...string) {
	m <- prometheus.MustNewConstMetric(d, prometheus.CounterValue, float64(v), labels...)
}

func (c nodeCollector) Collect(ch chan<- prometheus.Metric) {
	s, m := c.s, metricSink(ch)
	cfg := s.config()
	st := &s.stats
	es := s.eng.Stats()
	role := "master"
	if s.up.following.Load() {
		role = "slave"
	}
	mode := "standalone"
	if s.cluster.enabled {
		mode = "cluster"
	}
	m.gauge(descNodeUp, 1)
	m.gauge(descInfo, 1, role, Version, mode, s.runID, strconv.Itoa(s.port()))
	m.gauge(descUptime, time.Since(s.start).Seconds())
	m.gauge(descStartTime, float64(s.start.Unix()))
	clients, blocked := s.clientsSnapshot(), 0
	for _, cl := range clients {
		if cl.blocked.Load() {
			blocked++
		}
	}
	m.gauge(descClients, float64(len(clients)))
	m.gauge(descBlocked, float64(blocked))
	m.gauge(descMaxClients, float64(cfg.MaxClients))
	m.counter(descCommands, st.commands.Load())
	m.counter(descConnsIn, st.connections.Load())
	m.counter(descRejected, st.rejectedConns.Load())
	m.counter(descNetIn, st.netIn.Load())
	m.counter(descNetOut, st.netOut.Load())
	m.counter(descHits, es.Hits)
	m.counter(descMisses, es.Misses)
	m.counter(descExpired, es.Expired)
	m.counter(descEvicted, st.evicted.Load())
	names, counts := st.errorCounts()
	for i, n := range names {
		m.counter(descErrorReplies, counts[i], n)
	}
	for _, cmd := range s.table.order {
		for _, x := range append([]*Command{cmd}, cmd.subsInOrder()...) {
			calls, rej, failed := x.calls.Load(), x.rejected.Load(), x.failed.Load()
			if calls == 0 && rej == 0 && failed == 0 {
				continue
			}
			m.counter(descCmdCalls, calls, x.FullName)
			m <- prometheus.MustNewConstMetric(descCmdSeconds, prometheus.CounterValue, float64(x.usec.Load())/1e6, x.FullName)
			m.counter(descCmdRejected, rej, x.FullName)
			m.counter(descCmdFailed, failed, x.FullName)
		}
	}
	mem := readMemStats()
	m.gauge(descMemUsed, float64(mem.used))
	m.gauge(descMemRSS, float64(mem.rss))
	m.gauge(descMemPeak, float64(s.notePeak(mem.used)))
	m.gauge(descMemDataset, float64(s.eng.MemTotal()))
	m.gauge(descMemMax, float64(cfg.Maxmemory))
	for i := range s.eng.NumDBs() {
		db := s.eng.DB(i)
		if n := db.Size(); n > 0 {
			m.gauge(descDBKeys, float64(n), "db"+strconv.Itoa(i))
			m.gauge(descDBExpiring, float64(db.Volatile()), "db"+strconv.Itoa(i))
		}
	}
	m.gauge(descLoading, float64(b2i(s.loading.on.Load())))
	m.gauge(descDirty, float64(st.dirty.Load()))
	m.gauge(descLastSave, float64(s.lastSave.Load()))
	m.gauge(descBgsave, float64(b2i(s.persist.bgStart.Load() != 0)))
	m.gauge(descBgsaveOK, float64(b2i(s.persist.lastOK.Load())))
	m.gauge(descAOF, float64(b2i(cfg.Appendonly)))
	s.collectReplication(m, role == "slave")
	m.gauge(descClusterOn, float64(b2i(s.cluster.enabled)))
	if s.cluster.enabled {
		top := s.joinedView()
		h := s.clusterHealth(top)
		m.gauge(descClusterState, float64(b2i(h.ok)))
		m.gauge(descSlotsAssign, float64(h.assigned))
		m.gauge(descSlotsOK, float64(h.slotsOK))
		m.gauge(descSlotsFail, float64(h.assigned-h.slotsOK))
		m.gauge(descKnownNodes, float64(h.known))
		m.gauge(descClusterSize, float64(h.size))
		m.gauge(descEpoch, float64(top.Epoch()))
		m.gauge(descLeaseHeld, float64(b2i(s.lease.held.Load())))
		m.counter(descLeaseLost, s.lease.lost.Load())
		s.cluster.gossip.Load().CollectMetrics(ch)
		mv := s.moving.Load()
		m.gauge(descMoveRunning, float64(b2i(mv != nil)))
		if mv != nil {
			m.gauge(descMoveKeys, float64(mv.keys.Load()))
			m.gauge(descMoveSent, float64(mv.keysSent.Load()))
			m.gauge(descMoveBytes, float64(mv.bytesSent.Load()))
		}
		m.counter(descMovesDone, s.movers.handedOff.Load())
		m.counter(descMoveFails, s.movers.failed.Load())
		m.counter(descMovesBack, s.movers.rolledBack.Load())
		m.counter(descMoveDigest, s.movers.mismatches.Load())
	}
	m.counter(descSafeTimeouts, st.safeTimeouts.Load())
}

// collectReplication sends the replication metrics: the primary side (this node's
// stream and its replicas) always, the replica side when following a primary.
func (s *Server) collectReplication(m metricSink, following bool) {
	if following {
		u := &s.up
		st := u.linkState()
		lastIO := int64(-1)
		if st == linkConnected {
			lastIO = time.Now().Unix() - u.lastIO.Load()
		}
		m.gauge(descLinkUp, float64(b2i(st == linkConnected)))
		m.gauge(descLastIO, float64(lastIO))
		m.gauge(descSyncing, float64(b2i(st == linkTransfer)))
		m.gauge(descSlaveOff, float64(s.replOffset()))
	}
	r := &s.repl
	r.mu.Lock()
	defer r.mu.Unlock()
	var end int64
	if r.backlog != nil {
		end = r.backlog.End()
	}
	m.gauge(descReplicas, float64(len(r.replicas)))
	m.gauge(descReplOffset, float64(end))
	now := time.Now().Unix()
	for _, rp := range r.replicas {
		ip, port, state := rp.host(), strconv.Itoa(rp.port), rp.stateName()
		lag := int64(0)
		if t := rp.ackTime.Load(); t != 0 {
			lag = now - t
		}
		ack := rp.ackOff.Load()
		m.gauge(descSlaveOffset, float64(ack), ip, port, state)
		m.gauge(descSlaveLag, float64(lag), ip, port, state)
		m.gauge(descReplLagBytes, float64(max(end-ack, 0)), net.JoinHostPort(ip, port))
	}
}

type slotCollector struct{ s *Server }

func (c slotCollector) Describe(ch chan<- *prometheus.Desc) { ch <- descSlotKeys }

func (c slotCollector) Collect(ch chan<- prometheus.Metric) {
	db := c.s.eng.DB(0)
	for sl := range slots.Count {
		c.s.eng.LockSlot(sl)
		n := db.SlotSize(sl)
		c.s.eng.UnlockSlot(sl)
		if n > 0 {
			metricSink(ch).gauge(descSlotKeys, float64(n), strconv.Itoa(sl))
		}
	}
}

// Loading reports whether the server is loading its data set (not ready).
func (s *Server) Loading() bool { return s.loading.on.Load() }
