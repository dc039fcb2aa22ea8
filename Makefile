# Two entry points for a fresh machine with Python 3.11+ and make:
#   make demo   plan, apply and plan again against the embedded simulator (sim://demo)
#   make test   ruff (format + lint), mypy --strict and the whole pytest suite
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: demo test lint typecheck pytest bench clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

demo: $(STAMP)
	@PATH="$(CURDIR)/$(BIN):$$PATH" sh examples/demo.sh

lint: $(STAMP)
	$(BIN)/ruff format --check psconfig tests
	$(BIN)/ruff check psconfig tests

typecheck: $(STAMP)
	$(BIN)/mypy

pytest: $(STAMP)
	$(BIN)/pytest -q $(PYTEST_ARGS)

test: lint typecheck pytest

bench: $(STAMP)
	$(BIN)/python tests/bench/run.py

clean:
	rm -rf $(VENV) .psconfig .mypy_cache .ruff_cache .pytest_cache .hypothesis
