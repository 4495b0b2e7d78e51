package proxy

import (
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/shoal-db/shoal/gossip"
)

// The proxy's Prometheus metrics, read when scraped: the hot path adds to counters a
// session keeps and the links observe reply latencies. Collector returns them for a
// registry; `shoal proxy --metrics-port` serves them.

// latencyBuckets are the buckets (seconds) of the node reply latency histogram: tens
// of microseconds on loopback to the seconds of a slow command.
var latencyBuckets = [...]float64{50e-6, 100e-6, 200e-6, 500e-6, 1e-3, 2e-3, 5e-3, 10e-3, 25e-3, 50e-3, 100e-3, 250e-3, 1, 5}

// latencyHist is the node reply latency histogram. The links add runs of replies with
// one latency (the replies of a batch read at once) in one step, where a Prometheus
// histogram takes one observation at a time; scraping makes a Prometheus histogram of
// it.
type latencyHist struct {
	counts [len(latencyBuckets) + 1]atomic.Uint64 // by bucket, not cumulative; the last is +Inf
	sumNs  atomic.Int64
}

// observe adds n replies that took d each.
func (h *latencyHist) observe(d time.Duration, n uint64) {
	h.counts[sort.SearchFloat64s(latencyBuckets[:], d.Seconds())].Add(n)
	h.sumNs.Add(int64(d) * int64(n))
}

var descLatency = prometheus.NewDesc("shoal_proxy_node_latency_seconds",
	"Time from writing a request on a shared connection to its node's reply.", nil, nil)

// metric is the histogram as a Prometheus metric.
func (h *latencyHist) metric() prometheus.Metric {
	buckets := make(map[float64]uint64, len(latencyBuckets))
	var count uint64
	for i, le := range latencyBuckets {
		count += h.counts[i].Load()
		buckets[le] = count
	}
	count += h.counts[len(latencyBuckets)].Load()
	return prometheus.MustNewConstHistogram(descLatency, count, float64(h.sumNs.Load())/1e9, buckets)
}

// stats are the proxy's counters.
type stats struct {
	latency   latencyHist // a node's reply on a link, from the write of its batch
	moved     atomic.Int64
	ask       atomic.Int64
	errMu     sync.Mutex
	errors    map[string]int64 // error replies to clients by their first word
	lostConns atomic.Int64     // links that failed
}

func newStats() *stats {
	return &stats{errors: map[string]int64{}}
}

// errorReply counts an error reply given to a client by its class (its first word:
// ERR, WRONGTYPE, CROSSSLOT, CLUSTERDOWN …).
func (st *stats) errorReply(reply []byte) {
	line := strings.TrimRight(string(reply[1:min(len(reply), 64)]), "\r\n")
	class, _, _ := strings.Cut(line, " ")
	if class == "" || len(class) > 32 || strings.ToUpper(class) != class {
		class = "other"
	}
	st.errMu.Lock()
	if _, ok := st.errors[class]; ok || len(st.errors) < 64 {
		st.errors[class]++
	}
	st.errMu.Unlock()
}

// Collector returns the proxy's metrics for a Prometheus registry.
func (p *Proxy) Collector() prometheus.Collector { return proxyCollector{p} }

type proxyCollector struct{ p *Proxy }

var (
	descRequests = prometheus.NewDesc("shoal_proxy_requests_total", "Requests read from clients.", nil, nil)
	descConns    = prometheus.NewDesc("shoal_proxy_connected_clients", "Client connections open.", nil, nil)
	descAccepted = prometheus.NewDesc("shoal_proxy_connections_received_total", "Client connections accepted.", nil, nil)
	descErrors   = prometheus.NewDesc("shoal_proxy_error_replies_total",
		"Error replies passed to clients (from nodes or the proxy's own), by class (the error's first word).", []string{"class"}, nil)
	descRedirects = prometheus.NewDesc("shoal_proxy_redirects_followed_total",
		"MOVED and ASK replies the proxy followed for its clients.", []string{"kind"}, nil)
	descEpoch = prometheus.NewDesc("shoal_proxy_topology_epoch",
		"Epoch of the topology the proxy follows (0 while it reads CLUSTER SLOTS).", nil, nil)
	descPrimaries = prometheus.NewDesc("shoal_proxy_primaries", "Primaries serving slots, as the proxy knows them.", nil, nil)
	descLost      = prometheus.NewDesc("shoal_proxy_node_connections_lost_total",
		"Shared connections to nodes that failed (their unanswered requests got an error or were sent again).", nil, nil)
	descUp = prometheus.NewDesc("shoal_up", "1: the process answers.", []string{"role"}, nil)
)

func (c proxyCollector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range append([]*prometheus.Desc{descRequests, descConns, descAccepted, descErrors, descRedirects, descEpoch,
		descPrimaries, descLost, descUp, descLatency}, gossip.Descs...) {
		ch <- d
	}
}

func (c proxyCollector) Collect(ch chan<- prometheus.Metric) {
	p := c.p
	counter := func(d *prometheus.Desc, v int64, labels ...string) {
		ch <- prometheus.MustNewConstMetric(d, prometheus.CounterValue, float64(v), labels...)
	}
	gauge := func(d *prometheus.Desc, v int64) {
		ch <- prometheus.MustNewConstMetric(d, prometheus.GaugeValue, float64(v))
	}
	counter(descRequests, p.commands.Load())
	p.mu.Lock()
	gauge(descConns, int64(len(p.conns)))
	p.mu.Unlock()
	counter(descAccepted, p.ids.Load())
	p.stats.errMu.Lock()
	for class, n := range p.stats.errors {
		counter(descErrors, n, class)
	}
	p.stats.errMu.Unlock()
	counter(descRedirects, p.stats.moved.Load(), "moved")
	counter(descRedirects, p.stats.ask.Load(), "ask")
	m := p.slots.Load()
	gauge(descEpoch, int64(m.epoch))
	gauge(descPrimaries, int64(len(m.primaries)))
	counter(descLost, p.stats.lostConns.Load())
	ch <- prometheus.MustNewConstMetric(descUp, prometheus.GaugeValue, 1, "proxy")
	ch <- p.stats.latency.metric()
	p.gossip.CollectMetrics(ch)
}
