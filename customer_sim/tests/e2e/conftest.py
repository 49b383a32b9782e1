"""End-to-end fixtures: the real store and inventory processes (from ``testkit.fixtures``),
the simulator's HTTP clients to them, and a PostgreSQL run database for the simulator."""

from __future__ import annotations

from typing import Iterator

import pytest

from customer_sim.infrastructure.inventory_client import InventoryClient
from customer_sim.infrastructure.store_client import StoreClient
from testkit import database


@pytest.fixture(scope="session")
def services(store_server, inventory_server):
    """(store, inventory): real processes on PostgreSQL, the store wired to that inventory."""
    return store_server, inventory_server


@pytest.fixture(scope="session")
def clients(services) -> Iterator[tuple[StoreClient, InventoryClient]]:
    """The simulator's own clients (the ports `run_scenario` takes) to the real services."""
    store, inventory = services
    with StoreClient(store.url) as store_client, InventoryClient(inventory.url) as inventory_client:
        yield store_client, inventory_client


@pytest.fixture(scope="session")
def sim_database_url(postgres_admin_url: str) -> Iterator[str]:
    """The simulator's run database on PostgreSQL (its tables are made by the simulator)."""
    url = database.create_database(postgres_admin_url, "dss_test_customer_sim")
    yield url
    database.drop_database(postgres_admin_url, url)


@pytest.fixture
def sim_env(sim_database_url, monkeypatch, tmp_path):
    """The command line's environment: the PostgreSQL run database, quiet logs, and a
    temporary working directory (where ``out/`` would go)."""
    monkeypatch.setenv("SIM_DATABASE_URL", sim_database_url)
    monkeypatch.setenv("LOG_LEVEL", "WARNING")
    monkeypatch.chdir(tmp_path)
    return tmp_path
