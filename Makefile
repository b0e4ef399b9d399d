# The README's two commands: `make run` and `make test`. Both build .venv from the repo's own
# files first, so they work on a fresh machine with python3 >= 3.11.
PY ?= python3
VENV := .venv
BIN := $(VENV)/bin
SCENARIO ?= scenarios/tianchang.json
TIME_LIMIT ?= 20
BENCH_TIME_LIMIT ?= 60

.PHONY: setup run test lint bench bench-small clean

setup: $(VENV)/.installed

$(VENV)/.installed: pyproject.toml
	$(PY) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $@

run: setup
	mkdir -p out
	$(BIN)/matcher solve $(SCENARIO) --time-limit $(TIME_LIMIT) --out out/plan.json
	$(BIN)/matcher validate $(SCENARIO) out/plan.json

lint: setup
	$(BIN)/ruff check matcher
	$(BIN)/mypy matcher

# With MATCHER_TEST_DATABASE_URL set (a PostgreSQL URL, as .ci/run sets it), the API tests
# run against that database first; the whole suite then runs on SQLite, so pytest's last
# summary line is the whole suite's.
test: lint
ifdef MATCHER_TEST_DATABASE_URL
	@echo "== API tests against PostgreSQL (MATCHER_TEST_DATABASE_URL) =="
	$(BIN)/pytest -q tests/test_api*.py
	@echo "== the whole suite, API tests on SQLite =="
endif
	env -u MATCHER_TEST_DATABASE_URL $(BIN)/pytest -q

bench: setup
	$(BIN)/python benchmarks/run.py --time-limit $(BENCH_TIME_LIMIT)

bench-small: setup
	$(BIN)/pytest tests/test_bench_smoke.py

clean:
	rm -rf $(VENV) out
