# Rocketbus. `make run-cluster` and `make test` install what they need.
SHELL := /bin/bash
BIN := node_modules/.bin
export npm_config_update_notifier := false

.PHONY: setup build typecheck test run-cluster clean

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

run-cluster: build
	node dist/src/cli/main.js run-cluster

clean:
	rm -rf dist
