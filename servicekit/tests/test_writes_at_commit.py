"""Writes sent together: `servicekit.database.Pipeline`, and the writes a repository queues for
its unit of work's commit; on a real PostgreSQL (in pipeline mode), with the engine of the
services (on the event loop) and a plain one, and on SQLite."""

from __future__ import annotations

import contextlib
from typing import Iterator

import pytest
from prometheus_client import CollectorRegistry
from psycopg import pq
from sqlalchemy import Column, Engine, Integer, MetaData, Table, exc, func, select, text

from servicekit.database import (
    database_error_is_unavailability,
    for_writing,
    Pipeline,
)
from servicekit.metrics import count_statements
from servicekit.statements import Statement
from servicekit.unit_of_work import SqlRepository, SqlUnitOfWork
from servicekit.tests.engines import BACKENDS, count_rows, engine_on, postgresql_engine, within

ROWS = Table("pipelined_rows", MetaData(), Column("id", Integer, primary_key=True))
NAME = "dss_test_pipelined"


@pytest.fixture(params=["plain", "on-the-event-loop"])
def pg_engine(postgres_admin_url: str, request) -> Iterator[Engine]:
    yield from postgresql_engine(
        postgres_admin_url, NAME, ROWS.metadata, request.param == "on-the-event-loop"
    )


@pytest.fixture(params=BACKENDS)
def engine(request, tmp_path) -> Iterator[Engine]:
    """On PostgreSQL in pipeline mode; on SQLite (no such mode) as plain statements."""
    yield from engine_on(request.param, request, tmp_path, NAME, ROWS.metadata)


def count(engine: Engine) -> int:
    return count_rows(engine, ROWS)


def test_the_writes_inside_are_applied_and_committed(engine):
    def work() -> None:
        with engine.connect() as connection:
            with Pipeline(connection):
                if engine.dialect.name == "postgresql":  # really in pipeline mode
                    pgconn = connection.connection.driver_connection.pgconn
                    assert pgconn.pipeline_status == pq.PipelineStatus.ON
                connection.execute(ROWS.insert().inline(), {"id": 1})
                connection.execute(ROWS.insert().inline(), [{"id": 2}, {"id": 3}])
                connection.execute(ROWS.delete().where(ROWS.c.id == 2))
            connection.commit()

    within(engine, work)
    assert count(engine) == 2


@pytest.mark.parametrize("commit", [False, True], ids=["", "and-commit"])
def test_an_error_inside_is_sqlalchemys_and_the_transaction_writes_nothing(engine, commit):
    def work() -> None:
        with engine.connect() as connection:
            with pytest.raises(exc.IntegrityError):  # as the service's error handlers know it
                with Pipeline(connection) as pipeline:
                    connection.execute(ROWS.insert().inline(), {"id": 1})
                    connection.execute(ROWS.insert().inline(), {"id": 1})
                    connection.execute(ROWS.insert().inline(), {"id": 2})
                    pipeline.end(commit=commit)
            connection.rollback()

    within(engine, work)
    assert count(engine) == 0


def test_a_commit_sent_with_the_writes_ends_the_transaction_in_one_round_trip(engine, tmp_path):
    trace = tmp_path / "protocol.txt"

    def work() -> None:
        with engine.connect() as connection:
            connection.execute(text("SELECT 1"))  # the transaction has begun
            driver = connection.connection.driver_connection
            with open(trace, "w") as out:
                if engine.dialect.name == "postgresql":  # libpq's trace of the protocol
                    driver.pgconn.trace(out.fileno())
                with Pipeline(connection) as pipeline:
                    connection.execute(ROWS.insert().inline(), {"id": 1})
                    connection.execute(ROWS.insert().inline(), [{"id": 2}, {"id": 3}])
                    pipeline.end(commit=True)
                if engine.dialect.name == "postgresql":
                    driver.pgconn.untrace()
            assert not connection.in_transaction()

    within(engine, work)
    assert count(engine) == 3
    if engine.dialect.name == "postgresql":
        protocol = trace.read_text()
        assert "COMMIT" in protocol
        assert protocol.count("\tSync") == 1 and protocol.count("ReadyForQuery") == 1


