"""The repository of stores, their catalogs, carts and orders.

It maps table rows to domain objects and back. Carts it hands out are tracked and written back
by `flush`, which the unit of work calls before committing; nothing here commits.
"""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Any, Iterable

from sqlalchemy import update
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlmodel import Session, col, select

from store_service.adapters.tables import (
    CartItemRow,
    CartRow,
    OrderLineRow,
    OrderRow,
    ProductRow,
    StoreRow,
)
from store_service.domain.model import (
    Cart,
    CartItem,
    CartStatus,
    Event,
    Order,
    OrderLine,
    Product,
    Store,
    UnknownCart,
    UnknownStore,
)


def utcnow() -> datetime:
    return datetime.now(timezone.utc)


def store_from_row(row: StoreRow) -> Store:
    return Store(id=row.id, name=row.name, created_at=row.created_at)


def product_from_row(row: ProductRow) -> Product:
    return Product(sku=row.sku, name=row.name, category=row.category, price=row.price)


def cart_from_rows(row: CartRow, item_rows: Iterable[CartItemRow]) -> Cart:
    return Cart(
        id=row.id,
        store_id=row.store_id,
        created_at=row.created_at,
        customer_ref=row.customer_ref,
        status=CartStatus(row.status),
        items={r.sku: CartItem(r.sku, r.quantity, r.unit_price) for r in item_rows},
        checkout_pending=row.checkout_pending,
        checked_out_at=row.checked_out_at,
    )


def order_from_rows(row: OrderRow, line_rows: Iterable[OrderLineRow]) -> Order:
    lines = sorted(line_rows, key=lambda line: line.sku)
    return Order(
        id=row.id,
        store_id=row.store_id,
        cart_id=row.cart_id,
        placed_at=row.placed_at,
        status=row.status,
        lines=tuple(OrderLine(x.sku, x.requested, x.fulfilled, x.unit_price) for x in lines),
    )


def load_orders(session: Session, rows: Iterable[OrderRow]) -> list[Order]:
    """Orders with their lines, in the rows' order, in one query for all the lines."""
    rows = list(rows)
    lines: dict[str, list[OrderLineRow]] = {row.id: [] for row in rows}
    if rows:
        for line in session.exec(
            select(OrderLineRow).where(col(OrderLineRow.order_id).in_(list(lines)))
        ).all():
            lines[line.order_id].append(line)
    return [order_from_rows(row, lines[row.id]) for row in rows]


