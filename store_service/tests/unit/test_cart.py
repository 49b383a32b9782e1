"""Cart rules: what may change, and when; what a checkout asks the inventory for."""

from __future__ import annotations

from datetime import datetime, timezone
from decimal import Decimal

import pytest

from store_service.domain.model import (
    Cart,
    CartNotOpen,
    CartStatus,
    CheckoutPending,
    EmptyCart,
    InvalidInput,
    OrderPlaced,
    Product,
    ProductNotSold,
)

NOW = datetime(2026, 3, 2, 9, 0, tzinfo=timezone.utc)
MILK = Product("milk", "Milk", "dairy", Decimal("1.49"))
BREAD = Product("bread", "Bread", "bakery", Decimal("2.20"))


def cart(**items: int) -> Cart:
    new = Cart(id="cart-1", store_id="store-1", created_at=NOW)
    for sku, quantity in items.items():
        new.set_quantity(sku, quantity, {"milk": MILK, "bread": BREAD}[sku])
    return new


def test_putting_an_item_captures_the_catalog_price():
    new = cart(milk=2)
    assert [(i.sku, i.quantity, i.unit_price) for i in new.lines] == [("milk", 2, Decimal("1.49"))]


def test_putting_again_sets_the_quantity_and_the_current_price():
    new = cart(milk=2)
    new.set_quantity("milk", 5, Product("milk", "Milk", "dairy", Decimal("1.99")))
    assert [(i.quantity, i.unit_price) for i in new.lines] == [(5, Decimal("1.99"))]


def test_zero_removes_and_removing_an_absent_item_is_harmless():
    new = cart(milk=2, bread=1)
    new.set_quantity("milk", 0, None)
    new.set_quantity("never-added", 0, None)
    assert [item.sku for item in new.lines] == ["bread"]


def test_a_product_the_store_does_not_sell_is_refused_by_name():
    new = cart()
    with pytest.raises(ProductNotSold, match="'caviar'"):
        new.set_quantity("caviar", 1, None)
    with pytest.raises(ProductNotSold):  # a catalog line for another SKU does not count
        new.set_quantity("caviar", 1, MILK)
    assert new.items == {}


def test_negative_quantities_are_refused():
    new = cart(milk=1)
    with pytest.raises(InvalidInput, match=">= 0"):
        new.set_quantity("milk", -1, MILK)
    assert new.lines[0].quantity == 1


def test_lines_come_in_sku_order_so_retries_send_identical_requests():
    new = cart(milk=1, bread=2)
    assert new.checkout_lines() == [("bread", 2), ("milk", 1)]


def test_an_empty_cart_cannot_be_checked_out():
    with pytest.raises(EmptyCart, match="empty"):
        cart().checkout_lines()


def test_checking_out_closes_the_cart_into_an_order_and_an_event():
    new = cart(milk=3, bread=1)
    order = new.check_out("order-1", {"milk": 2, "bread": 1}, NOW)
    assert new.status is CartStatus.CHECKED_OUT and new.checked_out_at == NOW
    assert order.cart_id == "cart-1" and order.store_id == "store-1"
    assert [(x.sku, x.requested, x.fulfilled) for x in order.lines] == [
        ("bread", 1, 1),
        ("milk", 3, 2),
    ]
    assert new.events == [OrderPlaced(order)]


def test_a_checked_out_cart_no_longer_changes_nor_checks_out_again():
    new = cart(milk=1)
    new.check_out("order-1", {"milk": 1}, NOW)
    with pytest.raises(CartNotOpen, match="checked_out"):
        new.set_quantity("milk", 2, MILK)
    with pytest.raises(CartNotOpen):
        new.set_quantity("milk", 0, None)
    with pytest.raises(CartNotOpen):
        new.check_out("order-2", {"milk": 1}, NOW)


def test_a_pending_checkout_freezes_the_items_but_keeps_the_cart_open():
    new = cart(milk=1)
    new.mark_checkout_pending()
    assert new.status is CartStatus.OPEN
    with pytest.raises(CheckoutPending, match="retry POST /carts/cart-1/checkout"):
        new.set_quantity("milk", 2, MILK)
    order = new.check_out("order-1", {"milk": 1}, NOW)
    assert order.units_fulfilled == 1 and not new.checkout_pending


def test_marking_a_closed_cart_pending_changes_nothing():
    new = cart(milk=1)
    new.check_out("order-1", {"milk": 1}, NOW)
    new.mark_checkout_pending()
    assert not new.checkout_pending


def test_the_inventory_must_answer_for_every_line():
    new = cart(milk=1, bread=1)
    with pytest.raises(InvalidInput, match="bread"):
        new.check_out("order-1", {"milk": 1}, NOW)
    assert new.status is CartStatus.OPEN and new.events == []
