#!/usr/bin/env bash
# bench-failover.sh — failover drills, shoal vs a real Redis Cluster side by side: 3
# primaries with a replica each; each drill kills (SIGKILL) the primary of a slot
# while a go-redis ClusterClient writes to it, and measures the unavailability window
# from the kill to the first successful write to that slot, then restarts the killed
# node and counts acknowledged writes lost (scripts/failoverdrill). shoal runs with
# its defaults (3 sentinels, down-after 2000 ms), then again in safe mode
# (shard-durability safe, with 2 replicas per primary: a safe primary left without a
# replica refuses writes); Redis Cluster with cluster-node-timeout 5000. Then the same
# drills on a standalone primary + replica watched by 3 sentinels, written through
# go-redis's FailoverClient: shoal's sentinels (SENTINEL MONITOR, down-after 2000 ms)
# vs Redis Sentinel (down-after-milliseconds 5000, failover-timeout 5000: Redis
# Sentinel waits 2 × failover-timeout before failing the same master over again, so
# drills are 10 s apart for both). Prints median and max in ms, the ratios to Redis
# (lower is faster), and the acknowledged writes lost.
#
# Usage: scripts/bench-failover.sh [-n drills] [-t cluster|sentinel]   (default: 20, both)
# Needs: bin/shoal (make build), redis-server, redis-cli.
set -euo pipefail
cd "$(dirname "$0")/.."
# shellcheck source=scripts/bench-lib.sh
. scripts/bench-lib.sh
DRILLS=20 CLUSTER_TARGETS="redis shoal shoal-safe" SENTINEL_TARGETS="redis-sentinel shoal-sentinel"
while getopts "n:t:" o; do
	case $o in
	n) DRILLS=$OPTARG ;;
	t) case $OPTARG in
		cluster) SENTINEL_TARGETS="" ;;
		sentinel) CLUSTER_TARGETS="" ;;
		*) echo "-t cluster|sentinel" >&2; exit 2 ;;
		esac ;;
	*) echo "usage: $0 [-n drills] [-t cluster|sentinel]" >&2; exit 2 ;;
	esac
