"""Engines for servicekit's database tests: on a real PostgreSQL (the services' engine, on the
event loop, and a plain one) and on SQLite, each with its tables created."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Callable, Iterator, TypeVar

import pytest
from sqlalchemy import Engine, MetaData, Table, func, select

from servicekit.app import Database
from servicekit.database import make_engine
from testkit import database

T = TypeVar("T")
BACKENDS = ["postgresql", "postgresql-on-the-event-loop", "sqlite"]


def within(engine: Engine, work: Callable[[], T]) -> T:
    """Run ``work`` where the engine's connections work: as a service's request would."""
    if engine.dialect.is_async:
        return asyncio.run(Database(engine).run(work))
    return work()


def postgresql_engine(
    admin_url: str, name: str, metadata: MetaData, on_the_event_loop: bool
) -> Iterator[Engine]:
    url = database.create_database(admin_url, name)
    engine = make_engine(url, pool_size=2, on_the_event_loop=on_the_event_loop)
    within(engine, lambda: metadata.create_all(engine))
    yield engine
    within(engine, engine.dispose)
    database.drop_database(admin_url, url)


def sqlite_engine(path: Path, metadata: MetaData) -> Iterator[Engine]:
    engine = make_engine(f"sqlite:///{path / 'test.db'}")
    metadata.create_all(engine)
    yield engine
    engine.dispose()


def engine_on(
    backend: str, request: pytest.FixtureRequest, tmp_path: Path, name: str, metadata: MetaData
) -> Iterator[Engine]:
    """An engine on ``backend`` (one of `BACKENDS`), with ``metadata``'s tables."""
    if backend == "sqlite":
        yield from sqlite_engine(tmp_path, metadata)
    else:
        admin_url = request.getfixturevalue("postgres_admin_url")
        yield from postgresql_engine(admin_url, name, metadata, backend.endswith("event-loop"))


def count_rows(engine: Engine, table: Table) -> int:
    def work() -> int:
        with engine.connect() as connection:
            return connection.execute(select(func.count()).select_from(table)).scalar_one()

    return within(engine, work)
