#!/usr/bin/env bash
# bench-move.sh — moving 1,000 slots holding KEYS keys (default 1,000,000) between two
# primaries while clients read and write them, shoal vs a real Redis Cluster of the
# same shape side by side: 3 primaries, the keys loaded into slots 0-999 (the first
# primary's lowest slots), then
#   - Redis: redis-cli --cluster reshard --cluster-slots 1000 (MIGRATE, ASK);
#   - shoal: shoal cluster reshard --slots 1000 (shoal's own moves: the keys streamed,
#     one hand-off under a write pause bounded by move-pause-budget);
# each while 4 go-redis ClusterClients GET and SET keys of those slots
# (scripts/moveprobe): the reshard's time, the longest operation a client saw, its
# 99th percentile, the errors the application saw, the ASK replies the nodes gave.
# Every key is read back afterwards.
# Then the big-key case: slot 1000 holding a hash of BIG_MB MB (default 300) and a
# 1,000,000-member sorted set, with 10,000 small keys the clients read and write,
# moved alone (--slots 1) the same two ways.
#
# Usage: [BIG_MB=300] scripts/bench-move.sh [-k keys]    (BIG_MB=0 skips the big keys)
# Needs: bin/shoal (make build), redis-server, redis-cli.
set -euo pipefail
cd "$(dirname "$0")/.."
# shellcheck source=scripts/bench-lib.sh
. scripts/bench-lib.sh
keys_option "$@"
go build -o "$work/moveprobe" ./scripts/moveprobe

declare -A R
for target in redis shoal; do
	if [ "$target" = shoal ]; then
		start_sentinel
		start_shoal_cluster 3
	else
		ports=()
		for i in 0 1 2; do
			p=$(free_port)
			mkdir -p "$work/redis-$i"
			"${SERVER_CPU[@]}" redis-server --port "$p" --bind 127.0.0.1 --save "" --appendonly no --dir "$work/redis-$i" \
				--cluster-enabled yes --cluster-port "$(free_port)" --loglevel warning >>"$work/redis-$i.log" 2>&1 &
			pids+=($!)
			wait_ready "$p"
			ports+=("$p")
		done
		redis-cli --cluster create "127.0.0.1:${ports[0]}" "127.0.0.1:${ports[1]}" "127.0.0.1:${ports[2]}" --cluster-yes >"$work/redis-create.log" 2>&1
		until redis-cli -p "${ports[0]}" CLUSTER INFO | grep -q cluster_state:ok; do sleep 0.05; done
	fi
	"$work/moveprobe" -seed "127.0.0.1:${ports[0]}" -load "$KEYS" -slots 1000
	from=$(redis-cli -p "${ports[0]}" CLUSTER MYID)
	to=$(redis-cli -p "${ports[1]}" CLUSTER MYID)
	if [ "$target" = shoal ]; then
		cmd=(./bin/shoal cluster --sentinels "127.0.0.1:$sp" reshard --from "$from" --to "$to" --slots 1000)
	else
		cmd=(redis-cli --cluster reshard "127.0.0.1:${ports[0]}" --cluster-from "$from" --cluster-to "$to"
			--cluster-slots 1000 --cluster-yes)
	fi
	line=$("${CLIENT_CPU[@]}" "$work/moveprobe" -seed "127.0.0.1:${ports[0]}" -keys "$KEYS" -slots 1000 -- "${cmd[@]}")
	echo "$target: $line"
	for f in ms ops errors max_stall_ms p99_ms ask; do
		R[$target,$f]=$(tr ' ' '\n' <<<"$line" | awk -F= -v k="$f" '$1 == k { print $2 }')
	done
	if [ "${BIG_MB:-300}" -gt 0 ]; then
		"$work/moveprobe" -seed "127.0.0.1:${ports[0]}" -load 10000 -first 1000 -slots 1 -big "${BIG_MB:-300}"
		if [ "$target" = shoal ]; then
			cmd=(./bin/shoal cluster --sentinels "127.0.0.1:$sp" reshard --from "$from" --to "$to" --slots 1)
		else
			cmd=(redis-cli --cluster reshard "127.0.0.1:${ports[0]}" --cluster-from "$from" --cluster-to "$to"
				--cluster-slots 1 --cluster-yes)
		fi
		line=$("${CLIENT_CPU[@]}" "$work/moveprobe" -seed "127.0.0.1:${ports[0]}" -keys 10000 -first 1000 -slots 1 -- "${cmd[@]}")
		echo "$target, big keys: $line"
		for f in ms max_stall_ms errors failed; do
			R[$target,big$f]=$(tr ' ' '\n' <<<"$line" | awk -F= -v k="$f" '$1 == k { print $2 }')
		done
	fi
	for p in "${ports[@]}"; do redis-cli -p "$p" SHUTDOWN NOSAVE >/dev/null 2>&1 || true; done
	for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
	wait 2>/dev/null || true
	pids=()
done

echo "# moving 1,000 slots / $KEYS keys under a 4-client read/write load: shoal vs redis-server $(redis-server --version | cut -d' ' -f3); $(nproc) cores${SERVER_CPU:+, servers on CPU 0, clients on CPU 1}"
printf "%-46s %10s %10s %8s\n" "" redis shoal ratio
row() { printf "%-46s %10s %10s %8s\n" "$1" "${R[redis,$2]}" "${R[shoal,$2]}" "$(ratio "${R[shoal,$2]}" "${R[redis,$2]}")"; }
row "reshard time (ms)" ms
row "client operations during it" ops
row "longest client operation (ms)" max_stall_ms
row "99th percentile operation (ms)" p99_ms
row "errors the application saw" errors
row "ASK replies" ask
if [ "${BIG_MB:-300}" -gt 0 ]; then
	echo "# one slot holding a ${BIG_MB:-300} MB hash, a 1,000,000-member sorted set and 10,000 keys the clients use"
	row "reshard time (ms)" bigms
	row "longest client operation (ms)" bigmax_stall_ms
	row "errors the application saw" bigerrors
	row "reshard failed (1: yes)" bigfailed
fi
