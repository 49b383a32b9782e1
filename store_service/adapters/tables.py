"""SQLModel table models: the persistence shape, separate from the domain and the API schemas.

The schema is created only by the Alembic migrations in ``store_service/migrations``. Money
is NUMERIC(12,2): exact on PostgreSQL, so sums in SQL (daily revenue) are exact too.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from sqlalchemy import Boolean, CheckConstraint, Index, MetaData, Numeric, UniqueConstraint
from sqlmodel import Field, SQLModel

from servicekit.database import NAMING_CONVENTION, UTCDateTime

Money = Numeric(12, 2)


class StoreTable(SQLModel):
    """Base of this service's tables: their own metadata, apart from other services'."""

    metadata = MetaData(naming_convention=NAMING_CONVENTION)


class StoreRow(StoreTable, table=True):
    __tablename__ = "stores"

    id: str = Field(primary_key=True, max_length=64)
    name: str = Field(max_length=200)
    created_at: datetime = Field(sa_type=UTCDateTime)


class ProductRow(StoreTable, table=True):
    __tablename__ = "products"
    __table_args__ = (
        CheckConstraint("price >= 0", name="price_not_negative"),
        Index("ix_products_store_category", "store_id", "category", "sku"),
    )

    store_id: str = Field(primary_key=True, foreign_key="stores.id", max_length=64)
    sku: str = Field(primary_key=True, max_length=64)
    name: str = Field(max_length=200)
    category: str = Field(max_length=64)
    price: Decimal = Field(sa_type=Money)
    updated_at: datetime = Field(sa_type=UTCDateTime)


class CartRow(StoreTable, table=True):
    __tablename__ = "carts"
    __table_args__ = (Index("ix_carts_store_created", "store_id", "created_at"),)

    id: str = Field(primary_key=True, max_length=64)
    store_id: str = Field(foreign_key="stores.id", max_length=64)
    customer_ref: str | None = Field(default=None, max_length=128)
    status: str = Field(max_length=16)
    checkout_pending: bool = Field(
        default=False,
        sa_type=Boolean,
        description="a checkout may have reached the inventory: items are frozen",
    )
    created_at: datetime = Field(sa_type=UTCDateTime)
    updated_at: datetime = Field(sa_type=UTCDateTime)
    checked_out_at: datetime | None = Field(default=None, sa_type=UTCDateTime)


class CartItemRow(StoreTable, table=True):
    __tablename__ = "cart_items"
    __table_args__ = (CheckConstraint("quantity > 0", name="quantity_positive"),)

    cart_id: str = Field(primary_key=True, foreign_key="carts.id", max_length=64)
    sku: str = Field(primary_key=True, max_length=64)
    quantity: int
    unit_price: Decimal = Field(sa_type=Money)


class OrderRow(StoreTable, table=True):
    __tablename__ = "orders"
    __table_args__ = (
        UniqueConstraint("cart_id"),  # a cart is checked out once, even under a race
        Index("ix_orders_store_placed", "store_id", "placed_at", "id"),
    )

    id: str = Field(primary_key=True, max_length=64)
    store_id: str = Field(foreign_key="stores.id", max_length=64)
    cart_id: str = Field(foreign_key="carts.id", max_length=64)
    status: str = Field(max_length=16)
    placed_at: datetime = Field(sa_type=UTCDateTime)


class OrderLineRow(StoreTable, table=True):
    __tablename__ = "order_lines"
    __table_args__ = (
        CheckConstraint("requested > 0", name="requested_positive"),
        CheckConstraint("fulfilled >= 0 AND fulfilled <= requested", name="fulfilled_in_range"),
    )

    order_id: str = Field(primary_key=True, foreign_key="orders.id", max_length=64)
    sku: str = Field(primary_key=True, max_length=64)
    requested: int
    fulfilled: int
    unit_price: Decimal = Field(sa_type=Money)
