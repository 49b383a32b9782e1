"""The repository of the location aggregate: its row lock, stock items, orders, ledger, issues.

It maps table rows to domain objects and back. Items and orders it hands out are tracked and
written back by `flush`, which the unit of work calls before committing; nothing here commits.
"""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Iterable

from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlmodel import Session, col, select

from inventory_service.adapters.tables import (
    IssueRow,
    LocationRow,
    MovementRow,
    PurchaseOrderRow,
    StockItemRow,
)
from inventory_service.domain.model import (
    Event,
    IssueLine,
    IssueRecord,
    Location,
    Movement,
    OrderStatus,
    PurchaseOrder,
    StockItem,
    UnknownLocation,
)
from inventory_service.domain.policies import PARAMETERS, make_policy


def utcnow() -> datetime:
    return datetime.now(timezone.utc)


def item_from_row(row: StockItemRow) -> StockItem:
    policy = make_policy(row.policy_type, **{name: getattr(row, name) for name in PARAMETERS})
    return StockItem(
        sku=row.sku,
        on_hand=row.on_hand,
        on_order=row.on_order,
        policy=policy,
        lead_time_minutes=row.lead_time_minutes,
        next_review_at=row.next_review_at,
    )


def _copy_item(item: StockItem, row: StockItemRow) -> None:
    parameters = item.policy.parameters()
    row.policy_type = parameters.pop("type")
    for name, value in parameters.items():
        setattr(row, name, value)
    row.on_hand = item.on_hand
    row.on_order = item.on_order
    row.lead_time_minutes = item.lead_time_minutes
    row.next_review_at = item.next_review_at
    row.updated_at = utcnow()


def order_from_row(row: PurchaseOrderRow) -> PurchaseOrder:
    return PurchaseOrder(
        id=row.id,
        sku=row.sku,
        quantity=row.quantity,
        placed_at=row.placed_at,
        due_at=row.due_at,
        reason=row.reason,
        status=OrderStatus(row.status),
        received_at=row.received_at,
    )


