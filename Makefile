# Two commands on a fresh machine: `make demo` and `make test`. Each sets up what it needs.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
NPM_DIR := tests/interop
NPM_STAMP := $(NPM_DIR)/node_modules/.installed
BROWSER_DIR := tests/browser
BROWSER_STAMP := $(BROWSER_DIR)/node_modules/.installed
HOST ?= 127.0.0.1
PORT ?= 3000
BACKEND ?= asyncio

.PHONY: demo test lint unit fuzz soak install npm browser-deps cluster-deps redis bench bench-cluster bench-memory bench-recovery bench-profile bench-fairness bench-core clean

$(STAMP): pyproject.toml
	test -d $(VENV) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

install: $(STAMP)

# The official JavaScript clients for the interop tests (and the chat page's client).
$(NPM_STAMP): $(NPM_DIR)/package.json $(NPM_DIR)/package-lock.json
	cd $(NPM_DIR) && npm ci --no-audit --no-fund --loglevel=error
	touch $(NPM_STAMP)

npm: $(NPM_STAMP)

# Headless Chromium (Debian package), playwright-core and the admin UI's build
# (@socket.io/admin-ui, its peer socket.io left out by tests/browser/.npmrc) for the browser
# tests; they drive socket.io-client from the interop packages too.
$(BROWSER_STAMP): $(BROWSER_DIR)/package.json $(BROWSER_DIR)/package-lock.json $(BROWSER_DIR)/.npmrc
	command -v chromium >/dev/null || (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium)
	cd $(BROWSER_DIR) && npm ci --no-audit --no-fund --loglevel=error
	touch $(BROWSER_STAMP)

browser-deps: $(BROWSER_STAMP) $(NPM_STAMP)

# Node's Socket.IO on the two Redis adapters, Node's emitter and socket.io-client, for the
# cluster tests; and Debian's redis-server, which the tests start on free ports of their own.
CLUSTER_DIR := tests/cluster
CLUSTER_STAMP := $(CLUSTER_DIR)/node_modules/.installed

$(CLUSTER_STAMP): $(CLUSTER_DIR)/package.json $(CLUSTER_DIR)/package-lock.json
	cd $(CLUSTER_DIR) && npm ci --no-audit --no-fund --loglevel=error
	touch $(CLUSTER_STAMP)

redis:
	command -v redis-server >/dev/null || (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq redis-server)

cluster-deps: $(CLUSTER_STAMP) redis

BENCH_DIR := benchmarks
BENCH_VENV := $(BENCH_DIR)/.venv-cmp
BENCH_STAMP := $(BENCH_VENV)/.installed
BENCH_NPM_STAMP := $(BENCH_DIR)/node_modules/.installed
BENCH_ARGS ?=

$(BENCH_STAMP): $(BENCH_DIR)/requirements.txt
	test -d $(BENCH_VENV) || $(PYTHON) -m venv $(BENCH_VENV)
	$(BENCH_VENV)/bin/pip install --quiet --upgrade pip
	$(BENCH_VENV)/bin/pip install --quiet -r $(BENCH_DIR)/requirements.txt
	touch $(BENCH_STAMP)

$(BENCH_NPM_STAMP): $(BENCH_DIR)/package.json $(BENCH_DIR)/package-lock.json
	cd $(BENCH_DIR) && npm ci --no-audit --no-fund --loglevel=error
	touch $(BENCH_NPM_STAMP)

# sio-core vs python-socketio vs Node socket.io, and the bare wsproto ceiling (~11 min):
# docs/benchmarks.md + docs/benchmarks/*.png
bench: $(STAMP) $(BENCH_STAMP) $(BENCH_NPM_STAMP)
	$(BENCH_VENV)/bin/python $(BENCH_DIR)/run.py $(BENCH_ARGS)

# Two servers on Redis, sio-core (asyncio, trio) vs Node's @socket.io/redis-adapter: deliveries/s
# and the latency a cross-server broadcast adds (~3 min). BENCH_ARGS="--quick" checks it runs;
# BENCH_ARGS="--adapter sharded" for the sharded adapter.
bench-cluster: $(STAMP) $(BENCH_NPM_STAMP) cluster-deps
	$(PY) $(BENCH_DIR)/cluster_bench.py $(BENCH_ARGS)

