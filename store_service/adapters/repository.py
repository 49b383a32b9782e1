"""The repository of stores, their catalogs, carts and orders.

It maps table rows to domain objects and back with SQLAlchemy Core statements on the unit of
work's connection: each write is one explicit statement, issued when the use case asks for it,
so a request runs the few statements it needs and nothing is tracked behind its back.
Nothing here commits.
"""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Any, Iterable, Sequence

from sqlalchemy import Connection, Table, bindparam, delete, select, update
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

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
    Order,
    OrderLine,
    OrderPlaced,
    Product,
    Store,
    UnknownCart,
    UnknownStore,
)
from servicekit.statements import Statement
from servicekit.unit_of_work import SqlRepository

STORES: Table = StoreRow.__table__
PRODUCTS: Table = ProductRow.__table__
CARTS: Table = CartRow.__table__
CART_ITEMS: Table = CartItemRow.__table__
ORDERS: Table = OrderRow.__table__
ORDER_LINES: Table = OrderLineRow.__table__
#: What a `Product` is made of: the catalog line's columns but ``updated_at`` (which only
#: records when it was written; read back, its timestamp would be parsed for nothing on SQLite).
PRODUCT_COLUMNS = [column for column in PRODUCTS.c if column.name != "updated_at"]

# The statements of the hot paths, built once (building one costs SQLAlchemy more than
# running it) and run on the driver's cursor (`Statement`). What varies per request is a bind
# parameter (``b_`` names in UPDATEs, which may not reuse a column's name).
STORE_BY_ID = Statement(select(STORES).where(STORES.c.id == bindparam("store_id")))
PRODUCTS_BY_SKU = Statement(
    select(*PRODUCT_COLUMNS).where(
        PRODUCTS.c.store_id == bindparam("store_id"),
        PRODUCTS.c.sku.in_(bindparam("skus", expanding=True)),
    )
)
_CART_BY_ID = select(CARTS).where(CARTS.c.id == bindparam("cart_id"))
CART_BY_ID = Statement(_CART_BY_ID)
CART_BY_ID_LOCKED = Statement(_CART_BY_ID.with_for_update())
ITEMS_OF_CART = Statement(select(CART_ITEMS).where(CART_ITEMS.c.cart_id == bindparam("cart_id")))
DELETE_ITEM = Statement(
    delete(CART_ITEMS).where(
        CART_ITEMS.c.cart_id == bindparam("b_cart"), CART_ITEMS.c.sku == bindparam("b_sku")
    )
)
TOUCH_CART = Statement(
    update(CARTS)
    .where(CARTS.c.id == bindparam("b_cart"))
    .values(checkout_pending=bindparam("b_pending"), updated_at=bindparam("b_now"))
)
CLOSE_CART = Statement(
    update(CARTS)
    .where(CARTS.c.id == bindparam("b_cart"), CARTS.c.status == CartStatus.OPEN.value)
    .values(
        status=CartStatus.CHECKED_OUT.value,
        checkout_pending=False,
        checked_out_at=bindparam("b_at"),
        updated_at=bindparam("b_now"),
    )
    .returning(CARTS.c.id)
)
MARK_CHECKOUT_UNDER_WAY = Statement(
    update(CARTS)
    .where(CARTS.c.id == bindparam("b_cart"), CARTS.c.status == CartStatus.OPEN.value)
    .values(checkout_pending=True, updated_at=bindparam("b_now"))
    .returning(*CARTS.c)
)
ORDER_OF_CART = Statement(select(ORDERS).where(ORDERS.c.cart_id == bindparam("cart_id")))
LINES_OF_ORDERS = Statement(
    select(ORDER_LINES)
    .where(ORDER_LINES.c.order_id.in_(bindparam("order_ids", expanding=True)))
    .order_by(ORDER_LINES.c.order_id, ORDER_LINES.c.sku)
)
# `inline`: no RETURNING (of a generated id), which a write queued for the commit could not
# answer.
INSERT_CART = Statement(CARTS.insert().inline())
INSERT_ITEM = Statement(CART_ITEMS.insert().inline())
INSERT_ORDER = Statement(ORDERS.insert().inline())
INSERT_LINE = Statement(ORDER_LINES.insert().inline())
#: A sale's cart, whose id the client chose, unless a cart has that id already: RETURNING says
#: whether it went in. (PostgreSQL's construct; SQLite's compiler writes the same clause.)
INSERT_CART_UNLESS_TAKEN = Statement(
    postgresql_insert(CARTS)
    .inline()
    .on_conflict_do_nothing(index_elements=["id"])
    .returning(CARTS.c.id)
)


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


