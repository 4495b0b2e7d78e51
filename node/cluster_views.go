package node

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/shoal-db/shoal/slots"
)

// clusterView is the topology as this node answers CLUSTER INFO/SLOTS/SHARDS/NODES
// about it: an empty one before the first topology arrives.
func (s *Server) clusterView() *slots.Topology {
	if top := s.cluster.top.Load(); top != nil {
		return top
	}
	empty, _ := slots.New(0, nil, nil, nil)
	return empty
}

// shownView is the topology CLUSTER SLOTS, SHARDS, NODES and INFO answer with: the
// one the node follows, or until the first arrives the one saved in
// cluster-config-file before a restart (as a restarted Redis node answers from its
// nodes.conf), or an empty one.
func (s *Server) shownView() *slots.Topology {
	if s.cluster.top.Load() == nil && s.cluster.saved.Load() != nil {
		return s.cluster.saved.Load()
	}
	return s.clusterView()
}

// joinedView is the topology as CLUSTER INFO and NODES show it: empty while this node
// is not part of the layout — like a Redis node that met no one, it is "empty" to
// redis-cli --cluster create/add-node even though it already follows the topology.
func (s *Server) joinedView() *slots.Topology {
	top := s.shownView()
	if _, ok := top.Node(s.cluster.myID()); !ok {
		empty, _ := slots.New(0, nil, nil, nil)
		return empty
	}
	return top
}

// endpoint is how replies name a node (cluster-preferred-endpoint-type).
func (s *Server) endpoint(n slots.Node) string {
	switch s.config().ClusterPreferredEndpoint {
	case "hostname":
		if n.Hostname != "" {
			return n.Hostname
		}
		return "?"
	case "unknown-endpoint":
		return "?"
	}
	return n.IP
}

// clusterHealth is what CLUSTER INFO and the metrics say of a topology: slots
// assigned, slots served by a primary, shards serving slots, nodes known, and whether
// the cluster is ok (every slot served, or some when cluster-require-full-coverage is
// no; never while the node only shows its saved topology).
type clusterHealth struct {
	assigned, slotsOK, size, known int
	ok                             bool
}

func (s *Server) clusterHealth(top *slots.Topology) clusterHealth {
	var h clusterHealth
	for _, sh := range top.Shards() {
		n := sh.Slots.Len()
		h.assigned += n
		if sh.Primary != "" {
			h.slotsOK += n
			if n > 0 {
				h.size++
			}
		}
	}
	h.known = max(len(top.Nodes()), 1)
	h.ok = h.slotsOK > 0 && (h.slotsOK == slots.Count || !s.config().ClusterRequireFullCoverage) &&
		s.cluster.top.Load() != nil
	return h
}

// cmdClusterInfo is CLUSTER INFO, with Redis 7.0's fields.
func cmdClusterInfo(c *Client) {
	s := c.s
	if !c.clusterOn() {
		return
	}
	top := s.joinedView()
	h := s.clusterHealth(top)
	state := "ok"
	if !h.ok {
		state = "fail"
	}
	var b strings.Builder
	for _, kv := range [][2]string{
		{"cluster_state", state},
		{"cluster_slots_assigned", strconv.Itoa(h.assigned)},
		{"cluster_slots_ok", strconv.Itoa(h.slotsOK)},
		{"cluster_slots_pfail", "0"},
		{"cluster_slots_fail", strconv.Itoa(h.assigned - h.slotsOK)},
		{"cluster_known_nodes", strconv.Itoa(h.known)},
		{"cluster_size", strconv.Itoa(h.size)},
		{"cluster_current_epoch", strconv.FormatUint(top.Epoch(), 10)},
		{"cluster_my_epoch", strconv.FormatUint(top.Epoch(), 10)},
		{"cluster_stats_messages_sent", "0"},
		{"cluster_stats_messages_received", "0"},
		{"total_cluster_links_buffer_limit_exceeded", strconv.FormatInt(c.s.bus.dropped.Load(), 10)}, // forwarded PUBLISHes dropped
	} {
		b.WriteString(kv[0] + ":" + kv[1] + "\r\n")
	}
	c.w.Verbatim("txt", b.String())
}

// writeNodeEntry writes a node as CLUSTER SLOTS lists it: endpoint, port, ID, and the
// networking metadata that is not the endpoint.
func (c *Client) writeNodeEntry(n slots.Node) {
	pref := c.s.config().ClusterPreferredEndpoint
	c.w.Array(4)
	c.w.BulkString(c.s.endpoint(n))
	c.w.Int(int64(n.Port))
	c.w.BulkString(n.ID)
	var meta [][2]string
	if pref != "ip" {
		meta = append(meta, [2]string{"ip", n.IP})
	}
	if pref != "hostname" && n.Hostname != "" {
		meta = append(meta, [2]string{"hostname", n.Hostname})
	}
	c.w.Map(len(meta))
	for _, kv := range meta {
		c.w.BulkString(kv[0])
		c.w.BulkString(kv[1])
	}
}

