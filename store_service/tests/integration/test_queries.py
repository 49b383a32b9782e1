"""The read side on both databases: daily sales in SQL, order listings, reconciliation."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import pytest

from store_service.application import queries, services
from store_service.tests.conftest import T0, at, fill_cart, iso, open_store, stock

DAY = 24 * 60


@pytest.fixture
def trading(uow, inventory, inventory_http):
    """A store with orders over three UTC days, some partially fulfilled; returns its id and
    the orders."""
    store = open_store(uow, {"milk": "1.49", "bread": "2.20", "egg": "0.10"})
    stock(inventory_http, store, {"milk": 6, "bread": 10, "egg": 100})
    baskets = [
        (at(60), {"milk": 2, "egg": 3}),  # day 1, 09:00
        (at(15 * 60 + 59), {"bread": 1}),  # day 1, 23:59 (the last minute of the UTC day)
        (at(16 * 60), {"milk": 3, "egg": 3}),  # day 2, 00:00
        (at(DAY + 120), {"milk": 4, "bread": 2}),  # day 2: milk runs out (1 of 4)
        (at(3 * DAY), {"egg": 7}),  # day 4 (day 3 has no orders)
    ]
    orders = []
    for when, items in baskets:
        cart = fill_cart(uow, store, items)
        orders.append(services.checkout(uow, inventory, cart, when).order)
    return store, orders


def expected_days(orders) -> dict[date, tuple]:
    days: dict[date, tuple] = {}
    for order in orders:
        day = order.placed_at.date()
        count, sold, lost, revenue = days.get(day, (0, 0, 0, Decimal("0")))
        days[day] = (
            count + 1,
            sold + order.units_fulfilled,
            lost + order.units_lost,
            revenue + order.total,
        )
    return days


def test_daily_sales_equal_the_sum_of_the_orders(any_engine, trading):
    store, orders = trading
    with any_engine.connect() as connection:
        sales = queries.daily_sales(connection, store)
    got = {s.day: (s.orders, s.units_sold, s.units_lost, s.revenue) for s in sales}
    assert got == expected_days(orders)
    assert [s.day for s in sales] == [date(2026, 3, 2), date(2026, 3, 3), date(2026, 3, 5)]
    assert got[date(2026, 3, 3)] == (2, 9, 3, Decimal("10.66"))  # milk runs out: 3 lost


def test_daily_sales_between_days_inclusive(any_engine, trading):
    store, _ = trading
    with any_engine.connect() as connection:
        only_day_2 = queries.daily_sales(connection, store, date(2026, 3, 3), date(2026, 3, 3))
        from_day_3 = queries.daily_sales(connection, store, start=date(2026, 3, 4))
        until_day_1 = queries.daily_sales(connection, store, end=date(2026, 3, 2))
    assert [(s.day, s.orders) for s in only_day_2] == [(date(2026, 3, 3), 2)]
    assert [(s.day, s.orders) for s in from_day_3] == [(date(2026, 3, 5), 1)]
    assert [(s.day, s.orders) for s in until_day_1] == [(date(2026, 3, 2), 2)]


def test_money_sums_are_exact(any_engine, trading):
    store, orders = trading
    with any_engine.connect() as connection:
        revenue = sum(s.revenue for s in queries.daily_sales(connection, store))
    assert revenue == sum(order.total for order in orders) == Decimal("16.84")
    assert str(revenue) == "16.84"  # cents, with no binary floating-point residue


def test_orders_are_listed_by_time_and_filtered(any_engine, trading):
    store, orders = trading
    with any_engine.connect() as connection:
        everything, total = queries.list_orders(connection, store, 100, 0)
        page, _ = queries.list_orders(connection, store, 2, 1)
        day_2, day_2_total = queries.list_orders(
            connection, store, 100, 0, start=at(16 * 60), end=at(16 * 60 + DAY)
        )
    assert total == 5 and everything == orders
    assert page == orders[1:3]
    assert day_2_total == 2 and day_2 == orders[2:4]


def test_an_empty_store_has_no_sales(any_engine, uow):
    store = open_store(uow, {"milk": "1"})
    with any_engine.connect() as connection:
        assert queries.daily_sales(connection, store) == []
        assert queries.list_orders(connection, store, 10, 0) == ([], 0)


def test_reconciliation_balances_sales_with_the_ledger(any_engine, trading, inventory):
    store, orders = trading
    result = queries.reconcile(any_engine.connect, inventory, store)
    assert result.balanced and result.carts_pending_checkout == 0
    fulfilled = {s.sku: s.fulfilled for s in result.skus}
    assert fulfilled == {"bread": 3, "egg": 13, "milk": 6}
    assert sum(fulfilled.values()) == sum(order.units_fulfilled for order in orders)


def test_reconciliation_finds_stock_issued_without_a_sale(
    any_engine, uow, inventory, inventory_http
):
    store = open_store(uow, {"milk": "1.49"})
    stock(inventory_http, store, {"milk": 10})
    services.checkout(uow, inventory, fill_cart(uow, store, {"milk": 2}), at(1))
    shoplifted = {
        "reference": "no-sale",
        "at": iso(at(2)),
        "lines": [{"sku": "milk", "quantity": 1}],
    }
    assert inventory_http.post(f"/locations/{store}/issues", json=shoplifted).status_code == 201
    result = queries.reconcile(any_engine.connect, inventory, store)
    assert not result.balanced
    assert [(s.sku, s.fulfilled, s.issued) for s in result.skus] == [("milk", 2, 3)]


def test_a_store_the_inventory_does_not_know_is_balanced_at_zero(any_engine, uow, inventory):
    store = open_store(uow, {"milk": "1.49"})
    result = queries.reconcile(any_engine.connect, inventory, store)
    assert queries.availability(inventory, store, [], T0) == {}
    assert result.balanced and result.skus == []


def test_availability_reads_the_inventory_at_a_time(any_engine, uow, inventory, inventory_http):
    store = open_store(uow, {"milk": "1.49", "bread": "2.20", "kale": "3.00"})
    stock(inventory_http, store, {"milk": 4, "bread": 0})
    with any_engine.connect() as connection:
        products, _ = queries.list_products(connection, store, 100, 0)
    assert queries.availability(inventory, store, products, T0 + timedelta(hours=1)) == {
        "bread": 0,
        "kale": 0,
        "milk": 4,
    }
