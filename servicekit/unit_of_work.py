"""One unit of work per use case: a database connection, a repository, an explicit commit.

Repositories write through the connection as the use case goes (explicit SQLAlchemy Core
statements, the hot ones run as `servicekit.statements.Statement`; no change tracking),
except the writes whose results nobody reads, which they queue for the commit
(`SqlRepository.write_at_commit`): the unit of work sends those and the commit together, in
one round trip on PostgreSQL (`servicekit.database.Pipeline`), so a row lock taken earlier
in the transaction is held that much shorter. Leaving the ``with``
block without `commit` rolls everything back (queued writes are dropped), so a use case that
fails half-way changes nothing. Domain events are published only after the commit
succeeded, so metrics never count what was not saved.

The hot use cases (a cart, a checkout's claim and record, an issue) go further: with
``uow.in_one_pipeline()`` their whole transaction is one PostgreSQL pipeline, whose ``BEGIN``
travels with the first queries and whose ``COMMIT`` with the queued writes: a cart and its
checkout take 6 round trips to the store's database instead of 10, an issue 2 instead of 4.
"""

from __future__ import annotations

from typing import Any, Callable, Protocol, Self

from sqlalchemy import Connection

from servicekit.database import Pipeline
from servicekit.statements import Statement

#: A statement and its parameters: one row's (a dict), or many rows' (a list of dicts).
Write = tuple[Statement, Any]


class Repository(Protocol):
    def collect_events(self) -> list[Any]:
        """Hand over (and forget) the domain events of what was written."""

    def collect_writes(self) -> list[Write]:
        """Hand over (and forget) the writes queued for the commit."""


class SqlRepository:
    """What a repository keeps for its unit of work: the domain events of what it wrote, and
    the writes it queued for the commit.

    Queue only writes that are the last of their use case's transaction, as a repository's
    ``save`` or ``add_*`` is: a statement run before the commit does not see them.
    """

    def __init__(self, connection: Connection) -> None:
        self.connection = connection
        self._events: list[Any] = []
        self._writes: list[Write] = []

    def write_at_commit(self, statement: Statement, parameters: Any) -> None:
        self._writes.append((statement, parameters))

    def collect_events(self) -> list[Any]:
        events, self._events = self._events, []
        return events

    def collect_writes(self) -> list[Write]:
        writes, self._writes = self._writes, []
        return writes


class SqlUnitOfWork:
    """Subclasses name their repository by implementing `open_repository`."""

    connection: Connection
    _pipeline: Pipeline | None = None
    _in_one_pipeline = False

    def __init__(
        self,
        connect: Callable[[], Connection],
        publish: Callable[[list[Any]], None] | None = None,
    ) -> None:
        self.connect = connect
        self.publish = publish or (lambda events: None)

    def open_repository(self, connection: Connection) -> Repository:
        raise NotImplementedError

    def in_one_pipeline(self) -> Self:
        """This unit of work, its transaction sent in PostgreSQL's pipeline mode from its
        ``BEGIN`` to its ``COMMIT`` (``with uow.in_one_pipeline():``): the ``BEGIN`` goes with
        the first query instead of in a round trip of its own, and queries sent together
        (`Statement.send`) go in one. Only `Statement`\\s may run inside: SQLAlchemy's
        execution layer cannot read an answer in pipeline mode (`Pipeline`)."""
        self._in_one_pipeline = True
        return self

    def __enter__(self) -> Self:
        self.connection = self.connect()
        self._repository = self.open_repository(self.connection)
        if self._in_one_pipeline:
            self._in_one_pipeline = False  # (this use only)
            try:
                self._pipeline = Pipeline(self.connection, begin=True)
            except BaseException:
                self.connection.close()
                raise
        return self

    def __exit__(self, *exc_info: Any) -> None:
        try:
            if self._pipeline is not None:  # left without a commit: nothing is committed
                pipeline, self._pipeline = self._pipeline, None
                if exc_info[1] is None:
                    pipeline.end()
                else:
                    pipeline.abandon(exc_info[1])
            self.connection.rollback()
        finally:
            self.connection.close()

    def commit(self) -> None:
        """Send the queued writes and the commit (together, on PostgreSQL); an error of either
        raises here, and nothing is committed. Then publish the events."""
        writes = self._repository.collect_writes()
        pipeline, self._pipeline = self._pipeline, None
        if pipeline is None and writes:
            pipeline = Pipeline(self.connection)
        if pipeline is None:
            self.connection.commit()
        else:
            try:
                for statement, parameters in writes:
                    statement.run(self.connection, parameters)
            except BaseException as error:
                pipeline.abandon(error)
                raise
            pipeline.end(commit=True)
        self.publish(self._repository.collect_events())
