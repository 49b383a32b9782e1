"""The repository of stores, their catalogs, carts and orders.

It maps table rows to domain objects and back with SQLAlchemy Core statements on the unit of
work's session: each write is one explicit statement, issued when the use case asks for it,
so a request runs the few statements it needs and nothing is tracked behind its back.
Nothing here commits.
"""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Any, Iterable, Sequence

from sqlalchemy import Table, delete, select, update
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlmodel import Session

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
    OrderPlaced,
    Product,
    Store,
    UnknownCart,
    UnknownStore,
)

STORES: Table = StoreRow.__table__
PRODUCTS: Table = ProductRow.__table__
CARTS: Table = CartRow.__table__
CART_ITEMS: Table = CartItemRow.__table__
ORDERS: Table = OrderRow.__table__
ORDER_LINES: Table = OrderLineRow.__table__


def utcnow() -> datetime:
    return datetime.now(timezone.utc)


def store_from_row(row: Any) -> Store:
    return Store(id=row.id, name=row.name, created_at=row.created_at)


def product_from_row(row: Any) -> Product:
    return Product(sku=row.sku, name=row.name, category=row.category, price=row.price)


def cart_from_rows(row: Any, item_rows: Iterable[Any]) -> Cart:
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


def load_cart(session: Session, cart_id: str, lock: bool = False) -> Cart:
    """The cart with its items; ``lock`` holds its row lock until the transaction ends."""
    query = select(CARTS).where(CARTS.c.id == cart_id)
    row = session.execute(query.with_for_update() if lock else query).first()
    if row is None:
        raise UnknownCart(cart_id)
    items = session.execute(select(CART_ITEMS).where(CART_ITEMS.c.cart_id == cart_id))
    return cart_from_rows(row, items)


def load_orders(session: Session, rows: Iterable[Any]) -> list[Order]:
    """Orders with their lines, in the rows' order, in one query for all the lines."""
    rows = list(rows)
    lines: dict[str, list[OrderLine]] = {row.id: [] for row in rows}
    if rows:
        query = (
            select(ORDER_LINES)
            .where(ORDER_LINES.c.order_id.in_(list(lines)))
            .order_by(ORDER_LINES.c.order_id, ORDER_LINES.c.sku)
        )
        for x in session.execute(query):
            lines[x.order_id].append(OrderLine(x.sku, x.requested, x.fulfilled, x.unit_price))
    return [
        Order(
            id=row.id,
            store_id=row.store_id,
            cart_id=row.cart_id,
            placed_at=row.placed_at,
            status=row.status,
            lines=tuple(lines[row.id]),
        )
        for row in rows
    ]


