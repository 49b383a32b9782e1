"""The SQLAlchemy engine for PostgreSQL (psycopg 3) or the embedded SQLite default."""

from __future__ import annotations

import os
import time
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any, Sequence

import psycopg
from sqlalchemy import (
    Connection,
    DateTime,
    Engine,
    NullPool,
    bindparam,
    create_engine,
    event,
    exc,
    func,
    select,
    text,
)
from sqlalchemy.engine import make_url
from sqlalchemy.types import TypeDecorator
from sqlalchemy.util import await_only

from servicekit.statements import Statement, raise_as_sqlalchemy

#: Constraint and index names for every service's tables, so migrations can name them.
NAMING_CONVENTION = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_N_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


def is_sqlite(url: str) -> bool:
    return make_url(url).get_backend_name() == "sqlite"


def make_engine(
    url: str,
    pool_size: int = 10,
    pooled: bool = True,
    application_name: str | None = None,
    on_the_event_loop: bool = False,
    ping_after_idle_seconds: float = 5.0,
) -> Engine:
    """Create the engine with the settings each backend needs to be correct under concurrency.

    PostgreSQL: a pool of ``pool_size`` connections and no more (no request holds one across a
    call to another service, so a few serve many; a request beyond waits up to 10 s for one,
    and opening and closing extra ones under load cost more than the wait), a ping before a
    connection that sat idle for ``ping_after_idle_seconds`` is used (`ping_when_idle`), and a
    connect timeout so a dead server answers 503 quickly instead of hanging a request.
    ``pooled=False`` opens a connection per use and closes it after (tests that start
    many threads use it, so idle connections do not pile up against the server's limit).
    ``application_name`` names the connections in ``pg_stat_activity``.
    ``on_the_event_loop``: the services' engine. psycopg's asyncio connections behind
    SQLAlchemy's synchronous API, for work that `servicekit.app.Database.run` runs on the
    event loop: a statement awaits its answer there instead of blocking a thread (greenlets
    bridge the two, as SQLAlchemy's own asyncio extension does). Such an engine connects only
    inside that work. Ignored for SQLite, which has no asyncio driver here: its statements
    run right there, in the same work on the event loop.

    SQLite (the embedded default): WAL, a busy timeout, foreign keys, and transactions begun
    explicitly. A deferred transaction that reads and then writes can fail at once with
    "database is locked" when another writer got there first, so connections that write use
    `for_writing` (``BEGIN IMMEDIATE``: take the write lock up front and queue); read-only
    connections use a plain ``BEGIN`` and never block writers.
    """
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        if parsed.database and parsed.database != ":memory:":
            os.makedirs(os.path.dirname(os.path.abspath(parsed.database)), exist_ok=True)
        engine = create_engine(url, connect_args={"check_same_thread": False, "timeout": 15})

        @event.listens_for(engine, "connect")
        def _sqlite_connect(dbapi_connection: Any, _record: Any) -> None:
            dbapi_connection.isolation_level = None  # let the "begin" hook below own BEGIN
            cursor = dbapi_connection.cursor()
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA synchronous=NORMAL")
            cursor.execute("PRAGMA foreign_keys=ON")
            cursor.execute("PRAGMA busy_timeout=15000")
            cursor.close()

        @event.listens_for(engine, "begin")
        def _sqlite_begin(connection: Any) -> None:
            begin = f"BEGIN {connection.get_execution_options().get('sqlite_begin', 'DEFERRED')}"
            try:  # on the driver's connection: through SQLAlchemy's execution layer, a BEGIN
                connection.connection.driver_connection.execute(begin)  # cost as much as a query
            except connection.dialect.loaded_dbapi.Error as error:  # ("database is locked")
                raise_as_sqlalchemy(connection, error, begin, ())

        return engine
    connect_args: dict[str, Any] = {"connect_timeout": 5}
    if application_name:
        connect_args["application_name"] = application_name
    if not pooled:
        return create_engine(url, poolclass=NullPool, connect_args=connect_args)
    options: dict[str, Any] = {
        "pool_size": pool_size,
        "max_overflow": 0,
        "pool_timeout": 10,
        "connect_args": connect_args,
    }
    if on_the_event_loop:
        # (imported here: it needs greenlet, which the services install and the simulator,
        # which also builds its engines here, does not)
        from sqlalchemy.ext.asyncio import create_async_engine

        engine = create_async_engine(url, **options).sync_engine
    else:
        engine = create_engine(url, **options)
    ping_when_idle(engine, ping_after_idle_seconds)
    return engine


