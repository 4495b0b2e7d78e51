package slots

import (
	"slices"
	"strconv"
)

// Query is what the redirect decision needs to know about a command (for EXEC, about
// the transaction it runs) and the client that sent it.
type Query struct {
	Keys [][]byte // the command's keys; for EXEC, those of every queued command
	// Slots, when not nil, are the keys' slots (index-aligned with Keys), computed by
	// the caller already.
	Slots []int
	// Write: the command has the write flag (EXEC itself has not); TxWrite: it is EXEC
	// and a queued command has it.
	Write, TxWrite bool
	Asking         bool // the client sent ASKING, or the command is RESTORE-ASKING
	ReadOnly       bool // the client sent READONLY
	ShardPubSub    bool // SPUBLISH, SSUBSCRIBE, SUNSUBSCRIBE: the keys are shard channels
	Migrate        bool // the command is MIGRATE
	// Exists reports whether a key is in the local dataset; it is asked only about
	// keys of a slot being migrated or imported (and not for shard channels).
	Exists func(key []byte) bool
}

// State is the asking node's view of the cluster beyond the topology.
type State struct {
	Self string // this node's ID
	// Down: the cluster is not OK (CLUSTER INFO cluster_state:fail), with what
	// cluster-allow-reads-when-down and cluster-allow-pubsubshard-when-down allow then.
	Down, AllowReadsWhenDown, AllowPubSubShardWhenDown bool
}

// Outcome is the kind of a redirect decision.
type Outcome int

const (
	Serve        Outcome = iota // run the command here
	Moved                       // -MOVED: the slot is served elsewhere
	Ask                         // -ASK: the slot is migrating and the keys are not here
	TryAgain                    // -TRYAGAIN: some keys of a migrating slot moved, some not
	CrossSlot                   // -CROSSSLOT: the keys are in different slots
	Down                        // -CLUSTERDOWN The cluster is down
	DownReadOnly                // -CLUSTERDOWN … only accepts read commands
	Unbound                     // -CLUSTERDOWN Hash slot not served
)

// Decision is where a command runs, or the error that sends the client elsewhere.
type Decision struct {
	Outcome Outcome
	Slot    int  // the keys' slot (-1 for a command without keys)
	Node    Node // Moved, Ask: where to
}

// Route decides where a command runs, as Redis 7.0's getNodeByQuery: every key must be
// in one slot; the slot's owner serves it, except that a migrating slot's source sends
// the client to the target (ASK) for keys it no longer has — TRYAGAIN when it has some
// of them — an importing target serves ASKING clients (TRYAGAIN for several keys when
// some are missing), MIGRATE runs wherever the slot is open, and a replica serves
// reads of its primary's slots to READONLY clients. A cluster that is down refuses
// commands with keys unless configured to allow reads.
func (t *Topology) Route(st State, q Query) Decision {
	slot := -1
	var firstKey []byte
	var owner *Shard
	migrating, importing := false, false
	multipleKeys := false
	existing, missing := 0, 0
	for i, key := range q.Keys {
		var s int
		if q.Slots != nil {
			s = q.Slots[i]
		} else {
			s = KeySlot(key)
		}
		if firstKey == nil {
			firstKey, slot = key, s
			o := t.owner[s]
			if o < 0 || t.shards[o].Primary == "" {
				return Decision{Outcome: Unbound, Slot: s}
			}
			owner = &t.shards[o]
			if len(t.migrations) > 0 { // (no map lookup on the common path)
				if m, ok := t.migrations[s]; ok {
					switch st.Self {
					case owner.Primary:
						migrating = true
					case m.Target:
						importing = true
					}
				}
			}
		} else {
			if s != slot {
				return Decision{Outcome: CrossSlot, Slot: -1}
			}
			if !multipleKeys && string(key) != string(firstKey) {
				multipleKeys = true
			}
		}
		if (migrating || importing) && !q.ShardPubSub && q.Exists != nil {
			if q.Exists(key) {
				existing++
			} else {
				missing++
			}
		}
	}
	if owner == nil {
		return Decision{Outcome: Serve, Slot: -1}
	}
	if st.Down {
		switch {
		case q.ShardPubSub:
			if !st.AllowPubSubShardWhenDown {
				return Decision{Outcome: Down, Slot: slot}
			}
		case !st.AllowReadsWhenDown:
			return Decision{Outcome: Down, Slot: slot}
		case q.Write:
			return Decision{Outcome: DownReadOnly, Slot: slot}
		}
	}
	if (migrating || importing) && q.Migrate {
		return Decision{Outcome: Serve, Slot: slot}
	}
	if migrating && missing > 0 {
		if existing > 0 {
			return Decision{Outcome: TryAgain, Slot: slot}
		}
		return Decision{Outcome: Ask, Slot: slot, Node: t.nodes[t.migrations[slot].Target]}
	}
	if importing && q.Asking {
		if multipleKeys && missing > 0 {
			return Decision{Outcome: TryAgain, Slot: slot}
		}
		return Decision{Outcome: Serve, Slot: slot}
	}
	if owner.Primary == st.Self {
		return Decision{Outcome: Serve, Slot: slot}
	}
	if (q.ReadOnly || q.ShardPubSub) && !q.Write && !q.TxWrite && slices.Contains(owner.Replicas, st.Self) {
		return Decision{Outcome: Serve, Slot: slot}
	}
	return Decision{Outcome: Moved, Slot: slot, Node: t.nodes[owner.Primary]}
}

