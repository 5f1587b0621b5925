# Two commands do all set-up on a fresh clone: `make demo` and `make test`.
SHELL := /bin/bash
# Debian packages the build and tests need (python3, make and g++ build better-sqlite3 when no prebuilt
# binary fits; prometheus brings promtool and the server the SLO rule tests load). Chromium drives the
# dashboard's browser tests through playwright-core, so only `make test` and `make bench` install it.
APT_PACKAGES := python3 make g++ procps prometheus iproute2 nftables
APT_TEST_PACKAGES := chromium libfaketime bind9-dnsutils postgresql openssl iputils-ping curl
APT_BENCH_PACKAGES := wrk nginx-light haproxy stress-ng

.PHONY: all deps build demo test test-node lint bench clean

all: build

node_modules/.deps-ok: package.json package-lock.json
	@bash scripts/apt-ensure.sh $(APT_PACKAGES)
	@# The lock file lists every optional platform package, so npm ci works; should a registry not serve
	@# one of them (npm/cli#9846), npm install from the same lock file is a quiet fallback.
	@npm ci --no-audit --no-fund 2>.npm-ci.log || { echo "npm ci failed (.npm-ci.log); installing from the lock file instead"; npm install --no-save --no-audit --no-fund; }
	@rm -f .npm-ci.log
	@touch $@

deps: node_modules/.deps-ok

build: deps
	npx tsc -p tsconfig.json
	npx tsc -p web/tsconfig.json
	npx vite build --config web/vite.config.ts

demo: build
	./bin/withstand demo

lint: deps
	npx biome check .

# A store and safety-state directory of this `make test`'s own, for any test that does not make one:
# two `make test` runs on one machine (two clones, two users) never see each other's runs or faults.
test: build lint
	@bash scripts/apt-ensure.sh $(APT_TEST_PACKAGES)
	@# The browser tests run demo systems and Chromium: alone, so they never starve the latency-judged demo test.
	home=$$(mktemp -d -t withstand-make-test-XXXXXX) && \
	export WITHSTAND_STATE_DIR=$$home/state WITHSTAND_STORE=$$home/store.db && \
	node --test --test-concurrency=2 --test-timeout=180000 $$(find dist/test -name '*.test.js' -not -path '*/browser/*' | sort) && \
	node --test --test-concurrency=1 --test-timeout=300000 $$(find dist/test/browser -name '*.test.js' | sort); \
	status=$$?; rm -rf "$$home"; exit $$status

# The unit and e2e suites on another Node.js from the npm registry's `node` package, cached in
# ~/.cache/withstand-node/VERSION with native modules rebuilt for it: `make test-node VERSION=24`.
test-node: build
	@test -n "$(VERSION)" || { echo "usage: make test-node VERSION=22|24"; exit 2; }
	bash scripts/test-node.sh $(VERSION)

bench: export BENCH_SUMMARY = $(CURDIR)/dist/bench-summary.jsonl
bench: build
	@bash scripts/apt-ensure.sh $(APT_BENCH_PACKAGES) $(APT_TEST_PACKAGES)
	@rm -f dist/bench-summary.jsonl
	node dist/bench/activity-overhead.js
	node dist/bench/halt.js
	node dist/bench/stop-revert.js
	node dist/bench/load.js
	node dist/bench/proxy.js
	node dist/bench/judge.js
	node dist/bench/false-rollback.js
	node dist/bench/router.js
	node dist/bench/dashboard.js
	node dist/bench/cpu-stress.js
	node dist/bench/halt-kinds.js
	node dist/bench/leftovers.js
	node dist/bench/live-store.js
	node dist/bench/pg-scale.js
	node dist/bench/checks.js
	node dist/bench/router-haproxy.js
	node dist/bench/flags.js
	node dist/bench/pact.js
	@node dist/bench/summary.js

clean:
	rm -rf dist node_modules
