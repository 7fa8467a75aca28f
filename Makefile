# Rocketbus. `make run-cluster` and `make test` install what they need.
SHELL := /bin/bash
BIN := node_modules/.bin
export npm_config_update_notifier := false

.PHONY: setup chromium build typecheck test machines-doc run-cluster run-cluster-bg stop-cluster bench bench-quick test-timers-long chaos fuzz load clean

# npm ci when the lock file is newer than the install.
node_modules/.install-stamp: package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error
	@touch $@

setup: node_modules/.install-stamp
	@scripts/ensure-nats-server.sh

build: setup
	$(BIN)/tsc -p tsconfig.json
	$(BIN)/tsc -p tsconfig.build.json
	@node scripts/bundle-dashboard.mjs

typecheck: setup
	$(BIN)/tsc -p tsconfig.json --noEmit
	$(BIN)/tsc -p tsconfig.web.json

# Debian's chromium for the browser test (playwright-core drives it, downloads nothing)
chromium:
	@scripts/ensure-chromium.sh

test: build chromium
	$(BIN)/uvu dist/test '\.test\.js$$'

# docs/machines.md from the machines' own definitions (a test fails when it is stale)
machines-doc: build
	node dist/src/cli/main.js machines export --format mermaid > docs/machines.md.tmp && mv docs/machines.md.tmp docs/machines.md

# Secure by default (a NATS user per node); `make run-cluster AUTH=off` opens the bus.
run-cluster: build
	node dist/src/cli/main.js run-cluster $(if $(filter off,$(AUTH)),--no-auth)

# The same, detached: prints the summary once it is up and returns; `make stop-cluster` stops it.
run-cluster-bg: build
	node dist/src/cli/main.js run-cluster --background $(if $(filter off,$(AUTH)),--no-auth)

stop-cluster: build
	node dist/src/cli/main.js stop-cluster

# Rocketbus against JetStream and bare NATS in one run → docs/BENCHMARKS.md
bench: build
	node dist/bench/run.js

# Every scenario, briefly (under a minute); docs/BENCHMARKS-quick.md
bench-quick: build
	node dist/bench/run.js --quick

# The timer tests at the issue's size: 100 000 timers over a minute, a broker kill -9 mid-way, then a 3-replica master kill
test-timers-long: build
	TIMER_COUNT=100000 TIMER_WINDOW_MS=60000 node dist/test/timers/timer-kill.test.js
	TIMER_COUNT=100000 TIMER_WINDOW_MS=60000 node dist/test/timers/timer-failover.test.js

# Seeded faults against a cluster of processes, then the checker; docs/chaos.md
# make chaos SEED=<n> CYCLES=<n> [DURATION=<ms>] [FAULTS=<kind,…>] [RATE=<msg/s>] [REPLICAS=3] [PRODUCERS=<n>] [GROUPS=<g,…>] [KEEP=1]
chaos: build
	SEED=$(SEED) CYCLES=$(CYCLES) DURATION=$(DURATION) FAULTS=$(FAULTS) RATE=$(RATE) REPLICAS=$(REPLICAS) PRODUCERS=$(PRODUCERS) GROUPS=$(GROUPS) KEEP=$(KEEP) node dist/test/chaos/main.js

# Hostile payloads on every request subject, long (make test runs 20 per subject); docs/fuzzing.md
# make fuzz [FUZZ_RUNS=2000] [FUZZ_SEED=<n>] [FUZZ_SUBJECT=<name,…>] [FUZZ_PATH=<path>] [FUZZ_SHRINK=1]
fuzz: build
	FUZZ_RUNS=$(or $(FUZZ_RUNS),2000) FUZZ_SEED=$(FUZZ_SEED) FUZZ_SUBJECT='$(FUZZ_SUBJECT)' FUZZ_PATH='$(FUZZ_PATH)' FUZZ_SHRINK=$(FUZZ_SHRINK) node dist/test/fuzz/subjects.test.js

# What a client can make a broker hold, all at once, while a real producer sends; prints the figures
load: build
	node dist/test/load/limits-load.js
	node --expose-gc dist/test/load/held-memory.js 20000

clean:
	rm -rf dist
