"""The hot statements, run on the connection's DBAPI cursor instead of through SQLAlchemy's
execution layer.

A statement sent with ``Connection.execute`` goes through SQLAlchemy's execution context,
its result metadata and its ``Row`` objects on every call: one ``SELECT`` with an ``IN`` list
cost 131 to 138 µs of CPU that way on SQLite, and 64 to 65 µs as a `Statement` (the README's
Performance section has what it saved per request, on both backends). A `Statement` keeps
the SQLAlchemy Core statement as its definition and SQLAlchemy's compiler as its SQL, and
does at run time only what the driver needs: it compiles the statement once per dialect
(and, for an ``INSERT`` or ``UPDATE``, per set of columns written), binds each value with
the compiled statement's own bind processor (expanding ``IN`` lists, `UTCDateTime`, JSON,
decimals on SQLite), and converts each column of the answer with the column type's own
result processor, into named tuples read by attribute as SQLAlchemy's rows are.

What the execution layer does besides, a `Statement` keeps: it begins the connection's
transaction as ``Connection.execute`` would (SQLite's ``BEGIN IMMEDIATE`` included), the
dialect's ``do_execute`` hooks see it (`servicekit.metrics.count_statements` counts it), the
driver's errors are raised as SQLAlchemy's, and a lost connection is invalidated. It refuses,
when compiled, a statement whose columns have Python-side defaults, which only the execution
layer fills in: run those with ``Connection.execute``.
"""

from __future__ import annotations

import weakref
from collections import namedtuple
from dataclasses import dataclass, field
from typing import Any, Callable, NoReturn, Sequence

import psycopg
from sqlalchemy import Connection, exc
from sqlalchemy.engine import Dialect
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.sql.dml import UpdateBase
from sqlalchemy.sql.expression import Executable
from sqlalchemy.util import await_only

Processor = Callable[[Any], Any]


#: How many expansions of a statement's IN lists (one per combination of their lengths) it
#: keeps; more are made per call.
EXPANSIONS_KEPT = 64


@dataclass
class _Compiled:
    """A statement compiled for one dialect, and what it takes to read its answers."""

    compiled: SQLCompiler
    #: its "expanding" parameters (IN lists), by their names in the compiled statement: the
    #: SQL depends on how many values each has
    expanding: list[str]
    returns_rows: bool
    row_type: Any = None  # the named tuple of its answers, made at the first answer
    processors: list[Processor | None] = field(default_factory=list)
    #: by the lengths of its IN lists: the SQL, the order of its parameters, their processors
    expansions: dict[tuple[int, ...], tuple[str, Any, dict[str, Processor]]] = field(
        default_factory=dict
    )

    def expanded(self, values: dict[str, Any]) -> tuple[str, Any, dict[str, Processor]]:
        """The SQL, parameter order and processors for ``values`` (``construct_params``'
        answer), whose IN lists it replaces with their elements, named as the compiler names
        them (``skus_1``, ``skus_2``, ...). The compiler makes an expansion (its
        ``construct_expanded_state``, which rewrites the SQL text) once per combination of
        lengths, not per call."""
        lists = [values.pop(name) for name in self.expanding]
        lengths = tuple(len(elements) for elements in lists)
        found = self.expansions.get(lengths)
        if found is None:
            with_lists = {**values, **dict(zip(self.expanding, lists))}
            state = self.compiled.construct_expanded_state(with_lists)
            processors = {**self.compiled._bind_processors, **state.processors}
            found = (state.statement, state.positiontup, processors)
            if len(self.expansions) < EXPANSIONS_KEPT:
                self.expansions[lengths] = found
        for name, elements in zip(self.expanding, lists):
            for number, element in enumerate(elements, 1):
                values[f"{name}_{number}"] = element
        return found


