# Shared by the scripts that drive the compose lab (deploy/docker-compose.yml):
# compose-smoke.sh and compose-drill.sh. Source it from the repository root after
# setting SHOAL_NET (the lab network's first three parts) and project (the compose
# project name).

# compose_cmd sets compose to the compose tool that answers, or returns 1 with a
# message when no Docker engine or compose tool does.
compose_cmd() {
	if ! command -v docker >/dev/null 2>&1 || ! docker info >/dev/null 2>&1; then
		echo "no Docker engine answers"
		return 1
	fi
	if docker compose version >/dev/null 2>&1; then
		compose=(docker compose)
	elif command -v docker-compose >/dev/null 2>&1; then
		compose=(docker-compose)
	else
		echo "neither 'docker compose' nor docker-compose is installed"
		return 1
	fi
}

dc() { "${compose[@]}" -f deploy/docker-compose.yml -p "$project" "$@"; }

log() { echo "$(basename "$0" .sh): $*"; }

fail() {
	log "FAIL: $*"
	dc ps || true
	dc logs --tail 40 || true
	exit 1
}

# waitfor DESC SECONDS CMD...: poll CMD until it succeeds.
waitfor() {
	local desc=$1 secs=$2
	shift 2
	local deadline=$((SECONDS + secs))
	until "$@" >/dev/null 2>&1; do
		((SECONDS < deadline)) || fail "$desc: not within ${secs}s"
		sleep 0.5
	done
	log "$desc"
}

# node N: data node N's address (its port is 6999+N).
node() { echo "$SHOAL_NET.$((20 + $1))"; }

# owner KEY: host:port of KEY's primary, as the first node answering says (itself
# when it serves the key, else where its MOVED points).
owner() {
	local i r
	for i in 1 2 3 4 5 6; do
		r=$(redis-cli -h "$(node "$i")" -p $((6999 + i)) GET "$1" 2>/dev/null) || continue
		case $r in
		*MOVED*) echo "${r##* }" ;;
		*LOADING* | *CLUSTERDOWN* | *TRYAGAIN*) continue ;;
		*) echo "$(node "$i"):$((6999 + i))" ;;
		esac
		return 0
	done
	return 1
}

# service_of HOST:PORT: the compose service (nodeN) of a data node's address.
service_of() {
	local i
	for i in 1 2 3 4 5 6; do
		if [ "$1" = "$(node "$i"):$((6999 + i))" ]; then
			echo "node$i"
			return 0
		fi
	done
	return 1
}

# now_ms: milliseconds since the epoch.
now_ms() { echo $(($(date +%s%N) / 1000000)); }
