#!/usr/bin/env bash
# bench-replication.sh — shoal's replication vs a real redis-server pair, side by side.
#
# For each server kind (a redis-server primary with redis-server replicas, a shoal
# primary with shoal replicas):
#   - full sync of KEYS (default 1,000,000) small string keys: the time from REPLICAOF
#     until the replica reports master_link_status:up, on disk-based and diskless
#     transfers (repl-diskless-sync-delay 0);
#   - with no load, the time a write takes to be readable on the replica, and a write
#     and a WAIT 1 0 after it (scripts/replprobe, 200 samples each);
#   - replica lag under a write load at about half the primary's maximum SET
#     throughput: the stream bytes the replica is behind (primary master_repl_offset
#     minus replica slave_repl_offset, sampled), and the time a write takes to show up
#     on the replica (scripts/replprobe, 200 samples);
#   - the primary's SET throughput with 2 replicas attached as a ratio to none (median
#     of ROUNDS alternating runs, default 3): with the replicas on the primary's CPU
#     (on a 2-core machine their work comes out of the primary's), and on the other
#     CPU (as replicas on other machines would run; they then share it with the load
#     generator); and the primary's own CPU time per SET with the replicas on the
#     other CPU against none, whose inverse ratio is the rate a primary short of CPU
#     keeps with 2 replicas — what the two rates cannot show on a 2-core machine; and,
#     where a cgroup CPU quota can be set (root), the SET rate of a primary capped at a
#     quarter of a CPU with 2 replicas (on the other CPU) against none: the primary is
#     then the bottleneck in both runs, as it is on a machine of its own.
# Prints every figure and the ratios.
#
# Usage: [ROUNDS=n] scripts/bench-replication.sh [-k keys]
# Needs: bin/shoal (make build), redis-server, redis-benchmark, redis-cli.
set -euo pipefail
cd "$(dirname "$0")/.."

# shellcheck source=scripts/bench-lib.sh
. scripts/bench-lib.sh
keys_option "$@"
ROUNDS=${ROUNDS:-3}

