"""The store and the inventory as separate processes talking HTTP, on their own PostgreSQL
databases: a day of trading, the last units under concurrency, and a lost answer."""

from __future__ import annotations

import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Iterator

import httpx
import psycopg
import pytest

from store_service.tests.conftest import at, iso, issue_movements, ledger_issued, stock
from testkit import database
from testkit.fixtures import run_concurrently, unique_id
from testkit.processes import ServiceProcess

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def store(store_server) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=store_server.url, timeout=60) as client:
        yield client


def new_store(store: httpx.Client, prices: dict[str, float]) -> str:
    store_id = unique_id("store")
    assert store.post("/stores", json={"id": store_id, "name": "E2E"}).status_code == 201
    for sku, price in prices.items():
        body = {"name": sku, "category": "general", "price": price}
        assert store.put(f"/stores/{store_id}/products/{sku}", json=body).status_code == 201
    return store_id


def new_cart(store: httpx.Client, store_id: str, items: dict[str, int]) -> str:
    cart = store.post(f"/stores/{store_id}/carts", json={}).json()["id"]
    for sku, quantity in items.items():
        assert (
            store.put(f"/carts/{cart}/items/{sku}", json={"quantity": quantity}).status_code == 200
        )
    return cart


def checkout(store: httpx.Client, cart: str, minute: float | None = None) -> httpx.Response:
    body = {"at": iso(at(minute))} if minute is not None else {}
    return store.post(f"/carts/{cart}/checkout", json=body)


def test_days_of_trading_with_partial_fulfilment_reconcile(store, inventory_http):
    store_id = new_store(store, {"milk": 1.49, "bread": 2.2})
    stock(inventory_http, store_id, {"milk": 5, "bread": 3})
    baskets = [(10, {"milk": 2}), (20, {"milk": 2, "bread": 1}), (24 * 60, {"milk": 3, "bread": 3})]
    for minute, items in baskets:
        answer = checkout(store, new_cart(store, store_id, items), minute)
        assert answer.status_code == 201, answer.text
    last = answer.json()
    assert [(x["sku"], x["fulfilled"], x["lost"]) for x in last["lines"]] == [
        ("bread", 2, 1),
        ("milk", 1, 2),
    ]
    product = store.get(f"/stores/{store_id}/products/milk", params={"at": iso(at(24 * 60))})
    assert product.json()["available"] == 0

    orders = store.get(f"/stores/{store_id}/orders").json()["data"]
    daily = store.get(f"/stores/{store_id}/sales/daily").json()
    assert [d["day"] for d in daily] == ["2026-03-02", "2026-03-03"]
    for day in daily:
        of_day = [o for o in orders if o["placed_at"].startswith(day["day"])]
        assert day["orders"] == len(of_day)
        assert day["units_sold"] == sum(o["units_fulfilled"] for o in of_day)
        assert day["units_lost"] == sum(o["units_lost"] for o in of_day)
        assert day["revenue"] == round(sum(o["total"] for o in of_day), 2)

    reconciliation = store.get(f"/stores/{store_id}/reconciliation").json()
    assert reconciliation["balanced"], reconciliation
    assert ledger_issued(inventory_http, store_id) == {"milk": 5, "bread": 3}


@pytest.mark.parametrize("on_hand", [1, 7])
def test_the_last_units_wanted_by_fifty_concurrent_checkouts(store, inventory_http, on_hand):
    store_id = new_store(store, {"milk": 1.49})
    stock(inventory_http, store_id, {"milk": on_hand})
    carts = [new_cart(store, store_id, {"milk": 1}) for _ in range(50)]
    # One simulated instant for all: the inventory refuses writes dated before its last one.
    answers = run_concurrently(50, lambda i: checkout(store, carts[i], 5))
    assert [a.status_code for a in answers] == [201] * 50
    orders = [a.json() for a in answers]
    assert sum(o["units_fulfilled"] for o in orders) == on_hand  # no oversell, no undersell
    assert sum(o["units_lost"] for o in orders) == 50 - on_hand
    assert ledger_issued(inventory_http, store_id) == {"milk": on_hand}
    assert store.get(f"/stores/{store_id}/reconciliation").json()["balanced"]
    daily = store.get(f"/stores/{store_id}/sales/daily").json()
    assert sum(d["orders"] for d in daily) == 50 and sum(d["units_sold"] for d in daily) == on_hand


def test_concurrent_repeats_of_one_checkout_make_one_order(store, inventory_http):
    store_id = new_store(store, {"milk": 1.49})
    stock(inventory_http, store_id, {"milk": 10})
    cart = new_cart(store, store_id, {"milk": 4})
    answers = run_concurrently(12, lambda _: checkout(store, cart, 5))
    assert sorted(a.status_code for a in answers) == [200] * 11 + [201]
    assert len({a.json()["id"] for a in answers}) == 1
    assert len(issue_movements(inventory_http, store_id, cart)) == 1
    assert ledger_issued(inventory_http, store_id) == {"milk": 4}


