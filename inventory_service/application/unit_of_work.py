"""The inventory's unit of work: the location repository in one transaction."""

from __future__ import annotations

from sqlalchemy import Connection

from inventory_service.adapters.repository import LocationRepository
from servicekit.unit_of_work import SqlUnitOfWork


class UnitOfWork(SqlUnitOfWork):
    locations: LocationRepository

    def open_repository(self, connection: Connection) -> LocationRepository:
        self.locations = LocationRepository(connection)
        return self.locations
