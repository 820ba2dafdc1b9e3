# Two commands from a fresh clone: `make run` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp
HOST ?= 127.0.0.1
PORT ?= 8080

.PHONY: run shell test lint typecheck unit setup clean debian-packages pdf-libraries screenshots

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

#: The console's front-end assets (htmx, its SSE extension, axe-core for the browser tests),
#: pinned in package.json and package-lock.json and installed from the npm registry.
ASSETS := node_modules/.installed-stamp
#: Debian's Chromium, which the browser tests drive through Playwright (no browser download).
BROWSER := /usr/bin/chromium

$(ASSETS): package.json package-lock.json
	@command -v npm >/dev/null || $(MAKE) --no-print-directory debian-packages PACKAGES=npm
	npm ci --no-audit --no-fund
	touch $(ASSETS)

$(BROWSER):
	$(MAKE) --no-print-directory debian-packages PACKAGES=chromium

#: Debian's Pango (and HarfBuzz's subsetter), which WeasyPrint loads to print postmortems as PDF.
PDF_LIBRARIES := libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz-subset0

## Install the libraries PDF export needs, those missing only
pdf-libraries:
	@missing=$$(for package in $(PDF_LIBRARIES); do \
		dpkg-query -W -f='$${Status}\n' $$package 2>/dev/null | grep -q "install ok installed" || echo $$package; \
	done); \
	if [ -n "$$missing" ]; then $(MAKE) --no-print-directory debian-packages PACKAGES="$$(echo $$missing)"; fi

## Install Debian packages (as root, or through sudo when it is there)
debian-packages:
	@if [ "$$(id -u)" = 0 ]; then apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $(PACKAGES); \
	elif command -v sudo >/dev/null; then sudo apt-get update -qq && sudo DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $(PACKAGES); \
	else echo "Tocsin needs the Debian packages: $(PACKAGES). Install them (apt-get install $(PACKAGES)) and run make again." >&2; exit 1; fi

setup: $(STAMP) $(ASSETS) pdf-libraries

## Set everything up and run Tocsin with demo data on http://$(HOST):$(PORT) (make run PORT=9090)
run: $(STAMP) $(ASSETS) pdf-libraries
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

unit: $(STAMP) $(ASSETS) $(BROWSER) pdf-libraries
	$(BIN)/pytest -n 2 --durations=15

## Run the browser tests and write their screenshots into docs/screenshots
screenshots: $(STAMP) $(ASSETS) $(BROWSER) pdf-libraries
	TOCSIN_SCREENSHOTS=docs $(BIN)/pytest -n 2 tests/console

clean:
	rm -rf $(VENV) node_modules tocsin-data .pytest_cache .mypy_cache .ruff_cache