// cmdClusterSlots is CLUSTER SLOTS: each range of slots with its primary and replicas.
func cmdClusterSlots(c *Client) {
	s := c.s
	if !c.clusterOn() {
		return
	}
	top := s.shownView()
	type entry struct {
		r  slots.Range
		sh slots.Shard
	}
	var entries []entry
	for _, sh := range top.Shards() {
		if sh.Primary == "" {
			continue
		}
		for _, r := range sh.Slots {
			entries = append(entries, entry{r, sh})
		}
	}
	slices.SortFunc(entries, func(a, b entry) int { return a.r.Start - b.r.Start })
	c.w.Array(len(entries))
	for _, e := range entries {
		c.w.Array(3 + len(e.sh.Replicas))
		c.w.Int(int64(e.r.Start))
		c.w.Int(int64(e.r.End))
		p, _ := top.Node(e.sh.Primary)
		c.writeNodeEntry(p)
		for _, id := range e.sh.Replicas {
			n, _ := top.Node(id)
			c.writeNodeEntry(n)
		}
	}
}

// cmdClusterShards is CLUSTER SHARDS: each shard's slots and nodes.
func cmdClusterShards(c *Client) {
	s := c.s
	if !c.clusterOn() {
		return
	}
	top := s.shownView()
	shards := top.Shards()
	c.w.Array(len(shards))
	for _, sh := range shards {
		c.w.Map(2)
		c.w.BulkString("slots")
		c.w.Array(2 * len(sh.Slots))
		for _, r := range sh.Slots {
			c.w.Int(int64(r.Start))
			c.w.Int(int64(r.End))
		}
		c.w.BulkString("nodes")
		members := sh.Replicas
		if sh.Primary != "" {
			members = append([]string{sh.Primary}, members...)
		}
		c.w.Array(len(members))
		for _, id := range members {
			n, _ := top.Node(id)
			role := "replica"
			if id == sh.Primary {
				role = "master"
			}
			fields := [][2]any{{"id", n.ID}, {"port", int64(n.Port)}}
			if n.TLSPort != 0 {
				fields = append(fields, [2]any{"tls-port", int64(n.TLSPort)})
			}
			fields = append(fields, [2]any{"ip", n.IP}, [2]any{"endpoint", s.endpoint(n)})
			if n.Hostname != "" {
				fields = append(fields, [2]any{"hostname", n.Hostname})
			}
			fields = append(fields, [2]any{"role", role}, [2]any{"replication-offset", int64(0)}, [2]any{"health", "online"})
			c.w.Map(len(fields))
			for _, f := range fields {
				c.w.BulkString(f[0].(string))
				switch v := f[1].(type) {
				case string:
					c.w.BulkString(v)
				case int64:
					c.w.Int(v)
				}
			}
		}
	}
}

// cmdClusterNodes is CLUSTER NODES, one line per node in Redis's format:
// id ip:port@cport[,hostname] flags primary ping-sent pong-recv config-epoch link slots….
func cmdClusterNodes(c *Client) {
	if !c.clusterOn() {
		return
	}
	c.w.Verbatim("txt", c.s.nodesText(c.s.joinedView()))
}

// nodesText is top as CLUSTER NODES lists it (and cluster-config-file holds it).
func (s *Server) nodesText(top *slots.Topology) string {
	var b strings.Builder
	nodes := top.Nodes()
	if _, ok := top.Node(s.cluster.myID()); !ok {
		nodes = append([]slots.Node{s.selfNode()}, nodes...) // not laid out yet
	}
	for _, n := range nodes {
		s.writeNodeLine(&b, top, n)
	}
	return b.String()
}

// writeNodeLine writes n's CLUSTER NODES line, newline included.
func (s *Server) writeNodeLine(b *strings.Builder, top *slots.Topology, n slots.Node) {
	flags, primary := "master", "-"
	sh, inShard := top.ShardOf(n.ID)
	if inShard && sh.Primary != n.ID {
		flags = "slave"
		if sh.Primary != "" {
			primary = sh.Primary
		}
	}
	if n.ID == s.cluster.myID() {
		flags = "myself," + flags
	}
	addr := n.IP + ":" + strconv.Itoa(n.Port) + "@" + strconv.Itoa(n.BusPort)
	if n.Hostname != "" {
		addr += "," + n.Hostname
	}
	pong := int64(0) // the last pong: now for the others (the topology says they are up)
	if n.ID != s.cluster.myID() {
		pong = time.Now().UnixMilli()
	}
	fmt.Fprintf(b, "%s %s %s %s 0 %d %d connected", n.ID, addr, flags, primary, pong, top.Epoch())
	if inShard && sh.Primary == n.ID {
		for _, r := range sh.Slots {
			b.WriteString(" " + r.String())
		}
		for _, m := range top.Migrations() {
			if m.Source == n.ID && n.ID == s.cluster.myID() {
				fmt.Fprintf(b, " [%d->-%s]", m.Slot, m.Target)
			}
		}
	}
	for _, m := range top.Migrations() {
		if m.Target == n.ID && n.ID == s.cluster.myID() {
			fmt.Fprintf(b, " [%d-<-%s]", m.Slot, m.Source)
		}
	}
	b.WriteString("\n")
}

