# shoal — build, run, test.
#   make run    build and start a local cluster (shoal lab: sentinels, shards, a proxy)
#   make test   lint, then every test (installs redis-server/redis-tools for the comparison
#               tests when it can)

GO      ?= go
BIN     := bin/shoal
PKGS    := ./...
FUZZTIME ?= 10s

.PHONY: build run run-server test test-failover test-proxy test-deps chaos soak image compose-smoke lint bench bench-go bench-single bench-persistence bench-replication bench-cluster bench-convergence bench-failover bench-proxy bench-move fuzz clean

build:
	CGO_ENABLED=0 $(GO) build -trimpath -o $(BIN) ./cmd/shoal

# run starts the lab: a whole cluster on this machine (shoal lab; Ctrl-C stops it);
# run-server a standalone server on 127.0.0.1:6379.
run: build
	./$(BIN) lab $(ARGS)

run-server: build
	./$(BIN) server $(ARGS)

# test-deps installs what the comparison tests and benchmarks use when the machine can
# (Debian, root); elsewhere those tests skip with a message. The packaged Redis service
# is stopped again so that it does not hold port 6379 (make run's port): tests start
# their own redis-server on free ports.
test-deps:
	@if ! command -v redis-server >/dev/null 2>&1 || ! command -v redis-benchmark >/dev/null 2>&1; then \
		if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
			echo "installing redis-server and redis-tools (reference server for comparison tests)"; \
			export DEBIAN_FRONTEND=noninteractive; \
			(apt-get install -y -qq redis-server redis-tools >/dev/null 2>&1 || \
			 (apt-get update -qq >/dev/null 2>&1 && apt-get install -y -qq redis-server redis-tools >/dev/null 2>&1)) || \
			echo "warning: could not install redis-server; comparison tests will skip"; \
			(service redis-server stop; update-rc.d redis-server disable) >/dev/null 2>&1 || true; \
		else \
			echo "note: redis-server not installed; comparison tests will skip"; \
		fi; \
	fi

test: test-deps lint
	$(GO) test -race -count=1 -timeout 20m $(PKGS)
	$(GO) test -count=1 -run 'TestPrefetch' ./storage # lock-free reads, off under -race
	$(MAKE) fuzz FUZZTIME=5s

# test-failover runs the failover kill tests for 20 rounds each (epochs strictly
# growing; in safe mode every acknowledged write found), and the slot-move kill test
# for 20 moves (each ends done or rolled back, every key once).
test-failover: test-deps
	SHOAL_FAILOVER_ROUNDS=20 SHOAL_MOVE_ROUNDS=20 $(GO) test -race -count=1 -timeout 20m -run 'TestFailoverKill|TestSafeMode|TestMoveKills' ./internal/clustertest

# chaos is the reliability suite's long run: the fault tests with ROUNDS rounds each
# (20 by default), then RELIABILITY.md rewritten from their results.
chaos: test-deps
	./scripts/reliability.sh

# soak runs TestSoak for DURATION (10m by default): a mixed load on every type through
# cluster clients and the proxy, a failover every minute and a reshard every two;
# memory and goroutines must stay flat after the warm-up, no acknowledged write lost.
DURATION ?= 10m
soak: test-deps
	SHOAL_SOAK=$(DURATION) $(GO) test -count=1 -timeout 0 -v -run '^TestSoak$$' ./internal/clustertest

# test-proxy runs the node's command transcripts through `shoal proxy` in front of a
# cluster of three primaries (scripts/proxy-transcripts.sh).
test-proxy: build test-deps
	./scripts/proxy-transcripts.sh

# image builds the FROM scratch image shoal:latest from bin/shoal (deploy/Dockerfile).
image: build
	docker build -f deploy/Dockerfile -t shoal:latest .

# compose-smoke brings the compose lab up, drills a failover and takes it down
# (scripts/compose-smoke.sh; skipped where no Docker engine answers).
compose-smoke: build test-deps
	./scripts/compose-smoke.sh

lint:
	@out=$$(gofmt -l $$(git ls-files '*.go' 2>/dev/null || find . -name '*.go')); \
		if [ -n "$$out" ]; then echo "gofmt needed:"; echo "$$out"; exit 1; fi
	$(GO) vet $(PKGS)
	./scripts/check-deps.sh

# fuzz runs every fuzz target for FUZZTIME each. A run that ends with Go's own
# "context deadline exceeded" and wrote no failing input is the fuzzer's time limit
# racing its last input, not a finding, and is not counted as a failure.
fuzz:
	@for spec in \
		./node/resp:FuzzReader \
		./node/conf:FuzzParse \
		./node/glob:FuzzMatch \
		./node:FuzzFunctionPayload \
		./node:FuzzHLL \
		./node:FuzzBusMessages \
		./node:FuzzMoveReply \
		./node:FuzzNodesConf \
		./node:FuzzLongDouble \
		./node/acl:FuzzRules \
		./storage/rdb:FuzzRestore \
		./storage/rdb:FuzzLoad \
		./storage/aof:FuzzManifest \
		./storage/aof:FuzzReader \
		./slots:FuzzCRC16 \
		./slots:FuzzDecode \
		./slots:FuzzDecodeEntry \
		./gossip:FuzzReceive \
		./gossip:FuzzMeta \
		./cmd/shoal:FuzzSentinelConf \
		./proxy:FuzzReadReply ; do \
		pkg=$${spec%%:*}; fn=$${spec##*:}; \
		echo "fuzz $$pkg $$fn ($(FUZZTIME))"; \
		out=$$($(GO) test -run='^$$' -fuzz="^$$fn$$" -fuzztime=$(FUZZTIME) $$pkg 2>&1); rc=$$?; \
		echo "$$out" | tail -3; \
		if [ $$rc -ne 0 ]; then \
			if echo "$$out" | grep -q "Failing input written to"; then echo "$$out"; exit 1; fi; \
			if ! echo "$$out" | grep -q "context deadline exceeded"; then echo "$$out"; exit 1; fi; \
			echo "(go's fuzzer reported its own time limit racing the last input, no failing input: not a failure)"; \
		fi; \
	done

bench: bench-go bench-single bench-persistence bench-replication bench-cluster bench-convergence bench-failover bench-proxy bench-move

bench-go:
	$(GO) test -run='^$$' -bench=. -benchmem ./storage/ ./node/ ./node/resp/ ./slots/

bench-single: build test-deps
	./scripts/bench-single.sh

bench-persistence: build test-deps
	./scripts/bench-persistence.sh

bench-replication: build test-deps
	./scripts/bench-replication.sh

bench-cluster: build test-deps
	./scripts/bench-cluster.sh

bench-convergence: build test-deps
	./scripts/bench-convergence.sh

bench-proxy: build test-deps
	./scripts/bench-proxy.sh

bench-failover: build test-deps
	./scripts/bench-failover.sh

bench-move: build test-deps
	./scripts/bench-move.sh

clean:
	rm -rf bin
