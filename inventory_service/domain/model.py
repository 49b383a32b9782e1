"""Stock items, their ledger movements and purchase orders, and the passage of time.

The consistency boundary is the *location* (`Location`, the aggregate): everything that
happens at one location happens in time order, one request at a time (the repository locks
the location row). It owns the stock items a request works on and the purchase orders due;
`Location.advance_to` applies what is due, `Location.issue` and `Location.put_item` change
stock. Within it a `StockItem` per SKU enforces "on hand never negative" and records every
change as a `Movement`, so that on hand always equals the sum of its ledger. What a request
produced (movements, purchase orders placed and received, the issue record) is kept on the
location for the repository to write.
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


@dataclass(eq=False)
class Location:
    """A stock location (a store's id), as one request at it sees it.

    ``clock`` is the time of its latest recorded event. ``items`` are the stock items the
    request works on, plus every item with something due (a review, a delivery) by the time
    the location was loaded for; ``due_orders`` the open purchase orders due by then, in due
    order; ``recorded_issues`` the issues already recorded under the references the request
    names (what a repeat answers with). The lists after them are what the request produced,
    for the repository to write.
    """

    id: str
    clock: datetime
    items: dict[str, StockItem] = field(default_factory=dict)
    due_orders: list[PurchaseOrder] = field(default_factory=list)
    recorded_issues: dict[str, IssueRecord] = field(default_factory=dict)
    movements: list[Movement] = field(default_factory=list, repr=False)
    placed: list[PurchaseOrder] = field(default_factory=list, repr=False)
    received: list[PurchaseOrder] = field(default_factory=list, repr=False)
    new_items: list[StockItem] = field(default_factory=list, repr=False)
    new_issues: list[IssueRecord] = field(default_factory=list, repr=False)

    def check_write_time(self, at: datetime) -> None:
        if at < self.clock:
            raise TimeWentBackwards(self.id, at, self.clock)

    def record(self, at: datetime | None) -> None:
        if at is not None and at > self.clock:
            self.clock = at

    def advance_to(self, until: datetime) -> CatchUp:
        """Apply the receipts and periodic reviews due by ``until``, in time order."""
        due = [order for order in self.due_orders if order.due_at <= until]
        result = catch_up(self.items, due, until)
        self.due_orders = [order for order in self.due_orders if order.status is OrderStatus.OPEN]
        self.movements.extend(result.movements)
        self.placed.extend(result.placed)
        self.received.extend(result.received)
        self.record(result.last_event_at)
        return result

    def issue(
        self, reference: str, at: datetime, lines: list[tuple[str, int]]
    ) -> tuple[IssueRecord, bool]:
        """Issue each line as far as stock allows, at ``at``; then let policies reorder.
        True with the record when it is a repeat: the first result, and nothing moves.

        A reference names one request: reusing it for other lines is `ReferenceReused`.
        Every SKU must be stocked here (`UnknownSkus` otherwise, and nothing moves).
        """
        previous = self.recorded_issues.get(reference)
        if previous is not None:
            if not previous.same_request(lines):
                raise ReferenceReused(reference)
            return previous, True
        self.check_write_time(at)
        unknown = [sku for sku, _ in lines if sku not in self.items]
        if unknown:
            raise UnknownSkus(self.id, unknown)
        self.advance_to(at)
        result_lines = []
        for sku, quantity in lines:
            issued, movement = self.items[sku].issue(quantity, at, reference)
            if movement is not None:
                self.movements.append(movement)
            result_lines.append(IssueLine(sku, quantity, issued))
        for sku in sorted({sku for sku, _ in lines}):
            self.placed.extend(self.items[sku].replenish(at))
        record = IssueRecord(reference, at, result_lines)
        self.recorded_issues[reference] = record
        self.new_issues.append(record)
        self.record(at)
        return record, False

    def put_item(
        self,
        sku: str,
        at: datetime,
        on_hand: int | None = None,
        policy: Policy | None = None,
        lead_time_minutes: int | None = None,
        reference: str = "adjustment",
    ) -> tuple[StockItem, bool]:
        """Create or update an item (True: created); a new on hand is booked as an adjustment.

        The policy is evaluated afterwards, so setting stock at or below a reorder point (or
        setting such a policy) places the orders it prescribes at once.
        """
        self.check_write_time(at)
        self.advance_to(at)
        item = self.items.get(sku)
        created = item is None
        if item is None:
            item = self.items[sku] = StockItem(sku)
            self.new_items.append(item)
        if lead_time_minutes is not None:
            item.lead_time_minutes = lead_time_minutes
        if policy is not None:
            item.set_policy(policy, at)
        if on_hand is not None:
            movement = item.adjust_to(on_hand, at, reference)
            if movement is not None:
                self.movements.append(movement)
        self.placed.extend(item.replenish(at))
        self.record(at)
        return item, created

    def collect_events(self) -> list[Event]:
        """Hand over (and forget) what the items reported: for metrics, after the commit."""
        events: list[Event] = []
        for item in self.items.values():
            events.extend(item.events)
            item.events.clear()
        return events
