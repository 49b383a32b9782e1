"""The run database: every run's identity and status, and each replication's KPIs.

It is the simulator's own results store (SQLite by default, PostgreSQL in the cluster via
``SIM_DATABASE_URL``). Its KPI columns are the KPI set's (`KpiSet`), one column per KPI, in
three tables: ``replications`` (the store as a whole), ``sku_results`` and
``daily_results``; analysts can query them in plain SQL. The schema is versioned with Alembic
(``customer_sim/migrations``) and brought up to date whenever a simulator opens the
database, under a lock so that two simulators starting together do not both migrate; a
database from before the migrations existed is recognised and converted, its runs kept.
A KPI added to `KpiSet` needs a migration adding its column (a test compares the two).
"""

from __future__ import annotations

import json
from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from statistics import fmean
from typing import Any, Sequence

from alembic import command
from alembic.config import Config
from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Column,
    Connection,
    Float,
    ForeignKeyConstraint,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    inspect,
    select,
    text,
)

from customer_sim.simulation.kpis import Kind, KpiSet, Scope, kpis_of
from customer_sim.simulation.recording import RunPlan
from customer_sim.simulation.replications import ReplicatedRun, RunInfo, SkuInfo
from customer_sim.simulation.results import ReplicationKpis
from servicekit.database import NAMING_CONVENTION, UTCDateTime, for_writing, make_engine

MIGRATIONS = Path(__file__).resolve().parent.parent / "migrations"
FIRST_REVISION = "0001"  # the tables as create_all made them, before there were migrations
MIGRATION_LOCK = 0x53494D5F52554E53  # pg_advisory_lock key: "SIM_RUNS"

METADATA = MetaData(naming_convention=NAMING_CONVENTION)


def kpi_columns(scope: Scope) -> list[Column]:
    """One nullable column per KPI of ``scope``: counts as integers, the rest as floats."""
    return [
        Column(kpi.key, BigInteger if kpi.kind is Kind.COUNT else Float, nullable=True)
        for kpi in kpis_of(scope)
    ]


RUNS = Table(
    "runs",
    METADATA,
    Column("id", Integer, primary_key=True),
    Column("key", String(64), nullable=False, unique=True),
    Column("scenario", String(64), nullable=False, index=True),
    Column("description", Text, nullable=False),
    Column("scenario_file", String(500), nullable=False),
    Column("seed", BigInteger, nullable=False),
    Column("days", Integer, nullable=False),
    Column("start", UTCDateTime, nullable=True),
    Column("replications", Integer, nullable=False),
    Column("comparison", String(64), nullable=True, index=True),
    Column("status", String(16), nullable=False),
    Column("started_at", UTCDateTime, nullable=False),
    Column("finished_at", UTCDateTime, nullable=True),
    Column("output_dir", String(500), nullable=True),
    Column("error", Text, nullable=True),
    Column("scenario_json", JSON, nullable=True),
)

REPLICATIONS = Table(
    "replications",
    METADATA,
    Column("run_id", Integer, primary_key=True),
    Column("number", Integer, primary_key=True),
    Column("seed", BigInteger, nullable=False),
    Column("store_id", String(64), nullable=False, unique=True),
    Column("status", String(16), nullable=False),
    Column("error", Text, nullable=True),
    Column("reconciled", Boolean, nullable=False),
    Column("performance", JSON, nullable=True),
    *kpi_columns(Scope.RUN),
    ForeignKeyConstraint(["run_id"], ["runs.id"]),
)

SKU_RESULTS = Table(
    "sku_results",
    METADATA,
    Column("run_id", Integer, primary_key=True),
    Column("number", Integer, primary_key=True),
    Column("sku", String(64), primary_key=True),
    Column("position", Integer, nullable=False),
    Column("policy", String(16), nullable=False),
    *kpi_columns(Scope.SKU),
    ForeignKeyConstraint(["run_id", "number"], ["replications.run_id", "replications.number"]),
)

DAILY_RESULTS = Table(
    "daily_results",
    METADATA,
    Column("run_id", Integer, primary_key=True),
    Column("number", Integer, primary_key=True),
    Column("day", String(10), primary_key=True),
    *kpi_columns(Scope.DAY),
    ForeignKeyConstraint(["run_id", "number"], ["replications.run_id", "replications.number"]),
)