def test_a_connection_lost_inside_is_an_unavailability_the_api_answers_503(pg_engine):
    engine = pg_engine

    def work() -> None:
        with engine.connect() as connection:
            with pytest.raises(exc.OperationalError) as raised:
                with Pipeline(connection):
                    connection.execute(ROWS.insert().inline(), {"id": 1})
                    connection.execute(text("SELECT pg_terminate_backend(pg_backend_pid())"))
            assert database_error_is_unavailability(raised.value)

    within(engine, work)
    assert count(engine) == 0


INSERT_ROW = Statement(ROWS.insert().inline())


class RowRepository(SqlRepository):
    def add(self, row_id: int) -> None:
        self.write_at_commit(INSERT_ROW, {"id": row_id})
        self._events.append(row_id)

    def count(self) -> int:
        return self.connection.execute(select(func.count()).select_from(ROWS)).scalar_one()


class RowUnitOfWork(SqlUnitOfWork):
    rows: RowRepository

    def open_repository(self, connection):
        self.rows = RowRepository(connection)
        return self.rows


def test_queued_writes_go_with_the_commit_and_then_the_events_are_published(engine):
    published = []

    def work() -> None:
        with RowUnitOfWork(engine.connect, published.extend) as uow:
            uow.rows.add(1)
            uow.rows.add(2)
            assert uow.rows.count() == 0  # queued: not sent before the commit
            uow.commit()

    within(engine, work)
    assert count(engine) == 2 and published == [1, 2]


def test_a_queued_write_that_fails_fails_the_commit_and_publishes_nothing(engine):
    published = []

    def work() -> None:
        with RowUnitOfWork(engine.connect, published.extend) as uow:
            uow.rows.add(1)
            uow.commit()
        with RowUnitOfWork(engine.connect, published.extend) as uow:
            uow.rows.add(2)
            uow.rows.add(1)  # already there
            with pytest.raises(exc.IntegrityError):
                uow.commit()

    within(engine, work)
    assert count(engine) == 1 and published == [1]


def test_writes_queued_without_a_commit_are_never_sent(engine):
    def work() -> list[int]:
        uow = RowUnitOfWork(engine.connect)
        with uow:
            uow.rows.add(1)
        with uow:  # the same unit of work again: the first use's writes are not sent with it
            uow.rows.add(2)
            uow.commit()
        with engine.connect() as connection:
            return connection.execute(select(ROWS.c.id)).scalars().all()

    assert within(engine, work) == [2]


def statements_counted(registry: CollectorRegistry) -> float:
    return registry.get_sample_value("db_statements_total") or 0.0


def test_the_statement_counter_counts_each_statement_sent_once(engine):
    """Plain, many rows at once (once), without parameters, pipelined: all counted, SQLite's
    BEGIN IMMEDIATE not (PostgreSQL's BEGIN is implicit)."""
    registry = CollectorRegistry()
    count_statements(engine, registry)
    writer = for_writing(engine)

    def work() -> None:
        with writer.connect() as connection:
            connection.execute(ROWS.insert().inline(), {"id": 1})
            connection.execute(ROWS.insert().inline(), [{"id": 2}, {"id": 3}])
            connection.execute(text("SELECT 1"))
            with Pipeline(connection):
                connection.execute(ROWS.delete().where(ROWS.c.id == 2))
            connection.commit()

    within(engine, work)
    assert statements_counted(registry) == 4
    assert count(engine) == 2


def test_counting_statements_leaves_postgresql_connections_without_event_hooks(pg_engine):
    """A connection event (``before_cursor_execute``) would make SQLAlchemy dispatch every
    connection event of every statement and transaction: 8 to 10% of the store's instructions
    per cart and checkout on PostgreSQL, where no other connection event is listened to."""
    count_statements(pg_engine, CollectorRegistry())
    assert not pg_engine._has_events
    assert count(pg_engine) == 0  # and it still works


# -- a unit of work's whole transaction in one pipeline (`SqlUnitOfWork.in_one_pipeline`) --

ROW_IDS = Statement(select(ROWS.c.id).order_by(ROWS.c.id))
ROW_COUNT = Statement(select(func.count()).select_from(ROWS))


def traced(engine: Engine, connection, path):
    """libpq's trace of a PostgreSQL connection's protocol into ``path`` (None elsewhere)."""
    if engine.dialect.name != "postgresql":
        return None
    out = open(path, "w")
    connection.connection.driver_connection.pgconn.trace(out.fileno())
    return out


def untrace(connection, out) -> None:
    if out is not None:
        connection.connection.driver_connection.pgconn.untrace()
        out.close()


