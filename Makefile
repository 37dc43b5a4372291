# Two commands do everything on a fresh machine: `make demo` and `make test`.
# Each creates or refreshes the virtual environment from the pinned requirements when needed.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.btrnn-installed
PIP := $(BIN)/python -m pip install -q --disable-pip-version-check

.PHONY: install lock demo test test-fast test-integration test-model lint bench bench-training bench-scale \
	evaluate evaluate-online-retail cluster-up cluster-down cluster-status clean

$(STAMP): requirements.txt requirements-dev.txt pyproject.toml adapter/pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(PIP) --upgrade pip==25.3
	$(PIP) -r requirements.txt -r requirements-dev.txt
	$(PIP) --no-deps -e . -e adapter
	touch $@

install: $(STAMP)

# Regenerate the locks after changing a direct need (pyproject.toml, adapter/pyproject.toml,
# requirements-dev.in). Pins already in the locks are kept where they still fit.
lock: $(STAMP)
	$(BIN)/pip-compile --quiet --strip-extras --no-emit-index-url --no-emit-find-links \
		--output-file requirements.txt pyproject.toml adapter/pyproject.toml
	$(BIN)/pip-compile --quiet --strip-extras --no-emit-index-url --no-emit-find-links \
		--output-file requirements-dev.txt requirements-dev.in

demo: $(STAMP)
	$(BIN)/btrnn demo

# Every tier, on two pytest workers (conftest.py: which modules share one); pytest prints the 15
# slowest tests and the time per tier at the end.
TEST_WORKERS := -n 2 --dist loadgroup

test: $(STAMP) lint
	$(BIN)/pytest $(TEST_WORKERS)

# The unit tier: pure logic, no JVM, well under 2 minutes.
test-fast: $(STAMP)
	$(BIN)/pytest -m unit

test-integration: $(STAMP)
	$(BIN)/pytest $(TEST_WORKERS) -m integration

test-model: $(STAMP)
	$(BIN)/pytest $(TEST_WORKERS) -m model

# ruff, mypy on btrnn/ and adapter/ (pyproject.toml [tool.mypy]) and sqlfluff on the SQL (.sqlfluff);
# .pre-commit-config.yaml runs the same.
SQL := models macros tests

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy
	$(BIN)/sqlfluff lint --disable-progress-bar $(SQL)

bench: $(STAMP)
	$(BIN)/btrnn bench

# Training step time, full vs sampled softmax at |I'| = 10,000 and 400,000 (~3 minutes, 11 GB).
bench-training: $(STAMP)
	$(BIN)/python -m btrnn.bench.training

# Wall time per stage (generator, data layer, training slice, scoring) at 1x, 4x, 16x a base shop,
# with the fitted growth exponents: reports/bench-scale.{json,md,svg} (README "Growth").
bench-scale: $(STAMP)
	$(BIN)/python -m btrnn.bench.growth

# Leave-last-out evaluation of BTRNN and the baselines on the bundled sample (report in reports/).
evaluate: $(STAMP)
	$(BIN)/btrnn evaluate

# The README's real-data table (Online Retail II from ../shared/data): mean ± std over 3 seeds.
evaluate-online-retail: $(STAMP)
	$(BIN)/btrnn evaluate --vars-file examples/online-retail-ii.yml --seeds 3 \
		--report reports/online-retail-ii.html

# A standing Spark cluster on 127.0.0.1: master, 2 workers, one application serving Spark Connect
# and Thrift, the S3 model store (README: "A standing cluster"). Ports: `btrnn cluster up --help`.
cluster-up: $(STAMP)
	$(BIN)/btrnn cluster up

cluster-down: $(STAMP)
	$(BIN)/btrnn cluster down

cluster-status: $(STAMP)
	$(BIN)/btrnn cluster status

clean:
	rm -rf .btrnn target logs
