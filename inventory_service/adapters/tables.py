"""SQLModel table models: the persistence shape, separate from the domain and the API schemas.

The schema is created only by the Alembic migrations in ``inventory_service/migrations``.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import (
    JSON,
    BigInteger,
    CheckConstraint,
    ForeignKeyConstraint,
    Index,
    Integer,
    MetaData,
)
from sqlmodel import Field, SQLModel

from servicekit.database import NAMING_CONVENTION, UTCDateTime

#: Auto-incrementing 64-bit ids; SQLite only auto-increments an INTEGER PRIMARY KEY.
BigId = BigInteger().with_variant(Integer(), "sqlite")


class InventoryTable(SQLModel):
    """Base of this service's tables: their own metadata, apart from other services'."""

    metadata = MetaData(naming_convention=NAMING_CONVENTION)


class LocationRow(InventoryTable, table=True):
    __tablename__ = "locations"

    id: str = Field(primary_key=True, max_length=64)
    clock: datetime = Field(sa_type=UTCDateTime, description="time of the latest event")
    created_at: datetime = Field(sa_type=UTCDateTime)


class StockItemRow(InventoryTable, table=True):
    __tablename__ = "stock_items"
    __table_args__ = (
        CheckConstraint("on_hand >= 0", name="on_hand_not_negative"),
        CheckConstraint("on_order >= 0", name="on_order_not_negative"),
        Index("ix_stock_items_location_next_review", "location_id", "next_review_at"),
    )

    location_id: str = Field(primary_key=True, foreign_key="locations.id", max_length=64)
    sku: str = Field(primary_key=True, max_length=64)
    on_hand: int
    on_order: int
    lead_time_minutes: int
    policy_type: str = Field(max_length=16)
    reorder_point: int | None = None
    order_quantity: int | None = None
    order_up_to: int | None = None
    review_period_minutes: int | None = None
    next_review_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    updated_at: datetime = Field(sa_type=UTCDateTime)


class MovementRow(InventoryTable, table=True):
    __tablename__ = "movements"
    __table_args__ = (
        ForeignKeyConstraint(
            ["location_id", "sku"], ["stock_items.location_id", "stock_items.sku"]
        ),
        Index("ix_movements_location_at", "location_id", "at", "id"),
        Index("ix_movements_location_sku_at", "location_id", "sku", "at", "id"),
    )

    id: int | None = Field(default=None, primary_key=True, sa_type=BigId)
    location_id: str = Field(max_length=64)
    sku: str = Field(max_length=64)
    kind: str = Field(max_length=16)
    quantity: int
    on_hand_after: int
    at: datetime = Field(sa_type=UTCDateTime)
    reference: str = Field(max_length=128)
    purchase_order_id: int | None = Field(
        default=None, foreign_key="purchase_orders.id", sa_type=BigInteger
    )
    recorded_at: datetime = Field(sa_type=UTCDateTime)


class PurchaseOrderRow(InventoryTable, table=True):
    __tablename__ = "purchase_orders"
    __table_args__ = (
        ForeignKeyConstraint(
            ["location_id", "sku"], ["stock_items.location_id", "stock_items.sku"]
        ),
        CheckConstraint("quantity > 0", name="quantity_positive"),
        Index("ix_purchase_orders_location_status_due", "location_id", "status", "due_at"),
        Index("ix_purchase_orders_location_placed", "location_id", "placed_at", "id"),
    )

    id: int | None = Field(default=None, primary_key=True, sa_type=BigId)
    location_id: str = Field(max_length=64)
    sku: str = Field(max_length=64)
    quantity: int
    status: str = Field(max_length=16)
    reason: str = Field(max_length=32)
    placed_at: datetime = Field(sa_type=UTCDateTime)
    due_at: datetime = Field(sa_type=UTCDateTime)
    received_at: datetime | None = Field(default=None, sa_type=UTCDateTime)


class IssueRow(InventoryTable, table=True):
    """The first result of every issue request, kept so that a repeat returns it."""

    __tablename__ = "issues"

    location_id: str = Field(primary_key=True, foreign_key="locations.id", max_length=64)
    reference: str = Field(primary_key=True, max_length=128)
    at: datetime = Field(sa_type=UTCDateTime)
    lines: list[dict] = Field(sa_type=JSON)
    recorded_at: datetime = Field(sa_type=UTCDateTime)