# The core alone: microseconds a SocketServer spends on one small echo, with no network or loop
# (~10 s). BENCH_ARGS="--profile" shows where they go.
bench-core: $(STAMP)
	$(PY) $(BENCH_DIR)/core_echo.py $(BENCH_ARGS)

# Where an idle WebSocket connection's memory goes (tracemalloc, 5000 clients; ~1 min).
# BENCH_ARGS="--backend trio --clients 1000" to change.
bench-memory: $(STAMP)
	$(PY) $(BENCH_DIR)/idle_memory.py $(BENCH_ARGS)

# A bystander's ack latency (p50, p99, max) while another client floods the server: 50k events,
# 100k joins, 100k unsolicited pongs, 10k bad CONNECTs; on asyncio and trio, against the target
# p99 < 100 ms (a few minutes). BENCH_ARGS="--quick" checks it runs; BENCH_ARGS="trio" for one loop.
bench-fairness: $(STAMP)
	$(PY) $(BENCH_DIR)/fairness.py $(BENCH_ARGS)

# Connection state recovery (issue 13): 500 clients dropped every 10 s for 2 s while the server
# broadcasts every 100 ms; delivered/sent, recovery rate and latency for sio-core with recovery off
# and on and Node with recovery (~2 min). BENCH_ARGS="--quick" checks it runs; "--streams" runs
# two servers on the Redis Streams adapter, the clients coming back to the other one.
bench-recovery: $(STAMP) $(BENCH_NPM_STAMP) cluster-deps
	$(PY) $(BENCH_DIR)/recovery_bench.py $(BENCH_ARGS)

# py-spy profile of sio-core on asyncio under echo and fan-out (docs/benchmarks/profile-*)
bench-profile: $(STAMP) $(BENCH_STAMP) $(BENCH_NPM_STAMP)
	$(BENCH_VENV)/bin/python $(BENCH_DIR)/bench_profile.py

demo: $(STAMP) $(NPM_STAMP)
	$(PY) examples/chat/server.py --host $(HOST) --port $(PORT) --backend $(BACKEND)

# mypy --strict also covers what users copy: examples/ and the python blocks of docs/*.md.
lint: $(STAMP)
	$(VENV)/bin/ruff check sio_core backends tests examples benchmarks tools
	$(VENV)/bin/ruff format --check sio_core backends tests examples benchmarks tools
	$(VENV)/bin/mypy --strict sio_core backends/sio_anyio
	$(PY) tools/typecheck_docs.py
	$(VENV)/bin/lint-imports

unit: $(STAMP)
	$(PY) -bb -m pytest -q tests/core tests/properties docs

# The hypothesis properties again, with many more examples (FUZZ_EXAMPLES each, 500 unless
# told): decoders fed arbitrary bytes and the state machine over SocketServer. Not in `make test`;
# prints the examples run and the time, and fails on the first property that does.
FUZZ_EXAMPLES ?= 500
fuzz: $(STAMP)
	FUZZ_EXAMPLES=$(FUZZ_EXAMPLES) $(PY) -bb -m pytest -q -x tests/properties --hypothesis-profile=fuzz

# The soak, not in `make test` either (several minutes): 10,000 connect/disconnect cycles a transport,
# then a flood, on asyncio and trio, with the server's RSS and open files sampled; prints the
# figures and fails when they do not stay flat. SOAK_ARGS="--quick" checks it runs.
SOAK_ARGS ?=
soak: $(STAMP)
	$(PY) benchmarks/soak.py $(SOAK_ARGS)

test: lint $(STAMP) $(NPM_STAMP) $(BROWSER_STAMP) cluster-deps
	$(PY) -bb -m pytest -q

clean:
	rm -rf $(VENV) $(NPM_DIR)/node_modules $(BROWSER_DIR)/node_modules $(CLUSTER_DIR)/node_modules $(BENCH_VENV) $(BENCH_DIR)/node_modules
