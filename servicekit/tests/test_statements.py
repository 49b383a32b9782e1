"""`servicekit.statements.Statement`: statements run on the DBAPI cursor answer what
``Connection.execute`` answers, write what it writes, in the same transaction, with the same
errors; on a real PostgreSQL (the services' engine, on the event loop, and a plain one) and on
SQLite."""

from __future__ import annotations

import sqlite3
from datetime import datetime, timedelta, timezone
from decimal import Decimal
from typing import Any, Iterator

import pytest
from prometheus_client import CollectorRegistry
from sqlalchemy import (
    JSON,
    Boolean,
    Column,
    Engine,
    Integer,
    MetaData,
    Numeric,
    String,
    Table,
    bindparam,
    exc,
    exists,
    func,
    select,
    text,
    update,
)

from servicekit.database import UTCDateTime, database_error_is_unavailability, for_writing
from servicekit.metrics import count_statements
from servicekit.statements import Statement
from servicekit.tests.engines import BACKENDS, count_rows, engine_on, within

THINGS = Table(
    "statement_things",
    MetaData(),
    Column("id", Integer, primary_key=True, autoincrement=False),
    Column("name", String(64), nullable=False),
    Column("at", UTCDateTime),
    Column("price", Numeric(12, 2)),
    Column("flag", Boolean),
    Column("doc", JSON),
)
NOTES = Table(
    "statement_notes",
    MetaData(),
    Column("id", Integer, primary_key=True, autoincrement=False),
    Column("note", String(16), default="python-side"),
)
AT = datetime(2026, 3, 2, 8, 30, tzinfo=timezone(timedelta(hours=2)))  # not in UTC
ROWS = [
    {"id": 1, "name": "milk", "at": AT, "price": Decimal("1.25"), "flag": True,
     "doc": {"lines": [{"sku": "milk", "quantity": 2}]}},
    {"id": 2, "name": "bread", "at": None, "price": Decimal("0.99"), "flag": False,
     "doc": None},
    {"id": 3, "name": "eggs", "at": AT + timedelta(days=1), "price": None, "flag": None,
     "doc": [1, 2]},
]  # fmt: skip

INSERT = Statement(THINGS.insert().inline())
BY_NAMES = select(THINGS).where(THINGS.c.name.in_(bindparam("names", expanding=True)))
BY_NAMES_ORDERED = BY_NAMES.order_by(THINGS.c.id)
# an IN list of values with a bind processor (UTCDateTime: to UTC, and naive on SQLite)
AT_IN = select(THINGS.c.id).where(THINGS.c.at.in_(bindparam("ats", expanding=True)))
# labelled columns of other types than the table's: an EXISTS, a scalar subquery, a count
SUMMARY = select(
    exists().where(THINGS.c.at <= bindparam("until", type_=UTCDateTime)).label("due"),
    select(THINGS.c.doc).where(THINGS.c.id == bindparam("id")).scalar_subquery().label("doc"),
    select(func.count()).select_from(THINGS).scalar_subquery().label("things"),
)
RENAME = (
    update(THINGS)
    .where(THINGS.c.id == bindparam("b_id"))
    .values(name=bindparam("b_name"))
    .returning(THINGS.c.id, THINGS.c.name, THINGS.c.at)
)


@pytest.fixture(params=BACKENDS)
def engine(request, tmp_path) -> Iterator[Engine]:
    metadata = MetaData()
    for table in (THINGS, NOTES):
        table.to_metadata(metadata)
    yield from engine_on(request.param, request, tmp_path, "dss_test_statements", metadata)


def filled(engine: Engine) -> Engine:
    def work() -> None:
        with for_writing(engine).connect() as connection:
            INSERT.run(connection, ROWS)
            connection.commit()

    within(engine, work)
    return engine


def as_sqlalchemy_and_statement(engine: Engine, query: Any, parameters: dict) -> tuple:
    """The rows of ``query`` through ``Connection.execute`` and through a `Statement`."""

    def work() -> tuple:
        with engine.connect() as connection:
            expected = [tuple(row) for row in connection.execute(query, parameters)]
            got = Statement(query).rows(connection, parameters)
            return expected, got

    return within(engine, work)