@dataclass(frozen=True)
class RunRecord:
    id: int
    key: str
    scenario: str
    description: str
    scenario_file: str
    seed: int
    days: int
    start: datetime | None  # None for a run converted from before it was recorded
    replications: int
    comparison: str | None
    status: str
    started_at: datetime
    finished_at: datetime | None
    output_dir: str | None
    error: str | None
    store_ids: list[str]
    fill_rate: float | None  # the mean over the replications, for listings


def migrate(connection: Connection) -> None:
    """Bring the schema on ``connection`` to the newest revision (see the module's doc)."""
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.attributes["connection"] = connection
    tables = inspect(connection).get_table_names()
    if "runs" in tables and "alembic_version" not in tables:
        command.stamp(config, FIRST_REVISION)
    command.upgrade(config, "head")


class RunDatabase:
    def __init__(self, url: str) -> None:
        self.engine = make_engine(url, pool_size=2)
        self._writer = for_writing(self.engine)
        postgres = self.engine.dialect.name == "postgresql"
        with self._writer.connect() as connection:
            if postgres:  # one simulator migrates at a time; the others then find it done
                connection.execute(text("SELECT pg_advisory_lock(:key)"), {"key": MIGRATION_LOCK})
            try:
                migrate(connection)
                connection.commit()
            finally:
                if postgres:
                    connection.execute(
                        text("SELECT pg_advisory_unlock(:key)"), {"key": MIGRATION_LOCK}
                    )
                    connection.commit()

    def close(self) -> None:
        self.engine.dispose()

    # -- writing (the `RunLog` port of `simulation.recording`) ----------------------------------

    def start_run(self, plan: RunPlan) -> int:
        """Record a run as ``running`` before it touches the services."""
        scenario = plan.scenario
        with self._writer.begin() as connection:
            result = connection.execute(
                RUNS.insert().values(
                    key=plan.key,
                    scenario=scenario.name,
                    description=scenario.description,
                    scenario_file=plan.scenario_file,
                    seed=scenario.seed,
                    days=scenario.days,
                    start=scenario.start,
                    replications=plan.replications,
                    comparison=plan.comparison,
                    status="running",
                    started_at=datetime.now(timezone.utc),
                    output_dir=str(plan.output_dir),
                    scenario_json=scenario.model_dump(mode="json"),
                )
            )
            return int(result.inserted_primary_key[0])

    def record_replication(
        self,
        run_id: int,
        replication: ReplicationKpis,
        skus: Sequence[SkuInfo],
        error: str | None,
    ) -> None:
        """One finished replication: its KPIs overall, per SKU (``skus``: the scenario's, in
        its order, with their policies) and per day."""
        key = {"run_id": run_id, "number": replication.number}
        with self._writer.begin() as connection:
            connection.execute(
                REPLICATIONS.insert().values(
                    **key,
                    seed=replication.seed,
                    store_id=replication.store_id,
                    status="failed" if error else "succeeded",
                    error=error,
                    reconciled=replication.reconciled,
                    performance=_json_safe(replication.performance),
                    **replication.run.as_dict(Scope.RUN),
                )
            )
            connection.execute(
                SKU_RESULTS.insert(),
                [
                    {**key, "sku": sku.sku, "position": position, "policy": sku.policy,
                     **replication.skus[sku.sku].as_dict(Scope.SKU)}  # fmt: skip
                    for position, sku in enumerate(skus)
                ],
            )
            if replication.days:
                connection.execute(
                    DAILY_RESULTS.insert(),
                    [
                        {**key, "day": day, **values.as_dict(Scope.DAY)}
                        for day, values in replication.days
                    ],
                )

    def finish_run(self, run_id: int, status: str, error: str | None = None) -> None:
        with self._writer.begin() as connection:
            updated = connection.execute(
                RUNS.update()
                .where(RUNS.c.id == run_id)
                .values(status=status, error=error, finished_at=datetime.now(timezone.utc))
            )
            if updated.rowcount != 1:
                raise LookupError(f"no run {run_id}")

    # -- reading --------------------------------------------------------------------------------

    def list_runs(self, limit: int = 50) -> list[RunRecord]:
        with self.engine.connect() as connection:
            rows = connection.execute(select(RUNS).order_by(RUNS.c.id.desc()).limit(limit)).all()
            return _records(connection, rows)

    def get_run(self, reference: str) -> RunRecord | None:
        """A run by its number, its key, or the store id of one of its replications."""
        with self.engine.connect() as connection:
            if reference.isdigit():
                query = select(RUNS).where(RUNS.c.id == int(reference))
            else:
                owner = select(REPLICATIONS.c.run_id).where(REPLICATIONS.c.store_id == reference)
                query = select(RUNS).where((RUNS.c.key == reference) | RUNS.c.id.in_(owner))
            rows = connection.execute(query.limit(1)).all()
            return _records(connection, rows)[0] if rows else None

    def replicated_run(self, run: RunRecord) -> ReplicatedRun:
        """The run's recorded replications, as its reports were drawn from them."""
        with self.engine.connect() as connection:
            replications = connection.execute(
                select(REPLICATIONS)
                .where(REPLICATIONS.c.run_id == run.id)
                .order_by(REPLICATIONS.c.number)
            ).all()
            skus = connection.execute(
                select(SKU_RESULTS)
                .where(SKU_RESULTS.c.run_id == run.id)
                .order_by(SKU_RESULTS.c.number, SKU_RESULTS.c.position)
            ).all()
            days = connection.execute(
                select(DAILY_RESULTS)
                .where(DAILY_RESULTS.c.run_id == run.id)
                .order_by(DAILY_RESULTS.c.number, DAILY_RESULTS.c.day)
            ).all()
        policies: dict[str, str] = {}
        skus_of: dict[int, dict[str, KpiSet]] = defaultdict(dict)
        for row in skus:
            policies.setdefault(row.sku, row.policy)
            skus_of[row.number][row.sku] = _kpis(row)
        days_of: dict[int, list[tuple[str, KpiSet]]] = defaultdict(list)
        for row in days:
            days_of[row.number].append((row.day, _kpis(row)))
        info = RunInfo(
            scenario=run.scenario,
            description=run.description,
            seed=run.seed,
            days=run.days,
            start=run.start,
            skus=[SkuInfo(sku, policy) for sku, policy in policies.items()],
        )
        recorded = [
            ReplicationKpis(
                number=row.number,
                seed=row.seed,
                store_id=row.store_id,
                run=_kpis(row),
                skus=skus_of[row.number],
                days=days_of[row.number],
                reconciled=row.reconciled,
                performance=row.performance or {},
            )
            for row in replications
        ]
        return ReplicatedRun(info, recorded)