def test_one_pipeline_begins_with_the_first_queries_and_commits_with_the_writes(engine, tmp_path):
    """Two queries sent together, then writes: on PostgreSQL two round trips in all (the
    answers, then the commit), where BEGIN, each query and the commit took one each."""
    trace = tmp_path / "protocol.txt"
    published: list[int] = []

    def work() -> tuple[list, int, list]:
        with RowUnitOfWork(engine.connect, published.extend).in_one_pipeline() as uow:
            out = traced(engine, uow.connection, trace)
            ids = ROW_IDS.send(uow.connection)
            counted = ROW_COUNT.send(uow.connection)
            before, how_many = ids.rows(), counted.first()[0]
            uow.rows.add(1)
            uow.rows.add(2)
            uow.commit()
            untrace(uow.connection, out)
        with engine.connect() as connection:  # plain use of the pool's connection
            return before, how_many, connection.execute(select(ROWS.c.id)).scalars().all()

    assert within(engine, work) == ([], 0, [1, 2])
    assert published == [1, 2]
    if engine.dialect.name == "postgresql":
        protocol = trace.read_text()
        assert protocol.count("\tSync") == 1 and protocol.count("ReadyForQuery") == 1
        assert protocol.count("\tFlush") >= 1  # the answers read, before the Sync
        # (the BEGIN was queued before the trace began: its answer comes with the queries')
        done = [line.split("\t")[4] for line in protocol.splitlines() if "CommandComplete" in line]
        assert done[0] == ' "BEGIN"' and done[-1] == ' "COMMIT"'


@pytest.mark.parametrize("ending", ["error", "no-commit"])
def test_one_pipeline_left_without_a_commit_writes_nothing_and_the_connection_is_as_before(
    engine, ending
):
    """An error inside, or no commit: nothing written; the pool's connection (one is reused)
    leaves autocommit and the transaction, so a plain use of it after is transactional."""

    class Refused(Exception):
        pass

    def work() -> int:
        for _ in range(2):  # (the pool has 2 connections: both are used once this way)
            with pytest.raises(Refused) if ending == "error" else contextlib.nullcontext():
                with RowUnitOfWork(engine.connect).in_one_pipeline() as uow:
                    assert ROW_COUNT.first(uow.connection)[0] == 0
                    Statement(ROWS.insert().inline()).run(uow.connection, {"id": 1})
                    if ending == "error":
                        raise Refused()
        with engine.connect() as connection:
            if engine.dialect.name == "postgresql":
                assert connection.connection.driver_connection.autocommit is False
            connection.execute(ROWS.insert().inline(), {"id": 2})
            connection.rollback()  # in a transaction: undone
            return connection.execute(select(func.count()).select_from(ROWS)).scalar_one()

    assert within(engine, work) == 0


def test_one_pipeline_whose_statement_fails_raises_sqlalchemys_error_and_writes_nothing(engine):
    def work() -> None:
        with RowUnitOfWork(engine.connect).in_one_pipeline() as uow:
            uow.rows.add(1)
            uow.commit()
        for _ in range(2):
            with pytest.raises(exc.IntegrityError):
                with RowUnitOfWork(engine.connect).in_one_pipeline() as uow:
                    INSERT_ROW.run(uow.connection, {"id": 2})
                    INSERT_ROW.run(uow.connection, {"id": 1})  # already there
                    ROW_COUNT.first(uow.connection)  # the error surfaces when this is read

    within(engine, work)
    assert count(engine) == 1


def test_one_pipeline_that_loses_its_connection_is_an_unavailability_and_it_is_replaced(
    pg_engine,
):
    engine = pg_engine
    kill = Statement(select(func.pg_terminate_backend(func.pg_backend_pid())))

    def work() -> int:
        with pytest.raises(exc.OperationalError) as raised:
            with RowUnitOfWork(engine.connect).in_one_pipeline() as uow:
                uow.rows.add(1)
                kill.first(uow.connection)
                uow.commit()
        assert database_error_is_unavailability(raised.value)
        for row_id in (2, 3):  # whichever connection the pool hands out works
            with RowUnitOfWork(engine.connect).in_one_pipeline() as uow:
                uow.rows.add(row_id)
                uow.commit()
        with engine.connect() as connection:
            return connection.execute(select(func.count()).select_from(ROWS)).scalar_one()

    assert within(engine, work) == 2