def test_rows_are_those_sqlalchemy_answers_with_every_type_converted_alike(engine):
    """UTC datetimes, decimals, booleans, JSON, NULLs; an IN list of several sizes (the SQL
    expands per call, one compiled statement)."""
    filled(engine)
    for names in (["milk", "bread", "eggs"], ["eggs"], ["bread", "nothing"], []):
        expected, got = as_sqlalchemy_and_statement(engine, BY_NAMES_ORDERED, {"names": names})
        assert got == expected
        assert len(got) == len(set(names) - {"nothing"})
    _, got = as_sqlalchemy_and_statement(engine, BY_NAMES_ORDERED, {"names": ["milk", "eggs"]})
    milk, eggs = got
    assert milk.at == AT and milk.at.tzinfo == timezone.utc  # the instant, in UTC
    assert (milk.price, milk.flag, milk.doc) == (Decimal("1.25"), True, ROWS[0]["doc"])
    assert (eggs.price, eggs.flag, eggs.doc) == (None, None, [1, 2])


def test_each_value_of_an_in_list_is_bound_as_its_type_binds_it(engine):
    filled(engine)
    ats = [AT.astimezone(timezone(timedelta(hours=-5))), AT + timedelta(days=1)]
    expected, got = as_sqlalchemy_and_statement(engine, AT_IN.order_by(THINGS.c.id), {"ats": ats})
    assert got == expected == [(1,), (3,)]


#: two IN lists, one of them with a bind processor
BY_NAMES_AND_ATS = BY_NAMES_ORDERED.where(
    THINGS.c.at.in_(bindparam("ats", expanding=True)) | THINGS.c.at.is_(None)
)


def test_one_statement_answers_every_value_of_lists_of_lengths_it_expanded_before(
    engine, monkeypatch
):
    """The expansion of IN lists is made once per combination of their lengths and kept (two
    of them here, so later lengths are expanded per call): later calls with the same lengths
    bind their own values, each as its type binds it."""
    monkeypatch.setattr("servicekit.statements.EXPANSIONS_KEPT", 2)
    filled(engine)
    statement = Statement(BY_NAMES_AND_ATS)
    later = AT + timedelta(days=1)
    calls = [
        (["milk", "bread"], [AT]),
        (["eggs", "milk"], [later]),
        (["bread", "eggs"], [later.astimezone(timezone(timedelta(hours=-5)))]),
        (["milk"], [AT, later]),
        (["eggs"], [AT, later]),
        ([], [AT]),
        (["milk", "bread", "eggs"], []),
        (["milk", "bread", "eggs"], [AT]),
        (["eggs", "bread"], [AT]),
    ]

    def work() -> None:
        with engine.connect() as connection:
            for names, ats in calls:
                parameters = {"names": names, "ats": ats}
                expected = [tuple(row) for row in connection.execute(BY_NAMES_AND_ATS, parameters)]
                assert statement.rows(connection, parameters) == expected, parameters
        (compiled,) = (
            c for by_columns in statement._by_dialect.values() for c in by_columns.values()
        )
        assert len(compiled.expansions) == 2

    within(engine, work)


def test_labelled_columns_convert_as_their_types_do(engine):
    filled(engine)
    for until, thing in ((AT, 1), (AT - timedelta(seconds=1), 3), (AT, 2)):
        parameters = {"until": until, "id": thing}
        expected, got = as_sqlalchemy_and_statement(engine, SUMMARY, parameters)
        assert got == expected
        assert got[0].due is (until >= AT) and got[0].things == 3
        assert got[0].doc == ROWS[thing - 1]["doc"]


def test_first_one_and_scalar_answer_as_their_sqlalchemy_namesakes(engine):
    filled(engine)
    query = Statement(BY_NAMES_ORDERED)

    def work() -> None:
        with engine.connect() as connection:
            assert query.first(connection, {"names": ["nothing"]}) is None
            assert query.first(connection, {"names": ["milk", "eggs"]}).name == "milk"
            assert query.one(connection, {"names": ["bread"]}).id == 2
            assert query.scalar(connection, {"names": ["eggs"]}) == 3
            assert query.scalar(connection, {"names": []}) is None
            with pytest.raises(exc.NoResultFound):
                query.one(connection, {"names": []})
            with pytest.raises(exc.MultipleResultsFound):
                query.one(connection, {"names": ["milk", "bread"]})

    within(engine, work)


