"""One unit of work per use case: a session, a repository, an explicit commit.

Repositories write through the session as the use case goes (explicit statements, no change
tracking); leaving the ``with`` block without `commit` rolls everything back, so a use case
that fails half-way changes nothing. Domain events are published only after the commit
succeeded, so metrics never count what was not saved.
"""

from __future__ import annotations

from typing import Any, Callable, Protocol, Self

from sqlmodel import Session


class Repository(Protocol):
    def collect_events(self) -> list[Any]:
        """Hand over (and forget) the domain events of what was written."""


class SqlUnitOfWork:
    """Subclasses name their repository by implementing `open_repository`."""

    session: Session

    def __init__(
        self,
        session_factory: Callable[[], Session],
        publish: Callable[[list[Any]], None] | None = None,
    ) -> None:
        self.session_factory = session_factory
        self.publish = publish or (lambda events: None)

    def open_repository(self, session: Session) -> Repository:
        raise NotImplementedError

    def __enter__(self) -> Self:
        self.session = self.session_factory()
        self._repository = self.open_repository(self.session)
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.session.rollback()
        self.session.close()

    def commit(self) -> None:
        self.session.commit()
        self.publish(self._repository.collect_events())
