#!/usr/bin/env bash
# bench-convergence.sh — how fast a layout change reaches every node of a 10-node
# cluster (5 primaries with a replica each), shoal vs a real Redis Cluster side by
# side: the time from the change to the last node reporting its epoch
# (scripts/convergeprobe). shoal's change is a commit of its sentinel group, spread by
# the sentinel's push and gossip; Redis's is CLUSTER BUMPEPOCH, spread by its cluster
# bus heartbeats. Prints median, p90 and max in ms, and the shoal/Redis ratios (lower
# is faster).
#
# Usage: scripts/bench-convergence.sh
# Needs: bin/shoal (make build), redis-server, redis-cli.
set -euo pipefail
cd "$(dirname "$0")/.."
# shellcheck source=scripts/bench-lib.sh
. scripts/bench-lib.sh
go build -o "$work/convergeprobe" ./scripts/convergeprobe

declare -A R
for target in redis shoal; do
	addrs=()
	probe=()
	if [ "$target" = shoal ]; then
		start_sentinel
		probe=(-sentinel "127.0.0.1:$sp")
	fi
	for i in $(seq 0 9); do
		p=$(free_port)
		mkdir -p "$work/$target-$i"
		if [ "$target" = shoal ]; then
			./bin/shoal server --port "$p" --bind 127.0.0.1 --save "" --dir "$work/$target-$i" \
				--cluster-enabled yes --cluster-secret bench --cluster-port "$(free_port)" --loglevel warning >>"$work/$target-$i.log" 2>&1 &
		else
			redis-server --port "$p" --bind 127.0.0.1 --save "" --appendonly no --dir "$work/$target-$i" \
				--cluster-enabled yes --cluster-port "$(free_port)" --loglevel warning >>"$work/$target-$i.log" 2>&1 &
		fi
		pids+=($!)
		wait_ready "$p"
		addrs+=("127.0.0.1:$p")
	done
	if [ "$target" = shoal ]; then
		./bin/shoal cluster --sentinels "127.0.0.1:$sp" create "${addrs[@]}" --replicas 1 >"$work/create.log"
	else
		redis-cli --cluster create "${addrs[@]}" --cluster-replicas 1 --cluster-yes >"$work/create.log" 2>&1
		until redis-cli --cluster check "${addrs[0]}" 2>/dev/null | grep -q "All nodes agree"; do sleep 0.2; done
	fi
	read -r med p90 max < <("$work/convergeprobe" -nodes "$(IFS=,; echo "${addrs[*]}")" "${probe[@]}")
	R[$target,med]=$med R[$target,p90]=$p90 R[$target,max]=$max
	for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
	wait 2>/dev/null || true
	pids=()
done

echo "# a change reaching all 10 nodes (5 primaries + 5 replicas), ms; shoal vs redis-server $(redis-server --version | cut -d' ' -f3); $(nproc) cores"
printf "%-24s %10s %10s %8s\n" "" redis shoal ratio
for k in med p90 max; do
	printf "%-24s %10s %10s %8s\n" "$k" "${R[redis,$k]}" "${R[shoal,$k]}" "$(ratio "${R[shoal,$k]}" "${R[redis,$k]}")"
done