def ping_when_idle(engine: Engine, after_seconds: float) -> None:
    """Before a pooled connection that sat idle for ``after_seconds`` or more is used, ping it,
    and replace it if the server does not answer (SQLAlchemy's pre-ping, for idle connections
    only).

    A connection idle that long may have been closed meanwhile (a restarted server, a
    firewall's idle timeout); one handed back moments ago, under load, almost never has, and
    a ping is a round trip. If it was all the same, the request fails with a 503 that may be
    retried, and SQLAlchemy replaces every connection of the pool that was opened before.
    """

    @event.listens_for(engine, "checkin")
    def _idle_since(_dbapi_connection: Any, record: Any) -> None:
        record.info["idle_since"] = time.monotonic()

    @event.listens_for(engine, "checkout")
    def _ping_if_idle(dbapi_connection: Any, record: Any, _proxy: Any) -> None:
        idle_since = record.info.get("idle_since")
        if idle_since is None or time.monotonic() - idle_since < after_seconds:
            return
        try:
            alive = engine.dialect.do_ping(dbapi_connection)
        except engine.dialect.loaded_dbapi.Error as error:
            raise exc.DisconnectionError(f"ping failed: {error}") from error
        if not alive:
            raise exc.DisconnectionError("ping failed")


class Pipeline:
    """PostgreSQL's pipeline mode on a connection, from now until `end` (or `abandon`, after
    an error), or for a ``with`` block (``with Pipeline(connection):``; an error inside
    abandons it): the statements run meanwhile are sent one after the other without waiting
    for each answer, one round trip for all of them instead of one each, and so a row lock is
    held that much shorter. A no-op on SQLite.

    Writes sent with ``Connection.execute`` must not be read inside (``INSERT … RETURNING``,
    the id SQLAlchemy fetches after a one-row insert unless the insert is ``inline()``): that
    fails with "This result object does not return rows". A `Statement`'s answers can be
    read: reading one sends what was queued, with the queries sent before it and not read yet
    (`Statement.send`), in one round trip. Errors surface at the end, or when an answer is
    read, as SQLAlchemy's errors, as they would from each statement.

    ``end(commit=True)`` commits the transaction, its ``COMMIT`` sent with the writes.
    psycopg's ``commit()`` would wait for the answers so far (a Sync), and leaving pipeline
    mode waits once more: two round trips, where the pipeline's own Sync at its end brings
    every answer, the ``COMMIT``'s included, in one.

    ``begin``: the pipeline begins the transaction too (a unit of work's, from its first
    statement to its commit: `servicekit.unit_of_work.SqlUnitOfWork.in_one_pipeline`), and
    its ``BEGIN`` travels with the first query. psycopg would send its own ``BEGIN`` and wait
    for it (in pipeline mode it syncs after it, to know the transaction's status): a round
    trip of its own. So for the pipeline's life the driver's connection is in autocommit,
    where psycopg begins nothing, and the pipeline says ``BEGIN`` and ``COMMIT`` itself;
    whatever happens, the connection leaves out of autocommit and out of the transaction
    (rolled back unless committed), or is invalidated, never to be used again.
    """

    def __init__(self, connection: Connection, begin: bool = False) -> None:
        self.connection = connection
        self._driver: Any = None
        self._began = False
        if connection.dialect.name != "postgresql" or not psycopg.Pipeline.is_supported():
            return  # (pipeline mode needs libpq 14 or later: psycopg[binary] brings its own)
        driver = connection.connection.driver_connection
        self._on_the_loop = isinstance(driver, psycopg.AsyncConnection)  # `on_the_event_loop`
        idle = driver.pgconn.transaction_status == psycopg.pq.TransactionStatus.IDLE
        try:
            if begin and idle and not connection.in_transaction():  # (else psycopg's BEGIN)
                self._set_autocommit(driver, True)  # (idle: nothing is sent)
                self._began = True
            self._pipeline = driver.pipeline()
            self._call(self._pipeline.__aenter__ if self._on_the_loop else self._pipeline.__enter__)
            self._driver = driver
            if self._began:
                self._call(driver.execute, "BEGIN")
        except BaseException as error:
            if self._driver is not None:
                self.abandon(error)
            else:
                self._out_of_autocommit(driver, error)
            raise_as_sqlalchemy(connection, error, "BEGIN", None)

    def __enter__(self) -> Pipeline:
        return self

    def __exit__(self, _type: Any, error: BaseException | None, _traceback: Any) -> None:
        if error is None:
            self.end()  # (a no-op after `end`)
        else:
            self.abandon(error)

    def end(self, commit: bool = False) -> None:
        """Send what is queued (and ``commit``: the ``COMMIT``) and wait for every answer;
        raise the first error as SQLAlchemy's."""
        connection = self.connection
        if self._driver is not None:
            driver, self._driver = self._driver, None
            try:
                try:
                    if commit:
                        cursor = connection.connection.cursor()
                        cursor.execute("COMMIT")  # (an earlier write's error may surface here)
                        cursor.close()
                except BaseException as error:
                    self._leave(driver, error)
                    raise
                self._leave(driver, None)
            except BaseException as error:  # the driver's as SQLAlchemy's, as they came
                self._out_of_autocommit(driver, error)
                raise_as_sqlalchemy(connection, error, None, None)
            self._out_of_autocommit(driver)
        if commit:  # SQLAlchemy's side of it (after a COMMIT in the pipeline, nothing is sent)
            connection.commit()

    def abandon(self, error: BaseException) -> None:
        """Leave after an error in the block: what is queued is sent and answered, nothing
        is committed; errors of its own are logged (psycopg), the block's error stands."""
        if self._driver is not None:
            driver, self._driver = self._driver, None
            try:
                self._leave(driver, error)
            finally:
                self._out_of_autocommit(driver, error)

    def _leave(self, driver: Any, error: BaseException | None) -> None:
        exc_info = (type(error), error, error.__traceback__) if error else (None, None, None)
        self._call(
            self._pipeline.__aexit__ if self._on_the_loop else self._pipeline.__exit__, *exc_info
        )

    def _out_of_autocommit(self, driver: Any, error: BaseException | None = None) -> None:
        """After a pipeline that began the transaction: roll back what it did not commit,
        and leave autocommit. If either fails (a lost connection), the connection is not
        used again, and this failure is raised unless ``error`` is already on its way."""
        if not self._began:
            return
        self._began = False
        try:
            if driver.pgconn.transaction_status != psycopg.pq.TransactionStatus.IDLE:
                self._call(driver.rollback)
            self._set_autocommit(driver, False)
        except BaseException as failure:
            self.connection.invalidate(failure if isinstance(failure, Exception) else None)
            if error is None:
                raise_as_sqlalchemy(self.connection, failure, None, None)

    def _set_autocommit(self, driver: Any, value: bool) -> None:
        if self._on_the_loop:
            await_only(driver.set_autocommit(value))
        else:
            driver.autocommit = value

    def _call(self, method: Any, *args: Any) -> Any:
        """Call one of the driver's methods (on the event loop: await it)."""
        return await_only(method(*args)) if self._on_the_loop else method(*args)


