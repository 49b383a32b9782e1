"""Checkout against the real inventory process, through the use case, on both databases."""

from __future__ import annotations

from decimal import Decimal

import pytest

from store_service.adapters.inventory_client import InventoryClient
from store_service.application import queries, services
from store_service.application.ports import InventoryRejected, InventoryUnavailable
from store_service.domain.model import (
    CartNotOpen,
    CartStatus,
    CheckoutPending,
    EmptyCart,
    ProductNotSold,
)
from store_service.tests.conftest import (
    at,
    fill_cart,
    iso,
    issue_movements,
    ledger_issued,
    open_store,
    orders_of,
    stock,
    unit_of_work_factory,
)
from testkit.fixtures import run_concurrently
from testkit.processes import free_port


def test_partial_fulfilment_is_recorded_as_sold_and_lost(uow, inventory, inventory_http):
    store = open_store(uow, {"milk": "1.49", "bread": "2.20", "egg": "0.25"})
    stock(inventory_http, store, {"milk": 3, "bread": 0, "egg": 12})
    cart = fill_cart(uow, store, {"milk": 5, "bread": 1, "egg": 6})
    result = services.checkout(uow, inventory, cart, at(10))
    order = result.order
    assert result.created and order.placed_at == at(10)
    assert [(x.sku, x.requested, x.fulfilled, x.lost) for x in order.lines] == [
        ("bread", 1, 0, 1),
        ("egg", 6, 6, 0),
        ("milk", 5, 3, 2),
    ]
    assert order.total == Decimal("5.97")  # 3 * 1.49 + 6 * 0.25
    assert ledger_issued(inventory_http, store) == {"milk": 3, "egg": 6}


def test_a_repeated_checkout_returns_the_same_order_and_issues_nothing(
    uow, any_engine, inventory, inventory_http
):
    store = open_store(uow, {"milk": "1.49"})
    stock(inventory_http, store, {"milk": 10})
    cart = fill_cart(uow, store, {"milk": 4})
    first = services.checkout(uow, inventory, cart, at(1))
    again = services.checkout(uow, inventory, cart, at(2))
    assert first.created and not again.created
    assert again.order == first.order
    assert ledger_issued(inventory_http, store) == {"milk": 4}
    assert orders_of(any_engine, store) == 1
    with pytest.raises(CartNotOpen):
        services.set_cart_item(uow, cart, "milk", 1)


def test_an_empty_cart_is_refused(uow, inventory):
    store = open_store(uow, {"milk": "1.49"})
    cart = fill_cart(uow, store, {})
    with pytest.raises(EmptyCart):
        services.checkout(uow, inventory, cart, at(1))


def test_a_refusal_by_the_inventory_records_nothing_and_leaves_the_cart_open(
    uow, any_engine, inventory, inventory_http
):
    store = open_store(uow, {"milk": "1.49", "kale": "3.00"})
    stock(inventory_http, store, {"milk": 10})  # the inventory has no kale item
    cart = fill_cart(uow, store, {"milk": 1, "kale": 1})
    with pytest.raises(InventoryRejected, match="unknown SKU 'kale'") as refused:
        services.checkout(uow, inventory, cart, at(1))
    assert refused.value.status == 404
    assert orders_of(any_engine, store) == 0
    with any_engine.connect() as connection:
        left = queries.get_cart(connection, cart)
    assert left.status is CartStatus.OPEN and not left.checkout_pending
    services.set_cart_item(uow, cart, "kale", 0)  # the customer may still change it
    assert services.checkout(uow, inventory, cart, at(2)).order.units_fulfilled == 1


def test_an_unreachable_inventory_sells_nothing_and_a_retry_completes_once(
    uow, any_engine, inventory, inventory_http
):
    store = open_store(uow, {"milk": "1.49"})
    stock(inventory_http, store, {"milk": 10})
    cart = fill_cart(uow, store, {"milk": 2})
    down = InventoryClient(f"http://127.0.0.1:{free_port()}", retries=1, sleep=lambda _: None)
    with pytest.raises(InventoryUnavailable, match="nothing was sold.*stays open"):
        services.checkout(uow, down, cart, at(1))
    down.close()
    with any_engine.connect() as connection:
        left = queries.get_cart(connection, cart)
    assert left.status is CartStatus.OPEN and left.checkout_pending
    assert orders_of(any_engine, store) == 0
    with pytest.raises(CheckoutPending):
        services.set_cart_item(uow, cart, "milk", 5)
    retried = services.checkout(uow, inventory, cart, at(2))
    assert retried.created and retried.order.units_fulfilled == 2
    assert ledger_issued(inventory_http, store) == {"milk": 2}


