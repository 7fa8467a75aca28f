# Rocketbus. `make run-cluster` and `make test` install what they need.
SHELL := /bin/bash
BIN := node_modules/.bin
export npm_config_update_notifier := false

.PHONY: setup build typecheck test run-cluster bench bench-quick chaos clean

# npm ci when the lock file is newer than the install.
node_modules/.install-stamp: package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error
	@touch $@

setup: node_modules/.install-stamp
	@scripts/ensure-nats-server.sh

build: setup
	$(BIN)/tsc -p tsconfig.json

typecheck: setup
	$(BIN)/tsc -p tsconfig.json --noEmit

test: build
	$(BIN)/uvu dist/test '\.test\.js$$'

# Secure by default (a NATS user per node); `make run-cluster AUTH=off` opens the bus.
run-cluster: build
	node dist/src/cli/main.js run-cluster $(if $(filter off,$(AUTH)),--no-auth)

# Rocketbus against JetStream and bare NATS in one run → docs/BENCHMARKS.md
bench: build
	node dist/bench/run.js

# Every scenario, briefly (under a minute); docs/BENCHMARKS-quick.md
bench-quick: build
	node dist/bench/run.js --quick

# Seeded faults against a cluster of processes, then the checker; docs/chaos.md
# make chaos SEED=<n> CYCLES=<n> [DURATION=<ms>] [FAULTS=<kind,…>] [RATE=<msg/s>] [REPLICAS=3] [PRODUCERS=<n>] [GROUPS=<g,…>] [KEEP=1]
chaos: build
	SEED=$(SEED) CYCLES=$(CYCLES) DURATION=$(DURATION) FAULTS=$(FAULTS) RATE=$(RATE) REPLICAS=$(REPLICAS) PRODUCERS=$(PRODUCERS) GROUPS=$(GROUPS) KEEP=$(KEEP) node dist/test/chaos/main.js

clean:
	rm -rf dist
