"""Where a request's database work runs (`servicekit.app.Database`): on PostgreSQL on the event
loop, its statements awaited, and a call to another service inside it on a thread, while the
loop serves other requests; on SQLite on threads. On a real PostgreSQL and SQLite."""

from __future__ import annotations

import asyncio
import threading
import time
from typing import Iterator

import pytest
from sqlalchemy import Engine, text

from servicekit.app import Database, call_a_peer
from servicekit.database import make_engine
from testkit import database


@pytest.fixture
def loop_engine(postgres_admin_url: str) -> Iterator[Engine]:
    """The services' PostgreSQL engine."""
    url = database.create_database(postgres_admin_url, "dss_test_database_work")
    engine = make_engine(url, pool_size=2, on_the_event_loop=True)
    yield engine
    asyncio.run(Database(engine).run(engine.dispose))
    database.drop_database(postgres_admin_url, url)


@pytest.fixture
def sqlite_engine(tmp_path) -> Iterator[Engine]:
    engine = make_engine(f"sqlite:///{tmp_path / 'work.db'}", on_the_event_loop=True)
    yield engine
    engine.dispose()


def select_one(connection) -> int:
    return connection.execute(text("SELECT 1")).scalar_one()


def test_on_postgresql_the_work_runs_on_the_event_loop_and_its_statements_answer(loop_engine):
    db = Database(loop_engine)

    async def main() -> tuple[int, int, int]:
        def work() -> tuple[int, int]:
            with db.reader() as connection:
                return threading.get_ident(), select_one(connection)

        ran_on, answer = await db.run(work)
        return threading.get_ident(), ran_on, answer

    loop_thread, ran_on, answer = asyncio.run(main())
    assert db.on_the_event_loop and ran_on == loop_thread and answer == 1


def test_on_sqlite_the_work_runs_on_a_thread(sqlite_engine):
    db = Database(sqlite_engine)

    async def main() -> tuple[int, int]:
        ran_on = await db.run(threading.get_ident)
        return threading.get_ident(), ran_on

    loop_thread, ran_on = asyncio.run(main())
    assert not db.on_the_event_loop and ran_on != loop_thread
    assert asyncio.run(db.read(select_one)) == 1


def test_a_call_to_a_peer_inside_the_work_leaves_the_loop_to_other_requests(loop_engine):
    """A checkout waiting half a second on the inventory must not hold up a quick read."""
    db = Database(loop_engine)
    finished: list[str] = []

    def slow_peer() -> str:
        time.sleep(0.5)
        return threading.current_thread().name

    async def main() -> str:
        def checkout_like() -> str:
            with db.reader() as connection:
                select_one(connection)
            peer_thread = call_a_peer(slow_peer)
            finished.append("slow")
            return peer_thread

        def quick() -> None:
            with db.reader() as connection:
                select_one(connection)
            finished.append("quick")

        slow = asyncio.create_task(db.run(checkout_like, waits_on_a_peer=True))
        await asyncio.sleep(0.1)  # the slow one is waiting on its peer by now
        await db.run(quick)  # done while the slow one still waits: not behind it
        return await slow

    peer_thread = asyncio.run(main())
    assert finished == ["quick", "slow"]
    assert peer_thread != threading.main_thread().name  # the peer was waited on elsewhere


def test_outside_the_loop_a_call_to_a_peer_is_made_right_there():
    assert call_a_peer(threading.get_ident) == threading.get_ident()
