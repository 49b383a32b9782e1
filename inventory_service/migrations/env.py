"""Alembic environment of inventory_service (run by ``python -m inventory_service migrate``)."""

from inventory_service.adapters.tables import InventoryTable
from servicekit.migrations import run_migrations

run_migrations(InventoryTable.metadata)
