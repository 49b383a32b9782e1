"""A simulated customer: what they want, what they can spend, and how their visit goes."""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal


@dataclass(frozen=True)
class WishItem:
    sku: str
    quantity: int


@dataclass(frozen=True)
class VisitTiming:
    """Minutes between the steps of a visit: arrival → observe → add to cart → checkout →
    leave. Drawn at arrival, all four, whatever the visit turns out to be, so the timing stream
    advances by the same amount per customer under every policy."""

    browse: float  # arrival -> observe (walking in, looking at the shelves)
    pick: float  # observe -> add to cart
    queue: float  # add to cart -> checkout
    exit: float  # checkout (or observe, when nothing is bought) -> leave


@dataclass(frozen=True)
class Offer:
    """What the store shows for a SKU at a moment: its price and how many are available."""

    price: Decimal
    available: int


@dataclass(frozen=True)
class BasketLine:
    sku: str
    quantity: int
    unit_price: Decimal


@dataclass
class Customer:
    """One visit. ``wish_list`` is in order of preference: the most wanted item first."""

    id: int
    arrived_at: float
    budget: Decimal | None  # None: no limit
    wish_list: list[WishItem]
    timing: VisitTiming
    basket: list[BasketLine] = field(default_factory=list)

    @property
    def ref(self) -> str:
        """The customer reference given to the store with the cart."""
        return f"customer-{self.id}"
