"""Stock items, their ledger movements and purchase orders, and the passage of time.

The consistency boundary is the *location*: everything that happens at one location happens
in time order, one request at a time (the repository locks the location row). Within it a
`StockItem` per SKU enforces "on hand never negative" and records every change as a
`Movement`, so that on hand always equals the sum of its ledger.
"""

from __future__ import annotations

import heapq
import itertools
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from enum import Enum
from typing import Iterable, Mapping

from inventory_service.domain.policies import NoPolicy, Policy


class InventoryError(Exception):
    """Base class of the rule violations the API reports to clients."""


class UnknownLocation(InventoryError):
    def __init__(self, location: str) -> None:
        super().__init__(f"unknown location {location!r}")
        self.location = location


class UnknownSkus(InventoryError):
    def __init__(self, location: str, skus: Iterable[str]) -> None:
        self.skus = sorted(set(skus))
        listed = ", ".join(repr(s) for s in self.skus)
        super().__init__(f"unknown SKU {listed} at location {location!r}")


class TimeWentBackwards(InventoryError):
    """A write dated before something already recorded at the location."""

    def __init__(self, location: str, at: datetime, clock: datetime) -> None:
        super().__init__(
            f"at={at.isoformat()} is earlier than the last event at location {location!r} "
            f"({clock.isoformat()}); a location's history is written in time order"
        )


class ReferenceReused(InventoryError):
    def __init__(self, reference: str) -> None:
        super().__init__(
            f"reference {reference!r} was already used for an issue with different lines"
        )


class MovementKind(str, Enum):
    RECEIPT = "receipt"
    ISSUE = "issue"
    ADJUSTMENT = "adjustment"


class OrderStatus(str, Enum):
    OPEN = "open"
    RECEIVED = "received"


@dataclass(eq=False)
class PurchaseOrder:
    sku: str
    quantity: int
    placed_at: datetime
    due_at: datetime
    reason: str
    status: OrderStatus = OrderStatus.OPEN
    received_at: datetime | None = None
    id: int | None = None


@dataclass(frozen=True)
class Movement:
    """One ledger line: a signed change of on hand at a time, and why.

    A receipt carries its purchase order; its reference (``po-<id>``) is written when the
    order has an id, which the database gives it.
    """

    sku: str
    kind: MovementKind
    quantity: int
    on_hand_after: int
    at: datetime
    reference: str
    order: PurchaseOrder | None = field(default=None, compare=False)


@dataclass(frozen=True)
class IssueLine:
    sku: str
    requested: int
    issued: int


@dataclass(frozen=True)
class IssueRecord:
    """The outcome of one issue request, kept under its reference for idempotent repeats."""

    reference: str
    at: datetime
    lines: list[IssueLine]

    def same_request(self, lines: list[tuple[str, int]]) -> bool:
        return [(line.sku, line.requested) for line in self.lines] == lines


@dataclass(frozen=True)
class StockIssued:
    sku: str
    requested: int
    issued: int


@dataclass(frozen=True)
class PurchaseOrderPlaced:
    sku: str
    quantity: int


@dataclass(frozen=True)
class PurchaseOrderReceived:
    sku: str
    quantity: int


Event = StockIssued | PurchaseOrderPlaced | PurchaseOrderReceived


