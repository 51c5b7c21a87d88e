# clout: every target creates/uses .venv by itself (installs from constraints.txt once).
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-stamp

.PHONY: install run test bench lint clean

$(STAMP): pyproject.toml constraints.txt
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -c constraints.txt -e ".[dev]"
	touch $(STAMP)

install: $(STAMP)

## run: start the simulator, run the nightly DAG for the last 7 days, print a summary
run: install
	$(BIN)/clout demo --days 7

## test: the whole test suite
test: install
	$(BIN)/python -m pytest -q

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
