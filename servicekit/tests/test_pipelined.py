"""`servicekit.database.pipelined`: writes sent together, on a real PostgreSQL (and SQLite)."""

from __future__ import annotations

from typing import Iterator

import pytest
from psycopg import pq
from sqlalchemy import Column, Engine, Integer, MetaData, Table, exc, func, select, text

from servicekit.database import database_error_is_unavailability, make_engine, pipelined
from testkit import database

ROWS = Table("pipelined_rows", MetaData(), Column("id", Integer, primary_key=True))


@pytest.fixture
def pg_engine(postgres_admin_url: str) -> Iterator[Engine]:
    url = database.create_database(postgres_admin_url, "dss_test_pipelined")
    engine = make_engine(url, pool_size=2)
    ROWS.metadata.create_all(engine)
    yield engine
    engine.dispose()
    database.drop_database(postgres_admin_url, url)


@pytest.fixture
def sqlite_engine(tmp_path) -> Iterator[Engine]:
    engine = make_engine(f"sqlite:///{tmp_path / 'pipelined.db'}")
    ROWS.metadata.create_all(engine)
    yield engine
    engine.dispose()


@pytest.fixture(params=["pg_engine", "sqlite_engine"])
def engine(request) -> Engine:
    """On PostgreSQL in pipeline mode; on SQLite (no such mode) as plain statements."""
    return request.getfixturevalue(request.param)


def count(engine: Engine) -> int:
    with engine.connect() as connection:
        return connection.execute(select(func.count()).select_from(ROWS)).scalar_one()


def test_the_writes_inside_are_applied_and_committed(engine):
    with engine.connect() as connection:
        with pipelined(connection):
            if engine.dialect.name == "postgresql":  # really in pipeline mode
                pgconn = connection.connection.driver_connection.pgconn
                assert pgconn.pipeline_status == pq.PipelineStatus.ON
            connection.execute(ROWS.insert().inline(), {"id": 1})
            connection.execute(ROWS.insert().inline(), [{"id": 2}, {"id": 3}])
            connection.execute(ROWS.delete().where(ROWS.c.id == 2))
        connection.commit()
    assert count(engine) == 2


def test_an_error_inside_is_sqlalchemys_and_the_transaction_writes_nothing(engine):
    with engine.connect() as connection:
        with pytest.raises(exc.IntegrityError):  # as the service's error handlers know it
            with pipelined(connection):
                connection.execute(ROWS.insert().inline(), {"id": 1})
                connection.execute(ROWS.insert().inline(), {"id": 1})
                connection.execute(ROWS.insert().inline(), {"id": 2})
        connection.rollback()
    assert count(engine) == 0


def test_a_connection_lost_inside_is_an_unavailability_the_api_answers_503(pg_engine):
    engine = pg_engine
    with engine.connect() as connection:
        with pytest.raises(exc.OperationalError) as raised:
            with pipelined(connection):
                connection.execute(ROWS.insert().inline(), {"id": 1})
                connection.execute(text("SELECT pg_terminate_backend(pg_backend_pid())"))
        assert database_error_is_unavailability(raised.value)
    assert count(engine) == 0
