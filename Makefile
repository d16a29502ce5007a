# Quick start: `make run` and `make test` create the virtual environment when it is missing.
PY ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
# Debian's Chromium (the console's browser tests; a test tool's own browser download fails here) and a CJK
# font (Chinese in screenshots and plots). Installed with apt-get when missing; sudo when not root.
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)

.PHONY: run test lint typecheck pytest system bench clean

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PY) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

run: $(STAMP)
	$(BIN)/pingzhan serve --demo api/examples/flood.json --area-codes api/examples/area-codes.csv

lint: $(STAMP)
	$(BIN)/ruff check engine api tests benchmarks docs
	$(BIN)/ruff format --check engine api tests benchmarks docs

typecheck: $(STAMP)
	$(BIN)/mypy engine api benchmarks

system:
	@if ! command -v chromium >/dev/null 2>&1 || ! fc-list 2>/dev/null | grep -qi "Noto Sans CJK"; then \
		$(SUDO) apt-get update -qq && \
		$(SUDO) env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium fonts-noto-cjk >/dev/null; \
	fi

# Test files spread over processes (pytest-xdist), each file's tests kept on one (they share the module's
# server). The tests mostly wait on servers, browsers and databases: two processes on CI's 2 cores ran the suite
# in 332-387 s against 975 s in one; three were no faster (421 s). Each process has PostgreSQL databases of its own
# (tests/isolation.py). The 25 slowest tests are listed at the end: `make test` has 12 minutes on CI.
PYTEST_PROCESSES ?= 2
pytest: $(STAMP) system
	$(BIN)/pytest -n $(PYTEST_PROCESSES) --dist loadfile --durations=25

test: lint typecheck pytest

bench: $(STAMP)
	$(BIN)/pingzhan bench

clean:
	rm -rf $(VENV) .mypy_cache .pytest_cache .ruff_cache .hypothesis
