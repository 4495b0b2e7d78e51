package failover

import (
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/shoal-db/shoal/gossip"
	"github.com/shoal-db/shoal/slots"
)

// The sentinel's Prometheus metrics, read when scraped (nothing on the failover path
// but a counter or an observation). Collector returns them for a registry; the
// `shoal sentinel --metrics-port` endpoint serves them.

// failoverBuckets are the duration buckets (seconds) of the failover histogram:
// fractions of a second to the tens of seconds Redis takes.
var failoverBuckets = []float64{0.25, 0.5, 1, 1.5, 2, 2.5, 3, 4, 5, 7.5, 10, 15, 30, 60}

// sentinelMetrics are what the failover code records.
type sentinelMetrics struct {
	// duration: for automatic failovers, from the primary's last valid answer to
	// the commit; for manual ones, from the request to the commit.
	duration *prometheus.HistogramVec
	sdowns   prometheus.Counter // +sdown events (this sentinel's detections)
	odowns   prometheus.Counter // +odown events (the leader's)
	grants   prometheus.Counter // write leases granted
	refused  prometheus.Counter // lease requests refused (fenced or not a primary)
}

func newSentinelMetrics() *sentinelMetrics {
	return &sentinelMetrics{
		duration: prometheus.NewHistogramVec(prometheus.HistogramOpts{Name: "shoal_sentinel_failover_duration_seconds",
			Help:    "Failovers committed by this sentinel as leader: from the primary's last valid answer (auto) or the request (manual) to the commit.",
			Buckets: failoverBuckets}, []string{"kind"}),
		sdowns: prometheus.NewCounter(prometheus.CounterOpts{Name: "shoal_sentinel_sdown_total",
			Help: "Instances this sentinel found subjectively down (+sdown)."}),
		odowns: prometheus.NewCounter(prometheus.CounterOpts{Name: "shoal_sentinel_odown_total",
			Help: "Primaries this sentinel, as leader, found objectively down (+odown)."}),
		grants: prometheus.NewCounter(prometheus.CounterOpts{Name: "shoal_sentinel_lease_grants_total",
			Help: "Write leases granted to primaries."}),
		refused: prometheus.NewCounter(prometheus.CounterOpts{Name: "shoal_sentinel_lease_refusals_total",
			Help: "Write lease requests refused (the node fenced, or not a primary)."}),
	}
}

// observeFailover records a committed failover that started at since.
func (m *sentinelMetrics) observeFailover(kind string, since time.Time) {
	m.duration.WithLabelValues(kind).Observe(time.Since(since).Seconds())
}

// Collector returns the sentinel's metrics for a Prometheus registry.
func (s *Sentinel) Collector() prometheus.Collector { return sentinelCollector{s} }

type sentinelCollector struct{ s *Sentinel }

var (
	descFailovers = prometheus.NewDesc("shoal_sentinel_failovers_total",
		"Failovers committed by this sentinel as leader.", nil, nil)
	descVoteRounds = prometheus.NewDesc("shoal_sentinel_vote_rounds_total",
		"Down-vote rounds this sentinel gathered as leader.", nil, nil)
	descEvents = prometheus.NewDesc("shoal_sentinel_events_total",
		"Failover timeline events written by this sentinel.", nil, nil)
	descMasters = prometheus.NewDesc("shoal_sentinel_masters",
		"Masters watched: cluster shards and standalone groups.", []string{"kind"}, nil)
	descDown = prometheus.NewDesc("shoal_sentinel_instances_down",
		"Instances this sentinel finds subjectively down now.", nil, nil)
	descLeader = prometheus.NewDesc("shoal_raft_leader",
		"1 when this sentinel leads the Raft group.", nil, nil)
	descTerm   = prometheus.NewDesc("shoal_raft_term", "The Raft term.", nil, nil)
	descCommit = prometheus.NewDesc("shoal_raft_commit_index",
		"The index of the last Raft log entry known committed.", nil, nil)
	descApplied = prometheus.NewDesc("shoal_raft_applied_index",
		"The index of the last Raft log entry applied to the FSM.", nil, nil)
	descLast = prometheus.NewDesc("shoal_raft_last_index",
		"The index of the last Raft log entry stored.", nil, nil)
	descVoters = prometheus.NewDesc("shoal_raft_voters", "Voting members of the sentinel group.", nil, nil)
	descEpoch  = prometheus.NewDesc("shoal_cluster_epoch", "The epoch of the committed topology.", nil, nil)
	descMoving = prometheus.NewDesc("shoal_cluster_slots_migrating",
		"Slots the committed topology has moving: Redis-style migrations (redis-cli --cluster) and shoal's slot moves.", nil, nil)
	descMoves = prometheus.NewDesc("shoal_cluster_slot_moves",
		"Slot moves (shoal's own migration) under way in the committed topology, by phase.", []string{"phase"}, nil)
	descUp = prometheus.NewDesc("shoal_up", "1: the process answers.", []string{"role"}, nil)
)

