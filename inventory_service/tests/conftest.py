"""Fixtures for inventory_service's integration and API tests (PostgreSQL)."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from typing import Callable, Iterator

import pytest
from sqlalchemy import Engine

from inventory_service.application.unit_of_work import UnitOfWork
from servicekit.database import for_writing, make_engine
from testkit.fixtures import unique_id

T0 = datetime(2026, 3, 2, 8, 0, tzinfo=timezone.utc)


def at(minutes: float) -> datetime:
    """A time ``minutes`` after the tests' epoch."""
    return T0 + timedelta(minutes=minutes)


@pytest.fixture(scope="session")
def engine(inventory_database_url: str) -> Iterator[Engine]:
    engine = make_engine(inventory_database_url, pool_size=2)
    yield engine
    engine.dispose()


@pytest.fixture(scope="session")
def unpooled_engine(inventory_database_url: str) -> Iterator[Engine]:
    """For the 50-thread tests: a connection per thread, closed after, so that no idle
    connections pile up against the server's max_connections."""
    engine = make_engine(inventory_database_url, pooled=False)
    yield engine
    engine.dispose()


def unit_of_work_factory(engine: Engine) -> Callable[[], UnitOfWork]:
    """A fresh unit of work per call, as the API gives one per request."""
    writer = for_writing(engine)
    return lambda: UnitOfWork(writer.connect)


@pytest.fixture
def uow(engine: Engine) -> Callable[[], UnitOfWork]:
    return unit_of_work_factory(engine)


@pytest.fixture
def threaded_uow(unpooled_engine: Engine) -> Callable[[], UnitOfWork]:
    return unit_of_work_factory(unpooled_engine)


@pytest.fixture
def location() -> str:
    return unique_id("loc")


@pytest.fixture(scope="session")
def app(inventory_database_url: str):
    from inventory_service.api.app import create_app
    from inventory_service.config import Settings

    settings = Settings(INVENTORY_DATABASE_URL=inventory_database_url, INVENTORY_DB_POOL_SIZE=2)
    return create_app(settings)


@pytest.fixture(scope="session")
def client(app):
    from fastapi.testclient import TestClient

    with TestClient(app) as client:
        yield client


def iso(moment: datetime) -> str:
    return moment.isoformat().replace("+00:00", "Z")
