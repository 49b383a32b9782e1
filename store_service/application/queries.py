"""The read side: lookups and listings straight from the tables, paginated and filtered in SQL.

Reads never change state. Sales figures are aggregated by the database (one row per day),
never by loading orders into Python; availability is read from the inventory in one request
per page of products, not one per product.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, timezone
from decimal import Decimal
from typing import Any, Callable, Sequence

from sqlalchemy import Connection, Date, Numeric, bindparam, cast, func, select, type_coerce

from servicekit.database import PagedQuery, paginate
from servicekit.statements import Statement
from store_service.adapters.repository import (
    CARTS,
    ORDER_LINES,
    ORDERS,
    PRODUCT_COLUMNS,
    PRODUCTS,
    STORE_BY_ID,
    STORES,
    load_cart,
    load_orders,
    product_from_row,
    store_from_row,
)
from store_service.application.ports import Inventory
from store_service.domain.model import (
    CENT,
    Cart,
    CartStatus,
    Order,
    Product,
    Store,
    UnknownOrder,
    UnknownProduct,
    UnknownStore,
)

# -- stores and catalog ---------------------------------------------------------------------


# The statements of the hot reads, built once (see `servicekit.database.PagedQuery`).
PRODUCTS_OF_STORE = PagedQuery(
    select(*PRODUCT_COLUMNS).where(PRODUCTS.c.store_id == bindparam("store_id")),
    [PRODUCTS.c.sku],
)
PRODUCT = Statement(
    select(*PRODUCT_COLUMNS).where(
        PRODUCTS.c.store_id == bindparam("store_id"), PRODUCTS.c.sku == bindparam("sku")
    )
)


def get_store(connection: Connection, store_id: str) -> Store:
    row = STORE_BY_ID.first(connection, {"store_id": store_id})
    if row is None:
        raise UnknownStore(store_id)
    return store_from_row(row)


def require_store(connection: Connection, store_id: str) -> None:
    get_store(connection, store_id)


def list_stores(connection: Connection, limit: int, offset: int) -> tuple[list[Store], int]:
    page = paginate(connection, select(STORES), [STORES.c.id], limit, offset)
    return [store_from_row(row) for row in page.rows], page.total


def get_product(connection: Connection, store_id: str, sku: str) -> Product:
    row = PRODUCT.first(connection, {"store_id": store_id, "sku": sku})
    if row is None:
        require_store(connection, store_id)
        raise UnknownProduct(store_id, sku)
    return product_from_row(row)


def list_products(
    connection: Connection, store_id: str, limit: int, offset: int, category: str | None = None
) -> tuple[list[Product], int]:
    """A page of the store's catalog in SKU order (404 for an unknown store)."""
    if category is None:
        page = PRODUCTS_OF_STORE.fetch(connection, limit, offset, {"store_id": store_id})
    else:
        query = select(*PRODUCT_COLUMNS).where(
            PRODUCTS.c.store_id == store_id, PRODUCTS.c.category == category
        )
        page = paginate(connection, query, [PRODUCTS.c.sku], limit, offset)
    if not page.rows:
        require_store(connection, store_id)
    return [product_from_row(row) for row in page.rows], page.total


def availability(
    inventory: Inventory, store_id: str, products: Sequence[Product], at: datetime | None
) -> dict[str, int]:
    """Units on hand per product at the store's location at ``at`` (0 for unstocked ones)."""
    if not products:
        return {}
    on_hand = inventory.on_hand(store_id, [product.sku for product in products], at)
    return {product.sku: on_hand.get(product.sku, 0) for product in products}


# -- carts and orders -----------------------------------------------------------------------


def get_cart(connection: Connection, cart_id: str) -> Cart:
    return load_cart(connection, cart_id)


def get_order(connection: Connection, order_id: str) -> Order:
    row = connection.execute(select(ORDERS).where(ORDERS.c.id == order_id)).first()
    if row is None:
        raise UnknownOrder(order_id)
    return load_orders(connection, [row])[0]


def list_orders(
    connection: Connection,
    store_id: str,
    limit: int,
    offset: int,
    start: datetime | None = None,
    end: datetime | None = None,
) -> tuple[list[Order], int]:
    """A store's orders by time placed; ``start`` inclusive, ``end`` exclusive."""
    require_store(connection, store_id)
    query = select(ORDERS).where(ORDERS.c.store_id == store_id)
    if start is not None:
        query = query.where(ORDERS.c.placed_at >= start)
    if end is not None:
        query = query.where(ORDERS.c.placed_at < end)
    page = paginate(connection, query, [ORDERS.c.placed_at, ORDERS.c.id], limit, offset)
    return load_orders(connection, page.rows), page.total


