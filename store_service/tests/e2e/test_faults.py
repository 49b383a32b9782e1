"""Faults under a running checkout load, with real processes: PostgreSQL restarted, the
inventory killed, either service asked to stop. Each ends with `audit`: nothing
half-applied, nothing issued twice, every answered checkout recorded exactly once."""

from __future__ import annotations

import signal
import time
from pathlib import Path
from typing import Iterator

import httpx
import psycopg
import pytest

from servicekit.migrations import upgrade
from testkit import database
from testkit.checkout_load import CheckoutLoad, audit, open_store
from testkit.own_postgres import OwnPostgres
from testkit.processes import ROOT, ServiceProcess

pytestmark = pytest.mark.slow

SKUS = {"milk": 400, "bread": 400, "tea": 60, "eggs": 30}  # two SKUs run out under load


def services(inventory_db: str, store_db: str, logs: Path) -> tuple[ServiceProcess, ServiceProcess]:
    inventory = ServiceProcess(
        "inventory_service", {"INVENTORY_DATABASE_URL": inventory_db}, log_path=logs / "inv.log"
    )
    store = ServiceProcess(
        "store_service",
        {"STORE_DATABASE_URL": store_db, "INVENTORY_URL": inventory.url, "INVENTORY_RETRIES": "1"},
        log_path=logs / "store.log",
    )
    return inventory, store


def wait_until(condition, what: str, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting until {what}")
        time.sleep(0.1)


def ready(process: ServiceProcess) -> bool:
    try:
        return httpx.get(f"{process.url}/readyz", timeout=2).status_code == 200
    except httpx.TransportError:
        return False


@pytest.fixture
def own_postgres() -> Iterator[OwnPostgres]:
    with OwnPostgres() as server:
        yield server


def test_postgresql_restarted_under_load(own_postgres: OwnPostgres, tmp_path: Path):
    admin = own_postgres.url()
    inventory_db = database.create_database(admin, "inventory")
    store_db = database.create_database(admin, "store")
    upgrade(ROOT / "inventory_service" / "migrations", inventory_db)
    upgrade(ROOT / "store_service" / "migrations", store_db)
    inventory, store = services(inventory_db, store_db, tmp_path)
    with inventory, store:
        store_id = open_store(store.url, inventory.url, SKUS)
        with CheckoutLoad(store.url, store_id, list(SKUS)) as load:
            load.wait_for(15)
            own_postgres.stop()
            wait_until(lambda: not ready(inventory) and not ready(store), "readiness goes false")
            own_postgres.start()
            wait_until(lambda: ready(inventory) and ready(store), "readiness comes back")
            load.wait_for(15)
        load.finish()
        audit(store.url, inventory.url, store_id, load.tally)
    assert load.tally.resets == [], load.tally.resets
    assert any(status.endswith("503") for status in load.tally.statuses), load.tally.statuses


def test_inventory_killed_and_restarted_under_load(
    inventory_database_url, store_database_url, tmp_path: Path
):
    inventory, store = services(inventory_database_url, store_database_url, tmp_path)
    with inventory, store:
        store_id = open_store(store.url, inventory.url, SKUS)
        with CheckoutLoad(store.url, store_id, list(SKUS)) as load:
            load.wait_for(15)
            inventory.process.send_signal(signal.SIGKILL)
            inventory.process.wait()
            wait_until(lambda: load.tally.statuses["checkout 503"] >= 3, "the store answers 503")
            assert ready(store), "the store stays ready while its inventory is down"
            inventory.start()
            load.wait_for(15)
        load.finish()
        audit(store.url, inventory.url, store_id, load.tally)
    assert load.tally.resets == [], load.tally.resets


@pytest.mark.parametrize("stopped", ["store", "inventory"])
def test_sigterm_lets_accepted_requests_finish(
    stopped, inventory_database_url, store_database_url, tmp_path: Path
):
    """Every shopper has a checkout in flight (the inventory's lock is held, so they wait in
    it) when the service is asked to stop: each of them is answered, and it exits 0."""
    inventory, store = services(inventory_database_url, store_database_url, tmp_path)
    target = store if stopped == "store" else inventory
    with inventory, store:
        store_id = open_store(store.url, inventory.url, SKUS)
        with CheckoutLoad(store.url, store_id, list(SKUS)) as load:
            load.wait_for(10)
            dsn = database.libpq_dsn(inventory_database_url)
            with psycopg.connect(dsn) as blocker:
                blocker.execute("SELECT id FROM locations WHERE id = %s FOR UPDATE", (store_id,))
                wait_until(lambda: load.waiting(0.5) == load.shoppers, "every shopper waits")
                answered = load.checkouts()
                target.process.send_signal(signal.SIGTERM)
                time.sleep(1)  # the process is draining: its accepted requests still wait
                assert target.process.poll() is None
            # The lock is released: the waiting checkouts complete, then the process exits.
            assert target.process.wait(timeout=30) == 0
            wait_until(lambda: load.checkouts() >= answered + load.shoppers, "all answered")
            target.start()
            load.wait_for(5)
        load.finish()
        audit(store.url, inventory.url, store_id, load.tally)
    assert load.tally.resets == [], load.tally.resets