def for_reading(engine: Engine) -> Engine:
    """The engine for read-only connections: on PostgreSQL, in autocommit.

    Under READ COMMITTED every statement sees what was committed when it began, in a
    transaction or not, so a read without one answers the same. It saves a read's ``BEGIN``
    and ``ROLLBACK``, and the ``DEALLOCATE ALL`` psycopg sends after every rollback (which
    also drops the connection's prepared statements, the writes' too): three round trips of
    the four that a one-query read took. SQLite keeps its ``BEGIN``: there one read
    transaction is one snapshot, which a paged read's count and page share."""
    if engine.dialect.name == "postgresql":
        return engine.execution_options(isolation_level="AUTOCOMMIT")
    return engine


def for_writing(engine: Engine) -> Engine:
    """The engine for connections that write (``BEGIN IMMEDIATE`` on SQLite; the same
    elsewhere)."""
    return engine.execution_options(sqlite_begin="IMMEDIATE")


def database_error_is_unavailability(error: Exception) -> bool:
    """True for errors that mean "the database cannot be reached or is busy", not a bug."""
    return isinstance(error, (exc.OperationalError, exc.InterfaceError, exc.TimeoutError))


def ping(engine: Engine) -> None:
    """Raise if the database does not answer a trivial query (a read: `for_reading`, so a
    readiness probe costs one round trip and leaves the connection's prepared statements)."""
    with for_reading(engine).connect() as connection:
        connection.execute(text("SELECT 1"))