@dataclass(eq=False)
class StockItem:
    sku: str
    on_hand: int = 0
    on_order: int = 0
    policy: Policy = field(default_factory=NoPolicy)
    lead_time_minutes: int = 0
    next_review_at: datetime | None = None
    events: list[Event] = field(default_factory=list, repr=False)

    @property
    def inventory_position(self) -> int:
        return self.on_hand + self.on_order

    def issue(self, quantity: int, at: datetime, reference: str) -> tuple[int, Movement | None]:
        """Take up to ``quantity`` units; what is not on hand is short (a lost sale)."""
        if quantity < 1:
            raise ValueError("quantity must be >= 1")
        issued = min(quantity, self.on_hand)
        self.events.append(StockIssued(self.sku, quantity, issued))
        if issued == 0:
            return 0, None
        self.on_hand -= issued
        return issued, Movement(self.sku, MovementKind.ISSUE, -issued, self.on_hand, at, reference)

    def adjust_to(self, on_hand: int, at: datetime, reference: str) -> Movement | None:
        """Set on hand (a stock count); the difference is written as an adjustment."""
        if on_hand < 0:
            raise ValueError("on_hand must be >= 0")
        delta = on_hand - self.on_hand
        if delta == 0:
            return None
        self.on_hand = on_hand
        return Movement(self.sku, MovementKind.ADJUSTMENT, delta, on_hand, at, reference)

    def set_policy(self, policy: Policy, at: datetime) -> None:
        """Change the policy; a periodic one has its first review one period from ``at``."""
        self.policy = policy
        period = policy.review_period_minutes_or_none
        self.next_review_at = at + timedelta(minutes=period) if period else None

    def replenish(self, at: datetime) -> list[PurchaseOrder]:
        """Continuous review: place what the policy asks for at the current position."""
        quantities = self.policy.on_position_change(self.inventory_position)
        return [self._place(quantity, at, "continuous review") for quantity in quantities]

    def review(self) -> list[PurchaseOrder]:
        """Periodic review at ``next_review_at``; schedules the next one."""
        period = self.policy.review_period_minutes_or_none
        if period is None or self.next_review_at is None:
            return []
        at = self.next_review_at
        self.next_review_at = at + timedelta(minutes=period)
        quantities = self.policy.on_review(self.inventory_position)
        return [self._place(quantity, at, "periodic review") for quantity in quantities]

    def receive(self, order: PurchaseOrder) -> Movement:
        """Book an open purchase order in at its due time."""
        if order.status is not OrderStatus.OPEN or order.sku != self.sku:
            raise ValueError(f"cannot receive {order!r} into {self.sku!r}")
        order.status = OrderStatus.RECEIVED
        order.received_at = order.due_at
        self.on_hand += order.quantity
        self.on_order -= order.quantity
        self.events.append(PurchaseOrderReceived(self.sku, order.quantity))
        return Movement(
            self.sku, MovementKind.RECEIPT, order.quantity, self.on_hand, order.due_at, "", order
        )

    def _place(self, quantity: int, at: datetime, reason: str) -> PurchaseOrder:
        self.on_order += quantity
        self.events.append(PurchaseOrderPlaced(self.sku, quantity))
        due = at + timedelta(minutes=self.lead_time_minutes)
        return PurchaseOrder(self.sku, quantity, placed_at=at, due_at=due, reason=reason)


@dataclass
class CatchUp:
    """What happened at a location while its time advanced."""

    movements: list[Movement] = field(default_factory=list)
    received: list[PurchaseOrder] = field(default_factory=list)
    placed: list[PurchaseOrder] = field(default_factory=list)
    last_event_at: datetime | None = None


_RECEIPT, _REVIEW = 0, 1  # at the same instant receipts come first: a review sees them


def catch_up(
    items: Mapping[str, StockItem], due_orders: Iterable[PurchaseOrder], until: datetime
) -> CatchUp:
    """Apply every receipt and periodic review due by ``until``, in time order.

    ``due_orders`` are the open purchase orders due by ``until`` (in due order); ``items``
    must hold their SKUs and every item whose review is due. A review can place an order
    that itself arrives by ``until`` (a short lead time), so this is an event loop, not a
    sort.
    """
    sequence = itertools.count()
    queue: list[tuple[datetime, int, int, PurchaseOrder | StockItem]] = []
    for order in due_orders:
        heapq.heappush(queue, (order.due_at, _RECEIPT, next(sequence), order))
    for sku in sorted(items):
        item = items[sku]
        if item.next_review_at is not None and item.next_review_at <= until:
            heapq.heappush(queue, (item.next_review_at, _REVIEW, next(sequence), item))
    result = CatchUp()
    while queue:
        at, kind, _, subject = heapq.heappop(queue)
        result.last_event_at = at
        if isinstance(subject, PurchaseOrder):
            result.movements.append(items[subject.sku].receive(subject))
            result.received.append(subject)
            continue
        for order in subject.review():
            result.placed.append(order)
            if order.due_at <= until:
                heapq.heappush(queue, (order.due_at, _RECEIPT, next(sequence), order))
        if subject.next_review_at is not None and subject.next_review_at <= until:
            heapq.heappush(queue, (subject.next_review_at, _REVIEW, next(sequence), subject))
    return result


@dataclass
class Location:
    """A stock location (a store's id). Its clock is the time of its latest recorded event."""

    id: str
    clock: datetime

    def check_write_time(self, at: datetime) -> None:
        if at < self.clock:
            raise TimeWentBackwards(self.id, at, self.clock)

    def record(self, at: datetime | None) -> None:
        if at is not None and at > self.clock:
            self.clock = at
