"""Every operation of the store API, fuzzed over HTTP, with the real inventory behind it
(see `testkit.fuzzing`)."""

from __future__ import annotations

import httpx
import pytest

from store_service.tests.conftest import T0, iso
from testkit.fixtures import unique_id
from testkit.fuzzing import fuzz


@pytest.mark.slow
def test_no_input_breaks_the_api(store_server, inventory_server, tmp_path):
    store = unique_id("fuzz")
    with httpx.Client(base_url=store_server.url, timeout=30) as client:
        assert client.post("/stores", json={"id": store, "name": "Fuzz", "at": iso(T0)}).is_success
        product = {"name": "Milk", "category": "dairy", "price": 1.49}
        assert client.put(f"/stores/{store}/products/milk", json=product).is_success
        stocked = {"on_hand": 50, "at": iso(T0)}
        assert httpx.put(f"{inventory_server.url}/locations/{store}/items/milk", json=stocked)
        carts = [client.post(f"/stores/{store}/carts", json={"at": iso(T0)}).json()["id"]]
        assert client.put(f"/carts/{carts[0]}/items/milk", json={"quantity": 2}).is_success
        carts.append(client.post(f"/stores/{store}/carts", json={"at": iso(T0)}).json()["id"])
        client.put(f"/carts/{carts[1]}/items/milk", json={"quantity": 1})
        order = client.post(f"/carts/{carts[1]}/checkout", json={"at": iso(T0)}).json()["id"]
    known = {"store": [store], "sku": ["milk"], "cart": carts, "order": [order]}
    code, output = fuzz(store_server.url, known, tmp_path / "junit.xml")
    assert code == 0, output