class StoreRepository:
    def __init__(self, session: Session) -> None:
        self.session = session
        self._carts: dict[str, tuple[CartRow, dict[str, CartItemRow], Cart]] = {}
        self._orders: list[Order] = []

    def _insert(self, table: Any) -> Any:
        """An INSERT that can say ON CONFLICT DO NOTHING, in the session's SQL dialect.

        Whether it inserted is read with RETURNING: an ORM-enabled INSERT's rowcount is -1
        on psycopg.
        """
        dialect = self.session.get_bind().dialect.name
        return (postgresql_insert if dialect == "postgresql" else sqlite_insert)(table)

    # -- stores -------------------------------------------------------------------------------

    def add_store(self, store: Store) -> bool:
        """Insert the store; False (and nothing written) when the id is taken, even by a
        concurrent request that has not committed yet (it waits for it)."""
        inserted = self.session.exec(
            self._insert(StoreRow)
            .values(id=store.id, name=store.name, created_at=store.created_at)
            .on_conflict_do_nothing(index_elements=["id"])
            .returning(StoreRow.id)
        ).first()
        return inserted is not None

    def store(self, store_id: str) -> Store:
        row = self.session.get(StoreRow, store_id)
        if row is None:
            raise UnknownStore(store_id)
        return store_from_row(row)

    # -- catalog ------------------------------------------------------------------------------

    def product(self, store_id: str, sku: str) -> Product | None:
        row = self.session.get(ProductRow, (store_id, sku))
        return product_from_row(row) if row is not None else None

    def put_product(self, store_id: str, product: Product, at: datetime) -> bool:
        """Create or update a catalog line; True when it was created."""
        values = {
            "name": product.name,
            "category": product.category,
            "price": product.price,
            "updated_at": at,
        }
        inserted = self.session.exec(
            self._insert(ProductRow)
            .values(store_id=store_id, sku=product.sku, **values)
            .on_conflict_do_nothing(index_elements=["store_id", "sku"])
            .returning(ProductRow.sku)
        ).first()
        if inserted is not None:
            return True
        self.session.exec(
            update(ProductRow)
            .where(col(ProductRow.store_id) == store_id, col(ProductRow.sku) == product.sku)
            .values(**values)
        )
        return False

    # -- carts --------------------------------------------------------------------------------

    def add_cart(self, cart: Cart) -> None:
        row = CartRow(
            id=cart.id,
            store_id=cart.store_id,
            customer_ref=cart.customer_ref,
            status=cart.status.value,
            checkout_pending=cart.checkout_pending,
            created_at=cart.created_at,
            updated_at=cart.created_at,
        )
        self.session.add(row)
        self._carts[cart.id] = (row, {}, cart)

    def lock_cart(self, cart_id: str) -> Cart:
        """Load the cart and hold its row lock until the transaction ends.

        Every change of a cart, checkout included, takes this lock first, so one cart changes
        one request at a time while other carts proceed. (SQLite has no row locks; its
        ``BEGIN IMMEDIATE`` serializes writers instead.)
        """
        row = self.session.exec(
            select(CartRow).where(CartRow.id == cart_id).with_for_update()
        ).first()
        if row is None:
            raise UnknownCart(cart_id)
        items = self.session.exec(select(CartItemRow).where(CartItemRow.cart_id == cart_id)).all()
        cart = cart_from_rows(row, items)
        self._carts[cart_id] = (row, {item.sku: item for item in items}, cart)
        return cart

    # -- orders -------------------------------------------------------------------------------

    def add_order(self, order: Order) -> None:
        self._orders.append(order)

    def order_of_cart(self, cart_id: str) -> Order | None:
        row = self.session.exec(select(OrderRow).where(OrderRow.cart_id == cart_id)).first()
        return load_orders(self.session, [row])[0] if row is not None else None

    # -- writing back -------------------------------------------------------------------------

    def flush(self) -> None:
        """Write every tracked change: carts, then their items and new orders, then order lines.

        There are no ORM relationships to order the inserts, so each level is flushed before
        the rows whose foreign keys cite it.
        """
        now = utcnow()
        for row, _, cart in self._carts.values():
            row.status = cart.status.value
            row.checkout_pending = cart.checkout_pending
            row.checked_out_at = cart.checked_out_at
            row.updated_at = now
        self.session.flush()
        for cart_id, (_, item_rows, cart) in self._carts.items():
            for sku in set(item_rows) - cart.items.keys():
                self.session.delete(item_rows.pop(sku))
            for item in cart.lines:
                item_row = item_rows.get(item.sku)
                if item_row is None:
                    item_row = item_rows[item.sku] = CartItemRow(cart_id=cart_id, sku=item.sku)
                    self.session.add(item_row)
                item_row.quantity = item.quantity
                item_row.unit_price = item.unit_price
        for order in self._orders:
            self.session.add(
                OrderRow(
                    id=order.id,
                    store_id=order.store_id,
                    cart_id=order.cart_id,
                    status=order.status,
                    placed_at=order.placed_at,
                )
            )
        self.session.flush()
        for order in self._orders:
            for line in order.lines:
                self.session.add(
                    OrderLineRow(
                        order_id=order.id,
                        sku=line.sku,
                        requested=line.requested,
                        fulfilled=line.fulfilled,
                        unit_price=line.unit_price,
                    )
                )
        self._orders.clear()
        self.session.flush()

    def collect_events(self) -> list[Event]:
        events: list[Event] = []
        for _, _, cart in self._carts.values():
            events.extend(cart.events)
            cart.events.clear()
        return events
