"""replications and KPI columns: a run is N replications; KPIs are columns, per run, SKU, day

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-27

Before: one row per run with its KPIs in a JSON summary, and daily rows with the old
vocabulary ("demanded", "fill rate" = sold / put in carts, "shelf fill rate" = sold / wanted).
After: ``runs`` (a scenario run N times), ``replications`` (one store each), ``sku_results``
and ``daily_results``, with one typed column per KPI. Existing runs are kept as runs of one
replication: every KPI the old summary allows is converted (the old shelf fill rate is the
new fill rate; the old fill rate the checkout fill rate); the ones it cannot give (cycle
service level, out of stock in opening time, values at cost, costs) stay empty.
"""

import json
from datetime import datetime
from typing import Any, Sequence, Union

import sqlalchemy as sa
from alembic import op

from servicekit.database import UTCDateTime

revision: str = "0002"
down_revision: Union[str, None] = "0001"
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None

DEMAND = [
    ("units_wanted", sa.BigInteger()),
    ("units_sold", sa.BigInteger()),
    ("units_lost_not_on_shelf", sa.BigInteger()),
    ("units_lost_at_checkout", sa.BigInteger()),
    ("units_lost", sa.BigInteger()),
    ("fill_rate", sa.Float()),
    ("checkout_fill_rate", sa.Float()),
]
VISITS = [("arrivals", sa.BigInteger()), ("buyers", sa.BigInteger()), ("orders", sa.BigInteger())]
COSTS = [
    ("holding_cost", sa.Float()),
    ("ordering_cost", sa.Float()),
    ("lost_sales_cost", sa.Float()),
    ("total_cost", sa.Float()),
]
RUN_KPIS = [
    *VISITS,
    *DEMAND,
    ("cycle_service_level", sa.Float()),
    ("replenishment_cycles", sa.BigInteger()),
    ("out_of_stock_open", sa.Float()),
    ("average_inventory_value", sa.Float()),
    ("purchase_orders", sa.BigInteger()),
    ("revenue", sa.Float()),
    *COSTS,
]
SKU_KPIS = [
    *DEMAND,
    ("cycle_service_level", sa.Float()),
    ("replenishment_cycles", sa.BigInteger()),
    ("out_of_stock_open", sa.Float()),
    ("average_on_hand", sa.Float()),
    ("average_inventory_value", sa.Float()),
    ("final_on_hand", sa.BigInteger()),
    ("purchase_orders", sa.BigInteger()),
    ("units_ordered", sa.BigInteger()),
    ("revenue", sa.Float()),
    *COSTS,
]
DAY_KPIS = [*VISITS, *DEMAND, ("revenue", sa.Float())]


def columns(kpis: list[tuple[str, sa.types.TypeEngine]]) -> list[sa.Column]:
    return [sa.Column(name, kind, nullable=True) for name, kind in kpis]


OLD_RUNS = sa.table(
    "runs",
    *(sa.column(name) for name in ("id", "scenario", "scenario_file", "seed", "days")),
    *(sa.column(name) for name in ("store_id", "status", "output_dir", "error")),
    sa.column("started_at", UTCDateTime()),
    sa.column("finished_at", UTCDateTime()),
    sa.column("summary", sa.JSON()),
)
OLD_DAYS = sa.table(
    "daily_results",
    *(sa.column(name) for name in ("run_id", "day", "arrivals", "buyers", "revenue")),
    *(sa.column(name) for name in ("units_demanded", "units_sold", "units_lost")),
    *(sa.column(name) for name in ("units_not_found", "fill_rate", "shelf_fill_rate")),
)


def demand(old: dict[str, Any]) -> dict[str, Any]:
    """The new demand KPIs from an old row (of a run, a SKU or a day)."""
    carts, not_found = old.get("units_demanded"), old.get("units_not_found")
    sold, at_checkout = old.get("units_sold"), old.get("units_lost")
    known = None not in (carts, not_found, sold, at_checkout)
    wanted = carts + not_found if known else None
    return {
        "units_wanted": wanted,
        "units_sold": sold,
        "units_lost_not_on_shelf": not_found,
        "units_lost_at_checkout": at_checkout,
        "units_lost": not_found + at_checkout if known else None,
        "fill_rate": round(sold / wanted, 4) if known and wanted else None,
        "checkout_fill_rate": round(sold / carts, 4) if known and carts else None,
        "revenue": old.get("revenue"),
    }