@pytest.fixture
def impatient_store(store_database_url, inventory_server, tmp_path: Path):
    """A second store process on the same databases whose inventory calls time out fast."""
    env = {
        "STORE_DATABASE_URL": store_database_url,
        "INVENTORY_URL": inventory_server.url,
        "INVENTORY_TIMEOUT_SECONDS": "0.5",
        "INVENTORY_RETRIES": "1",
    }
    with ServiceProcess("store_service", env, log_path=tmp_path / "store.log") as process:
        yield process


def test_a_checkout_that_timed_out_after_reaching_the_inventory_is_issued_once(
    store, impatient_store, inventory_http, inventory_database_url
):
    """The inventory is slow (another transaction holds the location's lock), so the store's
    call and its retry both time out after reaching it: 503, nothing recorded. The inventory
    then completes the issue. Retrying the checkout records that issue, once."""
    store_id = new_store(store, {"milk": 1.49, "bread": 2.2})
    stock(inventory_http, store_id, {"milk": 3, "bread": 5})
    cart = new_cart(store, store_id, {"milk": 5, "bread": 1})

    with psycopg.connect(database.libpq_dsn(inventory_database_url)) as blocker:
        blocker.execute("SELECT id FROM locations WHERE id = %s FOR UPDATE", (store_id,))
        with httpx.Client(base_url=impatient_store.url, timeout=30) as impatient:
            answer = checkout(impatient, cart, 30)
            assert answer.status_code == 503 and "timed out" in answer.json()["detail"]
            assert impatient.get(f"/carts/{cart}").json()["checkout_pending"] is True
        assert store.get(f"/stores/{store_id}/orders").json()["total"] == 0
        blocker.commit()  # the inventory now serves the two calls that were waiting

    deadline = time.monotonic() + 30
    while not issue_movements(inventory_http, store_id, cart) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert ledger_issued(inventory_http, store_id) == {"milk": 3, "bread": 1}  # issued, unsold
    assert not store.get(f"/stores/{store_id}/reconciliation").json()["balanced"]

    retried = checkout(store, cart, 40)
    assert retried.status_code == 201
    order = retried.json()
    assert [(x["sku"], x["fulfilled"]) for x in order["lines"]] == [("bread", 1), ("milk", 3)]
    assert order["placed_at"] == iso(at(30))  # when the stock moved, at the first call
    assert len(issue_movements(inventory_http, store_id, cart)) == 2  # one per SKU: once
    assert ledger_issued(inventory_http, store_id) == {"milk": 3, "bread": 1}
    assert store.get(f"/stores/{store_id}/reconciliation").json()["balanced"]


@pytest.fixture
def store_with_one_connection(store_database_url, inventory_server, tmp_path: Path):
    """A store process whose pool holds 1 connection, patient with the inventory: a
    checkout that held its connection while waiting would starve the rest."""
    env = {
        "STORE_DATABASE_URL": store_database_url,
        "STORE_DB_POOL_SIZE": "1",
        "INVENTORY_URL": inventory_server.url,
        "INVENTORY_TIMEOUT_SECONDS": "60",
    }
    with ServiceProcess("store_service", env, log_path=tmp_path / "store.log") as process:
        with httpx.Client(base_url=process.url, timeout=60) as client:
            yield client


def test_checkouts_waiting_for_a_slow_inventory_leave_the_store_answering(
    store_with_one_connection, inventory_http, inventory_database_url
):
    """Four checkouts wait for the inventory (another transaction holds the location's lock
    there) while the store, with one database connection, serves everything else: no
    checkout holds a connection or a transaction across its call."""
    store = store_with_one_connection
    store_id = new_store(store, {"milk": 1.49, "bread": 2.2})
    stock(inventory_http, store_id, {"milk": 10, "bread": 10})
    carts = [new_cart(store, store_id, {"milk": 1}) for _ in range(4)]

    with psycopg.connect(database.libpq_dsn(inventory_database_url)) as blocker:
        blocker.execute("SELECT id FROM locations WHERE id = %s FOR UPDATE", (store_id,))
        with ThreadPoolExecutor(max_workers=4) as pool:
            waiting = [pool.submit(checkout, store, cart, 5) for cart in carts]
            deadline = time.monotonic() + 30  # until all four have claimed their carts
            while time.monotonic() < deadline and not all(
                store.get(f"/carts/{cart}").json()["checkout_pending"] for cart in carts
            ):
                time.sleep(0.05)

            other = store.post(
                f"/stores/{store_id}/carts", json={"items": [{"sku": "bread", "quantity": 2}]}
            )
            assert other.status_code == 201, other.text
            changed = store.put(f"/carts/{other.json()['id']}/items/bread", json={"quantity": 3})
            assert changed.status_code == 200, changed.text
            frozen = store.put(f"/carts/{carts[0]}/items/milk", json={"quantity": 2})
            assert frozen.status_code == 409 and "under way" in frozen.json()["detail"]
            assert store.get(f"/stores/{store_id}").status_code == 200
            assert store.get(f"/stores/{store_id}/orders").json()["total"] == 0
            assert not any(checkout.done() for checkout in waiting)  # all still waiting
            blocker.commit()  # the inventory serves the four issues now
            answers = [checkout.result() for checkout in waiting]

    assert [answer.status_code for answer in answers] == [201] * 4
    assert ledger_issued(inventory_http, store_id) == {"milk": 4}
    assert store.get(f"/stores/{store_id}/reconciliation").json()["balanced"]
