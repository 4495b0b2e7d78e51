package node

import (
	"strconv"

	"github.com/prometheus/client_golang/prometheus"
)

// The data node's Prometheus metrics, read when scraped: named as
// oliver006/redis_exporter names them where it has an equivalent, shoal_-prefixed
// otherwise. `shoal server --metrics-port` serves them (cmd/shoal).

// Collector returns the node's metrics for a Prometheus registry.
func (s *Server) Collector() prometheus.Collector { return nodeCollector{s} }

type nodeCollector struct{ s *Server }

var (
	descNodeUp       = prometheus.NewDesc("redis_up", "1: the server answers.", nil, nil)
	descClients      = prometheus.NewDesc("redis_connected_clients", "Client connections.", nil, nil)
	descCommands     = prometheus.NewDesc("redis_commands_processed_total", "Commands processed.", nil, nil)
	descConnsIn      = prometheus.NewDesc("redis_connections_received_total", "Connections accepted.", nil, nil)
	descEvicted      = prometheus.NewDesc("redis_evicted_keys_total", "Keys evicted (maxmemory).", nil, nil)
	descDBKeys       = prometheus.NewDesc("redis_db_keys", "Keys per database.", []string{"db"}, nil)
	descReplicas     = prometheus.NewDesc("redis_connected_slaves", "Replicas connected.", nil, nil)
	descReplOffset   = prometheus.NewDesc("redis_master_repl_offset", "The replication stream's offset.", nil, nil)
	descClusterOn    = prometheus.NewDesc("redis_cluster_enabled", "1 in cluster mode.", nil, nil)
	descLoading      = prometheus.NewDesc("redis_loading_dump_file", "1 while the data set loads.", nil, nil)
	descLeaseHeld    = prometheus.NewDesc("shoal_write_lease_held", "1 while this primary holds a write lease from the sentinels.", nil, nil)
	descLeaseLost    = prometheus.NewDesc("shoal_write_lease_lost_total", "Times this primary's write lease ran out.", nil, nil)
	descSafeTimeouts = prometheus.NewDesc("shoal_shard_durability_timeouts_total",
		"Safe-mode writes no replica acknowledged within shard-durability-timeout (their connection closed).", nil, nil)
)

func (c nodeCollector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{descNodeUp, descClients, descCommands, descConnsIn, descEvicted, descDBKeys,
		descReplicas, descReplOffset, descClusterOn, descLoading, descLeaseHeld, descLeaseLost, descSafeTimeouts} {
		ch <- d
	}
}

func (c nodeCollector) Collect(ch chan<- prometheus.Metric) {
	s := c.s
	gauge := func(d *prometheus.Desc, v float64, labels ...string) {
		ch <- prometheus.MustNewConstMetric(d, prometheus.GaugeValue, v, labels...)
	}
	counter := func(d *prometheus.Desc, v int64) {
		ch <- prometheus.MustNewConstMetric(d, prometheus.CounterValue, float64(v))
	}
	gauge(descNodeUp, 1)
	gauge(descClients, float64(len(s.clientsSnapshot())))
	counter(descCommands, s.stats.commands.Load())
	counter(descConnsIn, s.stats.connections.Load())
	counter(descEvicted, s.stats.evicted.Load())
	for i := range s.eng.NumDBs() {
		if n := s.eng.DB(i).Size(); n > 0 {
			gauge(descDBKeys, float64(n), "db"+strconv.Itoa(i))
		}
	}
	s.repl.mu.Lock()
	replicas := len(s.repl.replicas)
	s.repl.mu.Unlock()
	gauge(descReplicas, float64(replicas))
	gauge(descReplOffset, float64(s.replOffset()))
	gauge(descClusterOn, float64(b2i(s.cluster.enabled)))
	gauge(descLoading, float64(b2i(s.loading.on.Load())))
	gauge(descLeaseHeld, float64(b2i(s.lease.held.Load())))
	counter(descLeaseLost, s.lease.lost.Load())
	counter(descSafeTimeouts, s.stats.safeTimeouts.Load())
}

// Loading reports whether the server is loading its data set (not ready).
func (s *Server) Loading() bool { return s.loading.on.Load() }
