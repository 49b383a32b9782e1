"""Alembic environment of the simulator's run database (applied by `RunDatabase` on open).

`RunDatabase` hands its own connection over (``config.attributes["connection"]``), so the
migration runs under the lock it holds against a concurrent simulator doing the same.
"""

from alembic import context

from customer_sim.infrastructure.run_database import METADATA
from servicekit.database import is_sqlite

connection = context.config.attributes["connection"]
context.configure(
    connection=connection,
    target_metadata=METADATA,
    compare_type=True,
    render_as_batch=is_sqlite(str(connection.engine.url)),
)
with context.begin_transaction():
    context.run_migrations()
