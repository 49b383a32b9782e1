"""The store's unit of work: the store repository in one transaction.

A checkout whose inventory call failed leaves the ``with`` block uncommitted, so it records
nothing (see `servicekit.unit_of_work`).
"""

from __future__ import annotations

from sqlalchemy import Connection

from servicekit.unit_of_work import SqlUnitOfWork
from store_service.adapters.repository import StoreRepository


class UnitOfWork(SqlUnitOfWork):
    stores: StoreRepository

    def open_repository(self, connection: Connection) -> StoreRepository:
        self.stores = StoreRepository(connection)
        return self.stores