// cmdClusterReplicas is CLUSTER REPLICAS (and SLAVES) node-id: the CLUSTER NODES
// lines of the primary's replicas.
func cmdClusterReplicas(c *Client) {
	if !c.clusterOn() {
		return
	}
	top := c.s.joinedView()
	id := string(c.args[2])
	if _, ok := top.Node(id); !ok {
		c.Err("ERR Unknown node " + id)
		return
	}
	sh, ok := top.ShardOf(id)
	if ok && sh.Primary != id {
		c.Err("ERR The specified node is not a master")
		return
	}
	c.w.Array(len(sh.Replicas))
	for _, r := range sh.Replicas {
		n, _ := top.Node(r)
		var b strings.Builder
		c.s.writeNodeLine(&b, top, n)
		c.w.BulkString(strings.TrimSuffix(b.String(), "\n"))
	}
}

// cmdClusterLinks is CLUSTER LINKS: the node keeps no standing cluster-bus link per
// peer (gossip connections are opened per exchange), so the list is empty.
func cmdClusterLinks(c *Client) {
	if c.clusterOn() {
		c.w.Array(0)
	}
}

// cmdClusterBumpepoch is CLUSTER BUMPEPOCH: the sentinel group gives every layout
// change a new, unique epoch already, so the node's is never shared and it answers
// STILL with it, as Redis does when its epoch is the unique greatest.
func cmdClusterBumpepoch(c *Client) {
	if c.clusterOn() {
		c.w.Simple("STILL " + strconv.FormatUint(c.s.clusterView().Epoch(), 10))
	}
}

func cmdClusterHelp(c *Client) {
	if !c.clusterOn() {
		return
	}
	writeHelp(c, "CLUSTER",
		"ADDSLOTS <slot> [<slot> ...]",
		"    Assign slots to current node.",
		"ADDSLOTSRANGE <start slot> <end slot> [<start slot> <end slot> ...]",
		"    Assign slots which are between <start-slot> and <end-slot> to current node.",
		"BUMPEPOCH",
		"    Advance the cluster config epoch.",
		"COUNT-FAILURE-REPORTS <node-id>",
		"    Return number of failure reports for <node-id>.",
		"COUNTKEYSINSLOT <slot>",
		"    Return the number of keys in <slot>.",
		"DELSLOTS <slot> [<slot> ...]",
		"    Delete slots information from current node.",
		"DELSLOTSRANGE <start slot> <end slot> [<start slot> <end slot> ...]",
		"    Delete slots information which are between <start-slot> and <end-slot> from current node.",
		"FLUSHSLOTS",
		"    Delete current node own slots information.",
		"FORGET <node-id>",
		"    Remove a node from the cluster.",
		"GETKEYSINSLOT <slot> <count>",
		"    Return key names stored by current node in a slot.",
		"INFO",
		"    Return information about the cluster.",
		"KEYSLOT <key>",
		"    Return the hash slot for <key>.",
		"LINKS",
		"    Return information about all network links between this node and its peers.",
		"    Output format is an array where each array element is a map containing attributes of a link",
		"MEET <ip> <port> [<bus-port>]",
		"    Connect nodes into a working cluster.",
		"MYID",
		"    Return the node id.",
		"NODES",
		"    Return cluster configuration seen by node. Output format:",
		"    <id> <ip:port@bus-port[,hostname]> <flags> <master> <pings> <pongs> <epoch> <link> <slot> ...",
		"REPLICATE <node-id>",
		"    Configure current node as replica to <node-id>.",
		"RESET [HARD|SOFT]",
		"    Reset current node (default: soft).",
		"SET-CONFIG-EPOCH <epoch>",
		"    Set config epoch of current node.",
		"SETSLOT <slot> (IMPORTING <node-id>|MIGRATING <node-id>|STABLE|NODE <node-id>)",
		"    Set slot state.",
		"REPLICAS <node-id>",
		"    Return <node-id> replicas.",
		"SAVECONFIG",
		"    Force saving cluster configuration on disk.",
		"SLOTS",
		"    Return information about slots range mappings. Each range is made of:",
		"    start, end, master and replicas IP addresses, ports and ids",
		"SHARDS",
		"    Return information about slot range mappings and the nodes associated with them.",
	)
}