# -- sales ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class DailySales:
    day: date
    orders: int
    units_sold: int
    units_lost: int
    revenue: Decimal


def _utc_day(connection: Connection, column: Any) -> Any:
    """The UTC calendar day of a timestamp column, in the connection's SQL dialect."""
    if connection.dialect.name == "sqlite":
        return func.date(column)  # SQLite holds the timestamps as naive UTC text
    return cast(func.timezone("UTC", column), Date)


def _midnight(day: date) -> datetime:
    return datetime.combine(day, time(0), tzinfo=timezone.utc)


def daily_sales(
    connection: Connection, store_id: str, start: date | None = None, end: date | None = None
) -> list[DailySales]:
    """Per UTC day with orders (``start`` and ``end`` inclusive): orders, units sold and lost,
    revenue. One GROUP BY in the database, filtered on the indexed ``placed_at``."""
    require_store(connection, store_id)
    day = _utc_day(connection, ORDERS.c.placed_at).label("day")
    revenue = func.sum(ORDER_LINES.c.fulfilled * ORDER_LINES.c.unit_price)
    query = (
        select(
            day,
            func.count(func.distinct(ORDERS.c.id)).label("orders"),
            func.sum(ORDER_LINES.c.fulfilled).label("units_sold"),
            func.sum(ORDER_LINES.c.requested - ORDER_LINES.c.fulfilled).label("units_lost"),
            type_coerce(revenue, Numeric(18, 2)).label("revenue"),
        )
        .select_from(ORDERS)
        .join(ORDER_LINES, ORDER_LINES.c.order_id == ORDERS.c.id)
        .where(ORDERS.c.store_id == store_id)
    )
    if start is not None:
        query = query.where(ORDERS.c.placed_at >= _midnight(start))
    if end is not None:
        query = query.where(ORDERS.c.placed_at < _midnight(end + timedelta(days=1)))
    rows = connection.execute(query.group_by(day).order_by(day)).all()
    return [
        DailySales(
            day=row.day if isinstance(row.day, date) else date.fromisoformat(row.day),
            orders=row.orders,
            units_sold=int(row.units_sold),
            units_lost=int(row.units_lost),
            revenue=Decimal(row.revenue).quantize(CENT),
        )
        for row in rows
    ]


def units_fulfilled_by_sku(connection: Connection, store_id: str) -> dict[str, int]:
    """Units fulfilled per SKU across all the store's orders (summed by the database)."""
    rows = connection.execute(
        select(ORDER_LINES.c.sku, func.sum(ORDER_LINES.c.fulfilled))
        .join(ORDERS, ORDER_LINES.c.order_id == ORDERS.c.id)
        .where(ORDERS.c.store_id == store_id)
        .group_by(ORDER_LINES.c.sku)
    ).all()
    return {sku: int(units) for sku, units in rows}


# -- reconciliation -------------------------------------------------------------------------


@dataclass(frozen=True)
class SkuBalance:
    sku: str
    fulfilled: int
    issued: int

    @property
    def balanced(self) -> bool:
        return self.fulfilled == self.issued


@dataclass(frozen=True)
class Reconciliation:
    store: str
    skus: list[SkuBalance]
    carts_pending_checkout: int

    @property
    def balanced(self) -> bool:
        return all(sku.balanced for sku in self.skus)


def reconcile(
    reader: Callable[[], Connection], inventory: Inventory, store_id: str
) -> Reconciliation:
    """Do the store's sales and the inventory's ledger agree, unit for unit, per SKU?

    Units fulfilled across the store's orders must equal the units the inventory issued at
    the store's location. A difference means stock left the shelf without a sale recorded (or
    the reverse); ``carts_pending_checkout`` counts the carts whose checkout may have issued
    stock and awaits a retry, the one legitimate (and temporary) cause. The store's figures
    are read, and their connection closed, before the inventory is asked for its own.
    """
    with reader() as connection:
        require_store(connection, store_id)
        fulfilled = units_fulfilled_by_sku(connection, store_id)
        pending = connection.execute(
            select(func.count())
            .select_from(CARTS)
            .where(CARTS.c.store_id == store_id)
            .where(CARTS.c.status == CartStatus.OPEN.value)
            .where(CARTS.c.checkout_pending.is_(True))
        ).scalar_one()
    issued = inventory.issued_totals(store_id)
    skus = [
        SkuBalance(sku, fulfilled.get(sku, 0), issued.get(sku, 0))
        for sku in sorted(fulfilled.keys() | issued.keys())
    ]
    return Reconciliation(store_id, skus, pending)
