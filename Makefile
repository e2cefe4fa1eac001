# Two commands on a fresh machine: `make demo` and `make test`. Each sets up what it needs.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
NPM_DIR := tests/interop
NPM_STAMP := $(NPM_DIR)/node_modules/.installed
HOST ?= 127.0.0.1
PORT ?= 3000
BACKEND ?= asyncio

.PHONY: demo test lint unit interop install npm clean

$(STAMP): pyproject.toml
	test -d $(VENV) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

install: $(STAMP)

$(NPM_STAMP): $(NPM_DIR)/package.json $(NPM_DIR)/package-lock.json
	cd $(NPM_DIR) && npm ci --no-audit --no-fund --loglevel=error
	touch $(NPM_STAMP)

npm: $(NPM_STAMP)

demo: $(STAMP)
	$(PY) examples/engineio_echo.py --host $(HOST) --port $(PORT) --backend $(BACKEND)

lint: $(STAMP)
	$(VENV)/bin/ruff check sio_core backends tests examples
	$(VENV)/bin/ruff format --check sio_core backends tests examples
	$(VENV)/bin/mypy --strict sio_core backends/sio_anyio
	$(VENV)/bin/lint-imports

unit: $(STAMP)
	$(PY) -bb -m pytest -q

test: lint $(STAMP) $(NPM_STAMP)
	$(PY) -bb -m pytest -q

clean:
	rm -rf $(VENV) $(NPM_DIR)/node_modules
