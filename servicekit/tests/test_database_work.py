"""Where a request's database work runs (`servicekit.app.Database`): on the event loop, its
statements awaited on PostgreSQL, and a call to another service inside it awaited there too
(`JsonClient`'s ``on_the_event_loop``), while the loop serves other requests. And which
pooled connections are pinged before use (`servicekit.database.ping_when_idle`). On a real
PostgreSQL and SQLite."""

from __future__ import annotations

import asyncio
import threading
from typing import Callable, Iterator

import psycopg
import pytest
from sqlalchemy import Engine, MetaData, exc, make_url, text

from servicekit.app import Database
from servicekit.database import database_error_is_unavailability, make_engine, ping
from servicekit.http_client import JsonClient
from servicekit.tests.engines import engine_on
from testkit import database
from testkit.scripted_server import SLOW, ScriptedServer

OK = (200, {"ok": True})


def select_one(connection) -> int:
    return connection.execute(text("SELECT 1")).scalar_one()


@pytest.fixture(params=["postgresql-on-the-event-loop", "sqlite"])
def any_engine(request, tmp_path) -> Iterator[Engine]:
    """The services' engine, on PostgreSQL or SQLite."""
    yield from engine_on(request.param, request, tmp_path, "dss_test_database_work", MetaData())


def test_the_work_runs_on_the_event_loop_and_its_statements_answer(any_engine):
    db = Database(any_engine)

    async def main() -> tuple[int, int, int]:
        def work() -> tuple[int, int]:
            with db.reader() as connection:
                return threading.get_ident(), select_one(connection)

        ran_on, answer = await db.run(work)
        return threading.get_ident(), ran_on, answer

    loop_thread, ran_on, answer = asyncio.run(main())
    assert ran_on == loop_thread and answer == 1
    assert asyncio.run(db.read(select_one)) == 1


def test_a_call_to_a_peer_inside_the_work_leaves_the_loop_to_other_requests(any_engine):
    """A checkout waiting half a second on the inventory must not hold up a quick read."""
    db = Database(any_engine)
    finished: list[str] = []

    with ScriptedServer(SLOW, OK, slow_seconds=0.5) as slow_server:
        peer = JsonClient("inventory", slow_server.url, timeout_seconds=2, on_the_event_loop=True)

        async def main() -> tuple[int, int]:
            def checkout_like() -> int:
                with db.reader() as connection:
                    select_one(connection)
                assert peer.request("GET", "/slow").status == 200  # dropped, then retried
                finished.append("slow")
                return threading.get_ident()

            def quick() -> None:
                with db.reader() as connection:
                    select_one(connection)
                finished.append("quick")

            slow = asyncio.create_task(db.run(checkout_like))
            await asyncio.sleep(0.1)  # the slow one is waiting on its peer by now
            await db.run(quick)  # done while the slow one still waits: not behind it
            return threading.get_ident(), await slow

        loop_thread, waited_on = asyncio.run(main())
        peer.close()
    assert finished == ["quick", "slow"]
    assert waited_on == loop_thread  # awaited on the loop, not handed to a thread


def kill_its_connections(admin_url: str, url: str) -> int:
    """End every session on ``url``'s database from outside, as a restarted server would."""
    with psycopg.connect(database.libpq_dsn(admin_url), autocommit=True) as admin:
        name = make_url(url).database
        return len(
            admin.execute(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = %s",
                (name,),
            ).fetchall()
        )


@pytest.fixture(params=["plain", "on-the-event-loop"])
def make_pool(postgres_admin_url: str, request) -> Iterator[Callable[..., tuple[Database, str]]]:
    made: list[tuple[Engine, str, Database]] = []

    def make(ping_after_idle_seconds: float) -> tuple[Database, str]:
        url = database.create_database(postgres_admin_url, "dss_test_idle_ping")
        engine = make_engine(
            url,
            pool_size=1,
            on_the_event_loop=request.param == "on-the-event-loop",
            ping_after_idle_seconds=ping_after_idle_seconds,
        )
        made.append((engine, url, Database(engine)))
        return made[-1][2], url

    yield make
    for engine, url, db in made:
        asyncio.run(db.run(engine.dispose))
        database.drop_database(postgres_admin_url, url)


def read(db: Database) -> int:
    return asyncio.run(db.read(select_one))


def test_a_connection_that_sat_idle_is_pinged_and_replaced_when_the_server_closed_it(
    make_pool, postgres_admin_url
):
    db, url = make_pool(ping_after_idle_seconds=0)  # every connection counts as idle
    assert read(db) == 1
    assert kill_its_connections(postgres_admin_url, url) == 1  # the pool's one connection
    assert read(db) == 1  # the ping found it closed: a new one answered


def test_a_connection_used_moments_ago_is_not_pinged_and_a_closed_one_fails_once(
    make_pool, postgres_admin_url
):
    db, url = make_pool(ping_after_idle_seconds=3600)
    assert read(db) == 1
    assert kill_its_connections(postgres_admin_url, url) == 1
    with pytest.raises(exc.OperationalError) as failed:  # no ping: the request finds out
        read(db)
    assert database_error_is_unavailability(failed.value)  # answered 503, may be retried
    assert read(db) == 1  # and the pool has replaced it


def prepared_statements(connection) -> int:
    return connection.execute(text("SELECT count(*) FROM pg_prepared_statements")).scalar_one()


def test_a_read_or_a_ping_on_postgresql_keeps_the_statements_its_connection_prepared(make_pool):
    """A read takes no transaction on PostgreSQL, so it ends with no ROLLBACK, after which
    psycopg would drop every statement the connection had prepared (the writes' too), and
    send one more round trip to do so."""
    db, _ = make_pool(ping_after_idle_seconds=60)  # one connection, shared by all below

    def write_often() -> int:
        with db.engine.connect() as connection:  # a write's connection: in a transaction
            for n in range(8):  # psycopg prepares a statement from its 5th run on
                connection.execute(text("SELECT CAST(:n AS integer) + 1"), {"n": n})
            prepared = prepared_statements(connection)
            connection.commit()  # (a rollback would drop them)
            return prepared

    def after_a_read() -> int:
        with db.reader() as connection:
            select_one(connection)
        ping(db.engine)  # what readiness asks, every few seconds
        with db.engine.connect() as connection:
            return prepared_statements(connection)

    assert asyncio.run(db.run(write_often)) >= 1
    assert asyncio.run(db.run(after_a_read)) >= 1


def test_each_statement_of_a_read_on_postgresql_sees_what_was_committed_when_it_began(make_pool):
    """No transaction around a read: under READ COMMITTED every statement has its own view
    anyway; without one, each has its own clock too."""
    db, _ = make_pool(ping_after_idle_seconds=60)

    def two_clocks() -> tuple[object, object]:
        with db.reader() as connection:
            first = connection.execute(text("SELECT now()")).scalar_one()
            connection.execute(text("SELECT pg_sleep(0.01)"))
            return first, connection.execute(text("SELECT now()")).scalar_one()

    first, second = asyncio.run(db.run(two_clocks))
    assert second > first
