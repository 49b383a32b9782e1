"""Alembic environment of the simulator's run database (applied by `RunDatabase` on open).

`RunDatabase` hands its own connection over (``config.attributes["connection"]``), so the
migration runs under the lock it holds against a concurrent simulator doing the same.
"""

from customer_sim.infrastructure.run_database import METADATA
from servicekit.migrations import run_migrations

run_migrations(METADATA)
