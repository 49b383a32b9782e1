"""pytest fixtures shared by every service's tests (loaded by the root ``conftest.py``).

Databases: each test session creates its own PostgreSQL databases on the server that
`testkit.database.find_server` chose, migrates them with the services' own migrations, and
drops them at the end. Tests share a database safely by using unique ids (see `unique_id`).
"""

from __future__ import annotations

import threading
import uuid
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Callable, Iterator, TypeVar

import pytest

from servicekit.migrations import upgrade
from testkit import database
from testkit.processes import ROOT, ServiceProcess

T = TypeVar("T")


def run_concurrently(count: int, work: Callable[[int], T]) -> list[T]:
    """Run ``work(i)`` on ``count`` threads released at the same instant."""
    barrier = threading.Barrier(count)

    def start(index: int):
        barrier.wait()
        return work(index)

    with ThreadPoolExecutor(max_workers=count) as pool:
        return list(pool.map(start, range(count)))


def unique_id(prefix: str) -> str:
    """An id no other test uses, so tests never depend on order or on a wiped database."""
    return f"{prefix}-{uuid.uuid4().hex[:12]}"


@pytest.fixture(scope="session")
def postgres_admin_url() -> str:
    try:
        return database.find_server()
    except SystemExit as error:  # find_server explains what is missing
        pytest.fail(str(error), pytrace=False)


def migrated_database(admin_url: str, service: str) -> Iterator[str]:
    url = database.create_database(admin_url, f"dss_test_{service}")
    upgrade(ROOT / service / "migrations", url)
    yield url
    database.drop_database(admin_url, url)


@pytest.fixture(scope="session")
def inventory_database_url(postgres_admin_url: str) -> Iterator[str]:
    yield from migrated_database(postgres_admin_url, "inventory_service")


@pytest.fixture(scope="session")
def store_database_url(postgres_admin_url: str) -> Iterator[str]:
    yield from migrated_database(postgres_admin_url, "store_service")


@pytest.fixture(scope="session")
def inventory_server(inventory_database_url: str, tmp_path_factory) -> Iterator[ServiceProcess]:
    """A real inventory_service process on a free port, on its own PostgreSQL database."""
    log = Path(tmp_path_factory.mktemp("logs")) / "inventory.log"
    process = ServiceProcess(
        "inventory_service", {"INVENTORY_DATABASE_URL": inventory_database_url}, log_path=log
    )
    with process:
        yield process


@pytest.fixture(scope="session")
def store_server(
    store_database_url: str, inventory_server: ServiceProcess, tmp_path_factory
) -> Iterator[ServiceProcess]:
    """A real store_service process on a free port, on its own PostgreSQL database, talking
    to `inventory_server` over HTTP.

    Its pool of 20 connections serves the 50-client concurrency tests without making them
    queue long for a connection (a checkout holds none while it waits for the inventory).
    """
    log = Path(tmp_path_factory.mktemp("logs")) / "store.log"
    process = ServiceProcess(
        "store_service",
        {
            "STORE_DATABASE_URL": store_database_url,
            "STORE_DB_POOL_SIZE": "20",
            "INVENTORY_URL": inventory_server.url,
        },
        log_path=log,
    )
    with process:
        yield process