def test_writes_are_in_the_connections_transaction_committed_or_rolled_back(engine):
    """A `Statement` first in a connection begins its transaction as ``execute`` would: the
    commit keeps what it wrote, a rollback (or none) drops it. Many rows at once, one row,
    and an UPDATE … RETURNING."""
    rename = Statement(RENAME)

    def work() -> list:
        with for_writing(engine).connect() as connection:
            INSERT.run(connection, ROWS[:2])
            INSERT.run(connection, ROWS[2])
            INSERT.run(connection, [])  # nothing to write: nothing sent
            renamed = rename.rows(connection, {"b_id": 1, "b_name": "oat milk"})
            assert [tuple(row) for row in renamed] == [(1, "oat milk", AT)]
            connection.commit()
        with for_writing(engine).connect() as connection:
            rename.run(connection, {"b_id": 2, "b_name": "rye bread"})
            INSERT.run(connection, {**ROWS[0], "id": 4})
            connection.rollback()
        with for_writing(engine).connect() as connection:
            INSERT.run(connection, {**ROWS[0], "id": 5})
        with engine.connect() as connection:  # (closed without a commit: rolled back)
            return connection.execute(select(THINGS.c.id, THINGS.c.name)).all()

    assert sorted(within(engine, work)) == [(1, "oat milk"), (2, "bread"), (3, "eggs")]


def test_a_driver_error_is_sqlalchemys_own_and_the_transaction_writes_nothing(engine):
    def work() -> None:
        with for_writing(engine).connect() as connection:
            INSERT.run(connection, ROWS[0])
            with pytest.raises(exc.IntegrityError):  # as the services' error handlers know it
                INSERT.run(connection, ROWS[0])
            connection.rollback()

    within(engine, work)
    assert count(engine) == 0


def test_a_lost_connection_is_an_unavailability_and_is_replaced(engine):
    if engine.dialect.name != "postgresql":
        pytest.skip("SQLite has no server to lose")
    terminate = Statement(select(func.pg_terminate_backend(func.pg_backend_pid())))

    def work() -> int:
        with engine.connect() as connection:
            with pytest.raises(exc.OperationalError) as raised:
                terminate.rows(connection)
            assert database_error_is_unavailability(raised.value)
            assert raised.value.connection_invalidated
        with engine.connect() as connection:  # the pool hands out a working one
            return connection.execute(text("SELECT 1")).scalar_one()

    assert within(engine, work) == 1


def test_columns_with_python_side_defaults_are_refused(engine):
    """Only SQLAlchemy's execution layer fills them in: a `Statement` would write NULL."""
    insert = Statement(NOTES.insert().inline())

    def work() -> None:
        with for_writing(engine).connect() as connection:
            insert.run(connection, {"id": 1, "note": "given"})  # given: nothing to fill in
            with pytest.raises(ValueError, match="Python-side defaults"):
                insert.run(connection, {"id": 2})

    within(engine, work)


def test_the_statement_counter_counts_statements_sent_on_the_cursor(engine):
    registry = CollectorRegistry()
    count_statements(engine, registry)
    query = Statement(BY_NAMES)

    def work() -> None:
        with for_writing(engine).connect() as connection:
            INSERT.run(connection, ROWS)  # many rows: one statement
            query.rows(connection, {"names": ["milk"]})
            connection.commit()

    within(engine, work)
    assert registry.get_sample_value("db_statements_total") == 2


def count(engine: Engine) -> int:
    return count_rows(engine, THINGS)


def test_a_write_that_cannot_take_sqlites_write_lock_is_an_unavailability(engine):
    """``BEGIN IMMEDIATE``, sent on the driver's connection, fails as SQLAlchemy's
    `OperationalError` (the API answers 503) when another writer holds the lock too long."""
    if engine.dialect.name != "sqlite":
        pytest.skip("SQLite's write lock")
    raw = engine.raw_connection()  # the pool's connection, waiting 50 ms instead of 15 s
    raw.driver_connection.execute("PRAGMA busy_timeout=50")
    raw.close()
    other = sqlite3.connect(engine.url.database, isolation_level=None)
    other.execute("BEGIN IMMEDIATE")
    try:
        with for_writing(engine).connect() as connection:
            with pytest.raises(exc.OperationalError, match="locked") as raised:
                INSERT.run(connection, ROWS[0])
            assert database_error_is_unavailability(raised.value)
    finally:
        other.rollback()
        other.close()
    assert count(engine) == 0