def test_a_checkout_whose_first_call_reached_the_inventory_records_that_issue(
    uow, inventory, inventory_http
):
    """The answer to the first call was lost (a timeout): the inventory issued, the store
    recorded nothing. The retry gets the first result back and records it, once."""
    store = open_store(uow, {"milk": "1.49", "bread": "2.20"})
    stock(inventory_http, store, {"milk": 3, "bread": 5})
    cart = fill_cart(uow, store, {"milk": 5, "bread": 1})
    lost_answer = inventory_http.post(
        f"/locations/{store}/issues",
        json={
            "reference": cart,
            "at": iso(at(1)),
            "lines": [{"sku": "bread", "quantity": 1}, {"sku": "milk", "quantity": 5}],
        },
    )
    assert lost_answer.status_code == 201
    order = services.checkout(uow, inventory, cart, at(5)).order
    assert [(x.sku, x.fulfilled) for x in order.lines] == [("bread", 1), ("milk", 3)]
    assert order.placed_at == at(1)  # when the stock moved
    assert len(issue_movements(inventory_http, store, cart)) == 2
    assert ledger_issued(inventory_http, store) == {"milk": 3, "bread": 1}


def test_concurrent_checkouts_of_one_cart_make_one_order(any_engine, inventory, inventory_http):
    uow = unit_of_work_factory(any_engine)
    store = open_store(uow(), {"milk": "1.49"})
    stock(inventory_http, store, {"milk": 10})
    cart = fill_cart(uow(), store, {"milk": 3})
    results = run_concurrently(8, lambda _: services.checkout(uow(), inventory, cart, at(1)))
    assert len({result.order.id for result in results}) == 1
    assert sum(result.created for result in results) == 1
    assert ledger_issued(inventory_http, store) == {"milk": 3}


def test_the_last_units_go_to_exactly_as_many_concurrent_checkouts(
    any_engine, inventory, inventory_http
):
    uow = unit_of_work_factory(any_engine)
    store = open_store(uow(), {"milk": "1.49"})
    stock(inventory_http, store, {"milk": 3})
    carts = [fill_cart(uow(), store, {"milk": 1}) for _ in range(20)]
    results = run_concurrently(20, lambda i: services.checkout(uow(), inventory, carts[i], at(1)))
    assert sum(result.order.units_fulfilled for result in results) == 3
    assert sum(result.order.units_lost for result in results) == 17
    assert queries.reconcile(any_engine.connect, inventory, store).balanced


class Watched:
    """The real inventory client, noting what the store holds each time it is called: its
    database connections in use, and the cart as another reader sees it."""

    def __init__(self, inventory, engine, cart: str) -> None:
        self.inventory, self.engine, self.cart = inventory, engine, cart
        self.seen: list[tuple[int, bool]] = []

    def issue(self, *args, **kwargs):
        in_use = self.engine.pool.checkedout()
        with self.engine.connect() as connection:
            pending = queries.get_cart(connection, self.cart).checkout_pending
        self.seen.append((in_use, pending))
        return self.inventory.issue(*args, **kwargs)


def test_the_inventory_is_called_with_no_connection_held_and_the_cart_claimed(
    any_engine, inventory, inventory_http
):
    uow = unit_of_work_factory(any_engine)
    store = open_store(uow(), {"milk": "1.49"})
    stock(inventory_http, store, {"milk": 10})
    cart = fill_cart(uow(), store, {"milk": 2})
    watched = Watched(inventory, any_engine, cart)
    result = services.checkout(uow(), watched, cart, at(1))
    assert watched.seen == [(0, True)]  # no transaction across the call; items frozen
    assert result.created and result.order.units_fulfilled == 2
    with any_engine.connect() as connection:
        closed = queries.get_cart(connection, cart)
    assert closed.status is CartStatus.CHECKED_OUT and not closed.checkout_pending


def test_a_cart_is_opened_with_its_lines_in_one_unit_of_work(uow, any_engine):
    store = open_store(uow, {"milk": "1.49", "bread": "2.20"})
    cart = services.open_cart(uow, store, at(0), "c-1", [("milk", 2), ("bread", 1)])
    with any_engine.connect() as connection:
        loaded = queries.get_cart(connection, cart.id)
    assert [(i.sku, i.quantity, i.unit_price) for i in loaded.lines] == [
        ("bread", 1, Decimal("2.20")),
        ("milk", 2, Decimal("1.49")),
    ]
    with pytest.raises(ProductNotSold):
        services.open_cart(uow, store, at(0), "c-2", [("milk", 1), ("caviar", 1)])
