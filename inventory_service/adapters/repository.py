"""The repository of the location aggregate: its row lock, stock items, orders, ledger, issues.

`lock` loads a `Location` with what one request needs, in few statements: the location row
(locked); whether anything is due and the issue recorded under the request's reference; the
items the request names, plus, when something is due, the due purchase orders and the items
they and the due reviews concern. `save` writes what the request changed, with
SQLAlchemy Core: one statement per kind of change, many rows each, most of them queued to go
with the commit (`servicekit.unit_of_work`). Nothing here commits.
"""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Any, Iterable

from sqlalchemy import Connection, Table, bindparam, case, exists, or_, select, update
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from inventory_service.adapters.tables import (
    IssueRow,
    LocationRow,
    MovementRow,
    PurchaseOrderRow,
    StockItemRow,
)
from inventory_service.domain.model import (
    IssueLine,
    IssueRecord,
    Location,
    OrderStatus,
    PurchaseOrder,
    StockItem,
    UnknownLocation,
)
from inventory_service.domain.policies import PARAMETERS, make_policy
from servicekit.database import UTCDateTime
from servicekit.statements import Statement
from servicekit.unit_of_work import SqlRepository

LOCATIONS: Table = LocationRow.__table__
ITEMS: Table = StockItemRow.__table__
MOVEMENTS: Table = MovementRow.__table__
ORDERS: Table = PurchaseOrderRow.__table__
ISSUES: Table = IssueRow.__table__


def utcnow() -> datetime:
    return datetime.now(timezone.utc)


#: What a `StockItem` is made of: the item's columns but ``updated_at`` (which only records
#: when it was written; read back, its timestamp would be parsed for nothing on SQLite).
ITEM_COLUMNS = [column for column in ITEMS.c if column.name != "updated_at"]


def item_from_row(row: Any) -> StockItem:
    policy = make_policy(row.policy_type, **{name: getattr(row, name) for name in PARAMETERS})
    return StockItem(
        sku=row.sku,
        on_hand=row.on_hand,
        on_order=row.on_order,
        policy=policy,
        lead_time_minutes=row.lead_time_minutes,
        next_review_at=row.next_review_at,
    )


def item_values(item: StockItem) -> dict[str, Any]:
    """The item's columns (but its keys), as written."""
    parameters = item.policy.parameters()
    return {
        "policy_type": parameters.pop("type"),
        **parameters,
        "on_hand": item.on_hand,
        "on_order": item.on_order,
        "lead_time_minutes": item.lead_time_minutes,
        "next_review_at": item.next_review_at,
    }


def order_from_row(row: Any) -> PurchaseOrder:
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


def something_due(location_id: Any, until: Any) -> Any:
    """SQL: is a delivery or a periodic review due by ``until`` at the location? (On aliases
    of the tables, so that a query over the items themselves does not correlate them.)"""
    orders, items = ORDERS.alias("due_orders"), ITEMS.alias("due_items")
    due_order = exists().where(
        orders.c.location_id == location_id,
        orders.c.status == OrderStatus.OPEN.value,
        orders.c.due_at <= until,
    )
    due_review = exists().where(items.c.location_id == location_id, items.c.next_review_at <= until)
    return or_(due_order, due_review)