# start target name extra-args...: starts a server; sets PORT and PID.
PORT= PID=
declare -A PIDOF
PIN=() # when set, the CPU pinning of the next servers instead of SERVER_CPU
start() {
	local target=$1 name=$2
	shift 2
	PORT=$(free_port)
	mkdir -p "$work/$name"
	local pin=("${SERVER_CPU[@]}")
	[ ${#PIN[@]} -gt 0 ] && pin=("${PIN[@]}")
	if [ "$target" = shoal ]; then
		"${pin[@]}" ./bin/shoal server --port "$PORT" --bind 127.0.0.1 --save "" --dir "$work/$name" --loglevel warning \
			--repl-diskless-sync-delay 0 "$@" >>"$work/$name.log" 2>&1 &
	else
		"${pin[@]}" redis-server --port "$PORT" --bind 127.0.0.1 --save "" --appendonly no --dir "$work/$name" --loglevel warning \
			--repl-diskless-sync-delay 0 "$@" >>"$work/$name.log" 2>&1 &
	fi
	PID=$!
	PIDOF[$PORT]=$!
	pids+=($!)
	wait_ready "$PORT"
}
stop() {
	redis-cli -p "$1" SHUTDOWN NOSAVE >/dev/null 2>&1 || true
	wait "${PIDOF[$1]}" 2>/dev/null || true
}
link_up() { [ "$(info_field "$1" replication master_link_status)" = up ]; }
wait_up() { until link_up "$1"; do sleep 0.01; done; }
set_rate() { # port clients [requests [pipeline]]: SET requests per second
	"${CLIENT_CPU[@]}" redis-benchmark -p "$1" -t set -c "$2" -n "${3:-200000}" -P "${4:-1}" -r 100000 --csv 2>/dev/null |
		awk -F'","' 'NR == 2 { gsub(/"/, "", $2); print int($2) }'
}
go build -o "$work/replprobe" ./scripts/replprobe

gen_keys "$KEYS" "$work/load.resp"
declare -A R
for target in redis shoal; do
	# Full sync, disk-based and diskless.
	for mode in no yes; do
		start $target "$target-p" --repl-diskless-sync $mode
		P=$PORT
		redis-cli -p "$P" --pipe <"$work/load.resp" >/dev/null
		start $target "$target-r"
		Rp=$PORT
		t0=$(now_ms)
		redis-cli -p "$Rp" REPLICAOF 127.0.0.1 "$P" >/dev/null
		wait_up "$Rp"
		R[$target,sync_$mode]=$(($(now_ms) - t0))
		[ "$(redis-cli -p "$Rp" DBSIZE)" = "$KEYS" ] || { echo "$target replica has $(redis-cli -p "$Rp" DBSIZE) keys, want $KEYS" >&2; exit 1; }
		stop "$Rp"
		stop "$P"
		rm -rf "${work:?}/$target-p" "${work:?}/$target-r"
	done

	# Lag under a load at about half the primary's maximum SET rate: find the number
	# of clients whose rate is closest to half of 50 clients'.
	start $target "$target-p"
	P=$PORT
	start $target "$target-r" --replicaof 127.0.0.1 "$P"
	Rp=$PORT
	wait_up "$Rp"
	# With no load: a write until it is readable on the replica, and a write and a
	# WAIT 1 0 after it (until the replica acknowledged it).
	read -r R[$target,idle_med] R[$target,idle_p99] _ < <("${CLIENT_CPU[@]}" "$work/replprobe" -primary "127.0.0.1:$P" -replica "127.0.0.1:$Rp" -n 200)
	read -r R[$target,wait_med] R[$target,wait_p99] _ < <("${CLIENT_CPU[@]}" "$work/replprobe" -wait -primary "127.0.0.1:$P" -n 200)
	full=$(set_rate "$P" 50)
	clients=1
	for c in 1 2 3 4 6 8 12 16; do
		clients=$c
		[ "$(set_rate "$P" "$c" 50000)" -ge $((full / 2)) ] && break
	done
	R[$target,max_set]=$full
	R[$target,load_clients]=$clients
	"${CLIENT_CPU[@]}" redis-benchmark -p "$P" -t set -c "$clients" -n 100000000 -r 100000 >/dev/null 2>&1 &
	load=$!
	sleep 1
	# The probe measures write-to-visible time; meanwhile the byte lag is sampled
	# (replica first, then primary: the figure errs on the high side).
	"${CLIENT_CPU[@]}" "$work/replprobe" -primary "127.0.0.1:$P" -replica "127.0.0.1:$Rp" -n 200 >"$work/probe" &
	probe=$!
	maxlag=0 lags=()
	while kill -0 $probe 2>/dev/null; do
		ro=$(info_field "$Rp" replication slave_repl_offset)
		po=$(info_field "$P" replication master_repl_offset)
		lag=$((po - ro))
		[ $lag -lt 0 ] && lag=0
		lags+=($lag)
		[ $lag -gt $maxlag ] && maxlag=$lag
		sleep 0.05
	done
	wait $probe
	read -r R[$target,delay_med] R[$target,delay_p99] R[$target,delay_max] <"$work/probe"
	kill $load 2>/dev/null || true
	wait $load 2>/dev/null || true
	R[$target,lag_max_kb]=$((maxlag / 1024))
	R[$target,lag_med_kb]=$(($(printf '%s\n' "${lags[@]}" | median) / 1024))
	stop "$Rp"
	stop "$P"
	rm -rf "${work:?}/$target-p" "${work:?}/$target-r"
done

# Primary SET throughput with 2 replicas vs none, alternating, median of ROUNDS.
# 0q/2q: the primary capped at a quarter of a CPU (cap_cpu), where this machine allows
# it, so that it is the bottleneck with and without replicas.
modes="0 2 2c"
sleep 60 &
if cap_cpu $! 25 2>/dev/null; then modes="$modes 0q 2q"; fi
kill $! && wait $! 2>/dev/null || true
for _ in $(seq 1 "$ROUNDS"); do
	for target in redis shoal; do
		for n in $modes; do
			start $target "$target-p"
			P=$PORT Ppid=$PID
			[ "${n%q}" != "$n" ] && cap_cpu "$Ppid" 25
			reps=()
			# 2c, 2q: the replicas run on the clients' CPU, as replicas on other machines
			# would, leaving the primary's CPU to the primary.
			[ "${n%[cq]}" != "$n" ] && PIN=("${CLIENT_CPU[@]}")
			for j in $(seq 1 ${n%[cq]}); do
				start $target "$target-r$j" --replicaof 127.0.0.1 "$P"
				reps+=($PORT)
			done
			PIN=()
			for r in "${reps[@]}"; do wait_up "$r"; done
			for p in 1 16; do
				before=$(cpu_ticks "$Ppid")
				R[$target,$n,$p]+="$(set_rate "$P" 50 300000 $p) "
				R[$target,cpu$n,$p]+="$(us_per $(($(cpu_ticks "$Ppid") - before)) 300000) "
			done
			for r in "${reps[@]}"; do stop "$r"; done
			stop "$P"
			rm -rf "${work:?}/$target-"*
		done
	done
done
for target in redis shoal; do
	for n in 0 2 2c 0q 2q; do
		for p in 1 16; do
			R[$target,$n,$p]=$(median_of "${R[$target,$n,$p]:-n/a}")
			R[$target,cpu$n,$p]=$(median_of "${R[$target,cpu$n,$p]}")
		done
	done
	for p in 1 16; do
		# A primary short of CPU serves SETs at a rate inversely proportional to what each
		# costs it: with replicas, it also encodes the stream and writes it to them.
		R[$target,cpurate$p]=$(ratio "${R[$target,cpu0,$p]}" "${R[$target,cpu2c,$p]}")
		R[$target,ratio$p]=$(ratio "${R[$target,2,$p]}" "${R[$target,0,$p]}")
		R[$target,ratioc$p]=$(ratio "${R[$target,2c,$p]}" "${R[$target,0,$p]}")
		R[$target,ratioq$p]=$(ratio "${R[$target,2q,$p]}" "${R[$target,0q,$p]}")
	done
done

echo "# shoal vs redis-server $(redis-server --version | cut -d' ' -f3); $KEYS keys; $(nproc) cores${SERVER_CPU:+, servers on CPU 0, clients on CPU 1}"
printf "%-62s %10s %10s %8s\n" "" redis shoal ratio
row() { printf "%-62s %10s %10s %8s\n" "$1" "${R[redis,$2]}" "${R[shoal,$2]}" "$(ratio "${R[shoal,$2]}" "${R[redis,$2]}")"; }
row "full sync until link up, disk-based (ms)" sync_no
row "full sync until link up, diskless (ms)" sync_yes
row "write visible on the replica, no load, median (ms)" idle_med
row "write visible on the replica, no load, p99 (ms)" idle_p99
row "write + WAIT 1 0, no load, median (ms)" wait_med
row "write + WAIT 1 0, no load, p99 (ms)" wait_p99
row "max SET rate, 50 clients (req/s)" max_set
row "clients of the ~50% load" load_clients
row "replica lag under the load, median (KiB)" lag_med_kb
row "replica lag under the load, max (KiB)" lag_max_kb
row "write visible on the replica, median (ms)" delay_med
row "write visible on the replica, p99 (ms)" delay_p99
row "write visible on the replica, max (ms)" delay_max
row "SET rate, 2 replicas on its CPU / none, -P 1" ratio1
row "SET rate, 2 replicas on its CPU / none, -P 16" ratio16
row "SET rate, 2 replicas elsewhere / none, -P 1" ratioc1
row "SET rate, 2 replicas elsewhere / none, -P 16" ratioc16
row "SET rate, primary capped at 1/4 CPU, 2 replicas / none, -P 1" ratioq1
row "SET rate, primary capped at 1/4 CPU, 2 replicas / none, -P 16" ratioq16
row "primary CPU per SET, no replica, -P 1 (us)" "cpu0,1"
row "primary CPU per SET, 2 replicas, -P 1 (us)" "cpu2c,1"
row "primary CPU per SET, no replica, -P 16 (us)" "cpu0,16"
row "primary CPU per SET, 2 replicas, -P 16 (us)" "cpu2c,16"
row "CPU-bound SET rate, 2 replicas / none, -P 1" cpurate1
row "CPU-bound SET rate, 2 replicas / none, -P 16" cpurate16
for target in redis shoal; do
	for p in 1 16; do
		printf "%s SET -P %-2s: no replica %8s/s, 2 replicas on its CPU %8s/s, 2 replicas elsewhere %8s/s; capped: none %8s/s, 2 replicas %8s/s\n" $target $p \
			"${R[$target,0,$p]}" "${R[$target,2,$p]}" "${R[$target,2c,$p]}" "${R[$target,0q,$p]}" "${R[$target,2q,$p]}"
	done
done
