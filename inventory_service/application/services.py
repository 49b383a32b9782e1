"""The write use cases. Each runs in one unit of work and one transaction, at one location.

Every use case first brings the location up to its ``at``: receipts and periodic reviews due
by then are applied, in time order, before anything else, so what a request sees at time t is
exact for time t.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timezone

from sqlmodel import Session

from inventory_service.application import queries
from inventory_service.application.unit_of_work import UnitOfWork
from inventory_service.domain.model import (
    CatchUp,
    IssueLine,
    IssueRecord,
    Location,
    ReferenceReused,
    StockItem,
    UnknownSkus,
    catch_up,
)
from inventory_service.domain.policies import Policy


def _when(at: datetime | None, location: Location) -> datetime:
    """The request's time. Without ``at``, the server's clock read *under the location lock*
    (and never before the location's last event), so that requests without ``at`` are dated
    in the order they are applied, however long each waited for the lock."""
    return at if at is not None else max(datetime.now(timezone.utc), location.clock)


def _advance(uow: UnitOfWork, location: Location, until: datetime) -> CatchUp:
    repo = uow.locations
    due_orders = repo.due_orders(location.id, until)
    skus = {order.sku for order in due_orders} | set(repo.skus_due_for_review(location.id, until))
    result = catch_up(repo.items(location.id, skus), due_orders, until)
    repo.add_movements(location.id, result.movements)
    repo.add_orders(location.id, result.placed)
    location.record(result.last_event_at)
    return result


@dataclass(frozen=True)
class ItemChange:
    item: StockItem
    created: bool


def put_item(
    uow: UnitOfWork,
    location_id: str,
    sku: str,
    at: datetime | None,
    on_hand: int | None = None,
    policy: Policy | None = None,
    lead_time_minutes: int | None = None,
    reference: str | None = None,
) -> ItemChange:
    """Create or update an item; a new on hand is booked as an adjustment movement.

    The policy is evaluated afterwards, so setting stock at or below a reorder point (or
    setting such a policy) places the orders it prescribes at once.
    """
    with uow:
        location = uow.locations.lock_or_create(location_id, at or datetime.now(timezone.utc))
        at = _when(at, location)
        location.check_write_time(at)
        _advance(uow, location, at)
        item = uow.locations.items(location_id, [sku]).get(sku)
        created = item is None
        if item is None:
            item = StockItem(sku)
            uow.locations.add_item(location_id, item)
        if lead_time_minutes is not None:
            item.lead_time_minutes = lead_time_minutes
        if policy is not None:
            item.set_policy(policy, at)
        if on_hand is not None:
            movement = item.adjust_to(on_hand, at, reference or "adjustment")
            uow.locations.add_movements(location_id, [movement] if movement else [])
        uow.locations.add_orders(location_id, item.replenish(at))
        location.record(at)
        uow.commit()
        return ItemChange(item, created)


@dataclass(frozen=True)
class IssueResult:
    record: IssueRecord
    replayed: bool


def issue(
    uow: UnitOfWork,
    location_id: str,
    reference: str,
    at: datetime | None,
    lines: list[tuple[str, int]],
) -> IssueResult:
    """Issue stock for the lines: all lines in one transaction, each as much as is on hand.

    A repeated ``reference`` returns the first result and moves nothing. Because the
    location's row lock is taken before the reference is looked up, concurrent requests with
    one reference cannot both issue: the second waits, then finds the first's record.
    """
    with uow:
        location = uow.locations.lock(location_id)
        previous = uow.locations.issue_record(location_id, reference)
        if previous is not None:
            if not previous.same_request(lines):
                raise ReferenceReused(reference)
            return IssueResult(previous, replayed=True)
        at = _when(at, location)
        location.check_write_time(at)
        items = uow.locations.items(location_id, [sku for sku, _ in lines])
        unknown = [sku for sku, _ in lines if sku not in items]
        if unknown:
            raise UnknownSkus(location_id, unknown)
        _advance(uow, location, at)
        result_lines = []
        for sku, quantity in lines:
            issued, movement = items[sku].issue(quantity, at, reference)
            uow.locations.add_movements(location_id, [movement] if movement else [])
            result_lines.append(IssueLine(sku, quantity, issued))
        for item in items.values():
            uow.locations.add_orders(location_id, item.replenish(at))
        record = IssueRecord(reference, at, result_lines)
        uow.locations.add_issue_record(location_id, record)
        location.record(at)
        uow.commit()
        return IssueResult(record, replayed=False)


@dataclass(frozen=True)
class ClockResult:
    location: str
    at: datetime
    clock: datetime
    receipts: int
    purchase_orders_placed: int


def advance_clock(uow: UnitOfWork, location_id: str, at: datetime | None) -> ClockResult:
    """Apply receipts and periodic reviews due by ``at``. Advancing to the past is a no-op."""
    with uow:
        location = uow.locations.lock(location_id)
        at = _when(at, location)
        result = _advance(uow, location, at)
        uow.commit()
        return ClockResult(
            location_id, at, location.clock, len(result.received), len(result.placed)
        )


def advance_clock_if_due(uow: UnitOfWork, session: Session, location_id: str, at: datetime) -> None:
    """For reads ``?at=``: catch up first, but only if something is due.

    The check runs in the caller's read session, which takes no lock (and on SQLite no write
    lock), so most reads never wait behind a write. When something is due, the read
    transaction is ended first, so that what the caller reads next sees the catch-up. (An
    unknown location has nothing due; the read that follows reports it.)
    """
    if queries.has_due_events(session, location_id, at):
        session.rollback()
        advance_clock(uow, location_id, at)