# The statements of the hot paths, built once (building one costs SQLAlchemy more than
# running it) and run on the driver's cursor (`Statement`). What varies per request is a bind
# parameter (``b_`` names in UPDATEs, which may not reuse a column's name).
_LOCATION = bindparam("location_id")
_UNTIL = bindparam("until", type_=UTCDateTime)
LOCK_LOCATION = Statement(
    select(LOCATIONS.c.clock).where(LOCATIONS.c.id == _LOCATION).with_for_update()
)
_DATED = bindparam("b_dated", type_=UTCDateTime)
# Lock the location and move its clock to a write's time in one statement; the clock it
# answers is the later of the two (a clock later than the write's time: a write in the past).
LOCK_AND_DATE = Statement(
    update(LOCATIONS)
    .where(LOCATIONS.c.id == _LOCATION)
    .values(clock=case((LOCATIONS.c.clock < _DATED, _DATED), else_=LOCATIONS.c.clock))
    .returning(LOCATIONS.c.clock)
)
DUE = Statement(select(something_due(_LOCATION, _UNTIL).label("due")))
_ISSUE = (ISSUES.c.location_id == _LOCATION, ISSUES.c.reference == bindparam("reference"))
_DUE_AND_ISSUE = select(
    something_due(_LOCATION, _UNTIL).label("due"),
    select(ISSUES.c.at).where(*_ISSUE).scalar_subquery().label("issue_at"),
    select(ISSUES.c.lines).where(*_ISSUE).scalar_subquery().label("issue_lines"),
)
DUE_AND_ISSUE = Statement(_DUE_AND_ISSUE)
_ITEMS_BY_SKU = select(*ITEM_COLUMNS).where(
    ITEMS.c.location_id == _LOCATION, ITEMS.c.sku.in_(bindparam("skus", expanding=True))
)
# The items named, each row with what DUE_AND_ISSUE says: one round trip for both, usually.
ITEMS_WITH_STATE = Statement(_ITEMS_BY_SKU.add_columns(*_DUE_AND_ISSUE.selected_columns))
ITEMS_BY_SKU_OR_DUE = Statement(
    select(*ITEM_COLUMNS).where(
        ITEMS.c.location_id == _LOCATION,
        or_(ITEMS.c.sku.in_(bindparam("skus", expanding=True)), ITEMS.c.next_review_at <= _UNTIL),
    )
)
DUE_ORDERS = Statement(
    select(ORDERS)
    .where(
        ORDERS.c.location_id == _LOCATION,
        ORDERS.c.status == OrderStatus.OPEN.value,
        ORDERS.c.due_at <= _UNTIL,
    )
    .order_by(ORDERS.c.due_at, ORDERS.c.id)
)
SET_CLOCK = Statement(
    update(LOCATIONS)
    .where(LOCATIONS.c.id == bindparam("b_location"))
    .values(clock=bindparam("b_clock"))
)
UPDATE_ITEM = Statement(
    update(ITEMS).where(
        ITEMS.c.location_id == bindparam("b_location"), ITEMS.c.sku == bindparam("b_sku")
    )
)
RECEIVE_ORDER = Statement(update(ORDERS).where(ORDERS.c.id == bindparam("b_id")))
INSERT_ITEM = Statement(ITEMS.insert().inline())
# `inline`: no RETURNING of the new row's id, which SQLAlchemy adds to a one-row insert, and
# which a write queued for the commit (sent in pipeline mode) could not answer.
INSERT_MOVEMENT = Statement(MOVEMENTS.insert().inline())
INSERT_ISSUE = Statement(ISSUES.insert().inline())
INSERT_ORDER = Statement(ORDERS.insert().returning(ORDERS.c.id))


