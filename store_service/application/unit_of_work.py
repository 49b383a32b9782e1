"""One unit of work per use case: a session, the repository, an explicit commit.

Leaving the ``with`` block without `commit` rolls everything back, so a use case that fails
half-way (a checkout whose inventory call failed) changes nothing. Domain events are
published only after the commit succeeded, so metrics never count a sale that was not saved.
"""

from __future__ import annotations

from typing import Callable

from sqlmodel import Session

from store_service.adapters.repository import StoreRepository
from store_service.domain.model import Event

Publish = Callable[[list[Event]], None]


class UnitOfWork:
    stores: StoreRepository
    session: Session

    def __init__(self, session_factory: Callable[[], Session], publish: Publish | None = None):
        self.session_factory = session_factory
        self.publish = publish or (lambda events: None)

    def __enter__(self) -> UnitOfWork:
        self.session = self.session_factory()
        self.stores = StoreRepository(self.session)
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.session.rollback()
        self.session.close()

    def commit(self) -> None:
        self.stores.flush()
        self.session.commit()
        self.publish(self.stores.collect_events())
