# Quick start: `make demo` (set up, tag the bundled transcripts, print the needs table)
# and `make test` (set up, run the tests). Both create .venv on first use.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin

.PHONY: demo test setup clean bench

$(BIN)/coding: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[test]'
	touch $(BIN)/coding

setup: $(BIN)/coding

demo: setup
	$(BIN)/coding run

test: setup
	$(BIN)/python -m pytest

clean:
	rm -rf $(VENV) coding.db

bench: setup
	$(BIN)/python bench/tag_bench.py
