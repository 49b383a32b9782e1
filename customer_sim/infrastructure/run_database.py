"""The run database: every run's identity, status and KPIs, and its daily rows.

It is the simulator's own local results store (SQLite by default, PostgreSQL in the cluster
via ``SIM_DATABASE_URL``), not a service's schema, so its tables are created with
``create_all`` on first use rather than by migrations.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any

from sqlalchemy import JSON, BigInteger, MetaData, Text
from sqlmodel import Field, Session, SQLModel, col, select

from servicekit.database import UTCDateTime, for_writing, make_engine

NAMING = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_N_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class SimTable(SQLModel):
    """Base of the run database's tables: their own metadata, apart from the services'."""

    metadata = MetaData(naming_convention=NAMING)


class RunRow(SimTable, table=True):
    __tablename__ = "runs"

    id: int | None = Field(default=None, primary_key=True)
    scenario: str = Field(max_length=64, index=True)
    scenario_file: str = Field(max_length=500)
    seed: int = Field(sa_type=BigInteger)
    days: int
    store_id: str = Field(max_length=64, unique=True)
    status: str = Field(max_length=16, description="running, succeeded or failed")
    started_at: datetime = Field(sa_type=UTCDateTime)
    finished_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    output_dir: str | None = Field(default=None, max_length=500)
    error: str | None = Field(default=None, sa_type=Text)
    summary: dict | None = Field(default=None, sa_type=JSON)


class DailyResultRow(SimTable, table=True):
    __tablename__ = "daily_results"

    run_id: int = Field(foreign_key="runs.id", primary_key=True)
    day: str = Field(primary_key=True, max_length=10, description="ISO date")
    arrivals: int
    buyers: int
    units_demanded: int
    units_sold: int
    units_lost: int
    revenue: float
    fill_rate: float | None = None
    units_not_found: int
    shelf_fill_rate: float | None = None


@dataclass(frozen=True)
class RunRecord:
    id: int
    scenario: str
    scenario_file: str
    seed: int
    days: int
    store_id: str
    status: str
    started_at: datetime
    finished_at: datetime | None
    output_dir: str | None
    error: str | None
    summary: dict[str, Any] | None


def _record(row: RunRow) -> RunRecord:
    assert row.id is not None
    return RunRecord(
        id=row.id,
        scenario=row.scenario,
        scenario_file=row.scenario_file,
        seed=row.seed,
        days=row.days,
        store_id=row.store_id,
        status=row.status,
        started_at=row.started_at,
        finished_at=row.finished_at,
        output_dir=row.output_dir,
        error=row.error,
        summary=row.summary,
    )


class RunDatabase:
    def __init__(self, url: str) -> None:
        self.engine = make_engine(url, pool_size=2)
        SimTable.metadata.create_all(self.engine)
        self._writer = for_writing(self.engine)

    def close(self) -> None:
        self.engine.dispose()

    def start_run(
        self, scenario: str, scenario_file: str, seed: int, days: int, store_id: str
    ) -> int:
        """Record a run as ``running`` before it touches the services."""
        with Session(self._writer) as session:
            row = RunRow(
                scenario=scenario,
                scenario_file=scenario_file,
                seed=seed,
                days=days,
                store_id=store_id,
                status="running",
                started_at=datetime.now(timezone.utc),
            )
            session.add(row)
            session.commit()
            assert row.id is not None
            return row.id

    def finish_run(
        self,
        run_id: int,
        status: str,
        summary: dict[str, Any] | None = None,
        daily: list[dict[str, Any]] | None = None,
        output_dir: str | None = None,
        error: str | None = None,
    ) -> None:
        with Session(self._writer) as session:
            row = session.get(RunRow, run_id)
            if row is None:
                raise LookupError(f"no run {run_id}")
            row.status = status
            row.finished_at = datetime.now(timezone.utc)
            row.summary = summary
            row.output_dir = output_dir
            row.error = error
            for values in daily or []:
                session.add(DailyResultRow(run_id=run_id, **values))
            session.commit()

    def list_runs(self, limit: int = 50) -> list[RunRecord]:
        with Session(self.engine) as session:
            rows = session.exec(select(RunRow).order_by(col(RunRow.id).desc()).limit(limit)).all()
            return [_record(row) for row in rows]

    def get_run(self, reference: str) -> RunRecord | None:
        """A run by its number or its store id."""
        with Session(self.engine) as session:
            if reference.isdigit():
                row = session.get(RunRow, int(reference))
            else:
                row = session.exec(select(RunRow).where(RunRow.store_id == reference)).first()
            return _record(row) if row is not None else None

    def daily_rows(self, run_id: int) -> list[dict[str, Any]]:
        with Session(self.engine) as session:
            rows = session.exec(
                select(DailyResultRow)
                .where(DailyResultRow.run_id == run_id)
                .order_by(col(DailyResultRow.day))
            ).all()
            return [row.model_dump(exclude={"run_id"}) for row in rows]
