"""Alembic environment of store_service (run by ``python -m store_service migrate``)."""

from servicekit.migrations import run_migrations
from store_service.adapters.tables import StoreTable

run_migrations(StoreTable.metadata)
