"""A sale (a cart opened and checked out in one use case) against the real inventory process,
on both databases: the checkout's promises hold for it, the repeat included."""

from __future__ import annotations

import pytest

from store_service.adapters.inventory_client import InventoryClient
from store_service.application import queries, services
from store_service.application.ports import InventoryUnavailable
from store_service.domain.model import (
    CartIdTaken,
    CartStatus,
    ProductNotSold,
    UnknownCart,
)
from store_service.tests.conftest import (
    at,
    ledger_issued,
    open_store,
    orders_of,
    stock,
    unit_of_work_factory,
)
from testkit.fixtures import run_concurrently, unique_id
from testkit.processes import free_port


def test_a_sale_opens_the_cart_claims_issues_and_records_it(
    uow, any_engine, inventory, inventory_http
):
    store = open_store(uow, {"milk": "1.49", "bread": "2.20"})
    stock(inventory_http, store, {"milk": 3, "bread": 5})
    cart = unique_id("cart")
    sold = services.sell(uow, inventory, store, cart, [("milk", 5), ("bread", 1)], at(10), "c-1")
    assert sold.created and sold.order.cart_id == cart and sold.order.placed_at == at(10)
    assert [(x.sku, x.requested, x.fulfilled) for x in sold.order.lines] == [
        ("bread", 1, 1),
        ("milk", 5, 3),
    ]
    with any_engine.connect() as connection:
        closed = queries.get_cart(connection, cart)
    assert closed.status is CartStatus.CHECKED_OUT and not closed.checkout_pending
    assert closed.customer_ref == "c-1" and closed.created_at == at(10)
    assert ledger_issued(inventory_http, store) == {"milk": 3, "bread": 1}


def test_a_repeated_sale_answers_the_same_order_and_issues_nothing(
    uow, any_engine, inventory, inventory_http
):
    store = open_store(uow, {"milk": "1.49"})
    stock(inventory_http, store, {"milk": 10})
    cart = unique_id("cart")
    first = services.sell(uow, inventory, store, cart, [("milk", 2)], at(1))
    again = services.sell(uow, inventory, store, cart, [("milk", 2)], at(2))
    assert (first.created, again.created) == (True, False)
    assert again.order == first.order
    assert orders_of(any_engine, store) == 1
    assert ledger_issued(inventory_http, store) == {"milk": 2}


def test_a_sale_under_another_stores_cart_id_is_refused(uow, inventory, inventory_http):
    store, other = open_store(uow, {"milk": "1.49"}), open_store(uow, {"milk": "1.49"})
    stock(inventory_http, store, {"milk": 10})
    cart = unique_id("cart")
    services.sell(uow, inventory, store, cart, [("milk", 1)], at(1))
    with pytest.raises(CartIdTaken, match="belongs to store"):
        services.sell(uow, inventory, other, cart, [("milk", 1)], at(2))
    assert ledger_issued(inventory_http, store) == {"milk": 1}


@pytest.mark.parametrize(
    "lines",
    [[("milk", 2)], [("milk", 1), ("bread", 1)], [("bread", 1)]],
    ids=["another quantity", "another line too", "other lines"],
)
def test_a_sale_under_its_cart_id_with_other_lines_is_refused(
    uow, any_engine, inventory, inventory_http, lines
):
    """A repeat of a sale is the same sale: under the same id, other lines are another sale,
    which must not be answered with the first one's order as if it had been sold."""
    store = open_store(uow, {"milk": "1.49", "bread": "2.20"})
    stock(inventory_http, store, {"milk": 10, "bread": 10})
    cart = unique_id("cart")
    first = services.sell(uow, inventory, store, cart, [("milk", 1)], at(1))
    with pytest.raises(CartIdTaken, match=r"holds other lines \(1 x milk\)"):
        services.sell(uow, inventory, store, cart, lines, at(2))
    assert services.sell(uow, inventory, store, cart, [("milk", 1)], at(3)).order == first.order
    assert orders_of(any_engine, store) == 1
    assert ledger_issued(inventory_http, store) == {"milk": 1}


def test_a_sale_of_a_product_not_sold_leaves_no_cart(uow, any_engine, inventory):
    store = open_store(uow, {"milk": "1.49"})
    cart = unique_id("cart")
    with pytest.raises(ProductNotSold, match="'kale'"):
        services.sell(uow, inventory, store, cart, [("milk", 1), ("kale", 1)], at(1))
    with any_engine.connect() as connection, pytest.raises(UnknownCart):
        queries.get_cart(connection, cart)
    assert orders_of(any_engine, store) == 0


def test_an_unreachable_inventory_sells_nothing_and_a_repeated_sale_completes_once(
    uow, any_engine, inventory, inventory_http
):
    store = open_store(uow, {"milk": "1.49"})
    stock(inventory_http, store, {"milk": 10})
    cart = unique_id("cart")
    down = InventoryClient(f"http://127.0.0.1:{free_port()}", retries=1, sleep=lambda _: None)
    with pytest.raises(InventoryUnavailable, match="nothing was sold.*stays open"):
        services.sell(uow, down, store, cart, [("milk", 2)], at(1))
    down.close()
    with any_engine.connect() as connection:
        left = queries.get_cart(connection, cart)
    assert left.status is CartStatus.OPEN and left.checkout_pending
    assert orders_of(any_engine, store) == 0
    retried = services.sell(uow, inventory, store, cart, [("milk", 2)], at(2))
    assert retried.created and retried.order.units_fulfilled == 2
    assert ledger_issued(inventory_http, store) == {"milk": 2}


def test_concurrent_repeats_of_one_sale_make_one_order(any_engine, inventory, inventory_http):
    uow = unit_of_work_factory(any_engine)
    store = open_store(uow(), {"milk": "1.49"})
    stock(inventory_http, store, {"milk": 10})
    cart = unique_id("cart")
    results = run_concurrently(
        8, lambda _: services.sell(uow(), inventory, store, cart, [("milk", 3)], at(1))
    )
    assert len({result.order.id for result in results}) == 1
    assert sum(result.created for result in results) == 1
    assert orders_of(any_engine, store) == 1
    assert ledger_issued(inventory_http, store) == {"milk": 3}
