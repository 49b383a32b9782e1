"""Fixtures for store_service's integration, API and end-to-end tests.

The inventory is never faked: tests that check out talk to a real inventory_service process
(`inventory_server`, from testkit) over HTTP. Every test uses its own store ids, so the
session's databases are shared safely. Times are dated from ``T0`` and only move forward per
store, because the inventory refuses writes dated before a location's last event.
"""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from decimal import Decimal
from pathlib import Path
from typing import Callable, Iterator

import httpx
import pytest
from sqlalchemy import Engine, func, select

from servicekit.database import for_writing, make_engine
from servicekit.migrations import upgrade
from store_service.adapters.inventory_client import InventoryClient
from store_service.adapters.tables import OrderRow
from store_service.application import services
from store_service.application.unit_of_work import UnitOfWork
from store_service.domain.model import Product
from testkit.fixtures import unique_id
from testkit.processes import ROOT

T0 = datetime(2026, 3, 2, 8, 0, tzinfo=timezone.utc)
MIGRATIONS = ROOT / "store_service" / "migrations"


def at(minutes: float) -> datetime:
    """A time ``minutes`` after the tests' epoch."""
    return T0 + timedelta(minutes=minutes)


def iso(moment: datetime) -> str:
    return moment.isoformat().replace("+00:00", "Z")


# -- databases and units of work ------------------------------------------------------------


@pytest.fixture(scope="session")
def engine(store_database_url: str) -> Iterator[Engine]:
    # 10 connections: the 20-thread checkout tests take turns, and few stay idle after.
    engine = make_engine(store_database_url, pool_size=10)
    yield engine
    engine.dispose()


@pytest.fixture(scope="session")
def sqlite_engine(tmp_path_factory) -> Iterator[Engine]:
    """The embedded default, migrated like PostgreSQL: the SQL must hold on both."""
    url = f"sqlite:///{Path(tmp_path_factory.mktemp('sqlite')) / 'store.db'}"
    upgrade(MIGRATIONS, url)
    engine = make_engine(url)
    yield engine
    engine.dispose()


@pytest.fixture(params=["postgresql", "sqlite"])
def any_engine(request) -> Engine:
    """Each test that takes it runs once on PostgreSQL and once on SQLite."""
    return request.getfixturevalue("engine" if request.param == "postgresql" else "sqlite_engine")


def unit_of_work_factory(engine: Engine) -> Callable[[], UnitOfWork]:
    """A fresh unit of work per call, as the API gives one per request."""
    writer = for_writing(engine)
    return lambda: UnitOfWork(writer.connect)


@pytest.fixture
def uow(any_engine: Engine) -> UnitOfWork:
    return unit_of_work_factory(any_engine)()


# -- the inventory --------------------------------------------------------------------------


@pytest.fixture(scope="session")
def inventory(inventory_server) -> Iterator[InventoryClient]:
    """The store's own client of the real inventory process."""
    client = InventoryClient(inventory_server.url)
    yield client
    client.close()


@pytest.fixture(scope="session")
def inventory_http(inventory_server) -> Iterator[httpx.Client]:
    """Plain HTTP to the inventory, to stock shelves and read its ledger."""
    with httpx.Client(base_url=inventory_server.url, timeout=30) as client:
        yield client


def stock(inventory_http: httpx.Client, store: str, levels: dict[str, int], when=T0) -> None:
    """Set on hand at the store's location (creating the items)."""
    for sku, on_hand in levels.items():
        answer = inventory_http.put(
            f"/locations/{store}/items/{sku}", json={"on_hand": on_hand, "at": iso(when)}
        )
        assert answer.status_code in (200, 201), answer.text


def ledger_issued(inventory_http: httpx.Client, store: str) -> dict[str, int]:
    """Units issued per SKU in the inventory's ledger (SKUs never issued left out)."""
    answer = inventory_http.get(f"/locations/{store}/movements/totals")
    assert answer.status_code == 200, answer.text
    return {row["sku"]: row["issued"] for row in answer.json() if row["issued"]}


def issue_movements(inventory_http: httpx.Client, store: str, reference: str) -> list[dict]:
    answer = inventory_http.get(
        f"/locations/{store}/movements", params={"kind": "issue", "reference": reference}
    )
    assert answer.status_code == 200, answer.text
    return answer.json()["data"]


# -- a store, through the use cases ---------------------------------------------------------


def open_store(
    uow: UnitOfWork, prices: dict[str, str], categories: dict[str, str] | None = None
) -> str:
    """A new store selling ``prices`` (sku -> price); returns its id."""
    store = services.create_store(uow, "Test store", T0, unique_id("store")).id
    for sku, price in prices.items():
        category = (categories or {}).get(sku, "general")
        services.put_product(uow, store, Product(sku, sku.title(), category, Decimal(price)), T0)
    return store


def orders_of(engine: Engine, store: str) -> int:
    """How many orders the store has recorded."""
    with engine.connect() as connection:
        return connection.execute(
            select(func.count()).select_from(OrderRow).where(OrderRow.store_id == store)
        ).scalar_one()


def fill_cart(uow: UnitOfWork, store: str, items: dict[str, int]) -> str:
    cart = services.open_cart(uow, store, T0).id
    for sku, quantity in items.items():
        services.set_cart_item(uow, cart, sku, quantity)
    return cart


# -- a store, through HTTP ------------------------------------------------------------------


@pytest.fixture(scope="session")
def app(store_database_url: str, inventory_server):
    from store_service.api.app import create_app
    from store_service.config import Settings

    return create_app(
        Settings(
            STORE_DATABASE_URL=store_database_url,
            STORE_DB_POOL_SIZE=2,
            INVENTORY_URL=inventory_server.url,
        )
    )


@pytest.fixture(scope="session")
def client(app):
    from fastapi.testclient import TestClient

    with TestClient(app) as client:
        yield client


def http_store(client, prices: dict[str, float], categories: dict[str, str] | None = None) -> str:
    """A new store selling ``prices`` (sku -> price), made over HTTP; returns its id."""
    store = unique_id("store")
    answer = client.post("/stores", json={"id": store, "name": "Test store", "at": iso(T0)})
    assert answer.status_code == 201, answer.text
    for sku, price in prices.items():
        body = {"name": sku.title(), "category": (categories or {}).get(sku, "general")}
        answer = client.put(f"/stores/{store}/products/{sku}", json={**body, "price": price})
        assert answer.status_code == 201, answer.text
    return store


def http_cart(client, store: str, items: dict[str, int]) -> str:
    answer = client.post(f"/stores/{store}/carts", json={"at": iso(T0)})
    assert answer.status_code == 201, answer.text
    cart = answer.json()["id"]
    for sku, quantity in items.items():
        answer = client.put(f"/carts/{cart}/items/{sku}", json={"quantity": quantity})
        assert answer.status_code == 200, answer.text
    return cart
