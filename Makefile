# Two commands for a fresh machine: `make run` and `make test`.
VENV ?= .venv
PY := $(VENV)/bin/python
PIP := $(VENV)/bin/pip
# llama-cpp-python compiles from source once (a few minutes); portable flags, then pip's cache.
export CMAKE_ARGS ?= -DGGML_NATIVE=OFF -DLLAVA_BUILD=OFF
PORT ?= 8888

.PHONY: run test test-fast lint bench install install-test system-deps

# The chat front-end (Lab panel and page bundles) is built by the package's build hook: its sources are prerequisites too.
LAB_SOURCES := $(shell find labextension/src labextension/style labextension/scripts -type f) labextension/package.json

$(VENV)/.installed: pyproject.toml $(LAB_SOURCES)
	python3 -m venv $(VENV)
	$(PIP) install -q --upgrade pip
	$(PIP) install -e '.[local,lab]'
	touch $@

$(VENV)/.installed-test: $(VENV)/.installed
	$(PIP) install -e '.[local,lab,test]'
	npm install --prefix $(VENV)/node --no-audit --no-fund configurable-http-proxy@5  # JupyterHub's proxy, for tests/hub
	touch $@

install: $(VENV)/.installed

## JupyterLab with the extension and the embedded model; prints the URL.
run: $(VENV)/.installed
	@echo "JupyterLab: http://127.0.0.1:$(PORT)/lab  (g4f chat: the launcher tile, View > g4f chat, or the right sidebar)"
	@echo "Web chat:   http://127.0.0.1:$(PORT)/g4f/  (the same login: open the token URL printed below first)"
	$(VENV)/bin/jupyter lab --no-browser --ip=127.0.0.1 --port=$(PORT) --notebook-dir=notebooks \
	  $$( [ "$$(id -u)" = 0 ] && echo --allow-root )

## Debian's chromium (browser tests) and espeak-ng (speech), when missing.
system-deps:
	@command -v chromium >/dev/null && command -v espeak-ng >/dev/null || { \
	  SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
	  $$SUDO apt-get update -qq && $$SUDO apt-get install -y -qq chromium espeak-ng; }

## mypy --strict and ruff, as configured in pyproject.toml.
lint: $(VENV)/.installed-test
	$(VENV)/bin/ruff check .
	$(VENV)/bin/mypy

## The whole test suite, on the real model, a real server, a real kernel and a real browser.
test: $(VENV)/.installed-test system-deps lint
	npm --prefix labextension test  # the chat front-end's unit tests (stream parser, event fold) on node's own runner
	PATH="$(abspath $(VENV))/node/node_modules/.bin:$$PATH" $(VENV)/bin/python -m pytest -v

## The quick edit loop: no model, browser, kernel or hub (FULL_TIER in tests/conftest.py), under a minute.
test-fast: $(VENV)/.installed-test
	npm --prefix labextension test --silent
	G4F_LOCAL_MODEL=/nonexistent/model.gguf $(VENV)/bin/python -m pytest -m "not full" -q

bench: $(VENV)/.installed-test
	$(PY) benchmarks/bench_local.py