class StoreRepository:
    def __init__(self, session: Session) -> None:
        self.session = session
        self._events: list[Event] = []

    def _insert(self, table: Table) -> Any:
        """An INSERT that can say ON CONFLICT DO NOTHING, in the session's SQL dialect.
        (Whether it inserted is read with RETURNING: portable, unlike rowcount.)"""
        dialect = self.session.get_bind().dialect.name
        return (postgresql_insert if dialect == "postgresql" else sqlite_insert)(table)

    # -- stores -------------------------------------------------------------------------------

    def add_store(self, store: Store) -> bool:
        """Insert the store; False (and nothing written) when the id is taken, even by a
        concurrent request that has not committed yet (it waits for it)."""
        inserted = self.session.execute(
            self._insert(STORES)
            .values(id=store.id, name=store.name, created_at=store.created_at)
            .on_conflict_do_nothing(index_elements=["id"])
            .returning(STORES.c.id)
        ).first()
        return inserted is not None

    def store(self, store_id: str) -> Store:
        row = self.session.execute(select(STORES).where(STORES.c.id == store_id)).first()
        if row is None:
            raise UnknownStore(store_id)
        return store_from_row(row)

    # -- catalog ------------------------------------------------------------------------------

    def product(self, store_id: str, sku: str) -> Product | None:
        return self.products(store_id, [sku]).get(sku)

    def products(self, store_id: str, skus: Sequence[str]) -> dict[str, Product]:
        """The catalog lines of these SKUs that the store sells, by SKU."""
        if not skus:
            return {}
        rows = self.session.execute(
            select(PRODUCTS).where(PRODUCTS.c.store_id == store_id, PRODUCTS.c.sku.in_(skus))
        )
        return {row.sku: product_from_row(row) for row in rows}

    def put_product(self, store_id: str, product: Product, at: datetime) -> bool:
        """Create or update a catalog line; True when it was created."""
        values = {
            "name": product.name,
            "category": product.category,
            "price": product.price,
            "updated_at": at,
        }
        inserted = self.session.execute(
            self._insert(PRODUCTS)
            .values(store_id=store_id, sku=product.sku, **values)
            .on_conflict_do_nothing(index_elements=["store_id", "sku"])
            .returning(PRODUCTS.c.sku)
        ).first()
        if inserted is not None:
            return True
        self.session.execute(
            update(PRODUCTS)
            .where(PRODUCTS.c.store_id == store_id, PRODUCTS.c.sku == product.sku)
            .values(**values)
        )
        return False

    # -- carts --------------------------------------------------------------------------------

    def add_cart(self, cart: Cart) -> None:
        """Insert a new cart with its items."""
        self.session.execute(
            CARTS.insert().values(
                id=cart.id,
                store_id=cart.store_id,
                customer_ref=cart.customer_ref,
                status=cart.status.value,
                checkout_pending=cart.checkout_pending,
                created_at=cart.created_at,
                updated_at=cart.created_at,
            )
        )
        if cart.items:
            self.session.execute(
                CART_ITEMS.insert(),
                [
                    {
                        "cart_id": cart.id,
                        "sku": i.sku,
                        "quantity": i.quantity,
                        "unit_price": i.unit_price,
                    }
                    for i in cart.lines
                ],
            )

    def lock_cart(self, cart_id: str) -> Cart:
        """Load the cart and hold its row lock until the transaction ends.

        Every change of a cart, the claim of a checkout included, takes this lock first, so one
        cart changes one request at a time while other carts proceed. (SQLite has no row
        locks; its ``BEGIN IMMEDIATE`` serializes writers instead.)
        """
        return load_cart(self.session, cart_id, lock=True)

    def save_item(self, cart: Cart, sku: str) -> None:
        """Write one item of a locked cart as the cart now has it (absent: removed)."""
        item = cart.items.get(sku)
        match = (CART_ITEMS.c.cart_id == cart.id, CART_ITEMS.c.sku == sku)
        self.session.execute(delete(CART_ITEMS).where(*match))
        if item is not None:
            self.session.execute(
                CART_ITEMS.insert().values(
                    cart_id=cart.id, sku=sku, quantity=item.quantity, unit_price=item.unit_price
                )
            )
        self.session.execute(update(CARTS).where(CARTS.c.id == cart.id).values(updated_at=utcnow()))

    def save_checkout_pending(self, cart: Cart) -> None:
        """Write whether a checkout of the (locked) cart is under way."""
        self.session.execute(
            update(CARTS)
            .where(CARTS.c.id == cart.id)
            .values(checkout_pending=cart.checkout_pending, updated_at=utcnow())
        )

    def close_cart(self, cart_id: str, at: datetime) -> bool:
        """Mark the cart checked out at ``at``, if it is still open; False if it is not.

        A compare-and-set: of two checkouts of one cart recording their orders at once, the
        second waits for the first's row lock, then finds the cart closed.
        """
        closed = self.session.execute(
            update(CARTS)
            .where(CARTS.c.id == cart_id, CARTS.c.status == CartStatus.OPEN.value)
            .values(
                status=CartStatus.CHECKED_OUT.value,
                checkout_pending=False,
                checked_out_at=at,
                updated_at=utcnow(),
            )
            .returning(CARTS.c.id)
        ).first()
        return closed is not None

    # -- orders -------------------------------------------------------------------------------

    def add_order(self, order: Order) -> None:
        """Insert the order with its lines; it is published (metrics) once committed."""
        self.session.execute(
            ORDERS.insert().values(
                id=order.id,
                store_id=order.store_id,
                cart_id=order.cart_id,
                status=order.status,
                placed_at=order.placed_at,
            )
        )
        self.session.execute(
            ORDER_LINES.insert(),
            [
                {"order_id": order.id, "sku": x.sku, "requested": x.requested,
                 "fulfilled": x.fulfilled, "unit_price": x.unit_price}
                for x in order.lines
            ],  # fmt: skip
        )
        self._events.append(OrderPlaced(order))

    def order_of_cart(self, cart_id: str) -> Order | None:
        row = self.session.execute(select(ORDERS).where(ORDERS.c.cart_id == cart_id)).first()
        return load_orders(self.session, [row])[0] if row is not None else None

    def collect_events(self) -> list[Event]:
        events, self._events = self._events, []
        return events
