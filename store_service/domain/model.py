"""Stores, their catalog, carts and orders: the rules of selling, in plain Python.

The consistency boundary of a sale is the *cart*: it changes one request at a time (the
repository locks its row), only while it is open, and is checked out exactly once, into one
order. A checkout first *claims* the cart (`Cart.claim_checkout`), which freezes its items,
so that whatever the inventory is asked for, and however often, is the same. What the
customer pays per unit is the price the cart showed (captured from the catalog when the line
was last put), so a catalog change between browsing and paying never changes a total behind
the customer's back. What the inventory could not supply is lost
demand, recorded per line: a customer who finds a product out of stock does not wait.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from enum import Enum
from typing import Mapping, Sequence

#: Money has two decimal places (NUMERIC(12,2) in the database).
CENT = Decimal("0.01")
MAX_PRICE = Decimal("9999999999.99")


class StoreError(Exception):
    """Base class of the rule violations the API reports to clients."""


class UnknownStore(StoreError):
    def __init__(self, store_id: str) -> None:
        super().__init__(f"unknown store {store_id!r}")
        self.store_id = store_id


class StoreExists(StoreError):
    def __init__(self, store_id: str) -> None:
        super().__init__(f"store {store_id!r} already exists")
        self.store_id = store_id


class UnknownProduct(StoreError):
    def __init__(self, store_id: str, sku: str) -> None:
        super().__init__(f"unknown product {sku!r} at store {store_id!r}")
        self.store_id = store_id
        self.sku = sku


class UnknownCart(StoreError):
    def __init__(self, cart_id: str) -> None:
        super().__init__(f"unknown cart {cart_id!r}")
        self.cart_id = cart_id


class UnknownOrder(StoreError):
    def __init__(self, order_id: str) -> None:
        super().__init__(f"unknown order {order_id!r}")
        self.order_id = order_id


class InvalidInput(StoreError):
    """A value no rule allows (the API validates first; this guards every other caller)."""


class ProductNotSold(StoreError):
    def __init__(self, store_id: str, sku: str) -> None:
        super().__init__(f"store {store_id!r} does not sell {sku!r}; add it to the catalog first")
        self.store_id = store_id
        self.sku = sku


class CartNotOpen(StoreError):
    def __init__(self, cart_id: str, status: str) -> None:
        super().__init__(f"cart {cart_id!r} is {status}, not open; it can no longer change")
        self.cart_id = cart_id


class CartIdTaken(StoreError):
    """A sale named a cart id that a cart of another sale already has: another store's cart,
    or one with other lines. (A repeat of a sale names the same store and lines.)"""

    def __init__(self, cart_id: str, why: str) -> None:
        super().__init__(f"cart {cart_id!r} {why}; choose a new cart id for a new sale")
        self.cart_id = cart_id


class EmptyCart(StoreError):
    def __init__(self, cart_id: str) -> None:
        super().__init__(f"cart {cart_id!r} is empty; add items before checking out")
        self.cart_id = cart_id


class CheckoutPending(StoreError):
    """A checkout of the cart is under way, or failed in a way that may have reached the
    inventory.

    Its lines are frozen until a checkout completes: the retry reuses the cart id as the
    inventory reference, and the inventory only replays a reference for the same lines.
    """

    def __init__(self, cart_id: str) -> None:
        super().__init__(
            f"cart {cart_id!r} has a checkout under way or one that may have reached the "
            f"inventory; its items cannot change until it completes: retry "
            f"POST /carts/{cart_id}/checkout"
        )
        self.cart_id = cart_id


def check_price(price: Decimal) -> Decimal:
    if not price.is_finite() or price < 0 or price > MAX_PRICE:
        raise InvalidInput(f"price must be between 0 and {MAX_PRICE}, not {price}")
    if price != price.quantize(CENT):
        raise InvalidInput(f"price {price} has more than 2 decimal places")
    return price.quantize(CENT)


@dataclass(frozen=True)
class Store:
    id: str
    name: str
    created_at: datetime


@dataclass(frozen=True)
class Product:
    """A line of a store's catalog."""

    sku: str
    name: str
    category: str
    price: Decimal

    def __post_init__(self) -> None:
        object.__setattr__(self, "price", check_price(self.price))


class CartStatus(str, Enum):
    OPEN = "open"
    CHECKED_OUT = "checked_out"


@dataclass(frozen=True)
class CartItem:
    sku: str
    quantity: int
    unit_price: Decimal


@dataclass(frozen=True)
class OrderLine:
    sku: str
    requested: int
    fulfilled: int
    unit_price: Decimal

    def __post_init__(self) -> None:
        if self.requested < 1:
            raise InvalidInput(f"{self.sku}: requested must be >= 1, not {self.requested}")
        if not 0 <= self.fulfilled <= self.requested:
            raise InvalidInput(
                f"{self.sku}: fulfilled must be between 0 and requested ({self.requested}), "
                f"not {self.fulfilled}"
            )

    @property
    def lost(self) -> int:
        """Units the customer wanted but the store could not supply (lost demand)."""
        return self.requested - self.fulfilled

    @property
    def amount(self) -> Decimal:
        """What the customer pays for this line: only fulfilled units are charged."""
        return self.fulfilled * self.unit_price


