# recon: `make demo` installs everything and runs the demo; `make test` runs the whole test suite.
SHELL := /bin/bash
export UV_PYTHON_DOWNLOADS := never
# uv from PATH, else the one pip installs for the machine's Python 3.11.
UV := $(shell command -v uv 2>/dev/null || echo python3.11 -m uv)
RUN := $(UV) run --frozen --python 3.11
PYTEST_ARGS ?=
# `make bench BENCH_ORDERS="10000"` for a quick run; BENCH_ARGS passes more options (e.g. --note "...").
BENCH_ORDERS ?= 10000 100000 1000000
BENCH_ARGS ?=

.PHONY: install demo ui test lint bench bench-ingest bench-marts bench-accuracy clean

install: .venv/.installed

.venv/.installed: pyproject.toml uv.lock
	@$(UV) --version >/dev/null 2>&1 || python3.11 -m pip install --quiet uv
	$(UV) sync --frozen --python 3.11
	@touch $@

demo: install
	$(RUN) recon demo

# The Dagster UI for the home (after `make demo`: the demo's landing zone and figures). PORT=3001 to move it.
ui: install
	$(RUN) recon ui --port $(or $(PORT),3000)

# Two workers (the machine's two cores), one test file per worker, so module-scoped pipeline runs happen once.
test: install
	$(RUN) pytest -n 2 --dist loadfile $(PYTEST_ARGS)

lint: install
	$(RUN) ruff check dagster_project expectations sensors tests bench

bench-ingest: install
	$(RUN) python -m bench.ingest --orders 100000

bench-marts: install
	$(RUN) python -m bench.marts --orders 100000 1000000

bench-accuracy: install
	$(RUN) python -m bench.accuracy --orders 20000

# One run, side by side: recon end to end and per stage, datacompy, pandas, DuckDB, the lower bound (bench/README.md).
bench: install
	$(RUN) python -m bench.run --orders $(BENCH_ORDERS) $(BENCH_ARGS)

clean:
	rm -rf .recon bench/work .pytest_cache
