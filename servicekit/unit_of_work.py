"""One unit of work per use case: a database connection, a repository, an explicit commit.

Repositories write through the connection as the use case goes (explicit SQLAlchemy Core
statements, the hot ones run as `servicekit.statements.Statement`; no change tracking),
except the writes whose results nobody reads, which they queue for the commit
(`SqlRepository.write_at_commit`): the unit of work sends those and the commit together, in
one round trip on PostgreSQL (`servicekit.database.pipelined`), so a row lock taken earlier
in the transaction is held that much shorter. Leaving the ``with``
block without `commit` rolls everything back (queued writes are dropped), so a use case that
fails half-way changes nothing. Domain events are published only after the commit
succeeded, so metrics never count what was not saved.
"""

from __future__ import annotations

from typing import Any, Callable, Protocol, Self

from sqlalchemy import Connection

from servicekit.database import pipelined
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

    def __init__(
        self,
        connect: Callable[[], Connection],
        publish: Callable[[list[Any]], None] | None = None,
    ) -> None:
        self.connect = connect
        self.publish = publish or (lambda events: None)

    def open_repository(self, connection: Connection) -> Repository:
        raise NotImplementedError

    def __enter__(self) -> Self:
        self.connection = self.connect()
        self._repository = self.open_repository(self.connection)
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.connection.rollback()
        self.connection.close()

    def commit(self) -> None:
        """Send the queued writes and the commit (together, on PostgreSQL); an error of either
        raises here, and nothing is committed. Then publish the events."""
        writes = self._repository.collect_writes()
        if writes:
            with pipelined(self.connection, commit=True):
                for statement, parameters in writes:
                    statement.run(self.connection, parameters)
        else:
            self.connection.commit()
        self.publish(self._repository.collect_events())
