# Two commands for a new user: `make run` and `make test`. Everything else is optional.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
# Compiled numba kernels are cached inside the project so `make run`, tests and CI reuse them.
export NUMBA_CACHE_DIR := $(CURDIR)/.cache/numba

.PHONY: run test bench screenshots lint imports clean install

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip

$(STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet -e '.[test]'
	touch $(STAMP)

install: $(STAMP)

run: $(STAMP)
	$(BIN)/evorisk console

test: $(STAMP)
	$(BIN)/python -m pytest

bench: $(STAMP)
	$(BIN)/python -m bench.run_all

# The PNGs are drawn by cairosvg with an installed monospace font that has the box-drawing glyphs
# (Fira Code, JetBrains Mono or DejaVu Sans Mono); without one the borders would not line up.
screenshots: $(STAMP)
	@fc-list : family | grep -qE "Fira Code|JetBrains Mono|DejaVu Sans Mono" || { \
	  echo "make screenshots: install a monospace font with box-drawing glyphs first," \
	       "e.g. 'sudo apt-get install fonts-dejavu-core' (Debian/Ubuntu) or 'brew install --cask font-dejavu'"; exit 2; }
	$(BIN)/python -m tools.screenshots screenshots

# Import cycles and function-level imports of console/, core/, storage/ (tests/test_import_graph.py checks them).
imports: $(STAMP)
	$(BIN)/python -m tools.import_graph --verbose

lint: $(STAMP)
	$(BIN)/python -m compileall -q console core storage

clean:
	rm -rf $(VENV) .cache build *.egg-info
