"""One unit of work per use case: a database connection, a repository, an explicit commit.

Repositories write through the connection as the use case goes (explicit SQLAlchemy Core
statements, no change tracking); leaving the ``with`` block without `commit` rolls
everything back, so a use case that fails half-way changes nothing. Domain events are
published only after the commit succeeded, so metrics never count what was not saved.
"""

from __future__ import annotations

from typing import Any, Callable, Protocol, Self

from sqlalchemy import Connection


class Repository(Protocol):
    def collect_events(self) -> list[Any]:
        """Hand over (and forget) the domain events of what was written."""


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
        self.connection.commit()
        self.publish(self._repository.collect_events())
