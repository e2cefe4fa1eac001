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

.PHONY: demo test lint unit install npm browser-deps redis clean

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

# Headless Chromium (Debian package) and playwright-core for the browser test.
$(BROWSER_STAMP): $(BROWSER_DIR)/package.json $(BROWSER_DIR)/package-lock.json
	command -v chromium >/dev/null || (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium)
	cd $(BROWSER_DIR) && npm ci --no-audit --no-fund --loglevel=error
	touch $(BROWSER_STAMP)

browser-deps: $(BROWSER_STAMP)

demo: $(STAMP) $(NPM_STAMP)
	$(PY) examples/chat/server.py --host $(HOST) --port $(PORT) --backend $(BACKEND)

lint: $(STAMP)
	$(VENV)/bin/ruff check sio_core backends tests examples
	$(VENV)/bin/ruff format --check sio_core backends tests examples
	$(VENV)/bin/mypy --strict sio_core backends/sio_anyio
	$(VENV)/bin/lint-imports

unit: $(STAMP)
	$(PY) -bb -m pytest -q tests/core tests/properties docs

test: lint $(STAMP) $(NPM_STAMP) $(BROWSER_STAMP)
	$(PY) -bb -m pytest -q

clean:
	rm -rf $(VENV) $(NPM_DIR)/node_modules $(BROWSER_DIR)/node_modules
