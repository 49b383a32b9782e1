"""Health, readiness, metrics, OpenAPI documentation, and behaviour with a dependency down."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient
from pydantic import BaseModel

from store_service.api import schemas
from store_service.api.app import create_app
from store_service.config import Settings
from store_service.tests.conftest import at, http_cart, http_store, iso, stock
from testkit.openapi import assert_documented
from testkit.processes import free_port


def metric(client, name: str) -> float:
    for line in client.get("/metrics").text.splitlines():
        if line.startswith(name + " "):
            return float(line.split()[1])
    raise AssertionError(f"metric {name} not exported")


@pytest.fixture
def inventory_down(store_database_url):
    """The store app with its inventory URL pointing at a port nobody listens on."""
    settings = Settings(
        STORE_DATABASE_URL=store_database_url,
        INVENTORY_URL=f"http://127.0.0.1:{free_port()}",
        INVENTORY_RETRIES=1,
    )
    with TestClient(create_app(settings)) as client:
        yield client


def test_health_and_readiness(client):
    assert client.get("/healthz").json() == {"status": "ok"}
    ready = client.get("/readyz")
    assert ready.status_code == 200
    assert ready.json() == {"status": "ready", "checks": {"database": "ok", "inventory": "ok"}}


def test_readiness_reports_the_inventory_without_failing_on_it(inventory_down):
    ready = inventory_down.get("/readyz")
    assert ready.status_code == 200
    assert ready.json()["checks"]["database"] == "ok"
    assert ready.json()["checks"]["inventory"].startswith("unavailable: ")


def test_reads_that_need_the_inventory_are_503_when_it_is_down(inventory_down):
    store = http_store(inventory_down, {"milk": 1.49})
    product = inventory_down.get(f"/stores/{store}/products/milk")
    assert (
        product.status_code == 503 and "inventory service unavailable" in product.json()["detail"]
    )
    assert product.headers["Retry-After"] == "1"
    listed = inventory_down.get(f"/stores/{store}/products", params={"availability": True})
    assert listed.status_code == 503
    assert inventory_down.get(f"/stores/{store}/products").status_code == 200  # no inventory
    assert inventory_down.get(f"/stores/{store}/reconciliation").status_code == 503


def test_checkout_with_the_inventory_down_is_503_and_sells_nothing(inventory_down):
    store = http_store(inventory_down, {"milk": 1.49})
    cart = http_cart(inventory_down, store, {"milk": 1})
    answer = inventory_down.post(f"/carts/{cart}/checkout", json={"at": iso(at(1))})
    assert answer.status_code == 503
    assert "nothing was sold" in answer.json()["detail"] and cart in answer.json()["detail"]
    left = inventory_down.get(f"/carts/{cart}").json()
    assert left["status"] == "open" and left["checkout_pending"] is True
    assert inventory_down.get(f"/stores/{store}/orders").json()["total"] == 0
    frozen = inventory_down.put(f"/carts/{cart}/items/milk", json={"quantity": 2})
    assert frozen.status_code == 409 and "retry POST" in frozen.json()["detail"]


def test_metrics_count_checkouts_units_and_revenue(client, inventory_http):
    names = [f"store_{name}_total" for name in ("checkouts", "units_sold", "units_lost", "revenue")]
    before = {name: metric(client, name) for name in names}
    store = http_store(client, {"milk": 1.5})
    stock(inventory_http, store, {"milk": 2})
    cart = http_cart(client, store, {"milk": 3})
    client.post(f"/carts/{cart}/checkout", json={"at": iso(at(1))})
    client.post(f"/carts/{cart}/checkout", json={"at": iso(at(1))})  # a repeat counts nothing
    after = {name: metric(client, name) for name in names}
    assert [after[name] - before[name] for name in names] == [1, 2, 1, 3.0]
    text = client.get("/metrics").text
    assert 'http_requests_total{method="POST",route="/carts/{cart}/checkout",status="201"}' in text


def test_openapi_documents_every_endpoint_with_examples(client):
    spec = client.get("/openapi.json").json()
    expected = {
        ("get", "/healthz"), ("get", "/readyz"), ("get", "/metrics"), ("post", "/stores"),
        ("get", "/stores"), ("get", "/stores/{store}"), ("put", "/stores/{store}/products/{sku}"),
        ("get", "/stores/{store}/products"), ("get", "/stores/{store}/products/{sku}"),
        ("post", "/stores/{store}/carts"), ("get", "/carts/{cart}"),
        ("put", "/carts/{cart}/items/{sku}"), ("post", "/carts/{cart}/checkout"),
        ("get", "/orders/{order}"), ("get", "/stores/{store}/orders"),
        ("get", "/stores/{store}/sales/daily"), ("get", "/stores/{store}/reconciliation"),
    }  # fmt: skip
    assert_documented(spec, expected)
    models = [
        value
        for value in vars(schemas).values()
        if isinstance(value, type)
        and issubclass(value, BaseModel)
        and value.__module__ == schemas.__name__
    ]
    for model in models:
        if model is not schemas.RequestBody:
            assert model.model_json_schema().get("examples"), model.__name__
    assert spec["components"]["schemas"]["OrderOut"]["properties"]["total"]["type"] == "number"


def test_an_unreachable_database_is_a_503_not_a_500(inventory_server):
    settings = Settings(
        STORE_DATABASE_URL="postgresql+psycopg://nobody@127.0.0.1:1/none",
        INVENTORY_URL=inventory_server.url,
    )
    with TestClient(create_app(settings)) as client:
        assert client.get("/healthz").status_code == 200
        ready = client.get("/readyz")
        assert ready.status_code == 503 and ready.json()["checks"]["inventory"] == "ok"
        answer = client.post("/stores", json={"name": "x"})
        assert answer.status_code == 503 and "database unavailable" in answer.json()["detail"]
        assert client.post("/carts/c-1/checkout", json={}).status_code == 503
        assert client.get("/stores").status_code == 503
