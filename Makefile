# Two commands: `make run` (set up, then the main job) and `make test` (set up, then every test).
PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: setup test lint run run-postgres bench clean

$(STAMP): pyproject.toml package-lock.json
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	npm ci --no-audit --no-fund --loglevel=error   # GOV.UK Frontend assets, served locally
	touch $(STAMP)

setup: $(STAMP)

lint: setup
	$(BIN)/ruff check .

test: setup
	scripts/test-services
	$(BIN)/ruff check .
	$(BIN)/pytest
	$(BIN)/ehc scenarios check scenarios

run: setup
	$(BIN)/ehc serve --demo

run-postgres: setup  # the production store: the PostgreSQL server on 127.0.0.1:5432
	EHC_STORE=postgres $(BIN)/ehc serve --demo

bench: setup
	$(BIN)/ehc bench evaluate

clean:
	rm -rf $(VENV) build *.egg-info
