"""The write use cases. Each runs in one unit of work: one transaction, one commit or none.

Checkout is the one that crosses a service boundary, and it holds no transaction (and no
database connection) while it calls the inventory. It runs in three steps:

1. *claim* (a short transaction): lock the cart row and freeze its items
   (``checkout_pending``), commit. A cart already checked out answers with its order
   instead: a replay.
2. *issue*: ask the inventory to issue the claimed lines under the **cart id as the
   reference**. The inventory keeps that idempotent: a repeat, even a concurrent one, gets
   the first result back and moves nothing.
3. *record* (a short transaction): close the cart if it is still open (a compare-and-set) and
   insert the order; if another checkout of the same cart recorded first, answer with its
   order, which is the same issue.

So concurrent checkouts of one cart make one issue and one order, and every answer is that
order. If the inventory is unavailable, the claim stays: nothing is recorded as sold, the cart
stays open with its items frozen, and a retry claims the same lines and gets the inventory's
replay (or the first issue). If the inventory refuses (4xx: it moved nothing), the claim is
released so the customer can change the cart.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Sequence

from store_service.application.ports import (
    Inventory,
    InventoryRejected,
    InventoryUnavailable,
    Issued,
)
from store_service.application.unit_of_work import UnitOfWork
from store_service.domain.model import (
    Cart,
    CartNotOpen,
    CartStatus,
    CheckoutClaim,
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
    uow: UnitOfWork,
    store_id: str,
    at: datetime,
    customer_ref: str | None = None,
    items: Sequence[tuple[str, int]] = (),
) -> Cart:
    """Open a cart holding ``items`` (sku, quantity), each at the catalog's current price."""
    with uow.in_one_pipeline():
        cart = _new_cart(uow, new_id("cart"), store_id, at, customer_ref, items)
        uow.stores.add_cart(cart)
        uow.commit()
    return cart


def _new_cart(
    uow: UnitOfWork,
    cart_id: str,
    store_id: str,
    at: datetime,
    customer_ref: str | None,
    items: Sequence[tuple[str, int]],
) -> Cart:
    """A cart of the store holding ``items``, each at the catalog's current price (not saved)."""
    products = uow.stores.products(store_id, [sku for sku, _ in items])
    if len(products) < len(items) or not items:  # (a catalog line proves the store)
        uow.stores.store(store_id)
    cart = Cart(id=cart_id, store_id=store_id, created_at=at, customer_ref=customer_ref)
    for sku, quantity in items:
        cart.set_quantity(sku, quantity, products.get(sku))
    return cart


def set_cart_item(uow: UnitOfWork, cart_id: str, sku: str, quantity: int) -> Cart:
    """Put ``quantity`` units of a product in a cart; 0 removes it."""
    with uow:
        cart = uow.stores.lock_cart(cart_id)
        product = uow.stores.product(cart.store_id, sku) if quantity > 0 else None
        cart.set_quantity(sku, quantity, product)
        uow.stores.save_item(cart, sku)
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
    """Check a cart out: claim it, issue its lines at the inventory, record the order.

    A cart already checked out answers with its order (``created`` False). ``at`` None lets
    the inventory date the issue by its own clock: one clock for the location's history,
    whatever the skew between hosts. The order is dated by the answer: on a replay, when the
    first (perhaps timed-out) call moved the stock.
    """
    claimed = _claim(uow, cart_id)
    if isinstance(claimed, Order):
        return CheckoutResult(claimed, created=False)
    return _issue_and_record(uow, inventory, claimed, at)


def sell(
    uow: UnitOfWork,
    inventory: Inventory,
    store_id: str,
    cart_id: str,
    items: Sequence[tuple[str, int]],
    at: datetime | None = None,
    customer_ref: str | None = None,
) -> CheckoutResult:
    """A sale at the till: a cart opened with ``items`` under the client's ``cart_id`` and
    checked out at once, one request instead of two (`open_cart`, then `checkout`).

    The cart is opened already claimed, so the sale's first transaction is also the claim;
    the issue and the record are the checkout's. A cart with this id already at the store,
    with the same lines, makes this a repeat, which is that cart's checkout: a sale retried
    after a timeout or a 503 answers with the one order, and never issues twice. Under another
    store's cart id, or one with other lines, it is `CartIdTaken`.
    """
    opened_at = at if at is not None else datetime.now(timezone.utc)
    with uow.in_one_pipeline():
        cart = _new_cart(uow, cart_id, store_id, opened_at, customer_ref, items)
        claimed = cart.claim_checkout()
        repeat = not uow.stores.add_cart(cart, unless_taken=True)
        if repeat:  # (nothing written: leaving rolls back)
            uow.stores.cart(cart_id).confirm_repeat_of(store_id, items)
        else:
            uow.commit()
    if repeat:  # that cart's order, or the rest of its checkout
        return checkout(uow, inventory, cart_id, at)
    return _issue_and_record(uow, inventory, claimed, at)


def _issue_and_record(
    uow: UnitOfWork, inventory: Inventory, claimed: CheckoutClaim, at: datetime | None
) -> CheckoutResult:
    """Steps 2 and 3 of a checkout whose claim is committed."""
    cart_id = claimed.cart_id
    try:
        issued = inventory.issue(claimed.store_id, reference=cart_id, at=at, lines=claimed.lines)
    except InventoryUnavailable as error:
        raise CheckoutUnavailable(cart_id, error.reason) from error
    except InventoryRejected:
        _release(uow, cart_id)
        raise
    return _record(uow, claimed, issued)


def _claim(uow: UnitOfWork, cart_id: str) -> CheckoutClaim | Order:
    """Step 1: freeze the cart's items for this checkout, or find the order it already has."""
    with uow.in_one_pipeline():
        cart = uow.stores.mark_checkout_under_way(cart_id)
        if cart is None:  # not open: checked out already (a repeat), or not there at all
            cart = uow.stores.lock_cart(cart_id)
            order = uow.stores.order_of_cart(cart_id)
            if order is not None:
                return order
        claim = cart.claim_checkout()
        uow.commit()
    return claim


def _record(uow: UnitOfWork, claim: CheckoutClaim, issued: Issued) -> CheckoutResult:
    """Step 3: close the cart into its order, unless another checkout of it got there first
    (then both were answered by one issue, and its order is this checkout's answer too)."""
    order = claim.order(new_id("order"), issued.issued, issued.at)
    with uow.in_one_pipeline():
        if not uow.stores.close_cart(claim.cart_id, order.placed_at):
            recorded = uow.stores.order_of_cart(claim.cart_id)
            if recorded is None:
                raise CartNotOpen(claim.cart_id, CartStatus.CHECKED_OUT.value)
            return CheckoutResult(recorded, created=False)
        uow.stores.add_order(order)
        uow.commit()
    return CheckoutResult(order, created=True)


def _release(uow: UnitOfWork, cart_id: str) -> None:
    """After a refusal: the inventory moved nothing under this reference, so the items may
    change again (a checkout of the same cart still under way keeps the lines it claimed)."""
    with uow:
        cart = uow.stores.lock_cart(cart_id)
        cart.release_checkout()
        uow.stores.save_checkout_pending(cart)
        uow.commit()
