"""The inventory stopped mid-run: the store answers 503, sells nothing, stays ready, and a
retry after the inventory restarts completes the checkout once."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest

from store_service.tests.conftest import at, iso, issue_movements, ledger_issued, stock
from testkit.fixtures import unique_id
from testkit.processes import ServiceProcess

pytestmark = pytest.mark.slow


@pytest.fixture
def own_inventory(inventory_database_url, tmp_path: Path):
    """An inventory process of this test's own, to stop and restart (same port throughout)."""
    process = ServiceProcess(
        "inventory_service",
        {"INVENTORY_DATABASE_URL": inventory_database_url},
        log_path=tmp_path / "inventory.log",
    )
    with process:
        yield process


@pytest.fixture
def store_of_own_inventory(store_database_url, own_inventory, tmp_path: Path):
    env = {
        "STORE_DATABASE_URL": store_database_url,
        "INVENTORY_URL": own_inventory.url,
        "INVENTORY_RETRIES": "2",
    }
    with ServiceProcess("store_service", env, log_path=tmp_path / "store.log") as process:
        yield process


def test_inventory_stopped_mid_run(own_inventory, store_of_own_inventory):
    store = httpx.Client(base_url=store_of_own_inventory.url, timeout=30)
    inventory = httpx.Client(base_url=own_inventory.url, timeout=30)
    store_id = unique_id("store")
    store.post("/stores", json={"id": store_id, "name": "Outage"})
    store.put(
        f"/stores/{store_id}/products/milk", json={"name": "Milk", "category": "d", "price": 1}
    )
    stock(inventory, store_id, {"milk": 10})

    def cart_of(quantity: int) -> str:
        cart = store.post(f"/stores/{store_id}/carts", json={}).json()["id"]
        store.put(f"/carts/{cart}/items/milk", json={"quantity": quantity})
        return cart

    before = store.post(f"/carts/{cart_of(2)}/checkout", json={"at": iso(at(1))})
    assert before.status_code == 201

    own_inventory.stop()
    cart = cart_of(3)
    down = store.post(f"/carts/{cart}/checkout", json={"at": iso(at(2))})
    assert down.status_code == 503
    assert "inventory service is unavailable" in down.json()["detail"]
    assert "nothing was sold" in down.json()["detail"]
    assert store.get(f"/carts/{cart}").json()["status"] == "open"
    assert store.get(f"/stores/{store_id}/orders").json()["total"] == 1
    assert store.get(f"/stores/{store_id}/products/milk").status_code == 503
    ready = store.get("/readyz")
    assert ready.status_code == 200 and ready.json()["checks"]["inventory"].startswith("unavail")
    assert store.get(f"/stores/{store_id}/sales/daily").json()[0]["units_sold"] == 2

    own_inventory.start()
    retried = store.post(f"/carts/{cart}/checkout", json={"at": iso(at(3))})
    assert retried.status_code == 201 and retried.json()["units_fulfilled"] == 3
    again = store.post(f"/carts/{cart}/checkout", json={"at": iso(at(4))})
    assert again.status_code == 200 and again.json()["id"] == retried.json()["id"]
    assert len(issue_movements(inventory, store_id, cart)) == 1
    assert ledger_issued(inventory, store_id) == {"milk": 5}
    assert store.get(f"/stores/{store_id}/reconciliation").json()["balanced"]
    assert store.get("/readyz").json()["checks"]["inventory"] == "ok"
    store.close()
    inventory.close()
