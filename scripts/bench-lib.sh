# bench-lib.sh — helpers shared by the benchmark scripts (sourced, not run).
# The caller sets "set -euo pipefail" and cds to the repository root.

for bin in redis-server redis-benchmark redis-cli; do
	command -v $bin >/dev/null || { echo "$bin not found (apt-get install redis-server redis-tools)" >&2; exit 1; }
done
[ -x bin/shoal ] || { echo "bin/shoal not found: run make build" >&2; exit 1; }

# SERVER_CPU / CLIENT_CPU pin the servers to CPU 0 and the load generators to CPU 1
# where taskset exists and there are at least 2 CPUs.
SERVER_CPU=() CLIENT_CPU=()
if command -v taskset >/dev/null && [ "$(nproc)" -ge 2 ]; then
	SERVER_CPU=(taskset -c 0) CLIENT_CPU=(taskset -c 1)
fi

work=$(mktemp -d)
pids=() cgroups=()
cleanup() {
	for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
	wait 2>/dev/null || true
	for g in "${cgroups[@]}"; do rmdir "$g" 2>/dev/null || true; done
	rm -rf "$work"
}
trap cleanup EXIT

# cap_cpu pid percent [pid…]: limits the processes (all their threads) to percent of
# one CPU, together, with a cgroup CPU quota over 10 ms periods (cgroup v2, or v1's cpu
# controller; needs root). Fails where no writable cgroup hierarchy with the cpu
# controller is found.
cap_cpu() {
	local g pct=$2 p
	if [ -w /sys/fs/cgroup/cgroup.subtree_control ]; then
		grep -qw cpu /sys/fs/cgroup/cgroup.subtree_control || echo +cpu >/sys/fs/cgroup/cgroup.subtree_control 2>/dev/null || return 1
		g=/sys/fs/cgroup/shoal-bench-$$-$1
		mkdir "$g" && echo "$((pct * 100)) 10000" >"$g/cpu.max" || return 1
	elif [ -w /sys/fs/cgroup/cpu/cgroup.procs ]; then
		g=/sys/fs/cgroup/cpu/shoal-bench-$$-$1
		mkdir "$g" && echo 10000 >"$g/cpu.cfs_period_us" && echo $((pct * 100)) >"$g/cpu.cfs_quota_us" || return 1
	else
		return 1
	fi
	cgroups+=("$g")
	for p in "$1" "${@:3}"; do echo "$p" >"$g/cgroup.procs"; done
}

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()'; }

wait_ready() {
	for _ in $(seq 1 400); do
		redis-cli -p "$1" PING 2>/dev/null | grep -q PONG && return 0
		sleep 0.05
	done
	echo "server on port $1 did not start" >&2
	exit 1
}

# start_sentinel: starts a one-member shoal sentinel group (cluster secret "bench") on
# free ports, its data and log under $work; sets sp to its RESP port.
start_sentinel() {
	sp=$(free_port)
	./bin/shoal sentinel --id s1 --dir "$work/sentinel" --port "$sp" --raft-port "$(free_port)" \
		--bus-port "$(free_port)" --bootstrap --secret bench >"$work/sentinel.log" 2>&1 &
	pids+=($!)
	wait_ready "$sp"
}

# start_shoal_cluster n: starts n cluster-enabled shoal nodes (on SERVER_CPU) and makes
# them a cluster of n primaries under the sentinel of start_sentinel (call it first);
# sets ports to their ports.
start_shoal_cluster() {
	ports=()
	local i p addrs=()
	for ((i = 0; i < $1; i++)); do
		p=$(free_port)
		mkdir -p "$work/n$i"
		"${SERVER_CPU[@]}" ./bin/shoal server --port "$p" --bind 127.0.0.1 --save "" --dir "$work/n$i" \
			--cluster-enabled yes --cluster-secret bench --cluster-port "$(free_port)" --loglevel warning >>"$work/n$i.log" 2>&1 &
		pids+=($!)
		wait_ready "$p"
		ports+=("$p")
		addrs+=("127.0.0.1:$p")
	done
	./bin/shoal cluster --sentinels "127.0.0.1:$sp" create "${addrs[@]}" >"$work/create.log" 2>&1 ||
		{ cat "$work/create.log" >&2; exit 1; }
	until redis-cli -p "${ports[0]}" CLUSTER INFO | grep -q cluster_state:ok; do sleep 0.05; done
}

# gen_keys n file: n SET commands (key:i → val:i) as RESP, for redis-cli --pipe.
gen_keys() {
	awk -v n="$1" 'BEGIN { for (i = 0; i < n; i++) { k = "key:" i; v = "val:" i;
		printf "*3\r\n$3\r\nSET\r\n$%d\r\n%s\r\n$%d\r\n%s\r\n", length(k), k, length(v), v } }' >"$2"
}

rss_kb() { awk '/^VmRSS:/ { print $2 }' "/proc/$1/status"; }
# cpu_ticks pid…: the processes' CPU time (user+system) summed, in clock ticks;
# us_per ticks n: those ticks in µs per each of n requests.
cpu_ticks() { for p in "$@"; do awk '{ print $14 + $15 }' "/proc/$p/stat"; done | awk '{ s += $1 } END { print s + 0 }'; }
CLK_TCK=$(getconf CLK_TCK)
us_per() { awk -v t="$1" -v hz="$CLK_TCK" -v n="$2" 'BEGIN { printf "%.3f", t / hz * 1e6 / n }'; }
info_field() { redis-cli -p "$1" INFO "$2" | awk -F: -v k="$3" '$1 == k { gsub(/\r/,"",$2); print $2 }'; }
median() { sort -g | awk '{ a[NR] = $1 } END { print a[int((NR + 1) / 2)] }'; }
# median_of "v1 v2 …": the median of a space-separated list (the runs of one figure).
median_of() { printf '%s\n' $1 | median; }
ratio() { awk -v s="$1" -v r="$2" 'BEGIN { if (r > 0) printf "%.2f", s / r; else print "n/a" }'; }
now_ms() { date +%s%3N; }

# keys_option "$@": sets KEYS from -k (default KEYS_DEFAULT, else 1,000,000), the only
# option of the scripts that take one.
keys_option() {
	KEYS=${KEYS_DEFAULT:-1000000}
	local o OPTIND=1
	while getopts "k:" o; do
		case $o in
		k) KEYS=$OPTARG ;;
		*) echo "usage: $0 [-k keys]" >&2; exit 2 ;;
		esac
	done
}
