"""The write use cases. Each runs in one unit of work: one transaction, one commit or none.

Checkout is the one that crosses a service boundary. It holds the cart's row lock while it
asks the inventory to issue the cart's lines, so the cart cannot change or be checked out
twice meanwhile; it issues under the cart id as the reference, which the inventory keeps
idempotent, so any retry of a checkout (after a timeout, a crash, a lost answer) gets the
first result back and stock is never issued twice.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime

from store_service.application.ports import Inventory, InventoryUnavailable
from store_service.application.unit_of_work import UnitOfWork
from store_service.domain.model import (
    Cart,
    CartStatus,
    Order,
    Product,
    Store,
    StoreError,
    StoreExists,
)


def new_id(prefix: str) -> str:
    """A fresh id (``cart-3f2a...``) that matches the API's id pattern."""
    return f"{prefix}-{uuid.uuid4().hex}"


def create_store(uow: UnitOfWork, name: str, at: datetime, store_id: str | None = None) -> Store:
    """Open a store; its id is also its stock location in the inventory service."""
    store = Store(id=store_id or new_id("store"), name=name, created_at=at)
    with uow:
        if not uow.stores.add_store(store):
            raise StoreExists(store.id)
        uow.commit()
    return store


@dataclass(frozen=True)
class ProductChange:
    product: Product
    created: bool


def put_product(uow: UnitOfWork, store_id: str, product: Product, at: datetime) -> ProductChange:
    """Create or update a catalog line. Carts keep the price they captured (see the domain)."""
    with uow:
        uow.stores.store(store_id)
        created = uow.stores.put_product(store_id, product, at)
        uow.commit()
    return ProductChange(product, created)


def open_cart(
    uow: UnitOfWork, store_id: str, at: datetime, customer_ref: str | None = None
) -> Cart:
    with uow:
        uow.stores.store(store_id)
        cart = Cart(id=new_id("cart"), store_id=store_id, created_at=at, customer_ref=customer_ref)
        uow.stores.add_cart(cart)
        uow.commit()
    return cart


def set_cart_item(uow: UnitOfWork, cart_id: str, sku: str, quantity: int) -> Cart:
    """Put ``quantity`` units of a product in a cart; 0 removes it."""
    with uow:
        cart = uow.stores.lock_cart(cart_id)
        product = uow.stores.product(cart.store_id, sku) if quantity > 0 else None
        cart.set_quantity(sku, quantity, product)
        uow.commit()
    return cart


class CheckoutUnavailable(InventoryUnavailable):
    """The inventory is unavailable during a checkout: said in the customer's terms."""

    def __init__(self, cart_id: str, reason: str) -> None:
        StoreError.__init__(
            self,
            f"the inventory service is unavailable ({reason}): nothing was sold and cart "
            f"{cart_id!r} stays open; retry the checkout later",
        )
        self.reason = reason
        self.cart_id = cart_id


@dataclass(frozen=True)
class CheckoutResult:
    order: Order
    created: bool  # False: the cart was already checked out, this is its order


def checkout(
    uow: UnitOfWork, inventory: Inventory, cart_id: str, at: datetime | None = None
) -> CheckoutResult:
    """Check a cart out: issue its lines at the inventory, record the order, close the cart.

    A cart already checked out answers with its order. When the inventory is unavailable
    nothing is recorded as sold and the cart stays open, but its items are frozen (see
    `CheckoutPending`): the failed call may have issued stock, and only a retry with the same
    lines is replayed by the inventory, so the retry records exactly what was issued.

    ``at`` None lets the inventory date the issue by its own clock: one clock for the
    location's history, whatever the skew between hosts. The order is dated by the answer.
    """
    try:
        return _checkout(uow, inventory, cart_id, at)
    except InventoryUnavailable as error:
        _mark_checkout_pending(uow, cart_id)
        raise CheckoutUnavailable(cart_id, error.reason) from error


def _checkout(
    uow: UnitOfWork, inventory: Inventory, cart_id: str, at: datetime | None
) -> CheckoutResult:
    with uow:
        cart = uow.stores.lock_cart(cart_id)
        if cart.status is CartStatus.CHECKED_OUT:
            order = uow.stores.order_of_cart(cart_id)
            if order is not None:
                return CheckoutResult(order, created=False)
        lines = cart.checkout_lines()
        issued = inventory.issue(cart.store_id, reference=cart.id, at=at, lines=lines)
        # The order is dated when the stock moved: on a replay, the first (timed-out) call.
        order = cart.check_out(new_id("order"), issued.issued, issued.at)
        uow.stores.add_order(order)
        uow.commit()
    return CheckoutResult(order, created=True)


def _mark_checkout_pending(uow: UnitOfWork, cart_id: str) -> None:
    with uow:
        cart = uow.stores.lock_cart(cart_id)
        cart.mark_checkout_pending()
        uow.commit()