class Statement:
    """A SQLAlchemy Core statement, run on the connection's DBAPI cursor (module docstring).

    Build it once, at import, from a statement with `bindparam` for what varies per call.
    ``rows`` answers a list of named tuples; ``first``, ``one`` and ``scalar`` what their
    names say; ``run`` sends a write, with one row's parameters (a dict) or many (a list).
    """

    def __init__(self, statement: Executable) -> None:
        self.statement = statement
        self._by_dialect: weakref.WeakKeyDictionary[Dialect, dict[Any, _Compiled]] = (
            weakref.WeakKeyDictionary()
        )

    def __repr__(self) -> str:
        return f"Statement({self.statement})"

    # -- answers ---------------------------------------------------------------------------

    def rows(self, connection: Connection, parameters: dict[str, Any] | None = None) -> list:
        return self.send(connection, parameters).rows()

    def send(self, connection: Connection, parameters: dict[str, Any] | None = None) -> Answer:
        """Send the query now, read its answer later (`Answer.rows`). In a pipeline
        (`servicekit.database.Pipeline`), the queries sent before the first answer is read
        travel together: one round trip for all of them. Read every answer sent."""
        parameters = parameters or {}
        compiled, cursor = self._execute(connection, parameters)
        return Answer(self, compiled, cursor, connection)

    def first(self, connection: Connection, parameters: dict[str, Any] | None = None) -> Any:
        """The first row of the answer, or None."""
        rows = self.rows(connection, parameters)
        return rows[0] if rows else None

    def one(self, connection: Connection, parameters: dict[str, Any] | None = None) -> Any:
        """The one row of the answer; raises SQLAlchemy's `NoResultFound` or
        `MultipleResultsFound` otherwise, as ``Result.one`` does."""
        rows = self.rows(connection, parameters)
        if not rows:
            raise exc.NoResultFound("No row was found when one was required")
        if len(rows) > 1:
            raise exc.MultipleResultsFound("Multiple rows were found when exactly one was")
        return rows[0]

    def scalar(self, connection: Connection, parameters: dict[str, Any] | None = None) -> Any:
        """The first column of the first row, or None when there is no row."""
        row = self.first(connection, parameters)
        return row[0] if row is not None else None

    def run(
        self, connection: Connection, parameters: dict[str, Any] | list[dict[str, Any]]
    ) -> None:
        """Send a write: with a list, one statement for all its rows (the driver's
        ``executemany``)."""
        if isinstance(parameters, list):
            if parameters:
                self._execute_many(connection, parameters)
            return
        _compiled, cursor = self._execute(connection, parameters)
        cursor.close()

    # -- the work --------------------------------------------------------------------------

    def _compiled(self, dialect: Dialect, parameters: dict[str, Any]) -> _Compiled:
        by_columns = self._by_dialect.get(dialect)
        if by_columns is None:
            by_columns = self._by_dialect[dialect] = {}
        # An INSERT or UPDATE writes the columns its parameters name (as the execution layer
        # compiles it); a query's SQL does not depend on them.
        columns = tuple(parameters) if isinstance(self.statement, UpdateBase) else None
        found = by_columns.get(columns)
        if found is None:
            compiled = self.statement.compile(dialect=dialect, column_keys=columns)
            assert isinstance(compiled, SQLCompiler)
            if compiled.insert_prefetch or compiled.update_prefetch:
                raise ValueError(
                    f"{self}: columns with Python-side defaults, which only "
                    "Connection.execute fills in: run it with that"
                )
            found = by_columns[columns] = _Compiled(
                compiled,
                expanding=[compiled.bind_names[p] for p in compiled.post_compile_params],
                returns_rows=not isinstance(self.statement, UpdateBase) or bool(compiled.returning),
            )
        return found

    def _bound(self, compiled: _Compiled, parameters: dict[str, Any]) -> tuple[str, Any]:
        """The SQL and the driver's parameters for these values (as the execution layer
        makes them: the compiled statement's bind processors, and those of the values an IN
        list expands to)."""
        values = compiled.compiled.construct_params(parameters)
        if compiled.expanding:
            sql, order, processors = compiled.expanded(values)
        else:
            sql, order = compiled.compiled.string, compiled.compiled.positiontup
            processors = compiled.compiled._bind_processors
        if order is not None:  # SQLite's "?"
            return sql, tuple(
                processors[name](values[name]) if name in processors else values[name]
                for name in order
            )
        return sql, {
            name: processors[name](value) if name in processors else value
            for name, value in values.items()
        }

    def _execute(self, connection: Connection, parameters: dict[str, Any]) -> tuple[_Compiled, Any]:
        compiled = self._compiled(connection.dialect, parameters)
        sql, bound = self._bound(compiled, parameters)
        return compiled, _send(connection, sql, bound, many=False)

    def _execute_many(self, connection: Connection, rows: list[dict[str, Any]]) -> None:
        compiled = self._compiled(connection.dialect, rows[0])
        if compiled.expanding:
            raise ValueError(f"{self}: an IN list in a statement sent for many rows")
        bound = [self._bound(compiled, row)[1] for row in rows]
        _send(connection, compiled.compiled.string, bound, many=True).close()

    def _read(self, compiled: _Compiled, cursor: Any) -> list:
        if not compiled.returns_rows:
            return []
        rows = cursor.fetchall()
        if compiled.row_type is None:
            self._describe(compiled, cursor.description)
        make, processors = compiled.row_type._make, compiled.processors
        if not any(processors):
            return [make(row) for row in rows]
        return [
            make([value if p is None else p(value) for p, value in zip(processors, row)])
            for row in rows
        ]

    def _describe(self, compiled: _Compiled, description: Sequence[Any]) -> None:
        """The named tuple of the answers and each column's result processor, from the
        statement's columns and, for the processors, the driver's type of each."""
        dialect = compiled.compiled.dialect
        columns = list(self.statement.exported_columns)  # type: ignore[attr-defined]
        names = list(self.statement.exported_columns.keys())  # type: ignore[attr-defined]
        compiled.processors = [
            column.type.dialect_impl(dialect).result_processor(dialect, described[1])
            for column, described in zip(columns, description)
        ]
        compiled.row_type = namedtuple("Row", names)  # type: ignore[misc]