def upgrade() -> None:
    connection = op.get_bind()
    old_runs = [dict(row) for row in connection.execute(sa.select(OLD_RUNS)).mappings()]
    old_days = [dict(row) for row in connection.execute(sa.select(OLD_DAYS)).mappings()]
    op.drop_table("daily_results")
    op.drop_index(op.f("ix_runs_scenario"), table_name="runs")
    op.drop_table("runs")

    runs = op.create_table(
        "runs",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("key", sa.String(length=64), nullable=False),
        sa.Column("scenario", sa.String(length=64), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("scenario_file", sa.String(length=500), nullable=False),
        sa.Column("seed", sa.BigInteger(), nullable=False),
        sa.Column("days", sa.Integer(), nullable=False),
        sa.Column("start", UTCDateTime(), nullable=True),
        sa.Column("replications", sa.Integer(), nullable=False),
        sa.Column("comparison", sa.String(length=64), nullable=True),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("started_at", UTCDateTime(), nullable=False),
        sa.Column("finished_at", UTCDateTime(), nullable=True),
        sa.Column("output_dir", sa.String(length=500), nullable=True),
        sa.Column("error", sa.Text(), nullable=True),
        sa.Column("scenario_json", sa.JSON(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_runs")),
        sa.UniqueConstraint("key", name=op.f("uq_runs_key")),
    )
    op.create_index(op.f("ix_runs_scenario"), "runs", ["scenario"], unique=False)
    op.create_index(op.f("ix_runs_comparison"), "runs", ["comparison"], unique=False)
    replications = op.create_table(
        "replications",
        sa.Column("run_id", sa.Integer(), nullable=False),
        sa.Column("number", sa.Integer(), nullable=False),
        sa.Column("seed", sa.BigInteger(), nullable=False),
        sa.Column("store_id", sa.String(length=64), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("error", sa.Text(), nullable=True),
        sa.Column("reconciled", sa.Boolean(), nullable=False),
        sa.Column("performance", sa.JSON(), nullable=True),
        *columns(RUN_KPIS),
        sa.ForeignKeyConstraint(["run_id"], ["runs.id"], name=op.f("fk_replications_run_id_runs")),
        sa.PrimaryKeyConstraint("run_id", "number", name=op.f("pk_replications")),
        sa.UniqueConstraint("store_id", name=op.f("uq_replications_store_id")),
    )
    sku_results = op.create_table(
        "sku_results",
        sa.Column("run_id", sa.Integer(), nullable=False),
        sa.Column("number", sa.Integer(), nullable=False),
        sa.Column("sku", sa.String(length=64), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("policy", sa.String(length=16), nullable=False),
        *columns(SKU_KPIS),
        sa.ForeignKeyConstraint(
            ["run_id", "number"],
            ["replications.run_id", "replications.number"],
            name=op.f("fk_sku_results_run_id_replications"),
        ),
        sa.PrimaryKeyConstraint("run_id", "number", "sku", name=op.f("pk_sku_results")),
    )
    daily_results = op.create_table(
        "daily_results",
        sa.Column("run_id", sa.Integer(), nullable=False),
        sa.Column("number", sa.Integer(), nullable=False),
        sa.Column("day", sa.String(length=10), nullable=False),
        *columns(DAY_KPIS),
        sa.ForeignKeyConstraint(
            ["run_id", "number"],
            ["replications.run_id", "replications.number"],
            name=op.f("fk_daily_results_run_id_replications"),
        ),
        sa.PrimaryKeyConstraint("run_id", "number", "day", name=op.f("pk_daily_results")),
    )
    convert(connection, old_runs, old_days, runs, replications, sku_results, daily_results)


def convert(
    connection: Any,
    old_runs: list[dict[str, Any]],
    old_days: list[dict[str, Any]],
    runs: sa.Table,
    replications: sa.Table,
    sku_results: sa.Table,
    daily_results: sa.Table,
) -> None:
    """Every old run becomes a run of one replication, its store that replication's."""
    new_runs, new_replications, new_skus = [], [], []
    for old in old_runs:
        summary = old["summary"]
        if isinstance(summary, str):
            summary = json.loads(summary)
        summary = summary or {}
        start = summary.get("start")
        new_runs.append(
            {
                "id": old["id"],
                "key": old["store_id"],
                "scenario": old["scenario"],
                "description": summary.get("description") or "",
                "scenario_file": old["scenario_file"],
                "seed": old["seed"],
                "days": old["days"],
                "start": datetime.fromisoformat(start) if start else None,
                "replications": 1,
                "comparison": None,
                "status": old["status"],
                "started_at": old["started_at"],
                "finished_at": old["finished_at"],
                "output_dir": old["output_dir"],
                "error": old["error"],
                "scenario_json": None,
            }
        )
        kpis = summary.get("kpis") or {}
        new_replications.append(
            {
                **{name: None for name, _ in RUN_KPIS},
                "run_id": old["id"],
                "number": 1,
                "seed": old["seed"],
                "store_id": old["store_id"],
                "status": old["status"] if old["status"] != "running" else "failed",
                "error": old["error"],
                "reconciled": bool((summary.get("checks") or {}).get("reconciliation_balanced")),
                "performance": summary.get("performance"),
                **{key: kpis.get(key) for key in ("arrivals", "buyers", "orders")},
                **(demand(kpis) if kpis else {}),
                "purchase_orders": kpis.get("purchase_orders"),
            }
        )
        for position, sku in enumerate(summary.get("skus") or []):
            new_skus.append(
                {
                    **{name: None for name, _ in SKU_KPIS},
                    "run_id": old["id"],
                    "number": 1,
                    "sku": sku["sku"],
                    "position": position,
                    "policy": (sku.get("policy") or {}).get("type", "none"),
                    **demand(sku),
                    **{
                        key: sku.get(key)
                        for key in (
                            "average_on_hand",
                            "final_on_hand",
                            "purchase_orders",
                            "units_ordered",
                        )
                    },
                }
            )
    new_days = [
        {
            "run_id": day["run_id"],
            "number": 1,
            "day": day["day"],
            "arrivals": day["arrivals"],
            "buyers": day["buyers"],
            "orders": None,
            **demand(day),
        }
        for day in old_days
    ]
    for table, rows in (
        (runs, new_runs),
        (replications, new_replications),
        (sku_results, new_skus),
        (daily_results, new_days),
    ):
        if rows:
            op.bulk_insert(table, rows)
    if new_runs and connection.dialect.name == "postgresql":  # ids were given: move the serial on
        connection.execute(
            sa.text(
                "SELECT setval(pg_get_serial_sequence('runs', 'id'), (SELECT max(id) FROM runs))"
            )
        )


def downgrade() -> None:
    raise NotImplementedError("runs of several replications have no single-run form")
