#!/usr/bin/env bash
# bench-cluster.sh — a shoal cluster vs a real Redis Cluster of the same shape, side by
# side: 3 primaries (no replicas) created with redis-cli --cluster create (shoal's
# behind one sentinel), then
#   - redis-benchmark --cluster -t set,get -c 50 at -P 1 and -P 16 (requests/s);
#   - the time redis-cli --cluster reshard takes to move 1,000 slots holding about
#     KEYS*1000/16384 keys (KEYS, default 100,000, loaded first), and the time shoal
#     cluster reshard takes to move them back (against redis-cli's time on Redis).
# Prints every figure and the shoal/Redis ratios.
#
# Usage: scripts/bench-cluster.sh [-k keys]
# Needs: bin/shoal (make build), redis-server, redis-benchmark, redis-cli.
set -euo pipefail
cd "$(dirname "$0")/.."
# shellcheck source=scripts/bench-lib.sh
. scripts/bench-lib.sh
KEYS_DEFAULT=100000 keys_option "$@"

declare -A R
for target in redis shoal; do
	ports=()
	if [ "$target" = shoal ]; then
		start_sentinel
		bus=$(grep -o 'bus 127.0.0.1:[0-9]*' "$work/sentinel.log" | head -1 | cut -d: -f2)
	fi
	for i in 0 1 2; do
		p=$(free_port)
		mkdir -p "$work/$target-$i"
		if [ "$target" = shoal ]; then
			"${SERVER_CPU[@]}" ./bin/shoal server --port "$p" --bind 127.0.0.1 --save "" --dir "$work/$target-$i" \
				--cluster-enabled yes --cluster-secret bench --cluster-port "$(free_port)" --loglevel warning >>"$work/$target-$i.log" 2>&1 &
		else
			"${SERVER_CPU[@]}" redis-server --port "$p" --bind 127.0.0.1 --save "" --appendonly no --dir "$work/$target-$i" \
				--cluster-enabled yes --cluster-port "$(free_port)" --loglevel warning >>"$work/$target-$i.log" 2>&1 &
		fi
		pids+=($!)
		wait_ready "$p"
		[ "$target" = shoal ] && redis-cli -p "$p" CLUSTER MEET 127.0.0.1 "$sp" "$bus" >/dev/null
		ports+=("$p")
	done
	redis-cli --cluster create "127.0.0.1:${ports[0]}" "127.0.0.1:${ports[1]}" "127.0.0.1:${ports[2]}" --cluster-yes >"$work/$target-create.log" 2>&1
	until redis-cli -p "${ports[0]}" CLUSTER INFO | grep -q cluster_state:ok; do sleep 0.05; done
	for p in 1 16; do
		n=$((p == 1 ? 300000 : 2000000)) # a few seconds each
		R[$target,set$p]=$("${CLIENT_CPU[@]}" redis-benchmark --cluster -p "${ports[0]}" -t set -c 50 -n $n -P $p -r 100000 --csv 2>/dev/null |
			awk -F'","' '/"SET"/ { gsub(/"/, "", $2); print int($2) }')
		R[$target,get$p]=$("${CLIENT_CPU[@]}" redis-benchmark --cluster -p "${ports[0]}" -t get -c 50 -n $n -P $p -r 100000 --csv 2>/dev/null |
			awk -F'","' '/"GET"/ { gsub(/"/, "", $2); print int($2) }')
	done
	# Keys for the reshard: loaded through the cluster (redis-cli -c follows MOVED).
	awk -v n="$KEYS" 'BEGIN { for (i = 0; i < n; i++) printf "SET rk:%d v%d\n", i, i }' |
		redis-cli -c -p "${ports[0]}" >/dev/null
	from=$(redis-cli -p "${ports[0]}" CLUSTER MYID)
	to=$(redis-cli -p "${ports[1]}" CLUSTER MYID)
	t0=$(now_ms)
	redis-cli --cluster reshard "127.0.0.1:${ports[0]}" --cluster-from "$from" --cluster-to "$to" \
		--cluster-slots 1000 --cluster-yes >"$work/$target-reshard.log" 2>&1
	R[$target,reshard]=$(($(now_ms) - t0))
	redis-cli --cluster check "127.0.0.1:${ports[0]}" | grep -q "All 16384 slots covered" ||
		{ echo "$target: cluster check failed after the reshard" >&2; exit 1; }
	if [ "$target" = shoal ]; then
		# The same 1,000 slots back with shoal's own tool (a batch of slots per commit).
		t0=$(now_ms)
		./bin/shoal cluster --sentinels "127.0.0.1:$sp" reshard --from "$to" --to "$from" --slots 1000 >"$work/shoal-own-reshard.log" 2>&1
		R[shoal,ownreshard]=$(($(now_ms) - t0))
		R[redis,ownreshard]=${R[redis,reshard]}
		./bin/shoal cluster --sentinels "127.0.0.1:$sp" check >/dev/null
	fi
	for p in "${ports[@]}"; do redis-cli -p "$p" SHUTDOWN NOSAVE >/dev/null 2>&1 || true; done
	[ "$target" = shoal ] && kill "${pids[0]}" 2>/dev/null || true
	wait 2>/dev/null || true
	pids=()
done

echo "# shoal vs redis-server $(redis-server --version | cut -d' ' -f3) clusters of 3 primaries; $(nproc) cores${SERVER_CPU:+, servers on CPU 0, clients on CPU 1}"
printf "%-52s %10s %10s %8s\n" "" redis shoal ratio
row() { printf "%-52s %10s %10s %8s\n" "$1" "${R[redis,$2]}" "${R[shoal,$2]}" "$(ratio "${R[shoal,$2]}" "${R[redis,$2]}")"; }
row "redis-benchmark --cluster SET -P 1 (req/s)" set1
row "redis-benchmark --cluster GET -P 1 (req/s)" get1
row "redis-benchmark --cluster SET -P 16 (req/s)" set16
row "redis-benchmark --cluster GET -P 16 (req/s)" get16
row "redis-cli --cluster reshard 1,000 slots, $KEYS keys (ms)" reshard
row "  vs shoal cluster reshard, the same slots (ms)" ownreshard
