"""single runs: the schema the simulator created with create_all before migrations existed

Revision ID: 0001
Revises:
Create Date: 2026-11-27

A run database made by that code has these two tables and no ``alembic_version``;
`RunDatabase` stamps it with this revision and upgrades it from here.
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
        "runs",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("scenario", sa.String(length=64), nullable=False),
        sa.Column("scenario_file", sa.String(length=500), nullable=False),
        sa.Column("seed", sa.BigInteger(), nullable=False),
        sa.Column("days", sa.Integer(), nullable=False),
        sa.Column("store_id", sa.String(length=64), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("started_at", UTCDateTime(), nullable=False),
        sa.Column("finished_at", UTCDateTime(), nullable=True),
        sa.Column("output_dir", sa.String(length=500), nullable=True),
        sa.Column("error", sa.Text(), nullable=True),
        sa.Column("summary", sa.JSON(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_runs")),
        sa.UniqueConstraint("store_id", name=op.f("uq_runs_store_id")),
    )
    op.create_index(op.f("ix_runs_scenario"), "runs", ["scenario"], unique=False)
    op.create_table(
        "daily_results",
        sa.Column("run_id", sa.Integer(), nullable=False),
        sa.Column("day", sa.String(length=10), nullable=False),
        sa.Column("arrivals", sa.Integer(), nullable=False),
        sa.Column("buyers", sa.Integer(), nullable=False),
        sa.Column("units_demanded", sa.Integer(), nullable=False),
        sa.Column("units_sold", sa.Integer(), nullable=False),
        sa.Column("units_lost", sa.Integer(), nullable=False),
        sa.Column("revenue", sa.Float(), nullable=False),
        sa.Column("fill_rate", sa.Float(), nullable=True),
        sa.Column("units_not_found", sa.Integer(), nullable=False),
        sa.Column("shelf_fill_rate", sa.Float(), nullable=True),
        sa.ForeignKeyConstraint(["run_id"], ["runs.id"], name=op.f("fk_daily_results_run_id_runs")),
        sa.PrimaryKeyConstraint("run_id", "day", name=op.f("pk_daily_results")),
    )


def downgrade() -> None:
    op.drop_table("daily_results")
    op.drop_index(op.f("ix_runs_scenario"), table_name="runs")
    op.drop_table("runs")