func (c sentinelCollector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{descFailovers, descVoteRounds, descEvents, descMasters, descDown, descLeader,
		descTerm, descCommit, descApplied, descLast, descVoters, descEpoch, descMoving, descMoves, descUp} {
		ch <- d
	}
	for _, d := range gossip.Descs {
		ch <- d
	}
	m := c.s.metrics
	m.duration.Describe(ch)
	for _, x := range []prometheus.Counter{m.sdowns, m.odowns, m.grants, m.refused} {
		x.Describe(ch)
	}
}

func (c sentinelCollector) Collect(ch chan<- prometheus.Metric) {
	s := c.s
	st := s.Stats()
	counter := func(d *prometheus.Desc, v float64, labels ...string) {
		ch <- prometheus.MustNewConstMetric(d, prometheus.CounterValue, v, labels...)
	}
	gauge := func(d *prometheus.Desc, v float64, labels ...string) {
		ch <- prometheus.MustNewConstMetric(d, prometheus.GaugeValue, v, labels...)
	}
	counter(descFailovers, float64(st.Failovers))
	counter(descVoteRounds, float64(st.VoteRounds))
	counter(descEvents, float64(st.Events))
	groups := len(s.store.fsm.Groups())
	gauge(descMasters, float64(len(s.masters())-groups), "shard")
	gauge(descMasters, float64(groups), "group")
	down := 0
	for k := range s.targets() {
		if s.probes.sdown(k) {
			down++
		}
	}
	gauge(descDown, float64(down))
	leader := 0.0
	if s.store.IsLeader() {
		leader = 1
	}
	r := s.store.raft
	gauge(descLeader, leader)
	gauge(descTerm, float64(r.CurrentTerm()))
	gauge(descCommit, float64(r.CommitIndex()))
	gauge(descApplied, float64(r.AppliedIndex()))
	gauge(descLast, float64(r.LastIndex()))
	gauge(descVoters, float64(len(s.store.Voters())))
	top := s.store.Topology()
	gauge(descEpoch, float64(top.Epoch()))
	moving := 0
	phases := map[string]int{slots.MovePreparing: 0, slots.MoveStreaming: 0, slots.MoveCatchingUp: 0, slots.MoveHandingOff: 0}
	for _, m := range top.Moves() {
		phases[m.Phase]++
		moving += m.Slots.Len()
	}
	gauge(descMoving, float64(len(top.Migrations())+moving))
	for phase, n := range phases {
		gauge(descMoves, float64(n), phase)
	}
	gauge(descUp, 1, "sentinel")
	s.gossip.CollectMetrics(ch)
	m := s.metrics
	m.duration.Collect(ch)
	for _, x := range []prometheus.Counter{m.sdowns, m.odowns, m.grants, m.refused} {
		x.Collect(ch)
	}
}
