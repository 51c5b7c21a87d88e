# clout: every target creates/uses .venv by itself (installs from constraints.txt once).
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-stamp

.PHONY: install install-moto run test test-fast bench lint clean

$(STAMP): pyproject.toml constraints.txt
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -c constraints.txt -e ".[dev]"
	touch $(STAMP)

install: $(STAMP)

# moto's S3 server for the object-store tests, in its own venv (its botocore cannot share the
# project's python-dateutil pin); tests/s3kit.py creates the same venv when it is missing
MOTO       := moto[server]==5.2.5
MOTO_STAMP := .venv-moto/.installed-5.2.5

$(MOTO_STAMP):
	rm -rf .venv-moto
	$(PYTHON) -m venv .venv-moto
	.venv-moto/bin/python -m pip install --quiet "$(MOTO)"
	touch $(MOTO_STAMP)

install-moto: $(MOTO_STAMP)

## run: start the simulator, run the nightly DAG for the last 7 days, print a summary
run: install
	$(BIN)/clout demo --days 7

# pytest-xdist workers (2 cores: one per core; PYTEST_WORKERS=0 runs in this process only);
# --dist loadfile keeps a module's tests, and its module-scoped runs, on one worker;
# --no-loadscope-reorder keeps the order of tests/conftest.py (the longest modules first)
PYTEST_WORKERS ?= 2
PYTEST_XDIST   := -n $(PYTEST_WORKERS) --dist loadfile --no-loadscope-reorder

## test: the whole test suite, with the 40 slowest tests listed at the end
test: install install-moto
	$(BIN)/python -m pytest -q $(PYTEST_XDIST) --durations=40

## test-fast: the inner loop, without the slow tests (end to end, crash, airflow standalone)
test-fast: install install-moto
	$(BIN)/python -m pytest -q $(PYTEST_XDIST) -m "not slow"

## bench: the performance benchmark (BENCH_ACCOUNTS=100000 by default)
bench: install
	$(BIN)/python -m pipeline.bench --accounts $${BENCH_ACCOUNTS:-100000}

## lint: ruff (lint and format) on everything, mypy on the package (it ships py.typed)
lint: install
	$(BIN)/ruff check pipeline dags tests
	$(BIN)/ruff format --check pipeline dags tests
	$(BIN)/mypy

clean:
	rm -rf warehouse .airflow bench-out
