# demand-supply-sim: one virtualenv for development, lint, tests, and the demo.
#   make setup   create .venv with every service's requirements and the dev tools
#   make test    lint + every test (needs PostgreSQL: TEST_DATABASE_URL, a local server, or Docker)
#   make demo    run the default scenario against both services on SQLite (no Docker, no Postgres)
#   make images  build the three images (TAG=... overrides the short git SHA); images-check runs them
SHELL := /bin/bash
.DEFAULT_GOAL := help

PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
PY := $(BIN)/python
REQUIREMENTS := requirements-dev.txt $(wildcard */requirements.txt)
SERVICES := inventory_service store_service customer_sim
TEST_PACKAGES := $(SERVICES) servicekit
# Each part's tests, then the repository-level ones (the chart, the project version).
TEST_DIRS = $(wildcard $(addsuffix /tests,$(TEST_PACKAGES))) tests
COVERAGE := $(foreach package,$(TEST_PACKAGES),--cov=$(package)) --cov-report=term
# Choose the PostgreSQL server for the tests (TEST_DATABASE_URL, a local one, or Docker) or stop.
# The images' tag: the short git SHA unless TAG=... is given (never `latest`).
TAG ?=
WITH_TEST_DB = TEST_DATABASE_URL="$$($(PY) -m testkit.database)" || exit 1; export TEST_DATABASE_URL;

.PHONY: help setup demo lint fmt test test-unit test-inventory test-store test-sim fuzz serve-inventory serve-store images images-check clean

help:
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  %-16s %s\n", $$1, $$2}'

setup: $(VENV)/.installed ## create the development virtualenv (.venv)

$(VENV)/.installed: $(REQUIREMENTS)
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -r requirements-dev.txt
	touch $@

demo: setup ## run the default scenario against both services on SQLite; report in out/demo
	$(PY) scripts/demo.py $(ARGS)

lint: setup ## black --check and flake8 over every service
	$(BIN)/black --check --quiet .
	$(BIN)/flake8

fmt: setup ## format the code with black
	$(BIN)/black .

test: lint ## lint, then every service's unit, integration and end-to-end tests
	$(WITH_TEST_DB) $(PY) -m pytest $(TEST_DIRS) $(COVERAGE)

test-unit: setup ## the unit tests only (no database, no processes)
	$(PY) -m pytest $(wildcard $(addsuffix /tests/unit,$(SERVICES)))

test-inventory: setup ## inventory_service's tests
	$(WITH_TEST_DB) $(PY) -m pytest inventory_service/tests --cov=inventory_service --cov-report=term

test-store: setup ## store_service's tests
	$(WITH_TEST_DB) $(PY) -m pytest store_service/tests --cov=store_service --cov-report=term

test-sim: setup ## customer_sim's tests
	$(WITH_TEST_DB) $(PY) -m pytest customer_sim/tests --cov=customer_sim --cov-report=term

fuzz: setup ## a longer fuzzing campaign of both APIs with a fresh seed (FUZZ_EXAMPLES=500)
	$(WITH_TEST_DB) FUZZ_EXAMPLES=$${FUZZ_EXAMPLES:-500} $(PY) -m pytest $(wildcard */tests/e2e/test_fuzz.py)

serve-inventory: setup ## run inventory_service on :8002 (INVENTORY_DATABASE_URL or data/inventory.db)
	$(PY) -m inventory_service serve --reload

serve-store: setup ## run store_service on :8001 (STORE_DATABASE_URL or data/store.db)
	$(PY) -m store_service serve --reload

images: setup ## build the three images, tagged TAG (default: the short git SHA)
	$(PY) scripts/images.py build $(if $(TAG),--tag $(TAG))

images-check: setup ## run each image non-root, read-only root, against PostgreSQL; a 1-day sim run
	$(WITH_TEST_DB) $(PY) scripts/images.py check $(if $(TAG),--tag $(TAG))

clean: ## remove the virtualenv, local SQLite data and outputs
	rm -rf $(VENV) data out .pytest_cache .coverage
