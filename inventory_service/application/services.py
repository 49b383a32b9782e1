"""The write use cases. Each runs in one unit of work and one transaction, at one location.

Every use case first brings the location up to its ``at``: receipts and periodic reviews due
by then are applied, in time order, before anything else, so what a request sees at time t is
exact for time t.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timezone

from sqlalchemy import Connection


from inventory_service.application import queries
from inventory_service.application.unit_of_work import UnitOfWork
from inventory_service.domain.model import IssueRecord, Location, StockItem
from inventory_service.domain.policies import Policy


def _when(at: datetime | None, location: Location) -> datetime:
    """The request's time. Without ``at``, the server's clock read *under the location lock*
    (and never before the location's last event), so that requests without ``at`` are dated
    in the order they are applied, however long each waited for the lock."""
    return at if at is not None else max(datetime.now(timezone.utc), location.clock)


def _load_until(at: datetime | None) -> datetime:
    """What the location is loaded for (what is due by then), before its clock is known.

    Without ``at`` the request is dated `_when`: now, or the location's clock if that is
    later; everything due by the clock is applied already, so due by now is what matters.
    """
    return at if at is not None else datetime.now(timezone.utc)


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
        location = uow.locations.lock_or_create(location_id, _load_until(at), [sku])
        item, created = location.put_item(
            sku,
            _when(at, location),
            on_hand=on_hand,
            policy=policy,
            lead_time_minutes=lead_time_minutes,
            reference=reference or "adjustment",
        )
        uow.locations.save(location)
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
    with uow.in_one_pipeline():
        skus = [sku for sku, _ in lines]
        # Locked with its clock moved to the issue's time; without ``at`` that is the later
        # of now and the clock, as `_when` dates it: in the order the issues are applied.
        until = _load_until(at)
        location = uow.locations.lock(location_id, until, skus, reference, dated=until)
        record, replayed = location.issue(reference, at or location.clock, lines)
        if not replayed:
            uow.locations.save(location)
            uow.commit()
        return IssueResult(record, replayed)


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
        location = uow.locations.lock(location_id, _load_until(at))
        at = _when(at, location)
        result = location.advance_to(at)
        uow.locations.save(location)
        uow.commit()
        return ClockResult(
            location_id, at, location.clock, len(result.received), len(result.placed)
        )


def advance_clock_if_due(
    uow: UnitOfWork, connection: Connection, location_id: str, at: datetime, due: bool | None = None
) -> None:
    """For reads ``?at=``: catch up first, but only if something is due (``due``, when the
    caller's read already told; else `queries.has_due_events` asks).

    The check runs in the caller's read connection, which takes no lock (and on SQLite no write
    lock), so most reads never wait behind a write. When something is due, the read
    transaction is ended first, so that what the caller reads next sees the catch-up. (An
    unknown location has nothing due; the read that follows reports it.)
    """
    if due is None:
        due = queries.has_due_events(connection, location_id, at)
    if due:
        connection.rollback()
        advance_clock(uow, location_id, at)
