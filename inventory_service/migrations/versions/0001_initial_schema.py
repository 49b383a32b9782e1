"""initial schema

Revision ID: 0001
Revises:
Create Date: 2026-11-26 12:46:20.870948
"""

from typing import Sequence, Union

import sqlalchemy as sa
from alembic import op

from servicekit.database import UTCDateTime

revision: str = "0001"
down_revision: Union[str, None] = None
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    op.create_table(
        "locations",
        sa.Column("id", sa.String(length=64), nullable=False),
        sa.Column("clock", UTCDateTime(), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_locations")),
    )
    op.create_table(
        "issues",
        sa.Column("location_id", sa.String(length=64), nullable=False),
        sa.Column("reference", sa.String(length=128), nullable=False),
        sa.Column("at", UTCDateTime(), nullable=False),
        sa.Column("lines", sa.JSON(), nullable=False),
        sa.Column("recorded_at", UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["location_id"], ["locations.id"], name=op.f("fk_issues_location_id_locations")
        ),
        sa.PrimaryKeyConstraint("location_id", "reference", name=op.f("pk_issues")),
    )
    op.create_table(
        "stock_items",
        sa.Column("location_id", sa.String(length=64), nullable=False),
        sa.Column("sku", sa.String(length=64), nullable=False),
        sa.Column("on_hand", sa.Integer(), nullable=False),
        sa.Column("on_order", sa.Integer(), nullable=False),
        sa.Column("lead_time_minutes", sa.Integer(), nullable=False),
        sa.Column("policy_type", sa.String(length=16), nullable=False),
        sa.Column("reorder_point", sa.Integer(), nullable=True),
        sa.Column("order_quantity", sa.Integer(), nullable=True),
        sa.Column("order_up_to", sa.Integer(), nullable=True),
        sa.Column("review_period_minutes", sa.Integer(), nullable=True),
        sa.Column("next_review_at", UTCDateTime(), nullable=True),
        sa.Column("updated_at", UTCDateTime(), nullable=False),
        sa.CheckConstraint("on_hand >= 0", name=op.f("ck_stock_items_on_hand_not_negative")),
        sa.CheckConstraint("on_order >= 0", name=op.f("ck_stock_items_on_order_not_negative")),
        sa.ForeignKeyConstraint(
            ["location_id"], ["locations.id"], name=op.f("fk_stock_items_location_id_locations")
        ),
        sa.PrimaryKeyConstraint("location_id", "sku", name=op.f("pk_stock_items")),
    )
    with op.batch_alter_table("stock_items", schema=None) as batch_op:
        batch_op.create_index(
            "ix_stock_items_location_next_review", ["location_id", "next_review_at"], unique=False
        )

    op.create_table(
        "purchase_orders",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("location_id", sa.String(length=64), nullable=False),
        sa.Column("sku", sa.String(length=64), nullable=False),
        sa.Column("quantity", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("reason", sa.String(length=32), nullable=False),
        sa.Column("placed_at", UTCDateTime(), nullable=False),
        sa.Column("due_at", UTCDateTime(), nullable=False),
        sa.Column("received_at", UTCDateTime(), nullable=True),
        sa.CheckConstraint("quantity > 0", name=op.f("ck_purchase_orders_quantity_positive")),
        sa.ForeignKeyConstraint(
            ["location_id", "sku"],
            ["stock_items.location_id", "stock_items.sku"],
            name=op.f("fk_purchase_orders_location_id_sku_stock_items"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_purchase_orders")),
    )
    with op.batch_alter_table("purchase_orders", schema=None) as batch_op:
        batch_op.create_index(
            "ix_purchase_orders_location_placed", ["location_id", "placed_at", "id"], unique=False
        )
        batch_op.create_index(
            "ix_purchase_orders_location_status_due",
            ["location_id", "status", "due_at"],
            unique=False,
        )

    op.create_table(
        "movements",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("location_id", sa.String(length=64), nullable=False),
        sa.Column("sku", sa.String(length=64), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("quantity", sa.Integer(), nullable=False),
        sa.Column("on_hand_after", sa.Integer(), nullable=False),
        sa.Column("at", UTCDateTime(), nullable=False),
        sa.Column("reference", sa.String(length=128), nullable=False),
        sa.Column("purchase_order_id", sa.BigInteger(), nullable=True),
        sa.Column("recorded_at", UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["location_id", "sku"],
            ["stock_items.location_id", "stock_items.sku"],
            name=op.f("fk_movements_location_id_sku_stock_items"),
        ),
        sa.ForeignKeyConstraint(
            ["purchase_order_id"],
            ["purchase_orders.id"],
            name=op.f("fk_movements_purchase_order_id_purchase_orders"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_movements")),
    )
    with op.batch_alter_table("movements", schema=None) as batch_op:
        batch_op.create_index("ix_movements_location_at", ["location_id", "at", "id"], unique=False)
        batch_op.create_index(
            "ix_movements_location_sku_at", ["location_id", "sku", "at", "id"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("movements", schema=None) as batch_op:
        batch_op.drop_index("ix_movements_location_sku_at")
        batch_op.drop_index("ix_movements_location_at")

    op.drop_table("movements")
    with op.batch_alter_table("purchase_orders", schema=None) as batch_op:
        batch_op.drop_index("ix_purchase_orders_location_status_due")
        batch_op.drop_index("ix_purchase_orders_location_placed")

    op.drop_table("purchase_orders")
    with op.batch_alter_table("stock_items", schema=None) as batch_op:
        batch_op.drop_index("ix_stock_items_location_next_review")

    op.drop_table("stock_items")
    op.drop_table("issues")
    op.drop_table("locations")
