"""The read side: listings and lookups straight from the tables, paginated and filtered in SQL.

Reads never change state themselves. A read ``?at=`` first runs the `advance_clock` use case,
but only when something is actually due (`has_due_events`), so most reads take no lock.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import exists, func
from sqlmodel import Session, col, select

from inventory_service.adapters.repository import item_from_row
from inventory_service.adapters.tables import (
    LocationRow,
    MovementRow,
    PurchaseOrderRow,
    StockItemRow,
)
from inventory_service.domain.model import OrderStatus, StockItem, UnknownLocation, UnknownSkus
from servicekit.database import Slice, paginate


def require_location(session: Session, location_id: str) -> None:
    if session.get(LocationRow, location_id) is None:
        raise UnknownLocation(location_id)


def has_due_events(session: Session, location_id: str, at: datetime) -> bool:
    """Is a receipt or a periodic review due by ``at`` at this location?"""
    due_order = exists().where(
        PurchaseOrderRow.location_id == location_id,
        PurchaseOrderRow.status == OrderStatus.OPEN.value,
        col(PurchaseOrderRow.due_at) <= at,
    )
    due_review = exists().where(
        StockItemRow.location_id == location_id, col(StockItemRow.next_review_at) <= at
    )
    return bool(session.exec(select(due_order | due_review)).one())


def list_locations(session: Session, limit: int, offset: int) -> Slice:
    item_count = (
        select(func.count())
        .where(StockItemRow.location_id == LocationRow.id)
        .scalar_subquery()
        .label("items")
    )
    query = select(LocationRow.id, LocationRow.clock, item_count)
    return paginate(session, query, [col(LocationRow.id)], limit, offset)


def get_item(session: Session, location_id: str, sku: str) -> StockItem:
    row = session.get(StockItemRow, (location_id, sku))
    if row is None:
        require_location(session, location_id)
        raise UnknownSkus(location_id, [sku])
    return item_from_row(row)


def list_items(
    session: Session, location_id: str, limit: int, offset: int, skus: list[str] | None = None
) -> tuple[list[StockItem], int]:
    require_location(session, location_id)
    query = select(StockItemRow).where(StockItemRow.location_id == location_id)
    if skus:
        query = query.where(col(StockItemRow.sku).in_(skus))
    page = paginate(session, query, [col(StockItemRow.sku)], limit, offset)
    return [item_from_row(row) for row in page.rows], page.total


def list_movements(
    session: Session,
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
    require_location(session, location_id)
    query = select(MovementRow).where(MovementRow.location_id == location_id)
    if sku is not None:
        query = query.where(MovementRow.sku == sku)
    if kind is not None:
        query = query.where(MovementRow.kind == kind)
    if reference is not None:
        query = query.where(MovementRow.reference == reference)
    if start is not None:
        query = query.where(col(MovementRow.at) >= start)
    if end is not None:
        query = query.where(col(MovementRow.at) < end)
    return paginate(session, query, [col(MovementRow.at), col(MovementRow.id)], limit, offset)


def _units(kind: str) -> Any:
    return func.coalesce(func.sum(MovementRow.quantity).filter(MovementRow.kind == kind), 0)


def ledger_totals(
    session: Session, location_id: str, start: datetime | None = None, end: datetime | None = None
) -> list[dict[str, Any]]:
    """Per SKU: units received, issued (as a positive number) and adjusted, and movement count.

    This is what reconciliation compares with the store's sales.
    """
    require_location(session, location_id)
    query = select(
        MovementRow.sku,
        _units("receipt").label("received"),
        (-_units("issue")).label("issued"),
        _units("adjustment").label("adjusted"),
        func.count().label("movements"),
    ).where(MovementRow.location_id == location_id)
    if start is not None:
        query = query.where(col(MovementRow.at) >= start)
    if end is not None:
        query = query.where(col(MovementRow.at) < end)
    rows = session.exec(query.group_by(MovementRow.sku).order_by(MovementRow.sku)).all()
    return [row._asdict() for row in rows]


def list_purchase_orders(
    session: Session,
    location_id: str,
    limit: int,
    offset: int,
    sku: str | None = None,
    status: str | None = None,
    start: datetime | None = None,
    end: datetime | None = None,
) -> Slice:
    """Purchase orders by time placed; ``start`` inclusive, ``end`` exclusive."""
    require_location(session, location_id)
    query = select(PurchaseOrderRow).where(PurchaseOrderRow.location_id == location_id)
    if sku is not None:
        query = query.where(PurchaseOrderRow.sku == sku)
    if status is not None:
        query = query.where(PurchaseOrderRow.status == status)
    if start is not None:
        query = query.where(col(PurchaseOrderRow.placed_at) >= start)
    if end is not None:
        query = query.where(col(PurchaseOrderRow.placed_at) < end)
    order = [col(PurchaseOrderRow.placed_at), col(PurchaseOrderRow.id)]
    return paginate(session, query, order, limit, offset)
