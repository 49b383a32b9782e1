"""The inventory's unit of work: the location repository in one transaction."""

from __future__ import annotations

from sqlmodel import Session

from inventory_service.adapters.repository import LocationRepository
from servicekit.unit_of_work import SqlUnitOfWork


class UnitOfWork(SqlUnitOfWork):
    locations: LocationRepository

    def open_repository(self, session: Session) -> LocationRepository:
        self.locations = LocationRepository(session)
        return self.locations
