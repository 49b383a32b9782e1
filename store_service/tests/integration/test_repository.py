"""The repository and unit of work on a real database (each test on PostgreSQL and SQLite)."""

from __future__ import annotations

from decimal import Decimal

import pytest
from sqlalchemy import exc
from sqlalchemy import select

from store_service.adapters.repository import CART_ITEMS, ORDER_LINES, ORDERS
from store_service.application import queries, services
from store_service.domain.model import (
    Order,
    OrderLine,
    Product,
    ProductNotSold,
    StoreExists,
    UnknownCart,
    UnknownProduct,
    UnknownStore,
)
from store_service.tests.conftest import T0, at, fill_cart, open_store, stock
from testkit.fixtures import unique_id


def test_a_store_id_is_taken_once(uow):
    store = unique_id("store")
    services.create_store(uow, "First", T0, store)
    with pytest.raises(StoreExists, match=store):
        services.create_store(uow, "Second", T0, store)
    with uow:
        assert uow.stores.store(store).name == "First"


def test_generated_store_ids_match_the_id_pattern(uow):
    store = services.create_store(uow, "Anonymous", T0)
    assert store.id.startswith("store-") and len(store.id) <= 64


def test_putting_a_product_creates_then_updates_it(uow):
    store = open_store(uow, {})
    first = services.put_product(uow, store, Product("milk", "Milk", "dairy", Decimal("1.49")), T0)
    second = services.put_product(uow, store, Product("milk", "Milk", "dairy", Decimal("1.59")), T0)
    assert first.created and not second.created
    with uow:
        assert uow.stores.product(store, "milk").price == Decimal("1.59")


def test_products_of_an_unknown_store_are_refused(uow):
    with pytest.raises(UnknownStore):
        services.put_product(uow, "no-such-store", Product("a", "A", "c", Decimal("1")), T0)
    with pytest.raises(UnknownStore):
        services.open_cart(uow, "no-such-store", T0)


def test_cart_items_are_added_changed_and_removed(uow, any_engine):
    store = open_store(uow, {"milk": "1.49", "bread": "2.20", "egg": "0.25"})
    cart = fill_cart(uow, store, {"milk": 2, "bread": 1, "egg": 6})
    services.set_cart_item(uow, cart, "milk", 3)
    services.set_cart_item(uow, cart, "bread", 0)
    with any_engine.connect() as connection:
        loaded = queries.get_cart(connection, cart)
        rows = connection.execute(select(CART_ITEMS).where(CART_ITEMS.c.cart_id == cart)).all()
    assert [(i.sku, i.quantity, i.unit_price) for i in loaded.lines] == [
        ("egg", 6, Decimal("0.25")),
        ("milk", 3, Decimal("1.49")),
    ]
    assert len(rows) == 2


def test_a_refused_change_changes_nothing(uow, any_engine):
    store = open_store(uow, {"milk": "1.49"})
    cart = fill_cart(uow, store, {"milk": 2})
    with pytest.raises(ProductNotSold):
        services.set_cart_item(uow, cart, "caviar", 1)
    with pytest.raises(UnknownCart):
        services.set_cart_item(uow, "no-such-cart", "milk", 1)
    with any_engine.connect() as connection:
        assert [(i.sku, i.quantity) for i in queries.get_cart(connection, cart).lines] == [
            ("milk", 2)
        ]


def test_without_commit_a_unit_of_work_writes_nothing(uow, any_engine):
    store = open_store(uow, {"milk": "1.49"})
    cart = fill_cart(uow, store, {"milk": 2})
    with uow:
        locked = uow.stores.lock_cart(cart)
        locked.set_quantity("milk", 0, None)
        uow.stores.save_item(locked, "milk")  # written to the transaction, rolled back on exit
    with any_engine.connect() as connection:
        assert queries.get_cart(connection, cart).lines[0].quantity == 2


def test_the_database_keeps_one_order_per_cart(uow):
    store = open_store(uow, {"milk": "1.49"})
    cart = fill_cart(uow, store, {"milk": 1})
    line = (OrderLine("milk", 1, 1, Decimal("1.49")),)
    with uow:
        uow.stores.add_order(Order(unique_id("order"), store, cart, at(1), line))
        uow.commit()
    with uow:
        uow.stores.add_order(Order(unique_id("order"), store, cart, at(2), line))
        with pytest.raises(exc.IntegrityError):  # from the commit, which sends the insert
            uow.commit()
    with uow:
        assert uow.stores.order_of_cart(cart).placed_at == at(1)


def test_lookups_name_what_is_missing(any_engine, uow):
    store = open_store(uow, {})
    with any_engine.connect() as connection:
        with pytest.raises(UnknownProduct, match=f"'kale' at store '{store}'"):
            queries.get_product(connection, store, "kale")
        with pytest.raises(UnknownStore, match="'nowhere'"):
            queries.get_product(connection, "nowhere", "kale")
        with pytest.raises(UnknownStore):
            queries.list_orders(connection, "nowhere", 10, 0)


def test_order_lines_are_stored_with_their_prices(uow, any_engine, inventory, inventory_http):
    store = open_store(uow, {"milk": "1.49", "bread": "2.20"})
    stock(inventory_http, store, {"milk": 5, "bread": 5})
    cart = fill_cart(uow, store, {"milk": 2, "bread": 1})
    order = services.checkout(uow, inventory, cart, at(1)).order
    with any_engine.connect() as connection:
        row = connection.execute(select(ORDERS).where(ORDERS.c.id == order.id)).one()
        lines = connection.execute(select(ORDER_LINES).where(ORDER_LINES.c.order_id == order.id))
    assert row.cart_id == cart and row.placed_at == at(1)
    assert sorted((x.sku, x.requested, x.fulfilled, x.unit_price) for x in lines) == [
        ("bread", 1, 1, Decimal("2.20")),
        ("milk", 2, 2, Decimal("1.49")),
    ]
