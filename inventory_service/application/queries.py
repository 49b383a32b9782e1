"""The read side: listings and lookups straight from the tables, paginated and filtered in SQL.

Reads never change state themselves. A read ``?at=`` first runs the `advance_clock` use case,
but only when something is actually due (`has_due_events`, or the ``due`` that `list_items`
tells with the items, in the same statement), so most reads take no lock.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, bindparam, func, select

from inventory_service.adapters.repository import (
    DUE,
    ITEM_COLUMNS,
    ITEMS,
    LOCATIONS,
    MOVEMENTS,
    ORDERS,
    item_from_row,
    something_due,
)
from inventory_service.domain.model import StockItem, UnknownLocation, UnknownSkus
from servicekit.database import PagedQuery, Slice, UTCDateTime, paginate
from servicekit.statements import Statement

# The statements of the hot reads, built once (see `servicekit.database.PagedQuery`).
LOCATION = Statement(select(LOCATIONS.c.id).where(LOCATIONS.c.id == bindparam("location_id")))
ITEM = Statement(
    select(*ITEM_COLUMNS).where(
        ITEMS.c.location_id == bindparam("location_id"), ITEMS.c.sku == bindparam("sku")
    )
)
ITEMS_OF_LOCATION = select(*ITEM_COLUMNS).where(ITEMS.c.location_id == bindparam("location_id"))
SKUS_OF_LOCATION = ITEMS_OF_LOCATION.where(ITEMS.c.sku.in_(bindparam("skus", expanding=True)))
# each row also says whether something is due by ``until`` (`has_due_events`)
_DUE = something_due(bindparam("location_id"), bindparam("until", type_=UTCDateTime)).label("due")


def _items_page(of_skus: bool, with_due: bool) -> PagedQuery:
    query = SKUS_OF_LOCATION if of_skus else ITEMS_OF_LOCATION
    return PagedQuery(query.add_columns(_DUE) if with_due else query, [ITEMS.c.sku])


# by (of some SKUs only, with whether something is due)
ITEMS_PAGES = {
    (some, due): _items_page(some, due) for some in (False, True) for due in (False, True)
}


def require_location(connection: Connection, location_id: str) -> None:
    if LOCATION.first(connection, {"location_id": location_id}) is None:
        raise UnknownLocation(location_id)


def has_due_events(connection: Connection, location_id: str, at: datetime) -> bool:
    """Is a receipt or a periodic review due by ``at`` at this location? (False when the
    location does not exist: the read that follows reports it.)"""
    return bool(DUE.scalar(connection, {"location_id": location_id, "until": at}))


def list_locations(connection: Connection, limit: int, offset: int) -> Slice:
    item_count = (
        select(func.count())
        .where(ITEMS.c.location_id == LOCATIONS.c.id)
        .scalar_subquery()
        .label("items")
    )
    query = select(LOCATIONS.c.id, LOCATIONS.c.clock, item_count)
    return paginate(connection, query, [LOCATIONS.c.id], limit, offset)


def get_item(connection: Connection, location_id: str, sku: str) -> StockItem:
    row = ITEM.first(connection, {"location_id": location_id, "sku": sku})
    if row is None:
        require_location(connection, location_id)
        raise UnknownSkus(location_id, [sku])
    return item_from_row(row)


@dataclass(frozen=True)
class ItemsPage:
    items: list[StockItem]
    total: int
    due: bool  # something is due by the ``due_by`` asked for


def list_items(
    connection: Connection,
    location_id: str,
    limit: int,
    offset: int,
    skus: list[str] | None = None,
    due_by: datetime | None = None,
) -> ItemsPage:
    """A page of the location's items (of ``skus`` only, if given), in SKU order; with
    ``due_by``, also whether a receipt or a review is due by then, in the same statement (or
    by `has_due_events` when the page is empty)."""
    key: dict[str, Any] = {"location_id": location_id, "until": due_by}
    query = ITEMS_PAGES[(bool(skus), due_by is not None)]
    if skus:
        key["skus"] = skus
        page = query.fetch(connection, limit, offset, key, at_most=len(set(skus)))
    else:
        page = query.fetch(connection, limit, offset, key)
    due = False
    if not page.rows:
        require_location(connection, location_id)
        due = due_by is not None and has_due_events(connection, location_id, due_by)
    elif due_by is not None:
        due = bool(page.rows[0].due)
    return ItemsPage([item_from_row(row) for row in page.rows], page.total, due)


def list_movements(
    connection: Connection,
    location_id: str,
    limit: int,
    offset: int,
    sku: str | None = None,
    kind: str | None = None,
    reference: str | None = None,
    start: datetime | None = None,
    end: datetime | None = None,
) -> Slice:
    """The ledger in time order; ``start`` inclusive, ``end`` exclusive."""
    require_location(connection, location_id)
    query = select(MOVEMENTS).where(MOVEMENTS.c.location_id == location_id)
    if sku is not None:
        query = query.where(MOVEMENTS.c.sku == sku)
    if kind is not None:
        query = query.where(MOVEMENTS.c.kind == kind)
    if reference is not None:
        query = query.where(MOVEMENTS.c.reference == reference)
    if start is not None:
        query = query.where(MOVEMENTS.c.at >= start)
    if end is not None:
        query = query.where(MOVEMENTS.c.at < end)
    return paginate(connection, query, [MOVEMENTS.c.at, MOVEMENTS.c.id], limit, offset)


def _units(kind: str) -> Any:
    return func.coalesce(func.sum(MOVEMENTS.c.quantity).filter(MOVEMENTS.c.kind == kind), 0)


def ledger_totals(
    connection: Connection,
    location_id: str,
    start: datetime | None = None,
    end: datetime | None = None,
) -> list[dict[str, Any]]:
    """Per SKU: units received, issued (as a positive number) and adjusted, and movement count.

    This is what reconciliation compares with the store's sales.
    """
    require_location(connection, location_id)
    query = select(
        MOVEMENTS.c.sku,
        _units("receipt").label("received"),
        (-_units("issue")).label("issued"),
        _units("adjustment").label("adjusted"),
        func.count().label("movements"),
    ).where(MOVEMENTS.c.location_id == location_id)
    if start is not None:
        query = query.where(MOVEMENTS.c.at >= start)
    if end is not None:
        query = query.where(MOVEMENTS.c.at < end)
    rows = connection.execute(query.group_by(MOVEMENTS.c.sku).order_by(MOVEMENTS.c.sku)).all()
    return [row._asdict() for row in rows]


def list_purchase_orders(
    connection: Connection,
    location_id: str,
    limit: int,
    offset: int,
    sku: str | None = None,
    status: str | None = None,
    start: datetime | None = None,
    end: datetime | None = None,
) -> Slice:
    """Purchase orders by time placed; ``start`` inclusive, ``end`` exclusive."""
    require_location(connection, location_id)
    query = select(ORDERS).where(ORDERS.c.location_id == location_id)
    if sku is not None:
        query = query.where(ORDERS.c.sku == sku)
    if status is not None:
        query = query.where(ORDERS.c.status == status)
    if start is not None:
        query = query.where(ORDERS.c.placed_at >= start)
    if end is not None:
        query = query.where(ORDERS.c.placed_at < end)
    order = [ORDERS.c.placed_at, ORDERS.c.id]
    return paginate(connection, query, order, limit, offset)
