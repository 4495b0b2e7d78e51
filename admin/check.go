package admin

import (
	"slices"
	"strconv"
	"strings"

	"github.com/shoal-db/shoal/slots"
)

// Info prints one line per primary (keys, slots, replicas) and the totals, as
// redis-cli --cluster info does.
func (a *Admin) Info() error {
	top, err := a.topology()
	if err != nil {
		return err
	}
	a.info(top)
	return nil
}

func (a *Admin) info(top *slots.Topology) {
	ctx, cancel := a.ctx()
	defer cancel()
	var keys int64
	ps := primaries(top)
	for _, p := range ps {
		n, err := a.client(endpoint(p.node)).DBSize(ctx).Result()
		if err != nil {
			a.printf("[ERR] %s: %v\n", endpoint(p.node), err)
			continue
		}
		keys += n
		a.printf("%s (%s...) -> %d keys | %d slots | %d slaves.\n",
			endpoint(p.node), p.node.ID[:8], n, p.shard.Slots.Len(), len(p.shard.Replicas))
	}
	a.printf("[OK] %d keys in %d masters.\n", keys, len(ps))
	a.printf("%.2f keys per slot on average.\n", float64(keys)/slots.Count)
}

// Check prints the layout and checks it, as redis-cli --cluster check does: every node
// follows the committed topology ("All nodes agree"), no slot is left migrating, and
// every slot has an owner. It returns ErrCheck when something is wrong.
func (a *Admin) Check() error {
	top, err := a.topology()
	if err != nil {
		return err
	}
	a.info(top)
	if !a.check(top) {
		return ErrCheck
	}
	return nil
}

// check prints the layout of top and its health; false when unhealthy.
func (a *Admin) check(top *slots.Topology) bool {
	ok := true
	a.printf(">>> Performing Cluster Check (using sentinels %s, epoch %d)\n", strings.Join(a.sentinels, ","), top.Epoch())
	nodes := top.Nodes()
	slices.SortFunc(nodes, func(x, y slots.Node) int { return strings.Compare(endpoint(x), endpoint(y)) })
	var addrs []string
	for _, n := range nodes {
		addrs = append(addrs, endpoint(n))
		sh, inShard := top.ShardOf(n.ID)
		switch {
		case inShard && sh.Primary != n.ID:
			a.printf("S: %s %s\n   slots: (0 slots) slave\n   replicates %s\n", n.ID, endpoint(n), sh.Primary)
		case inShard && sh.Slots.Len() > 0:
			list := make([]string, len(sh.Slots))
			for i, r := range sh.Slots {
				list[i] = r.String()
			}
			a.printf("M: %s %s\n   slots:[%s] (%d slots) master\n", n.ID, endpoint(n), strings.Join(list, ","), sh.Slots.Len())
			if len(sh.Replicas) > 0 {
				a.printf("   %d additional replica(s)\n", len(sh.Replicas))
			}
		default: // a primary without slots
			a.printf("M: %s %s\n   slots: (0 slots) master\n", n.ID, endpoint(n))
			if inShard && len(sh.Replicas) > 0 {
				a.printf("   %d additional replica(s)\n", len(sh.Replicas))
			}
		}
	}
	if behind := a.waitEpoch(addrs, top.Epoch()); len(behind) > 0 {
		a.printf("[ERR] Nodes don't agree about configuration!\n")
		for _, addr := range behind {
			a.printf("[ERR] %s does not follow epoch %d\n", addr, top.Epoch())
		}
		ok = false
	} else {
		a.printf("[OK] All nodes agree about slots configuration.\n")
	}
	a.printf(">>> Check for open slots...\n")
	if ms := top.Migrations(); len(ms) > 0 {
		bySource, byTarget := map[string][]string{}, map[string][]string{}
		var open []string
		for _, m := range ms {
			s := strconv.Itoa(m.Slot)
			bySource[m.Source] = append(bySource[m.Source], s)
			byTarget[m.Target] = append(byTarget[m.Target], s)
			open = append(open, s)
		}
		for _, n := range nodes {
			if l := bySource[n.ID]; len(l) > 0 {
				a.printf("[WARNING] Node %s has slots in migrating state %s.\n", endpoint(n), strings.Join(l, ","))
			}
			if l := byTarget[n.ID]; len(l) > 0 {
				a.printf("[WARNING] Node %s has slots in importing state %s.\n", endpoint(n), strings.Join(l, ","))
			}
		}
		a.printf("[WARNING] The following slots are open: %s.\n", strings.Join(open, ","))
		ok = false
	}
	a.printf(">>> Check slots coverage...\n")
	if top.Covered() {
		a.printf("[OK] All %d slots covered.\n", slots.Count)
	} else {
		a.printf("[ERR] Not all %d slots are covered by nodes.\n", slots.Count)
		ok = false
	}
	return ok
}