def load_cart(connection: Connection, cart_id: str, lock: bool = False) -> Cart:
    """The cart with its items; ``lock`` holds its row lock until the transaction ends."""
    key = {"cart_id": cart_id}
    row = (CART_BY_ID_LOCKED if lock else CART_BY_ID).first(connection, key)
    if row is None:
        raise UnknownCart(cart_id)
    return cart_from_rows(row, ITEMS_OF_CART.rows(connection, key))


def load_orders(connection: Connection, rows: Iterable[Any]) -> list[Order]:
    """Orders with their lines, in the rows' order, in one query for all the lines."""
    rows = list(rows)
    lines: dict[str, list[OrderLine]] = {row.id: [] for row in rows}
    if rows:
        for x in LINES_OF_ORDERS.rows(connection, {"order_ids": list(lines)}):
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


class StoreRepository(SqlRepository):
    def _insert(self, table: Table) -> Any:
        """An INSERT that can say ON CONFLICT DO NOTHING, in the connection's SQL dialect.
        (Whether it inserted is read with RETURNING: portable, unlike rowcount.)"""
        dialect = self.connection.dialect.name
        return (postgresql_insert if dialect == "postgresql" else sqlite_insert)(table)

    # -- stores -------------------------------------------------------------------------------

    def add_store(self, store: Store) -> bool:
        """Insert the store; False (and nothing written) when the id is taken, even by a
        concurrent request that has not committed yet (it waits for it)."""
        inserted = self.connection.execute(
            self._insert(STORES)
            .values(id=store.id, name=store.name, created_at=store.created_at)
            .on_conflict_do_nothing(index_elements=["id"])
            .returning(STORES.c.id)
        ).first()
        return inserted is not None

    def store(self, store_id: str) -> Store:
        row = STORE_BY_ID.first(self.connection, {"store_id": store_id})
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
        rows = PRODUCTS_BY_SKU.rows(self.connection, {"store_id": store_id, "skus": list(skus)})
        return {row.sku: product_from_row(row) for row in rows}

    def put_product(self, store_id: str, product: Product, at: datetime) -> bool:
        """Create or update a catalog line; True when it was created."""
        values = {
            "name": product.name,
            "category": product.category,
            "price": product.price,
            "updated_at": at,
        }
        inserted = self.connection.execute(
            self._insert(PRODUCTS)
            .values(store_id=store_id, sku=product.sku, **values)
            .on_conflict_do_nothing(index_elements=["store_id", "sku"])
            .returning(PRODUCTS.c.sku)
        ).first()
        if inserted is not None:
            return True
        self.connection.execute(
            update(PRODUCTS)
            .where(PRODUCTS.c.store_id == store_id, PRODUCTS.c.sku == product.sku)
            .values(**values)
        )
        return False

    # -- carts --------------------------------------------------------------------------------

    def add_cart(self, cart: Cart, unless_taken: bool = False) -> bool:
        """Insert a new cart with its items (queued for the commit). ``unless_taken``: only
        if no cart has its id yet, even one not committed yet (this waits for it); the cart's
        row is written now, and False says nothing was (its items neither)."""
        cart_row = {
            "id": cart.id,
            "store_id": cart.store_id,
            "customer_ref": cart.customer_ref,
            "status": cart.status.value,
            "checkout_pending": cart.checkout_pending,
            "created_at": cart.created_at,
            "updated_at": cart.created_at,
        }
        item_rows = [
            {"cart_id": cart.id, "sku": i.sku, "quantity": i.quantity, "unit_price": i.unit_price}
            for i in cart.lines
        ]
        if unless_taken:
            if INSERT_CART_UNLESS_TAKEN.first(self.connection, cart_row) is None:
                return False
        else:
            self.write_at_commit(INSERT_CART, cart_row)
        if item_rows:
            self.write_at_commit(INSERT_ITEM, item_rows)
        return True

    def cart(self, cart_id: str) -> Cart:
        return load_cart(self.connection, cart_id)

    def lock_cart(self, cart_id: str) -> Cart:
        """Load the cart and hold its row lock until the transaction ends.

        Every change of a cart, the claim of a checkout included, takes this lock first, so one
        cart changes one request at a time while other carts proceed. (SQLite has no row
        locks; its ``BEGIN IMMEDIATE`` serializes writers instead.)
        """
        return load_cart(self.connection, cart_id, lock=True)

    def mark_checkout_under_way(self, cart_id: str) -> Cart | None:
        """Lock an open cart and mark a checkout of it under way, in one statement; None when
        the cart is not open (or not there).

        The mark freezes the items; the use case still asks the cart whether it may be
        checked out (`Cart.claim_checkout`), and if not, it does not commit and the mark is
        rolled back with the rest.
        """
        key = {"b_cart": cart_id, "b_now": utcnow()}
        marked = MARK_CHECKOUT_UNDER_WAY.send(self.connection, key)
        # Sent before the mark is read (in a pipeline: in the same round trip), run after it:
        # the items as they are once the mark has the row lock.
        items = ITEMS_OF_CART.send(self.connection, {"cart_id": cart_id})
        row, item_rows = marked.first(), items.rows()
        return None if row is None else cart_from_rows(row, item_rows)

    def save_item(self, cart: Cart, sku: str) -> None:
        """Write one item of a locked cart as the cart now has it (absent: removed)."""
        item = cart.items.get(sku)
        DELETE_ITEM.run(self.connection, {"b_cart": cart.id, "b_sku": sku})
        if item is not None:
            INSERT_ITEM.run(
                self.connection,
                {"cart_id": cart.id, "sku": sku, "quantity": item.quantity,
                 "unit_price": item.unit_price},
            )  # fmt: skip
        self.save_checkout_pending(cart)

    def save_checkout_pending(self, cart: Cart) -> None:
        """Write whether a checkout of the (locked) cart is under way, and that it changed."""
        TOUCH_CART.run(
            self.connection,
            {"b_cart": cart.id, "b_pending": cart.checkout_pending, "b_now": utcnow()},
        )

    def close_cart(self, cart_id: str, at: datetime) -> bool:
        """Mark the cart checked out at ``at``, if it is still open; False if it is not.

        A compare-and-set: of two checkouts of one cart recording their orders at once, the
        second waits for the first's row lock, then finds the cart closed.
        """
        closed = CLOSE_CART.first(
            self.connection, {"b_cart": cart_id, "b_at": at, "b_now": utcnow()}
        )
        return closed is not None

    # -- orders -------------------------------------------------------------------------------

    def add_order(self, order: Order) -> None:
        """Insert the order with its lines (queued for the commit); it is published (metrics)
        once committed."""
        self.write_at_commit(
            INSERT_ORDER,
            {"id": order.id, "store_id": order.store_id, "cart_id": order.cart_id,
             "status": order.status, "placed_at": order.placed_at},
        )  # fmt: skip
        self.write_at_commit(
            INSERT_LINE,
            [
                {"order_id": order.id, "sku": x.sku, "requested": x.requested,
                 "fulfilled": x.fulfilled, "unit_price": x.unit_price}
                for x in order.lines
            ],  # fmt: skip
        )
        self._events.append(OrderPlaced(order))

    def order_of_cart(self, cart_id: str) -> Order | None:
        row = ORDER_OF_CART.first(self.connection, {"cart_id": cart_id})
        return load_orders(self.connection, [row])[0] if row is not None else None