// Endpoint chooses what a redirect names a node by (cluster-preferred-endpoint-type).
type Endpoint int

const (
	EndpointIP       Endpoint = iota // the node's IP
	EndpointHostname                 // its hostname ("?" when it has none)
	EndpointUnknown                  // "?": the client reconnects to the address it used
)

// Error is Redis's error reply for the decision (without the leading '-'), "" for
// Serve. tls selects the nodes' TLS ports (a TLS client of a cluster with
// tls-cluster).
func (d Decision) Error(ep Endpoint, tls bool) string {
	switch d.Outcome {
	case CrossSlot:
		return "CROSSSLOT Keys in request don't hash to the same slot"
	case TryAgain:
		return "TRYAGAIN Multiple keys request during rehashing of slot"
	case Down:
		return "CLUSTERDOWN The cluster is down"
	case DownReadOnly:
		return "CLUSTERDOWN The cluster is down and only accepts read commands"
	case Unbound:
		return "CLUSTERDOWN Hash slot not served"
	case Moved, Ask:
		kind := "MOVED "
		if d.Outcome == Ask {
			kind = "ASK "
		}
		host := d.Node.IP
		switch ep {
		case EndpointHostname:
			host = d.Node.Hostname
			if host == "" {
				host = "?"
			}
		case EndpointUnknown:
			host = "?"
		}
		port := d.Node.Port
		if tls && d.Node.TLSPort != 0 {
			port = d.Node.TLSPort
		}
		return kind + strconv.Itoa(d.Slot) + " " + host + ":" + strconv.Itoa(port)
	}
	return ""
}

// RedirectBlocked decides, after a topology change, whether a client blocked on a key
// of slot (BLPOP, XREAD BLOCK …) must give up with a redirect, as Redis 7.0's
// clusterRedirectBlockedClientIfNeeded: with the cluster down (Down); when the slot has
// no owner (Unbound); when another shard serves it and it is not being imported here
// (Moved) — a READONLY client reading on a replica of the slot's shard stays. Serve
// means it keeps waiting.
func (t *Topology) RedirectBlocked(st State, slot int, readOnlyRead bool) Decision {
	if st.Down {
		return Decision{Outcome: Down, Slot: slot}
	}
	o := t.owner[slot]
	if o < 0 || t.shards[o].Primary == "" {
		return Decision{Outcome: Unbound, Slot: slot}
	}
	owner := &t.shards[o]
	if owner.Primary == st.Self {
		return Decision{Outcome: Serve, Slot: slot}
	}
	if m, ok := t.migrations[slot]; ok && m.Target == st.Self {
		return Decision{Outcome: Serve, Slot: slot}
	}
	if readOnlyRead && slices.Contains(owner.Replicas, st.Self) {
		return Decision{Outcome: Serve, Slot: slot}
	}
	return Decision{Outcome: Moved, Slot: slot, Node: t.nodes[owner.Primary]}
}
