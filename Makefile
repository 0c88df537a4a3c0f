# Quick start: `make demo` (set up, tag the bundled transcripts, print the needs table)
# and `make test` (set up, run the tests). Both create .venv on first use.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin

.PHONY: demo test setup browser clean bench

$(BIN)/coding: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[test]'
	touch $(BIN)/coding

setup: $(BIN)/coding

demo: setup
	$(BIN)/coding run

# The page tests drive Debian's chromium with Playwright (no browser download);
# without root or apt they skip, saying why.
browser:
	@command -v chromium >/dev/null 2>&1 || { [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1 \
	  && (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null) \
	  || echo "note: chromium not installed; browser tests will skip"; }

test: setup browser
	$(BIN)/python -m pytest

clean:
	rm -rf $(VENV) coding.db

bench: setup
	$(BIN)/python bench/tag_bench.py
