# Two commands from a fresh clone: `make run` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp
HOST ?= 127.0.0.1
PORT ?= 8080

.PHONY: run shell test lint typecheck unit setup clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

setup: $(STAMP)

## Set everything up and run Tocsin with demo data on http://$(HOST):$(PORT) (make run PORT=9090)
run: $(STAMP)
	$(BIN)/tocsin serve --demo --host $(HOST) --port $(PORT)

## Open a shell with the virtualenv active, so that the `tocsin` command is on PATH
shell: $(STAMP)
	@echo "tocsin is on PATH in this shell; type exit to leave it."
	@VIRTUAL_ENV="$(CURDIR)/$(VENV)" PATH="$(CURDIR)/$(BIN):$$PATH" $${SHELL:-/bin/sh}

## Set everything up and run the whole test suite (lint, types, tests)
test: lint typecheck unit

## Style, then the import rules of ARCHITECTURE.md (contracts in pyproject.toml)
lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/lint-imports --no-cache

typecheck: $(STAMP)
	$(BIN)/mypy tocsin tests bench

unit: $(STAMP)
	$(BIN)/pytest -n 2 --durations=15

clean:
	rm -rf $(VENV) tocsin-data .pytest_cache .mypy_cache .ruff_cache
