# The two commands of the README: `make run` and `make test`. Both set up .venv first.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin

.PHONY: run test setup setup-dev lint bench schema clean

run: setup
	$(BIN)/newsprep run seeds --output output

test: setup-dev
	$(BIN)/ruff check flows tests benchmarks
	$(BIN)/newsprep schema --check
	$(BIN)/pytest

setup: $(VENV)/.runtime
setup-dev: $(VENV)/.dev

$(VENV)/.runtime: pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -e .
	touch $@

$(VENV)/.dev: pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -e ".[dev]"
	touch $@ $(VENV)/.runtime

schema: setup
	$(BIN)/newsprep schema

bench: setup-dev
	$(BIN)/python benchmarks/bench_pipeline.py

clean:
	rm -rf $(VENV) output/version=* output/LATEST output/.staging output/.lock
