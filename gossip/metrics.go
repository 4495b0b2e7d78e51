package gossip

import "github.com/prometheus/client_golang/prometheus"

// Metric descriptions every gossip member exports, whatever its role (a node, a
// sentinel, a proxy): its role's collector sends Descs in Describe and calls
// CollectMetrics in Collect.
var (
	descMembers = prometheus.NewDesc("shoal_gossip_members",
		"Gossip members this process knows, by state (alive, failed, left).", []string{"state"}, nil)
	descHealth = prometheus.NewDesc("shoal_gossip_health_score",
		"memberlist's awareness score of this member: 0 when it keeps up with the failure detector.", nil, nil)
	descTopologyEpoch = prometheus.NewDesc("shoal_gossip_topology_epoch",
		"The epoch of the newest topology this member adopted.", nil, nil)
)

// Descs are the descriptions of what CollectMetrics sends.
var Descs = []*prometheus.Desc{descMembers, descHealth, descTopologyEpoch}

// CollectMetrics sends g's metrics to ch: nothing when g is nil (the process is no
// gossip member, or not yet).
func (g *Gossip) CollectMetrics(ch chan<- prometheus.Metric) {
	if g == nil {
		return
	}
	states := g.MemberStates()
	for _, st := range []string{"alive", "failed", "left"} {
		ch <- prometheus.MustNewConstMetric(descMembers, prometheus.GaugeValue, float64(states[st]), st)
	}
	ch <- prometheus.MustNewConstMetric(descHealth, prometheus.GaugeValue, float64(g.HealthScore()))
	var epoch uint64
	if top := g.Topology(); top != nil {
		epoch = top.Epoch()
	}
	ch <- prometheus.MustNewConstMetric(descTopologyEpoch, prometheus.GaugeValue, float64(epoch))
}