class LocationRepository:
    def __init__(self, session: Session) -> None:
        self.session = session
        self._locations: dict[str, tuple[LocationRow, Location]] = {}
        self._items: dict[tuple[str, str], tuple[StockItemRow, StockItem]] = {}
        self._orders: list[tuple[PurchaseOrderRow | None, str, PurchaseOrder]] = []
        self._movements: list[tuple[str, Movement]] = []

    # -- the location and its lock ------------------------------------------------------------

    def lock(self, location_id: str) -> Location:
        """Load the location and hold its row lock until the transaction ends.

        Every write at a location takes this lock first, so requests at one location are
        applied one at a time, in the order they get the lock, while other locations proceed.
        (SQLite has no row locks; its ``BEGIN IMMEDIATE`` serializes writers instead.)
        """
        row = self.session.exec(
            select(LocationRow).where(LocationRow.id == location_id).with_for_update()
        ).first()
        if row is None:
            raise UnknownLocation(location_id)
        location = Location(row.id, row.clock)
        self._locations[location_id] = (row, location)
        return location

    def lock_or_create(self, location_id: str, at: datetime) -> Location:
        dialect = self.session.get_bind().dialect.name
        insert = postgresql_insert if dialect == "postgresql" else sqlite_insert
        self.session.exec(
            insert(LocationRow)
            .values(id=location_id, clock=at, created_at=utcnow())
            .on_conflict_do_nothing(index_elements=["id"])
        )
        return self.lock(location_id)

    # -- stock items --------------------------------------------------------------------------

    def items(self, location_id: str, skus: Iterable[str]) -> dict[str, StockItem]:
        """The location's items for these SKUs (those that exist), tracked for writing back."""
        wanted = set(skus)
        found = {
            sku: self._items[(location_id, sku)][1]
            for sku in wanted
            if (location_id, sku) in self._items
        }
        missing = wanted - found.keys()
        if missing:
            rows = self.session.exec(
                select(StockItemRow)
                .where(StockItemRow.location_id == location_id)
                .where(col(StockItemRow.sku).in_(sorted(missing)))
            ).all()
            for row in rows:
                item = item_from_row(row)
                self._items[(location_id, row.sku)] = (row, item)
                found[row.sku] = item
        return found

    def add_item(self, location_id: str, item: StockItem) -> None:
        row = StockItemRow(location_id=location_id, sku=item.sku, on_hand=0, on_order=0)
        _copy_item(item, row)
        self.session.add(row)
        self._items[(location_id, item.sku)] = (row, item)

    def skus_due_for_review(self, location_id: str, until: datetime) -> list[str]:
        return list(
            self.session.exec(
                select(StockItemRow.sku)
                .where(StockItemRow.location_id == location_id)
                .where(col(StockItemRow.next_review_at) <= until)
            ).all()
        )

    # -- purchase orders ----------------------------------------------------------------------

    def due_orders(self, location_id: str, until: datetime) -> list[PurchaseOrder]:
        rows = self.session.exec(
            select(PurchaseOrderRow)
            .where(PurchaseOrderRow.location_id == location_id)
            .where(PurchaseOrderRow.status == OrderStatus.OPEN.value)
            .where(col(PurchaseOrderRow.due_at) <= until)
            .order_by(col(PurchaseOrderRow.due_at), col(PurchaseOrderRow.id))
        ).all()
        orders = []
        for row in rows:
            order = order_from_row(row)
            self._orders.append((row, location_id, order))
            orders.append(order)
        return orders

    def add_orders(self, location_id: str, orders: Iterable[PurchaseOrder]) -> None:
        self._orders.extend((None, location_id, order) for order in orders)

    # -- ledger and issue records -------------------------------------------------------------

    def add_movements(self, location_id: str, movements: Iterable[Movement]) -> None:
        self._movements.extend((location_id, movement) for movement in movements)

    def issue_record(self, location_id: str, reference: str) -> IssueRecord | None:
        row = self.session.get(IssueRow, (location_id, reference))
        if row is None:
            return None
        return IssueRecord(row.reference, row.at, [IssueLine(**line) for line in row.lines])

    def add_issue_record(self, location_id: str, record: IssueRecord) -> None:
        lines = [
            {"sku": line.sku, "requested": line.requested, "issued": line.issued}
            for line in record.lines
        ]
        self.session.add(
            IssueRow(
                location_id=location_id,
                reference=record.reference,
                at=record.at,
                lines=lines,
                recorded_at=utcnow(),
            )
        )

    # -- writing back -------------------------------------------------------------------------

    def flush(self) -> None:
        """Write every tracked change to the session (orders before the receipts that cite them)."""
        for row, location in self._locations.values():
            row.clock = location.clock
        for row, item in self._items.values():
            _copy_item(item, row)
        self.session.flush()
        for index, (row, location_id, order) in enumerate(self._orders):
            if row is None:
                row = PurchaseOrderRow(location_id=location_id, sku=order.sku)
                self._orders[index] = (row, location_id, order)
                self.session.add(row)
            row.quantity = order.quantity
            row.status = order.status.value
            row.reason = order.reason
            row.placed_at = order.placed_at
            row.due_at = order.due_at
            row.received_at = order.received_at
        self.session.flush()
        for row, _, order in self._orders:
            order.id = row.id
        now = utcnow()
        for location_id, movement in self._movements:
            order = movement.order
            self.session.add(
                MovementRow(
                    location_id=location_id,
                    sku=movement.sku,
                    kind=movement.kind.value,
                    quantity=movement.quantity,
                    on_hand_after=movement.on_hand_after,
                    at=movement.at,
                    reference=f"po-{order.id}" if order is not None else movement.reference,
                    purchase_order_id=order.id if order is not None else None,
                    recorded_at=now,
                )
            )
        self._movements.clear()
        self.session.flush()

    def collect_events(self) -> list[Event]:
        events: list[Event] = []
        for _, item in self._items.values():
            events.extend(item.events)
            item.events.clear()
        return events
