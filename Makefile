# demand-supply-sim: one virtualenv for development, lint, tests, and the demo.
#   make setup   create .venv with every service's requirements and the dev tools
#   make test    lint + every test (needs PostgreSQL: TEST_DATABASE_URL, a local server, or Docker)
#   make demo    run the default scenario against both services on SQLite (no Docker, no Postgres)
#   make images  build the three images (TAG=... overrides the short git SHA); images-check runs them
#   make cluster make dev | make deploy, make smoke   the kind cluster, Tilt, or a Helm release
#   make bench   the performance figures: customers/s, checkout throughput vs pgbench, cost per route
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
# What make deploy / smoke / undeploy act on (the kind cluster of kind-config.yaml).
RELEASE ?= dss
CLUSTER ?= demand-supply-sim
IMAGE_TAG = $(or $(TAG),$(shell git rev-parse --short HEAD 2>/dev/null),dev)
# make deploy: extra values (e.g. VALUES=charts/demand-supply-sim/ci/kind-values.yaml) and how
# long helm waits for the release to become ready.
VALUES ?=
HELM_TIMEOUT ?= 10m
CLUSTER_ENV = CLUSTER=$(CLUSTER) RELEASE=$(RELEASE) HELM_TIMEOUT=$(HELM_TIMEOUT)
WITH_TEST_DB = TEST_DATABASE_URL="$$($(PY) -m testkit.database)" || exit 1; export TEST_DATABASE_URL;

.PHONY: help setup demo bench lint fmt test test-unit test-inventory test-store test-sim fuzz serve-inventory serve-store images images-check test-chart cluster cluster-down dev deploy smoke undeploy clean

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

bench: setup ## the README's performance figures (needs PostgreSQL and pgbench); bench/results/*.json
	@command -v pgbench >/dev/null || { echo "make bench needs pgbench (Debian/Ubuntu: apt-get install postgresql-contrib)" >&2; exit 1; }
	$(WITH_TEST_DB) $(PY) bench/run.py $(ARGS)

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
	$(PY) scripts/images.py build --tag $(IMAGE_TAG)

images-check: setup ## run each image non-root, read-only root, against PostgreSQL; a 1-day sim run
	$(WITH_TEST_DB) $(PY) scripts/images.py check $(if $(TAG),--tag $(TAG))

test-chart: setup ## the chart's and the dev loop's tests (Tiltfile, workflows, cluster script)
	$(PY) -m pytest tests/chart tests/devloop

cluster: ## a kind cluster with a local registry on 127.0.0.1:5001 (idempotent)
	$(CLUSTER_ENV) scripts/cluster.sh up

cluster-down: ## delete the kind cluster and its registry (idempotent)
	$(CLUSTER_ENV) scripts/cluster.sh down

dev: ## tilt up: build, deploy with dev values, live-sync code, forward 8001/8002/5432
	@command -v tilt >/dev/null || { echo "make dev needs tilt: https://docs.tilt.dev/install.html" >&2; exit 1; }
	@command -v helm >/dev/null || { echo "make dev needs helm (Tilt renders the chart with it): https://helm.sh/docs/intro/install/" >&2; exit 1; }
	tilt up

deploy: setup ## build the images, kind load them, helm upgrade --install --wait (TAG, VALUES)
	$(CLUSTER_ENV) PYTHON=$(PY) scripts/cluster.sh deploy $(IMAGE_TAG) $(VALUES)

smoke: setup ## check a running release: workloads ready, the Job done, the APIs and the run's data
	$(PY) -m testkit.smoke --release $(RELEASE) $(ARGS)

undeploy: ## helm uninstall the release (the database volume and its Secret are kept)
	$(CLUSTER_ENV) scripts/cluster.sh undeploy

clean: ## remove the virtualenv, local SQLite data and outputs
	rm -rf $(VENV) data out .pytest_cache .coverage
