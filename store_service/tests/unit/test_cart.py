"""Cart rules: what may change, and when; what a checkout claims, asks the inventory for,
and records."""

from __future__ import annotations

from datetime import datetime, timezone
from decimal import Decimal

import pytest

from store_service.domain.model import (
    Cart,
    CartIdTaken,
    CartItem,
    CartNotOpen,
    CartStatus,
    CheckoutPending,
    EmptyCart,
    InvalidInput,
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


def test_a_claim_asks_for_the_lines_in_sku_order_so_retries_send_identical_requests():
    claim = cart(milk=1, bread=2).claim_checkout()
    assert claim.lines == [("bread", 2), ("milk", 1)]
    assert (claim.cart_id, claim.store_id) == ("cart-1", "store-1")


def test_an_empty_cart_cannot_be_claimed():
    with pytest.raises(EmptyCart, match="empty"):
        cart().claim_checkout()


def test_a_claim_freezes_the_items_but_keeps_the_cart_open():
    new = cart(milk=1)
    new.claim_checkout()
    assert new.status is CartStatus.OPEN and new.checkout_pending
    with pytest.raises(CheckoutPending, match="retry POST /carts/cart-1/checkout"):
        new.set_quantity("milk", 2, MILK)
    again = new.claim_checkout()  # a retry claims the same lines
    assert again.lines == [("milk", 1)]


def test_a_released_claim_lets_the_items_change_again():
    new = cart(milk=1)
    new.claim_checkout()
    new.release_checkout()
    new.set_quantity("milk", 2, MILK)
    assert not new.checkout_pending and new.lines[0].quantity == 2


def test_a_checked_out_cart_no_longer_changes_nor_is_claimed_again():
    new = cart(milk=1)
    new.status = CartStatus.CHECKED_OUT
    with pytest.raises(CartNotOpen, match="checked_out"):
        new.set_quantity("milk", 2, MILK)
    with pytest.raises(CartNotOpen):
        new.set_quantity("milk", 0, None)
    with pytest.raises(CartNotOpen):
        new.claim_checkout()
    new.release_checkout()  # harmless on a closed cart
    assert new.status is CartStatus.CHECKED_OUT


def test_the_order_is_what_was_claimed_at_the_claimed_prices():
    new = cart(milk=3, bread=1)
    claim = new.claim_checkout()
    new.items["milk"] = CartItem("milk", 3, Decimal("9.99"))  # what the claim saw is kept
    order = claim.order("order-1", {"milk": 2, "bread": 1}, NOW)
    assert order.cart_id == "cart-1" and order.store_id == "store-1" and order.placed_at == NOW
    assert [(x.sku, x.requested, x.fulfilled, x.lost, x.unit_price) for x in order.lines] == [
        ("bread", 1, 1, 0, Decimal("2.20")),
        ("milk", 3, 2, 1, Decimal("1.49")),
    ]
    assert order.total == Decimal("5.18")


def test_the_inventory_must_answer_for_every_line():
    claim = cart(milk=1, bread=1).claim_checkout()
    with pytest.raises(InvalidInput, match="bread"):
        claim.order("order-1", {"milk": 1}, NOW)


def test_a_repeated_sale_is_the_same_store_and_lines_in_any_order():
    cart(milk=2, bread=1).confirm_repeat_of("store-1", [("bread", 1), ("milk", 2)])


@pytest.mark.parametrize(
    "store, items, why",
    [
        ("store-2", [("milk", 2)], "belongs to store 'store-1'"),
        ("store-1", [("milk", 1)], r"holds other lines \(2 x milk\)"),
        ("store-1", [("milk", 2), ("bread", 1)], r"holds other lines \(2 x milk\)"),
    ],
)
def test_another_sale_under_the_cart_id_is_refused(store, items, why):
    with pytest.raises(CartIdTaken, match=why):
        cart(milk=2).confirm_repeat_of(store, items)


def test_an_empty_cart_under_the_id_holds_nothing():
    with pytest.raises(CartIdTaken, match=r"holds other lines \(nothing\)"):
        cart().confirm_repeat_of("store-1", [("milk", 1)])
