"""Stores and catalogs over HTTP: the contract of docs/store-api.md, and its bad inputs."""

from __future__ import annotations

import pytest

from store_service.tests.conftest import T0, http_store, iso, stock
from testkit.fixtures import unique_id


def test_a_store_is_created_listed_and_read(client):
    store = unique_id("store")
    created = client.post("/stores", json={"id": store, "name": "Main Street", "at": iso(T0)})
    assert created.status_code == 201
    assert created.json() == {
        "id": store,
        "name": "Main Street",
        "created_at": "2026-03-02T08:00:00Z",
    }
    assert client.get(f"/stores/{store}").json() == created.json()
    page = client.get("/stores", params={"limit": 1000}).json()
    assert store in [s["id"] for s in page["data"]] and page["limit"] == 1000


def test_a_store_id_is_generated_when_absent(client):
    created = client.post("/stores", json={"name": "Pop-up"})
    assert created.status_code == 201
    store = created.json()["id"]
    assert store.startswith("store-") and client.get(f"/stores/{store}").status_code == 200


def test_a_store_id_is_taken_once(client):
    store = http_store(client, {})
    again = client.post("/stores", json={"id": store, "name": "Copy"})
    assert again.status_code == 409 and store in again.json()["detail"]


@pytest.mark.parametrize(
    "body",
    [{}, {"name": ""}, {"id": "-bad", "name": "x"}, {"name": "x", "owner": "me"},
     {"name": "x", "at": "2026-03-02T08:00:00"}],
    ids=["no-name", "empty-name", "bad-id", "unknown-field", "naive-time"],
)  # fmt: skip
def test_bad_store_bodies_are_422(client, body):
    assert client.post("/stores", json=body).status_code == 422


def test_unknown_store_is_404_naming_it(client):
    answer = client.get("/stores/nowhere-1")
    assert answer.status_code == 404 and answer.json() == {"detail": "unknown store 'nowhere-1'"}
    for path in (
        "/stores/nowhere-1/products",
        "/stores/nowhere-1/orders",
        "/stores/nowhere-1/sales/daily",
        "/stores/nowhere-1/reconciliation",
    ):
        assert client.get(path).status_code == 404, path  # fmt: skip
    assert client.post("/stores/nowhere-1/carts", json={}).status_code == 404
    product = {"name": "Milk", "category": "dairy", "price": 1}
    assert client.put("/stores/nowhere-1/products/milk", json=product).status_code == 404


def test_a_product_is_created_then_updated(client):
    store = http_store(client, {})
    body = {"name": "Milk 1 l", "category": "dairy", "price": 1.49}
    created = client.put(f"/stores/{store}/products/milk", json=body)
    assert created.status_code == 201
    assert created.json() == {"sku": "milk", "name": "Milk 1 l", "category": "dairy", "price": 1.49}
    updated = client.put(f"/stores/{store}/products/milk", json={**body, "price": "1.5"})
    assert updated.status_code == 200 and updated.json()["price"] == 1.5


@pytest.mark.parametrize(
    "price, status", [(-0.01, 422), (1.005, 422), ("abc", 422), (10**10, 422), (0, 201), (0.5, 201)]
)
def test_prices_are_non_negative_with_two_decimals(client, price, status):
    store = http_store(client, {})
    body = {"name": "Thing", "category": "misc", "price": price}
    answer = client.put(f"/stores/{store}/products/thing", json=body)
    assert answer.status_code == status, answer.text
    if status == 422:
        assert client.get(f"/stores/{store}/products/thing").status_code == 404


def test_products_are_listed_by_sku_and_filtered_by_category(client):
    categories = {"milk": "dairy", "cheese": "dairy", "bread": "bakery"}
    store = http_store(client, {"milk": 1.49, "cheese": 4.5, "bread": 2.2}, categories)
    listed = client.get(f"/stores/{store}/products").json()
    assert [p["sku"] for p in listed["data"]] == ["bread", "cheese", "milk"]
    assert "available" not in listed["data"][0]
    dairy = client.get(f"/stores/{store}/products", params={"category": "dairy", "limit": 1})
    assert dairy.json()["total"] == 2 and [p["sku"] for p in dairy.json()["data"]] == ["cheese"]


def test_products_with_availability_from_the_inventory(client, inventory_http):
    store = http_store(client, {"milk": 1.49, "bread": 2.2, "kale": 3})
    stock(inventory_http, store, {"milk": 7, "bread": 0})
    listed = client.get(
        f"/stores/{store}/products", params={"availability": "true", "at": iso(T0)}
    ).json()
    assert {p["sku"]: p["available"] for p in listed["data"]} == {"bread": 0, "kale": 0, "milk": 7}


def test_availability_before_the_inventory_knows_the_store_is_zero(client):
    store = http_store(client, {"milk": 1.49})
    listed = client.get(f"/stores/{store}/products", params={"availability": True}).json()
    assert listed["data"][0]["available"] == 0
    assert client.get(f"/stores/{store}/products/milk").json()["available"] == 0


def test_a_product_reports_what_is_available_at_a_time(client, inventory_http):
    store = http_store(client, {"milk": 1.49})
    stock(inventory_http, store, {"milk": 12})
    answer = client.get(f"/stores/{store}/products/milk", params={"at": iso(T0)})
    assert answer.status_code == 200
    assert answer.json() == {
        "sku": "milk",
        "name": "Milk",
        "category": "general",
        "price": 1.49,
        "available": 12,
    }


def test_an_unknown_product_is_404_naming_it(client):
    store = http_store(client, {})
    answer = client.get(f"/stores/{store}/products/kale")
    assert answer.status_code == 404
    assert answer.json()["detail"] == f"unknown product 'kale' at store '{store}'"
