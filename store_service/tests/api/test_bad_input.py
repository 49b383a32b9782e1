"""Inputs a real client or a fuzzer sends: each is a clean 4xx naming the problem, never a
500, and nothing changes."""

from __future__ import annotations

import pytest

from store_service.tests.conftest import at, http_cart, http_store, iso, stock
from testkit.errors import assert_client_error


@pytest.fixture
def store(client, inventory_http) -> str:
    store = http_store(client, {"milk": 1.49})
    stock(inventory_http, store, {"milk": 3})
    return store


def send(client, method, url, text):
    return client.request(method, url, content=text, headers={"content-type": "application/json"})


@pytest.mark.parametrize("token", ["NaN", "Infinity", "-Infinity"])
def test_a_non_finite_price_is_422_and_changes_nothing(client, store, token):
    body = '{"name": "Milk", "category": "dairy", "price": %s}' % token
    assert_client_error(send(client, "PUT", f"/stores/{store}/products/milk", body), 422, "price")
    assert client.get(f"/stores/{store}/products/milk").json()["price"] == 1.49


@pytest.mark.parametrize("token", ["NaN", "Infinity"])
def test_a_non_finite_cart_quantity_is_422(client, store, token):
    cart = http_cart(client, store, {"milk": 1})
    answer = send(client, "PUT", f"/carts/{cart}/items/milk", '{"quantity": %s}' % token)
    assert_client_error(answer, 422, "quantity")
    assert client.get(f"/carts/{cart}").json()["items"][0]["quantity"] == 1


@pytest.mark.parametrize(
    "path, field",
    [
        ("sales/daily?from=2026-03-01&to=9999-12-31", "to"),
        ("sales/daily?from=0001-01-01", "from"),
        ("orders?to=9999-12-31T23:59:00-01:00", "to"),
        ("products?at=0001-01-01T00:00:00%2B01:00", "at"),
        ("products/milk?at=0.5", "at"),
    ],
)
def test_times_outside_the_supported_span_are_422(client, store, path, field):
    assert_client_error(client.get(f"/stores/{store}/{path}"), 422, field)


def test_a_checkout_dated_outside_the_span_is_422_and_sells_nothing(client, store):
    cart = http_cart(client, store, {"milk": 1})
    answer = client.post(f"/carts/{cart}/checkout", json={"at": "9999-12-31T23:59:00-01:00"})
    assert_client_error(answer, 422, "at")
    assert client.get(f"/carts/{cart}").json()["status"] == "open"
    assert client.post(f"/carts/{cart}/checkout", json={"at": iso(at(5))}).status_code == 201


@pytest.mark.parametrize(
    "path, period",
    [
        ("sales/daily", {"from": "2026-03-05", "to": "2026-03-01"}),
        ("orders", {"from": iso(at(60)), "to": iso(at(0))}),
    ],
)
def test_from_after_to_is_422(client, store, path, period):
    assert_client_error(client.get(f"/stores/{store}/{path}", params=period), 422, "from")


def test_one_day_periods_are_fine(client, store):
    answer = client.get(
        f"/stores/{store}/sales/daily", params={"from": "2026-03-02", "to": "2026-03-02"}
    )
    assert answer.status_code == 200 and answer.json() == []


def test_a_body_over_the_limit_is_413_and_not_echoed(client):
    huge = '{"name": "%s"}' % ("x" * 10_000_000)
    assert_client_error(send(client, "POST", "/stores", huge), 413)


def test_a_large_invalid_value_is_echoed_as_a_short_excerpt(client):
    name = "y" * 900_000
    answer = client.post("/stores", json={"name": name})
    problem = assert_client_error(answer, 422, "name")["detail"][0]
    assert name.startswith(problem["input"].rstrip("."))


def test_a_body_that_is_not_utf8_text_is_400(client):
    assert_client_error(send(client, "POST", "/stores", b"\x80\x81"), 400)


@pytest.mark.parametrize("text", ["Main\\u0000Street", "lone \\udfff surrogate"])
def test_text_a_database_cannot_store_is_422(client, store, text):
    assert_client_error(send(client, "POST", "/stores", '{"name": "%s"}' % text), 422, "name")
    answer = send(client, "POST", f"/stores/{store}/carts", '{"customer_ref": "%s"}' % text)
    assert_client_error(answer, 422, "customer_ref")
    answer = client.get(f"/stores/{store}/products", params={"category": "da\x00iry"})
    assert_client_error(answer, 422, "category")
