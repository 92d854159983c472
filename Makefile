# Task entry points. `make run` and `make test` work on a fresh clone: they create the virtual
# environment and install everything first.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
# torch: a CPU build, never the multi-GB CUDA one. Where pip already has a local CPU wheel
# (a wheelhouse in its find-links) that is used; otherwise PyTorch's CPU index. Anyone who
# wants another build installs torch into the venv first and this step leaves it alone.
TORCH_SPEC ?= torch>=2.2
TORCH_CPU_INDEX ?= https://download.pytorch.org/whl/cpu
PYTEST_ARGS ?=

.PHONY: help setup run test lint typecheck unit bench bench-ingest bench-alerts train demo clean

help:
	@echo "make run    - set up and run the whole pipeline on the demo data (ugc up)"
	@echo "make test   - set up, then lint, type check and run the tests"
	@echo "make bench  - scoring speed vs a naive baseline, then end-to-end throughput/latency"
	@echo "make bench-ingest - normalize-and-produce posts/s per connector vs JSON parsing alone"
	@echo "make bench-alerts - spike detector: anomaly benchmark, synthetic bursts, the pipeline"
	@echo "make train  - retrain the classifier heads from ../shared/data"
	@echo "make demo   - rebuild the demo posts (ingest/demo) from tools/demo/corpus.toml"

setup: $(VENV)/.installed

$(VENV)/.installed: pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit(sys.version_info < (3, 11))' || \
		{ echo "Python 3.11 or newer is required (set PYTHON=...)"; exit 1; }
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	@$(BIN)/python -c 'import torch' 2>/dev/null || \
		$(BIN)/pip install --quiet --no-deps --no-index "$(TORCH_SPEC)" 2>/dev/null || \
		$(BIN)/pip install --quiet --index-url $(TORCH_CPU_INDEX) "$(TORCH_SPEC)"
	$(BIN)/pip install --quiet -e ".[dev]"
	@command -v chromium >/dev/null 2>&1 || ! command -v apt-get >/dev/null 2>&1 || \
		{ sudo=$$([ "$$(id -u)" = 0 ] || echo sudo); $$sudo apt-get update && $$sudo apt-get install -y chromium; }
	touch $@

run: setup
	$(BIN)/ugc up

lint: setup
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/lint-imports

typecheck: setup
	$(BIN)/mypy

unit: setup
	$(BIN)/pytest -q $(PYTEST_ARGS)

test: lint typecheck unit

bench: setup
	$(BIN)/python bench/classify_speed.py
	$(BIN)/python bench/e2e.py

bench-ingest: setup
	$(BIN)/python bench/ingest_speed.py

bench-alerts: setup
	$(BIN)/python bench/alerts_nab.py
	$(BIN)/python bench/alerts_synthetic.py
	$(BIN)/python -m bench.alerts

train: setup
	$(BIN)/ugc classify train ../shared/data

demo: setup
	$(BIN)/python -m tools.demo.build_demo

clean:
	rm -rf $(VENV) .ugc .pytest_cache .mypy_cache .ruff_cache