class Answer:
    """The answer to a query sent (`Statement.send`), read once."""

    def __init__(
        self, statement: Statement, compiled: _Compiled, cursor: Any, connection: Connection
    ) -> None:
        self._statement, self._compiled = statement, compiled
        self._cursor, self._connection = cursor, connection

    def rows(self) -> list:
        """Its rows, as `Statement.rows` answers them."""
        try:
            return self._statement._read(self._compiled, self._cursor)
        except self._connection.dialect.loaded_dbapi.Error as error:  # (read in a pipeline)
            raise_as_sqlalchemy(self._connection, error, None, None)
        finally:
            self._cursor.close()

    def first(self) -> Any:
        """The first row, or None."""
        rows = self.rows()
        return rows[0] if rows else None


def _send(connection: Connection, sql: str, bound: Any, many: bool) -> Any:
    """Send ``sql`` on a new cursor, in the connection's transaction, through the dialect's
    ``do_execute`` (or ``do_executemany``) hooks as the execution layer does; answer the
    cursor, or raise the driver's error as SQLAlchemy's."""
    dialect = connection.dialect
    dbapi_connection = _begun(connection)
    driver = dbapi_connection.driver_connection
    if _in_pipeline_on_the_loop(driver):
        cursor: Any = _AwaitedCursor(driver.cursor())
    else:
        cursor = dbapi_connection.cursor()
    hooks = dialect.dispatch.do_executemany if many else dialect.dispatch.do_execute
    try:
        for hook in hooks:
            if hook(cursor, sql, bound, None):
                break
        else:
            (cursor.executemany if many else cursor.execute)(sql, bound)
    except BaseException as error:
        cursor.close()
        raise_as_sqlalchemy(connection, error, sql, bound)
    return cursor


def _in_pipeline_on_the_loop(driver: Any) -> bool:
    """Is this psycopg's asyncio connection, in pipeline mode?"""
    return isinstance(driver, psycopg.AsyncConnection) and bool(driver.pgconn.pipeline_status)


class _AwaitedCursor:
    """psycopg's asyncio cursor, for synchronous code that runs on the event loop, in
    pipeline mode. SQLAlchemy's adapter reads a query's rows as it sends it: in pipeline
    mode they are not there yet, and it would answer none. This one reads them when asked,
    and psycopg then sends what is queued and waits for the answers."""

    def __init__(self, cursor: Any) -> None:
        self._cursor = cursor

    @property
    def description(self) -> Any:
        return self._cursor.description

    def execute(self, sql: str, parameters: Any) -> None:
        await_only(self._cursor.execute(sql, parameters))

    def executemany(self, sql: str, rows: Any) -> None:
        await_only(self._cursor.executemany(sql, rows))

    def fetchall(self) -> list:
        return await_only(self._cursor.fetchall())

    def close(self) -> None:
        await_only(self._cursor.close())


def _begun(connection: Connection) -> Any:
    """The connection's DBAPI connection, in the transaction ``Connection.execute`` would
    have begun (SQLAlchemy's ``begin`` hooks run: SQLite's ``BEGIN IMMEDIATE``)."""
    if not connection.in_transaction():
        connection.begin()
    return connection.connection


def raise_as_sqlalchemy(
    connection: Connection, error: BaseException, statement: str | None, parameters: Any
) -> NoReturn:
    """Raise a driver's error as SQLAlchemy's own (an `OperationalError`, an
    `IntegrityError`, ...), invalidating the connection if it was lost, as SQLAlchemy's
    execution layer does; anything else as it is."""
    dialect = connection.dialect
    dbapi_error = dialect.loaded_dbapi.Error
    if not isinstance(error, dbapi_error):
        raise error
    lost = dialect.is_disconnect(error, connection.connection.driver_connection, None)
    if lost:
        connection.invalidate(error)
    raise exc.DBAPIError.instance(
        statement, parameters, error, dbapi_error, connection_invalidated=lost, dialect=dialect
    ) from error
