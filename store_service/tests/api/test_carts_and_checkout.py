"""Carts, checkout, orders and sales over HTTP, with the real inventory behind the store."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from store_service.adapters.repository import CARTS

from store_service.tests.conftest import at, http_cart, http_store, iso, ledger_issued, stock
from testkit.fixtures import unique_id


@pytest.fixture
def store(client, inventory_http) -> str:
    store = http_store(client, {"milk": 1.49, "bread": 2.2, "egg": 0.25})
    stock(inventory_http, store, {"milk": 3, "bread": 10, "egg": 0})
    return store


def test_a_cart_is_opened_filled_and_read(client, store):
    opened = client.post(f"/stores/{store}/carts", json={"customer_ref": "c-42"})
    assert opened.status_code == 201
    cart = opened.json()
    assert cart["status"] == "open" and cart["store_id"] == store and cart["items"] == []
    assert cart["customer_ref"] == "c-42" and cart["checkout_pending"] is False
    put = client.put(f"/carts/{cart['id']}/items/milk", json={"quantity": 2})
    assert put.status_code == 200
    assert put.json()["items"] == [{"sku": "milk", "quantity": 2, "unit_price": 1.49}]
    assert client.get(f"/carts/{cart['id']}").json() == put.json()


def test_a_cart_is_opened_with_its_lines_at_the_catalog_prices(client, store):
    body = {
        "customer_ref": "c-7",
        "items": [{"sku": "milk", "quantity": 2}, {"sku": "egg", "quantity": 6}],
    }
    opened = client.post(f"/stores/{store}/carts", json=body)
    assert opened.status_code == 201, opened.text
    cart = opened.json()
    assert cart["status"] == "open" and cart["customer_ref"] == "c-7"
    assert cart["items"] == [
        {"sku": "egg", "quantity": 6, "unit_price": 0.25},
        {"sku": "milk", "quantity": 2, "unit_price": 1.49},
    ]
    assert client.get(f"/carts/{cart['id']}").json() == cart
    answer = client.post(f"/carts/{cart['id']}/checkout", json={"at": iso(at(5))})
    assert answer.status_code == 201
    assert [(x["sku"], x["requested"], x["fulfilled"]) for x in answer.json()["lines"]] == [
        ("egg", 6, 0),
        ("milk", 2, 2),
    ]


@pytest.mark.parametrize(
    "items, status, detail",
    [
        ([{"sku": "caviar", "quantity": 1}], 422, "'caviar'"),
        ([{"sku": "milk", "quantity": 0}], 422, "greater than or equal to 1"),
        ([{"sku": "milk", "quantity": 1}, {"sku": "milk", "quantity": 2}], 422, "repeated: milk"),
        ([{"sku": "milk"}], 422, "Field required"),
    ],
)
def test_bad_lines_refuse_the_whole_cart(client, engine, store, items, status, detail):
    answer = client.post(f"/stores/{store}/carts", json={"customer_ref": "c-8", "items": items})
    assert answer.status_code == status and detail in str(answer.json()["detail"])
    with engine.connect() as connection:
        carts = connection.execute(select(func.count()).where(CARTS.c.store_id == store))
        assert carts.scalar_one() == 0


def test_a_cart_in_an_unknown_store_is_404(client):
    body = {"items": [{"sku": "milk", "quantity": 1}]}
    answer = client.post("/stores/store-nope/carts", json=body)
    assert answer.status_code == 404 and answer.json()["detail"] == "unknown store 'store-nope'"


def test_a_cart_can_be_opened_without_a_body(client, store):
    assert client.post(f"/stores/{store}/carts").status_code == 201


def test_zero_removes_an_item(client, store):
    cart = http_cart(client, store, {"milk": 1, "bread": 2})
    answer = client.put(f"/carts/{cart}/items/milk", json={"quantity": 0})
    assert [item["sku"] for item in answer.json()["items"]] == ["bread"]


def test_bad_cart_changes_are_refused_and_change_nothing(client, store):
    cart = http_cart(client, store, {"milk": 1})
    not_sold = client.put(f"/carts/{cart}/items/caviar", json={"quantity": 1})
    assert not_sold.status_code == 422 and "'caviar'" in not_sold.json()["detail"]
    for body in ({"quantity": -1}, {"quantity": 1.5}, {}, {"quantity": 1, "price": 0}):
        assert client.put(f"/carts/{cart}/items/milk", json=body).status_code == 422, body
    assert client.get(f"/carts/{cart}").json()["items"] == [
        {"sku": "milk", "quantity": 1, "unit_price": 1.49}
    ]
    unknown = client.put("/carts/cart-nope/items/milk", json={"quantity": 1})
    assert unknown.status_code == 404 and unknown.json()["detail"] == "unknown cart 'cart-nope'"
    assert client.get("/carts/cart-nope").status_code == 404


def test_checkout_fulfils_what_is_on_hand_and_records_the_rest_as_lost(
    client, store, inventory_http
):
    cart = http_cart(client, store, {"milk": 5, "bread": 1, "egg": 2})
    answer = client.post(f"/carts/{cart}/checkout", json={"at": iso(at(30))})
    assert answer.status_code == 201
    order = answer.json()
    assert order["status"] == "placed" and order["cart_id"] == cart and order["store_id"] == store
    assert order["placed_at"] == "2026-03-02T08:30:00Z"
    assert order["lines"] == [
        {"sku": "bread", "requested": 1, "fulfilled": 1, "lost": 0, "unit_price": 2.2},
        {"sku": "egg", "requested": 2, "fulfilled": 0, "lost": 2, "unit_price": 0.25},
        {"sku": "milk", "requested": 5, "fulfilled": 3, "lost": 2, "unit_price": 1.49},
    ]
    assert order["total"] == 6.67  # 2.20 + 3 * 1.49
    assert (order["units_requested"], order["units_fulfilled"], order["units_lost"]) == (8, 4, 4)
    assert client.get(f"/orders/{order['id']}").json() == order
    closed = client.get(f"/carts/{cart}").json()
    assert closed["status"] == "checked_out" and closed["checked_out_at"] == "2026-03-02T08:30:00Z"
    assert ledger_issued(inventory_http, store) == {"milk": 3, "bread": 1}


def test_a_repeated_checkout_answers_200_with_the_same_order(client, store, inventory_http):
    cart = http_cart(client, store, {"milk": 2})
    first = client.post(f"/carts/{cart}/checkout", json={"at": iso(at(1))})
    again = client.post(f"/carts/{cart}/checkout", json={"at": iso(at(2))})
    assert (first.status_code, again.status_code) == (201, 200)
    assert again.json() == first.json()
    assert ledger_issued(inventory_http, store) == {"milk": 2}


def test_checkout_without_at_uses_the_server_clock(client, store):
    cart = http_cart(client, store, {"bread": 1})
    answer = client.post(f"/carts/{cart}/checkout")
    assert answer.status_code == 201 and answer.json()["placed_at"] > "2026-03-03"


def test_a_closed_cart_no_longer_changes(client, store):
    cart = http_cart(client, store, {"bread": 1})
    client.post(f"/carts/{cart}/checkout", json={"at": iso(at(1))})
    answer = client.put(f"/carts/{cart}/items/bread", json={"quantity": 3})
    assert answer.status_code == 409 and "checked_out" in answer.json()["detail"]


def test_an_empty_cart_is_not_checked_out(client, store):
    cart = http_cart(client, store, {})
    answer = client.post(f"/carts/{cart}/checkout", json={"at": iso(at(1))})
    assert answer.status_code == 409 and "empty" in answer.json()["detail"]
    assert client.get(f"/carts/{cart}").json()["status"] == "open"


def test_unknown_carts_and_orders_are_404(client):
    assert client.post("/carts/cart-nope/checkout", json={}).status_code == 404
    answer = client.get("/orders/order-nope")
    assert answer.status_code == 404 and answer.json()["detail"] == "unknown order 'order-nope'"


def test_checkout_bodies_are_validated(client, store):
    cart = http_cart(client, store, {"bread": 1})
    for body in ({"at": "yesterday"}, {"at": "2026-03-02T08:00:00"}, {"when": "now"}):
        assert client.post(f"/carts/{cart}/checkout", json=body).status_code == 422, body
    assert client.get(f"/carts/{cart}").json()["status"] == "open"


def test_the_inventory_refusing_an_issue_is_a_409_with_its_detail(client, store, inventory_http):
    late = http_cart(client, store, {"bread": 1})
    assert client.post(f"/carts/{late}/checkout", json={"at": iso(at(60))}).status_code == 201
    early = http_cart(client, store, {"bread": 1})
    answer = client.post(f"/carts/{early}/checkout", json={"at": iso(at(10))})
    assert answer.status_code == 409
    assert "earlier than the last event" in answer.json()["detail"]
    assert client.get(f"/carts/{early}").json()["status"] == "open"
    assert ledger_issued(inventory_http, store) == {"bread": 1}


def test_orders_are_listed_with_a_time_window(client, store):
    placed = []
    for minute in (10, 20, 30):
        cart = http_cart(client, store, {"bread": 1})
        placed.append(client.post(f"/carts/{cart}/checkout", json={"at": iso(at(minute))}).json())
    listed = client.get(f"/stores/{store}/orders").json()
    assert listed["total"] == 3 and listed["data"] == placed
    window = client.get(
        f"/stores/{store}/orders", params={"from": iso(at(20)), "to": iso(at(30)), "limit": 5}
    ).json()
    assert [o["id"] for o in window["data"]] == [placed[1]["id"]]
    assert client.get(f"/stores/{store}/orders", params={"from": "2026-03-02"}).status_code == 422


def test_daily_sales_equal_the_sum_of_the_orders(client, store):
    for minute, items in ((10, {"milk": 2, "bread": 1}), (20, {"milk": 2}), (24 * 60, {"egg": 1})):
        cart = http_cart(client, store, items)
        assert (
            client.post(f"/carts/{cart}/checkout", json={"at": iso(at(minute))}).status_code == 201
        )
    orders = client.get(f"/stores/{store}/orders").json()["data"]
    daily = client.get(f"/stores/{store}/sales/daily").json()
    assert daily == [
        {"day": "2026-03-02", "orders": 2, "units_sold": 4, "units_lost": 1, "revenue": 6.67},
        {"day": "2026-03-03", "orders": 1, "units_sold": 0, "units_lost": 1, "revenue": 0.0},
    ]
    assert sum(d["units_sold"] for d in daily) == sum(o["units_fulfilled"] for o in orders)
    assert sum(d["units_lost"] for d in daily) == sum(o["units_lost"] for o in orders)
    assert round(sum(d["revenue"] for d in daily), 2) == round(sum(o["total"] for o in orders), 2)
    one_day = client.get(
        f"/stores/{store}/sales/daily", params={"from": "2026-03-03", "to": "2026-03-03"}
    )
    assert [d["day"] for d in one_day.json()] == ["2026-03-03"]
    assert client.get(f"/stores/{store}/sales/daily", params={"from": "03/02"}).status_code == 422


def test_reconciliation_is_balanced_after_sales(client, store):
    for minute in (1, 2):
        cart = http_cart(client, store, {"milk": 2, "bread": 1})
        client.post(f"/carts/{cart}/checkout", json={"at": iso(at(minute))})
    answer = client.get(f"/stores/{store}/reconciliation")
    assert answer.status_code == 200
    assert answer.json() == {
        "store": store,
        "balanced": True,
        "skus": [
            {"sku": "bread", "fulfilled": 2, "issued": 2},
            {"sku": "milk", "fulfilled": 3, "issued": 3},
        ],
        "carts_pending_checkout": 0,
    }


# -- a sale: a cart opened and checked out in one request -----------------------------------


def sale(cart: str, items: dict[str, int], minutes: float) -> dict:
    lines = [{"sku": sku, "quantity": quantity} for sku, quantity in items.items()]
    return {"cart_id": cart, "customer_ref": "c-9", "items": lines, "at": iso(at(minutes))}


def test_a_sale_is_the_order_of_a_cart_opened_and_checked_out(client, store, inventory_http):
    cart = unique_id("cart")
    answer = client.post(f"/stores/{store}/orders", json=sale(cart, {"milk": 5, "bread": 1}, 30))
    assert answer.status_code == 201, answer.text
    order = answer.json()
    assert order["cart_id"] == cart and order["placed_at"] == "2026-03-02T08:30:00Z"
    assert [
        (x["sku"], x["requested"], x["fulfilled"], x["unit_price"]) for x in order["lines"]
    ] == [
        ("bread", 1, 1, 2.2),
        ("milk", 5, 3, 1.49),
    ]
    assert client.get(f"/orders/{order['id']}").json() == order
    closed = client.get(f"/carts/{cart}").json()
    assert closed["status"] == "checked_out" and closed["customer_ref"] == "c-9"
    repeat = client.post(f"/stores/{store}/orders", json=sale(cart, {"milk": 5, "bread": 1}, 31))
    assert repeat.status_code == 200 and repeat.json() == order
    assert ledger_issued(inventory_http, store) == {"milk": 3, "bread": 1}


def test_a_sale_under_another_stores_cart_is_a_409(client, store):
    other = http_store(client, {"milk": 1.49})
    cart = unique_id("cart")
    assert (
        client.post(f"/stores/{store}/orders", json=sale(cart, {"bread": 1}, 1)).status_code == 201
    )
    answer = client.post(f"/stores/{other}/orders", json=sale(cart, {"milk": 1}, 2))
    assert answer.status_code == 409 and "belongs to store" in answer.json()["detail"]


def test_a_sale_repeated_with_other_lines_is_a_409_and_sells_nothing_more(
    client, store, inventory_http
):
    cart = unique_id("cart")
    first = client.post(f"/stores/{store}/orders", json=sale(cart, {"bread": 1}, 1))
    assert first.status_code == 201
    answer = client.post(f"/stores/{store}/orders", json=sale(cart, {"bread": 2}, 2))
    assert answer.status_code == 409
    assert answer.json()["detail"] == (
        f"cart {cart!r} holds other lines (1 x bread); choose a new cart id for a new sale"
    )
    assert ledger_issued(inventory_http, store) == {"bread": 1}


@pytest.mark.parametrize(
    "change, detail",
    [
        ({"items": [{"sku": "caviar", "quantity": 1}]}, "'caviar'"),
        ({"items": []}, "at least 1 item"),
        ({"items": [{"sku": "milk", "quantity": 1}, {"sku": "milk", "quantity": 1}]}, "repeated"),
        ({"cart_id": None}, "valid string"),
        ({"cart_id": "cart with spaces"}, "pattern"),
        ({"at": "2026-03-02T08:00:00"}, "timezone"),
    ],
)
def test_bad_sales_are_422_and_sell_nothing(client, engine, store, inventory_http, change, detail):
    cart = unique_id("cart")
    answer = client.post(f"/stores/{store}/orders", json={**sale(cart, {"milk": 1}, 1), **change})
    assert answer.status_code == 422 and detail in str(answer.json()["detail"]), answer.text
    with engine.connect() as connection:
        carts = connection.execute(select(func.count()).where(CARTS.c.store_id == store))
        assert carts.scalar_one() == 0
    assert ledger_issued(inventory_http, store) == {}


def test_a_sale_at_an_unknown_store_is_404(client):
    answer = client.post("/stores/store-nope/orders", json=sale(unique_id("cart"), {"milk": 1}, 1))
    assert answer.status_code == 404 and answer.json()["detail"] == "unknown store 'store-nope'"
