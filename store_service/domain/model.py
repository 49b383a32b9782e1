"""Stores, their catalog, carts and orders: the rules of selling, in plain Python.

The consistency boundary of a sale is the *cart*: it changes one request at a time (the
repository locks its row), only while it is open, and is checked out exactly once, into one
order. What the customer pays per unit is the price the cart showed (captured from the
catalog when the line was last put), so a catalog change between browsing and paying never
changes a total behind the customer's back. What the inventory could not supply is lost
demand, recorded per line: a customer who finds a product out of stock does not wait.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from enum import Enum
from typing import Mapping

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


class EmptyCart(StoreError):
    def __init__(self, cart_id: str) -> None:
        super().__init__(f"cart {cart_id!r} is empty; add items before checking out")
        self.cart_id = cart_id


class CheckoutPending(StoreError):
    """The cart's last checkout failed in a way that may have reached the inventory.

    Its lines are frozen until a checkout completes: the retry reuses the cart id as the
    inventory reference, and the inventory only replays a reference for the same lines.
    """

    def __init__(self, cart_id: str) -> None:
        super().__init__(
            f"cart {cart_id!r} has a checkout that may have reached the inventory; its items "
            f"cannot change until it completes: retry POST /carts/{cart_id}/checkout"
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
    events: list[Event] = field(default_factory=list, repr=False)

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

    def checkout_lines(self) -> list[tuple[str, int]]:
        """What to ask the inventory for; only an open cart with items can be checked out."""
        if self.status is not CartStatus.OPEN:
            raise CartNotOpen(self.id, self.status.value)
        if not self.items:
            raise EmptyCart(self.id)
        return [(item.sku, item.quantity) for item in self.lines]

    def mark_checkout_pending(self) -> None:
        """Remember that a checkout may have reached the inventory: freeze the lines."""
        if self.status is CartStatus.OPEN:
            self.checkout_pending = True

    def check_out(self, order_id: str, fulfilled: Mapping[str, int], at: datetime) -> Order:
        """Close the cart into an order; ``fulfilled`` is what the inventory issued per SKU."""
        lines = self.checkout_lines()
        missing = sorted({sku for sku, _ in lines} - fulfilled.keys())
        if missing:
            raise InvalidInput(f"no fulfilled quantity for {', '.join(missing)}")
        order = Order(
            id=order_id,
            store_id=self.store_id,
            cart_id=self.id,
            placed_at=at,
            lines=tuple(
                OrderLine(item.sku, item.quantity, fulfilled[item.sku], item.unit_price)
                for item in self.lines
            ),
        )
        self.status = CartStatus.CHECKED_OUT
        self.checkout_pending = False
        self.checked_out_at = at
        self.events.append(OrderPlaced(order))
        return order

    def _require_changeable(self) -> None:
        if self.status is not CartStatus.OPEN:
            raise CartNotOpen(self.id, self.status.value)
        if self.checkout_pending:
            raise CheckoutPending(self.id)
