"""What the simulation needs from the outside world, as two small interfaces.

`StorePort` and `InventoryPort` are implemented over HTTP in ``customer_sim.infrastructure``.
The simulation depends on these only, never on HTTP, so the engine and the agents stay free
of I/O; the tests run the simulation against the real services.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any, Protocol, Sequence

from customer_sim.domain.customer import Offer


@dataclass(frozen=True)
class OrderLine:
    sku: str
    requested: int
    fulfilled: int
    unit_price: Decimal

    @property
    def lost(self) -> int:
        return self.requested - self.fulfilled


@dataclass(frozen=True)
class PlacedOrder:
    id: str
    lines: list[OrderLine]
    total: Decimal


@dataclass(frozen=True)
class DailySales:
    day: date
    orders: int
    units_sold: int
    units_lost: int
    revenue: Decimal


@dataclass(frozen=True)
class SkuReconciliation:
    sku: str
    fulfilled: int
    issued: int


@dataclass(frozen=True)
class Reconciliation:
    balanced: bool
    skus: list[SkuReconciliation]


@dataclass(frozen=True)
class LedgerEntry:
    """One inventory movement: a signed change of on hand and the level after it."""

    sku: str
    kind: str  # receipt, issue or adjustment
    quantity: int
    on_hand_after: int
    at: datetime


@dataclass(frozen=True)
class PurchaseOrderRecord:
    sku: str
    quantity: int
    status: str
    placed_at: datetime
    due_at: datetime


class StorePort(Protocol):
    def open_store(self, store_id: str, name: str) -> None: ...

    def put_product(
        self, store_id: str, sku: str, name: str, category: str, price: Decimal
    ) -> None: ...

    def offers(self, store_id: str, at: datetime) -> dict[str, Offer]:
        """Every product of the store with its price and what is available at ``at``."""
        ...

    def sell(
        self, store_id: str, customer_ref: str, items: Sequence[tuple[str, int]], at: datetime
    ) -> PlacedOrder:
        """Sell ``items`` (sku, quantity) at ``at``: the order of a cart opened with them and
        checked out at once."""
        ...

    def daily_sales(self, store_id: str) -> list[DailySales]: ...

    def reconciliation(self, store_id: str) -> Reconciliation: ...


class InventoryPort(Protocol):
    def put_item(
        self,
        location: str,
        sku: str,
        on_hand: int,
        policy: dict[str, Any],
        lead_time_minutes: int,
        at: datetime,
    ) -> None: ...

    def advance_clock(self, location: str, at: datetime) -> None: ...

    def movements(self, location: str) -> list[LedgerEntry]:
        """The whole ledger of the location, in time order."""
        ...

    def purchase_orders(self, location: str) -> list[PurchaseOrderRecord]: ...