class UTCDateTime(TypeDecorator):
    """A timezone-aware timestamp that always comes back in UTC, on PostgreSQL and SQLite.

    SQLite has no time zones: values are stored as naive UTC and given their zone back when
    read, so that comparisons and ordering in SQL are by instant on both backends.
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError(f"naive datetime {value!r}: timestamps must carry a time zone")
        value = value.astimezone(timezone.utc)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=timezone.utc)
        return value.astimezone(timezone.utc)


@dataclass(frozen=True)
class Slice:
    """One page of query results and how many rows match in all."""

    rows: Sequence[Any]
    total: int


class PagedQuery:
    """A query to page through in a stable order, with its page and count statements built
    once, as `Statement`s: building a statement costs SQLAlchemy more than running it, and
    its execution layer more than the driver does. Build the hot ones at import time, with
    `bindparam` for what varies per request."""

    def __init__(self, query: Any, order_by: Sequence[Any]) -> None:
        self.page = Statement(
            query.order_by(*order_by)
            .limit(bindparam("page_limit"))
            .offset(bindparam("page_offset"))
        )
        self.count = Statement(select(func.count()).select_from(query.subquery()))

    def fetch(
        self,
        connection: Connection,
        limit: int,
        offset: int,
        params: dict[str, Any] | None = None,
        at_most: int | None = None,
    ) -> Slice:
        """One page of the matches, and how many match in all (a COUNT only when the page
        cannot tell: `tells_the_total`)."""
        params = params or {}
        rows = self.page.rows(connection, {**params, "page_limit": limit, "page_offset": offset})
        if tells_the_total(rows, limit, offset, at_most):
            return Slice(rows, offset + len(rows))
        return Slice(rows, self.count.scalar(connection, params))


def tells_the_total(
    rows: Sequence[Any], limit: int, offset: int, at_most: int | None = None
) -> bool:
    """Does this page tell how many match in all (the rows before it plus its own)? Yes when
    it is shorter than the limit (the last page), and when it is a first page that can hold
    ``at_most`` rows, the most the filter can match (distinct keys asked for)."""
    whole = offset == 0 and at_most is not None and at_most <= limit
    return whole or (len(rows) < limit and (bool(rows) or offset == 0))


def paginate(
    connection: Connection, query: Any, order_by: Sequence[Any], limit: int, offset: int
) -> Slice:
    """One page of a query's matches and their total, as `PagedQuery.fetch` answers them,
    for a query built for this request: through SQLAlchemy's execution layer, whose cache of
    compiled statements serves queries built anew (a `Statement` compiles once per object).
    ``query`` selects columns or tables (SQLAlchemy Core): plain rows."""
    rows = connection.execute(query.order_by(*order_by).limit(limit).offset(offset)).all()
    if tells_the_total(rows, limit, offset):
        return Slice(rows, offset + len(rows))
    count = select(func.count()).select_from(query.subquery())
    return Slice(rows, connection.execute(count).scalar_one())
