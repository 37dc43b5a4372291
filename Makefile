# Two commands do everything on a fresh machine: `make demo` and `make test`.
# Each creates or refreshes the virtual environment from the pinned requirements when needed.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.btrnn-installed

.PHONY: install demo test test-fast lint bench evaluate clean

$(STAMP): requirements.txt pyproject.toml adapter/pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --disable-pip-version-check --upgrade pip==25.3
	$(BIN)/python -m pip install -q --disable-pip-version-check -r requirements.txt
	$(BIN)/python -m pip install -q --disable-pip-version-check --no-deps -e . -e adapter
	touch $@

install: $(STAMP)

demo: $(STAMP)
	$(BIN)/btrnn demo

test: $(STAMP) lint
	$(BIN)/pytest

test-fast: $(STAMP)
	$(BIN)/pytest -m "not slow"

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

bench: $(STAMP)
	$(BIN)/btrnn bench

# Leave-last-out evaluation of BTRNN and the baselines on the bundled sample (report in reports/).
evaluate: $(STAMP)
	$(BIN)/btrnn evaluate

# The README's real-data table (Online Retail II from ../shared/data).
evaluate-online-retail: $(STAMP)
	$(BIN)/btrnn evaluate --vars-file examples/online-retail-ii.yml --units 128 --epochs 8 \
		--report reports/online-retail-ii.html

clean:
	rm -rf .btrnn target logs
