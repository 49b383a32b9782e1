"""Alembic, driven from code: each service keeps one migration tree in ``<service>/migrations``."""

from __future__ import annotations

import logging
import time
from pathlib import Path

from alembic import command, context
from alembic.config import Config
from sqlalchemy import Connection, MetaData, exc

from servicekit.database import make_engine, ping

log = logging.getLogger(__name__)


def alembic_config(migrations_dir: Path, url: str) -> Config:
    config = Config()
    config.set_main_option("script_location", str(migrations_dir))
    config.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return config


def wait_for_database(url: str, timeout_seconds: float) -> None:
    """Wait until the database answers (a pod may start before its database)."""
    deadline = time.monotonic() + timeout_seconds
    engine = make_engine(url, pool_size=1)
    try:
        while True:
            try:
                ping(engine)
                return
            except exc.OperationalError as error:
                if time.monotonic() >= deadline:
                    raise
                log.info("waiting for the database: %s", str(error).splitlines()[0])
                time.sleep(1)
    finally:
        engine.dispose()


def upgrade(migrations_dir: Path, url: str, wait_seconds: float = 0) -> None:
    """Bring the database schema to the newest revision."""
    if wait_seconds > 0:
        wait_for_database(url, wait_seconds)
    command.upgrade(alembic_config(migrations_dir, url), "head")


def run_migrations(target_metadata: MetaData) -> None:
    """The body of every ``migrations/env.py`` (online mode only).

    It migrates over the connection the caller handed over in
    ``config.attributes["connection"]`` (the simulator's run database does, to migrate under
    the lock it holds), or else over a connection of its own to ``sqlalchemy.url``.
    """
    connection = context.config.attributes.get("connection")
    if connection is not None:
        _migrate(connection, target_metadata)
        return
    engine = make_engine(context.config.get_main_option("sqlalchemy.url"), pool_size=1)
    with engine.connect() as connection:
        _migrate(connection, target_metadata)
    engine.dispose()


def _migrate(connection: Connection, target_metadata: MetaData) -> None:
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        compare_type=True,
        render_as_batch=connection.dialect.name == "sqlite",
    )
    with context.begin_transaction():
        context.run_migrations()
