# The README's commands. Each creates .venv and installs the project into it first.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp

.PHONY: install run test lint check coverage fmt bench bench-quick wrk clean lock

# requirements.lock pins every package the tests ran with; pyproject.toml keeps the ranges
# for people who install the package. `make lock` re-resolves the pins after a range changes.
LOCK := requirements.lock

$(STAMP): pyproject.toml $(LOCK)
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -c $(LOCK) -e '.[dev]'
	touch $(STAMP)

lock:
	rm -rf .lock-venv
	$(PYTHON) -m venv .lock-venv
	.lock-venv/bin/python -m pip install --quiet --upgrade pip
	.lock-venv/bin/python -m pip install --quiet -e '.[dev]'
	( echo "# Pins for make install and CI; regenerate with make lock (from pyproject.toml)."; \
	  .lock-venv/bin/python -m pip freeze --exclude-editable ) > $(LOCK)
	rm -rf .lock-venv

install: $(STAMP)

run: $(STAMP)
	$(BIN)/headwater serve

# Test workers (pytest-xdist), one per core: 4 on 2 cores was faster still but, on a loaded
# machine, tripped tests that allow a server a second or two (shell completion's 2 s timeout,
# an MQTT subscription's 1 s). TEST_WORKERS=0 runs the suite serially in one process. loadgroup:
# tests marked xdist_group(NAME) share a worker (the airbyte tests, for their module fixtures).
TEST_WORKERS ?= 2

# --durations: the slowest tests, so a CI log shows where the suite's time goes.
test: $(STAMP)
	$(BIN)/pytest -n $(TEST_WORKERS) --dist loadgroup --durations=25 $(ARGS)

# The coverage floor `make check` holds: line and branch coverage of the package by the
# in-process suite (all but tests/e2e, whose servers run in processes of their own), at the
# level measured when the floor was set (90% on 2026-12-03, so 89 leaves room for rounding).
# Raise it when coverage rises; never lower it to pass.
COVERAGE_FLOOR := 89

coverage: $(STAMP)
	$(BIN)/pytest -n $(TEST_WORKERS) --dist loadgroup --ignore=tests/e2e \
		--cov=headwater --cov-report=term:skip-covered --cov-fail-under=$(COVERAGE_FLOOR) $(ARGS)

lint: $(STAMP)
	$(BIN)/ruff format --check src tests bench
	$(BIN)/ruff check src tests bench
	$(BIN)/lint-imports
	$(BIN)/mypy

# lint, then the in-process suite under coverage (the floor), then the e2e suite.
check: lint coverage
	$(BIN)/pytest -n $(TEST_WORKERS) --dist loadgroup tests/e2e $(ARGS)

fmt: $(STAMP)
	$(BIN)/ruff format src tests bench
	$(BIN)/ruff check --fix src tests bench

BENCH_STAMP := $(VENV)/.bench-stamp

$(BENCH_STAMP): $(STAMP)
	$(BIN)/python -m pip install --quiet -e '.[dev,bench]'
	touch $(BENCH_STAMP)

# The API case's load generator; without apt (or root) the case falls back to Python clients.
WRK := $(shell command -v wrk 2>/dev/null)

wrk:
ifeq ($(WRK),)
	-apt-get install -y wrk >/dev/null 2>&1 || (apt-get update >/dev/null 2>&1 && apt-get install -y wrk >/dev/null 2>&1) || echo "wrk not installed: the API case uses Python clients"
endif

bench: $(BENCH_STAMP) wrk
	$(BIN)/python -m bench $(ARGS)

bench-quick: $(BENCH_STAMP) wrk
	$(BIN)/python -m bench --quick $(ARGS)

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache
