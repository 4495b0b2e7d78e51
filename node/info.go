package node

import (
	"fmt"
	"os"
	"runtime"
	"runtime/metrics"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// INFO answers with Redis 7.0's sections and field names (see shared/reference), in
// Redis's order. Fields that describe machinery shoal does not have (forks, jemalloc,
// io-threads) keep their names with the values a Redis without that activity shows.

var defaultSections = []string{"server", "clients", "memory", "persistence", "stats", "replication", "cpu", "modules", "errorstats", "cluster", "keyspace"}
var allSections = []string{"server", "clients", "memory", "persistence", "stats", "replication", "cpu", "modules", "commandstats", "errorstats", "latencystats", "cluster", "keyspace"}

func cmdInfo(c *Client) {
	var want []string
	seen := map[string]bool{}
	add := func(names ...string) {
		for _, n := range names {
			if !seen[n] {
				seen[n] = true
				want = append(want, n)
			}
		}
	}
	if len(c.args) == 1 {
		add(defaultSections...)
	}
	for _, a := range c.args[1:] {
		switch s := strings.ToLower(string(a)); s {
		case "default":
			add(defaultSections...)
		case "all", "everything":
			add(allSections...)
		default:
			add(s)
		}
	}
	// Sections print in Redis's order, whatever order they were asked in.
	var b strings.Builder
	for _, name := range allSections {
		if !seen[name] {
			continue
		}
		if b.Len() > 0 {
			b.WriteString("\r\n")
		}
		c.s.writeInfoSection(&b, name)
	}
	c.w.Verbatim("txt", b.String())
}

type infoWriter struct{ b *strings.Builder }

func (w infoWriter) kv(k string, v any) {
	w.b.WriteString(k)
	w.b.WriteByte(':')
	switch v := v.(type) {
	case string:
		w.b.WriteString(v)
	case int:
		w.b.WriteString(strconv.Itoa(v))
	case int64:
		w.b.WriteString(strconv.FormatInt(v, 10))
	case float64:
		w.b.WriteString(strconv.FormatFloat(v, 'f', 2, 64))
	default:
		fmt.Fprint(w.b, v)
	}
	w.b.WriteString("\r\n")
}

func (s *Server) writeInfoSection(b *strings.Builder, name string) {
	w := infoWriter{b}
	title := strings.ToUpper(name[:1]) + name[1:]
	if name == "cpu" {
		title = "CPU"
	}
	b.WriteString("# " + title + "\r\n")
	cfg := s.config()
	now := time.Now()
	switch name {
	case "server":
		var u syscall.Utsname
		osName := runtime.GOOS
		if syscall.Uname(&u) == nil {
			osName = utsString(u.Sysname[:]) + " " + utsString(u.Release[:]) + " " + utsString(u.Machine[:])
		}
		exe, _ := os.Executable()
		up := int64(now.Sub(s.start) / time.Second)
		w.kv("redis_version", Version)
		w.kv("redis_git_sha1", "00000000")
		w.kv("redis_git_dirty", 0)
		w.kv("redis_build_id", "0")
		w.kv("redis_mode", "standalone")
		w.kv("os", osName)
		w.kv("arch_bits", strconv.IntSize)
		w.kv("monotonic_clock", "POSIX clock_gettime")
		w.kv("multiplexing_api", "epoll")
		w.kv("atomicvar_api", "c11-builtin")
		w.kv("gcc_version", "0.0.0")
		w.kv("process_id", os.Getpid())
		w.kv("process_supervised", "no")
		w.kv("run_id", s.runID)
		w.kv("tcp_port", s.port())
		w.kv("server_time_usec", now.UnixMicro())
		w.kv("uptime_in_seconds", up)
		w.kv("uptime_in_days", up/86400)
		w.kv("hz", cfg.Hz)
		w.kv("configured_hz", cfg.Hz)
		w.kv("lru_clock", int64(s.eng.LRUClock()))
		w.kv("executable", exe)
		w.kv("config_file", cfg.File())
		w.kv("io_threads_active", 0)
		w.kv("shoal_version", ShoalVersion)
		w.kv("go_version", runtime.Version())
	case "clients":
		clients := s.clientsSnapshot()
		blocked := 0
		for _, cl := range clients {
			if cl.blocked.Load() {
				blocked++
			}
		}
		w.kv("connected_clients", len(clients))
		w.kv("cluster_connections", 0)
		w.kv("maxclients", cfg.MaxClients)
		w.kv("client_recent_max_input_buffer", 0)
		w.kv("client_recent_max_output_buffer", 0)
		w.kv("blocked_clients", blocked)
		w.kv("tracking_clients", 0)
		w.kv("clients_in_timeout_table", blocked)
	case "memory":
		m := readMemStats()
		s.writeMemory(w, cfg.Maxmemory, cfg.MaxmemoryPolicy, m)
	case "persistence":
		w.kv("loading", b2i(s.loading.on.Load()))
		w.kv("async_loading", 0)
		w.kv("current_cow_peak", 0)
		w.kv("current_cow_size", 0)
		w.kv("current_cow_size_age", 0)
		w.kv("current_fork_perc", "0.00")
		w.kv("current_save_keys_processed", 0)
		w.kv("current_save_keys_total", 0)
		w.kv("rdb_changes_since_last_save", s.stats.dirty.Load())
		bgStart := s.persist.bgStart.Load()
		w.kv("rdb_bgsave_in_progress", b2i(bgStart != 0))
		w.kv("rdb_last_save_time", s.lastSave.Load())
		status := "ok"
		if !s.persist.lastOK.Load() {
			status = "err"
		}
		w.kv("rdb_last_bgsave_status", status)
		w.kv("rdb_last_bgsave_time_sec", s.persist.lastBgsaveSec.Load()-b2i64(s.persist.saves.Load() == 0))
		cur := int64(-1)
		if bgStart != 0 {
			cur = (time.Now().UnixMilli() - bgStart) / 1000
		}
		w.kv("rdb_current_bgsave_time_sec", cur)
		w.kv("rdb_saves", s.persist.saves.Load())
		w.kv("rdb_last_cow_size", 0)
		w.kv("rdb_last_load_keys_expired", s.persist.loadedExpired.Load())
		w.kv("rdb_last_load_keys_loaded", s.persist.loadedKeys.Load())
		s.writeAOFInfo(w)
		s.writeLoadingInfo(w)
	case "stats":
		st := &s.stats
		es := s.eng.Stats()
		chans, pats, shard := s.pubsub.counts()
		tkeys, titems, tprefixes := s.tracking.stats()
		for _, f := range []struct {
			k string
			v any
		}{
			{"total_connections_received", st.connections.Load()},
			{"total_commands_processed", st.commands.Load()},
			{"instantaneous_ops_per_sec", 0},
			{"total_net_input_bytes", st.netIn.Load()},
			{"total_net_output_bytes", st.netOut.Load()},
			{"total_net_repl_input_bytes", 0},
			{"total_net_repl_output_bytes", 0},
			{"instantaneous_input_kbps", "0.00"},
			{"instantaneous_output_kbps", "0.00"},
			{"instantaneous_input_repl_kbps", "0.00"},
			{"instantaneous_output_repl_kbps", "0.00"},
			{"rejected_connections", st.rejectedConns.Load()},
			{"sync_full", s.repl.fullSyncs.Load()}, {"sync_partial_ok", s.repl.partialOK.Load()}, {"sync_partial_err", s.repl.partialErr.Load()},
			{"expired_keys", es.Expired},
			{"expired_stale_perc", "0.00"},
			{"expired_time_cap_reached_count", 0},
			{"expire_cycle_cpu_milliseconds", 0},
			{"evicted_keys", s.stats.evicted.Load()}, {"evicted_clients", 0},
			{"total_eviction_exceeded_time", 0}, {"current_eviction_exceeded_time", 0},
			{"keyspace_hits", es.Hits},
			{"keyspace_misses", es.Misses},
			{"pubsub_channels", chans}, {"pubsub_patterns", pats}, {"pubsubshard_channels", shard},
			{"latest_fork_usec", 0}, {"total_forks", 0}, {"migrate_cached_sockets", 0},
			{"slave_expires_tracked_keys", 0},
			{"active_defrag_hits", 0}, {"active_defrag_misses", 0},
			{"active_defrag_key_hits", 0}, {"active_defrag_key_misses", 0},
			{"total_active_defrag_time", 0}, {"current_active_defrag_time", 0},
			{"tracking_total_keys", tkeys}, {"tracking_total_items", titems}, {"tracking_total_prefixes", tprefixes},
			{"unexpected_error_replies", 0},
			{"total_error_replies", st.errorsTotal.Load()},
			// Redis 7.2's counter of clients cut at client-output-buffer-limit.
			{"client_output_buffer_limit_disconnections", st.outputLimitDisconnects.Load()},
			{"dump_payload_sanitizations", 0},
			{"total_reads_processed", 0}, {"total_writes_processed", 0},
			{"io_threaded_reads_processed", 0}, {"io_threaded_writes_processed", 0},
			{"reply_buffer_shrinks", 0}, {"reply_buffer_expands", 0},
		} {
			w.kv(f.k, f.v)
		}
	case "replication":
		s.writeReplicationInfo(w)
	case "cpu":
		var ru syscall.Rusage
		syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
		sys := fmt.Sprintf("%d.%06d", ru.Stime.Sec, ru.Stime.Usec)
		user := fmt.Sprintf("%d.%06d", ru.Utime.Sec, ru.Utime.Usec)
		w.kv("used_cpu_sys", sys)
		w.kv("used_cpu_user", user)
		w.kv("used_cpu_sys_children", "0.000000")
		w.kv("used_cpu_user_children", "0.000000")
		w.kv("used_cpu_sys_main_thread", sys)
		w.kv("used_cpu_user_main_thread", user)
	case "modules":
	case "commandstats":
		for _, cmd := range s.table.order {
			for _, x := range append([]*Command{cmd}, cmd.subsInOrder()...) {
				calls := x.calls.Load()
				rej, failed := x.rejected.Load(), x.failed.Load()
				if calls == 0 && rej == 0 && failed == 0 {
					continue
				}
				usec := x.usec.Load()
				per := 0.0
				if calls > 0 {
					per = float64(usec) / float64(calls)
				}
				w.kv("cmdstat_"+x.FullName, fmt.Sprintf("calls=%d,usec=%d,usec_per_call=%.2f,rejected_calls=%d,failed_calls=%d", calls, usec, per, rej, failed))
			}
		}
	case "errorstats":
		names, counts := s.stats.errorCounts()
		for i, n := range names {
			w.kv("errorstat_"+n, "count="+strconv.FormatInt(counts[i], 10))
		}
	case "latencystats":
	case "cluster":
		w.kv("cluster_enabled", b2i(s.cluster.enabled))
		if s.cluster.enabled {
			// shoal's: the write lease (held now; times it ran out on a primary).
			w.kv("cluster_write_lease", b2i(s.lease.held.Load()))
			w.kv("cluster_write_lease_lost", s.lease.lost.Load())
		}
	case "keyspace":
		for i := range s.eng.NumDBs() {
			db := s.eng.DB(i)
			if n := db.Size(); n > 0 {
				w.kv("db"+strconv.Itoa(i), fmt.Sprintf("keys=%d,expires=%d,avg_ttl=0", n, db.Volatile()))
			}
		}
	default:
		// Unknown sections print nothing, as in Redis; drop the header again.
		str := b.String()
		b.Reset()
		b.WriteString(strings.TrimSuffix(str, "# "+title+"\r\n"))
	}
}

func utsString(a []int8) string {
	b := make([]byte, 0, len(a))
	for _, c := range a {
		if c == 0 {
			break
		}
		b = append(b, byte(c))
	}
	return string(b)
}

// port is the TCP port the server listens on.
func (s *Server) port() int {
	if a, ok := s.Addr().(interface{ String() string }); ok && a != nil {
		if _, p, err := splitHostPort(a.String()); err == nil {
			return p
		}
	}
	return s.config().Port
}

func splitHostPort(addr string) (string, int, error) {
	i := strings.LastIndexByte(addr, ':')
	if i < 0 {
		return "", 0, fmt.Errorf("no port in %q", addr)
	}
	p, err := strconv.Atoi(addr[i+1:])
	return addr[:i], p, err
}

// memStats are the figures INFO memory and MEMORY STATS report.
type memStats struct {
	used, rss, heapSys int64
}

var memSamples = []metrics.Sample{
	{Name: "/memory/classes/heap/objects:bytes"},
	{Name: "/memory/classes/total:bytes"},
}

func readMemStats() memStats {
	samples := make([]metrics.Sample, len(memSamples))
	copy(samples, memSamples)
	metrics.Read(samples)
	m := memStats{used: int64(samples[0].Value.Uint64()), heapSys: int64(samples[1].Value.Uint64())}
	m.rss = readRSS()
	return m
}

// readRSS reads the resident set size from /proc (0 where unavailable).
func readRSS() int64 {
	b, err := os.ReadFile("/proc/self/statm")
	if err != nil {
		return 0
	}
	f := strings.Fields(string(b))
	if len(f) < 2 {
		return 0
	}
	pages, _ := strconv.ParseInt(f[1], 10, 64)
	return pages * int64(os.Getpagesize())
}

// humanBytes formats n as Redis's bytesToHuman does.
func humanBytes(n int64) string {
	f := float64(n)
	switch {
	case n < 1024:
		return strconv.FormatInt(n, 10) + "B"
	case n < 1024*1024:
		return fmt.Sprintf("%.2fK", f/1024)
	case n < 1024*1024*1024:
		return fmt.Sprintf("%.2fM", f/(1024*1024))
	case n < 1024*1024*1024*1024:
		return fmt.Sprintf("%.2fG", f/(1024*1024*1024))
	default:
		return fmt.Sprintf("%.2fT", f/(1024*1024*1024*1024))
	}
}

func (s *Server) writeMemory(w infoWriter, maxmem int64, policy string, m memStats) {
	peak := s.notePeak(m.used)
	w.kv("used_memory", m.used)
	w.kv("used_memory_human", humanBytes(m.used))
	w.kv("used_memory_rss", m.rss)
	w.kv("used_memory_rss_human", humanBytes(m.rss))
	w.kv("used_memory_peak", peak)
	w.kv("used_memory_peak_human", humanBytes(peak))
	w.kv("used_memory_peak_perc", fmt.Sprintf("%.2f%%", 100*float64(m.used)/float64(max(peak, 1))))
	dataset := s.eng.MemTotal()
	w.kv("used_memory_overhead", max(m.used-dataset, 0))
	w.kv("used_memory_startup", 0)
	w.kv("used_memory_dataset", dataset)
	w.kv("used_memory_dataset_perc", fmt.Sprintf("%.2f%%", 100*float64(dataset)/float64(max(m.used, 1))))
	w.kv("allocator_allocated", m.used)
	w.kv("allocator_active", m.heapSys)
	w.kv("allocator_resident", m.rss)
	w.kv("total_system_memory", totalSystemMemory())
	w.kv("total_system_memory_human", humanBytes(totalSystemMemory()))
	for _, k := range []string{"used_memory_lua", "used_memory_vm_eval"} {
		w.kv(k, 0)
	}
	w.kv("used_memory_lua_human", "0B")
	for _, k := range []string{"used_memory_scripts_eval", "number_of_cached_scripts", "number_of_functions",
		"number_of_libraries", "used_memory_vm_functions", "used_memory_vm_total"} {
		w.kv(k, 0)
	}
	w.kv("used_memory_vm_total_human", "0B")
	w.kv("used_memory_functions", 0)
	w.kv("used_memory_scripts", 0)
	w.kv("used_memory_scripts_human", "0B")
	w.kv("maxmemory", maxmem)
	w.kv("maxmemory_human", humanBytes(maxmem))
	w.kv("maxmemory_policy", policy)
	frag := float64(m.rss) / float64(max(m.used, 1))
	w.kv("allocator_frag_ratio", 1.0)
	w.kv("allocator_frag_bytes", 0)
	w.kv("allocator_rss_ratio", frag)
	w.kv("allocator_rss_bytes", m.rss-m.used)
	w.kv("rss_overhead_ratio", 1.0)
	w.kv("rss_overhead_bytes", 0)
	w.kv("mem_fragmentation_ratio", frag)
	w.kv("mem_fragmentation_bytes", m.rss-m.used)
	for _, k := range []string{"mem_not_counted_for_evict", "mem_replication_backlog", "mem_total_replication_buffers",
		"mem_clients_slaves", "mem_clients_normal", "mem_cluster_links", "mem_aof_buffer"} {
		w.kv(k, 0)
	}
	w.kv("mem_allocator", "go-"+runtime.Version())
	w.kv("active_defrag_running", 0)
	w.kv("lazyfree_pending_objects", 0)
	w.kv("lazyfreed_objects", 0)
}

// notePeak records used as a candidate peak and returns the peak.
func (s *Server) notePeak(used int64) int64 {
	for {
		p := s.peakMem.Load()
		if used <= p {
			return p
		}
		if s.peakMem.CompareAndSwap(p, used) {
			return used
		}
	}
}

func totalSystemMemory() int64 {
	var si syscall.Sysinfo_t
	if syscall.Sysinfo(&si) != nil {
		return 0
	}
	return int64(si.Totalram) * int64(si.Unit)
}