@dataclass(frozen=True)
class Order:
    """A checked-out cart: what was asked for, what the inventory supplied, what it cost."""

    id: str
    store_id: str
    cart_id: str
    placed_at: datetime
    lines: tuple[OrderLine, ...]
    status: str = "placed"

    @property
    def total(self) -> Decimal:
        return sum((line.amount for line in self.lines), Decimal("0.00")).quantize(CENT)

    @property
    def units_requested(self) -> int:
        return sum(line.requested for line in self.lines)

    @property
    def units_fulfilled(self) -> int:
        return sum(line.fulfilled for line in self.lines)

    @property
    def units_lost(self) -> int:
        return sum(line.lost for line in self.lines)


@dataclass(frozen=True)
class OrderPlaced:
    order: Order


Event = OrderPlaced


@dataclass(frozen=True)
class CheckoutClaim:
    """A checkout under way: the cart's items as they were when it was claimed.

    The inventory is asked for these lines, under the cart's id as the reference, and the order
    records them, each at the unit price the cart showed. The cart keeps its items frozen
    meanwhile (``checkout_pending``), so every attempt at the checkout claims the same lines.
    """

    cart_id: str
    store_id: str
    items: tuple[CartItem, ...]  # in SKU order: a retry sends an identical request

    @property
    def lines(self) -> list[tuple[str, int]]:
        """What to ask the inventory for: (sku, quantity) per item."""
        return [(item.sku, item.quantity) for item in self.items]

    def order(self, order_id: str, fulfilled: Mapping[str, int], at: datetime) -> Order:
        """The order, given what the inventory issued per SKU (``fulfilled``) and when."""
        missing = sorted({item.sku for item in self.items} - fulfilled.keys())
        if missing:
            raise InvalidInput(f"no fulfilled quantity for {', '.join(missing)}")
        return Order(
            id=order_id,
            store_id=self.store_id,
            cart_id=self.cart_id,
            placed_at=at,
            lines=tuple(
                OrderLine(item.sku, item.quantity, fulfilled[item.sku], item.unit_price)
                for item in self.items
            ),
        )


@dataclass(eq=False)
class Cart:
    id: str
    store_id: str
    created_at: datetime
    customer_ref: str | None = None
    status: CartStatus = CartStatus.OPEN
    items: dict[str, CartItem] = field(default_factory=dict)
    checkout_pending: bool = False
    checked_out_at: datetime | None = None

    @property
    def lines(self) -> list[CartItem]:
        """Items in SKU order: a stable order, so a retried checkout sends identical lines."""
        return [self.items[sku] for sku in sorted(self.items)]

    def set_quantity(self, sku: str, quantity: int, product: Product | None) -> None:
        """Put ``quantity`` units of ``sku`` in the cart (0 removes it).

        ``product`` is the store's catalog entry for the SKU (None: not sold there). The line's
        unit price becomes the catalog's current price: the price the customer sees.
        """
        self._require_changeable()
        if quantity < 0:
            raise InvalidInput(f"quantity must be >= 0 (0 removes the item), not {quantity}")
        if quantity == 0:
            self.items.pop(sku, None)
            return
        if product is None or product.sku != sku:
            raise ProductNotSold(self.store_id, sku)
        self.items[sku] = CartItem(sku, quantity, product.price)

    def confirm_repeat_of(self, store_id: str, items: Sequence[tuple[str, int]]) -> None:
        """A sale named this cart's id: it is a repeat of the sale that opened the cart only if
        it sells the same lines at the same store; otherwise `CartIdTaken`, before anything
        moves (answering this cart's order would tell the client it sold what it did not)."""
        if store_id != self.store_id:
            raise CartIdTaken(self.id, f"belongs to store {self.store_id!r}")
        if dict(items) != {line.sku: line.quantity for line in self.lines}:
            held = ", ".join(f"{line.quantity} x {line.sku}" for line in self.lines) or "nothing"
            raise CartIdTaken(self.id, f"holds other lines ({held})")

    def claim_checkout(self) -> CheckoutClaim:
        """Start a checkout (or another attempt at one): freeze the items and say what to ask
        the inventory for. Only an open cart with items can be checked out.

        The items stay frozen until the checkout completes, even when an attempt fails after it
        may have reached the inventory: only a retry with the same lines is replayed there.
        """
        if self.status is not CartStatus.OPEN:
            raise CartNotOpen(self.id, self.status.value)
        if not self.items:
            raise EmptyCart(self.id)
        self.checkout_pending = True
        return CheckoutClaim(self.id, self.store_id, tuple(self.lines))

    def release_checkout(self) -> None:
        """The inventory refused the checkout and moved nothing: the items may change again."""
        if self.status is CartStatus.OPEN:
            self.checkout_pending = False

    def _require_changeable(self) -> None:
        if self.status is not CartStatus.OPEN:
            raise CartNotOpen(self.id, self.status.value)
        if self.checkout_pending:
            raise CheckoutPending(self.id)