done
# The data nodes are started (and restarted by the drills) through their start
# scripts: their process IDs are in $work/<port>.pid.
stop_nodes() {
	for f in "$work"/*.pid; do [ -e "$f" ] && kill "$(cat "$f")" 2>/dev/null || true; done
	rm -f "$work"/*.pid
}
trap 'stop_nodes; cleanup' EXIT
go build -o "$work/failoverdrill" ./scripts/failoverdrill
repo=$(pwd)

# node_script target i port: writes the start script of a data node (it records the
# process ID in $work/<port>.pid) and runs it.
node_script() {
	local target=$1 i=$2 p=$3 bus
	bus=$(free_port)
	mkdir -p "$work/$target-$i"
	if [ "$target" = redis-sentinel ]; then
		cmd="redis-server --port $p --bind 127.0.0.1 --save '' --appendonly no --dir $work/$target-$i --loglevel notice"
	elif [ "$target" = shoal-sentinel ]; then
		cmd="$repo/bin/shoal server --port $p --bind 127.0.0.1 --save '' --dir $work/$target-$i --loglevel notice"
	elif [ "$target" != redis ]; then
		cmd="$repo/bin/shoal server --port $p --bind 127.0.0.1 --save '' --dir $work/$target-$i --cluster-enabled yes --cluster-secret bench --cluster-port $bus --loglevel notice"
		if [ "$target" = shoal-safe ]; then cmd="$cmd --shard-durability safe"; fi
	else
		cmd="redis-server --port $p --bind 127.0.0.1 --save '' --appendonly no --dir $work/$target-$i --cluster-enabled yes --cluster-port $bus --cluster-node-timeout 5000 --loglevel notice"
	fi
	printf '%s >>%s 2>&1 &\necho $! >%s\n' "$cmd" "$work/$target-$i.log" "$work/$p.pid" >"$work/start-$p.sh"
	sh "$work/start-$p.sh"
}

# start_sentinels: starts a group of 3 shoal sentinels; their RESP ports in sps.
start_sentinels() {
	sps=()
	for s in 1 2 3; do
		rm -rf "$work/sentinel-$s"
		sp=$(free_port)
		sps+=("$sp")
		join=(--bootstrap)
		[ "$s" -gt 1 ] && join=(--join "127.0.0.1:${sps[0]}")
		./bin/shoal sentinel --id "s$s" --dir "$work/sentinel-$s" --port "$sp" --raft-port "$(free_port)" \
			--bus-port "$(free_port)" --secret bench "${join[@]}" >"$work/sentinel-$s.log" 2>&1 &
		pids+=($!)
		wait_ready "$sp"
	done
}

# stop_all: stops the data nodes and the sentinels.
stop_all() {
	stop_nodes
	for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
	wait 2>/dev/null || true
	pids=()
}

declare -A R
for target in $CLUSTER_TARGETS; do
	addrs=()
	if [ "$target" != redis ]; then
		start_sentinels
	fi
	replicas=1
	if [ "$target" = shoal-safe ]; then replicas=2; fi
	for i in $(seq 0 $((3 * (replicas + 1) - 1))); do
		p=$(free_port)
		node_script "$target" "$i" "$p"
		wait_ready "$p"
		addrs+=("127.0.0.1:$p")
	done
	if [ "$target" != redis ]; then
		./bin/shoal cluster --sentinels "127.0.0.1:${sps[0]}" create "${addrs[@]}" --replicas "$replicas" >"$work/create.log"
	else
		redis-cli --cluster create "${addrs[@]}" --cluster-replicas 1 --cluster-yes >"$work/create.log" 2>&1
	fi
	until redis-cli --cluster check "${addrs[0]}" 2>/dev/null | grep -q "All 16384 slots covered"; do sleep 0.2; done
	read -r med max acked lost < <("$work/failoverdrill" -seed "${addrs[0]}" -dir "$work" -n "$DRILLS" 2>"$work/$target-drills.log") ||
		{ cat "$work/$target-drills.log" >&2; exit 1; }
	R[$target,med]=$med R[$target,max]=$max R[$target,acked]=$acked R[$target,lost]=$lost
	echo "# $target: unavailable median $med ms, max $max ms; $acked writes acknowledged, $lost lost" >&2
	stop_all
done

for target in $SENTINEL_TARGETS; do
	p0=$(free_port) p1=$(free_port)
	node_script "$target" 0 "$p0"
	node_script "$target" 1 "$p1"
	wait_ready "$p0"
	wait_ready "$p1"
	redis-cli -p "$p1" REPLICAOF 127.0.0.1 "$p0" >/dev/null
	if [ "$target" = redis-sentinel ]; then
		sps=()
		for s in 1 2 3; do
			sp=$(free_port)
			sps+=("$sp")
			mkdir -p "$work/rs-$s"
			printf 'port %s\nbind 127.0.0.1\ndir %s\nsentinel monitor mym 127.0.0.1 %s 2\nsentinel down-after-milliseconds mym 5000\nsentinel failover-timeout mym 5000\n' \
				"$sp" "$work/rs-$s" "$p0" >"$work/rs-$s/sentinel.conf"
			redis-server "$work/rs-$s/sentinel.conf" --sentinel >"$work/rs-$s.log" 2>&1 &
			pids+=($!)
			wait_ready "$sp"
		done
	else
		start_sentinels
		until redis-cli -p "${sps[0]}" SENTINEL MONITOR mym 127.0.0.1 "$p0" 2 | grep -q OK; do sleep 0.2; done
	fi
	# Every sentinel knows the replica (Redis Sentinel: the others too).
	for sp in "${sps[@]}"; do
		until redis-cli -p "$sp" SENTINEL REPLICAS mym | grep -q "^$p1\$"; do sleep 0.2; done
	done
	if [ "$target" = redis-sentinel ]; then
		until [ "$(redis-cli -p "${sps[0]}" SENTINEL MASTER mym | awk 'p { print; exit } /^num-other-sentinels$/ { p = 1 }')" = 2 ]; do sleep 0.2; done
	fi
	sentinels=$(printf '127.0.0.1:%s,' "${sps[@]}")
	read -r med max acked lost < <("$work/failoverdrill" -sentinels "${sentinels%,}" -master mym -gap 10s -dir "$work" \
		-n "$DRILLS" 2>"$work/$target-drills.log") || { cat "$work/$target-drills.log" >&2; exit 1; }
	R[$target,med]=$med R[$target,max]=$max R[$target,acked]=$acked R[$target,lost]=$lost
	echo "# $target: unavailable median $med ms, max $max ms; $acked writes acknowledged, $lost lost" >&2
	stop_all
done

echo "# failover drills: kill -9 of a primary to the first successful write to its slot, ms ($DRILLS drills each); $(nproc) cores"
if [ -n "$CLUSTER_TARGETS" ]; then
	echo "# shoal (3 sentinels, down-after 2000 ms) vs redis-server $(redis-server --version | cut -d' ' -f3) (cluster-node-timeout 5000)"
	printf "%-28s %10s %10s %8s %12s %8s\n" "" redis shoal ratio shoal-safe ratio
	for k in med max; do
		printf "%-28s %10s %10s %8s %12s %8s\n" "unavailable $k" "${R[redis,$k]}" "${R[shoal,$k]}" \
			"$(ratio "${R[shoal,$k]}" "${R[redis,$k]}")" "${R[shoal-safe,$k]}" "$(ratio "${R[shoal-safe,$k]}" "${R[redis,$k]}")"
	done
	printf "%-28s %10s %10s %8s %12s\n" "writes acknowledged" "${R[redis,acked]}" "${R[shoal,acked]}" "" "${R[shoal-safe,acked]}"
	printf "%-28s %10s %10s %8s %12s\n" "acknowledged writes lost" "${R[redis,lost]}" "${R[shoal,lost]}" "" "${R[shoal-safe,lost]}"
fi
if [ -n "$SENTINEL_TARGETS" ]; then
	echo "# standalone primary + replica, 3 sentinels: shoal (down-after 2000 ms) vs Redis Sentinel (down-after-milliseconds 5000)"
	printf "%-28s %14s %14s %8s\n" "" redis-sentinel shoal-sentinel ratio
	for k in med max; do
		printf "%-28s %14s %14s %8s\n" "unavailable $k" "${R[redis-sentinel,$k]}" "${R[shoal-sentinel,$k]}" \
			"$(ratio "${R[shoal-sentinel,$k]}" "${R[redis-sentinel,$k]}")"
	done
	printf "%-28s %14s %14s\n" "writes acknowledged" "${R[redis-sentinel,acked]}" "${R[shoal-sentinel,acked]}"
	printf "%-28s %14s %14s\n" "acknowledged writes lost" "${R[redis-sentinel,lost]}" "${R[shoal-sentinel,lost]}"
fi