class LocationRepository(SqlRepository):
    def __init__(self, connection: Connection) -> None:
        super().__init__(connection)
        # per location loaded: its clock and items as loaded, to write back only what changed
        self._loaded: dict[str, tuple[datetime, dict[str, dict[str, Any]]]] = {}

    # -- loading ------------------------------------------------------------------------------

    def lock(
        self,
        location_id: str,
        until: datetime,
        skus: Iterable[str] = (),
        reference: str | None = None,
        dated: datetime | None = None,
    ) -> Location:
        """Load the location for a request at ``until`` and hold its row lock until the
        transaction ends.

        Every write at a location takes this lock first, so requests at one location are
        applied one at a time, in the order they get the lock, while other locations proceed.
        (SQLite has no row locks; its ``BEGIN IMMEDIATE`` serializes writers instead.)
        Everything else is read by later statements, which (under READ COMMITTED) see what
        the requests this one waited for committed. With a ``reference`` whose issue is
        already recorded, only that record is loaded (into ``recorded_issues``): a repeat
        needs nothing else.

        ``dated``: the write's time, for a write after which the clock is that time (an
        issue): the lock moves the clock there at once, one round trip fewer while the lock
        is held. The location's clock is then the later of the two; a transaction that does
        not commit (a refusal, a repeat) leaves it where it was.
        """
        skus = sorted(set(skus))
        key = {"location_id": location_id, "until": until, "b_dated": dated,
               "reference": reference, "skus": skus}  # fmt: skip
        locked = (LOCK_AND_DATE if dated else LOCK_LOCATION).send(self.connection, key)
        # Sent before the lock's answer is read (in a pipeline: in the same round trip), run
        # once the lock is held: the items as the requests it waited for left them.
        items = ITEMS_WITH_STATE.send(self.connection, key) if skus else None
        row, rows = locked.first(), items.rows() if items is not None else []
        if row is None:
            raise UnknownLocation(location_id)
        location = Location(location_id, row.clock)
        state = rows[0] if rows else DUE_AND_ISSUE.one(self.connection, key)
        if reference is not None and state.issue_at is not None:
            lines = [IssueLine(**line) for line in state.issue_lines]
            location.recorded_issues[reference] = IssueRecord(reference, state.issue_at, lines)
        elif state.due:  # deliveries or reviews due: their orders and items too
            self._load_due(location, until, set(skus))
        else:
            location.items = {item.sku: item for item in map(item_from_row, rows)}
        self._loaded[location_id] = (
            location.clock,
            {sku: item_values(item) for sku, item in location.items.items()},
        )
        return location

    def lock_or_create(self, location_id: str, at: datetime, skus: Iterable[str]) -> Location:
        dialect = self.connection.dialect.name
        insert = postgresql_insert if dialect == "postgresql" else sqlite_insert
        self.connection.execute(
            insert(LOCATIONS)
            .values(id=location_id, clock=at, created_at=utcnow())
            .on_conflict_do_nothing(index_elements=["id"])
        )
        return self.lock(location_id, at, skus)

    def _load_due(self, location: Location, until: datetime, skus: set[str]) -> None:
        """The orders due by ``until``, and the items named, those the orders are for, and
        those with a review due."""
        key = {"location_id": location.id, "until": until}
        location.due_orders = [order_from_row(row) for row in DUE_ORDERS.rows(self.connection, key)]
        skus |= {order.sku for order in location.due_orders}
        rows = ITEMS_BY_SKU_OR_DUE.rows(self.connection, {**key, "skus": sorted(skus)})
        location.items = {item.sku: item for item in map(item_from_row, rows)}

    # -- writing back -------------------------------------------------------------------------

    def save(self, location: Location) -> None:
        """Write what the request changed at the location: its clock, new and changed items,
        purchase orders received and placed, ledger movements, the issue record.

        New items and orders are written at once: an order cites its item, and gets its id
        here, which the receipts of an order placed and received in one catch-up cite
        (``po-<id>``). The rest is queued for the commit (`SqlRepository.write_at_commit`),
        which sends it in the same round trip: the location's lock is released that much
        sooner.
        """
        now = utcnow()
        key = {"location_id": location.id}
        new_items = [
            {**key, "sku": item.sku, **item_values(item), "updated_at": now}
            for item in location.new_items
        ]
        if new_items:
            INSERT_ITEM.run(self.connection, new_items)
        placed = [
            INSERT_ORDER.send(
                self.connection,
                {**key, "sku": order.sku, "quantity": order.quantity,
                 "status": order.status.value, "reason": order.reason,
                 "placed_at": order.placed_at, "due_at": order.due_at,
                 "received_at": order.received_at},
            )  # fmt: skip
            for order in location.placed
        ]  # (in a pipeline, all in one round trip)
        for order, answer in zip(location.placed, placed):
            order.id = answer.first().id
        self._queue_changes(location, {item["sku"] for item in new_items}, now)
        self._events.extend(location.collect_events())

    def _queue_changes(self, location: Location, new_skus: set[str], now: datetime) -> None:
        """Queue the writes of `save` whose results are not read."""
        clock, loaded_items = self._loaded.get(location.id, (None, {}))
        if location.clock != clock:
            self.write_at_commit(SET_CLOCK, {"b_location": location.id, "b_clock": location.clock})
        changed = []
        for sku, item in location.items.items():
            values = item_values(item)
            if sku not in new_skus and values != loaded_items.get(sku):
                changed.append(
                    {"b_location": location.id, "b_sku": sku, **values, "updated_at": now}
                )
        if changed:
            self.write_at_commit(UPDATE_ITEM, changed)
        received = [
            {"b_id": order.id, "status": order.status.value, "received_at": order.received_at}
            for order in location.received
            if order.id is not None
        ]
        if received:
            self.write_at_commit(RECEIVE_ORDER, received)
        key = {"location_id": location.id}
        if location.movements:
            self.write_at_commit(
                INSERT_MOVEMENT,
                [
                    {**key, "sku": m.sku, "kind": m.kind.value, "quantity": m.quantity,
                     "on_hand_after": m.on_hand_after, "at": m.at,
                     "reference": f"po-{m.order.id}" if m.order is not None else m.reference,
                     "purchase_order_id": m.order.id if m.order is not None else None,
                     "recorded_at": now}
                    for m in location.movements
                ],  # fmt: skip
            )
        if location.new_issues:
            self.write_at_commit(
                INSERT_ISSUE,
                [
                    {**key, "reference": record.reference, "at": record.at,
                     "lines": [vars(line) for line in record.lines], "recorded_at": now}
                    for record in location.new_issues
                ],  # fmt: skip
            )
