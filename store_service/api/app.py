"""The composition root: settings → engine, inventory client → unit of work → routes, metrics
and error mapping."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse
from prometheus_client import CollectorRegistry, Counter
from sqlmodel import Session

from servicekit.database import for_writing, make_engine
from servicekit.http import health_router, install_database_error_handlers
from servicekit.logging import configure_logging
from servicekit.metrics import install_metrics
from store_service.adapters.inventory_client import InventoryClient
from store_service.api.routes import router
from store_service.application.ports import InventoryRejected, InventoryUnavailable
from store_service.application.unit_of_work import UnitOfWork
from store_service.config import Settings
from store_service.domain.model import (
    CartNotOpen,
    CheckoutPending,
    EmptyCart,
    Event,
    InvalidInput,
    OrderPlaced,
    ProductNotSold,
    StoreError,
    StoreExists,
    UnknownCart,
    UnknownOrder,
    UnknownProduct,
    UnknownStore,
)

DESCRIPTION = """
Stores, their catalogs, carts, checkout against the inventory service, orders and sales.

A checkout issues the cart's lines at the inventory (`POST /locations/{store}/issues`, with
the cart id as the idempotency reference) and records the order with what was fulfilled and
what was lost. It is safe to retry: a repeat returns the same order, and stock is never
issued twice. When the inventory is down: 503, nothing sold, the cart stays open.

**Time is data**: writes take an optional `at` (ISO-8601 with a zone).
"""

STATUS_OF_ERROR: dict[type[StoreError], int] = {
    UnknownStore: 404,
    UnknownProduct: 404,
    UnknownCart: 404,
    UnknownOrder: 404,
    StoreExists: 409,
    CartNotOpen: 409,
    EmptyCart: 409,
    CheckoutPending: 409,
    InventoryRejected: 409,
    ProductNotSold: 422,
    InvalidInput: 422,
}


def status_of(error: StoreError) -> int:
    """The HTTP status of a rule violation; subclasses answer like their nearest mapped base."""
    if isinstance(error, InventoryUnavailable):
        return 503
    for cls in type(error).__mro__:
        if cls in STATUS_OF_ERROR:
            return STATUS_OF_ERROR[cls]
    return 400


class DomainMetrics:
    """Counters fed by the domain events each committed unit of work publishes."""

    def __init__(self, registry: CollectorRegistry) -> None:
        self.checkouts = Counter(
            "store_checkouts_total", "Carts checked out into orders.", registry=registry
        )
        self.sold = Counter(
            "store_units_sold_total", "Units sold (fulfilled by the inventory).", registry=registry
        )
        self.lost = Counter(
            "store_units_lost_total",
            "Units wanted but not in stock (lost demand).",
            registry=registry,
        )
        self.revenue = Counter(
            "store_revenue_total", "Revenue of the orders placed.", registry=registry
        )

    def publish(self, events: list[Event]) -> None:
        for event in events:
            if isinstance(event, OrderPlaced):
                self.checkouts.inc()
                self.sold.inc(event.order.units_fulfilled)
                self.lost.inc(event.order.units_lost)
                self.revenue.inc(float(event.order.total))


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or Settings()
    configure_logging(settings.log_level, settings.log_format)
    engine = make_engine(settings.database_url, settings.db_pool_size)
    inventory = InventoryClient(
        settings.inventory_url,
        timeout_seconds=settings.inventory_timeout_seconds,
        retries=settings.inventory_retries,
    )

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        yield
        inventory.close()
        engine.dispose()

    app = FastAPI(
        title="store_service",
        version="0.1.0",
        description=DESCRIPTION,
        lifespan=lifespan,
    )
    registry = CollectorRegistry()
    metrics = DomainMetrics(registry)

    writer = for_writing(engine)
    app.state.engine = engine
    app.state.inventory = inventory
    app.state.session_factory = lambda: Session(engine)
    app.state.unit_of_work = lambda: UnitOfWork(
        lambda: Session(writer, expire_on_commit=False), metrics.publish
    )

    @app.exception_handler(StoreError)
    async def domain_error(_request: Request, error: StoreError) -> JSONResponse:
        code = status_of(error)
        headers = {"Retry-After": "1"} if code == 503 else None
        return JSONResponse(status_code=code, content={"detail": str(error)}, headers=headers)

    install_database_error_handlers(app)
    install_metrics(app, registry)
    app.include_router(
        health_router(engine, extra_checks=lambda: {"inventory": inventory.health()})
    )
    app.include_router(router)
    return app