def _records(connection: Connection, rows: Sequence[Any]) -> list[RunRecord]:
    """Records of ``rows`` of RUNS, with their replications' stores and mean fill rate (one
    query for all of them)."""
    stores: dict[int, list[str]] = defaultdict(list)
    rates: dict[int, list[float]] = defaultdict(list)
    if rows:
        replications = connection.execute(
            select(REPLICATIONS.c.run_id, REPLICATIONS.c.store_id, REPLICATIONS.c.fill_rate)
            .where(REPLICATIONS.c.run_id.in_([row.id for row in rows]))
            .order_by(REPLICATIONS.c.run_id, REPLICATIONS.c.number)
        ).all()
        for replication in replications:
            stores[replication.run_id].append(replication.store_id)
            if replication.fill_rate is not None:
                rates[replication.run_id].append(replication.fill_rate)
    return [
        RunRecord(
            id=row.id,
            key=row.key,
            scenario=row.scenario,
            description=row.description,
            scenario_file=row.scenario_file,
            seed=row.seed,
            days=row.days,
            start=row.start,
            replications=row.replications,
            comparison=row.comparison,
            status=row.status,
            started_at=row.started_at,
            finished_at=row.finished_at,
            output_dir=row.output_dir,
            error=row.error,
            store_ids=stores[row.id],
            fill_rate=fmean(rates[row.id]) if rates[row.id] else None,
        )
        for row in rows
    ]


def _kpis(row: Any) -> KpiSet:
    return KpiSet.from_dict(dict(row._mapping))


def _json_safe(value: Any) -> Any:
    return json.loads(json.dumps(value, default=str))
